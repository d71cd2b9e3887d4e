// Package detect is the detection engine: it turns an email address into
// ranked, probed mail settings.
//
// [Run] normalises the address, starts every discovery source at once
// (local files, DNS SRV per RFC 6186 and RFC 8314, provider autoconfig over
// https, the ISP database, the MX host's provider, Autodiscover, guessing,
// and the PACC document checked against its DNS digest)
// under one deadline, merges the servers they name into distinct candidates,
// probes each distinct (host, port, security) once as soon as it is known
// (the guessable servers speculatively from the start, their results kept
// aside until needed; see speculate.go), ranks them as RFC 8314 asks (verified first, implicit TLS before STARTTLS
// before plaintext, then the trust of the source, then the source's own
// order) and returns a [Report].
//
// The engine takes every network dependency through [Options]: the DNS
// resolver, the dialer, the HTTP client and the trusted CAs, so tests and the
// lab point it at loopback with no global state.
package detect

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// sources is every discovery source, in the order of DESIGN.md's table,
// each with every trust its answers can carry (configOutput lowers https to
// redirect or insecure; an ISPDB or MX fetch that ended on http is
// insecure). The early stop reads its ceiling from this list, and
// TestSourceTrustsCoverResults checks the list against what every source
// returns in the lab (STYLE.md habit 11).
var sources = []source{
	{SourceLocal, []Trust{TrustLocal}, localSource},
	{SourceSRV, []Trust{TrustDNSSEC, TrustDNS}, srvSource},
	{SourceAutoconfig, []Trust{TrustHTTPS, TrustRedirect, TrustInsecure}, autoconfigSource},
	{SourceWellKnown, []Trust{TrustHTTPS, TrustRedirect, TrustInsecure}, wellKnownSource},
	{SourceAutoconfigHTTP, []Trust{TrustInsecure}, httpSource},
	{SourceISPDB, []Trust{TrustISPDB, TrustInsecure}, ispdbSource},
	{SourceMX, []Trust{TrustMX, TrustInsecure}, mxSource},
	{SourceAutodiscover, []Trust{TrustHTTPS, TrustRedirect, TrustInsecure}, autodiscoverSource},
	{SourceGuess, []Trust{TrustGuess}, guessSource},
	{SourcePACC, []Trust{TrustDNSSEC, TrustHTTPS}, paccSource},
	// The services' own sources (issue 16; services.go).
	{SourceServiceSRV, []Trust{TrustDNSSEC, TrustDNS, TrustRedirect}, serviceSRVSource},
	{SourceServiceWellKnown, []Trust{TrustHTTPS, TrustRedirect}, serviceWellKnownSource},
}

// Run detects the mail settings of address. It returns an error only when
// the address is malformed (wrapping [ErrBadAddress]; no network traffic
// happens then) or the options cannot be used; every network failure is part
// of the Report. Run returns when the recommendation can no longer change or
// at the overall deadline, whichever is first, and no goroutine it started
// outlives it.
func Run(ctx context.Context, address string, opts *Options) (*Report, error) {
	addr, err := ParseAddress(address)
	if err != nil {
		return nil, err
	}
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	// Every query of the run goes through one counter, so that a resolver
	// that never answers is told apart from a domain that publishes nothing.
	counter := &countingResolver{Resolver: o.Resolver}
	o.Resolver = counter
	if opts == nil || opts.HTTPClient == nil {
		o.HTTPClient = NewHTTPClient(counter, o.Dial, o.RootCAs)
	}
	r := &run{
		dns: counter,
		env: env{addr: addr, o: o, vars: autoconfig.Vars{Address: addr.String(), LocalPart: addr.LocalPart, Domain: addr.Domain, RealName: o.RealName},
			v: dnssec.New(o.Resolver, o.TrustAnchors, &dnssec.Options{Logger: o.Logger})},
		start: time.Now(),
		cands: make(map[candKey]*candidate),
		srcs:  make(map[SourceName]*sourceState),
		msgs:  make(chan any, 64),
	}
	return r.run(ctx), nil
}

type candKey struct {
	protocol autoconfig.Protocol
	host     string
	port     int
	security autoconfig.Security
}

type probeState int

const (
	probeIdle     probeState = iota // known, not started yet
	probeDeferred                   // guessed only: probed only if needed
	probeRunning
	probeDone
)

type origin struct {
	name SourceName
	f    found
}

