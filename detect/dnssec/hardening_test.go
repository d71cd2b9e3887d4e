package dnssec_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// Helpers that build answers the world's resolver would not give: records
// signed with a zone's own keys (so every signature verifies), taken apart
// and put together the way an attacker replaying signed data could, or the
// way a resolver collating several zones' data hands them over.

// zone returns the world's zone with origin.
func (w *world) zone(t testing.TB, origin string) *zone {
	t.Helper()
	for _, z := range w.zones {
		if z.origin == origin {
			return z
		}
	}
	t.Fatalf("no zone %s in the world", origin)
	return nil
}

// parse parses zone file lines (absolute names) into records.
func parse(t testing.TB, lines ...string) []dns.RR {
	t.Helper()
	var out []dns.RR
	for _, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil || rr == nil {
			t.Fatalf("dns.NewRR(%q) = %v", l, err)
		}
		out = append(out, rr)
	}
	return out
}

// signed returns set with an RRSIG by z's zone key appended; the RRSIG's
// labels field is the owner's (a "*" label not counted, RFC 4034 §3.1.3).
func (z *zone) signed(t testing.TB, set []dns.RR) []dns.RR {
	t.Helper()
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Ttl: set[0].Header().Ttl}, Algorithm: z.zsk.Algorithm, SignerName: z.origin,
		KeyTag: z.zsk.KeyTag(), Inception: uint32(getWorld(t).now.Add(-time.Hour).Unix()),
		Expiration: uint32(getWorld(t).now.Add(24 * time.Hour).Unix())}
	if err := sig.Sign(z.zskPriv, set); err != nil {
		t.Fatalf("sign %s: %v", set[0].Header().Name, err)
	}
	return append(append([]dns.RR{}, set...), sig)
}

// expandTo copies records (a wildcard's RRset and its RRSIG) with owner
// replaced, as a wildcard expansion (or its replay under another name) does.
func expandTo(rrs []dns.RR, owner string) []dns.RR {
	var out []dns.RR
	for _, rr := range rrs {
		c := dns.Copy(rr)
		c.Header().Name = owner
		out = append(out, c)
	}
	return out
}

// set returns z's RRset of name and type with its RRSIGs.
func (z *zone) set(name string, t uint16) []dns.RR {
	return append(append([]dns.RR{}, z.data[name][t]...), z.sigs[name][t]...)
}

// nsec3Proof returns the NSEC3 records (with RRSIGs) z has for name: "match"
// (or, without a match, the closest provable encloser proof) or "cover".
func (z *zone) nsec3Proof(name, how string) []dns.RR {
	m := new(dns.Msg)
	z.proof(m, name, how)
	return m.Ns
}

// hashOwner is the owner name of an NSEC3 of z for the hash of name with
// salt.
func (z *zone) hashOwner(name, salt string) string {
	return strings.ToLower(dns.HashName(name, dns.SHA1, 0, salt)) + "." + z.origin
}

// answer builds the Answer a resolver hands over for this response.
func answer(qname string, qtype uint16, rcode int, ans, ns []dns.RR) *resolver.Answer {
	m := new(dns.Msg)
	m.SetQuestion(qname, qtype)
	m.Response, m.Rcode = true, rcode
	m.Answer, m.Ns = ans, ns
	return answerOf(m, qname, qtype)
}

