package detect

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// Speculative guessing (issue 12). The guessed servers (guessHosts on the
// standard ports of guessPorts) need no source to be known, so their probes
// start with the run, beside the sources, instead of after every source has
// settled. Their results are kept aside and used exactly as before: a
// guessed candidate takes its probe's result only when the engine would
// have started that probe (a source of higher trust named the same server,
// or nothing better was verified). A speculative probe sends what any
// probe sends and nothing else — no credential, no address — through the
// engine's dialer with the same per-probe budget; there is one per distinct
// guessed (host, port), and at most len(guessTargets) of them. Those
// never used are cancelled when the run ends and appear nowhere in the
// report.

// spec is one speculative probe.
type spec struct {
	target probe.Target
	cancel context.CancelFunc
	done   bool
	msg    probeMsg
	// bogus are the addresses this probe's lookup found bogus; they join
	// the run's only when the result is used.
	bogus []string
	// waiting is the candidate that took this probe over while it ran.
	waiting *candidate
	// lookup resolves the host for every guessed port of it.
	lookup *sharedLookup
	// doomed: the key was rejected by TLSA records (doomedMsg).
	doomed bool
}

// specMsg is a speculative probe's result.
type specMsg struct{ probeMsg }

// doomedMsg says that the key a probe's server presented is rejected by
// its TLSA records (see launch), so the server can never be verified,
// whatever the rest of the probe finds. It comes before the probe's final
// message and is not counted in pending.
type doomedMsg struct {
	key  candKey
	spec bool // from a speculative probe
}

// doomedProbe marks the candidate whose probe (or speculative probe it
// took over) m is about; a speculative probe no candidate took yet keeps
// it for the one that takes it.
func (r *run) doomedProbe(m doomedMsg) {
	if !m.spec {
		if c := r.cands[m.key]; c != nil && c.state == probeRunning {
			c.doomed = true
		}
		return
	}
	if s, ok := r.specs[m.key]; ok {
		s.doomed = true
		return
	}
	for _, s := range r.waiting {
		if s.waiting.key == m.key && s.waiting.state == probeRunning {
			s.waiting.doomed = true
		}
	}
}

// guessTargets are the servers the guess source can name for domain d, in
// its order.
func guessTargets(a Address) []candKey {
	var out []candKey
	for _, p := range []autoconfig.Protocol{autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP} {
		for _, h := range guessHosts(p, a.Domain) {
			for _, gp := range guessPorts[p] {
				out = append(out, candKey{p, h, gp.port, gp.security})
			}
		}
	}
	return out
}

// speculate starts the probes of every guessable server.
func (r *run) speculate(ctx context.Context) {
	if r.o.NoGuess || r.o.NoSpeculativeGuess {
		return
	}
	r.specs = make(map[candKey]*spec)
	hosts := map[string]*sharedLookup{}
	for _, k := range guessTargets(r.addr) {
		if hosts[k.host] == nil {
			hosts[k.host] = &sharedLookup{looked: make(chan struct{})}
		}
		srv := Server{Protocol: k.protocol, Host: k.host, Port: k.port, Security: k.security,
			Trust: TrustGuess, Sources: []SourceName{SourceGuess}}
		s := &spec{target: probeTarget(&srv, r.addr, true), lookup: hosts[k.host]}
		r.specs[k] = s
		r.launch(ctx, k, s.target, &s.bogus, func(m probeMsg) any { return specMsg{m} }, &s.cancel, hosts[k.host])
	}
}

// sharedLookup is one validated address lookup of a guessed host, shared
// by the speculative probes of its ports, so a host costs one lookup
// however many ports are tried.
type sharedLookup struct {
	once  sync.Once
	ips   []netip.Addr
	err   error
	res   dnssec.Result
	ok    bool
	bogus []string
	// missing: the unvalidated lookup found no such host, so no validation
	// was done; the probes' results are then never used.
	missing atomic.Bool
	// looked is closed once the unvalidated lookup is done; found says
	// whether it gave addresses (read after looked).
	looked chan struct{}
	found  bool
}

func (sl *sharedLookup) isMissing() bool { return sl.missing.Load() }

