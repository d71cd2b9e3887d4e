package detect_test

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// dialLog records the addresses a detection connected to.
type dialLog struct {
	dial func(ctx context.Context, network, address string) (net.Conn, error)
	mu   sync.Mutex
	n    map[string]int
}

func (d *dialLog) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := d.dial(ctx, network, address)
	if err == nil {
		d.mu.Lock()
		d.n[address]++
		d.mu.Unlock()
	}
	return c, err
}

// detectLogged runs one detection of sc with or without speculative
// guessing, and returns its report and the connections it opened.
func detectLogged(t *testing.T, l *lab.Lab, sc lab.Scenario, local string, speculate bool) (*detect.Report, map[string]int) {
	t.Helper()
	o := l.DetectOptions()
	o.ProbeTimeout = 3 * time.Second // roomy: a loaded machine runs other suites beside this one
	o.Timeout = time.Minute
	o.NoSpeculativeGuess = !speculate
	if sc.Local {
		o.LocalDir = local
	}
	dl := &dialLog{dial: o.Dial, n: map[string]int{}}
	o.Dial = dl.Dial
	rep, err := detect.Run(context.Background(), lab.User(sc.Domain), o)
	if err != nil {
		t.Fatalf("Run(%s) error = %v", sc.Domain, err)
	}
	return rep, dl.n
}

// judgement is what speculative guessing must never change.
type judgement struct {
	outcome
	verdict string
	codes   string
}

