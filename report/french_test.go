package report

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
	"github.com/mailsetup/mailsetup/internal/labreport"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
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

// TestFrenchServices renders the calendar, contacts and JMAP sections in
// French (testdata/fr-services.html) with no English left in them.
func TestFrenchServices(t *testing.T) {
	rep := servicesReport()
	got := render(t, rep, &HTMLOptions{Printer: i18n.New(i18n.French)})
	compareGolden(t, filepath.Join("testdata", "fr-services.html"), got)
	doc, err := html.Parse(strings.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range findAll(doc, atom.Section) {
		if id := attr(n, "id"); id != "calendar" && id != "contacts" && id != "jmap" {
			continue
		}
		if left := i18ntest.EnglishLeft(text(n), i18ntest.Technical(rep)); len(left) > 0 {
			t.Errorf("section %s: English left: %q\n%s", attr(n, "id"), left, text(n))
		}
	}
}