// lookup resolves host once, in the run's context (not one probe's, which
// may be cancelled half-way), and gives each caller the addresses and
// their verdict. Most guessed names do not exist: an unvalidated lookup
// first (the guess source asks the same questions, so the resolver answers
// once) spares validating their denials; one that exists is then validated
// from the resolver's cache.
func (sl *sharedLookup) lookup(ctx context.Context, r *run, host string, hv *hostVerdict, bogus func(string)) ([]netip.Addr, error) {
	sl.once.Do(func() {
		_, err := resolver.LookupIP(ctx, r.o.Resolver, host)
		sl.found = err == nil
		close(sl.looked)
		if errors.Is(err, resolver.ErrNotFound) {
			sl.err = err
			sl.missing.Store(true)
			return
		}
		var own hostVerdict
		sl.ips, sl.err = r.lookupIP(ctx, host, &own, func(b string) { sl.bogus = append(sl.bogus, b) })
		sl.res, sl.ok = own.get()
	})
	if sl.ok {
		hv.set(sl.res)
	}
	for _, b := range sl.bogus {
		bogus(b)
	}
	return sl.ips, sl.err
}

// adopt gives c the result of the speculative probe of the same server,
// when there is one and it probed exactly what c's own probe would. It
// reports whether c's probe is taken care of.
func (r *run) adopt(c *candidate, t probe.Target) bool {
	s, ok := r.specs[c.key]
	if !ok || s.waiting != nil || !sameTarget(s.target, t) {
		return false
	}
	delete(r.specs, c.key) // one candidate per key: used once
	if s.done && s.unusable() {
		return false // c gets a probe of its own
	}
	c.state, c.cancel = probeRunning, s.cancel
	srv := r.server(c)
	r.emit(Event{Kind: EventProbeStarted, Server: &srv})
	if s.done {
		r.useSpec(c, s)
		return true
	}
	s.waiting, c.doomed = c, s.doomed
	r.waiting = append(r.waiting, s)
	return true
}

// useSpec completes c with its speculative probe's result.
func (r *run) useSpec(c *candidate, s *spec) {
	r.hostsMu.Lock()
	r.bogus = append(r.bogus, s.bogus...)
	r.hostsMu.Unlock()
	m := s.msg
	c.state, c.result, c.dane, c.addrs, c.early = probeDone, m.result, m.dane, m.addrs, m.early
	srv := r.server(c)
	r.emit(Event{Kind: EventProbeFinished, Server: &srv})
}

// specDone records a speculative probe's result, and hands it to the
// candidate that took the probe over, if any.
func (r *run) specDone(m probeMsg) {
	if s, ok := r.specs[m.key]; ok {
		s.done, s.msg = true, m // a final message replaces the early one
		return
	}
	for i, s := range r.waiting {
		if s.waiting.key == m.key {
			r.waiting = slices.Delete(r.waiting, i, i+1)
			s.done, s.msg = true, m
			c := s.waiting
			switch {
			case c.state != probeRunning: // stopped meanwhile
			case s.unusable():
				// c gets a probe of its own, as without speculation.
				c.doomed = false
				r.launch(r.ctx, c.key, s.target, &r.bogus, func(m probeMsg) any { return m }, &c.cancel, nil)
			default:
				r.useSpec(c, s)
			}
			return
		}
	}
	if _, ok := r.cands[m.key]; ok && !m.early { // taken over: the goodbye's end
		r.probeDone(m)
	}
}

// unusable reports whether a finished speculative probe's result may not
// stand for the probe its candidate would have had: it ran out of a budget
// that began earlier than that probe's would have, or its host was found
// missing by the unvalidated lookup, so nothing was validated.
func (s *spec) unusable() bool {
	return s.msg.result.Status == probe.StatusTimeout || s.lookup.isMissing()
}

func sameTarget(a, b probe.Target) bool {
	return a.Protocol == b.Protocol && a.Host == b.Host && a.Port == b.Port && a.Security == b.Security &&
		a.HostNotReference == b.HostNotReference && slices.Equal(a.Identities, b.Identities)
}

