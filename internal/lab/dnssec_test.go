package lab_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/internal/lab"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func startLab(t *testing.T) *lab.Lab {
	t.Helper()
	l, err := lab.Start(lab.Options{})
	if err != nil {
		t.Fatalf("lab.Start: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Zones the lab deliberately breaks, and those it leaves unsigned.
var (
	bogusZones    = []string{"badsig.test.", "sigexpired.test.", "wrongds.test.", "nodnskey.test."}
	unsignedZones = func() []string {
		zs := []string{"unsigned.test.", "unsigned.nsec3.test.", "unsigned.optout.test.", "child.ent.optout.test.", "unsigned.island.test."}
		for _, s := range lab.Scenarios {
			if s.Expect.DNSSEC == "insecure" {
				zs = append(zs, s.Domain+".")
			}
		}
		return zs
	}()
	// expiredZones are the zones whose every signature has expired: the
	// DNSSEC test zone sigexpired.test and the scenarios expecting bogus.
	expiredZones = func() []string {
		zs := []string{"sigexpired.test."}
		for _, s := range lab.Scenarios {
			if s.Expect.DNSSEC == "bogus" {
				zs = append(zs, s.Domain+".")
			}
		}
		return zs
	}()
)

type rrKey struct {
	name string
	typ  uint16
}

// parsedZone is a zone file read back.
type parsedZone struct {
	apex  string
	sets  map[rrKey][]dns.RR     // RRSIGs excluded
	sigs  map[rrKey][]*dns.RRSIG // by covered type
	keys  []*dns.DNSKEY
	cuts  map[string]bool
	nsec3 []*dns.NSEC3
}

func (z *parsedZone) glue(name string) bool {
	for c := range z.cuts {
		if name != c && dns.IsSubDomain(c, name) {
			return true
		}
	}
	return false
}

// owners are the names that own RRsets other than NSEC3, glue excluded.
func (z *parsedZone) owners() map[string][]uint16 {
	out := make(map[string][]uint16)
	for k := range z.sets {
		if k.typ == dns.TypeNSEC3 || z.glue(k.name) {
			continue
		}
		out[k.name] = append(out[k.name], k.typ)
	}
	for _, ts := range out {
		slices.Sort(ts)
	}
	return out
}

func (z *parsedZone) signed() bool { return len(z.sigs) > 0 }

func loadZones(t *testing.T, l *lab.Lab) map[string]*parsedZone {
	t.Helper()
	files, err := l.WriteZoneFiles(t.TempDir())
	if err != nil {
		t.Fatalf("WriteZoneFiles() error = %v", err)
	}
	if got, want := len(files), len(l.DNSSECZones()); got != want {
		t.Fatalf("WriteZoneFiles() wrote %d files, DNSSECZones() = %d zones", got, want)
	}
	zones := make(map[string]*parsedZone)
	for apex, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		z := &parsedZone{apex: apex, sets: map[rrKey][]dns.RR{}, sigs: map[rrKey][]*dns.RRSIG{}, cuts: map[string]bool{}}
		zp := dns.NewZoneParser(f, "", path)
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			h := rr.Header()
			if !dns.IsSubDomain(apex, h.Name) {
				t.Errorf("zone %s: record %s outside the zone", apex, rr)
			}
			switch rr := rr.(type) {
			case *dns.RRSIG:
				k := rrKey{h.Name, rr.TypeCovered}
				z.sigs[k] = append(z.sigs[k], rr)
				continue
			case *dns.DNSKEY:
				z.keys = append(z.keys, rr)
			case *dns.NS:
				if h.Name != apex {
					z.cuts[h.Name] = true
				}
			case *dns.NSEC3:
				z.nsec3 = append(z.nsec3, rr)
			}
			k := rrKey{h.Name, h.Rrtype}
			z.sets[k] = append(z.sets[k], rr)
		}
		f.Close()
		if err := zp.Err(); err != nil {
			t.Fatalf("zone file %s: %v", path, err)
		}
		if len(z.sets[rrKey{apex, dns.TypeSOA}]) != 1 {
			t.Errorf("zone %s: no SOA", apex)
		}
		zones[apex] = z
	}
	return zones
}

func keyFor(keys []*dns.DNSKEY, sig *dns.RRSIG) *dns.DNSKEY {
	for _, k := range keys {
		if k.KeyTag() == sig.KeyTag && k.Algorithm == sig.Algorithm {
			return k
		}
	}
	return nil
}

