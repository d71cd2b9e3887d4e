package detect

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/miekg/dns"
	"golang.org/x/net/publicsuffix"

	"github.com/mailsetup/mailsetup/detect/dnssec"
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
func mxLookup(ctx context.Context, e *env) sourceOutput {
	q := e.addr.Domain + " MX"
	a, val, err := e.v.Lookup(ctx, e.addr.Domain+".", dns.TypeMX)
	if err != nil {
		return failed(err, q)
	}
	if val.Verdict == dnssec.Bogus { // RFC 4035 §4.3: bogus data is never used
		o := failed(val.Err(), q)
		o.bogus = []string{e.addr.Domain + " MX: " + val.Reason}
		o.dnssec = dnssec.Bogus
		return o
	}
	var mxs []*dns.MX
	for _, rr := range a.Records {
		if mx, ok := rr.(*dns.MX); ok && mx.Mx != "." {
			mxs = append(mxs, mx)
		}
	}
	if len(mxs) == 0 {
		o := none("no MX records", q)
		o.dnssec = val.Verdict
		return o
	}
	sort.SliceStable(mxs, func(i, j int) bool { return mxs[i].Preference < mxs[j].Preference })
	host := strings.TrimSuffix(strings.ToLower(mxs[0].Mx), ".")
	domains := mxProviderDomains(host, e.addr.Domain)
	if len(domains) == 0 {
		o := none(fmt.Sprintf("MX %s belongs to the email domain itself", host), q)
		o.dnssec = val.Verdict
		return o
	}

	var urls []string
	for _, d := range domains {
		urls = append(urls, "https://autoconfig."+d+"/mail/config-v1.1.xml")
		if !e.o.NoISPDB {
			urls = append(urls, ispdbURL(e.o.ISPDB, d))
		}
	}
	// Fetch them all at once; take the first, in the order above, that
	// answers.
	type res struct {
		out sourceOutput
		err error
	}
	results := make([]chan res, len(urls))
	for i, u := range urls {
		results[i] = make(chan res, 1)
		go func() {
			cfg, final, err := fetchConfig(ctx, e, u)
			if err != nil {
				results[i] <- res{err: err}
				return
			}
			results[i] <- res{out: configOutput(e, cfg, final, TrustMX, nil)}
		}()
	}
	queries := append([]string{q}, urls...)
	var errs []error
	var best *sourceOutput
	for i := range urls {
		r := <-results[i]
		if best != nil {
			continue // drain the rest: they end with ctx or on their own
		}
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
			o.detail = fmt.Sprintf("MX %s → %s", host, o.detail)
			o.queries = queries
			o.dnssec = val.Verdict
			best = &o
		}
	}
	if best != nil {
		return *best
	}
	out := noneOrError(errs, queries...)
	out.detail = fmt.Sprintf("MX %s → %s: %s", host, strings.Join(domains, ", "), out.detail)
	out.dnssec = val.Verdict
	return out
}
