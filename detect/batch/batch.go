// Package batch runs the detection engine over many addresses at once, for
// helpdesks checking a whole list: bounded concurrency, one detection per
// domain, one shared DNS cache, results in input order or as they complete.
//
// Per-domain de-duplication: of the addresses sharing a domain, only the
// first (in input order) runs a detection; the others reuse its report,
// rewritten for them by [Reuse]: the report's address, and every server's
// user name that equals the first address (it becomes the other address) or
// the first address's local part (it becomes the other local part). User
// names built from the local part in any other way (say "alice.example")
// are not rewritten, and the report's sources keep the queries the first
// detection really sent (an autoconfig URL carries the first address).
// A provider answering differently per user (Autodiscover may) is not asked
// again for each user.
//
// Every detection of a [Runner] shares one [resolver.Client] (and so one
// DNS cache, including the DNSSEC chain's DS and DNSKEY answers) and one
// HTTP client, made once by [Shared].
package batch

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// Status is what became of one address.
type Status string

// Statuses of a [Result].
const (
	// StatusDone: a report, run for this address or reused from the first
	// address of its domain.
	StatusDone Status = "done"
	// StatusInvalid: the address is malformed; nothing was sent.
	StatusInvalid Status = "invalid"
	// StatusError: the engine could not run (its options could not be used).
	StatusError Status = "error"
)

// Result is the outcome for one address of the input.
type Result struct {
	// Index is the address's position in the slice given to [Runner.Run].
	Index int
	// Input is the address as given.
	Input string
	// Address is the normalised address; zero when Status is invalid.
	Address detect.Address
	Status  Status
	// Err says why, when Status is invalid (wrapping detect.ErrBadAddress)
	// or error.
	Err error
	// Report is the detection's report, when Status is done. A reused report
	// shares all but its address and server lists with the first one: treat
	// reports as read-only.
	Report *detect.Report
	// ReusedFrom is the input of the address whose detection this result
	// reuses, "" when the detection ran for this address.
	ReusedFrom string
	// Elapsed is how long the detection took; zero when reused or invalid.
	Elapsed time.Duration
}

// DetectFunc runs one detection; [detect.Run] is the default.
type DetectFunc func(ctx context.Context, address string, o *detect.Options) (*detect.Report, error)

// Runner runs detections over a list of addresses. The zero value runs one
// detection at a time with default options.
type Runner struct {
	// Options are the engine options of every detection, completed by
	// [Shared]. OnEvent is ignored: events of concurrent detections would
	// interleave.
	Options *detect.Options
	// Concurrency bounds the detections running at once; below 1 means 1.
	Concurrency int
	// Ordered emits results in input order (holding back those that finish
	// early), rather than as they complete.
	Ordered bool
	// Detect runs one detection; nil means detect.Run. Tests count calls
	// with it.
	Detect DetectFunc
}

// Shared returns a copy of o (nil: the defaults) whose Resolver and
// HTTPClient are made once, to be shared by every detection: a
// resolver.Client asking the first nameserver of /etc/resolv.conf when o has
// no Resolver, and detect.NewHTTPClient when o has no HTTPClient. OnEvent is
// cleared.
func Shared(o *detect.Options) (*detect.Options, error) {
	var c detect.Options
	if o != nil {
		c = *o
	}
	if c.Resolver == nil {
		server, err := resolver.SystemServer("/etc/resolv.conf")
		if err != nil {
			return nil, err
		}
		c.Resolver = resolver.New(server)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = detect.NewHTTPClient(c.Resolver, c.Dial, c.RootCAs)
	}
	c.OnEvent = nil
	return &c, nil
}

// group is one domain's addresses: the first runs the detection.
type group struct {
	leader    int
	followers []int
}