// TestZoneSignatures: every RRset of every signed zone that must be signed
// (all but delegation NS and glue) has an RRSIG that verifies with the
// zone's DNSKEY and is valid now, except the deliberately bogus ones.
func TestZoneSignatures(t *testing.T) {
	l := startLab(t)
	zones := loadZones(t, l)
	now := time.Now()
	for apex, z := range zones {
		if slices.Contains(unsignedZones, apex) {
			if z.signed() || len(z.keys) > 0 {
				t.Errorf("zone %s: signed, want unsigned", apex)
			}
			continue
		}
		if !z.signed() {
			t.Errorf("zone %s: unsigned", apex)
			continue
		}
		if apex == "nodnskey.test." {
			if len(z.keys) != 0 {
				t.Errorf("zone %s has DNSKEYs %v, want none", apex, z.keys)
			}
			continue
		}
		ksk := 0
		for _, k := range z.keys {
			if k.Flags == 257 {
				ksk++
			}
		}
		if ksk != 1 || len(z.keys) != 2 {
			t.Errorf("zone %s: DNSKEYs = %d with %d KSK, want a KSK and a ZSK", apex, len(z.keys), ksk)
		}
		for k, rrset := range z.sets {
			sigs := z.sigs[k]
			if z.glue(k.name) || (k.typ == dns.TypeNS && z.cuts[k.name]) {
				if len(sigs) > 0 {
					t.Errorf("zone %s: %s %s is signed, want delegation NS and glue unsigned", apex, k.name, dns.TypeToString[k.typ])
				}
				continue
			}
			if len(sigs) != 1 {
				t.Errorf("zone %s: %s %s has %d RRSIGs, want 1", apex, k.name, dns.TypeToString[k.typ], len(sigs))
				continue
			}
			sig := sigs[0]
			key := keyFor(z.keys, sig)
			if key == nil || sig.SignerName != apex {
				t.Errorf("zone %s: RRSIG %s: no key of the zone", apex, sig)
				continue
			}
			if wantKSK := k.typ == dns.TypeDNSKEY; (key.Flags == 257) != wantKSK {
				t.Errorf("zone %s: %s %s signed by key flags %d", apex, k.name, dns.TypeToString[k.typ], key.Flags)
			}
			err := sig.Verify(key, rrset)
			valid := sig.ValidityPeriod(now)
			switch {
			case apex == "badsig.test." && k == rrKey{"www.badsig.test.", dns.TypeA}:
				if err == nil {
					t.Errorf("RRSIG over www.badsig.test A verifies, want a bad signature")
				}
			case slices.Contains(expiredZones, apex):
				if err != nil || valid {
					t.Errorf("zone %s: %s %s: Verify = %v, valid now = %v; want a good but expired signature", apex, k.name, dns.TypeToString[k.typ], err, valid)
				}
			case err != nil || !valid:
				t.Errorf("zone %s: %s %s: Verify = %v, valid now = %v", apex, k.name, dns.TypeToString[k.typ], err, valid)
			}
		}
	}
}