func cat(parts ...[]dns.RR) []dns.RR {
	var out []dns.RR
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestHardening: one table row per class of issue 11, each an answer that
// the validator judged wrongly before, with the verdict RFCs (and Unbound,
// BIND) give it.
func TestHardening(t *testing.T) {
	w := getWorld(t)
	root, tld, demo, n3, oo, unsigned2, unsignedT, childOO := w.zone(t, "."), w.zone(t, "test."), w.zone(t, "demo.test."),
		w.zone(t, "n3.test."), w.zone(t, "oo.test."), w.zone(t, "unsigned2.demo.test."), w.zone(t, "unsigned.test."), w.zone(t, "child.oo.test.")
	_ = root

	// 1. A signed NSEC at the wildcard *.demo.test, replayed with the owner
	// www.demo.test: its signature still verifies (labels 2), and its
	// bitmap lacks A.
	wildNSEC := demo.signed(t, parse(t, "*.demo.test. 300 IN NSEC b.a.demo.test. TXT RRSIG NSEC"))
	// ... and the same with an NSEC3 at *.n3.test, replayed at the hash of
	// www.n3.test.
	wildNSEC3 := n3.signed(t, parse(t, fmt.Sprintf("*.n3.test. 300 IN NSEC3 1 0 0 - %s TXT RRSIG",
		dns.HashName("zzzz.n3.test.", dns.SHA1, 0, ""))))

	// 4. NSEC3 records of another chain (salt ab), and one whose span
	// holds every hash (a collision with every other record).
	allSpan := func(salt string) []dns.RR {
		return n3.signed(t, parse(t, fmt.Sprintf("%s 300 IN NSEC3 1 0 0 %s %s A RRSIG",
			"00000000000000000000000000000000.n3.test.", salt, "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVU")))
	}

	// 6. A DNAME at the wildcard *.dn2.demo.test expanded to x.dn2.demo.test,
	// with an NSEC proving x.dn2.demo.test does not exist.
	wildDNAME := demo.signed(t, parse(t, "*.dn2.demo.test. 300 IN DNAME n3.test."))
	dn2NSEC := demo.signed(t, parse(t, "*.dn2.demo.test. 300 IN NSEC z.dn2.demo.test. DNAME RRSIG NSEC"))

	// 7. A DS RRset at test. signed by test.'s own key, for a validator
	// whose only trust anchor is test.'s DS.
	tldDS := tld.ksk.ToDS(dns.SHA256)
	tldDS.Hdr.Ttl = 300
	selfSignedDS := tld.signed(t, []dns.RR{tldDS})

	synth := func(owner, target string) dns.RR {
		return &dns.CNAME{Hdr: dns.RR_Header{Name: owner, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: target}
	}

	tests := []struct {
		class  int
		name   string
		ans    *resolver.Answer
		anchor []dns.RR // nil: the root's
		want   dnssec.Verdict
		reason string // substring of Result.Reason
	}{
		{1, "NSEC expanded from a wildcard forges NODATA for an existing name",
			answer("www.demo.test.", dns.TypeA, dns.RcodeSuccess, nil, cat(demo.set("demo.test.", dns.TypeSOA), expandTo(wildNSEC, "www.demo.test."))),
			nil, dnssec.Bogus, "expanded from a wildcard prove nothing"},
		{1, "NSEC3 expanded from a wildcard forges NODATA for an existing name",
			answer("www.n3.test.", dns.TypeA, dns.RcodeSuccess, nil, cat(n3.set("n3.test.", dns.TypeSOA), expandTo(wildNSEC3, n3.hashOwner("www.n3.test.", "")))),
			nil, dnssec.Bogus, "expanded from a wildcard prove nothing"},

		{2, "CNAME into an unsigned child (NSEC3 parent): NXDOMAIN beside the parent's no-DS proof",
			answer("tou.demo.test.", dns.TypeA, dns.RcodeNameError,
				demo.signed(t, parse(t, "tou.demo.test. 300 IN CNAME nx.unsigned.test.")),
				cat(unsignedT.data["unsigned.test."][dns.TypeSOA], tld.nsec3Proof("unsigned.test.", "match"))),
			nil, dnssec.Insecure, "below insecure delegation unsigned.test."},
		{2, "CNAME into an unsigned child (NSEC parent): NXDOMAIN beside the parent's NSEC",
			answer("tochild.demo.test.", dns.TypeA, dns.RcodeNameError,
				demo.signed(t, parse(t, "tochild.demo.test. 300 IN CNAME nx.unsigned2.demo.test.")),
				cat(unsigned2.data["unsigned2.demo.test."][dns.TypeSOA], demo.set("unsigned2.demo.test.", dns.TypeNSEC))),
			nil, dnssec.Insecure, "below insecure delegation unsigned2.demo.test."},
		{2, "NXDOMAIN below an opt-out delegation, with the parent's closest encloser proof (insecure before too)",
			answer("nx.child.oo.test.", dns.TypeA, dns.RcodeNameError, nil,
				cat(childOO.data["child.oo.test."][dns.TypeSOA], oo.nsec3Proof("child.oo.test.", "match"))),
			nil, dnssec.Insecure, "opt-out"},

		{3, "NODATA at an empty non-terminal in an opt-out span",
			answer("ent.oo.test.", dns.TypeA, dns.RcodeSuccess, nil,
				cat(oo.set("oo.test.", dns.TypeSOA), oo.nsec3Proof("oo.test.", "match"), oo.nsec3Proof("ent.oo.test.", "cover"))),
			nil, dnssec.Insecure, "opt-out"},
		{3, "NODATA for MX under an opt-out delegation, answered by the parent",
			answer("www.child.oo.test.", dns.TypeMX, dns.RcodeSuccess, nil,
				cat(oo.set("oo.test.", dns.TypeSOA), oo.nsec3Proof("child.oo.test.", "match"))),
			nil, dnssec.Insecure, "opt-out"},

		{4, "NSEC3 of another salt combined into one NXDOMAIN proof",
			answer("nx.n3.test.", dns.TypeA, dns.RcodeNameError, nil,
				cat(n3.set("n3.test.", dns.TypeSOA), n3.nsec3Proof("n3.test.", "match"), allSpan("AB"), n3.nsec3Proof("*.n3.test.", "cover"))),
			nil, dnssec.Bogus, "different parameters"},
		{4, "NSEC3 span holding another NSEC3's hash forges NXDOMAIN for an existing name",
			answer("www.n3.test.", dns.TypeA, dns.RcodeNameError, nil,
				cat(n3.set("n3.test.", dns.TypeSOA), n3.nsec3Proof("n3.test.", "match"), allSpan("-"))),
			nil, dnssec.Bogus, "inside the span"},

		{5, "NSEC next name outside the zone forges NXDOMAIN for an existing name",
			answer("www.demo.test.", dns.TypeA, dns.RcodeNameError, nil,
				cat(demo.set("demo.test.", dns.TypeSOA), demo.signed(t, parse(t, "mail.demo.test. 300 IN NSEC zzz.example. A RRSIG NSEC")),
					demo.set("demo.test.", dns.TypeNSEC))),
			nil, dnssec.Bogus, "outside zone demo.test."},

		{6, "DNAME expanded from a wildcard",
			answer("www.x.dn2.demo.test.", dns.TypeA, dns.RcodeSuccess,
				cat(expandTo(wildDNAME, "x.dn2.demo.test."), []dns.RR{synth("www.x.dn2.demo.test.", "www.n3.test.")}, n3.set("www.n3.test.", dns.TypeA)),
				dn2NSEC),
			nil, dnssec.Bogus, "DNAME cannot be synthesised from a wildcard"},

		{7, "DS at the trust anchor's name signed by the anchored zone itself",
			answer("test.", dns.TypeDS, dns.RcodeSuccess, selfSignedDS, nil),
			[]dns.RR{tldDS}, dnssec.Indeterminate, "no trust anchor covers ."},
		{7, "DS at the trust anchor's name, signed by the parent",
			answer("test.", dns.TypeDS, dns.RcodeSuccess, root.set("test.", dns.TypeDS), nil),
			[]dns.RR{tldDS}, dnssec.Indeterminate, "no trust anchor covers ."},

		{8, "CNAME query under a DNAME: the synthesised CNAME through its DNAME",
			answer("www.dn.demo.test.", dns.TypeCNAME, dns.RcodeSuccess,
				cat(demo.set("dn.demo.test.", dns.TypeDNAME), []dns.RR{synth("www.dn.demo.test.", "www.n3.test.")}), nil),
			nil, dnssec.Secure, "synthesised from a DNAME"},
		{8, "CNAME query under a DNAME: a CNAME the DNAME does not produce",
			answer("www.dn.demo.test.", dns.TypeCNAME, dns.RcodeSuccess,
				cat(demo.set("dn.demo.test.", dns.TypeDNAME), []dns.RR{synth("www.dn.demo.test.", "www.evil.test.")}), nil),
			nil, dnssec.Bogus, "RRSIG missing"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.class, tt.name), func(t *testing.T) {
			v := newValidator(t, &memResolver{world: w}, tt.anchor)
			res := v.Validate(t.Context(), tt.ans)
			t.Logf("%s: %s", res.Verdict, res.Reason)
			if res.Verdict != tt.want || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("Validate(%s %s) = %s (%s), want %s (%q)", tt.ans.Name, dns.TypeToString[tt.ans.Type], res.Verdict, res.Reason, tt.want, tt.reason)
			}
		})
	}
}

