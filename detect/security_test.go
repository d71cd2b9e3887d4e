package detect_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// runAll runs a detection of every lab scenario against one lab.
func runAll(t *testing.T, l *lab.Lab) map[string]*detect.Report {
	t.Helper()
	local := t.TempDir()
	if err := lab.WriteLocalDir(local); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	reps := map[string]*detect.Report{}
	// A few runs at a time, each with a roomy deadline: every scenario at
	// once on two busy cores under the race detector starved runs past the
	// default 15 s deadline (go test -race -count=20 beside another suite).
	slots := make(chan struct{}, 8)
	for _, sc := range lab.Scenarios {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			o := l.DetectOptions()
			o.Timeout = time.Minute
			o.ProbeTimeout = 3 * time.Second // generous: the race detector and a busy CI slow handshakes
			o.Exhaustive = true              // every source and probe, so every request is made
			if sc.Local {
				o.LocalDir = local
			}
			rep, err := detect.Run(context.Background(), lab.User(sc.Domain), o)
			if err != nil {
				t.Errorf("Run(%s): %v", sc.Domain, err)
				return
			}
			mu.Lock()
			reps[sc.Domain] = rep
			mu.Unlock()
		}()
	}
	wg.Wait()
	return reps
}

// TestSecurityRules checks the rules of DESIGN.md "Security rules" over a
// detection of every lab scenario.
func TestSecurityRules(t *testing.T) {
	l := startLab(t, lab.Options{})
	reps := runAll(t, l)
	reqs := l.Requests()
	if len(reqs) < 20 {
		t.Fatalf("the lab saw %d web requests, want the scenarios' fetches", len(reqs))
	}

	t.Run("no address over http", func(t *testing.T) {
		sawHTTP := false
		for _, r := range reqs {
			if r.Scheme != "http" {
				continue
			}
			sawHTTP = true
			for _, leak := range []string{"alice", "%40", "emailaddress"} {
				if strings.Contains(strings.ToLower(r.URL+r.Body), leak) {
					t.Errorf("http request %s %s%s carries %q", r.Method, r.Host, r.URL, leak)
				}
			}
		}
		if !sawHTTP {
			t.Errorf("no http request was made; the http fallback was not exercised")
		}
	})

	t.Run("https to http redirect refused", func(t *testing.T) {
		for _, r := range reqs {
			if r.Scheme == "http" && strings.Contains(r.URL, "moved=1") {
				t.Errorf("the redirect from https to %s%s was followed", r.Host, r.URL)
			}
		}
		src := source(reps["redirect.test"], detect.SourceAutoconfig)
		if src.Status != detect.StatusError || !strings.Contains(src.Detail, "redirect") {
			t.Errorf("redirect.test autoconfig = %s %q, want an error naming the refused redirect", src.Status, src.Detail)
		}
	})

	t.Run("autodiscover without credentials", func(t *testing.T) {
		posts := 0
		for _, r := range reqs {
			if r.Method != "POST" {
				continue
			}
			posts++
			if r.Scheme != "https" {
				t.Errorf("Autodiscover POST over %s to %s", r.Scheme, r.Host)
			}
			if r.Authorization != "" || strings.Contains(r.Body, lab.Password) {
				t.Errorf("Autodiscover POST to %s carried credentials", r.Host)
			}
			if !strings.Contains(r.Body, "<EMailAddress>alice@") {
				t.Errorf("Autodiscover POST to %s has no EMailAddress: %s", r.Host, r.Body)
			}
		}
		if posts == 0 {
			t.Errorf("no Autodiscover POST was made")
		}
	})

	t.Run("no credential during discovery", func(t *testing.T) {
		if creds := l.Credentials(); len(creds) != 0 {
			t.Errorf("mail servers received %d credentials during discovery, want 0: %+v", len(creds), creds)
		}
	})

	t.Run("redirect chains are bounded", func(t *testing.T) {
		n := 0
		for _, r := range reqs {
			if r.Host == "autodiscover.adloop.test" {
				n++
			}
		}
		if n == 0 || n > detect.MaxRedirects+1 {
			t.Errorf("the Autodiscover loop was asked %d times, want 1..%d", n, detect.MaxRedirects+1)
		}
	})

	t.Run("response size limit", func(t *testing.T) {
		src := source(reps["huge.test"], detect.SourceAutoconfig)
		if src.Status != detect.StatusError || !strings.Contains(src.Detail, "too large") {
			t.Errorf("huge.test autoconfig = %s %q, want a too-large error", src.Status, src.Detail)
		}
	})

	t.Run("hostile XML rejected", func(t *testing.T) {
		rep := reps["hostile.test"]
		for _, s := range append(rep.Incoming, rep.Outgoing...) {
			if s.Host == "evil.example" {
				t.Errorf("a server from hostile XML was used: %+v", s)
			}
		}
	})
}

