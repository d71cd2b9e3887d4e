package dnssec_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// Work limits of one validation, as documented in dnssec.go (maxQueries,
// maxSigChecks). The fuzz target checks that no answer makes the validator
// exceed them.
const (
	fuzzMaxQueries   = 64
	fuzzMaxSigChecks = 128
)

// fuzzQueries are the answers the fuzz target mutates: one per shape the
// validator handles (positive, CNAME and DNAME chains, wildcard expansions,
// NSEC and NSEC3 NXDOMAIN and NODATA, opt-out, insecure delegations). None
// is a DNSKEY answer: every RRSIG, NSEC and NSEC3 in them is needed for the
// verdict, so mutating one of them must never leave the answer secure.
var fuzzQueries = []struct {
	name  string
	qtype uint16
	want  dnssec.Verdict // of the unmutated answer
}{
	{"www.demo.test.", dns.TypeA, dnssec.Secure},
	{"demo.test.", dns.TypeMX, dnssec.Secure},
	{"alias.demo.test.", dns.TypeA, dnssec.Secure},           // CNAME into the NSEC3 zone
	{"out.demo.test.", dns.TypeA, dnssec.Insecure},           // CNAME into an unsigned zone
	{"foo.wild.demo.test.", dns.TypeA, dnssec.Secure},        // wildcard, NSEC proof
	{"foo.wild.n3.test.", dns.TypeA, dnssec.Secure},          // wildcard, NSEC3 proof
	{"nx.demo.test.", dns.TypeA, dnssec.Secure},              // NXDOMAIN, NSEC
	{"nx.n3.test.", dns.TypeA, dnssec.Secure},                // NXDOMAIN, NSEC3
	{"www.demo.test.", dns.TypeAAAA, dnssec.Secure},          // NODATA, NSEC
	{"www.n3.test.", dns.TypeAAAA, dnssec.Secure},            // NODATA, NSEC3
	{"a.demo.test.", dns.TypeA, dnssec.Secure},               // empty non-terminal
	{"www.dn.demo.test.", dns.TypeA, dnssec.Secure},          // DNAME
	{"unsigned2.demo.test.", dns.TypeDS, dnssec.Secure},      // no DS, NSEC
	{"child.oo.test.", dns.TypeDS, dnssec.Insecure},          // no DS, NSEC3 opt-out
	{"www.child.oo.test.", dns.TypeA, dnssec.Insecure},       // insecure below opt-out
	{"www.p384.test.", dns.TypeA, dnssec.Secure},             // another algorithm
	{"dangling.demo.test.", dns.TypeA, dnssec.Secure},        // CNAME to an NSEC3 NXDOMAIN
	{"www.unsigned.test.", dns.TypeA, dnssec.Insecure},       // insecure, NSEC3 no-DS proof
	{"badsig.demo.test.", dns.TypeA, dnssec.Bogus},           // bogus to begin with
	{"www.fail.test.", dns.TypeA, dnssec.Indeterminate},      // DNSKEY fetch fails: indeterminate
	{"www.alg7.test.", dns.TypeA, dnssec.Insecure},           // unsupported algorithm: insecure
	{"www.nodnskey.test.", dns.TypeA, dnssec.Bogus},          // DNSKEY missing: bogus
	{"www.nokey.test.", dns.TypeA, dnssec.Bogus},             // DS matches no key: bogus
	{"unsigned2.demo.test.", dns.TypeA, dnssec.Insecure},     // referral-shaped insecure answer
	{"x.y.nx.demo.test.", dns.TypeMX, dnssec.Secure},         // NXDOMAIN deeper down
	{"WWW.Demo.TEST.", dns.TypeA, dnssec.Secure},             // mixed case
	{"test.", dns.TypeSOA, dnssec.Secure},                    // a TLD apex
	{"nx.test.", dns.TypeA, dnssec.Secure},                   // NXDOMAIN in the NSEC3 TLD
	{"nx.oo.test.", dns.TypeA, dnssec.Insecure},              // NXDOMAIN in the opt-out zone
	{"www.unsigned2.demo.test.", dns.TypeA, dnssec.Insecure}, // insecure, NSEC no-DS proof
}

