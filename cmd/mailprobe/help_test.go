package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
	"github.com/mailsetup/mailsetup/internal/lab"
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

// TestBatchSummaryFrench prints the batch summary and progress line in
// French: no English left but the verdict and warning codes.
func TestBatchSummaryFrench(t *testing.T) {
	fr := i18n.New(i18n.French)
	s := newBatchSummary()
	s.add(rowFields{Status: "done", Verdict: "secure"})
	s.add(rowFields{Status: "done", Verdict: "unsafe", Warnings: []string{"starttls-missing"}})
	s.fresh, s.previous, s.left, s.dups, s.empty = 2, 3, 1, 1, 1
	var b bytes.Buffer
	s.print(&b, fr)
	p := newBatchProgress(&b, 4, false, time.Hour)
	p.p = fr
	p.done, p.errors = 2, 1
	p.mu.Lock()
	p.draw()
	p.mu.Unlock()
	p.finish()
	codes := append(slices.Clone(summaryKinds), "starttls-missing")
	if left := i18ntest.EnglishLeft(b.String(), codes); len(left) > 0 {
		t.Errorf("English left:\n  %s\n%s", strings.Join(left, "\n  "), b.String())
	}
	for _, want := range []string{"2 adresses traitées", "3 déjà dans la sortie", "1 erreur"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

// TestDemoListFrench checks that every lab scenario has its words in the
// catalogue (a scenario added without them fails here), and that
// `mailprobe --lang fr demo --list` has no English left.
func TestDemoListFrench(t *testing.T) {
	for _, s := range lab.Scenarios {
		if _, ok := scenarioAbout[s.Domain]; !ok {
			t.Errorf("lab scenario %s has no catalogue words in scenarioAbout (cmd/mailprobe/demo.go)", s.Domain)
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"--lang", "fr", "demo", "--list"}, strings.NewReader(""), &out, &errOut); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if left := i18ntest.EnglishLeft(out.String(), nil); len(left) > 0 {
		t.Errorf("English left:\n  %s\n%s", strings.Join(left, "\n  "), out.String())
	}
}