func judgementOf(rep *detect.Report) judgement {
	c := codes(rep)
	slices.Sort(c)
	c = slices.Compact(c)
	return judgement{outcomeOf(rep), string(rep.Verdict), join(c)}
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// TestSpeculationChangesNoAnswer: for every lab scenario, speculative
// guessing leaves the recommendation, its trust, the dnssec status, the
// verdict and the warning codes as they are without it; it opens at most
// twice the connections, and never connects to a mail server's host:port
// more often (issue 12: bounded, one connection per distinct host:port).
func TestSpeculationChangesNoAnswer(t *testing.T) {
	l := startLab(t, lab.Options{})
	local := t.TempDir()
	if err := lab.WriteLocalDir(local); err != nil {
		t.Fatal(err)
	}
	slots := make(chan struct{}, 4)
	for _, sc := range lab.Scenarios {
		t.Run(sc.Domain, func(t *testing.T) {
			t.Parallel()
			slots <- struct{}{}
			defer func() { <-slots }()
			off, offConns := detectLogged(t, l, sc, local, false)
			on, onConns := detectLogged(t, l, sc, local, true)
			if got, want := judgementOf(on), judgementOf(off); got != want {
				t.Errorf("Run(%s) with speculative guessing = %+v, without = %+v, want the same", sc.Domain, got, want)
			}
			total := func(m map[string]int) (n int) {
				for _, c := range m {
					n += c
				}
				return n
			}
			if a, b := total(onConns), total(offConns); a > 2*max(b, 1) {
				t.Errorf("Run(%s) opened %d connections with speculative guessing, %d without: more than twice", sc.Domain, a, b)
			}
			for addr, n := range onConns {
				if _, port, _ := net.SplitHostPort(addr); port == "443" || port == "80" {
					continue // web servers: one connection per request
				}
				if n > max(1, offConns[addr]) {
					t.Errorf("Run(%s) connected %d times to %s with speculative guessing (%d without), want at most once", sc.Domain, n, addr, offConns[addr])
				}
			}
		})
	}
}

// TestSpeculativeGuessStartsBeforeSourcesSettle: with the ISP database
// answering last for guess.test (a lab latency knob, far longer than a
// probe), the guessed server's probe ran before that source settled; with
// speculation off it starts only after. Either way the answer is the
// guessed imap.guess.test:993.
func TestSpeculativeGuessStartsBeforeSourcesSettle(t *testing.T) {
	const delay = 800 * time.Millisecond
	l := startLab(t, lab.Options{})
	const domain = "guess.test"
	l.SetSourceLatency(domain, detect.SourceISPDB, delay)
	for _, speculate := range []bool{true, false} {
		o := l.DetectOptions()
		o.NoSpeculativeGuess = !speculate
		o.ProbeTimeout = 3 * time.Second
		var mu sync.Mutex
		var ispdbDone, probeStart time.Duration
		var order []detect.EventKind
		o.OnEvent = func(ev detect.Event) {
			mu.Lock()
			defer mu.Unlock()
			switch {
			case ev.Source != nil && ev.Source.Name == detect.SourceISPDB && ev.Kind == detect.EventSourceFinished:
				ispdbDone = ev.At
				order = append(order, ev.Kind)
			case ev.Server != nil && ev.Server.Host == "imap."+domain && ev.Server.Port == 993 && ev.Kind == detect.EventProbeFinished:
				// When the probe began: its end less its own duration.
				probeStart = ev.At - time.Duration(ev.Server.Probe.ElapsedMS)*time.Millisecond
				order = append(order, ev.Kind)
			}
		}
		rep, err := detect.Run(context.Background(), lab.User(domain), o)
		if err != nil {
			t.Fatal(err)
		}
		if in, _ := rep.Recommended(); in == nil || in.Host != "imap."+domain || in.Port != 993 {
			t.Fatalf("Run(%s, speculate=%v) incoming = %+v, want imap.%s:993", domain, speculate, in, domain)
		}
		if want := []detect.EventKind{detect.EventSourceFinished, detect.EventProbeFinished}; !slices.Equal(order, want) {
			t.Errorf("Run(%s, speculate=%v) events = %v, want %v (a guess is used only once the sources settled)", domain, speculate, order, want)
		}
		if before := probeStart < ispdbDone; before != speculate {
			t.Errorf("Run(%s, speculate=%v): the guessed probe began at %s, the ISP database (delayed %s) answered at %s; want it to begin before: %v",
				domain, speculate, probeStart, delay, ispdbDone, speculate)
		}
	}
}

// TestMXSourceTakesFirstProviderDocument: the MX source returns with the
// provider's https autoconfig, the first of its documents, without waiting
// for the provider's ISP database entry, delayed here by a lab latency knob
// far longer than the rest of the run.
func TestMXSourceTakesFirstProviderDocument(t *testing.T) {
	const delay = 1500 * time.Millisecond
	l := startLab(t, lab.Options{})
	l.SetSourceLatency("provider.test", detect.SourceISPDB, delay)
	rep, err := detect.Run(context.Background(), lab.User("mx.test"), l.DetectOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := source(rep, detect.SourceMX)
	if s.Status != detect.StatusFound {
		t.Fatalf("Run(mx.test) source mx = %s (%s), want found", s.Status, s.Detail)
	}
	if s.ElapsedMS >= delay.Milliseconds() {
		t.Errorf("Run(mx.test) source mx took %d ms, want less than the %s the provider's ISP database entry was delayed", s.ElapsedMS, delay)
	}
}

// TestProbeOutcomeBeforeGoodbye: the engine takes a probe's outcome as soon
// as its checks passed (probe.Options.Checked), not one round trip later
// after the goodbye: each probe-finished event of a verified server carries
// a transcript without LOGOUT or QUIT.
func TestProbeOutcomeBeforeGoodbye(t *testing.T) {
	l := startLab(t, lab.Options{})
	o := l.DetectOptions()
	var mu sync.Mutex
	seen := 0
	o.OnEvent = func(ev detect.Event) {
		if ev.Kind != detect.EventProbeFinished || ev.Server.Probe.Status != detect.ProbeOK {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		seen++
		for _, line := range ev.Server.Probe.Transcript {
			if line.From == "client" && (strings.HasSuffix(line.Text, "LOGOUT") || line.Text == "QUIT") {
				t.Errorf("probe of %s finished with %q in its transcript, want the outcome before the goodbye", ev.Server.HostPort(), line.Text)
			}
		}
	}
	if _, err := detect.Run(context.Background(), lab.User("demo.test"), o); err != nil {
		t.Fatal(err)
	}
	if seen == 0 {
		t.Fatal("Run(demo.test): no probe finished ok")
	}
}