// fuzzOriginals are the unmutated answers to fuzzQueries, packed, with the
// verdict the validator gives them; built once.
var fuzzOriginals = sync.OnceValues(func() ([][]byte, error) {
	w, err := loadWorld()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, q := range fuzzQueries {
		req := new(dns.Msg)
		req.SetQuestion(q.name, q.qtype)
		req.SetEdns0(1232, true)
		b, err := w.resolve(req).Pack()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
})

// workLog is a slog handler that keeps the work counters the validator
// logs at the end of each validation.
type workLog struct {
	mu        sync.Mutex
	queries   int
	sigchecks int
}

func (h *workLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *workLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *workLog) WithGroup(string) slog.Handler            { return h }
func (h *workLog) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "queries":
			h.queries = max(h.queries, int(a.Value.Int64()))
		case "sigchecks":
			h.sigchecks = max(h.sigchecks, int(a.Value.Int64()))
		}
		return true
	})
	return nil
}

// coveredKey is the text of an RRSIG, NSEC or NSEC3 record without its TTL
// and class and with names lowercased (they compare case-insensitively,
// RFC 4034 §6.2), but with an RRSIG's signature bytes kept exact.
func coveredKey(rr dns.RR) (string, bool) {
	switch rr.(type) {
	case *dns.RRSIG, *dns.NSEC, *dns.NSEC3:
	default:
		return "", false
	}
	c := dns.Copy(rr)
	c.Header().Ttl, c.Header().Class = 0, dns.ClassINET
	key := strings.ToLower(c.String())
	if s, ok := c.(*dns.RRSIG); ok {
		key += " " + s.Signature
	}
	return key, true
}

// covered returns the RRSIG, NSEC and NSEC3 records of m that its verdict
// rests on, as coveredKey texts: all of the answer section, and the proofs
// of the authority section with their RRSIGs. The RRSIG over the SOA (or
// NS) of the authority section is left out: no proof needs it (RFC 4035
// §5.4), and the validator does not check it.
func covered(m *dns.Msg) []string {
	var out []string
	for i, rr := range slices.Concat(m.Answer, m.Ns) {
		if s, ok := rr.(*dns.RRSIG); ok && i >= len(m.Answer) && (s.TypeCovered == dns.TypeSOA || s.TypeCovered == dns.TypeNS) {
			continue
		}
		if k, ok := coveredKey(rr); ok {
			out = append(out, k)
		}
	}
	return out
}

// mutate applies ops to the packed message orig, four bytes per operation:
// [kind, a, b, x]. An even kind XORs x into the byte at (a<<8|b) of the
// whole message; an odd kind XORs x into byte b of the rdata of the a-th
// RRSIG, NSEC or NSEC3 record. It returns nil when the result does not
// parse.
func mutate(orig []byte, ops []byte) *dns.Msg {
	b := slices.Clone(orig)
	var targeted [][3]int
	for i := 0; i+4 <= len(ops); i += 4 {
		kind, a, off, x := ops[i], int(ops[i+1]), int(ops[i+2]), ops[i+3]
		if kind%2 == 0 {
			b[(a<<8|off)%len(b)] ^= x
			continue
		}
		targeted = append(targeted, [3]int{a, off, int(x)})
	}
	m := new(dns.Msg)
	if m.Unpack(b) != nil {
		return nil
	}
	for _, op := range targeted {
		var recs []*dns.RR
		for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
			for i := range sec {
				if _, ok := coveredKey(sec[i]); ok {
					recs = append(recs, &sec[i])
				}
			}
		}
		if len(recs) == 0 {
			break
		}
		rr := recs[op[0]%len(recs)]
		buf := make([]byte, dns.Len(*rr)+64)
		end, err := dns.PackRR(*rr, buf, 0, nil, false)
		if err != nil {
			return nil
		}
		rdlen := int((*rr).Header().Rdlength)
		if rdlen == 0 {
			continue
		}
		buf[end-rdlen+op[1]%rdlen] ^= byte(op[2])
		nrr, _, err := dns.UnpackRR(buf[:end], 0)
		if err != nil {
			return nil
		}
		*rr = nrr
	}
	// Through the wire format again, as a resolver would hand it over.
	if wire, err := m.Pack(); err == nil {
		if m2 := new(dns.Msg); m2.Unpack(wire) == nil {
			return m2
		}
	}
	return m
}

