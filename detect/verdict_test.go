package detect_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/internal/version"
)

// TestDirectionVerdicts: the per-direction verdicts and the reason are
// decided in detect and are part of the JSON contract (issue 10, point 7).
func TestDirectionVerdicts(t *testing.T) {
	l := startLab(t, lab.Options{})
	reps := runAll(t, l)
	for _, tc := range []struct {
		domain  string
		in, out detect.Verdict
	}{
		{"demo.test", detect.VerdictSecure, detect.VerdictSecure},
		{"srv.test", detect.VerdictSecure, detect.VerdictSecure},
		{"srvout.test", detect.VerdictCaveats, detect.VerdictCaveats},
		{"nostarttls.test", detect.VerdictUnsafe, detect.VerdictUnsafe},
		{"nothing.test", detect.VerdictNone, detect.VerdictNone},
		{"guessfail.test", detect.VerdictNone, detect.VerdictNone},
	} {
		rep := reps[tc.domain]
		if rep.IncomingVerdict != tc.in || rep.OutgoingVerdict != tc.out {
			t.Errorf("Run(%s) verdicts = %s/%s, want %s/%s", tc.domain, rep.IncomingVerdict, rep.OutgoingVerdict, tc.in, tc.out)
		}
		for what, s := range map[string]string{"reason": rep.Reason, "incoming_reason": rep.IncomingReason, "outgoing_reason": rep.OutgoingReason} {
			if s == "" || !strings.HasSuffix(s, ".") {
				t.Errorf("Run(%s).%s = %q, want one sentence", tc.domain, what, s)
			}
		}
		// The report's verdicts are Judge's with the run's confirmations.
		for _, in := range []bool{true, false} {
			d := detect.Judge(rep, in, nil)
			want := rep.OutgoingVerdict
			if in {
				want = rep.IncomingVerdict
			}
			if d.Verdict != want {
				t.Errorf("Judge(%s, incoming=%v) = %s, report says %s", tc.domain, in, d.Verdict, want)
			}
		}
		b, err := json.Marshal(rep)
		if err != nil {
			t.Fatal(err)
		}
		for _, field := range []string{`"incoming_verdict":`, `"outgoing_verdict":`, `"reason":`} {
			if !strings.Contains(string(b), field) {
				t.Errorf("JSON report of %s lacks %s", tc.domain, field)
			}
		}
	}
	// A confirmation lifts the caveat of an unsigned SRV target outside
	// the domain.
	rep := reps["srvout.test"]
	if d := detect.Judge(rep, true, []string{"mail.provider.test"}); d.Verdict != detect.VerdictSecure {
		t.Errorf("Judge(srvout.test, confirmed mail.provider.test) = %s (%s), want secure", d.Verdict, d.Reason)
	}
	// The overall verdict follows the same confirmation, so that a front
	// end's banner never disagrees with its direction cards; without one it
	// is the report's own.
	if v, reason := detect.JudgeReport(rep, nil); v != rep.Verdict || reason != rep.Reason {
		t.Errorf("JudgeReport(srvout.test, nil) = %s (%s), report says %s (%s)", v, reason, rep.Verdict, rep.Reason)
	}
	if v, reason := detect.JudgeReport(rep, []string{"mail.provider.test"}); v != detect.VerdictSecure || !strings.Contains(reason, "you confirmed") {
		t.Errorf("JudgeReport(srvout.test, confirmed mail.provider.test) = %s (%s), want secure, saying it was confirmed", v, reason)
	}
	// Every report names its generator and release (an additive field of
	// contract version 2).
	if g := rep.Generator; g == nil || g.Name != "mailsetup" || g.Version != version.String() {
		t.Errorf("Run(srvout.test).Generator = %+v, want mailsetup %s", g, version.String())
	}
	if b, _ := json.Marshal(rep); !strings.Contains(string(b), `"generator":{"name":"mailsetup","version":"`+version.String()+`"}`) {
		t.Errorf("JSON report lacks the generator: %.200s", b)
	}
	if rep.Version != 2 || detect.ReportVersion != 2 {
		t.Errorf("report version = %d, want 2 (dnssec changed meaning, verdict fields added)", rep.Version)
	}
}