// TestDelegations: every zone is delegated from its parent with NS and glue;
// a signed zone's parent has a SHA-256 DS of the zone's KSK, an unsigned
// one has none; the trust anchor is the root KSK's DS.
func TestDelegations(t *testing.T) {
	l := startLab(t)
	zones := loadZones(t, l)
	if got := l.DNSSECZones(); got[0] != "." || len(got) != len(zones) {
		t.Errorf("DNSSECZones() = %v, want the root first and %d zones", got, len(zones))
	}
	for _, want := range append([]string{".", "test.", "lab.test.", "provider.test.", "demo.test."}, bogusZones...) {
		if zones[want] == nil {
			t.Errorf("no zone %s", want)
		}
	}
	matches := func(ds *dns.DS, keys []*dns.DNSKEY) bool {
		for _, k := range keys {
			if want := k.ToDS(dns.SHA256); k.Flags == 257 && want != nil && strings.EqualFold(want.Digest, ds.Digest) && want.KeyTag == ds.KeyTag && want.Algorithm == ds.Algorithm {
				return true
			}
		}
		return false
	}
	for apex, z := range zones {
		if apex == "." {
			continue
		}
		var parent *parsedZone
		for p := apex; parent == nil; {
			_, p, _ = strings.Cut(p, ".")
			if p == "" {
				p = "."
			}
			parent = zones[p]
		}
		if !parent.cuts[apex] {
			t.Errorf("zone %s: no NS in parent %s", apex, parent.apex)
		}
		ns := parent.sets[rrKey{apex, dns.TypeNS}]
		if len(ns) == 1 && len(parent.sets[rrKey{ns[0].(*dns.NS).Ns, dns.TypeA}]) == 0 {
			t.Errorf("zone %s: no glue for %s in %s", apex, ns[0].(*dns.NS).Ns, parent.apex)
		}
		dss := parent.sets[rrKey{apex, dns.TypeDS}]
		switch {
		case !z.signed():
			if len(dss) != 0 {
				t.Errorf("unsigned zone %s has a DS in %s", apex, parent.apex)
			}
		case len(dss) != 1:
			t.Errorf("zone %s: %d DS in %s, want 1", apex, len(dss), parent.apex)
		default:
			ds := dss[0].(*dns.DS)
			if ds.DigestType != dns.SHA256 {
				t.Errorf("zone %s: DS digest type %d, want 2", apex, ds.DigestType)
			}
			if got, want := matches(ds, z.keys), apex != "wrongds.test." && apex != "nodnskey.test."; got != want {
				t.Errorf("zone %s: DS %s matches its KSK = %v, want %v", apex, ds, got, want)
			}
		}
	}
	anchor := l.TrustAnchor()
	path := t.TempDir() + "/anchor"
	if err := l.WriteTrustAnchor(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zp := dns.NewZoneParser(f, "", path)
	rr, _ := zp.Next()
	if len(anchor) != 1 || rr == nil || !strings.EqualFold(rr.String(), anchor[0].String()) {
		t.Fatalf("WriteTrustAnchor wrote %v, TrustAnchor() = %v", rr, anchor)
	}
	if !matches(anchor[0].(*dns.DS), zones["."].keys) {
		t.Errorf("TrustAnchor() = %v, matches no root KSK", anchor)
	}
}

// canonicalLess orders names as RFC 4034 §6.1 (plain names only).
func canonicalLess(a, b string) bool {
	la, lb := dns.SplitDomainName(strings.ToLower(a)), dns.SplitDomainName(strings.ToLower(b))
	slices.Reverse(la)
	slices.Reverse(lb)
	return slices.Compare(la, lb) < 0
}

// TestNSECChains: each NSEC zone's chain links every owner name in
// canonical order back to the apex, with the types present at each.
func TestNSECChains(t *testing.T) {
	l := startLab(t)
	for apex, z := range loadZones(t, l) {
		if !z.signed() || len(z.nsec3) > 0 {
			continue
		}
		owners := z.owners()
		var names []string
		for n := range owners {
			names = append(names, n)
		}
		slices.SortFunc(names, func(a, b string) int {
			if canonicalLess(a, b) {
				return -1
			}
			return 1
		})
		if names[0] != apex {
			t.Errorf("zone %s: first name %s", apex, names[0])
		}
		for i, n := range names {
			rrs := z.sets[rrKey{n, dns.TypeNSEC}]
			if len(rrs) != 1 {
				t.Errorf("zone %s: %d NSEC at %s, want 1", apex, len(rrs), n)
				continue
			}
			nsec := rrs[0].(*dns.NSEC)
			if want := names[(i+1)%len(names)]; nsec.NextDomain != want {
				t.Errorf("zone %s: NSEC %s next = %s, want %s", apex, n, nsec.NextDomain, want)
			}
			want := append(slices.Clone(owners[n]), dns.TypeRRSIG)
			slices.Sort(want)
			if !slices.Equal(nsec.TypeBitMap, want) {
				t.Errorf("zone %s: NSEC %s types = %v, want %v", apex, n, nsec.TypeBitMap, want)
			}
		}
	}
}

// TestNSEC3Chains: each NSEC3 zone hashes exactly its names (empty
// non-terminals included, opt-out delegations left out) and links the
// hashes in order.
func TestNSEC3Chains(t *testing.T) {
	l := startLab(t)
	seen := 0
	for apex, z := range loadZones(t, l) {
		params := z.sets[rrKey{apex, dns.TypeNSEC3PARAM}]
		if len(z.nsec3) == 0 {
			if len(params) > 0 {
				t.Errorf("zone %s: NSEC3PARAM without NSEC3", apex)
			}
			continue
		}
		seen++
		if len(params) != 1 || params[0].(*dns.NSEC3PARAM).Flags != 0 {
			t.Fatalf("zone %s: NSEC3PARAM = %v, want one with flags 0", apex, params)
		}
		param := params[0].(*dns.NSEC3PARAM)
		optOut := apex == "optout.test."
		owners := z.owners()
		want := map[string]string{} // hash → name
		for n := range owners {
			if optOut && z.cuts[n] && len(z.sets[rrKey{n, dns.TypeDS}]) == 0 {
				continue
			}
			for ; ; _, n, _ = strings.Cut(n, ".") {
				want[dns.HashName(n, param.Hash, param.Iterations, param.Salt)] = n
				if n == apex {
					break
				}
			}
		}
		var hashes []string
		for _, n3 := range z.nsec3 {
			hash := strings.ToUpper(strings.SplitN(n3.Hdr.Name, ".", 2)[0])
			hashes = append(hashes, hash)
			name, ok := want[hash]
			if !ok {
				t.Errorf("zone %s: NSEC3 %s matches no name of the zone", apex, n3.Hdr.Name)
				continue
			}
			if !n3.Match(name) {
				t.Errorf("zone %s: NSEC3 %s does not Match %s", apex, n3.Hdr.Name, name)
			}
			// The types at the name, RRSIG among them if one is signed
			// (RFC 5155 §3.2.1); nothing at an empty non-terminal.
			wantTypes := slices.Clone(owners[name])
			for k := range z.sigs {
				if k.name == name {
					wantTypes = append(wantTypes, dns.TypeRRSIG)
					slices.Sort(wantTypes)
					break
				}
			}
			if !slices.Equal(n3.TypeBitMap, wantTypes) {
				t.Errorf("zone %s: NSEC3 of %s types = %v, want %v", apex, name, n3.TypeBitMap, wantTypes)
			}
			if (n3.Flags == 1) != optOut || n3.Salt != param.Salt || n3.Iterations != param.Iterations || n3.Hash != dns.SHA1 {
				t.Errorf("zone %s: NSEC3 %s parameters %d %d %d %s", apex, n3.Hdr.Name, n3.Hash, n3.Flags, n3.Iterations, n3.Salt)
			}
			delete(want, hash)
		}
		for hash, n := range want {
			t.Errorf("zone %s: no NSEC3 for %s (%s)", apex, n, hash)
		}
		if !slices.IsSorted(hashes) {
			t.Errorf("zone %s: NSEC3 records out of hash order", apex)
		}
		for i, n3 := range z.nsec3 {
			if next := hashes[(i+1)%len(hashes)]; n3.NextDomain != next {
				t.Errorf("zone %s: NSEC3 %s next = %s, want %s", apex, n3.Hdr.Name, n3.NextDomain, next)
			}
		}
		if optOut {
			covered := false
			for _, n3 := range z.nsec3 {
				covered = covered || n3.Cover("unsigned.optout.test.")
			}
			if !covered {
				t.Errorf("no opt-out NSEC3 covers unsigned.optout.test.")
			}
		}
	}
	if seen != 2 {
		t.Errorf("%d NSEC3 zones, want 2", seen)
	}
}

func exchange(t *testing.T, l *lab.Lab, name string, qtype uint16, do bool) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	if do {
		m.SetEdns0(1232, true)
	}
	c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, l.DNSAddr)
	if err != nil {
		t.Fatalf("query %s %s: %v", name, dns.TypeToString[qtype], err)
	}
	return r
}

