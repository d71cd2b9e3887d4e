package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/pacc"
)

// demoReport saves the JSON report of `mailprobe demo` for ADDRESS.
func demoReport(t *testing.T, address string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, "demo", "--json", address)
	if code != exitOK && code != exitDanger && code != exitNothing {
		t.Fatalf("mailprobe demo --json %s = exit %d: %s", address, code, stderr)
	}
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestExportFormats(t *testing.T) {
	from := demoReport(t, "alice@demo.test")
	for _, tc := range []struct {
		format string
		check  func(t *testing.T, out []byte)
	}{
		{"autoconfig", func(t *testing.T, out []byte) {
			cfg, err := autoconfig.ReadMozilla(bytes.NewReader(out), autoconfig.Vars{})
			if err != nil || len(cfg.Incoming) != 1 || cfg.Incoming[0].Hostname != "mail.demo.test" || cfg.Incoming[0].Username != "%EMAILADDRESS%" {
				t.Errorf("autoconfig export reads back as %+v, %v; want mail.demo.test with %%EMAILADDRESS%%", cfg, err)
			}
		}},
		{"autodiscover", func(t *testing.T, out []byte) {
			res, err := autoconfig.ReadAutodiscover(bytes.NewReader(out), autoconfig.Vars{})
			if err != nil || res.Config == nil || res.Config.Outgoing[0].Port != 465 {
				t.Errorf("autodiscover export reads back as %+v, %v", res, err)
			}
		}},
		{"thunderbird", func(t *testing.T, out []byte) {
			if !bytes.Contains(out, []byte(`user_pref("mail.server.server1.socketType", 3);`)) {
				t.Errorf("user.js lacks the implicit-TLS socketType:\n%s", out)
			}
		}},
		{"apple", func(t *testing.T, out []byte) {
			if !bytes.Contains(out, []byte("com.apple.mail.managed")) || !bytes.HasPrefix(out, []byte("<?xml")) {
				t.Errorf("apple export is not an unsigned mail profile:\n%s", out)
			}
		}},
		{"qr", func(t *testing.T, out []byte) {
			if !bytes.HasPrefix(out, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("qr export is not a PNG")
			}
		}},
		{"html", func(t *testing.T, out []byte) {
			if !bytes.Contains(out, []byte("mail.demo.test")) || bytes.Contains(out, []byte("<script")) {
				t.Errorf("html export lacks the server or carries a script")
			}
		}},
		{"json", func(t *testing.T, out []byte) { checkContract(t, out) }},
		{"zone", func(t *testing.T, out []byte) {
			zp := dns.NewZoneParser(bytes.NewReader(out), "", "")
			var srv, tlsa int
			for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
				switch rr.(type) {
				case *dns.SRV:
					srv++
				case *dns.TLSA:
					tlsa++
				}
			}
			if err := zp.Err(); err != nil || srv != 6 || tlsa == 0 {
				t.Errorf("zone export: %d SRV, %d TLSA, error %v; want 6 SRV, some TLSA, no error", srv, tlsa, err)
			}
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "export")
			code, _, stderr := runCLI(t, "export", "--from", from, "--format", tc.format, "-o", out)
			if code != exitOK {
				t.Fatalf("mailprobe export --format %s = exit %d: %s", tc.format, code, stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, data)
		})
	}
}

// TestExportPACC: `mailprobe export --format pacc` writes the document of
// what pacc.test's PACC document and probes verified, and prints the TXT
// record of its exact bytes, which the zone format (`mailprobe records`)
// holds too.
func TestExportPACC(t *testing.T) {
	from := demoReport(t, "alice@pacc.test")
	code, stdout, stderr := runCLI(t, "export", "--from", from, "--format", "pacc")
	if code != exitOK {
		t.Fatalf("mailprobe export --format pacc = exit %d: %s", code, stderr)
	}
	d, err := pacc.Parse([]byte(stdout))
	if err != nil || d.Protocols.IMAP == nil || d.Protocols.IMAP.Host != "mail.pacc.test" || d.Protocols.SMTP == nil {
		t.Fatalf("pacc export reads back as %+v, %v:\n%s", d, err, stdout)
	}
	line := pacc.TXTLine("pacc.test", pacc.NewRecord([]byte(stdout)).String())
	if !strings.Contains(stderr, line) {
		t.Errorf("export --format pacc stderr = %q, want the record %q", stderr, line)
	}
	// mailprobe records writes the zone format, whose record is this one
	// (export.TestWriteEveryFormat); it detects on the real network, so it
	// is not run here.
	code, stdout, _ = runCLI(t, "export", "--from", from, "--format", "zone")
	if code != exitOK || !strings.Contains(stdout, line) {
		t.Errorf("mailprobe export --format zone = exit %d, %q; want the record %q", code, stdout, line)
	}
}

