package detect

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// mxProviderDomains returns the domains under which the provider of an MX
// host may publish settings: the host's parent domain, then its registrable
// domain (public suffix list), leaving out the email domain itself (already
// asked) and never going up to a public suffix.
func mxProviderDomains(mxHost, emailDomain string) []string {
	var out []string
	add := func(d string) {
		if d == "" || d == emailDomain || isPublicSuffix(d) || !strings.Contains(d, ".") {
			return
		}
		for _, o := range out {
			if o == d {
				return
			}
		}
		out = append(out, d)
	}
	if _, parent, ok := strings.Cut(mxHost, "."); ok {
		add(parent)
	}
	if reg, err := publicsuffix.EffectiveTLDPlusOne(mxHost); err == nil {
		add(reg)
	}
	return out
}

// mxSource finds the domain's MX host and asks the provider it belongs to,
// as Thunderbird does: https autoconfig of the provider's domains and the
// ISP database. The address is not sent to the provider's domain: only the
// provider's generic file is fetched. Whatever it finds names another
// domain's servers, so it needs the user's confirmation.
func mxSource(ctx context.Context, e *env) sourceOutput {
	out := mxLookup(ctx, e)
	for i := range out.servers {
		out.servers[i].dnssec = out.dnssec // they rest on the MX answer
	}
	return out
}

// mxLookup is mxSource without the DNSSEC verdict on the servers it names.
//
// What can overlap does (issue 12): the provider's documents are fetched
// as soon as the MX answer arrives, while its DNSSEC validation runs; a
// bogus answer, or a validated answer naming another host, throws that work
// away, so the outcome is the validated answer's as before. The provider
// zone's keys are fetched beside the documents, for the probes of the hosts
// they name.
func mxLookup(ctx context.Context, e *env) sourceOutput {
	q := e.addr.Domain + " MX"
	type validated struct {
		a   *resolver.Answer
		val dnssec.Result
		err error
	}
	vch := make(chan validated, 1)
	go func() {
		a, val, err := e.v.Lookup(ctx, e.addr.Domain+".", dns.TypeMX)
		vch <- validated{a, val, err}
	}()
	var early *mxFetch
	if a, err := e.o.Resolver.Query(ctx, e.addr.Domain+".", dns.TypeMX); err == nil {
		if host, ok := firstMX(a.Records); ok {
			early = startMXFetch(ctx, e, host)
		}
	}
	v := <-vch
	a, val, err := v.a, v.val, v.err
	if err != nil {
		early.stop()
		return failed(err, q)
	}
	if val.Verdict == dnssec.Bogus { // RFC 4035 §4.3: bogus data is never used
		early.stop()
		o := failed(val.Err(), q)
		o.bogus = []string{e.addr.Domain + " MX: " + val.Reason}
		o.dnssec = dnssec.Bogus
		return o
	}
	host, ok := firstMX(a.Records)
	if !ok {
		early.stop()
		o := none("no MX records", q)
		o.dnssec = val.Verdict
		return o
	}
	if early == nil || early.host != host {
		early.stop()
		early = startMXFetch(ctx, e, host)
	}
	if len(early.domains) == 0 {
		early.stop()
		o := none(fmt.Sprintf("MX %s belongs to the email domain itself", host), q)
		o.dnssec = val.Verdict
		return o
	}
	out := early.result(q)
	out.dnssec = val.Verdict
	return out
}

// firstMX is the host of the most preferred MX record, lower case without
// the trailing dot.
func firstMX(records []dns.RR) (string, bool) {
	var mxs []*dns.MX
	for _, rr := range records {
		if mx, ok := rr.(*dns.MX); ok && mx.Mx != "." {
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 0 {
		return "", false
	}
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Preference < mxs[j].Preference })
	return strings.TrimSuffix(strings.ToLower(mxs[0].Mx), "."), true
}

// mxFetch is the fetch of an MX host's provider documents, under way.
type mxFetch struct {
	e       *env
	host    string
	domains []string
	urls    []string
	results []chan mxResult
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

type mxResult struct {
	out sourceOutput
	err error
}

// startMXFetch fetches, all at once, the https autoconfig and the ISPDB
// entry of every provider domain of host, and validates the provider
// zone's keys meanwhile.
func startMXFetch(ctx context.Context, e *env, host string) *mxFetch {
	f := &mxFetch{e: e, host: host, domains: mxProviderDomains(host, e.addr.Domain)}
	ctx, f.cancel = context.WithCancel(ctx)
	for _, d := range f.domains {
		f.urls = append(f.urls, "https://autoconfig."+d+"/mail/config-v1.1.xml")
		if !e.o.NoISPDB {
			f.urls = append(f.urls, ispdbURL(e.o.ISPDB, d))
		}
	}
	for _, u := range f.urls {
		ch := make(chan mxResult, 1)
		f.results = append(f.results, ch)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			cfg, final, err := fetchConfig(ctx, e, u)
			if err != nil {
				ch <- mxResult{err: err}
				return
			}
			ch <- mxResult{out: configOutput(e, cfg, final, TrustMX, nil)}
		}()
	}
	if n := len(f.domains); n > 0 {
		// The keys of the provider's zone, for the probes of the hosts its
		// documents name: the validator caches them (only a secure or
		// insecure outcome is kept, so a cut-off fetch spoils nothing).
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			_, _, _ = e.v.Lookup(ctx, f.domains[n-1]+".", dns.TypeDNSKEY)
		}()
	}
	return f
}

// stop abandons the fetch; a nil fetch is fine.
func (f *mxFetch) stop() {
	if f == nil {
		return
	}
	f.cancel()
	f.wg.Wait()
}

// result takes the first document, in the order of the URLs, that names
// servers: it returns once every URL before it failed, and abandons the
// rest.
func (f *mxFetch) result(q string) sourceOutput {
	defer f.stop()
	queries := append([]string{q}, f.urls...)
	var errs []error
	for i := range f.urls {
		r := <-f.results[i]
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if r.out.status == StatusFound {
			o := r.out
			o.trust = TrustMX
			for j := range o.servers {
				o.servers[j].trust = TrustMX
			}
			o.detail = fmt.Sprintf("MX %s → %s", f.host, o.detail)
			o.queries = queries
			return o
		}
	}
	out := noneOrError(errs, queries...)
	out.detail = fmt.Sprintf("MX %s → %s: %s", f.host, strings.Join(f.domains, ", "), out.detail)
	return out
}
