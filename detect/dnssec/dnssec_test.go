package dnssec_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func newValidator(t testing.TB, r resolver.Resolver, anchors []dns.RR) *dnssec.Validator {
	t.Helper()
	w := getWorld(t)
	if anchors == nil {
		anchors = w.anchor
	}
	return dnssec.New(r, anchors, &dnssec.Options{Now: func() time.Time { return w.now }})
}

func zones(chain []dnssec.Link) []string {
	var out []string
	for _, l := range chain {
		out = append(out, l.Zone)
	}
	return out
}

func TestLookup(t *testing.T) {
	w := getWorld(t)
	srv := startServer(t, w, 0)
	v := newValidator(t, srv.client(), nil)

	tests := []struct {
		name   string
		qname  string
		qtype  uint16
		want   dnssec.Verdict
		reason string   // substring of Result.Reason
		chain  []string // zones of Result.Chain, when set
		detail string   // substring of the last link's detail, when set
	}{
		{"secure answer", "www.demo.test", dns.TypeA, dnssec.Secure, "signed by demo.test. (alg 13",
			[]string{".", "test.", "demo.test."}, "DNSKEY 257 alg 13 tag"},
		{"secure MX at apex", "demo.test", dns.TypeMX, dnssec.Secure, "demo.test. MX: signed by demo.test.", nil, ""},
		{"secure ED25519", "www.n3.test", dns.TypeA, dnssec.Secure, "alg 15", []string{".", "test.", "n3.test."}, ""},
		{"secure ECDSA P-384", "www.p384.test", dns.TypeA, dnssec.Secure, "alg 14", []string{".", "test.", "p384.test."}, ""},
		{"secure DS", "demo.test", dns.TypeDS, dnssec.Secure, "signed by test.", []string{".", "test."}, ""},
		{"secure DNSKEY", "n3.test", dns.TypeDNSKEY, dnssec.Secure, "signed by n3.test.", nil, ""},

		{"insecure delegation NSEC", "www.unsigned2.demo.test", dns.TypeA, dnssec.Insecure, "unsigned",
			[]string{".", "test.", "demo.test.", "unsigned2.demo.test."}, "no DS: insecure delegation proven by NSEC"},
		{"insecure delegation NSEC3", "www.unsigned.test", dns.TypeA, dnssec.Insecure, "below insecure delegation unsigned.test.",
			[]string{".", "test.", "unsigned.test."}, "no DS: insecure delegation proven by NSEC3"},
		{"insecure delegation NSEC3 opt-out", "www.child.oo.test", dns.TypeA, dnssec.Insecure, "",
			[]string{".", "test.", "oo.test.", "child.oo.test."}, "no DS: insecure delegation proven by NSEC3 (opt-out)"},
		{"insecure NXDOMAIN below insecure delegation", "nx.unsigned.test", dns.TypeA, dnssec.Insecure, "NXDOMAIN", nil, ""},
		{"insecure NXDOMAIN in opt-out span", "nx.oo.test", dns.TypeA, dnssec.Insecure, "opt-out", nil, ""},
		{"insecure unsupported algorithm", "www.alg7.test", dns.TypeA, dnssec.Insecure, "unsupported algorithms",
			[]string{".", "test.", "alg7.test."}, "DS uses only unsupported algorithms"},

		{"bogus bad signature", "badsig.demo.test", dns.TypeA, dnssec.Bogus, "badsig.demo.test. A by demo.test. key tag", nil, ""},
		{"bogus expired signature", "expired.demo.test", dns.TypeA, dnssec.Bogus, "expired at", nil, ""},
		{"bogus RRSIG missing", "nosig.demo.test", dns.TypeA, dnssec.Bogus, "RRSIG missing in signed zone demo.test.", nil, ""},
		{"bogus DS matches no key", "www.nokey.test", dns.TypeA, dnssec.Bogus, "nokey.test.: DS tag",
			[]string{".", "test.", "nokey.test."}, "matches no DNSKEY"},
		{"bogus DNSKEY missing", "www.nodnskey.test", dns.TypeA, dnssec.Bogus, "DNSKEY missing",
			[]string{".", "test.", "nodnskey.test."}, "no DNSKEY RRset"},
		{"bogus wildcard without no-exact-match proof", "noproof.wild.demo.test", dns.TypeA, dnssec.Bogus, "without proof that the name does not exist", nil, ""},
		{"bogus NSEC3 wildcard without proof", "noproof.wild.n3.test", dns.TypeA, dnssec.Bogus, "no NSEC or NSEC3 records", nil, ""},
		{"bogus NSEC3 wildcard with the wrong proof", "wrongproof.wild.n3.test", dns.TypeA, dnssec.Bogus, "no NSEC3 covers the next closer name wrongproof.wild.n3.test.", nil, ""},
		{"bogus NSEC wildcard with the wrong proof", "wrongproof.wild.demo.test", dns.TypeA, dnssec.Bogus, "no NSEC proves that wrongproof.wild.demo.test. does not exist", nil, ""},

		{"NXDOMAIN NSEC", "nx.demo.test", dns.TypeA, dnssec.Secure, "no such name (NXDOMAIN), proven by NSEC of demo.test.", nil, ""},
		{"NXDOMAIN NSEC3", "nx.n3.test", dns.TypeA, dnssec.Secure, "no such name (NXDOMAIN), proven by NSEC3 of n3.test.", nil, ""},
		{"NXDOMAIN deep NSEC3", "a.b.c.n3.test", dns.TypeA, dnssec.Secure, "NXDOMAIN", nil, ""},
		{"NXDOMAIN root NSEC", "nx.invalid", dns.TypeA, dnssec.Secure, "proven by NSEC of .", []string{"."}, ""},
		{"NODATA NSEC", "www.demo.test", dns.TypeAAAA, dnssec.Secure, "no AAAA records (NODATA), proven by NSEC", nil, ""},
		{"NODATA NSEC3", "www.n3.test", dns.TypeTXT, dnssec.Secure, "(NODATA), proven by NSEC3", nil, ""},
		{"NODATA empty non-terminal", "a.demo.test", dns.TypeA, dnssec.Secure, "NODATA", nil, ""},
		{"NODATA DS at insecure delegation", "unsigned.test", dns.TypeDS, dnssec.Secure, "no DS records", nil, ""},

		{"wildcard NSEC", "foo.wild.demo.test", dns.TypeA, dnssec.Secure, "expanded from *.wild.demo.test. (no exact match, proven by NSEC)", nil, ""},
		{"wildcard NSEC3", "x.y.wild.n3.test", dns.TypeA, dnssec.Secure, "expanded from *.wild.n3.test. (no exact match, proven by NSEC3)", nil, ""},

		{"CNAME into signed zone", "alias.demo.test", dns.TypeA, dnssec.Secure, "CNAME chain",
			[]string{".", "test.", "demo.test.", "n3.test."}, ""},
		{"CNAME to NXDOMAIN in another zone", "dangling.demo.test", dns.TypeA, dnssec.Secure, "nx.n3.test.: no such name (NXDOMAIN), proven by NSEC3 of n3.test.",
			[]string{".", "test.", "demo.test.", "n3.test."}, ""},
		{"CNAME to a bogus answer", "tobad.demo.test", dns.TypeA, dnssec.Bogus, "badsig.demo.test. A by demo.test. key tag", nil, ""},
		{"DNAME into signed zone", "www.dn.demo.test", dns.TypeA, dnssec.Secure, "www.n3.test. A: signed by n3.test.",
			[]string{".", "test.", "demo.test.", "n3.test."}, ""},
		{"NODATA DS at opt-out delegation", "child.oo.test", dns.TypeDS, dnssec.Insecure, "opt-out", nil, ""},
		{"CNAME into unsigned zone", "out.demo.test", dns.TypeA, dnssec.Insecure, "www.unsigned.test. A: unsigned",
			[]string{".", "test.", "demo.test.", "unsigned.test."}, ""},

		{"server failure", "www.fail.test", dns.TypeA, dnssec.Indeterminate, "DNSKEY query failed", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ans, res, err := v.Lookup(t.Context(), tt.qname, tt.qtype)
			if err != nil {
				t.Fatalf("Lookup(%s, %s) error = %v", tt.qname, dns.TypeToString[tt.qtype], err)
			}
			if !ans.AD {
				t.Errorf("the test server sets AD on every answer, got AD = false")
			}
			t.Logf("%s: %s", res.Verdict, res.Reason)
			for _, l := range res.Chain {
				t.Logf("  %s %s: %s", l.Zone, l.Verdict, l.Detail)
			}
			if res.Verdict != tt.want || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("Lookup(%s, %s) = %s (%s), want %s (%q)", tt.qname, dns.TypeToString[tt.qtype], res.Verdict, res.Reason, tt.want, tt.reason)
			}
			if tt.chain != nil && strings.Join(zones(res.Chain), " ") != strings.Join(tt.chain, " ") {
				t.Errorf("Lookup(%s).Chain = %v, want zones %v", tt.qname, res.Chain, tt.chain)
			}
			if tt.detail != "" && (len(res.Chain) == 0 || !strings.Contains(res.Chain[len(res.Chain)-1].Detail, tt.detail)) {
				t.Errorf("Lookup(%s).Chain = %v, want last detail %q", tt.qname, res.Chain, tt.detail)
			}
			if len(res.Chain) == 0 || res.Chain[0].Zone != "." || res.Chain[0].Verdict != dnssec.Secure || !strings.Contains(res.Chain[0].Detail, "matches trust anchor DS") {
				t.Errorf("Lookup(%s).Chain = %+v, want the root first, secure by the trust anchor", tt.qname, res.Chain)
			}
			switch err := res.Err(); tt.want {
			case dnssec.Secure, dnssec.Insecure:
				if err != nil {
					t.Errorf("Result.Err() = %v, want nil", err)
				}
			case dnssec.Bogus:
				if !errors.Is(err, dnssec.ErrBogus) {
					t.Errorf("Result.Err() = %v, want ErrBogus", err)
				}
			case dnssec.Indeterminate:
				if !errors.Is(err, dnssec.ErrIndeterminate) {
					t.Errorf("Result.Err() = %v, want ErrIndeterminate", err)
				}
			}
		})
	}
}