type candidate struct {
	key     candKey
	seq     int
	origins []origin
	best    origin
	state   probeState
	result  probe.Result
	dane    daneResult
	// addrs is the DNSSEC verdict on the host's addresses, as this
	// candidate's own probe looked them up; empty when it never did.
	addrs  dnssec.Verdict
	cancel context.CancelFunc
	// early: result is the probe's early outcome, its goodbye still under way.
	early bool
	// doomed: the running probe's server presented a key its TLSA records
	// reject, so it can never be verified (doomedMsg).
	doomed bool
}

func (c *candidate) incoming() bool { return c.key.protocol != autoconfig.SMTP }
func (c *candidate) trust() Trust   { return c.best.f.trust }

// verdictRank: 0 verified TLS, 1 reachable with a problem, 2 not reachable,
// 3 not probed.
func (c *candidate) verdictRank() int {
	return verdictRankOf(c.state, c.result, c.dane, c.key.security)
}

// verdictRankOf ranks a probe's outcome, for mail servers and services
// alike: 0 verified TLS, 1 reachable with a problem, 2 not reachable, 3
// not probed.
func verdictRankOf(state probeState, result probe.Result, dane daneResult, security autoconfig.Security) int {
	if state != probeDone {
		return 3
	}
	switch probeStatus(result) {
	case ProbeOK:
		if dane.status == DANEMismatch || dane.status == DANEBogus {
			return 1 // RFC 7672 §2.2: secure TLSA records make their match mandatory
		}
		if security != autoconfig.Plain && result.Cert != nil && result.Cert.Valid {
			return 0
		}
		return 1
	case ProbeTLSError, ProbeProtocolError:
		return 1
	case ProbeNotProbed:
		return 3
	default:
		return 2
	}
}

func (c *candidate) verified() bool { return c.verdictRank() == 0 }

type sourceState struct {
	src     source
	started time.Time
	running bool
	done    bool
	report  SourceReport
}

type sourceMsg struct {
	name SourceName
	out  sourceOutput
}

type probeMsg struct {
	key    candKey
	result probe.Result
	dane   daneResult
	addrs  dnssec.Verdict
	// early: the outcome as soon as the checks passed, before the probe's
	// goodbye (probe.Options.Checked); the probe's final message follows.
	early bool
}

// isEarly reports whether m is an early probe message, which a final one
// follows (only final messages count in pending).
func isEarly(m any) bool {
	switch m := m.(type) {
	case probeMsg:
		return m.early
	case specMsg:
		return m.early
	case doomedMsg:
		return true
	}
	return false
}

type run struct {
	env
	dns     *countingResolver
	start   time.Time
	cands   map[candKey]*candidate
	list    []*candidate
	srcs    map[SourceName]*sourceState
	msgs    chan any
	wg      sync.WaitGroup
	pending int // goroutines whose message is not yet received
	// grace fires when the recommendation has settled and the remaining
	// work has had its short grace period (see finished).
	grace <-chan time.Time
	timer *time.Timer
	// answered is set once the answer event has gone out (announce).
	answered bool

	// answers are the DNSSEC verdicts of the domain's own answers the
	// sources used (SRV, MX), in arrival order.
	answers []dnssec.Verdict
	// hostsMu guards bogus, which names every answer discarded as bogus
	// (the answer, not the reason, so that repeats collapse).
	hostsMu sync.Mutex
	bogus   []string
	// srcWarnings are the warnings the sources raised themselves.
	srcWarnings []sourceWarning

	// specs are the speculative probes of guessed servers no candidate has
	// taken yet, waiting those a candidate took while they ran (see
	// speculate.go).
	specs   map[candKey]*spec
	waiting []*spec
	// ctx is the run's context, for the probes started from messages.
	ctx context.Context

	// svcs are the JMAP, CalDAV and CardDAV services found, by protocol
	// and URL, and svcList the same in arrival order (services.go);
	// svcBogus the bogus answers their probes met, which concern no mail
	// server (guarded by hostsMu).
	svcs     map[string]*svcCand
	svcList  []*svcCand
	svcBogus []string
}

func (r *run) since() time.Duration { return time.Since(r.start) }

func (r *run) emit(ev Event) {
	if r.o.OnEvent != nil {
		ev.At = r.since()
		r.o.OnEvent(ev)
	}
}

