package detect_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/pacc"
)

// TestPACC runs the PACC scenarios one at a time, so that the lab's request
// log tells which run asked what, and checks the source's security rules:
// trust from the TXT answer, nothing from a document its digest does not
// vouch for, no address in the request, https to ua-auto-config.D only.
func TestPACC(t *testing.T) {
	l := startLab(t, lab.Options{})
	for _, tc := range []struct {
		domain string
		// trust is the trust of the servers the source names, "" when it
		// must name none.
		trust detect.Trust
		// says is a fragment of the source's detail.
		says string
	}{
		{"pacc.test", detect.TrustDNSSEC, "servers from https://ua-auto-config.pacc.test"},
		{"paccunsigned.test", detect.TrustHTTPS, "servers from"},
		{"pacclong.test", detect.TrustDNSSEC, "servers from"},
		{"paccbad.test", "", "does not match the published digest"},
		{"paccredirect.test", "", "refused PACC redirect"},
		{"pacchttp.test", "", "connection refused"},
		{"pacccert.test", "", "certificate"},
		{"pacchuge.test", "", "document too large"},
		{"paccbogus.test", "", "bogus"},
	} {
		t.Run(tc.domain, func(t *testing.T) {
			before := len(l.Requests())
			o := l.DetectOptions()
			o.Timeout = time.Minute
			o.Exhaustive = true // every source answers
			rep, err := detect.Run(context.Background(), lab.User(tc.domain), o)
			if err != nil {
				t.Fatal(err)
			}
			src := source(rep, detect.SourcePACC)
			if !strings.Contains(src.Detail, tc.says) {
				t.Errorf("pacc source of %s = %s %q, want it to say %q", tc.domain, src.Status, src.Detail, tc.says)
			}
			named := 0
			for _, s := range append(rep.Incoming, rep.Outgoing...) {
				if !slices.Contains(s.Sources, detect.SourcePACC) {
					continue
				}
				named++
				if tc.trust == "" {
					t.Errorf("%s: server %s:%d named by pacc, want none (%s)", tc.domain, s.Host, s.Port, src.Detail)
				} else if s.Trust != tc.trust {
					t.Errorf("%s: server %s:%d trust = %s, want %s", tc.domain, s.Host, s.Port, s.Trust, tc.trust)
				}
			}
			if tc.trust != "" && named != 2 {
				t.Errorf("%s: pacc named %d servers, want IMAP and SMTP", tc.domain, named)
			}
			mismatch := slices.Contains(codes(rep), detect.WarnPACCDigestMismatch)
			if mismatch != (tc.domain == "paccbad.test") {
				t.Errorf("%s: warnings = %v, pacc-digest-mismatch wanted only for paccbad.test", tc.domain, codes(rep))
			}
			for _, r := range l.Requests()[before:] {
				if !strings.HasPrefix(r.Host, "ua-auto-config.") {
					continue
				}
				if r.Host != pacc.Host(tc.domain) {
					t.Errorf("%s: PACC request went to %s (a redirect followed off the host)", tc.domain, r.Host)
				}
				if r.Scheme != "https" || r.Method != "GET" {
					t.Errorf("%s: PACC request %s %s://%s, want https GET only", tc.domain, r.Method, r.Scheme, r.Host)
				}
				for _, leak := range []string{"alice", "@", "%40", "emailaddress"} {
					if strings.Contains(strings.ToLower(r.URL+r.Body+r.Authorization), leak) {
						t.Errorf("%s: PACC request %s%s carries %q", tc.domain, r.Host, r.URL, leak)
					}
				}
			}
		})
	}
}

// TestPACCWarningSaid: the digest mismatch is explained in the report's
// language, with the document's URL and the record's name.
func TestPACCWarningSaid(t *testing.T) {
	l := startLab(t, lab.Options{})
	o := l.DetectOptions()
	o.Timeout = time.Minute
	rep, err := detect.Run(context.Background(), lab.User("paccbad.test"), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range rep.Warnings {
		if w.Code != detect.WarnPACCDigestMismatch {
			continue
		}
		if w.Severity != detect.SeverityWarning || !strings.Contains(w.Message, pacc.URL("paccbad.test")) ||
			!strings.Contains(w.Fix, "_ua-auto-config.paccbad.test") {
			t.Errorf("pacc-digest-mismatch = %+v, want a warning naming the URL and the record", w)
		}
		return
	}
	t.Errorf("paccbad.test warnings = %v, want pacc-digest-mismatch", codes(rep))
}
