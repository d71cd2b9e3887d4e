package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/internal/version"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runCLIInput(t, "", args...)
}

func runCLIInput(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestLoginFlags(t *testing.T) {
	t.Setenv("MAILPROBE_PASSWORD", "")
	code, stdout, stderr := runCLIInput(t, lab.Password+"\n", "demo", "--login", "--password-stdin", "--json")
	if code != exitOK {
		t.Fatalf("mailprobe demo --login --password-stdin = exit %d; stderr %s", code, stderr)
	}
	var rep detect.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	in, out := rep.Recommended()
	if in.Login.Status != detect.LoginOK || out.Login.Status != detect.LoginOK || in.Login.Username != lab.User("demo.test") {
		t.Errorf("login = %+v / %+v, want ok as %s for both", in.Login, out.Login, lab.User("demo.test"))
	}
	if strings.Contains(stdout, lab.Password) {
		t.Errorf("the report contains the password")
	}

	t.Setenv("MAILPROBE_PASSWORD", "wrong password")
	code, stdout, _ = runCLI(t, "demo", "--login")
	if code != exitOK || !strings.Contains(stdout, "FAILED") {
		t.Errorf("mailprobe demo --login with a wrong password = exit %d, output:\n%s\nwant exit 0 and FAILED", code, stdout)
	}

	t.Setenv("MAILPROBE_PASSWORD", "")
	for _, args := range [][]string{
		{"demo", "--login"},             // no password anywhere, stdin not a terminal
		{"demo", "--password-stdin"},    // without --login
		{"demo", "--confirm", "x.test"}, // without --login
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("mailprobe %v = exit %d (%s), want %d", args, code, stderr, exitUsage)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"detect"},
		{"detect", "a@b.test", "c@d.test"},
		{"detect", "not-an-address"},
		{"detect", "alice@@example.org"},
		{"detect", "--timeout", "-1s", "alice@example.org"},
		{"detect", "--ispdb", "ftp://x", "alice@example.org"},
		{"detect", "--ca-file", "/nonexistent.pem", "alice@example.org"},
		{"detect", "--local", "/nonexistent-dir", "alice@example.org"},
		{"detect", "--no-such-flag", "alice@example.org"},
		{"frobnicate"},
		{"detect", "--resolver", "not a resolver", "alice@example.org"},
		{"detect", "--resolver", "127.0.0.1", "alice@example.org"},
		{"detect", "--resolver", "127.0.0.1:dns", "alice@example.org"},
		{"detect", "--resolver", ":53", "alice@example.org"},
		{"records", "not a domain"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitUsage {
			t.Errorf("mailprobe %v = exit %d, want %d (stderr %q)", args, code, exitUsage, stderr)
		}
		if stdout != "" {
			t.Errorf("mailprobe %v printed %q on stdout, want nothing", args, stdout)
		}
		if !strings.HasPrefix(stderr, "mailprobe: ") {
			t.Errorf("mailprobe %v stderr = %q, want a message", args, stderr)
		}
		if args[0] == "records" && strings.Contains(stderr, "email address") {
			t.Errorf("mailprobe %v stderr = %q, want words about a domain, not an email address", args, stderr)
		}
	}
}

// TestDeadResolver: a resolver that answers nothing is a DNS failure
// (verdict none, dns-failed), not a domain that publishes nothing.
func TestDeadResolver(t *testing.T) {
	code, stdout, _ := runCLI(t, "detect", "--resolver", "127.0.0.1:9", "--ispdb", "off", "--no-guess", "--timeout", "5s", "alice@example.org")
	if code != exitNothing || !strings.Contains(stdout, "DNS FAILED") || !strings.Contains(stdout, "dns-failed") || strings.Contains(stdout, "publish SRV") {
		t.Errorf("mailprobe detect with a dead resolver = exit %d, output:\n%s\nwant exit 2, DNS FAILED, dns-failed and no advice to publish SRV records", code, stdout)
	}
}

// TestSourcesTableOneLine: a source detail with line breaks stays in its
// row of the human output.
func TestSourcesTableOneLine(t *testing.T) {
	r := &detect.Report{Address: "a@b.test", Verdict: detect.VerdictNone,
		Sources: []detect.SourceReport{{Name: detect.SourceSRV, Status: detect.StatusError, Detail: "first\nsecond\n  third"}, {Name: detect.SourceMX, Status: detect.StatusNone}}}
	var b strings.Builder
	printReport(&b, nil, r, false)
	out := b.String()
	if !strings.Contains(out, "first second third") {
		t.Errorf("printReport Sources table:\n%s\nwant the detail on one line", out)
	}
}

func TestTrustAnchorFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "root.key")
	os.WriteFile(good, []byte(". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"), 0o644)
	bad := filepath.Join(dir, "bad.key")
	os.WriteFile(bad, []byte("example.org. IN A 192.0.2.1\n"), 0o644)
	if rrs, err := readTrustAnchors(good); err != nil || len(rrs) != 1 {
		t.Errorf("readTrustAnchors(DS) = %v, %v; want one record", rrs, err)
	}
	if _, err := readTrustAnchors(bad); err == nil {
		t.Errorf("readTrustAnchors(A record) = nil error, want a refusal")
	}
}

func TestDemoJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, "demo", "--json")
	if code != exitOK {
		t.Fatalf("mailprobe demo --json = exit %d, want 0; stderr: %s", code, stderr)
	}
	checkContract(t, []byte(stdout))
	code, stdout, _ = runCLI(t, "demo")
	if code != exitOK || !strings.Contains(stdout, "SECURE") || !strings.Contains(stdout, "mail.demo.test") {
		t.Errorf("mailprobe demo = exit %d, output:\n%s\nwant exit 0, SECURE and mail.demo.test", code, stdout)
	}
}

// checkContract checks the JSON report has every field DESIGN.md's contract
// names, with the right JSON types.
func checkContract(t *testing.T, data []byte) {
	t.Helper()
	var r map[string]any
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, data)
	}
	if v, _ := r["version"].(float64); v != detect.ReportVersion {
		t.Errorf("version = %v, want %d", r["version"], detect.ReportVersion)
	}
	for _, k := range []string{"address", "domain", "verdict", "dnssec", "incoming_verdict", "outgoing_verdict", "reason"} {
		if _, ok := r[k].(string); !ok {
			t.Errorf("report.%s = %v, want a string", k, r[k])
		}
	}
	if _, ok := r["elapsed_ms"].(float64); !ok {
		t.Errorf("report.elapsed_ms missing")
	}
	srcs, _ := r["sources"].([]any)
	if len(srcs) != 12 {
		t.Errorf("report.sources has %d entries, want 12 (local, srv, autoconfig, autoconfig-wellknown, autoconfig-http, ispdb, mx, autodiscover, guess, pacc, service-srv, service-wellknown)", len(srcs))
	}
	for _, s := range srcs {
		m := s.(map[string]any)
		for _, k := range []string{"name", "status", "trust"} {
			if _, ok := m[k].(string); !ok {
				t.Errorf("source.%s = %v, want a string", k, m[k])
			}
		}
	}
	for _, dir := range []string{"incoming", "outgoing"} {
		list, ok := r[dir].([]any)
		if !ok || len(list) == 0 {
			t.Fatalf("report.%s = %v, want a non-empty list", dir, r[dir])
		}
		s := list[0].(map[string]any)
		if s["recommended"] != true {
			t.Errorf("%s[0].recommended = %v, want true", dir, s["recommended"])
		}
		for _, k := range []string{"protocol", "host", "security", "username", "trust"} {
			if _, ok := s[k].(string); !ok {
				t.Errorf("%s[0].%s = %v, want a string", dir, k, s[k])
			}
		}
		for _, k := range []string{"auth", "sources"} {
			if _, ok := s[k].([]any); !ok {
				t.Errorf("%s[0].%s = %v, want a list", dir, k, s[k])
			}
		}
		p, _ := s["probe"].(map[string]any)
		if p["status"] != "ok" || p["tls_version"] == nil {
			t.Errorf("%s[0].probe = %v, want status ok and tls_version", dir, p)
		}
		c, _ := p["cert"].(map[string]any)
		if c["valid"] != true || c["not_after"] == nil {
			t.Errorf("%s[0].probe.cert = %v, want valid and not_after", dir, c)
		}
		if l, _ := s["login"].(map[string]any); l["status"] != "not-tried" {
			t.Errorf("%s[0].login = %v, want status not-tried", dir, l)
		}
	}
	if _, ok := r["warnings"].([]any); !ok {
		t.Errorf("report.warnings = %v, want a list", r["warnings"])
	}
}

// wantExit is the exit code DESIGN.md gives a scenario's expected outcome.
func wantExit(e lab.Expect) int {
	switch {
	case e.In == "" && e.Out == "":
		return exitNothing
	case e.Verdict == "unsafe":
		return exitDanger
	default:
		return exitOK
	}
}

