package detect_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
	"github.com/mailsetup/mailsetup/internal/labreport"
)

// TestLocalize detects in English, says the report again in French
// (Report.Localize, as the app does when the language changes), and back:
// codes stay, sentences follow, nothing English is left in French.
func TestLocalize(t *testing.T) {
	w, err := labreport.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for _, domain := range []string{"nostarttls.test", "srvout.test"} {
		rep, err := w.Detect(context.Background(), domain, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Lang != "en" {
			t.Errorf("%s: Lang = %q, want en", domain, rep.Lang)
		}
		en := rep.Reason
		codes := make([]string, len(rep.Warnings))
		for i, w := range rep.Warnings {
			codes[i] = w.Code
		}
		rep.Localize(i18n.New(i18n.French), nil)
		if rep.Lang != "fr" || rep.Reason == en {
			t.Errorf("%s: after Localize(fr): lang %q, reason %q", domain, rep.Lang, rep.Reason)
		}
		var text []string
		for i, w := range rep.Warnings {
			if w.Code != codes[i] {
				t.Errorf("%s: warning %d code %q became %q", domain, i, codes[i], w.Code)
			}
			text = append(text, w.Message, w.Fix)
		}
		text = append(text, rep.Reason, rep.IncomingReason, rep.OutgoingReason)
		if left := i18ntest.EnglishLeft(strings.Join(text, "\n"), i18ntest.Technical(rep)); len(left) > 0 {
			t.Errorf("%s: English left after Localize(fr): %v", domain, left)
		}
		rep.Localize(nil, nil)
		if rep.Lang != "en" || rep.Reason != en {
			t.Errorf("%s: back to English: lang %q, reason %q, want %q", domain, rep.Lang, rep.Reason, en)
		}
	}
}