// TestResolverFailure: when every DNS query fails, the verdict is none
// with a dns-failed warning, not "nothing found, publish SRV records".
func TestResolverFailure(t *testing.T) {
	o := &detect.Options{Resolver: resolver.New("127.0.0.1:9"), NoISPDB: true, Timeout: 5 * time.Second,
		Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, errors.New("network is unreachable")
		}}
	rep, err := detect.Run(context.Background(), "alice@example.org", o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != detect.VerdictNone || !rep.Offline() {
		t.Errorf("Run with a dead resolver = %s, offline %v, want none, offline", rep.Verdict, rep.Offline())
	}
	got := codes(rep)
	want := []string{detect.WarnDNSFailed}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Run with a dead resolver: warnings = %v, want %v", got, want)
	}
	if rep.ExitCode() != 2 {
		t.Errorf("ExitCode() = %d, want 2", rep.ExitCode())
	}
}

// TestNeedsConfirmation is the trust rule of DESIGN.md, case by case.
func TestNeedsConfirmation(t *testing.T) {
	verified := detect.ProbeReport{Status: detect.ProbeOK, Cert: &detect.CertReport{Valid: true}}
	srv := func(host string, trust detect.Trust, p detect.ProbeReport, sources ...detect.SourceName) *detect.Server {
		if p.Cert != nil {
			c := *p.Cert
			c.MatchedName = host
			p.Cert = &c
		}
		return &detect.Server{Host: host, Trust: trust, Sources: sources, Security: autoconfig.TLS, Probe: p}
	}
	for _, tc := range []struct {
		name   string
		s      *detect.Server
		domain string
		want   bool
	}{
		{"unsigned SRV, target in the domain, verified", srv("mail.example.org", detect.TrustDNS, verified, detect.SourceSRV), "example.org", false},
		{"unsigned SRV, target is the domain", srv("example.org", detect.TrustDNS, verified, detect.SourceSRV), "example.org", false},
		{"unsigned SRV, target under a co.uk domain", srv("mail.example.co.uk", detect.TrustDNS, verified, detect.SourceSRV), "example.co.uk", false},
		{"unsigned SRV, IDNA target in the domain", srv("mail.xn--bcher-kva.example", detect.TrustDNS, verified, detect.SourceSRV), "bücher.example", false},
		{"unsigned SRV, target outside", srv("mail.provider.net", detect.TrustDNS, verified, detect.SourceSRV), "example.org", true},
		{"unsigned SRV, look-alike suffix", srv("mail.badexample.org", detect.TrustDNS, verified, detect.SourceSRV), "example.org", true},
		{"unsigned SRV, not verified", srv("mail.example.org", detect.TrustDNS, detect.ProbeReport{Status: detect.ProbeTLSError}, detect.SourceSRV), "example.org", true},
		{"MX in the domain", srv("mail.example.org", detect.TrustMX, verified, detect.SourceMX), "example.org", true},
		{"guess in the domain", srv("mail.example.org", detect.TrustGuess, verified, detect.SourceGuess), "example.org", true},
		{"http in the domain", srv("mail.example.org", detect.TrustInsecure, verified, detect.SourceAutoconfigHTTP), "example.org", true},
		{"redirect", srv("mail.example.org", detect.TrustRedirect, verified, detect.SourceAutodiscover), "example.org", true},
		{"https", srv("mail.provider.net", detect.TrustHTTPS, verified, detect.SourceAutoconfig), "example.org", false},
	} {
		if got := detect.NeedsConfirmation(tc.s, tc.domain); got != tc.want {
			t.Errorf("%s: NeedsConfirmation(%s, %s) = %v, want %v", tc.name, tc.s.Host, tc.domain, got, tc.want)
		}
	}
}

func TestRegisteredDomain(t *testing.T) {
	for host, want := range map[string]string{
		"mail.example.co.uk":    "example.co.uk",
		"imap.mail.example.org": "example.org",
		"example.org":           "example.org",
		"MAIL.Example.ORG.":     "example.org",
		"co.uk":                 "co.uk",
	} {
		if got := detect.RegisteredDomain(host); got != want {
			t.Errorf("RegisteredDomain(%q) = %q, want %q", host, got, want)
		}
	}
	if !detect.InDomain("mail.example.co.uk", "example.co.uk") || detect.InDomain("example.co.uk", "mail.example.co.uk") {
		t.Errorf("InDomain gets co.uk membership wrong")
	}
}