func (r *run) run(parent context.Context) *Report {
	ctx, cancel := context.WithTimeout(parent, r.o.Timeout)
	defer cancel()
	r.ctx = ctx
	r.o.Logger.Debug("detect: start", "address", r.addr.String(), "timeout", r.o.Timeout)

	for _, s := range sources {
		r.srcs[s.name] = &sourceState{src: s}
	}
	// The chain of trust of the domain is fetched beside the sources' first
	// queries: the validation of their answers (SRV, MX, TXT, the
	// addresses of hosts in the domain) then finds it ready instead of
	// fetching it only once they are in, a round trip later.
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.v.Prime(ctx, r.addr.Domain)
	}()
	// autoconfig-http waits for the two https autoconfig sources.
	for _, s := range sources {
		if s.name != SourceAutoconfigHTTP {
			r.startSource(ctx, s.name)
		}
	}
	// The guessed servers' probes start after the sources, whose first
	// queries are on a shorter path to the answer.
	r.speculate(ctx)

	for !r.finished() {
		select {
		case m := <-r.msgs:
			r.handle(m)
		case <-r.grace:
			r.stopAll("not needed: a verified server that no pending answer could outrank was found", false)
		case <-ctx.Done():
			why := fmt.Sprintf("stopped by the overall deadline (%s)", r.o.Timeout)
			if parent.Err() != nil {
				why = "cancelled"
			}
			r.stopAll(why, true)
		}
		r.advance(ctx)
	}
	if r.timer != nil {
		r.timer.Stop()
	}
	cancel()
	r.drain()
	rep := r.report()
	if !r.answered {
		in, out := rep.Recommended()
		r.announce(in, out)
	}
	return rep
}

// announce emits the run's one answer event.
func (r *run) announce(in, out *Server) {
	r.answered = true
	r.emit(Event{Kind: EventAnswer, Answer: &Answer{Incoming: in, Outgoing: out}})
}

// announceSettled announces the top servers of both directions, once
// settled: they are verified, so the report will recommend them.
func (r *run) announceSettled() {
	var top [2]*Server
	for i, in := range []bool{true, false} {
		s := r.server(r.ranked(in)[0])
		s.Recommended = true
		top[i] = &s
	}
	r.announce(top[0], top[1])
}

// announceQuiet announces, once the mail work is quiet (the
// recommendation can no longer change), each direction's top server if it
// is verified, as the report will: its settled check may never have run,
// the last mail message having settled the answer and ended the mail work
// at once, while the services still run.
func (r *run) announceQuiet() {
	var top [2]*Server
	for i, in := range []bool{true, false} {
		if ranked := r.ranked(in); len(ranked) > 0 && ranked[0].verified() {
			s := r.server(ranked[0])
			s.Recommended = true
			top[i] = &s
		}
	}
	r.announce(top[0], top[1])
}

func (r *run) startSource(ctx context.Context, name SourceName) {
	st := r.srcs[name]
	st.started, st.running = time.Now(), true
	st.report = SourceReport{Name: name, Status: StatusRunning, Trust: st.src.ceiling()}
	rep := st.report
	r.emit(Event{Kind: EventSourceStarted, Source: &rep})
	r.pending++
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		out := st.src.run(ctx, &r.env)
		r.msgs <- sourceMsg{name, out}
	}()
}

func (r *run) finishSource(name SourceName, out sourceOutput) {
	st := r.srcs[name]
	st.running, st.done = false, true
	el := time.Duration(0)
	if !st.started.IsZero() {
		el = time.Since(st.started)
	}
	if out.trust == "" {
		out.trust = st.src.ceiling()
	}
	st.report = SourceReport{Name: name, Status: out.status, Trust: out.trust, ElapsedMS: el.Milliseconds(),
		Detail: strings.Join(strings.Fields(out.detail), " "), Queries: out.queries, Servers: len(out.servers)} // one line: errors.Join breaks lines
	rep := st.report
	r.emit(Event{Kind: EventSourceFinished, Source: &rep})
}

func (r *run) handle(m any) {
	if !isEarly(m) {
		r.pending--
	}
	switch m := m.(type) {
	case sourceMsg:
		if r.srcs[m.name].done { // already stopped
			return
		}
		r.finishSource(m.name, m.out)
		if m.out.dnssec != "" {
			r.answers = append(r.answers, m.out.dnssec)
		}
		r.hostsMu.Lock()
		if m.name.servicesOnly() {
			r.svcBogus = append(r.svcBogus, m.out.bogus...)
		} else {
			r.bogus = append(r.bogus, m.out.bogus...)
		}
		r.hostsMu.Unlock()
		r.srcWarnings = append(r.srcWarnings, m.out.warnings...)
		for _, f := range m.out.servers {
			if isServiceProtocol(f.server.Protocol) {
				r.addService(m.name, f)
			} else {
				r.add(m.name, f)
			}
		}
	case specMsg:
		r.specDone(m.probeMsg)
	case svcProbeMsg:
		r.serviceProbeDone(m)
	case doomedMsg:
		r.doomedProbe(m)
	case probeMsg:
		r.probeDone(m)
	}
}