func types(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		out = append(out, dns.TypeToString[rr.Header().Rrtype])
	}
	return out
}

// TestQueries: answers with and without DO, through a real client over
// UDP and TCP.
func TestQueries(t *testing.T) {
	l := startLab(t)
	tests := []struct {
		name     string
		qtype    uint16
		do       bool
		rcode    int
		answer   string // types, space separated
		ns       string
		wantName string // owner of the last answer record, if set
	}{
		{"mail.demo.test.", dns.TypeA, false, dns.RcodeSuccess, "A", "", ""},
		{"mail.demo.test.", dns.TypeA, true, dns.RcodeSuccess, "A RRSIG", "", ""},
		{"_imaps._tcp.demo.test.", dns.TypeSRV, false, dns.RcodeSuccess, "SRV", "", ""},
		{"nosuch.nsec.test.", dns.TypeA, false, dns.RcodeNameError, "", "SOA", ""},
		// One NSEC (nsec.test. → ns.nsec.test.) covers both the name and the wildcard.
		{"nosuch.nsec.test.", dns.TypeA, true, dns.RcodeNameError, "", "SOA RRSIG NSEC RRSIG", ""},
		{"zzz.nsec.test.", dns.TypeA, true, dns.RcodeNameError, "", "SOA RRSIG NSEC RRSIG NSEC RRSIG", ""},
		{"www.nsec.test.", dns.TypeTXT, true, dns.RcodeSuccess, "", "SOA RRSIG NSEC RRSIG", ""},
		{"nosuch.nsec3.test.", dns.TypeA, true, dns.RcodeNameError, "", "SOA RRSIG NSEC3 RRSIG NSEC3 RRSIG NSEC3 RRSIG", ""},
		{"nosuch.nsec3.test.", dns.TypeA, false, dns.RcodeNameError, "", "SOA", ""},
		{"www.nsec3.test.", dns.TypeTXT, true, dns.RcodeSuccess, "", "SOA RRSIG NSEC3 RRSIG", ""},
		{"host.wild.test.", dns.TypeA, true, dns.RcodeSuccess, "A RRSIG", "NSEC RRSIG", "host.wild.test."},
		{"host.wild.test.", dns.TypeA, false, dns.RcodeSuccess, "A", "", "host.wild.test."},
		{"to-signed.cname.test.", dns.TypeA, true, dns.RcodeSuccess, "CNAME RRSIG A RRSIG", "", "www.nsec3.test."},
		{"to-signed.cname.test.", dns.TypeA, false, dns.RcodeSuccess, "CNAME A", "", "www.nsec3.test."},
		{"to-unsigned.cname.test.", dns.TypeA, true, dns.RcodeSuccess, "CNAME RRSIG A", "", "www.unsigned.test."},
		{"to-nxdomain.cname.test.", dns.TypeA, true, dns.RcodeNameError, "CNAME RRSIG", "SOA RRSIG NSEC RRSIG", ""},
		{"www.unsigned.test.", dns.TypeA, true, dns.RcodeSuccess, "A", "", ""},
		{"unsigned.test.", dns.TypeDS, true, dns.RcodeSuccess, "", "SOA RRSIG NSEC RRSIG", ""},
		{"demo.test.", dns.TypeDS, true, dns.RcodeSuccess, "DS RRSIG", "", ""},
		{"test.", dns.TypeDS, true, dns.RcodeSuccess, "DS RRSIG", "", ""},
		{".", dns.TypeDNSKEY, true, dns.RcodeSuccess, "DNSKEY DNSKEY RRSIG", "", ""},
		{".", dns.TypeSOA, false, dns.RcodeSuccess, "SOA", "", ""},
		{"nodnskey.test.", dns.TypeDNSKEY, true, dns.RcodeSuccess, "", "SOA RRSIG NSEC RRSIG", ""},
		{"example.com.", dns.TypeA, false, dns.RcodeRefused, "", "", ""},
		{"com.", dns.TypeDS, true, dns.RcodeRefused, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/do=%v", tt.name, dns.TypeToString[tt.qtype], tt.do), func(t *testing.T) {
			for _, network := range []string{"udp", "tcp"} {
				m := new(dns.Msg)
				m.SetQuestion(tt.name, tt.qtype)
				if tt.do {
					m.SetEdns0(4096, true)
				}
				c := &dns.Client{Net: network, Timeout: 5 * time.Second, UDPSize: 4096}
				r, _, err := c.Exchange(m, l.DNSAddr)
				if err != nil {
					t.Fatalf("%s: %v", network, err)
				}
				if r.Rcode != tt.rcode {
					t.Errorf("%s: rcode = %s, want %s", network, dns.RcodeToString[r.Rcode], dns.RcodeToString[tt.rcode])
				}
				if got := strings.Join(types(r.Answer), " "); got != tt.answer {
					t.Errorf("%s: answer = %q, want %q\n%v", network, got, tt.answer, r)
				}
				if got := strings.Join(types(r.Ns), " "); got != tt.ns {
					t.Errorf("%s: authority = %q, want %q\n%v", network, got, tt.ns, r)
				}
				if tt.wantName != "" && len(r.Answer) > 0 {
					last := r.Answer[len(r.Answer)-1]
					if last.Header().Rrtype == dns.TypeRRSIG {
						last = r.Answer[len(r.Answer)-2]
					}
					if last.Header().Name != tt.wantName {
						t.Errorf("%s: last answer owner = %s, want %s", network, last.Header().Name, tt.wantName)
					}
				}
				if o := r.IsEdns0(); (o != nil && o.Do()) != tt.do {
					t.Errorf("%s: response DO = %v, want %v", network, o != nil && o.Do(), tt.do)
				}
			}
		})
	}
}

