package detect

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dane"
	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// DANE statuses of a server in the report (DESIGN.md).
const (
	DANEVerified = "verified"
	DANEMismatch = "mismatch"
	DANENone     = "none"
	DANEInsecure = "insecure"
	DANEBogus    = "bogus"
)

// daneResult is the DANE outcome of one probed server.
type daneResult struct {
	status string
	reason string
}

// tlsaAnswer is the validated TLSA RRset of a server.
type tlsaAnswer struct {
	records []*dns.TLSA
	val     dnssec.Result
	err     error
}

// lookupIP resolves a probed host through the validator and remembers the
// verdict. Bogus addresses are never used (RFC 4035 §4.3).
func (r *run) lookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	type res struct {
		addrs []netip.Addr
		val   dnssec.Result
		err   error
	}
	ch := make(chan res, 2)
	for _, qt := range []uint16{dns.TypeAAAA, dns.TypeA} {
		go func() {
			a, val, err := r.v.Lookup(ctx, host, qt)
			var out res
			out.val, out.err = val, err
			if err == nil {
				for _, rr := range a.Records {
					switch rr := rr.(type) {
					case *dns.A:
						if ip, ok := netip.AddrFromSlice(rr.A.To4()); ok {
							out.addrs = append(out.addrs, ip)
						}
					case *dns.AAAA:
						if ip, ok := netip.AddrFromSlice(rr.AAAA); ok {
							out.addrs = append(out.addrs, ip)
						}
					}
				}
			}
			ch <- out
		}()
	}
	var v6, v4 []netip.Addr
	var errs []error
	combined := dnssec.Result{Verdict: dnssec.Secure}
	for range 2 {
		x := <-ch
		if x.err != nil {
			errs = append(errs, x.err)
			combined = dnssec.Result{Verdict: dnssec.Indeterminate, Reason: x.err.Error()}
			continue
		}
		if worse(combined.Verdict, x.val.Verdict) != combined.Verdict {
			combined = x.val
		}
		for _, a := range x.addrs {
			if a.Is4() {
				v4 = append(v4, a)
			} else {
				v6 = append(v6, a)
			}
		}
	}
	r.hostsMu.Lock()
	r.hosts[host] = combined
	if combined.Verdict == dnssec.Bogus {
		r.bogus = append(r.bogus, host+" A/AAAA: "+combined.Reason)
	}
	r.hostsMu.Unlock()
	if combined.Verdict == dnssec.Bogus {
		return nil, fmt.Errorf("the addresses of %s failed DNSSEC validation: %w", host, combined.Err())
	}
	if addrs := append(v6, v4...); len(addrs) > 0 {
		return addrs, nil
	}
	if len(errs) > 0 {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("%s has no address records", host)
}

// lookupTLSA fetches and validates the TLSA RRset of host:port.
func (r *run) lookupTLSA(ctx context.Context, host string, port int) tlsaAnswer {
	a, val, err := r.v.Lookup(ctx, dane.Name(host, port), dns.TypeTLSA)
	out := tlsaAnswer{val: val, err: err}
	if err == nil {
		for _, rr := range a.Records {
			if t, ok := rr.(*dns.TLSA); ok {
				out.records = append(out.records, t)
			}
		}
	}
	return out
}

// daneOf decides a probed server's DANE status (RFC 7672 §2.2, RFC 7671):
// only when the host's addresses and the TLSA RRset are DNSSEC-secure do
// the records count; then the served chain must match them.
func (r *run) daneOf(host string, res probe.Result, t tlsaAnswer) daneResult {
	r.hostsMu.Lock()
	hv, ok := r.hosts[host]
	r.hostsMu.Unlock()
	switch {
	case !ok || hv.Verdict == dnssec.Indeterminate:
		return daneResult{DANEInsecure, "the host's addresses could not be validated"}
	case hv.Verdict == dnssec.Bogus:
		return daneResult{DANEBogus, hv.Reason}
	case hv.Verdict != dnssec.Secure:
		return daneResult{DANEInsecure, "the host's addresses are not DNSSEC-signed, so TLSA records cannot be trusted (RFC 7672 §2.2)"}
	case t.err != nil:
		return daneResult{DANEInsecure, "TLSA lookup failed: " + t.err.Error()}
	case t.val.Verdict == dnssec.Bogus:
		return daneResult{DANEBogus, t.val.Reason}
	case t.val.Verdict != dnssec.Secure:
		return daneResult{DANEInsecure, "the TLSA records are not DNSSEC-signed"}
	case len(t.records) == 0:
		return daneResult{DANENone, "no TLSA records (denial validated)"}
	case res.Cert == nil || len(res.Cert.Chain) == 0:
		return daneResult{DANENone, "no certificate was served to check"}
	}
	d := dane.Verify(t.records, res.Cert.Chain, host, r.o.RootCAs, time.Now())
	return daneResult{string(d.Status), d.Reason}
}
