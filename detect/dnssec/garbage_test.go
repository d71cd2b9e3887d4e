package dnssec_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// rdata returns the records of an answer as sorted text without TTLs, to
// compare what they say.
func rdata(a *resolver.Answer) string {
	var out []string
	for _, rr := range a.Records {
		c := dns.Copy(rr)
		c.Header().Ttl = 0
		c.Header().Name = dns.CanonicalName(c.Header().Name)
		out = append(out, strings.ToLower(c.String()))
	}
	slices.Sort(out)
	return strings.Join(out, "\n")
}

// Answers damaged on the way never panic the validator, and are never
// secure unless what they say is still what the zone signed.
func TestCorruptedAnswers(t *testing.T) {
	w := getWorld(t)
	mr := &memResolver{world: w}
	v := newValidator(t, mr, nil)
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"www.demo.test.", dns.TypeA},
		{"alias.demo.test.", dns.TypeA},
		{"foo.wild.n3.test.", dns.TypeA},
		{"nx.demo.test.", dns.TypeA},
		{"nx.n3.test.", dns.TypeA},
		{"www.demo.test.", dns.TypeAAAA},
		{"www.child.oo.test.", dns.TypeA},
	} {
		orig, err := mr.Query(t.Context(), q.name, q.qtype)
		if err != nil {
			t.Fatal(err)
		}
		want := v.Validate(t.Context(), orig)
		buf, err := orig.Msg.Pack()
		if err != nil {
			t.Fatal(err)
		}
		counts := make(map[dnssec.Verdict]int)
		for i := range 300 {
			b := slices.Clone(buf)
			for range 1 + rnd.IntN(3) {
				b[rnd.IntN(len(b))] ^= byte(1 + rnd.IntN(255))
			}
			m := new(dns.Msg)
			if m.Unpack(b) != nil {
				continue
			}
			ans := answerOf(m, q.name, q.qtype)
			res := v.Validate(t.Context(), ans)
			counts[res.Verdict]++
			switch res.Verdict {
			case dnssec.Secure:
				if want.Verdict != dnssec.Secure || ans.Rcode != orig.Rcode || rdata(ans) != rdata(orig) {
					t.Errorf("corrupted answer %d for %s %s is secure (%s):\n%v\nwant bogus, or the original records\n%v",
						i, q.name, dns.TypeToString[q.qtype], res.Reason, m, orig.Msg)
				}
			case dnssec.Insecure:
				if want.Verdict != dnssec.Insecure {
					t.Errorf("corrupted answer %d for %s %s is insecure (%s), want bogus", i, q.name, dns.TypeToString[q.qtype], res.Reason)
				}
			}
		}
		t.Logf("%s %s (%s): corrupted answers: %v", q.name, dns.TypeToString[q.qtype], want.Verdict, counts)
	}
}

