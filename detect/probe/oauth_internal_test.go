package probe

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"

	"github.com/mailsetup/mailsetup/internal/xoauth2"
)

func TestOAuthReason(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	bearer := sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "a", Token: "t"})
	x := xoauth2.NewClient("a", "t")
	for _, tc := range []struct {
		name      string
		c         sasl.Client
		challenge string
		want      string
	}{
		{"oauthbearer invalid_token", bearer, b64(`{"status":"invalid_token","scope":"mail"}`), "status invalid_token"},
		{"xoauth2 401", x, b64(`{"status":"401","schemes":"Bearer"}`), "status 401"},
		{"not base64", bearer, "!!", "not base64"},
		{"not JSON", x, b64("nope"), "not an OAuth2 error"},
		{"status with control characters", bearer, b64(`{"status":"bad\r\nA1 OK"}`), "status bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := oauthReason(tc.c, tc.challenge)
			if !strings.Contains(got, tc.want) || strings.ContainsAny(got, "\r\n") {
				t.Errorf("oauthReason(%q) = %q, want %q on one line", tc.challenge, got, tc.want)
			}
		})
	}
}

// FuzzOAuthReason: whatever a server sends as its OAUTHBEARER or XOAUTH2
// challenge, the reason is one printable line and the parse never panics.
func FuzzOAuthReason(f *testing.F) {
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"status":"invalid_token"}`)), true)
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"status":"401","schemes":"Bearer"}`)), false)
	f.Add("", true)
	f.Fuzz(func(t *testing.T, challenge string, bearer bool) {
		c := xoauth2.NewClient("a", "t")
		if bearer {
			c = sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: "a", Token: "t"})
		}
		got := oauthReason(c, challenge)
		if strings.ContainsAny(got, "\r\n\x00") {
			t.Fatalf("oauthReason(%q) = %q: not one printable line", challenge, got)
		}
	})
}
