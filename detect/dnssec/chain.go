package dnssec

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/resolver"
)

// step is what the chain of trust learnt about one name below a secure
// zone: that it is the apex of a secure zone with authenticated keys, an
// insecure delegation, or a name inside its parent's zone — or where the
// chain broke. Secure and insecure steps are cached until expires.
type step struct {
	// verdict: Secure (cut says whether the name is a zone apex),
	// Insecure for a proven delegation without usable DS, Bogus or
	// Indeterminate when the step failed.
	verdict Verdict
	cut     bool
	keys    []*dns.DNSKEY // a secure zone's authenticated zone keys
	detail  string
	expires time.Time
}

// run is the state of one validation: the queries it started, its budget of
// signature checks and the chains it walked. Only the validating goroutine
// touches it; the query goroutines only fill in their pending.
type run struct {
	v      *Validator
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	now    time.Time

	queries  map[qkey]*pending
	nqueries int
	checks   int
	walks    map[string]*walk
	denials  map[string]*denialResult
}

type qkey struct {
	name  string
	qtype uint16
}

// pending is one DS or DNSKEY query, started ahead of its use.
type pending struct {
	done chan struct{}
	ans  *resolver.Answer
	err  error
}

type denialResult struct {
	d   *denial
	err error
}

func (v *Validator) newRun(ctx context.Context) *run {
	ctx, cancel := context.WithCancel(ctx)
	return &run{
		v:       v,
		ctx:     ctx,
		cancel:  cancel,
		now:     v.now(),
		queries: make(map[qkey]*pending),
		walks:   make(map[string]*walk),
		denials: make(map[string]*denialResult),
	}
}

// close cancels the queries whose answers were not needed and waits for
// their goroutines: none outlives the validation.
func (r *run) close() {
	r.cancel()
	r.wg.Wait()
}

// start sends the query for name and qtype unless it was sent already.
func (r *run) start(name string, qtype uint16) *pending {
	k := qkey{name, qtype}
	if p := r.queries[k]; p != nil {
		return p
	}
	p := &pending{done: make(chan struct{})}
	r.queries[k] = p
	if r.nqueries >= maxQueries {
		p.err = fmt.Errorf("more than %d DS and DNSKEY queries for one answer", maxQueries)
		close(p.done)
		return p
	}
	if r.v.r == nil {
		p.err = resolver.ErrNoServer
		close(p.done)
		return p
	}
	r.nqueries++
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(p.done)
		p.ans, p.err = r.v.r.Query(r.ctx, name, qtype)
	}()
	return p
}

// fetch returns the answer to the query for name and qtype, sending it if
// no prefetch did.
func (r *run) fetch(name string, qtype uint16) (*resolver.Answer, error) {
	p := r.start(name, qtype)
	select {
	case <-p.done:
	case <-r.ctx.Done():
		return nil, fmt.Errorf("%s %s: %w", name, dns.TypeToString[qtype], r.ctx.Err())
	}
	if p.err != nil {
		return nil, p.err
	}
	if p.ans == nil || p.ans.Msg == nil {
		return nil, fmt.Errorf("%s %s: resolver returned no message", name, dns.TypeToString[qtype])
	}
	if rc := p.ans.Msg.Rcode; rc != dns.RcodeSuccess && rc != dns.RcodeNameError {
		// A SERVFAIL (or REFUSED...) handed over as a message is a failed
		// fetch, not an empty answer: the chain is indeterminate, never
		// bogus for a missing record nor insecure (RFC 4035 §4.3, §5.5).
		return nil, fmt.Errorf("%s %s: server answered %s: %w", name, dns.TypeToString[qtype], dns.RcodeToString[rc], errFetch)
	}
	return p.ans, nil
}

// errFetch: a DS or DNSKEY query got no usable answer.
var errFetch = errors.New("fetch failed")

// target is a name whose chain of trust an answer needs: the signer of an
// RRset, or the owner of an unsigned one (to prove it is insecure).
type target struct {
	name     string
	unsigned bool
}

