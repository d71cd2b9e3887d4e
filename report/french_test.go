package report

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/labreport"
)

// TestFrenchGolden renders, in French, the reports of three lab scenarios
// (secure, caveats, unsafe) detected with a French printer: the engine's
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
