package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
	"github.com/mailsetup/mailsetup/internal/labreport"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// frenchRun is the French output of one lab scenario: the progress lines
// and the report as mailprobe prints them, and the report.
type frenchRun struct {
	domain string
	out    string
	rep    *detect.Report
	err    error
}

// frenchRuns detects every lab scenario in French, eight at a time, and
// renders the progress and the report as `mailprobe --lang fr` does.
func frenchRuns(t *testing.T, domains []string) []frenchRun {
	t.Helper()
	w, err := labreport.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fr := i18n.New(i18n.French)
	runs := make([]frenchRun, len(domains))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, d := range domains {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var progressOut bytes.Buffer
			var mu sync.Mutex
			show := progress(&progressOut, fr)
			rep, err := w.DetectWith(context.Background(), d, fr, func(o *detect.Options) {
				o.OnEvent = func(ev detect.Event) { mu.Lock(); show(ev); mu.Unlock() }
			})
			r := frenchRun{domain: d, rep: rep, err: err}
			if err == nil {
				var b bytes.Buffer
				printReport(&b, fr, rep, true)
				r.out = progressOut.String() + "\n" + b.String()
			}
			runs[i] = r
		}()
	}
	wg.Wait()
	return runs
}

// TestFrenchNoEnglishLeft prints, in French, the progress and the report
// of every lab scenario, transcripts included, and fails on any English
// left outside the diagnostics quoted as they came (i18ntest.EnglishLeft).
func TestFrenchNoEnglishLeft(t *testing.T) {
	for _, r := range frenchRuns(t, labreport.Domains()) {
		if r.err != nil {
			t.Errorf("%s: %v", r.domain, r.err)
			continue
		}
		if left := i18ntest.EnglishLeft(r.out, i18ntest.Technical(r.rep)); len(left) > 0 {
			t.Errorf("%s: English left in the French output:\n  %s\n--- output ---\n%s", r.domain, strings.Join(left, "\n  "), r.out)
		}
	}
}

// TestFrenchGolden compares the French report of three lab scenarios
// (secure, caveats, unsafe) with testdata/fr-*.txt; -update rewrites them.
func TestFrenchGolden(t *testing.T) {
	names := map[string]string{"demo.test": "secure", "srvout.test": "caveats", "nostarttls.test": "unsafe"}
	for _, r := range frenchRuns(t, []string{"demo.test", "srvout.test", "nostarttls.test"}) {
		t.Run(names[r.domain], func(t *testing.T) {
			if r.err != nil {
				t.Fatal(r.err)
			}
			var b bytes.Buffer
			printReport(&b, i18n.New(i18n.French), r.rep, false)
			path := filepath.Join("testdata", "fr-"+names[r.domain]+".txt")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd/mailprobe/ -run TestFrenchGolden -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
				for i := range max(len(gl), len(wl)) {
					var g, w string
					if i < len(gl) {
						g = gl[i]
					}
					if i < len(wl) {
						w = wl[i]
					}
					if g != w {
						t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(-update if the change is meant)", path, i+1, g, w)
					}
				}
			}
		})
	}
}

// demoDir is the temporary local folder of a `mailprobe demo` run.
var demoDir = regexp.MustCompile(`/tmp/mailprobe-demo-[0-9]+`)

// TestFrenchCommandLine runs `mailprobe --lang fr demo` and
// `MAILSETUP_LANG=fr mailprobe demo` end to end, and a usage error.
func TestFrenchCommandLine(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		args []string
	}{
		{"flag", "en", []string{"--lang", "fr", "demo", "--all"}},
		{"flag after the command", "en", []string{"demo", "--all", "--lang=fr"}},
		{"MAILSETUP_LANG", "fr", []string{"demo", "--all"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MAILSETUP_LANG", tc.env)
			var out, errOut, js bytes.Buffer
			if code := run(context.Background(), tc.args, strings.NewReader(""), &out, &errOut); code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, errOut.String())
			}
			if code := run(context.Background(), append(tc.args, "--json"), strings.NewReader(""), &js, &errOut); code != exitOK {
				t.Fatalf("--json: exit %d", code)
			}
			rep := new(detect.Report)
			if err := json.Unmarshal(js.Bytes(), rep); err != nil {
				t.Fatal(err)
			}
			if rep.Lang != "fr" {
				t.Errorf("report lang = %q, want fr", rep.Lang)
			}
			text := demoDir.ReplaceAllString(out.String(), "DIR")
			var technical []string
			for _, s := range i18ntest.Technical(rep) {
				technical = append(technical, demoDir.ReplaceAllString(s, "DIR"))
			}
			if !strings.Contains(text, "SÛR") {
				t.Errorf("output lacks the verdict SÛR:\n%s", text)
			}
			if left := i18ntest.EnglishLeft(text, technical); len(left) > 0 {
				t.Errorf("English left:\n  %s\n%s", strings.Join(left, "\n  "), text)
			}
		})
	}
	t.Run("usage error", func(t *testing.T) {
		var out, errOut bytes.Buffer
		code := run(context.Background(), []string{"--lang", "fr", "detect", "pas-une-adresse"}, strings.NewReader(""), &out, &errOut)
		if code != exitUsage || !strings.Contains(errOut.String(), "n’a pas de @") {
			t.Errorf("exit %d, stderr %q; want 64 and the reason in French", code, errOut.String())
		}
	})
	t.Run("unknown language", func(t *testing.T) {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), []string{"--lang", "de", "demo"}, strings.NewReader(""), &out, &errOut); code != exitUsage {
			t.Errorf("--lang de: exit %d, want 64", code)
		}
	})
}