// Random records, signatures and proofs never panic the validator and are
// bogus or indeterminate — unless the zone's own keys signed them.
func TestGarbageAnswers(t *testing.T) {
	w := getWorld(t)
	v := newValidator(t, &memResolver{world: w}, nil)
	rnd := rand.New(rand.NewPCG(3, 4))
	names := []string{"www.demo.test.", "demo.test.", "x.demo.test.", "*.wild.demo.test.", "a.wild.demo.test.",
		"www.n3.test.", "n3.test.", "test.", ".", "WWW.Demo.Test.", `w\.x.demo.test.`, "elsewhere."}
	name := func() string { return names[rnd.IntN(len(names))] }
	types := []uint16{dns.TypeA, dns.TypeCNAME, dns.TypeDNAME, dns.TypeNSEC, dns.TypeNSEC3, dns.TypeRRSIG, dns.TypeDS,
		dns.TypeDNSKEY, dns.TypeSOA, dns.TypeNS}
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return b
	}
	hash := func() string {
		return strings.ToUpper(strings.TrimRight(dns.HashName(name(), dns.SHA1, 0, ""), "="))
	}
	record := func() dns.RR {
		t := types[rnd.IntN(len(types))]
		hdr := dns.RR_Header{Name: name(), Rrtype: t, Class: dns.ClassINET, Ttl: rnd.Uint32N(1000)}
		switch t {
		case dns.TypeA:
			return &dns.A{Hdr: hdr, A: randBytes(4)}
		case dns.TypeCNAME:
			return &dns.CNAME{Hdr: hdr, Target: name()}
		case dns.TypeDNAME:
			return &dns.DNAME{Hdr: hdr, Target: name()}
		case dns.TypeNS:
			return &dns.NS{Hdr: hdr, Ns: name()}
		case dns.TypeNSEC:
			return &dns.NSEC{Hdr: hdr, NextDomain: name(), TypeBitMap: []uint16{dns.TypeA, dns.TypeNS, dns.TypeSOA}[:rnd.IntN(4)]}
		case dns.TypeNSEC3:
			hdr.Name = strings.ToLower(hash()) + "." + name()
			if _, ok := dns.IsDomainName(hdr.Name); !ok {
				hdr.Name = name()
			}
			return &dns.NSEC3{Hdr: hdr, Hash: uint8(rnd.IntN(3)), Flags: uint8(rnd.IntN(3)), Iterations: uint16(rnd.IntN(300)),
				HashLength: 20, NextDomain: hash(), TypeBitMap: []uint16{dns.TypeA, dns.TypeNS, dns.TypeSOA}[:rnd.IntN(4)]}
		case dns.TypeRRSIG:
			return &dns.RRSIG{Hdr: hdr, TypeCovered: types[rnd.IntN(len(types))], Algorithm: []uint8{8, 13, 14, 15, 7, 99}[rnd.IntN(6)],
				Labels: uint8(rnd.IntN(5)), OrigTtl: 300, Expiration: rnd.Uint32(), Inception: rnd.Uint32(),
				KeyTag: uint16(rnd.Uint32()), SignerName: name(), Signature: "AAAA" + strings.Repeat("QUJD", rnd.IntN(40))}
		case dns.TypeDS:
			return &dns.DS{Hdr: hdr, KeyTag: uint16(rnd.Uint32()), Algorithm: 13, DigestType: uint8(1 + rnd.IntN(4)), Digest: strings.Repeat("AB", 32)}
		case dns.TypeDNSKEY:
			return &dns.DNSKEY{Hdr: hdr, Flags: 257, Protocol: 3, Algorithm: []uint8{8, 13, 15}[rnd.IntN(3)], PublicKey: "AwEAAa" + strings.Repeat("QUJD", rnd.IntN(60))}
		default:
			return &dns.SOA{Hdr: hdr, Ns: name(), Mbox: name(), Minttl: 300}
		}
	}
	counts := make(map[string]int)
	defer func() { t.Logf("garbage answers: %v", counts) }()
	signed := func(rr dns.RR) []dns.RR {
		out := []dns.RR{rr}
		z := w.zoneFor(rr.Header().Name, rr.Header().Rrtype)
		if z == nil || z.zsk == nil || rnd.IntN(3) == 0 {
			return out
		}
		sig := &dns.RRSIG{Hdr: dns.RR_Header{Ttl: 300}, Algorithm: z.zsk.Algorithm, SignerName: z.origin, KeyTag: z.zsk.KeyTag(),
			Inception: uint32(w.now.Add(-time.Hour).Unix()), Expiration: uint32(w.now.Add(time.Hour).Unix())}
		if err := sig.Sign(z.zskPriv, out); err != nil {
			return out
		}
		if rnd.IntN(4) == 0 { // a real-looking signature that does not verify
			sig.Signature = sig.Signature[:8] + strings.Repeat("A", len(sig.Signature)-12) + sig.Signature[len(sig.Signature)-4:]
		}
		return append(out, sig)
	}
	for i := range 2000 {
		qname := []string{"www.demo.test.", "x.demo.test.", "a.wild.demo.test.", "www.n3.test.", "demo.test."}[rnd.IntN(5)]
		qtype := []uint16{dns.TypeA, dns.TypeMX, dns.TypeDS, dns.TypeCNAME}[rnd.IntN(4)]
		m := new(dns.Msg)
		m.SetQuestion(qname, qtype)
		m.Response = true
		m.Rcode = []int{dns.RcodeSuccess, dns.RcodeNameError}[rnd.IntN(2)]
		// Half of the messages have records signed with the zones' real
		// keys: garbage the zones vouch for, which may well prove something.
		sign := i%2 == 0
		for range rnd.IntN(8) {
			if sign {
				m.Answer = append(m.Answer, signed(record())...)
			} else {
				m.Answer = append(m.Answer, record())
			}
		}
		for range rnd.IntN(8) {
			if sign {
				m.Ns = append(m.Ns, signed(record())...)
			} else {
				m.Ns = append(m.Ns, record())
			}
		}
		if rnd.IntN(4) == 0 { // the answer the question asks for, with a random RRSIG
			a := &dns.A{Hdr: dns.RR_Header{Name: qname, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: randBytes(4)}
			sig := record()
			if s, ok := sig.(*dns.RRSIG); ok {
				s.Hdr.Name, s.TypeCovered = qname, dns.TypeA
			}
			m.Answer = append(m.Answer, a, sig)
		}
		// Half of the messages go through the wire format, the others are
		// handed over as built, unchecked.
		if rnd.IntN(2) == 0 {
			if b, err := m.Pack(); err == nil {
				if m2 := new(dns.Msg); m2.Unpack(b) == nil {
					m = m2
				}
			}
		}
		ans := answerOf(m, qname, qtype)
		res := v.Validate(t.Context(), ans)
		counts[string(res.Verdict)+": "+reasonShape(res.Reason)]++
		if !sign && res.Verdict != dnssec.Bogus && res.Verdict != dnssec.Indeterminate {
			t.Errorf("garbage answer %d is %s (%s), want bogus or indeterminate:\n%v", i, res.Verdict, res.Reason, m)
		}
	}
}

// reasonShape reduces a reason to its words, for a tally.
func reasonShape(s string) string {
	var words []string
	for _, f := range strings.Fields(s) {
		if strings.ContainsAny(f, ".0123456789") {
			continue
		}
		words = append(words, f)
	}
	if len(words) > 6 {
		words = words[:6]
	}
	return strings.Join(words, " ")
}