func source(rep *detect.Report, n detect.SourceName) detect.SourceReport {
	for _, s := range rep.Sources {
		if s.Name == n {
			return s
		}
	}
	return detect.SourceReport{}
}

// TestNeverPublicSuffix: no Autodiscover or MX-provider lookup may go to
// a public suffix (DESIGN.md security rules).
func TestNeverPublicSuffix(t *testing.T) {
	l := startLab(t, lab.Options{})
	o := l.DetectOptions()
	o.Timeout = 3 * time.Second
	rep, err := detect.Run(context.Background(), "alice@co.uk", o)
	if err != nil {
		t.Fatal(err)
	}
	if src := source(rep, detect.SourceAutodiscover); src.Status != detect.StatusSkipped {
		t.Errorf("autodiscover for co.uk = %s, want skipped", src.Status)
	}
	for _, q := range l.Queries() {
		if strings.HasPrefix(q.Name, "autodiscover.co.uk.") || q.Name == "_autodiscover._tcp.co.uk." {
			t.Errorf("asked %s %s, an Autodiscover name under a public suffix", q.Name, q.Type)
		}
	}
	for _, r := range l.Requests() {
		if r.Host == "autodiscover.co.uk" {
			t.Errorf("fetched %s", r.Host)
		}
	}
}

// TestOverallDeadline: a run ends at its deadline even when a probe's own
// budget is longer, and reports what was cut short.
func TestOverallDeadline(t *testing.T) {
	l := startLab(t, lab.Options{})
	o := l.DetectOptions()
	o.Timeout = 300 * time.Millisecond
	o.ProbeTimeout = time.Minute
	o.Exhaustive = true
	start := time.Now()
	rep, err := detect.Run(context.Background(), lab.User("silent.test"), o)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("Run with a 300ms deadline took %s", el)
	}
	var hang *detect.Server
	for i, s := range rep.Incoming {
		if s.Host == "hang.silent.test" {
			hang = &rep.Incoming[i]
		}
	}
	if hang == nil || hang.Probe.Status != detect.ProbeTimeout {
		t.Errorf("silent host probe = %+v, want status timeout", hang)
	}
}

// TestCancel: cancelling the caller's context ends the run.
func TestCancel(t *testing.T) {
	l := startLab(t, lab.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	o := l.DetectOptions()
	o.ProbeTimeout = time.Minute
	o.Exhaustive = true
	o.OnEvent = func(ev detect.Event) {
		if ev.Kind == detect.EventProbeStarted && ev.Server.Host == "hang.silent.test" {
			cancel()
		}
	}
	rep, err := detect.Run(ctx, lab.User("silent.test"), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.ElapsedMS > 5000 {
		t.Errorf("cancelled run took %dms", rep.ElapsedMS)
	}
}

// TestEvents: every source and probe that starts also finishes, once, in
// that order, and the final report agrees with the last events.
func TestEvents(t *testing.T) {
	l := startLab(t, lab.Options{})
	var evs []detect.Event
	o := l.DetectOptions()
	o.OnEvent = func(ev detect.Event) { evs = append(evs, ev) }
	rep, err := detect.Run(context.Background(), lab.User("demo.test"), o)
	if err != nil {
		t.Fatal(err)
	}
	started, finished := map[string]int{}, map[string]int{}
	for _, ev := range evs {
		var key string
		if ev.Kind == detect.EventAnswer {
			continue
		}
		if ev.Source != nil {
			key = "source " + string(ev.Source.Name)
		} else {
			key = "probe " + ev.Server.HostPort() + string(ev.Server.Security)
		}
		switch ev.Kind {
		case detect.EventSourceStarted, detect.EventProbeStarted:
			if finished[key] > 0 {
				t.Errorf("%s started after it finished", key)
			}
			started[key]++
		case detect.EventSourceFinished, detect.EventProbeFinished:
			finished[key]++
		}
	}
	for k, n := range started {
		if n != 1 || finished[k] != 1 {
			t.Errorf("%s started %d and finished %d times, want 1 and 1", k, n, finished[k])
		}
	}
	for _, s := range rep.Sources {
		key := "source " + string(s.Name)
		if s.Status != detect.StatusSkipped && started[key] != 1 {
			t.Errorf("source %s (%s) never reported its start", s.Name, s.Status)
		}
	}
	in, _ := rep.Recommended()
	if in == nil || !slices.Contains(in.Sources, detect.SourceAutoconfig) {
		t.Fatalf("demo.test recommended %+v, want a server from autoconfig", in)
	}
	if _, err := url.Parse(in.Host); err != nil {
		t.Error(err)
	}
}