func TestExportRefuses(t *testing.T) {
	from := demoReport(t, "alice@demo.test")
	unsafe := demoReport(t, "alice@badcert.test")
	t.Setenv("MAILPROBE_PASSWORD", "secret")
	for _, tc := range []struct {
		args []string
		code int
		why  string
	}{
		{[]string{"export", "--from", from}, exitUsage, "--format"},
		{[]string{"export", "--from", from, "--format", "pdf"}, exitUsage, "--format"},
		{[]string{"export", "--from", from, "--format", "apple", "--include-password"}, exitUsage, "signed"},
		{[]string{"export", "--from", from, "--format", "autoconfig", "--include-password"}, exitUsage, "never carries a password"},
		{[]string{"export", "--from", from, "--format", "zone", "--sign-p12", "x.p12"}, exitUsage, "apple"},
		{[]string{"export", "--from", "/nonexistent.json", "--format", "json"}, exitUsage, "--from"},
		{[]string{"export", "--from", from, "alice@demo.test", "--format", "json"}, exitUsage, "not both"},
		{[]string{"export", "--from", unsafe, "--format", "autoconfig"}, exitNothing, "nothing to export"},
	} {
		code, stdout, stderr := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.why) {
			t.Errorf("mailprobe %v = exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, stderr, tc.code, tc.why)
		}
		if strings.Contains(stdout+stderr, "secret") {
			t.Errorf("mailprobe %v printed the password", tc.args)
		}
	}
}

// editReport saves a copy of the JSON report at path with edit applied to
// its decoded form, as someone editing the file by hand would.
func editReport(t *testing.T, path string, edit func(rep map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rep map[string]any
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	edit(rep)
	if data, err = json.MarshalIndent(rep, "", "  "); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "edited.json")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestExportRefusesEditedReport: a saved report whose recommended server is
// edited to plaintext (or to a failed probe, an invalid certificate) is
// refused by every settings format with exit 2 and nothing written, while
// the recommended flag still says true.
func TestExportRefusesEditedReport(t *testing.T) {
	from := demoReport(t, "alice@demo.test")
	first := func(rep map[string]any, dir string) map[string]any {
		return rep[dir].([]any)[0].(map[string]any)
	}
	for _, tc := range []struct {
		name string
		edit func(rep map[string]any)
		why  string
	}{
		{"incoming plain", func(rep map[string]any) { first(rep, "incoming")["security"] = "plain" }, `security is "plain"`},
		{"outgoing plain", func(rep map[string]any) { first(rep, "outgoing")["security"] = "plain" }, `security is "plain"`},
		{"probe failed", func(rep map[string]any) {
			first(rep, "incoming")["probe"].(map[string]any)["status"] = "timeout"
		}, "probe did not succeed"},
		{"certificate invalid", func(rep map[string]any) {
			first(rep, "outgoing")["probe"].(map[string]any)["cert"].(map[string]any)["valid"] = false
		}, "certificate was not verified"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := editReport(t, from, tc.edit)
			for _, format := range []string{"autoconfig", "thunderbird", "apple", "autodiscover", "qr", "zone"} {
				out := filepath.Join(t.TempDir(), "export")
				code, stdout, stderr := runCLI(t, "export", "--from", edited, "--format", format, "-o", out)
				if code != exitNothing || !strings.Contains(stderr, tc.why) || !strings.Contains(stderr, "edited") {
					t.Errorf("mailprobe export --format %s of an edited report = exit %d, stderr %q; want exit %d saying %q", format, code, stderr, exitNothing, tc.why)
				}
				if _, err := os.Stat(out); err == nil || stdout != "" {
					t.Errorf("mailprobe export --format %s of an edited report wrote something", format)
				}
			}
			// The reports describe any outcome.
			if code, _, stderr := runCLI(t, "export", "--from", edited, "--format", "json"); code != exitOK {
				t.Errorf("mailprobe export --format json of an edited report = exit %d: %s", code, stderr)
			}
		})
	}
}
