package detect_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// delayedSources are the sources the lab can make answer last
// (lab.SetSourceLatency); local reads files.
var delayedSources = []detect.SourceName{detect.SourceSRV, detect.SourceAutoconfig, detect.SourceWellKnown,
	detect.SourceAutoconfigHTTP, detect.SourceISPDB, detect.SourceMX, detect.SourceAutodiscover, detect.SourceGuess}

// outcome is what the early stop must never change.
type outcome struct {
	in, out, trust, dnssec string
}

func outcomeOf(rep *detect.Report) outcome {
	in, out := rep.Recommended()
	o := outcome{in: describe(in), out: describe(out), dnssec: rep.DNSSEC}
	if in != nil {
		o.trust = string(in.Trust)
	}
	if out != nil {
		o.trust += "/" + string(out.Trust)
	}
	return o
}

// TestEarlyStopNeverChangesTheAnswer: for every lab scenario, with each
// source in turn answering last, the default run (which stops once the
// answer is certain) and the exhaustive run (--all) recommend the same
// servers with the same trust and the same dnssec status (issue 10, point
// 1: a DNSSEC-signed SRV answer arriving after an https answer was cut off).
func TestEarlyStopNeverChangesTheAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs every scenario 16 times")
	}
	const delay = 250 * time.Millisecond
	l := startLab(t, lab.Options{})
	local := t.TempDir()
	if err := lab.WriteLocalDir(local); err != nil {
		t.Fatal(err)
	}
	for _, sc := range lab.Scenarios {
		t.Run(sc.Domain, func(t *testing.T) {
			t.Parallel()
			for _, src := range delayedSources {
				l.SetSourceLatency(sc.Domain, src, delay)
				// Both runs at once: a silent host costs each the probe budget.
				var got [2]outcome
				var wg sync.WaitGroup
				for i, all := range []bool{false, true} {
					wg.Add(1)
					go func() {
						defer wg.Done()
						o := l.DetectOptions()
						o.ProbeTimeout = 3 * time.Second // roomy: on a busy machine a slow probe must not change the answer
						o.Exhaustive = all
						if sc.Local {
							o.LocalDir = local
						}
						rep, err := detect.Run(context.Background(), lab.User(sc.Domain), o)
						if err != nil {
							t.Errorf("Run(%s) error = %v", sc.Domain, err)
							return
						}
						got[i] = outcomeOf(rep)
					}()
				}
				wg.Wait()
				l.SetSourceLatency(sc.Domain, src, 0)
				if got[0] != got[1] {
					t.Errorf("Run(%s) with %s answering last = %+v, with --all = %+v, want the same", sc.Domain, src, got[0], got[1])
				}
			}
		})
	}
}

// TestSourceTrustsCoverResults: every trust a source returns in the lab is
// one it declares, so the early stop's ceiling for it is right (STYLE.md
// habit 11: srv returns dnssec for a signed answer).
func TestSourceTrustsCoverResults(t *testing.T) {
	l := startLab(t, lab.Options{})
	reps := runAll(t, l)
	seen := map[detect.SourceName][]detect.Trust{}
	for domain, rep := range reps {
		for _, s := range rep.Sources {
			if s.Status != detect.StatusFound {
				continue
			}
			trusts, ceiling := detect.SourceTrusts(s.Name)
			if !slices.Contains(trusts, s.Trust) || s.Trust.Level() > ceiling.Level() {
				t.Errorf("Run(%s) source %s returned trust %s, declared %v (ceiling %s)", domain, s.Name, s.Trust, trusts, ceiling)
			}
			seen[s.Name] = append(seen[s.Name], s.Trust)
		}
	}
	// The case that went wrong: a signed SRV answer earns dnssec, so the
	// srv source's ceiling must be at least that.
	if !slices.Contains(seen[detect.SourceSRV], detect.TrustDNSSEC) {
		t.Errorf("no lab scenario returned srv answers of trust dnssec; seen %v", seen[detect.SourceSRV])
	}
	if _, c := detect.SourceTrusts(detect.SourceSRV); c.Level() < detect.TrustDNSSEC.Level() {
		t.Errorf("srv ceiling = %s, want at least dnssec", c)
	}
}

// TestSourceLatencyKnob: the lab's per-source latency delays the source it
// names (each source's elapsed time grows by at least the delay), so the
// early-stop test really makes each source answer last.
func TestSourceLatencyKnob(t *testing.T) {
	const delay = 300 * time.Millisecond
	l := startLab(t, lab.Options{})
	where := map[detect.SourceName]string{detect.SourceSRV: "demo.test", detect.SourceAutoconfig: "demo.test",
		detect.SourceWellKnown: "wellknown.test", detect.SourceAutoconfigHTTP: "http.test", detect.SourceISPDB: "ispdb.test",
		detect.SourceMX: "mx.test", detect.SourceAutodiscover: "autodiscover.test", detect.SourceGuess: "guess.test"}
	for _, src := range delayedSources {
		domain := where[src]
		t.Run(string(src), func(t *testing.T) {
			l.SetSourceLatency(domain, src, delay)
			defer l.SetSourceLatency(domain, src, 0)
			o := l.DetectOptions()
			o.Exhaustive = true
			rep, err := detect.Run(context.Background(), lab.User(domain), o)
			if err != nil {
				t.Fatal(err)
			}
			s := source(rep, src)
			if s.ElapsedMS < delay.Milliseconds() {
				t.Errorf("Run(%s) source %s took %d ms with a %s delay, want at least the delay (%s: %s)", domain, src, s.ElapsedMS, delay, s.Status, s.Detail)
			}
		})
	}
}
