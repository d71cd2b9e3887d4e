package detect

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// TestDANEOfIndeterminate: a DNSSEC verdict that could not be reached (a
// DNSKEY or DS fetch that failed, a TLSA query that failed) leaves DANE
// indeterminate with the reason, never insecure (issue 11, class 9).
func TestDANEOfIndeterminate(t *testing.T) {
	secure := dnssec.Result{Verdict: dnssec.Secure, Reason: "signed"}
	fetchFailed := dnssec.Result{Verdict: dnssec.Indeterminate,
		Reason: "mail.example.test.: DNSKEY query failed: resolver: server failure"}
	for _, tc := range []struct {
		name       string
		host       *dnssec.Result // nil: the addresses were never looked up
		tlsa       tlsaAnswer
		want       string
		wantReason string
	}{
		{"addresses: DNSKEY fetch failed", &fetchFailed, tlsaAnswer{val: secure}, DANEIndeterminate, "DNSKEY query failed"},
		{"addresses not looked up (IP literal)", nil, tlsaAnswer{val: secure}, DANEInsecure, "could not be validated"},
		{"TLSA: DNSKEY fetch failed", &secure, tlsaAnswer{val: fetchFailed}, DANEIndeterminate, "DNSKEY query failed"},
		{"TLSA query failed", &secure, tlsaAnswer{val: fetchFailed, err: fmt.Errorf("dnssec: lookup: %w", resolver.ErrServerFailure)},
			DANEIndeterminate, "TLSA lookup failed"},
		{"TLSA insecure", &secure, tlsaAnswer{val: dnssec.Result{Verdict: dnssec.Insecure}}, DANEInsecure, "not DNSSEC-signed"},
		{"addresses insecure", &dnssec.Result{Verdict: dnssec.Insecure}, tlsaAnswer{val: fetchFailed}, DANEInsecure, "not DNSSEC-signed"},
		{"TLSA bogus", &secure, tlsaAnswer{val: dnssec.Result{Verdict: dnssec.Bogus, Reason: "bad signature"}}, DANEBogus, "bad signature"},
		{"no TLSA", &secure, tlsaAnswer{val: secure}, DANENone, ""}, // the status says it all
	} {
		t.Run(tc.name, func(t *testing.T) {
			hv := &hostVerdict{}
			if tc.host != nil {
				hv.set(*tc.host)
			}
			got := (&run{}).daneOf("mail.example.test", hv, probe.Result{}, tc.tlsa)
			if got.status != tc.want || !strings.Contains(got.reason, tc.wantReason) || tc.wantReason == "" && got.reason != "" {
				t.Errorf("daneOf() = %s (%s), want %s with %q", got.status, got.reason, tc.want, tc.wantReason)
			}
		})
	}
}