// failing answers DS or DNSKEY queries for one name with a failure: an
// error (a timeout) or a response with rcode SERVFAIL handed over as such.
type failing struct {
	memResolver
	name  string
	qtype uint16
	err   error // nil: a SERVFAIL message
}

func (f *failing) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	if dns.CanonicalName(name) == f.name && qtype == f.qtype {
		if f.err != nil {
			return nil, f.err
		}
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), qtype)
		m.Response, m.Rcode = true, dns.RcodeServerFailure
		return answerOf(m, dns.Fqdn(name), qtype), nil
	}
	return f.memResolver.Query(ctx, name, qtype)
}

// TestFetchFailure (issue 11, class 9): a DS or DNSKEY fetch that fails for
// a zone that must be signed leaves the answer indeterminate, with the
// reason, and Result.Err says so (ErrIndeterminate): never insecure, never
// bogus for a key the server did not hand over.
func TestFetchFailure(t *testing.T) {
	w := getWorld(t)
	timeout := fmt.Errorf("query: %w", context.DeadlineExceeded)
	tests := []struct {
		name   string
		qname  string
		zone   string
		qtype  uint16
		err    error
		reason string
	}{
		{"DS SERVFAIL", "www.demo.test.", "demo.test.", dns.TypeDS, nil, "DS query failed: demo.test. DS: server answered SERVFAIL"},
		{"DNSKEY SERVFAIL", "www.demo.test.", "demo.test.", dns.TypeDNSKEY, nil, "DNSKEY query failed: demo.test. DNSKEY: server answered SERVFAIL"},
		{"DS timeout", "www.n3.test.", "n3.test.", dns.TypeDS, timeout, "DS query failed"},
		{"DNSKEY timeout", "www.n3.test.", "n3.test.", dns.TypeDNSKEY, timeout, "DNSKEY query failed"},
		{"root DNSKEY SERVFAIL", "www.demo.test.", ".", dns.TypeDNSKEY, nil, "DNSKEY query failed"},
		{"DS SERVFAIL above an insecure delegation", "www.unsigned.test.", "unsigned.test.", dns.TypeDS, nil, "DS query failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &failing{memResolver: memResolver{world: w}, name: tt.zone, qtype: tt.qtype, err: tt.err}
			v := newValidator(t, f, nil)
			ans, err := (&memResolver{world: w}).Query(t.Context(), tt.qname, dns.TypeA)
			if err != nil {
				t.Fatal(err)
			}
			res := v.Validate(t.Context(), ans)
			if res.Verdict != dnssec.Indeterminate || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("Validate(%s) with %s %s failing = %s (%s), want indeterminate (%q)", tt.qname, tt.zone, dns.TypeToString[tt.qtype], res.Verdict, res.Reason, tt.reason)
			}
			if err := res.Err(); !errors.Is(err, dnssec.ErrIndeterminate) {
				t.Errorf("Result.Err() = %v, want ErrIndeterminate", err)
			}
		})
	}
}