// launch starts the probe of target t, with its TLSA lookup, and sends
// wrap(result) to the run. A bogus address answer is appended to *bogus.
// A shared lookup, when given, resolves the host.
func (r *run) launch(ctx context.Context, k candKey, t probe.Target, bogus *[]string, wrap func(probeMsg) any, cancelOut *context.CancelFunc, shared *sharedLookup) {
	runCtx := ctx
	pctx, cancel := context.WithCancel(ctx)
	*cancelOut = cancel
	po := probeOptions(r.o)
	// The verdict on the addresses belongs to this probe: another probe of
	// the same host, cancelled half-way, must not change it.
	var addrs hostVerdict
	var mu = &r.hostsMu
	// The TLSA lookup runs beside the probe, from the moment the host's
	// addresses are known (a guessed host that does not exist costs no TLSA
	// query); its verdict counts only when the addresses were secure (RFC
	// 7672 §2.2).
	tlsaDone := make(chan struct{}) // closed once tlsa is set
	var tlsa tlsaAnswer
	var tlsaOnce sync.Once
	startTLSA := func() {
		tlsaOnce.Do(func() {
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				tlsa = r.lookupTLSA(pctx, t.Host, t.Port)
				close(tlsaDone)
			}()
		})
	}
	// Once the handshake is done, the key is checked against the TLSA
	// records as soon as they are in: a key they reject makes the server
	// one that can never be verified (doomedMsg), which the answer need
	// not wait for; the probe goes on, and its outcome is judged as ever.
	var doom sync.WaitGroup
	po.Handshaken = func(ci *probe.CertInfo) {
		doom.Add(1)
		go func() {
			defer doom.Done()
			select {
			case <-tlsaDone:
			case <-pctx.Done():
				return
			}
			switch r.daneOf(t.Host, &addrs, probe.Result{Cert: ci}, tlsa).status {
			case DANEMismatch, DANEBogus:
				r.msgs <- doomedMsg{key: k, spec: shared != nil}
			}
		}()
	}
	if shared != nil {
		// A guessed host's TLSA records are asked as soon as the
		// unvalidated lookup shows the host exists, beside the validation
		// of its addresses: a probe that fails at once (a refused
		// connection) then does not wait a round trip more for them.
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			select {
			case <-shared.looked:
				if shared.found {
					startTLSA()
				}
			case <-pctx.Done():
			}
		}()
	}
	po.LookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
		tell := func(b string) {
			mu.Lock()
			*bogus = append(*bogus, b)
			mu.Unlock()
		}
		if shared == nil {
			// A named host's TLSA records are asked whatever its lookup
			// finds (see outcome): beside its addresses, so that a host
			// that does not exist costs no round trip more.
			startTLSA()
		}
		var ips []netip.Addr
		var err error
		if shared != nil {
			ips, err = shared.lookup(runCtx, r, host, &addrs, tell)
		} else {
			ips, err = r.lookupIP(ctx, host, &addrs, tell)
		}
		if err == nil {
			startTLSA()
		}
		return ips, err
	}
	r.pending++
	r.wg.Add(1)
	outcome := func(res probe.Result, early bool) probeMsg {
		if shared != nil && shared.isMissing() {
			return probeMsg{key: k, result: res, early: early} // never used (see adopt): no TLSA query
		}
		startTLSA() // when the lookup failed: DANE is decided from the same inputs as ever
		hv, _ := addrs.get()
		<-tlsaDone
		return probeMsg{k, res, r.daneOf(t.Host, &addrs, res, tlsa), hv.Verdict, early}
	}
	// The outcome counts as soon as the checks passed, without waiting for
	// the answer to the goodbye; the final message brings the transcript's
	// end.
	var early *probeMsg
	po.Checked = func(res probe.Result) {
		m := outcome(res, true)
		early = &m
		r.msgs <- wrap(m)
	}
	go func() {
		defer r.wg.Done()
		res := probe.Probe(pctx, t, po)
		doom.Wait() // a doomedMsg comes before the final message
		if early == nil {
			r.msgs <- wrap(outcome(res, false))
			return
		}
		// The same outcome (a goodbye never changes it), with the goodbye
		// in the transcript.
		final := *early
		final.result.Transcript, final.result.Elapsed, final.early = res.Transcript, res.Elapsed, false
		r.msgs <- wrap(final)
	}()
}