// validator checks answers against the zone files: a small chain-of-trust
// walk from the trust anchor, enough to tell the lab's cases apart.
type validator struct {
	zones  map[string]*parsedZone
	anchor *dns.DS
	now    time.Time
}

// zoneOf is the deepest zone holding name.
func (v *validator) zoneOf(name string) *parsedZone {
	for n := name; ; {
		if z := v.zones[n]; z != nil {
			return z
		}
		_, n, _ = strings.Cut(n, ".")
		if n == "" {
			n = "."
		}
	}
}

func parentOf(apex string) string {
	_, p, _ := strings.Cut(apex, ".")
	if p == "" {
		return "."
	}
	return p
}

// keys returns the validated DNSKEYs of a zone and its status.
func (v *validator) keys(apex string) ([]*dns.DNSKEY, string) {
	var dss []*dns.DS
	if apex == "." {
		dss = []*dns.DS{v.anchor}
	} else {
		p := v.zoneOf(parentOf(apex))
		if _, st := v.keys(p.apex); st != "secure" {
			return nil, st
		}
		for _, rr := range p.sets[rrKey{apex, dns.TypeDS}] {
			dss = append(dss, rr.(*dns.DS))
		}
		if len(dss) == 0 {
			return nil, "insecure"
		}
		if st := v.rrset(p, p.sets[rrKey{apex, dns.TypeDS}], p.sigs[rrKey{apex, dns.TypeDS}], nil); st != "secure" {
			return nil, st
		}
	}
	z := v.zones[apex]
	var rrset []dns.RR
	for _, k := range z.keys {
		rrset = append(rrset, k)
	}
	for _, ds := range dss {
		for _, k := range z.keys {
			if d := k.ToDS(ds.DigestType); d != nil && strings.EqualFold(d.Digest, ds.Digest) {
				for _, sig := range z.sigs[rrKey{apex, dns.TypeDNSKEY}] {
					if sig.KeyTag == k.KeyTag() && sig.Verify(k, rrset) == nil && sig.ValidityPeriod(v.now) {
						return z.keys, "secure"
					}
				}
			}
		}
	}
	return nil, "bogus"
}