// prefetch sends, all at once, the DNSKEY and DS queries that the chains of
// the targets may need: for every name from the trust anchor down to each
// target, since zone cuts are only learnt from the answers. Names the cache
// knows are skipped, and so is everything below a cached insecure
// delegation. This is what makes a cold validation cost one round trip
// more than the lookup, and a warm one none.
func (r *run) prefetch(targets []target) {
	for _, t := range targets {
		a := r.v.anchorFor(t.name)
		if a == nil {
			continue
		}
		names := ancestors(a.zone, t.name)
		if len(names) > maxChain {
			continue
		}
		for i, n := range names {
			if s, ok := r.v.cached(n, r.now); ok {
				if s.verdict != Secure {
					break
				}
				continue
			}
			if i > 0 {
				r.start(n, dns.TypeDS)
			}
			// The DNSKEY of an unsigned owner is only needed if it
			// turns out to have a DS, which makes the answer bogus anyway.
			if !t.unsigned || i < len(names)-1 || i == 0 {
				r.start(n, dns.TypeDNSKEY)
			}
		}
	}
}

// walk is a chain of trust from an anchor down to a name.
type walk struct {
	// verdict is Secure when every step to the name succeeded: zone and
	// keys are then the deepest secure zone at or above the name. Otherwise
	// zone is where the walk stopped: an insecure delegation, or the name
	// whose step failed.
	verdict Verdict
	zone    string
	keys    []*dns.DNSKEY
	links   []Link
	reason  string
}

// walk returns the chain of trust to name (memoised per validation).
func (r *run) walk(name string) *walk {
	if w := r.walks[name]; w != nil {
		return w
	}
	w := r.doWalk(name)
	r.walks[name] = w
	return w
}

func (r *run) doWalk(name string) *walk {
	a := r.v.anchorFor(name)
	if a == nil {
		// RFC 4035 §4.3: without a trust anchor above it, a name is
		// neither secure nor provably insecure.
		return &walk{verdict: Indeterminate, zone: name, reason: "no trust anchor covers " + name}
	}
	names := ancestors(a.zone, name)
	if len(names) > maxChain {
		return &walk{verdict: Indeterminate, zone: name, reason: fmt.Sprintf("chain of trust to %s is longer than %d names", name, maxChain)}
	}
	w := &walk{zone: a.zone}
	s := r.anchorStep(a)
	w.links = append(w.links, Link{Zone: a.zone, Verdict: s.verdict, Detail: s.detail})
	if s.verdict != Secure {
		w.verdict, w.reason = s.verdict, a.zone+": "+s.detail
		return w
	}
	keys := s.keys
	for _, n := range names[1:] {
		s := r.cutStep(w.zone, keys, n)
		if s.verdict == Secure && !s.cut {
			continue // a name inside the zone above
		}
		w.links = append(w.links, Link{Zone: n, Verdict: s.verdict, Detail: s.detail})
		w.zone = n
		if s.verdict != Secure {
			w.verdict, w.reason = s.verdict, n+": "+s.detail
			return w
		}
		keys = s.keys
	}
	w.verdict, w.keys = Secure, keys
	return w
}

// anchorStep authenticates the DNSKEY RRset of a trust anchor's zone.
func (r *run) anchorStep(a *anchor) step {
	return r.once(a.zone, func() step {
		s := r.keyStep(a.zone, a.ds, a.keys, "trust anchor ", r.now.Add(maxCacheTTL))
		s.cut = s.verdict == Secure
		return s
	})
}

// once returns the step of name: from the cache, from another run working
// it out at the same time (the validations of one detection start
// together and walk the same chain), or from compute, whose secure or
// insecure outcome is then cached. A failure is not shared: a run that
// waited for one works the step out itself, with its own budget and
// context.
func (r *run) once(name string, compute func() step) step {
	v := r.v
	v.mu.Lock()
	if s, ok := v.cachedLocked(name, r.now); ok {
		v.mu.Unlock()
		return s
	}
	c, busy := v.stepping[name]
	if !busy {
		c = &inFlight[step]{done: make(chan struct{})}
		v.stepping[name] = c
	}
	v.mu.Unlock()
	if busy {
		select {
		case <-c.done:
			if c.val.verdict == Secure || c.val.verdict == Insecure {
				return c.val
			}
		case <-r.ctx.Done():
			return step{verdict: Indeterminate, detail: fmt.Sprintf("waiting for the chain of trust: %v", r.ctx.Err())}
		}
		return compute()
	}
	c.val = compute()
	v.store(name, c.val, r.now)
	v.mu.Lock()
	delete(v.stepping, name)
	v.mu.Unlock()
	close(c.done)
	return c.val
}

