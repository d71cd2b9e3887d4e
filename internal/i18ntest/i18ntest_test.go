package i18ntest_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
)

var placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// TestFrenchCatalogueIsFrench runs the check on every French message: a
// message left in English (or half translated) fails.
func TestFrenchCatalogueIsFrench(t *testing.T) {
	for id, m := range i18n.Messages(i18n.French) {
		for form, text := range m.Forms {
			if strings.HasPrefix(id, "cli.help.") && strings.HasSuffix(id, ".use") {
				_, text, _ = strings.Cut(text, " ") // a use line starts with the command's name
			}
			if left := i18ntest.EnglishLeft(placeholder.ReplaceAllString(text, " "), nil); len(left) > 0 {
				t.Errorf("fr %q (%s): %s", id, form, strings.Join(left, "; "))
			}
		}
	}
}

func TestEnglishLeft(t *testing.T) {
	for _, tc := range []struct {
		text      string
		technical []string
		want      bool
	}{
		{"Serveur entrant : SÛR", nil, false},
		{"Incoming mail: SECURE", nil, true},
		{"Aucun serveur : the server is down", nil, true},
		{"Aucun serveur : dial tcp: connection refused", []string{"dial tcp: connection refused"}, false},
		{"mail.example.org:993 starttls-missing alice@example.org", nil, false},
		// A sentence of the English catalogue, even without English-only words.
		{"Verified settings found; read the warnings before using them.", nil, true},
	} {
		if got := len(i18ntest.EnglishLeft(tc.text, tc.technical)) > 0; got != tc.want {
			t.Errorf("EnglishLeft(%q) found English = %v, want %v", tc.text, got, tc.want)
		}
	}
}