// probeDone takes a probe's outcome for its candidate. The final message
// after an early one only completes the transcript and the time with the
// goodbye.
func (r *run) probeDone(m probeMsg) {
	c := r.cands[m.key]
	if c.state == probeDone && c.early && !m.early {
		c.result.Transcript, c.result.Elapsed, c.early = m.result.Transcript, m.result.Elapsed, false
		return
	}
	if c.state != probeRunning {
		return
	}
	c.state, c.result, c.dane, c.addrs, c.early = probeDone, m.result, m.dane, m.addrs, m.early
	srv := r.server(c)
	r.emit(Event{Kind: EventProbeFinished, Server: &srv})
}

// add merges a found server into the candidates.
func (r *run) add(name SourceName, f found) {
	s := f.server
	k := candKey{s.Protocol, s.Hostname, s.Port, s.Security}
	o := origin{name, f}
	c, ok := r.cands[k]
	if !ok {
		c = &candidate{key: k, seq: len(r.list), best: o, state: probeIdle}
		if name == SourceGuess {
			c.state = probeDeferred
		}
		r.cands[k] = c
		r.list = append(r.list, c)
	} else if betterOrigin(o, c.best) {
		c.best = o
		if c.state == probeDeferred { // named by a real source now
			c.state = probeIdle
		}
	}
	c.origins = append(c.origins, o)
}

func betterOrigin(a, b origin) bool {
	if a.f.trust.Level() != b.f.trust.Level() {
		return a.f.trust.Level() > b.f.trust.Level()
	}
	return a.name.precedence() < b.name.precedence()
}

// advance starts what can start now: probes of new candidates, the http
// fallback when https found nothing, and guessed servers when nothing else
// works.
func (r *run) advance(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	for _, c := range r.list {
		if c.state == probeIdle {
			r.startProbe(ctx, c)
		}
	}
	if r.answered {
		// The services' probes wait for the mail answer, so as not to
		// take CPU and connections from the work that proves it.
		r.startServiceProbes(ctx)
	}
	httpSt := r.srcs[SourceAutoconfigHTTP]
	if !httpSt.running && !httpSt.done {
		a, w := r.srcs[SourceAutoconfig], r.srcs[SourceWellKnown]
		if a.done && w.done {
			if a.report.Status == StatusFound || w.report.Status == StatusFound {
				r.finishSource(SourceAutoconfigHTTP, skipped("not needed: autoconfig answered over https"))
			} else {
				r.startSource(ctx, SourceAutoconfigHTTP)
			}
		}
	}
	// Guessed servers are probed only when every other source and probe is
	// done and a direction has no verified server (the probe of a plaintext
	// server or of a doomed one is not waited for: it can never verify).
	if r.quietFor(true) {
		for _, in := range []bool{true, false} {
			if r.hasVerified(in) {
				continue
			}
			for _, c := range r.list {
				if c.state == probeDeferred && c.incoming() == in {
					r.startProbe(ctx, c)
				}
			}
		}
	}
}

// quiet reports whether every mail source has finished and no probe runs
// or waits to run (deferred guesses aside); services are not waited for
// here (see servicesDone).
func (r *run) quiet() bool { return r.quietFor(false) }

// quietFor is quiet, not counting, when verifiable is set, the probes that
// can never verify their server: of plaintext servers, and of servers
// whose key the TLSA records rejected (doomed).
func (r *run) quietFor(verifiable bool) bool {
	for _, st := range r.srcs {
		if !st.done && !st.src.name.servicesOnly() {
			return false
		}
	}
	for _, c := range r.list {
		if (c.state == probeRunning || c.state == probeIdle) && !(verifiable && (c.key.security == autoconfig.Plain || c.doomed)) {
			return false
		}
	}
	return true
}

// hopeless reports whether a direction will have no recommendation: every
// source has finished, none of its servers is verified, and none still to
// be probed (guesses included) could be, plaintext ones and those whose
// key the TLSA records rejected aside.
func (r *run) hopeless(in bool) bool {
	for _, st := range r.srcs {
		if !st.done && !st.src.name.servicesOnly() {
			return false
		}
	}
	for _, c := range r.list {
		if c.incoming() != in {
			continue
		}
		if c.verified() {
			return false
		}
		if c.doomed {
			continue
		}
		if (c.state == probeRunning || c.state == probeIdle || c.state == probeDeferred) && c.key.security != autoconfig.Plain {
			return false
		}
	}
	return true
}

func (r *run) hasVerified(in bool) bool {
	for _, c := range r.list {
		if c.incoming() == in && c.verified() {
			return true
		}
	}
	return false
}