// rrset checks one RRset of zone z with its signatures.
func (v *validator) rrset(z *parsedZone, rrset []dns.RR, sigs []*dns.RRSIG, keys []*dns.DNSKEY) string {
	if keys == nil {
		var st string
		if keys, st = v.keys(z.apex); st != "secure" {
			return st
		}
	}
	for _, sig := range sigs {
		if k := keyFor(keys, sig); k != nil && sig.Verify(k, rrset) == nil && sig.ValidityPeriod(v.now) {
			return "secure"
		}
	}
	return "bogus"
}

// status validates every RRset of a response: bogus if one is, else
// insecure if one is (or an opt-out NSEC3 is all that denies), else secure.
func (v *validator) status(r *dns.Msg) string {
	sets := map[rrKey][]dns.RR{}
	sigs := map[rrKey][]*dns.RRSIG{}
	optOut := false
	for _, rr := range append(slices.Clone(r.Answer), r.Ns...) {
		h := rr.Header()
		if sig, ok := rr.(*dns.RRSIG); ok {
			sigs[rrKey{h.Name, sig.TypeCovered}] = append(sigs[rrKey{h.Name, sig.TypeCovered}], sig)
			continue
		}
		if n3, ok := rr.(*dns.NSEC3); ok && n3.Flags&1 == 1 {
			optOut = true
		}
		sets[rrKey{h.Name, h.Rrtype}] = append(sets[rrKey{h.Name, h.Rrtype}], rr)
	}
	st := "secure"
	for k, rrset := range sets {
		if k.typ == dns.TypeCNAME && len(sigs[k]) == 0 && synthesized(rrset, sets) {
			continue // checked through its signed DNAME, RFC 6672 §5.3.1
		}
		z := v.zoneOf(k.name)
		if k.typ == dns.TypeDS && k.name == z.apex { // the parent side of the cut
			z = v.zoneOf(parentOf(k.name))
		}
		switch s := v.rrset(z, rrset, sigs[k], nil); {
		case s == "bogus":
			return "bogus"
		case s == "insecure":
			st = "insecure"
		}
	}
	if optOut && len(r.Answer) == 0 && st == "secure" {
		st = "insecure"
	}
	return st
}

// synthesized tells whether the CNAME RRset is the one a DNAME RRset of
// sets synthesises (RFC 6672 §2.2).
func synthesized(cname []dns.RR, sets map[rrKey][]dns.RR) bool {
	c, ok := cname[0].(*dns.CNAME)
	if !ok || len(cname) != 1 {
		return false
	}
	for k, rrs := range sets {
		if k.typ != dns.TypeDNAME || !dns.IsSubDomain(k.name, c.Hdr.Name) || k.name == c.Hdr.Name {
			continue
		}
		d := rrs[0].(*dns.DNAME)
		if strings.EqualFold(strings.TrimSuffix(c.Hdr.Name, k.name)+d.Target, c.Target) {
			return true
		}
	}
	return false
}