// TestVerifiedSignaturesRemembered: a Validator checks a signature once and
// remembers it, so that the NSEC records coming back in every denial of a
// zone cost one check; what it remembers must match the bytes exactly. Each
// row validates a genuine answer, then a forgery reusing its RRSIG, with the
// same Validator: the forgery must stay bogus.
func TestVerifiedSignaturesRemembered(t *testing.T) {
	w := getWorld(t)
	demo := w.zone(t, "demo.test.")
	mail := demo.signed(t, parse(t, "mail.demo.test. 300 IN A 127.0.0.1"))
	nsec := demo.signed(t, parse(t, "mail.demo.test. 300 IN NSEC www.demo.test. A RRSIG NSEC"))
	with := func(rrs []dns.RR, i int, change func(dns.RR)) []dns.RR {
		out := make([]dns.RR, len(rrs))
		for j, rr := range rrs {
			out[j] = dns.Copy(rr)
		}
		change(out[i])
		return out
	}
	tests := []struct {
		name          string
		genuine, next *resolver.Answer
		want          dnssec.Verdict
	}{
		{"address changed under the same RRSIG",
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, mail, nil),
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, with(mail, 0, func(rr dns.RR) { rr.(*dns.A).A[3] = 66 }), nil),
			dnssec.Bogus},
		{"NSEC type bitmap changed under the same RRSIG",
			answer("mail.demo.test.", dns.TypeMX, dns.RcodeSuccess, nil, nsec),
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, nil, with(nsec, 0, func(rr dns.RR) { rr.(*dns.NSEC).TypeBitMap = []uint16{dns.TypeRRSIG, dns.TypeNSEC} })),
			dnssec.Bogus},
		{"signature bytes changed",
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, mail, nil),
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, with(mail, 1, func(rr dns.RR) {
				s := rr.(*dns.RRSIG)
				s.Signature = "A" + s.Signature[1:]
				if s.Signature == mail[1].(*dns.RRSIG).Signature {
					s.Signature = "B" + s.Signature[1:]
				}
			}), nil),
			dnssec.Bogus},
		{"expired since: the clock is checked before the memory",
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, mail, nil),
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, with(mail, 1, func(rr dns.RR) {
				rr.(*dns.RRSIG).Expiration = uint32(w.now.Add(-time.Minute).Unix())
			}), nil),
			dnssec.Bogus},
		{"TTL counted down by a cache: still the same signed data",
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, mail, nil),
			answer("mail.demo.test.", dns.TypeA, dns.RcodeSuccess, with(mail, 0, func(rr dns.RR) { rr.Header().Ttl = 17 }), nil),
			dnssec.Secure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newValidator(t, &memResolver{world: w}, nil)
			if res := v.Validate(t.Context(), tt.genuine); res.Verdict != dnssec.Secure {
				t.Fatalf("genuine answer = %s (%s), want secure", res.Verdict, res.Reason)
			}
			if res := v.Validate(t.Context(), tt.next); res.Verdict != tt.want {
				t.Errorf("second answer = %s (%s), want %s", res.Verdict, res.Reason, tt.want)
			}
		})
	}
}