func TestAnchors(t *testing.T) {
	w := getWorld(t)
	srv := startServer(t, w, 0)
	rootKeys := func() []dns.RR {
		ans, err := srv.client().Query(t.Context(), ".", dns.TypeDNSKEY)
		if err != nil {
			t.Fatalf("Query(. DNSKEY) = %v", err)
		}
		var keys []dns.RR
		for _, rr := range ans.Records {
			if k := rr.(*dns.DNSKEY); k.Flags == 257 {
				keys = append(keys, k)
			}
		}
		return keys
	}
	testDS, err := dns.NewRR("test. 300 IN DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	exampleDS, err := dns.NewRR("example. 300 IN DS 12345 13 2 0000000000000000000000000000000000000000000000000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	unsupportedDS, err := dns.NewRR(". 300 IN DS 12345 16 2 0000000000000000000000000000000000000000000000000000000000000000")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		anchors []dns.RR
		qname   string
		want    dnssec.Verdict
		reason  string
		chain   []string
	}{
		{"root DNSKEY as anchor", rootKeys(), "www.demo.test", dnssec.Secure, "", []string{".", "test.", "demo.test."}},
		{"no anchor covers the name", []dns.RR{exampleDS}, "www.demo.test", dnssec.Indeterminate, "no trust anchor covers", nil},
		{"no anchor at all", []dns.RR{}, "www.demo.test", dnssec.Indeterminate, "no trust anchor covers", nil},
		{"deeper anchor wins", append([]dns.RR{exampleDS}, testDS), "www.demo.test", dnssec.Bogus, "trust anchor DS tag 1 alg 13 digest 2 matches no DNSKEY", []string{"test."}},
		{"IANA root anchors reject the test root", dnssec.RootAnchors(), "www.demo.test", dnssec.Bogus, "trust anchor DS tag 20326 alg 8 digest 2, tag 38696", nil},
		{"unsupported anchor algorithm", []dns.RR{unsupportedDS}, "www.demo.test", dnssec.Insecure, "unsupported", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := dnssec.New(srv.client(), tt.anchors, &dnssec.Options{Now: func() time.Time { return w.now }})
			_, res, err := v.Lookup(t.Context(), tt.qname, dns.TypeA)
			if err != nil {
				t.Fatalf("Lookup(%s) error = %v", tt.qname, err)
			}
			if res.Verdict != tt.want || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("Lookup(%s) = %s (%s), want %s (%q)", tt.qname, res.Verdict, res.Reason, tt.want, tt.reason)
			}
			if tt.chain != nil && strings.Join(zones(res.Chain), " ") != strings.Join(tt.chain, " ") {
				t.Errorf("Lookup(%s).Chain = %v, want zones %v", tt.qname, res.Chain, tt.chain)
			}
		})
	}
}

