package detect

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dane"
	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// DANE statuses of a server in the report (DESIGN.md).
const (
	DANEVerified = "verified"
	DANEMismatch = "mismatch"
	DANENone     = "none"
	DANEInsecure = "insecure"
	DANEBogus    = "bogus"
	// DANEIndeterminate: DNSSEC validation of the host's addresses or of
	// its TLSA RRset could not be completed (a DS or DNSKEY fetch, or the
	// TLSA query itself, failed), so whether DANE applies is unknown. It
	// is not insecure: nothing proved the zone unsigned (RFC 4035 §4.3,
	// §5.5; RFC 7672 §2.2 treats such a lookup failure as a failure, never
	// as "no TLSA").
	DANEIndeterminate = "indeterminate"
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

// hostVerdict is the DNSSEC verdict on one probe's host addresses.
type hostVerdict struct {
	mu  sync.Mutex
	res dnssec.Result
	ok  bool
}

func (h *hostVerdict) set(res dnssec.Result) {
	h.mu.Lock()
	h.res, h.ok = res, true
	h.mu.Unlock()
}

func (h *hostVerdict) get() (dnssec.Result, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.res, h.ok
}

// lookupIP resolves a probed host through the validator and records the
// verdict in hv. Bogus addresses are never used (RFC 4035 §4.3); each is
// told to bogus.
func (r *run) lookupIP(ctx context.Context, host string, hv *hostVerdict, bogus func(string)) ([]netip.Addr, error) {
	vr := &validating{v: r.v, verdict: dnssec.Result{Verdict: dnssec.Secure}}
	addrs, err := resolver.LookupIP(ctx, vr, host)
	if _, perr := netip.ParseAddr(host); perr == nil { // an IP literal: nothing was validated
		return addrs, err
	}
	vr.mu.Lock()
	verdict := vr.verdict
	vr.mu.Unlock()
	hv.set(verdict)
	if verdict.Verdict == dnssec.Bogus {
		bogus(host + " A/AAAA: " + verdict.Reason)
	}
	if verdict.Verdict == dnssec.Bogus {
		return nil, fmt.Errorf("the addresses of %s failed DNSSEC validation: %w", host, verdict.Err())
	}
	return addrs, err
}

// validating is a resolver.Resolver that validates every answer and keeps
// the weakest verdict it saw. A bogus answer comes back as an error, so it
// is never used.
type validating struct {
	v       *dnssec.Validator
	mu      sync.Mutex
	verdict dnssec.Result
}

func (vr *validating) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	a, val, err := vr.v.Lookup(ctx, name, qtype)
	if err != nil {
		val = dnssec.Result{Verdict: dnssec.Indeterminate, Reason: err.Error()}
	}
	vr.mu.Lock()
	if worse(vr.verdict.Verdict, val.Verdict) != vr.verdict.Verdict {
		vr.verdict = val
	}
	vr.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if val.Verdict == dnssec.Bogus {
		return nil, val.Err()
	}
	return a, nil
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
func (r *run) daneOf(host string, addrs *hostVerdict, res probe.Result, t tlsaAnswer) daneResult {
	hv, ok := addrs.get()
	switch {
	case !ok: // an IP literal: no name, no DNSSEC
		return daneResult{DANEInsecure, "the host's addresses could not be validated"}
	case hv.Verdict == dnssec.Indeterminate: // RFC 4035 §4.3: neither secure nor insecure
		return daneResult{DANEIndeterminate, "DNSSEC validation of the host's addresses could not be completed: " + hv.Reason}
	case hv.Verdict == dnssec.Bogus:
		return daneResult{DANEBogus, hv.Reason}
	case hv.Verdict != dnssec.Secure:
		return daneResult{DANEInsecure, "the host's addresses are not DNSSEC-signed, so TLSA records cannot be trusted (RFC 7672 §2.2)"}
	case t.err != nil: // RFC 7672 §2.2: a failed TLSA lookup is not "no TLSA"
		return daneResult{DANEIndeterminate, "the TLSA lookup failed, DNSSEC validation could not be completed: " + t.err.Error()}
	case t.val.Verdict == dnssec.Bogus:
		return daneResult{DANEBogus, t.val.Reason}
	case t.val.Verdict == dnssec.Indeterminate: // RFC 4035 §4.3: neither secure nor insecure
		return daneResult{DANEIndeterminate, "DNSSEC validation of the TLSA records could not be completed: " + t.val.Reason}
	case t.val.Verdict != dnssec.Secure:
		return daneResult{DANEInsecure, "the TLSA records are not DNSSEC-signed"}
	case len(t.records) == 0:
		// The status says it all: "none" is a validated denial of TLSA
		// records; a detail would only repeat it.
		return daneResult{DANENone, ""}
	case res.Cert == nil || len(res.Cert.Chain) == 0:
		return daneResult{DANENone, "no certificate was served to check"}
	}
	d := dane.Verify(t.records, res.Cert.Chain, host, r.o.RootCAs, time.Now())
	return daneResult{string(d.Status), d.Reason}
}
