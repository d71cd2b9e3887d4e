package realmail

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// options are the engine's options for one detection: the test's DNS
// server, the test CA, no ISP database, no trust anchor (the zones are
// unsigned: every answer is indeterminate) and the real loopback addresses.
func (w *world) options() *detect.Options {
	return &detect.Options{
		Resolver:     resolver.New(w.dns),
		RootCAs:      w.pool,
		NoISPDB:      true,
		Timeout:      10 * time.Second,
		ProbeTimeout: 2 * time.Second,
		TrustAnchors: []dns.RR{},
	}
}

// row is one line of the summary table.
type row struct {
	scenario, verdict, in, out, warnings string
}

func rec(s *detect.Server) string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%s:%d/%s", s.Host, s.Port, s.Security)
}

func codes(rep *detect.Report) []string {
	var cs []string
	for _, w := range rep.Warnings {
		cs = append(cs, w.Code+"("+string(w.Severity)+")")
	}
	return cs
}

func hasWarning(rep *detect.Report, code, server string) bool {
	return slices.ContainsFunc(rep.Warnings, func(w detect.Warning) bool {
		return w.Code == code && (server == "" || w.Server == server)
	})
}

func find(list []detect.Server, host string, port int) *detect.Server {
	for i := range list {
		if list[i].Host == host && list[i].Port == port {
			return &list[i]
		}
	}
	return nil
}