// TestDNSSECScenarios: each scenario's answer has the response code and
// validation outcome it promises, and without DO the same records and no
// DNSSEC ones.
func TestDNSSECScenarios(t *testing.T) {
	l := startLab(t)
	v := &validator{zones: loadZones(t, l), anchor: l.TrustAnchor()[0].(*dns.DS), now: time.Now()}
	for _, sc := range lab.DNSSECScenarios {
		t.Run(sc.Name+"/"+sc.Type, func(t *testing.T) {
			qtype := dns.StringToType[sc.Type]
			r := exchange(t, l, sc.Name, qtype, true)
			if r.Rcode != sc.Rcode {
				t.Errorf("rcode = %s, want %s", dns.RcodeToString[r.Rcode], dns.RcodeToString[sc.Rcode])
			}
			if got := v.status(r); got != sc.Want {
				t.Errorf("status = %s, want %s\n%v", got, sc.Want, r)
			}
			if sc.Want == "secure" || sc.Want == "insecure" {
				checkDenial(t, sc.Name, qtype, r)
			}
			plain := exchange(t, l, sc.Name, qtype, false)
			if plain.Rcode != r.Rcode {
				t.Errorf("rcode without DO = %s, with DO %s", dns.RcodeToString[plain.Rcode], dns.RcodeToString[r.Rcode])
			}
			var want []dns.RR
			for _, rr := range r.Answer {
				if rr.Header().Rrtype != dns.TypeRRSIG {
					want = append(want, rr)
				}
			}
			if got, wantT := types(plain.Answer), types(want); !slices.Equal(got, wantT) {
				t.Errorf("answer without DO = %v, want %v", got, wantT)
			}
			for _, rr := range append(plain.Answer, plain.Ns...) {
				switch rr.Header().Rrtype {
				case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3:
					t.Errorf("answer without DO has %s", rr)
				}
			}
		})
	}
}

// checkDenial checks a negative answer's NSEC or NSEC3 proof for qname
// (RFC 4035 §5.4, RFC 5155 §8), or that a wildcard answer proves qname
// absent.
func checkDenial(t *testing.T, qname string, qtype uint16, r *dns.Msg) {
	t.Helper()
	for _, rr := range r.Answer { // follow the CNAMEs to the last name
		if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, qname) {
			qname = c.Target
		}
	}
	var nsecs []*dns.NSEC
	var nsec3s []*dns.NSEC3
	for _, rr := range r.Ns {
		switch rr := rr.(type) {
		case *dns.NSEC:
			nsecs = append(nsecs, rr)
		case *dns.NSEC3:
			nsec3s = append(nsec3s, rr)
		}
	}
	wildcard, wildLabels := false, 0
	for _, rr := range r.Answer {
		if sig, ok := rr.(*dns.RRSIG); ok && int(sig.Labels) < dns.CountLabel(sig.Hdr.Name) {
			wildcard, wildLabels = true, int(sig.Labels)
		}
	}
	negative := len(r.Answer) == 0 || r.Rcode == dns.RcodeNameError ||
		(qtype != dns.TypeCNAME && r.Answer[len(r.Answer)-1].Header().Rrtype == dns.TypeCNAME)
	if !negative && !wildcard {
		return
	}
	covers := func(n *dns.NSEC, name string) bool {
		if canonicalLess(n.Hdr.Name, n.NextDomain) {
			return canonicalLess(n.Hdr.Name, name) && canonicalLess(name, n.NextDomain)
		}
		return canonicalLess(n.Hdr.Name, name) || canonicalLess(name, n.NextDomain) // the last NSEC
	}
	ancestors := func(name string) []string {
		var out []string
		for _, i := range dns.Split(name)[1:] {
			out = append(out, name[i:])
		}
		return append(out, ".")
	}
	switch {
	case len(nsecs) > 0:
		var ce string // the longest ancestor of qname that is also one of the NSEC's names
		for _, a := range ancestors(qname) {
			for _, n := range nsecs {
				if covers(n, qname) && (dns.IsSubDomain(a, n.Hdr.Name) || dns.IsSubDomain(a, n.NextDomain)) && ce == "" {
					ce = a
				}
			}
		}
		coveredName, matched, coveredWild := false, false, false
		for _, n := range nsecs {
			coveredName = coveredName || covers(n, qname)
			matched = matched || (n.Hdr.Name == qname && !slices.Contains(n.TypeBitMap, qtype) && !slices.Contains(n.TypeBitMap, dns.TypeCNAME))
			coveredWild = coveredWild || covers(n, "*."+ce) || n.Hdr.Name == "*."+ce
		}
		switch {
		case wildcard && !coveredName:
			t.Errorf("wildcard answer without an NSEC covering %s", qname)
		case r.Rcode == dns.RcodeNameError && !(coveredName && coveredWild):
			t.Errorf("NXDOMAIN proof for %s: name covered %v, wildcard *.%s covered %v", qname, coveredName, ce, coveredWild)
		case r.Rcode == dns.RcodeSuccess && !wildcard && !matched && !coveredName:
			t.Errorf("NODATA without an NSEC for %s", qname)
		}
	case len(nsec3s) > 0:
		match := func(name string) *dns.NSEC3 {
			for _, n := range nsec3s {
				if n.Match(name) {
					return n
				}
			}
			return nil
		}
		cover := func(name string) bool {
			for _, n := range nsec3s {
				if n.Cover(name) {
					return true
				}
			}
			return false
		}
		if n := match(qname); n != nil && !wildcard {
			if slices.Contains(n.TypeBitMap, qtype) || r.Rcode != dns.RcodeSuccess {
				t.Errorf("NSEC3 matching %s has %s", qname, dns.TypeToString[qtype])
			}
			return
		}
		ce, next := "", qname
		for _, a := range ancestors(qname) {
			if match(a) != nil || (wildcard && dns.CountLabel(a) == wildLabels) {
				ce = a // the RRSIG's labels name the wildcard's closest encloser
				break
			}
			next = a
		}
		switch {
		case ce == "" && !wildcard:
			t.Errorf("no closest encloser NSEC3 for %s", qname)
		case !cover(next):
			t.Errorf("no NSEC3 covers the next closer name %s", next)
		case r.Rcode == dns.RcodeNameError && !cover("*."+ce):
			t.Errorf("no NSEC3 covers the wildcard *.%s", ce)
		}
	case negative && r.Rcode != dns.RcodeRefused:
		if len(r.Ns) == 0 || r.Ns[0].Header().Rrtype != dns.TypeSOA {
			t.Errorf("negative answer without SOA")
		}
	}
}