// cutStep finds out what name is, given the authenticated keys of zone, the
// deepest secure zone above it: the DS RRset at name (a secure delegation,
// whose DNSKEY RRset must then match it), or the proof that there is none —
// either an insecure delegation or a name inside zone.
func (r *run) cutStep(zone string, keys []*dns.DNSKEY, name string) step {
	return r.once(name, func() step { return r.doCutStep(zone, keys, name) })
}

func (r *run) doCutStep(zone string, keys []*dns.DNSKEY, name string) step {
	ans, err := r.fetch(name, dns.TypeDS)
	if err != nil {
		return step{verdict: Indeterminate, detail: fmt.Sprintf("DS query failed: %v", err)}
	}
	sets := group(ans.Msg.Answer)
	if set := sets.sets[rrKey{name, dns.TypeDS}]; len(set) > 0 {
		// RFC 4035 §5.2: the DS RRset is authenticated with the parent's keys.
		_, exp, err := r.verify(set, sets.sigs[rrKey{name, dns.TypeDS}], zone, keys)
		if err != nil {
			return step{verdict: bogusOrLimit(err), detail: fmt.Sprintf("DS RRset: %v", err)}
		}
		var ds []*dns.DS
		for _, rr := range set {
			ds = append(ds, rr.(*dns.DS))
		}
		s := r.keyStep(name, ds, nil, "", exp)
		s.cut = s.verdict == Secure
		return s
	}
	if set := sets.sets[rrKey{name, dns.TypeCNAME}]; len(set) > 0 {
		// A CNAME owner cannot be a delegation (RFC 2181 §10.1).
		if _, exp, err := r.verify(set, sets.sigs[rrKey{name, dns.TypeCNAME}], zone, keys); err == nil {
			return step{verdict: Secure, detail: "CNAME, not a delegation", expires: exp}
		}
	}
	// RFC 4035 §5.2: no DS must be proven by the parent, with NSEC or NSEC3.
	d, err := r.denial(group(ans.Msg.Ns), zone, keys)
	if err != nil {
		return step{verdict: bogusOrLimit(err), detail: fmt.Sprintf("no DS, and its proof of absence is bad: %v", err)}
	}
	var p proof
	if ans.Msg.Rcode == dns.RcodeNameError {
		p, err = d.nxDomain(name)
	} else {
		p, err = d.noData(name, dns.TypeDS)
	}
	if err != nil {
		return step{verdict: bogusOrLimit(err), detail: fmt.Sprintf("no DS, and no proof of its absence: %v", err)}
	}
	s := step{expires: d.expires}
	switch {
	case p.insecure != "":
		s.verdict, s.detail = Insecure, "no DS: "+p.insecure
	case p.optOut:
		// RFC 5155 §6, §8.9: an opt-out span may hold unsigned delegations.
		s.verdict, s.detail = Insecure, "no DS: insecure delegation proven by "+p.kind+" (opt-out)"
	case p.delegation:
		// RFC 4035 §5.2: an authenticated proof of no DS at a delegation
		// makes the child zone insecure.
		s.verdict, s.detail = Insecure, "no DS: insecure delegation proven by "+p.kind
	default:
		s.verdict, s.detail = Secure, "not a zone cut, proven by "+p.kind
	}
	return s
}