// TestRealServers runs the scenarios against Dovecot, Postfix and nginx;
// see the package documentation.
func TestRealServers(t *testing.T) {
	requireTools(t)
	start := time.Now()
	w := startWorld(t)
	t.Logf("servers up in %v", time.Since(start).Round(time.Millisecond))

	var rows []row
	detectRun := func(t *testing.T, scenario, domain string, mod func(*detect.Options)) *detect.Report {
		t.Helper()
		o := w.options()
		if mod != nil {
			mod(o)
		}
		rep, err := detect.Run(context.Background(), localPart+"@"+domain, o)
		if err != nil {
			t.Fatalf("detect.Run: %v", err)
		}
		in, out := rep.Recommended()
		rows = append(rows, row{scenario, string(rep.Verdict), rec(in), rec(out), strings.Join(codes(rep), " ")})
		t.Cleanup(func() {
			if t.Failed() {
				logReport(t, rep)
			}
		})
		return rep
	}
	scenarios := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"correct", func(t *testing.T) {
			// Exhaustive: every server the autoconfig file names is probed,
			// so the STARTTLS ports of Dovecot and Postfix are checked too.
			rep := detectRun(t, "correct", "interop.test", func(o *detect.Options) { o.Exhaustive = true })
			in, out := rep.Recommended()
			if rep.Verdict != detect.VerdictSecure {
				t.Errorf("verdict %s, want secure", rep.Verdict)
			}
			if rec(in) != "imap.interop.test:993/tls" || rec(out) != "smtp.interop.test:465/tls" {
				t.Fatalf("recommended %s and %s, want imap.interop.test:993/tls and smtp.interop.test:465/tls", rec(in), rec(out))
			}
			for _, s := range []*detect.Server{in, out} {
				if len(s.Probe.Capabilities) == 0 {
					t.Errorf("%s: no capabilities", s.HostPort())
				}
				if !slices.Contains(s.Probe.SASL, "PLAIN") {
					t.Errorf("%s: SASL %v, want PLAIN among them", s.HostPort(), s.Probe.SASL)
				}
				if s.Trust != detect.TrustHTTPS {
					t.Errorf("%s: trust %s, want https", s.HostPort(), s.Trust)
				}
			}
			for _, list := range [][]detect.Server{rep.Incoming, rep.Outgoing} {
				for _, s := range list {
					if s.Probe.Status != detect.ProbeOK {
						t.Errorf("%s/%s: probe %s (%s), want ok", s.HostPort(), s.Security, s.Probe.Status, s.Probe.Error)
					}
				}
			}
			for _, want := range []struct {
				host string
				port int
			}{{"imap.interop.test", 143}, {"pop.interop.test", 995}, {"pop.interop.test", 110}} {
				if find(rep.Incoming, want.host, want.port) == nil {
					t.Errorf("%s:%d missing from incoming", want.host, want.port)
				}
			}
			if find(rep.Outgoing, "smtp.interop.test", 587) == nil {
				t.Errorf("smtp.interop.test:587 missing from outgoing")
			}
			for _, src := range rep.Sources {
				if (src.Name == detect.SourceAutoconfig || src.Name == detect.SourceAutodiscover) && src.Status != detect.StatusFound {
					t.Errorf("source %s: %s (%s), want found", src.Name, src.Status, src.Detail)
				}
			}

			// The login check: IMAP at Dovecot, SMTP AUTH at Postfix, which
			// asks Dovecot's auth socket.
			if err := detect.VerifyLogin(context.Background(), rep, detect.LoginRequest{Password: password}, w.options()); err != nil {
				t.Fatalf("VerifyLogin: %v", err)
			}
			in, out = rep.Recommended()
			for _, s := range []*detect.Server{in, out} {
				if s.Login.Status != detect.LoginOK || s.Login.Username != localPart+"@interop.test" {
					t.Errorf("%s: login %s as %q (%s), want ok as %s@interop.test", s.HostPort(), s.Login.Status, s.Login.Username, s.Login.Error, localPart)
				}
			}
			rows = append(rows, row{"correct: login", "", in.Login.Status, out.Login.Status, ""})
			// A wrong password: Dovecot (stock settings) answers a failed
			// authentication after auth_failure_delay (2 s) and, from the
			// same client address, after a growing penalty (2, 4, 8, 15 s),
			// which Postfix's SASL shares: with two user names per server,
			// a rejection takes 8 to 16 s to arrive. The whole check gets
			// 40 s here, so that what is judged is each connection's budget.
			t.Run("wrong-password", func(t *testing.T) {
				lo := w.options()
				lo.Timeout = 40 * time.Second
				if err := detect.VerifyLogin(context.Background(), rep, detect.LoginRequest{Password: "wrong " + password}, lo); err != nil {
					t.Fatalf("VerifyLogin: %v", err)
				}
				rows = append(rows, row{"correct: wrong password", "", in.Login.Status, out.Login.Status, ""})
				for _, s := range []*detect.Server{in, out} {
					t.Logf("%s: login %s after %d ms, tried %v: %s", s.HostPort(), s.Login.Status, s.Login.ElapsedMS, s.Login.Tried, s.Login.Error)
					if s.Login.Status != detect.LoginFailed {
						t.Errorf("%s: login with a wrong password: %s, want failed", s.HostPort(), s.Login.Status)
					}
				}
			})
		}},
		{"starttls-only", func(t *testing.T) {
			rep := detectRun(t, "starttls-only", "starttls.interop.test", nil)
			in, out := rep.Recommended()
			if rec(in) != "imap.starttls.interop.test:143/starttls" || rec(out) != "smtp.starttls.interop.test:587/starttls" {
				t.Fatalf("recommended %s and %s, want imap.starttls.interop.test:143/starttls and smtp.starttls.interop.test:587/starttls", rec(in), rec(out))
			}
			for _, s := range []*detect.Server{in, out} {
				if !hasWarning(rep, detect.WarnImplicitTLSUnavailable, s.HostPort()) {
					t.Errorf("no %s warning for %s", detect.WarnImplicitTLSUnavailable, s.HostPort())
				}
				if !slices.Contains(s.Probe.SASL, "PLAIN") {
					t.Errorf("%s: SASL %v after STARTTLS, want PLAIN among them", s.HostPort(), s.Probe.SASL)
				}
			}
			if rep.Verdict != detect.VerdictSecure {
				t.Errorf("verdict %s, want secure (implicit-tls-unavailable is info)", rep.Verdict)
			}
		}},
		{"no-starttls", func(t *testing.T) {
			rep := detectRun(t, "no-starttls", "nostarttls.interop.test", nil)
			in, out := rep.Recommended()
			if rec(in) != "imap.nostarttls.interop.test:993/tls" {
				t.Errorf("incoming %s, want imap.nostarttls.interop.test:993/tls", rec(in))
			}
			if out != nil {
				t.Errorf("outgoing %s recommended, want none", rec(out))
			}
			if !hasWarning(rep, detect.WarnSTARTTLSMissing, "smtp.nostarttls.interop.test:587") {
				t.Errorf("no %s warning for smtp.nostarttls.interop.test:587", detect.WarnSTARTTLSMissing)
			}
			if rep.Verdict != detect.VerdictUnsafe {
				t.Errorf("verdict %s, want unsafe", rep.Verdict)
			}
		}},
		{"wrong-cert", func(t *testing.T) {
			rep := detectRun(t, "wrong-cert", "badcert.interop.test", nil)
			in, out := rep.Recommended()
			if in != nil || out != nil {
				t.Errorf("recommended %s and %s, want nothing", rec(in), rec(out))
			}
			for _, hp := range []string{"imap.badcert.interop.test:993", "smtp.badcert.interop.test:465"} {
				if !hasWarning(rep, detect.WarnCertNameMismatch, hp) {
					t.Errorf("no %s warning for %s", detect.WarnCertNameMismatch, hp)
				}
			}
			if rep.Verdict != detect.VerdictUnsafe {
				t.Errorf("verdict %s, want unsafe", rep.Verdict)
			}
		}},
		{"srv-outside", func(t *testing.T) {
			rep := detectRun(t, "srv-outside", "srvout.interop.test", nil)
			in, out := rep.Recommended()
			if rec(in) != "mail.elsewhere.test:993/tls" || rec(out) != "smtp.elsewhere.test:465/tls" {
				t.Fatalf("recommended %s and %s, want mail.elsewhere.test:993/tls and smtp.elsewhere.test:465/tls", rec(in), rec(out))
			}
			for _, s := range []*detect.Server{in, out} {
				if s.Trust != detect.TrustDNS {
					t.Errorf("%s: trust %s, want dns", s.HostPort(), s.Trust)
				}
				if !hasWarning(rep, detect.WarnSRVOutsideDomain, s.HostPort()) {
					t.Errorf("no %s warning for %s", detect.WarnSRVOutsideDomain, s.HostPort())
				}
			}
			if !hasWarning(rep, detect.WarnNeedsConfirmation, "") {
				t.Errorf("no %s warning", detect.WarnNeedsConfirmation)
			}
			if rep.Verdict != detect.VerdictCaveats {
				t.Errorf("verdict %s, want caveats", rep.Verdict)
			}
			// Without the user's confirmation no password goes there.
			if err := detect.VerifyLogin(context.Background(), rep, detect.LoginRequest{Password: password}, w.options()); err != nil {
				t.Fatalf("VerifyLogin: %v", err)
			}
			for _, s := range []*detect.Server{in, out} {
				if s.Login.Status != detect.LoginNotTried {
					t.Errorf("%s: login %s without confirmation, want not-tried", s.HostPort(), s.Login.Status)
				}
			}
		}},
		{"silent-first", func(t *testing.T) {
			began := time.Now()
			rep := detectRun(t, "silent-first", "silent.interop.test", nil)
			took := time.Since(began)
			in, out := rep.Recommended()
			if rec(in) != "mail.silent.interop.test:993/tls" || rec(out) != "smtp.silent.interop.test:465/tls" {
				t.Fatalf("recommended %s and %s, want mail.silent.interop.test:993/tls and smtp.silent.interop.test:465/tls", rec(in), rec(out))
			}
			for _, list := range [][]detect.Server{rep.Incoming, rep.Outgoing} {
				var hang *detect.Server
				for i := range list {
					if list[i].Host == "hang.silent.interop.test" {
						hang = &list[i]
					}
				}
				if hang == nil {
					t.Errorf("hang.silent.interop.test missing from a list")
				} else if hang.Probe.Status != detect.ProbeTimeout {
					t.Errorf("%s: probe %s (%s), want timeout", hang.HostPort(), hang.Probe.Status, hang.Probe.Error)
				}
			}
			// The silent host costs its probe budget (2 s), not the run's
			// deadline (10 s).
			if took > 5*time.Second {
				t.Errorf("detection took %v, want about the probe budget", took)
			}
		}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, sc.run)
	}

	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tverdict\tincoming\toutgoing\twarnings")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.scenario, r.verdict, r.in, r.out, r.warnings)
	}
	tw.Flush()
	t.Logf("real servers (Dovecot, Postfix, nginx), %v in all:\n%s", time.Since(start).Round(time.Millisecond), b.String())
}

// logReport logs what a failed scenario's report says.
func logReport(t *testing.T, rep *detect.Report) {
	t.Logf("verdict %s, dnssec %s", rep.Verdict, rep.DNSSEC)
	for _, s := range rep.Sources {
		t.Logf("source %s: %s %s (%s)", s.Name, s.Status, s.Trust, s.Detail)
	}
	for _, list := range [][]detect.Server{rep.Incoming, rep.Outgoing} {
		for _, s := range list {
			t.Logf("server %s %s/%s rec=%v trust=%s probe=%s %s sasl=%v login=%s %s",
				s.Protocol, s.HostPort(), s.Security, s.Recommended, s.Trust, s.Probe.Status, s.Probe.Error, s.Probe.SASL, s.Login.Status, s.Login.Error)
		}
	}
	for _, w := range rep.Warnings {
		t.Logf("warning %s %s %s: %s", w.Code, w.Severity, w.Server, w.Message)
	}
}
