package batch_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/batch"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/lab"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// counter counts detections per address, around detect.Run.
type counter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *counter) detect(ctx context.Context, address string, o *detect.Options) (*detect.Report, error) {
	c.mu.Lock()
	if c.calls == nil {
		c.calls = make(map[string]int)
	}
	c.calls[address]++
	c.mu.Unlock()
	return detect.Run(ctx, address, o)
}

func TestRunnerLab(t *testing.T) {
	l, err := lab.Start(lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	input := []string{
		"alice@demo.test", "not-an-address", "bob@demo.test", "alice@srvout.test",
		"carol@DEMO.test", "bob@srvout.test", "alice@nothing.test", "x@@y.test", "alice@badcert.test",
	}
	want := map[string]string{"demo.test": "secure", "srvout.test": "caveats", "nothing.test": "none", "badcert.test": "unsafe"}
	for _, ordered := range []bool{false, true} {
		var c counter
		o := l.DetectOptions()
		o.ProbeTimeout = 1500 * time.Millisecond
		r := &batch.Runner{Options: o, Concurrency: 3, Ordered: ordered, Detect: c.detect}
		var got []batch.Result
		if err := r.Run(context.Background(), input, func(res batch.Result) { got = append(got, res) }); err != nil {
			t.Fatalf("Run error = %v", err)
		}
		if len(got) != len(input) {
			t.Fatalf("Run emitted %d results, want %d", len(got), len(input))
		}
		if ordered && !slices.IsSortedFunc(got, func(a, b batch.Result) int { return a.Index - b.Index }) {
			t.Errorf("Ordered: results not in input order")
		}
		for _, res := range got {
			if res.Input != input[res.Index] {
				t.Errorf("result %d Input = %q, want %q", res.Index, res.Input, input[res.Index])
			}
			switch res.Input {
			case "not-an-address", "x@@y.test":
				if res.Status != batch.StatusInvalid || !errors.Is(res.Err, detect.ErrBadAddress) {
					t.Errorf("%s: status %s, err %v; want invalid, ErrBadAddress", res.Input, res.Status, res.Err)
				}
				continue
			}
			if res.Status != batch.StatusDone {
				t.Fatalf("%s: status %s (%v), want done", res.Input, res.Status, res.Err)
			}
			if v := string(res.Report.Verdict); v != want[res.Address.Domain] {
				t.Errorf("%s: verdict %s, want %s", res.Input, v, want[res.Address.Domain])
			}
			if res.Report.Address != res.Address.String() {
				t.Errorf("%s: report address %s", res.Input, res.Report.Address)
			}
			for _, s := range append(res.Report.Incoming, res.Report.Outgoing...) {
				if s.Username != res.Address.String() {
					t.Errorf("%s: server %s user name %q, want the address", res.Input, s.HostPort(), s.Username)
				}
			}
			if reused := res.ReusedFrom != ""; reused != slices.Contains([]string{"bob@demo.test", "carol@DEMO.test", "bob@srvout.test"}, res.Input) {
				t.Errorf("%s: ReusedFrom = %q", res.Input, res.ReusedFrom)
			}
		}
		if want := map[string]int{"alice@demo.test": 1, "alice@srvout.test": 1, "alice@nothing.test": 1, "alice@badcert.test": 1}; !mapsEqual(c.calls, want) {
			t.Errorf("detections = %v, want one per domain %v", c.calls, want)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestReuse(t *testing.T) {
	rep := &detect.Report{Address: "alice@example.org", Domain: "example.org",
		Incoming: []detect.Server{{Host: "imap.example.org", Username: "alice@example.org"}, {Host: "pop.example.org", Username: "alice"}},
		Outgoing: []detect.Server{{Host: "smtp.example.org", Username: "alice.example"}}}
	a, _ := detect.ParseAddress("Bob@example.org")
	got := batch.Reuse(rep, a)
	if got.Address != "Bob@example.org" || got.Incoming[0].Username != "Bob@example.org" || got.Incoming[1].Username != "Bob" {
		t.Errorf("Reuse = %+v, want address and user names rewritten", got)
	}
	if got.Outgoing[0].Username != "alice.example" {
		t.Errorf("Reuse rewrote a user name only built from the local part: %q", got.Outgoing[0].Username)
	}
	if rep.Address != "alice@example.org" || rep.Incoming[0].Username != "alice@example.org" || rep.Incoming[1].Username != "alice" {
		t.Errorf("Reuse changed the original report: %+v", rep)
	}
}

func TestRunnerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	slow := func(ctx context.Context, address string, o *detect.Options) (*detect.Report, error) {
		if address == "a@fast.test" {
			return &detect.Report{Address: address, Verdict: detect.VerdictNone}, nil
		}
		cancel() // Ctrl-C while this one runs
		<-ctx.Done()
		return &detect.Report{Address: address, Verdict: detect.VerdictNone}, nil // incomplete
	}
	r := &batch.Runner{Options: &detect.Options{Resolver: stubResolver{}}, Concurrency: 1, Detect: slow}
	var got []string
	err := r.Run(ctx, []string{"a@fast.test", "b@fast.test", "a@slow.test", "a@never.test"}, func(res batch.Result) { got = append(got, res.Input) })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run error = %v, want context.Canceled", err)
	}
	if !slices.Equal(got, []string{"a@fast.test", "b@fast.test"}) {
		t.Errorf("emitted %v, want only the completed a@fast.test, b@fast.test", got)
	}
}

func TestRunnerError(t *testing.T) {
	boom := errors.New("no resolver")
	fail := func(context.Context, string, *detect.Options) (*detect.Report, error) { return nil, boom }
	r := &batch.Runner{Options: &detect.Options{Resolver: stubResolver{}}, Concurrency: 2, Detect: fail}
	var got []batch.Result
	if err := r.Run(context.Background(), []string{"a@x.test", "b@x.test"}, func(res batch.Result) { got = append(got, res) }); err != nil {
		t.Fatal(err)
	}
	for _, res := range got {
		if res.Status != batch.StatusError || !errors.Is(res.Err, boom) {
			t.Errorf("%s: %s %v, want error %v", res.Input, res.Status, res.Err, boom)
		}
	}
	if len(got) != 2 {
		t.Errorf("%d results, want 2", len(got))
	}
}

// stubResolver answers nothing; the tests using it never reach DNS.
type stubResolver struct{}

func (stubResolver) Query(context.Context, string, uint16) (*resolver.Answer, error) {
	return nil, errors.New("stub")
}
