package detect_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// startLab starts the lab world for one test and stops it at the end.
func startLab(t testing.TB, o lab.Options) *lab.Lab {
	t.Helper()
	l, err := lab.Start(o)
	if err != nil {
		t.Fatalf("lab.Start: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func describe(s *detect.Server) string {
	if s == nil || !s.Recommended {
		return ""
	}
	return fmt.Sprintf("%s:%d/%s", s.Host, s.Port, s.Security)
}

func codes(r *detect.Report) []string {
	var c []string
	for _, w := range r.Warnings {
		c = append(c, w.Code)
	}
	return c
}

func TestScenarios(t *testing.T) {
	l := startLab(t, lab.Options{})
	local := t.TempDir()
	if err := lab.WriteLocalDir(local); err != nil {
		t.Fatal(err)
	}
	for _, sc := range lab.Scenarios {
		t.Run(sc.Domain, func(t *testing.T) {
			t.Parallel()
			o := l.DetectOptions()
			o.ProbeTimeout = 3 * time.Second // roomy: a loaded CI machine runs other packages beside this one
			if sc.Local {
				o.LocalDir = local
			}
			var answers []*detect.Answer
			o.OnEvent = func(ev detect.Event) {
				if ev.Kind == detect.EventAnswer {
					answers = append(answers, ev.Answer)
				}
			}
			rep, err := detect.Run(context.Background(), lab.User(sc.Domain), o)
			if err != nil {
				t.Fatalf("Run(%s) error = %v", sc.Domain, err)
			}
			in, out := rep.Recommended()
			// The early answer is the final one (issue 12).
			if len(answers) != 1 {
				t.Errorf("Run(%s) sent %d answer events, want 1", sc.Domain, len(answers))
			} else if a := answers[0]; describe(a.Incoming) != describe(in) || describe(a.Outgoing) != describe(out) {
				t.Errorf("Run(%s) answered %q and %q, but the report recommends %q and %q",
					sc.Domain, describe(a.Incoming), describe(a.Outgoing), describe(in), describe(out))
			}
			want := sc.Expect
			if got := string(rep.Verdict); got != want.Verdict {
				t.Errorf("Run(%s).Verdict = %s, want %s", sc.Domain, got, want.Verdict)
			}
			if got := describe(in); got != want.In {
				t.Errorf("Run(%s) incoming = %q, want %q", sc.Domain, got, want.In)
			}
			if got := describe(out); got != want.Out {
				t.Errorf("Run(%s) outgoing = %q, want %q", sc.Domain, got, want.Out)
			}
			if rep.DNSSEC != want.DNSSEC {
				t.Errorf("Run(%s).DNSSEC = %s, want %s", sc.Domain, rep.DNSSEC, want.DNSSEC)
			}
			if in != nil && string(in.Trust) != want.Trust {
				t.Errorf("Run(%s) incoming trust = %s, want %s", sc.Domain, in.Trust, want.Trust)
			}
			got := codes(rep)
			for _, c := range want.Warnings {
				if !slices.Contains(got, c) {
					t.Errorf("Run(%s) warnings = %v, want %s among them", sc.Domain, got, c)
				}
			}
			for _, c := range want.Absent {
				if slices.Contains(got, c) {
					t.Errorf("Run(%s) warnings = %v, want no %s", sc.Domain, got, c)
				}
			}
			for name, want := range want.Sources {
				for _, src := range rep.Sources {
					if string(src.Name) == name && string(src.Status) != want {
						t.Errorf("Run(%s) source %s = %s (%s), want %s", sc.Domain, name, src.Status, src.Detail, want)
					}
				}
			}
			checkServices(t, sc.Domain, rep, want.Services)
			if t.Failed() {
				for _, s := range rep.Sources {
					t.Logf("source %-22s %-7s %4dms %s", s.Name, s.Status, s.ElapsedMS, s.Detail)
				}
				for _, s := range append(rep.Incoming, rep.Outgoing...) {
					t.Logf("server %s:%d/%s %v trust=%s probe=%s %s", s.Host, s.Port, s.Security, s.Sources, s.Trust, s.Probe.Status, s.Probe.Error)
				}
				for _, w := range rep.Warnings {
					t.Logf("warning %s %s: %s", w.Severity, w.Code, w.Message)
				}
			}
		})
	}
}

// checkServices checks the service lists of a scenario's report against
// Expect.Services (see lab.Expect).
func checkServices(t *testing.T, domain string, rep *detect.Report, want map[string]string) {
	t.Helper()
	lists := map[string][]detect.Service{"caldav": rep.Calendar, "carddav": rep.Contacts, "jmap": rep.JMAP}
	for proto, list := range lists {
		w, ok := want[proto]
		switch {
		case !ok || w == "-":
			if len(list) > 0 {
				t.Errorf("Run(%s) %s = %+v, want no list", domain, proto, list)
			}
		case len(list) == 0:
			t.Errorf("Run(%s) %s list absent, want one recommending %q", domain, proto, w)
		case w == "" && list[0].Recommended:
			t.Errorf("Run(%s) %s recommends %s, want nothing recommended", domain, proto, list[0].URL)
		case w != "" && (!list[0].Recommended || list[0].URL != w):
			t.Errorf("Run(%s) %s first = %s recommended=%v (%s %s), want %s recommended", domain, proto, list[0].URL,
				list[0].Recommended, list[0].Probe.Status, list[0].Probe.Error, w)
		}
		if t.Failed() {
			for _, s := range list {
				t.Logf("service %s %s %v trust=%s probe=%s %d %s", s.Protocol, s.URL, s.Sources, s.Trust, s.Probe.Status, s.Probe.HTTPStatus, s.Probe.Error)
			}
		}
	}
}

func TestBadAddressSendsNothing(t *testing.T) {
	l := startLab(t, lab.Options{})
	for _, a := range []string{"", "nobody", "a@@b.test", "@demo.test", "alice@", "alice@test", "alice@de\x00mo.test",
		"alice@" + string(make([]byte, 70)) + ".test"} {
		_, err := detect.Run(context.Background(), a, l.DetectOptions())
		if !errors.Is(err, detect.ErrBadAddress) {
			t.Errorf("Run(%q) error = %v, want ErrBadAddress", a, err)
		}
	}
	if n := len(l.Requests()); n != 0 {
		t.Errorf("bad addresses caused %d web requests, want 0", n)
	}
}