// Run detects every address and calls emit once per address, from the
// calling goroutine, one call at a time. Malformed addresses are results of
// status invalid (no network traffic). When ctx ends, Run starts no new
// detection, cancels the running ones and drops their results (they are
// incomplete), emits what had completed, and returns ctx's error; it
// returns nil once every address was emitted. It returns an error without
// emitting anything only when the shared options cannot be made.
func (r *Runner) Run(ctx context.Context, addresses []string, emit func(Result)) error {
	run := r.Detect
	if run == nil {
		run = detect.Run
	}
	workers := max(r.Concurrency, 1)

	parsed := make([]detect.Address, len(addresses))
	var invalid []Result
	var groups []*group
	byDomain := make(map[string]*group)
	for i, in := range addresses {
		a, err := detect.ParseAddress(in)
		if err != nil {
			invalid = append(invalid, Result{Index: i, Input: in, Status: StatusInvalid, Err: err})
			continue
		}
		parsed[i] = a
		if g := byDomain[a.Domain]; g != nil {
			g.followers = append(g.followers, i)
			continue
		}
		g := &group{leader: i}
		byDomain[a.Domain] = g
		groups = append(groups, g)
	}
	var opts *detect.Options
	if len(groups) > 0 { // an all-invalid list needs no resolver
		var err error
		if opts, err = Shared(r.Options); err != nil {
			return err
		}
		if r.Options == nil || r.Options.HTTPClient == nil {
			defer opts.HTTPClient.CloseIdleConnections()
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan Result, workers)
	jobs := make(chan *group)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // feeder: invalid rows first, they cost nothing
		defer wg.Done()
		defer close(jobs)
		for _, res := range invalid {
			select {
			case results <- res:
			case <-ctx.Done():
				return
			}
		}
		for _, g := range groups {
			select {
			case jobs <- g:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range jobs {
				if ctx.Err() != nil {
					return
				}
				in := addresses[g.leader]
				start := time.Now()
				rep, err := run(ctx, in, opts)
				if ctx.Err() != nil {
					return // cut short: its report is incomplete
				}
				lead := Result{Index: g.leader, Input: in, Address: parsed[g.leader], Elapsed: time.Since(start)}
				if err != nil {
					lead.Status, lead.Err = StatusError, err
				} else {
					lead.Status, lead.Report = StatusDone, rep
				}
				out := []Result{lead}
				for _, i := range g.followers {
					f := Result{Index: i, Input: addresses[i], Address: parsed[i], Status: lead.Status, Err: lead.Err, ReusedFrom: in}
					if rep != nil {
						f.Report = Reuse(rep, parsed[i])
					}
					out = append(out, f)
				}
				for _, res := range out {
					results <- res // the reader drains until close: never blocks for good
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	emitted := 0
	next := 0
	held := make(map[int]Result)
	for res := range results {
		if !r.Ordered {
			emit(res)
			emitted++
			continue
		}
		held[res.Index] = res
		for {
			h, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			emit(h)
			emitted++
			next++
		}
	}
	// Interrupted in order mode: what completed after a gap still counts.
	for _, i := range slices.Sorted(maps.Keys(held)) {
		emit(held[i])
		emitted++
	}
	if emitted < len(addresses) {
		return ctx.Err() // only an ended context leaves addresses out
	}
	return nil
}

// Reuse returns a copy of rep, the report of another address of a's domain,
// rewritten for a: its address, and each server's user name that equals the
// old address (it becomes a) or the old local part (it becomes a's local
// part). Other user names, the sources' queries and the warnings are kept.
// rep is not changed.
func Reuse(rep *detect.Report, a detect.Address) *detect.Report {
	c := *rep
	oldAddr := rep.Address
	oldLocal, _, _ := strings.Cut(oldAddr, "@") // a normalised address has one @
	c.Address = a.String()
	rewrite := func(list []detect.Server) []detect.Server {
		if list == nil {
			return nil
		}
		out := slices.Clone(list)
		for i := range out {
			switch out[i].Username {
			case oldAddr:
				out[i].Username = a.String()
			case oldLocal:
				out[i].Username = a.LocalPart
			}
		}
		return out
	}
	c.Incoming = rewrite(rep.Incoming)
	c.Outgoing = rewrite(rep.Outgoing)
	return &c
}