func (r *run) startProbe(ctx context.Context, c *candidate) {
	srv := r.server(c)
	// Discovery checks the certificate against the host too; whether an
	// unsigned SRV target may count is the user's confirmation to give, which
	// the needs-confirmation warning asks for and VerifyLogin enforces.
	t := probeTarget(&srv, r.addr, true)
	if r.adopt(c, t) {
		return
	}
	c.state = probeRunning
	r.emit(Event{Kind: EventProbeStarted, Server: &srv})
	r.launch(ctx, c.key, t, &r.bogus, func(m probeMsg) any { return m }, &c.cancel, nil)
}

// finished reports whether the run can end: everything is done, or the
// recommendation for both directions can no longer change.
func (r *run) finished() bool {
	if r.quiet() {
		for _, c := range r.list {
			if c.state == probeDeferred && !r.hasVerified(c.incoming()) {
				return false // advance will start it
			}
		}
		// The mail answer is final; the services get their own budget,
		// which the answer does not wait for.
		if !r.answered {
			r.announceQuiet()
		}
		// No message may come any more to make advance start the
		// services' probes, which wait for the answer: start them here.
		r.startServiceProbes(r.ctx)
		return r.servicesDone()
	}
	if !r.answered && r.hopeless(true) && r.hopeless(false) {
		// Nothing can be recommended: that is the answer, whatever the
		// probes still running (plaintext or doomed servers) find.
		r.announce(nil, nil)
	}
	if r.o.Exhaustive {
		return false
	}
	if r.grace == nil && r.settled(true) && r.settled(false) {
		// The answer is certain. Work still under way gets a tenth of the
		// time spent so far to finish (at least minGrace), so alternatives
		// are often probed too, at a cost of at most 1.1x the time to the
		// answer (beyond 200 ms).
		r.timer = time.NewTimer(graceFor(r.since()))
		r.grace = r.timer.C
		r.announceSettled()
	}
	return false
}

// settled reports whether the top server of a direction is final: verified,
// implicit TLS (IMAP for incoming), and neither a pending source nor a
// running probe could put anything above it.
func (r *run) settled(in bool) bool {
	ranked := r.ranked(in)
	if len(ranked) == 0 {
		return false
	}
	top := ranked[0]
	if !top.verified() || top.key.security != autoconfig.TLS || (in && top.key.protocol != autoconfig.IMAP) {
		return false
	}
	for _, st := range r.srcs {
		if st.done || st.src.name.servicesOnly() { // they name no mail server
			continue
		}
		lt, lb := st.src.ceiling().Level(), top.trust().Level()
		if lt > lb || lt == lb && st.src.name.precedence() < top.best.name.precedence() {
			return false
		}
	}
	for _, c := range r.list {
		if c.incoming() != in || c == top || (c.state != probeRunning && c.state != probeIdle) {
			continue
		}
		if less(c, top, true) {
			return false
		}
	}
	return true
}

// stopAll ends every running source and probe; their reports say why.
// Before the deadline, it stops the mail work only: the services'
// sources and probes run on within their own budget.
func (r *run) stopAll(why string, deadline bool) {
	if deadline {
		r.stopServices(why)
	}
	for _, s := range sources {
		st := r.srcs[s.name]
		if st.done || !deadline && s.name.servicesOnly() {
			continue
		}
		if deadline && st.running {
			r.finishSource(s.name, sourceOutput{status: StatusError, detail: why})
		} else {
			r.finishSource(s.name, skipped(why))
		}
	}
	for _, c := range r.list {
		switch c.state {
		case probeRunning:
			c.cancel()
			c.state = probeDone
			st := probe.StatusTimeout
			if !deadline {
				st = probe.Status(ProbeNotProbed)
			}
			c.result = probe.Result{Status: st, Error: why}
			srv := r.server(c)
			r.emit(Event{Kind: EventProbeFinished, Server: &srv})
		case probeIdle, probeDeferred:
			c.state = probeDone
			c.result = probe.Result{Status: probe.Status(ProbeNotProbed), Error: why}
		}
	}
}

// drain waits for every goroutine of the run to return.
func (r *run) drain() {
	for r.pending > 0 {
		if !isEarly(<-r.msgs) {
			r.pending--
		}
	}
	r.wg.Wait()
}

func joinHostPort(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// minGrace is the least grace the remaining work gets: on a fast network a
// tenth of a run of a few tens of milliseconds leaves nothing time to
// finish, and the report would often lack the sources that confirm the
// answer (an https autoconfig beside a signed SRV answer).
const minGrace = 20 * time.Millisecond

// graceFor is the grace given to the work still under way once the answer
// is certain, after spent: a tenth of it, at least minGrace.
func graceFor(spent time.Duration) time.Duration { return max(spent/10, minGrace) }