// TestBinaryScenarios builds mailprobe without cgo and runs `mailprobe
// detect --json` as a separate process on every lab scenario. The lab then
// listens on the real ports (993, 443, ...) of its loopback addresses, which
// needs root; CI runs as root.
func TestBinaryScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	l, err := lab.Start(lab.Options{StandardPorts: true})
	if errors.Is(err, syscall.EACCES) {
		t.Skipf("the lab needs root to listen on standard ports: %v", err)
	}
	if err != nil {
		t.Fatalf("lab.Start(StandardPorts): %v", err)
	}
	t.Cleanup(func() { l.Close() })

	dir := t.TempDir()
	bin := filepath.Join(dir, "mailprobe")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("CGO_ENABLED=0 go build: %v\n%s", err, out)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := l.WriteCA(ca); err != nil {
		t.Fatal(err)
	}
	anchor := filepath.Join(dir, "anchor.key")
	if err := l.WriteTrustAnchor(anchor); err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(dir, "local")
	if err := lab.WriteLocalDir(local); err != nil {
		t.Fatal(err)
	}

	t.Run("records", func(t *testing.T) {
		cmd := exec.Command(bin, "records", "--resolver", l.DNSAddr, "--ca-file", ca, "--ispdb", l.ISPDB, "--trust-anchor", anchor, "--web-host", "web.example.net", "demo.test")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("mailprobe records demo.test: %v", err)
		}
		zp := dns.NewZoneParser(bytes.NewReader(out), "", "")
		names := map[string]bool{}
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			names[dns.TypeToString[rr.Header().Rrtype]+" "+rr.Header().Name] = true
		}
		if err := zp.Err(); err != nil {
			t.Fatalf("mailprobe records output does not parse: %v\n%s", err, out)
		}
		for _, want := range []string{"SRV _imaps._tcp.demo.test.", "SRV _submissions._tcp.demo.test.", "TLSA _993._tcp.mail.demo.test.", "CNAME autoconfig.demo.test."} {
			if !names[want] {
				t.Errorf("mailprobe records demo.test lacks %s:\n%s", want, out)
			}
		}
	})

	for _, sc := range lab.Scenarios {
		t.Run(sc.Domain, func(t *testing.T) {
			t.Parallel()
			args := []string{"detect", "--json", "--resolver", l.DNSAddr, "--ca-file", ca, "--ispdb", l.ISPDB, "--trust-anchor", anchor, "--timeout", "10s"}
			if sc.Local {
				args = append(args, "--local", local)
			}
			args = append(args, lab.User(sc.Domain))
			cmd := exec.Command(bin, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if want := wantExit(sc.Expect); code != want {
				t.Errorf("mailprobe %s = exit %d, want %d; stderr: %s", strings.Join(args, " "), code, want, stderr.String())
			}
			var rep detect.Report
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				t.Fatalf("mailprobe --json output is not a report: %v\n%s", err, stdout.String())
			}
			if string(rep.Verdict) != sc.Expect.Verdict {
				t.Errorf("mailprobe detect %s: verdict %s, want %s", sc.Domain, rep.Verdict, sc.Expect.Verdict)
			}
			in, out := rep.Recommended()
			for _, c := range []struct {
				s    *detect.Server
				want string
			}{{in, sc.Expect.In}, {out, sc.Expect.Out}} {
				got := ""
				if c.s != nil {
					got = fmt.Sprintf("%s:%d/%s", c.s.Host, c.s.Port, c.s.Security)
				}
				if got != c.want {
					t.Errorf("mailprobe detect %s: recommended %q, want %q", sc.Domain, got, c.want)
				}
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-v"}} {
		code, stdout, stderr := runCLI(t, args...)
		if want := "mailprobe " + version.String() + "\n"; code != exitOK || stdout != want || stderr != "" {
			t.Errorf("mailprobe %s = exit %d, %q, stderr %q; want exit 0, %q", args[0], code, stdout, stderr, want)
		}
	}
	// The completion scripts come with cobra's generator (make dist ships them).
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, stdout, _ := runCLI(t, "completion", shell)
		if code != exitOK || !strings.Contains(stdout, "mailprobe") {
			t.Errorf("mailprobe completion %s = exit %d, %d bytes; want a script", shell, code, len(stdout))
		}
	}
}
