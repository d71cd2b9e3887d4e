package detect

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// TestFailureWarnings: when nothing is usable, the warning says what
// stopped the best server; only a timeout suggests another network.
func TestFailureWarnings(t *testing.T) {
	tests := []struct {
		name  string
		probe ProbeReport
		sec   autoconfig.Security
		code  string
		sev   Severity
	}{
		{"NXDOMAIN", ProbeReport{Status: ProbeUnreachable, Failure: probe.ErrHostNotFound.Code()}, autoconfig.TLS, WarnHostNotFound, SeverityDanger},
		{"lookup failed", ProbeReport{Status: ProbeUnreachable, Failure: probe.ErrLookupFailed.Code()}, autoconfig.TLS, WarnDNSFailed, SeverityDanger},
		{"closed port", ProbeReport{Status: ProbeUnreachable, Failure: probe.ErrConnectionRefused.Code()}, autoconfig.TLS, WarnConnectionRefused, SeverityDanger},
		{"no route", ProbeReport{Status: ProbeUnreachable, Failure: probe.ErrNetworkUnreachable.Code()}, autoconfig.TLS, WarnNetworkUnreachable, SeverityDanger},
		{"silent", ProbeReport{Status: ProbeTimeout, Failure: probe.ErrTimeout.Code()}, autoconfig.TLS, WarnServerTimeout, SeverityDanger},
		{"cut off by the deadline", ProbeReport{Status: ProbeTimeout, Error: "deadline"}, autoconfig.TLS, WarnServerTimeout, SeverityDanger},
		{"not probed", ProbeReport{Status: ProbeNotProbed, Error: "deadline"}, autoconfig.TLS, WarnServerTimeout, SeverityDanger},
		{"bad TLS", ProbeReport{Status: ProbeTLSError, Failure: probe.ErrTLS.Code()}, autoconfig.TLS, WarnTLSFailed, SeverityDanger},
		{"broken protocol", ProbeReport{Status: ProbeProtocolError, Failure: probe.ErrProtocol.Code(), STARTTLSOffered: true}, autoconfig.STARTTLS, WarnProbeFailed, SeverityDanger},
		{"STARTTLS refused", ProbeReport{Status: ProbeProtocolError, Failure: probe.ErrSTARTTLSRefused.Code(), STARTTLSOffered: true}, autoconfig.STARTTLS, WarnSTARTTLSMissing, SeverityDanger},
		{"STARTTLS missing", ProbeReport{Status: ProbeProtocolError, Failure: probe.ErrSTARTTLSMissing.Code()}, autoconfig.STARTTLS, WarnSTARTTLSMissing, SeverityDanger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := &Report{Domain: "example.org", Incoming: []Server{{Protocol: autoconfig.IMAP, Host: "mail.example.org", Port: 993,
				Security: tt.sec, Sources: []SourceName{SourceAutoconfig}, Trust: TrustHTTPS, Probe: tt.probe}}}
			ws := warnings(rep)
			var got *Warning
			for i := range ws {
				if ws[i].Server == "mail.example.org:993" {
					got = &ws[i]
				}
			}
			if got == nil || got.Code != tt.code || got.Severity != tt.sev {
				t.Fatalf("warnings() = %+v, want %s (%s) for the server", ws, tt.code, tt.sev)
			}
			network := strings.Contains(got.Fix, "another network")
			// Stripping may happen on this network, so starttls-missing may
			// suggest another one too.
			if tt.code != WarnSTARTTLSMissing && network != (tt.code == WarnServerTimeout || tt.code == WarnNetworkUnreachable) {
				t.Errorf("%s fix = %q: only a timeout or a missing route suggests another network", tt.code, got.Fix)
			}
			if slices.ContainsFunc(ws, func(w Warning) bool { return w.Code == "unreachable" }) {
				t.Errorf("warnings() = %+v, want no catch-all unreachable", ws)
			}
			if tt.code == WarnSTARTTLSMissing {
				refused := strings.Contains(got.Message, "advertised STARTTLS, then refused")
				if refused != (tt.probe.Failure == probe.ErrSTARTTLSRefused.Code()) {
					t.Errorf("starttls-missing message = %q: says advertised-then-refused = %v, want %v", got.Message, refused, !refused)
				}
			}
		})
	}
}

// TestSTARTTLSInjectionWarning: discarded injected bytes are a warning on
// a server that is still recommended, naming the server and the count.
func TestSTARTTLSInjectionWarning(t *testing.T) {
	rep := &Report{Domain: "example.org", Incoming: []Server{{Recommended: true, Protocol: autoconfig.IMAP, Host: "mail.example.org", Port: 143,
		Security: autoconfig.STARTTLS, Sources: []SourceName{SourceAutoconfig}, Trust: TrustHTTPS,
		Probe: ProbeReport{Status: ProbeOK, STARTTLSOffered: true, STARTTLSInjected: 42, Cert: &CertReport{Valid: true}}}}}
	ws := warnings(rep)
	i := slices.IndexFunc(ws, func(w Warning) bool { return w.Code == WarnSTARTTLSInjection })
	if i < 0 {
		t.Fatalf("warnings() = %+v, want %s", ws, WarnSTARTTLSInjection)
	}
	if w := ws[i]; w.Severity != SeverityWarning || w.Server != "mail.example.org:143" || !strings.Contains(w.Message, "42 bytes") {
		t.Errorf("warning = %+v, want severity warning, the server and the byte count", w)
	}
}

// TestBogusAddressesLeftToDNSSECBogus: a best server whose addresses failed
// DNSSEC validation gets no failure warning of its own: the report's
// dnssec-bogus warning says it (matched by kind, not by message text).
func TestBogusAddressesLeftToDNSSECBogus(t *testing.T) {
	rep := &Report{Domain: "example.org", Incoming: []Server{{Protocol: autoconfig.IMAP, Host: "mail.example.org", Port: 993,
		Security: autoconfig.TLS, Sources: []SourceName{SourceAutoconfig}, Trust: TrustHTTPS,
		Probe: ProbeReport{Status: ProbeUnreachable, Failure: probe.ErrDNSSECBogus.Code(), Error: "the addresses were not used"}}}}
	for _, w := range warnings(rep) {
		if w.Server == "mail.example.org:993" {
			t.Errorf("warnings() has %+v, want none for the server (dnssec-bogus explains it)", w)
		}
	}
}