func TestRootAnchors(t *testing.T) {
	want := map[uint16]string{
		20326: "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
		38696: "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
	}
	got := dnssec.RootAnchors()
	if len(got) != len(want) {
		t.Fatalf("RootAnchors() = %d records, want %d", len(got), len(want))
	}
	for _, rr := range got {
		ds, ok := rr.(*dns.DS)
		if !ok || ds.Hdr.Name != "." || ds.Algorithm != dns.RSASHA256 || ds.DigestType != dns.SHA256 || ds.Digest != want[ds.KeyTag] {
			t.Errorf("RootAnchors() has %v, want one of the IANA root DS %v", rr, want)
		}
	}
}

// The validator never needs the network for a result it has all records
// for, and says indeterminate when it cannot fetch the chain.
func TestUnreachable(t *testing.T) {
	w := getWorld(t)
	srv := startServer(t, w, 0)
	ans, err := srv.client().Query(t.Context(), "www.demo.test", dns.TypeA)
	if err != nil {
		t.Fatal(err)
	}

	mr := &memResolver{world: w, fail: true}
	v := newValidator(t, mr, nil)
	if res := v.Validate(t.Context(), ans); res.Verdict != dnssec.Indeterminate || !strings.Contains(res.Reason, "server failure") {
		t.Errorf("Validate(www.demo.test A) with a failing resolver = %s (%s), want indeterminate", res.Verdict, res.Reason)
	}
	_, res, err := v.Lookup(t.Context(), "www.demo.test", dns.TypeA)
	if err == nil || !errors.Is(err, resolver.ErrServerFailure) || res.Verdict != dnssec.Indeterminate {
		t.Errorf("Lookup() with a failing resolver = %s, %v, want indeterminate and ErrServerFailure", res.Verdict, err)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	v = newValidator(t, &memResolver{world: w, delay: time.Hour}, nil)
	if res := v.Validate(ctx, ans); res.Verdict != dnssec.Indeterminate {
		t.Errorf("Validate() with a cancelled context = %s (%s), want indeterminate", res.Verdict, res.Reason)
	}

	for _, a := range []*resolver.Answer{nil, {Name: "www.demo.test.", Type: dns.TypeA}} {
		if res := v.Validate(t.Context(), a); res.Verdict != dnssec.Indeterminate {
			t.Errorf("Validate(%v) = %s, want indeterminate", a, res.Verdict)
		}
	}
}

// Validation uses the clock of Options.Now for signature windows.
func TestClock(t *testing.T) {
	w := getWorld(t)
	srv := startServer(t, w, 0)
	for _, tt := range []struct {
		name string
		now  time.Time
		want string
	}{
		{"future", w.now.Add(60 * 24 * time.Hour), "expired at"},
		{"past", w.now.Add(-24 * time.Hour), "not valid before"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := dnssec.New(srv.client(), w.anchor, &dnssec.Options{Now: func() time.Time { return tt.now }})
			_, res, err := v.Lookup(t.Context(), "www.demo.test", dns.TypeA)
			if err != nil || res.Verdict != dnssec.Bogus || !strings.Contains(res.Reason, tt.want) {
				t.Errorf("Lookup() at %s = %s (%s), %v, want bogus %q", tt.now, res.Verdict, res.Reason, err, tt.want)
			}
		})
	}
}

