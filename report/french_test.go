package report

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/labreport"
)

// TestFrenchGolden renders, in French, the reports of three lab scenarios
// (secure, caveats, unsafe, a provider that signs in with OAuth2 only) detected with a French printer: the engine's
// sentences and the page's words alike. Run with -update to rewrite
// testdata/fr-*.html.
func TestFrenchGolden(t *testing.T) {
	w, err := labreport.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fr := i18n.New(i18n.French)
	for _, tc := range []struct{ name, domain string }{
		{"secure", "demo.test"},
		{"caveats", "srvout.test"},
		{"unsafe", "nostarttls.test"},
		{"oauth2", "oauth.test"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := w.Detect(context.Background(), tc.domain, fr)
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, rep, &HTMLOptions{Generated: time.Date(2026, time.December, 6, 16, 50, 0, 0, time.UTC)})
			compareGolden(t, filepath.Join("testdata", "fr-"+tc.name+".html"), got)
		})
	}
}

// TestFrenchLoginMarks: the login outcomes of the OAuth2 work in French.
func TestFrenchLoginMarks(t *testing.T) {
	fr := i18n.New(i18n.French)
	for status, want := range map[string]string{
		detect.LoginNotPossible:  "Impossible avec un mot de passe",
		detect.LoginOAuth2OK:     "Fonctionne avec OAuth2",
		detect.LoginOAuth2Failed: "Échec avec OAuth2",
	} {
		if got := loginMark(fr, status); got.Words != want {
			t.Errorf("loginMark(fr, %q) = %q, want %q", status, got.Words, want)
		}
	}
}
