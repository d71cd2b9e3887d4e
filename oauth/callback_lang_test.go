package oauth

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/i18n"
)

// TestCallbackPageLanguage: the page the browser shows after the redirect
// is in the language of the program that opened it, English by default.
func TestCallbackPageLanguage(t *testing.T) {
	for _, tc := range []struct {
		p          *i18n.Printer
		query      string
		want, lang string
	}{
		{nil, "code=c", "Signed in.", "default"},
		{i18n.New(i18n.French), "code=c", "Connexion réussie.", "fr"},
		{i18n.New(i18n.French), "error=access_denied", "La connexion n’a pas abouti.", "fr"},
		{i18n.New(i18n.English), "error=access_denied", "The sign-in did not complete.", "en"},
	} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cb := newCallback(ln, tc.p)
		resp, err := http.Get("http://" + ln.Addr().String() + "/oauth2/callback?" + tc.query)
		if err != nil {
			cb.close()
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cb.close()
		if !strings.HasPrefix(string(body), tc.want) {
			t.Errorf("%s, %s: page %q, want %q", tc.lang, tc.query, body, tc.want)
		}
	}
}
