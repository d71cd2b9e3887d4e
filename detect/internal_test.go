package detect

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMXProviderDomains(t *testing.T) {
	for _, tc := range []struct {
		mx, domain string
		want       []string
	}{
		{"mx1.mail.provider.co.uk", "user.org", []string{"mail.provider.co.uk", "provider.co.uk"}},
		{"mx.provider.net", "user.org", []string{"provider.net"}},
		{"aspmx.l.google.com", "user.org", []string{"l.google.com", "google.com"}},
		{"mx.co.uk", "user.org", []string{"mx.co.uk"}}, // never the parent co.uk, a public suffix
		{"mx.user.org", "user.org", nil},               // the email domain itself was already asked
		{"mx1.user.org.example", "user.org", []string{"user.org.example", "org.example"}},
		{"localhost", "user.org", nil},
		{"mail.example.test", "x.test", []string{"example.test"}},
	} {
		if got := mxProviderDomains(tc.mx, tc.domain); !slices.Equal(got, tc.want) {
			t.Errorf("mxProviderDomains(%q, %q) = %q, want %q", tc.mx, tc.domain, got, tc.want)
		}
	}
}

func TestAutodiscoverURLsNeverPublicSuffix(t *testing.T) {
	for _, d := range []string{"co.uk", "com", "test", "github.io"} {
		if got := autodiscoverURLs(d); got != nil {
			t.Errorf("autodiscoverURLs(%q) = %q, want none", d, got)
		}
	}
	if got := autodiscoverURLs("example.co.uk"); len(got) != 2 || !strings.HasPrefix(got[0], "https://autodiscover.example.co.uk/") {
		t.Errorf("autodiscoverURLs(example.co.uk) = %q", got)
	}
}

func TestHTTPURLsCarryNoAddress(t *testing.T) {
	for _, u := range httpURLs("example.org") {
		if strings.ContainsAny(u, "?@") || !strings.HasPrefix(u, "http://") {
			t.Errorf("http fallback URL %q may carry the address", u)
		}
	}
}

func TestAutodiscoverRequestEscapes(t *testing.T) {
	body := string(autodiscoverRequest(`a<b>&"c"@example.org`))
	if strings.Contains(body, "<b>") || !strings.Contains(body, "a&lt;b&gt;&amp;") {
		t.Errorf("autodiscoverRequest does not escape the address: %s", body)
	}
}

func TestTrustOrder(t *testing.T) {
	order := []Trust{TrustLocal, TrustDNSSEC, TrustHTTPS, TrustISPDB, TrustDNS, TrustMX, TrustRedirect, TrustInsecure, TrustGuess}
	for i := 1; i < len(order); i++ {
		if order[i-1].Level() < order[i].Level() {
			t.Errorf("%s.Level() < %s.Level(), want >=", order[i-1], order[i])
		}
	}
	for _, tr := range order {
		if got, want := tr.NeedsConfirmation(), tr.Level() < TrustHTTPS.Level(); got != want {
			t.Errorf("%s.NeedsConfirmation() = %v, want %v", tr, got, want)
		}
	}
}

// TestGrace: the work still under way once the answer is certain gets a
// tenth of the time spent, and at least minGrace on a fast network.
func TestGrace(t *testing.T) {
	for _, tc := range []struct{ spent, want time.Duration }{
		{0, minGrace},
		{50 * time.Millisecond, minGrace},
		{200 * time.Millisecond, 20 * time.Millisecond},
		{time.Second, 100 * time.Millisecond},
	} {
		if got := graceFor(tc.spent); got != tc.want {
			t.Errorf("graceFor(%s) = %s, want %s", tc.spent, got, tc.want)
		}
	}
}