// keyStep authenticates zone's DNSKEY RRset from its DS records (from the
// parent, or a trust anchor) or trusted DNSKEYs, and returns the zone's keys.
// exp is when the DS records stop being valid.
func (r *run) keyStep(zone string, ds []*dns.DS, trusted []*dns.DNSKEY, what string, exp time.Time) step {
	usable := usableDS(ds)
	var anchorKeys []*dns.DNSKEY
	for _, k := range trusted {
		if supportedAlgorithm(k.Algorithm) && k.Flags&dns.ZONE != 0 {
			anchorKeys = append(anchorKeys, k)
		}
	}
	if len(usable) == 0 && len(anchorKeys) == 0 {
		// RFC 4035 §5.2, RFC 6840 §5.2: DS records with only unsupported
		// algorithms or digest types are treated as no DS: insecure.
		return step{verdict: Insecure, detail: fmt.Sprintf("%sDS uses only unsupported algorithms or digest types (%s)", what, describeDS(ds)), expires: exp}
	}
	ans, err := r.fetch(zone, dns.TypeDNSKEY)
	if err != nil {
		return step{verdict: Indeterminate, detail: fmt.Sprintf("DNSKEY query failed: %v", err)}
	}
	sets := group(ans.Msg.Answer)
	k := rrKey{zone, dns.TypeDNSKEY}
	set := sets.sets[k]
	if len(set) == 0 {
		return step{verdict: Bogus, detail: fmt.Sprintf("DNSKEY missing: %sDS %s but no DNSKEY RRset", what, describeDS(usable))}
	}
	// The keys the DS records (or the anchor) vouch for (RFC 4035 §5.2).
	var sep []*dns.DNSKEY
	for _, rr := range set {
		key := rr.(*dns.DNSKEY)
		for _, d := range usable {
			if dsMatches(d, key) {
				sep = append(sep, key)
				break
			}
		}
	}
	for _, ak := range anchorKeys {
		if !slices.ContainsFunc(sep, func(k *dns.DNSKEY) bool { return sameKey(k, ak) }) {
			c := dns.Copy(ak).(*dns.DNSKEY)
			c.Hdr.Name = zone
			sep = append(sep, c)
		}
	}
	if len(sep) == 0 {
		return step{verdict: Bogus, detail: fmt.Sprintf("%sDS %s matches no DNSKEY", what, describeDS(usable))}
	}
	// RFC 4035 §5.2: the DNSKEY RRset must be signed by a key the DS
	// authenticates.
	sig, kexp, err := r.verify(set, sets.sigs[k], zone, sep)
	if err != nil {
		return step{verdict: bogusOrLimit(err), detail: fmt.Sprintf("DNSKEY RRset not signed by a key matching %sDS: %v", what, err)}
	}
	var used *dns.DNSKEY
	for _, key := range sep {
		if key.KeyTag() == sig.KeyTag && key.Algorithm == sig.Algorithm {
			used = key
			break
		}
	}
	keys := zoneKeys(set)
	if len(keys) == 0 {
		return step{verdict: Bogus, detail: "DNSKEY RRset holds no zone key"}
	}
	how := what + "DS"
	if len(usable) == 0 || !slices.ContainsFunc(usable, func(d *dns.DS) bool { return dsMatches(d, used) }) {
		how = what + "DNSKEY"
	}
	return step{
		verdict: Secure,
		keys:    keys,
		detail:  fmt.Sprintf("DNSKEY %d alg %d tag %d matches %s", used.Flags, used.Algorithm, used.KeyTag(), how),
		expires: earliest(exp, kexp),
	}
}

// bogusOrLimit is Bogus, or Indeterminate when err is a work limit rather
// than a failed check.
func bogusOrLimit(err error) Verdict {
	if errors.Is(err, errBudget) {
		return Indeterminate
	}
	return Bogus
}

func describeDS(ds []*dns.DS) string {
	if len(ds) == 0 {
		return "none"
	}
	var parts []string
	for i, d := range ds {
		if i == 4 {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, fmt.Sprintf("tag %d alg %d digest %d", d.KeyTag, d.Algorithm, d.DigestType))
	}
	return strings.Join(parts, ", ")
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// cached returns the cached step of name, if it has not expired.
func (v *Validator) cached(name string, now time.Time) (step, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.cachedLocked(name, now)
}

// cachedLocked is cached, with v.mu held.
func (v *Validator) cachedLocked(name string, now time.Time) (step, bool) {
	s, ok := v.cache[name]
	if !ok {
		return step{}, false
	}
	if !now.Before(s.expires) {
		delete(v.cache, name)
		return step{}, false
	}
	return s, true
}

// store caches a secure or insecure step; failures are not cached, so that
// the next validation tries again.
func (v *Validator) store(name string, s step, now time.Time) {
	if s.verdict != Secure && s.verdict != Insecure {
		return
	}
	if !now.Before(s.expires) {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.cache) >= maxCacheEntries {
		for n, e := range v.cache {
			if !now.Before(e.expires) {
				delete(v.cache, n)
			}
		}
		if len(v.cache) >= maxCacheEntries {
			clear(v.cache)
		}
	}
	v.cache[name] = s
}