// FuzzValidate feeds the validator answers from the test world's signed
// zones with bytes mutated, and arbitrary messages, through the in-memory
// resolver, a fresh Validator per input. It checks that the validator does
// not panic, keeps within its query and signature-check limits, and never
// calls an answer secure once one of its signatures or NSEC/NSEC3 proofs
// is no longer the zone's (compared with the unmutated answer, the same
// records up to case, TTL and class).
//
// q selects the answer from fuzzQueries; with its top bit set, data is an
// arbitrary DNS message instead, validated as is. Otherwise data holds the
// mutations, see mutate.
func FuzzValidate(f *testing.F) {
	origs, err := fuzzOriginals()
	if err != nil {
		f.Fatalf("building the fuzz answers: %v", err)
	}
	for i := range fuzzQueries {
		q := uint8(i)
		f.Add(q, []byte(nil))                            // unmutated
		f.Add(q, []byte{1, 0, 200, 0x01})                // a signature byte of the first RRSIG/NSEC/NSEC3
		f.Add(q, []byte{1, 1, 3, 0x40, 1, 2, 0, 0x20})   // rdata fields near the start (type covered, algorithm, next name)
		f.Add(q, []byte{1, 0, 2, 0x01})                  // an RRSIG's labels field, an NSEC next name
		f.Add(q, []byte{0, 0, 40, 0x20})                 // a byte of the question or first record
		f.Add(q, []byte{0, 0, 60, 0xff, 0, 1, 10, 0x80}) // two bytes anywhere
		f.Add(q|0x80, origs[i])                          // the original as an arbitrary message
		f.Add(q|0x80, origs[i][:len(origs[i])/2])        // cut short
	}
	f.Add(uint8(0x80), []byte{})
	f.Add(uint8(0x80), []byte("\x00\x00\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"))
	w, err := loadWorld()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, q uint8, data []byte) {
		idx := int(q&0x7f) % len(fuzzQueries)
		orig := new(dns.Msg)
		if err := orig.Unpack(origs[idx]); err != nil {
			t.Fatalf("original answer %d: %v", idx, err)
		}
		var m *dns.Msg
		raw := q&0x80 != 0
		if raw {
			m = new(dns.Msg)
			if m.Unpack(data) != nil {
				return
			}
		} else if m = mutate(origs[idx], data); m == nil {
			return
		}
		qname, qtype := fuzzQueries[idx].name, fuzzQueries[idx].qtype
		if len(m.Question) > 0 {
			qname, qtype = m.Question[0].Name, m.Question[0].Qtype
		}
		if _, ok := dns.IsDomainName(qname); !ok {
			return
		}
		work := &workLog{}
		mr := &memResolver{world: w}
		v := dnssec.New(mr, w.anchor, &dnssec.Options{Now: func() time.Time { return w.now }, Logger: slog.New(work)})
		ans := answerOf(m, dns.Fqdn(qname), qtype)
		res := v.Validate(t.Context(), ans)

		if n := mr.count(); n > fuzzMaxQueries {
			t.Errorf("Validate made %d queries, want at most %d", n, fuzzMaxQueries)
		}
		if work.queries > fuzzMaxQueries || work.sigchecks > fuzzMaxSigChecks {
			t.Errorf("Validate did %d queries and %d signature checks, want at most %d and %d",
				work.queries, work.sigchecks, fuzzMaxQueries, fuzzMaxSigChecks)
		}
		if !raw && len(data) == 0 && res.Verdict != fuzzQueries[idx].want {
			t.Fatalf("unmutated answer %s %s is %s (%s), want %s", qname, dns.TypeToString[qtype], res.Verdict, res.Reason, fuzzQueries[idx].want)
		}
		if raw || res.Verdict != dnssec.Secure {
			return
		}
		have := covered(m)
		for _, k := range covered(orig) {
			if !slices.Contains(have, k) {
				t.Fatalf("answer %s %s with a mutated RRSIG/NSEC/NSEC3 is secure (%s), want not secure:\nmissing %s\n%v",
					fuzzQueries[idx].name, dns.TypeToString[fuzzQueries[idx].qtype], res.Reason, k, m)
			}
		}
		origAns := answerOf(orig, fuzzQueries[idx].name, fuzzQueries[idx].qtype)
		if strings.EqualFold(dns.Fqdn(qname), fuzzQueries[idx].name) && qtype == fuzzQueries[idx].qtype &&
			ans.Rcode == origAns.Rcode && rdata(ans) != rdata(origAns) {
			t.Fatalf("mutated answer %s %s is secure (%s) but says something else:\n%s\nwant\n%s",
				qname, dns.TypeToString[qtype], res.Reason, rdata(ans), rdata(origAns))
		}
	})
}

var _ resolver.Resolver = (*memResolver)(nil)