// TestDANE: every DANE case's TLSA record matches the chain its server
// serves exactly when it says so, as miekg/dns's TLSA.Verify sees it; and
// demo.test's 3 1 1 records match.
func TestDANE(t *testing.T) {
	l := startLab(t)
	if len(lab.DANECases) != 48 {
		t.Errorf("%d DANE cases, want 4 usages × 2 selectors × 3 matching types × match/mismatch", len(lab.DANECases))
	}
	cases := append(slices.Clone(lab.DANECases),
		lab.DANECase{Host: "mail.demo.test", Port: 993, Usage: 3, Selector: 1, Matching: 1, Match: true},
		lab.DANECase{Host: "mail.demo.test", Port: 465, Usage: 3, Selector: 1, Matching: 1, Match: true})
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s:%d", c.Host, c.Port), func(t *testing.T) {
			r := exchange(t, l, fmt.Sprintf("_%d._tcp.%s.", c.Port, c.Host), dns.TypeTLSA, true)
			var tlsa *dns.TLSA
			for _, rr := range r.Answer {
				if x, ok := rr.(*dns.TLSA); ok {
					tlsa = x
				}
			}
			if tlsa == nil || tlsa.Usage != c.Usage || tlsa.Selector != c.Selector || tlsa.MatchingType != c.Matching || len(r.Answer) != 2 {
				t.Fatalf("TLSA answer = %v, want one %d %d %d record and its RRSIG", r.Answer, c.Usage, c.Selector, c.Matching)
			}
			a := exchange(t, l, c.Host+".", dns.TypeA, false)
			if len(a.Answer) != 1 {
				t.Fatalf("A %s = %v", c.Host, a.Answer)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			raw, err := l.Dial(ctx, "tcp", net.JoinHostPort(a.Answer[0].(*dns.A).A.String(), fmt.Sprint(c.Port)))
			if err != nil {
				t.Fatal(err)
			}
			conn := tls.Client(raw, &tls.Config{ServerName: c.Host, RootCAs: l.CA.Pool()})
			defer conn.Close()
			if err := conn.HandshakeContext(ctx); err != nil {
				t.Fatalf("TLS to %s:%d: %v", c.Host, c.Port, err)
			}
			chain := conn.ConnectionState().VerifiedChains[0]
			candidates := chain[:1] // end-entity usages
			if c.Usage == 0 || c.Usage == 2 {
				candidates = chain[1:] // trust-anchor usages
			}
			match := false
			for _, cert := range candidates {
				match = match || tlsa.Verify(cert) == nil
			}
			if match != c.Match {
				t.Errorf("TLSA %d %d %d matches the served chain = %v, want %v", c.Usage, c.Selector, c.Matching, match, c.Match)
			}
		})
	}
}