// A warm cache answers a second validation without any query, and the
// cache is shared safely between concurrent validations.
func TestCache(t *testing.T) {
	w := getWorld(t)
	srv := startServer(t, w, 0)
	c := srv.client()
	v := newValidator(t, c, nil)

	names := []struct {
		qname string
		qtype uint16
		want  dnssec.Verdict
	}{
		{"www.demo.test", dns.TypeA, dnssec.Secure},
		{"alias.demo.test", dns.TypeA, dnssec.Secure},
		{"out.demo.test", dns.TypeA, dnssec.Insecure},
		{"www.child.oo.test", dns.TypeA, dnssec.Insecure},
		{"nx.n3.test", dns.TypeA, dnssec.Secure},
		{"foo.wild.demo.test", dns.TypeA, dnssec.Secure},
	}
	answers := make([]*resolver.Answer, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Go(func() {
			for range 3 {
				ans, res, err := v.Lookup(t.Context(), n.qname, n.qtype)
				if err != nil || res.Verdict != n.want {
					t.Errorf("Lookup(%s) = %s (%s), %v, want %s", n.qname, res.Verdict, res.Reason, err, n.want)
					return
				}
				answers[i] = ans
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	before := srv.count()
	for i, n := range names {
		if res := v.Validate(t.Context(), answers[i]); res.Verdict != n.want {
			t.Errorf("warm Validate(%s) = %s (%s), want %s", n.qname, res.Verdict, res.Reason, n.want)
		}
	}
	if got := srv.count() - before; got != 0 {
		t.Errorf("warm validations sent %d queries, want 0: %v", got, srv.seen()[before:])
	}
}

// TestPrime: after Prime, the validation of an answer in the primed zone
// sends no DS or DNSKEY query (the chain is cached), and Prime's verdict
// is the chain's.
func TestPrime(t *testing.T) {
	w := getWorld(t)
	tests := []struct {
		prime string
		want  dnssec.Verdict
		qname string // an answer in the zone, validated afterwards
		qtype uint16
	}{
		{"demo.test", dnssec.Secure, "demo.test.", dns.TypeMX},
		{"demo.test.", dnssec.Secure, "nx.demo.test.", dns.TypeA},
		{"n3.test.", dnssec.Secure, "www.n3.test.", dns.TypeA},
		{"unsigned.test.", dnssec.Insecure, "www.unsigned.test.", dns.TypeA},
		{"www.unsigned.test.", dnssec.Insecure, "www.unsigned.test.", dns.TypeA},
		{"no..name", dnssec.Indeterminate, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.prime, func(t *testing.T) {
			mr := &memResolver{world: w}
			v := newValidator(t, mr, nil)
			if got := v.Prime(t.Context(), tt.prime); got != tt.want {
				t.Fatalf("Prime(%s) = %s, want %s", tt.prime, got, tt.want)
			}
			if tt.qname == "" {
				if n := mr.count(); n != 0 {
					t.Errorf("Prime(%s) sent %d queries, want none", tt.prime, n)
				}
				return
			}
			ans, err := mr.Query(t.Context(), tt.qname, tt.qtype)
			if err != nil {
				t.Fatal(err)
			}
			before := mr.count()
			if res := v.Validate(t.Context(), ans); res.Verdict != tt.want {
				t.Errorf("Validate(%s %s) = %s (%s), want %s", tt.qname, dns.TypeToString[tt.qtype], res.Verdict, res.Reason, tt.want)
			}
			if n := mr.count() - before; n != 0 {
				t.Errorf("Validate(%s %s) after Prime sent %d DS/DNSKEY queries, want none", tt.qname, dns.TypeToString[tt.qtype], n)
			}
		})
	}
}

// TestConcurrentValidations: validations started together on a cold
// Validator share the steps of their chains of trust, and each ends with
// the verdict it has alone; one whose context ends half-way, started
// first so that it works the shared steps out, leaves the others theirs.
func TestConcurrentValidations(t *testing.T) {
	w := getWorld(t)
	questions := []struct {
		name  string
		qtype uint16
	}{
		{"demo.test.", dns.TypeMX}, {"mail.demo.test.", dns.TypeA}, {"nx.demo.test.", dns.TypeA},
		{"www.n3.test.", dns.TypeA}, {"nx.n3.test.", dns.TypeA}, {"www.unsigned.test.", dns.TypeA},
		{"badsig.demo.test.", dns.TypeA}, {"www.nokey.test.", dns.TypeA}, {"www.p384.test.", dns.TypeA},
	}
	want := make([]dnssec.Verdict, len(questions))
	for i, q := range questions {
		_, res, err := newValidator(t, &memResolver{world: w}, nil).Lookup(t.Context(), q.name, q.qtype)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = res.Verdict
	}
	v := newValidator(t, &memResolver{world: w, delay: 20 * time.Millisecond}, nil)
	cut, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	early := make(chan dnssec.Verdict, 1)
	go func() {
		_, res, _ := v.Lookup(cut, "www.demo.test.", dns.TypeA)
		early <- res.Verdict
	}()
	time.Sleep(time.Millisecond)
	got := make([]dnssec.Verdict, len(questions))
	var wg sync.WaitGroup
	for i, q := range questions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, res, err := v.Lookup(t.Context(), q.name, q.qtype)
			if err != nil {
				t.Errorf("Lookup(%s): %v", q.name, err)
			}
			got[i] = res.Verdict
		}()
	}
	wg.Wait()
	if e := <-early; e != dnssec.Indeterminate {
		t.Errorf("the validation whose context ended = %s, want indeterminate", e)
	}
	for i, q := range questions {
		if got[i] != want[i] {
			t.Errorf("%s %s: concurrent = %s, alone = %s", q.name, dns.TypeToString[q.qtype], got[i], want[i])
		}
	}
}
