package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
)

// TestHelpLocalized checks that the catalogue has the words of every
// command and flag (a flag added without them fails here), and that the
// French help of every command has no English left.
func TestHelpLocalized(t *testing.T) {
	for _, lang := range i18n.Langs {
		root := newRoot(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		if missing := localizeHelp(i18n.New(lang), root); len(missing) > 0 {
			t.Errorf("%s: no catalogue words for %s (add them to cmd/mailprobe/help.go and i18n/messages)", lang, strings.Join(missing, ", "))
		}
	}
	for _, args := range [][]string{{}, {"detect"}, {"demo"}, {"export"}, {"records"}, {"dnssec"}, {"batch"}, {"help"}} {
		var out, errOut bytes.Buffer
		run(context.Background(), append([]string{"--lang", "fr", "--help"}, args...), strings.NewReader(""), &out, &errOut)
		names := []string{"mailprobe", "detect", "demo", "export", "records", "dnssec", "batch", "help", "completion"} // command names
		if left := i18ntest.EnglishLeft(out.String(), names); len(left) > 0 {
			t.Errorf("mailprobe --lang fr --help %v: English left:\n  %s\n%s", args, strings.Join(left, "\n  "), out.String())
		}
	}
}
