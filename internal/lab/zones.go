package lab

import (
	"bytes"
	"cmp"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// The lab's DNS is a hierarchy of zones: the root ".", the TLD "test." and
// one zone per scenario domain (plus lab.test. for the lab's own hosts,
// provider.test. and the zones of [DNSSECScenarios]). Scenarios add records
// with hierarchy.add while the world is built; hierarchy.build then splits
// them into the zone that is the deepest enclosing one of each owner name,
// adds every zone's SOA, NS and DNSKEY, the delegations (NS, glue and DS)
// in the parents, the NSEC or NSEC3 chains, and signs every RRset.
//
// Each signed zone has a KSK (flags 257, signs the DNSKEY RRset) and a ZSK
// (flags 256, signs everything else), made when the lab starts; the parent
// publishes the SHA-256 DS of the KSK (RFC 4509). The root's DS is the trust
// anchor (Lab.TrustAnchor).

// Zone-wide TTLs of the records the hierarchy makes itself.
const (
	ttlInfra = 300 // NS, glue, DNSKEY, DS
	// ttlNeg is the SOA TTL and MINIMUM, and the TTL of NSEC and NSEC3
	// records (RFC 9077: the lesser of the SOA TTL and MINIMUM).
	ttlNeg = 60
	// sigValidity is how long signatures stay valid; sigBackdate covers
	// clock differences with the validator under test.
	sigValidity = 30 * 24 * time.Hour
	sigBackdate = time.Hour
)

// zoneFault is a deliberate DNSSEC error of a zone, which makes a validator
// reach "bogus" (RFC 4035 §5.5).
type zoneFault int

const (
	faultNone zoneFault = iota
	// faultBadSig flips a byte of the signature over the A RRset at
	// zoneSpec.faultName.
	faultBadSig
	// faultExpired makes every signature of the zone expired a week ago.
	faultExpired
	// faultWrongDS publishes in the parent a DS of a key the zone does not
	// have.
	faultWrongDS
	// faultNoDNSKEY leaves the DNSKEY RRset out of the zone; everything
	// else is signed as usual.
	faultNoDNSKEY
)

// zoneSpec says how a zone of the hierarchy is made.
type zoneSpec struct {
	// unsigned makes an insecure delegation: no keys, no signatures and no
	// DS in the parent (whose NSEC or NSEC3 proves the DS absent).
	unsigned bool
	// alg is the DNSSEC algorithm; 0 means ECDSAP256SHA256 (13).
	alg uint8
	// nsec3 denies existence with NSEC3 (RFC 5155: SHA-1, no extra
	// iterations, RFC 9276) instead of NSEC; optOut sets the Opt-Out flag
	// and leaves the unsigned delegations out of the chain (RFC 5155 §6);
	// salt is the hex salt, "" for none.
	nsec3, optOut bool
	salt          string
	fault         zoneFault
	faultName     string // the owner name a fault applies to (faultBadSig)
}

// zoneKey is one DNSSEC key of a zone.
type zoneKey struct {
	dnskey *dns.DNSKEY
	signer crypto.Signer
}

// rrsets holds RRsets by owner name and type.
type rrsets map[string]map[uint16][]dns.RR

// add adds rr to its RRset; an RRSIG goes under the type it covers.
func (s rrsets) add(rr dns.RR) {
	h := rr.Header()
	t := h.Rrtype
	if sig, ok := rr.(*dns.RRSIG); ok {
		t = sig.TypeCovered
	}
	if s[h.Name] == nil {
		s[h.Name] = make(map[uint16][]dns.RR)
	}
	for _, old := range s[h.Name][t] {
		if dns.IsDuplicate(old, rr) { // an RRset has no duplicates (RFC 2181 §5)
			return
		}
	}
	s[h.Name][t] = append(s[h.Name][t], rr)
}

// types returns the types of the RRsets at name, in ascending order.
func (s rrsets) types(name string) []uint16 {
	var ts []uint16
	for t := range s[name] {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return ts
}

// zone is one built zone of the hierarchy. It is not changed once built,
// so the server reads it without locks.
type zone struct {
	apex   string
	spec   zoneSpec
	parent *zone
	ksk    *zoneKey // nil when unsigned
	zsk    *zoneKey
	// dsKey is the key the parent's DS is made from: the KSK, or a key
	// the zone never publishes (faultWrongDS).
	dsKey *dns.DNSKEY

	// data holds the authoritative RRsets and, at delegation points, the
	// NS and DS RRsets (and NSEC) of the parent side.
	data rrsets
	// glue holds the address records of name servers below delegation
	// points: served in zone files, never answered from this zone.
	glue []dns.RR
	// sigs holds the RRSIGs by owner name and covered type (NSEC3 records
	// included).
	sigs rrsets
	// names are the names that exist in the zone: owners of data,
	// delegation points and empty non-terminals (RFC 4592 §2.2.2).
	names map[string]bool
	// cuts are the delegation points below the apex.
	cuts map[string]bool

	nsecs  []*dns.NSEC           // canonical order (RFC 4034 §6.1)
	nsec3s []*dns.NSEC3          // hash order
	nsec3n map[string]*dns.NSEC3 // original name → its NSEC3
}

// hierarchy is the lab's DNS: records added while the world is built, the
// declared zones, and once built the signed zones the server answers from.
type hierarchy struct {
	pending []dns.RR
	specs   map[string]zoneSpec

	zones  map[string]*zone
	order  []string // zone apexes, canonical order (parents first)
	anchor *dns.DS  // the root KSK's DS
}

func newHierarchy() *hierarchy {
	return &hierarchy{specs: make(map[string]zoneSpec)}
}

// errBuilt is returned when records are added after the zones were signed.
var errBuilt = errors.New("lab: DNS zones already built")

// add parses and adds records in zone-file syntax, one per string. Each
// record goes to the deepest declared zone enclosing its owner name.
func (h *hierarchy) add(records ...string) error {
	if h.zones != nil {
		return errBuilt
	}
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			return fmt.Errorf("lab: record %q: %w", s, err)
		}
		if rr == nil {
			return fmt.Errorf("lab: record %q: empty", s)
		}
		rr.Header().Name = dns.CanonicalName(rr.Header().Name)
		h.pending = append(h.pending, rr)
	}
	return nil
}

// declare makes apex a zone of the hierarchy.
func (h *hierarchy) declare(apex string, spec zoneSpec) {
	h.specs[dns.CanonicalName(apex)] = spec
}

// nsHost is the name server of a zone: ns.<apex>, and ns.test. for the root.
func nsHost(apex string) string {
	if apex == "." {
		return "ns." + labTLD
	}
	return "ns." + apex
}

// build makes and signs every declared zone, with signatures valid at now
// and name servers at nsAddr. It returns an error if a record cannot be
// placed or signed.
func (h *hierarchy) build(now time.Time, nsAddr netip.Addr) error {
	if h.zones != nil {
		return errBuilt
	}
	if _, ok := h.specs["."]; !ok {
		return errors.New("lab: no root zone declared")
	}
	h.order = make([]string, 0, len(h.specs))
	for apex := range h.specs {
		h.order = append(h.order, apex)
	}
	slices.SortFunc(h.order, canonicalCompare)
	zones := make(map[string]*zone, len(h.order))
	for _, apex := range h.order {
		z := &zone{apex: apex, spec: h.specs[apex], data: make(rrsets), sigs: make(rrsets),
			names: make(map[string]bool), cuts: make(map[string]bool)}
		if apex != "." {
			z.parent = deepest(zones, parentName(apex))
		}
		zones[apex] = z
		if !z.spec.unsigned {
			if err := z.makeKeys(); err != nil {
				return err
			}
		}
	}
	// Every zone's own records: SOA, NS and its name server's address.
	// The name server records go through the pending list, so they land
	// in the zone that holds the name.
	for _, z := range zones {
		mbox := "hostmaster." + z.apex
		if z.apex == "." {
			mbox = "hostmaster." + labTLD
		}
		soa := fmt.Sprintf("%s %d IN SOA %s %s 1 3600 600 86400 %d", z.apex, ttlNeg, nsHost(z.apex), mbox, ttlNeg)
		ns := fmt.Sprintf("%s %d IN NS %s", z.apex, ttlInfra, nsHost(z.apex))
		for _, s := range []string{soa, ns} {
			rr, err := dns.NewRR(s)
			if err != nil {
				return fmt.Errorf("lab: zone %s: %w", z.apex, err)
			}
			z.data.add(rr)
		}
		h.pending = append(h.pending, addrRR(nsHost(z.apex), nsAddr))
	}
	for _, rr := range h.pending {
		name := rr.Header().Name
		if name != "." && !dns.IsSubDomain(labTLD, name) {
			return fmt.Errorf("lab: record %s outside %s", name, labTLD)
		}
		z := deepest(zones, name)
		if rr.Header().Rrtype == dns.TypeSOA || (rr.Header().Rrtype == dns.TypeNS && name == z.apex) {
			return fmt.Errorf("lab: record %q: the hierarchy makes apex SOA and NS itself", rr.String())
		}
		z.data.add(rr)
	}
	// Delegations: NS, glue and DS (RFC 4035 §2.4) in each parent.
	for _, apex := range h.order {
		c := zones[apex]
		p := c.parent
		if p == nil {
			continue
		}
		p.cuts[c.apex] = true
		p.data.add(&dns.NS{Hdr: hdr(c.apex, dns.TypeNS, ttlInfra), Ns: nsHost(c.apex)})
		p.glue = append(p.glue, addrRR(nsHost(c.apex), nsAddr))
		if c.dsKey != nil {
			ds := c.dsKey.ToDS(dns.SHA256)
			if ds == nil {
				return fmt.Errorf("lab: zone %s: cannot make its DS", c.apex)
			}
			ds.Hdr.Ttl = ttlInfra
			p.data.add(ds)
		}
	}
	for _, apex := range h.order {
		if err := zones[apex].finish(now); err != nil {
			return err
		}
	}
	root := zones["."]
	h.anchor = root.dsKey.ToDS(dns.SHA256)
	h.anchor.Hdr.Ttl = ttlInfra
	h.zones = zones
	h.pending = nil
	return nil
}

func hdr(name string, t uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: ttl}
}

func addrRR(name string, ip netip.Addr) dns.RR {
	if ip.Is4() {
		return &dns.A{Hdr: hdr(name, dns.TypeA, ttlInfra), A: ip.AsSlice()}
	}
	return &dns.AAAA{Hdr: hdr(name, dns.TypeAAAA, ttlInfra), AAAA: ip.AsSlice()}
}

// parentName strips the first label of a name ("." stays ".").
func parentName(name string) string {
	if name == "." {
		return "."
	}
	_, rest, _ := strings.Cut(name, ".")
	if rest == "" {
		return "."
	}
	return rest
}

// deepest returns the deepest zone of zones enclosing name (the root at
// worst).
func deepest(zones map[string]*zone, name string) *zone {
	for n := name; ; n = parentName(n) {
		if z, ok := zones[n]; ok {
			return z
		}
		if n == "." {
			return nil
		}
	}
}

// makeKeys makes the zone's KSK and ZSK (and the decoy key of faultWrongDS).
func (z *zone) makeKeys() error {
	alg := z.spec.alg
	if alg == 0 {
		alg = dns.ECDSAP256SHA256
	}
	newKey := func(flags uint16) (*zoneKey, error) {
		k := &dns.DNSKEY{Hdr: hdr(z.apex, dns.TypeDNSKEY, ttlInfra), Flags: flags, Protocol: 3, Algorithm: alg}
		bits := 256
		if alg == dns.ECDSAP384SHA384 {
			bits = 384
		} else if alg == dns.RSASHA256 || alg == dns.RSASHA512 {
			bits = 2048
		}
		priv, err := k.Generate(bits)
		if err != nil {
			return nil, fmt.Errorf("lab: zone %s: key: %w", z.apex, err)
		}
		// Key tag 0 is valid (RFC 4034 Appendix B) but miekg/dns refuses to
		// sign with it (ErrKey): about one lab start in 300 failed so.
		for k.KeyTag() == 0 {
			if priv, err = k.Generate(bits); err != nil {
				return nil, fmt.Errorf("lab: zone %s: key: %w", z.apex, err)
			}
		}
		s, ok := priv.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("lab: zone %s: key is not a crypto.Signer", z.apex)
		}
		return &zoneKey{dnskey: k, signer: s}, nil
	}
	var err error
	// A KSK has the SEP bit (flags 257) and a ZSK not (256), RFC 4034 §2.1.1.
	if z.ksk, err = newKey(dns.ZONE | dns.SEP); err != nil {
		return err
	}
	if z.zsk, err = newKey(dns.ZONE); err != nil {
		return err
	}
	for z.zsk.dnskey.KeyTag() == z.ksk.dnskey.KeyTag() { // distinct tags keep tests simple
		if z.zsk, err = newKey(dns.ZONE); err != nil {
			return err
		}
	}
	z.dsKey = z.ksk.dnskey
	if z.spec.fault == faultWrongDS {
		decoy, err := newKey(dns.ZONE | dns.SEP)
		if err != nil {
			return err
		}
		z.dsKey = decoy.dnskey
	}
	return nil
}

// finish computes the zone's names, and for a signed zone adds the DNSKEY
// and NSEC or NSEC3 records and signs every RRset.
func (z *zone) finish(now time.Time) error {
	for name := range z.data {
		z.addName(name)
	}
	if z.spec.unsigned {
		return nil
	}
	if z.spec.fault != faultNoDNSKEY {
		z.data.add(dns.Copy(z.ksk.dnskey))
		z.data.add(dns.Copy(z.zsk.dnskey))
	}
	if z.spec.nsec3 {
		z.data.add(&dns.NSEC3PARAM{Hdr: hdr(z.apex, dns.TypeNSEC3PARAM, 0), Hash: dns.SHA1,
			Salt: z.spec.salt, SaltLength: uint8(len(z.spec.salt) / 2)}) // flags 0, RFC 5155 §4.1.2
		if err := z.makeNSEC3(); err != nil {
			return err
		}
	} else {
		z.makeNSEC()
	}
	inception, expiration := now.Add(-sigBackdate), now.Add(sigValidity)
	if z.spec.fault == faultExpired {
		inception, expiration = now.Add(-sigValidity), now.Add(-7*24*time.Hour) // well past validators' clock-skew allowance (Unbound: 1 day)
	}
	sign := func(rrset []dns.RR) error {
		k := z.zsk
		if rrset[0].Header().Rrtype == dns.TypeDNSKEY {
			k = z.ksk
		}
		sig := &dns.RRSIG{Hdr: hdr(rrset[0].Header().Name, dns.TypeRRSIG, rrset[0].Header().Ttl),
			Algorithm: k.dnskey.Algorithm, KeyTag: k.dnskey.KeyTag(), SignerName: z.apex,
			Inception: uint32(inception.Unix()), Expiration: uint32(expiration.Unix())}
		if err := sig.Sign(k.signer, rrset); err != nil {
			return fmt.Errorf("lab: zone %s: sign %s %s: %w", z.apex, rrset[0].Header().Name, dns.TypeToString[rrset[0].Header().Rrtype], err)
		}
		if z.spec.fault == faultBadSig && sig.Hdr.Name == z.spec.faultName && sig.TypeCovered == dns.TypeA {
			raw, err := base64.StdEncoding.DecodeString(sig.Signature)
			if err != nil {
				return err
			}
			raw[len(raw)/2] ^= 0x01
			sig.Signature = base64.StdEncoding.EncodeToString(raw)
		}
		z.sigs.add(sig)
		return nil
	}
	for name, sets := range z.data {
		for t, rrset := range sets {
			// The NS RRset at a delegation point is not signed by the
			// parent, nor is glue (RFC 4035 §2.2).
			if t == dns.TypeNS && z.cuts[name] {
				continue
			}
			if err := sign(rrset); err != nil {
				return err
			}
		}
	}
	for _, n3 := range z.nsec3s {
		if err := sign([]dns.RR{n3}); err != nil {
			return err
		}
	}
	return nil
}

// addName records name and its ancestors up to the apex as existing.
func (z *zone) addName(name string) {
	for n := name; dns.IsSubDomain(z.apex, n); n = parentName(n) {
		z.names[n] = true
		if n == z.apex {
			return
		}
	}
}

// makeNSEC links every name that owns RRsets (not empty non-terminals nor
// glue) in canonical order, the last back to the apex (RFC 4034 §4.1.1,
// RFC 4035 §2.3).
func (z *zone) makeNSEC() {
	owners := make([]string, 0, len(z.data))
	for name := range z.data {
		owners = append(owners, name)
	}
	slices.SortFunc(owners, canonicalCompare)
	z.nsecs = make([]*dns.NSEC, len(owners))
	for i, name := range owners {
		types := append(z.data.types(name), dns.TypeNSEC, dns.TypeRRSIG)
		slices.Sort(types)
		nsec := &dns.NSEC{Hdr: hdr(name, dns.TypeNSEC, ttlNeg), NextDomain: owners[(i+1)%len(owners)], TypeBitMap: types}
		z.nsecs[i] = nsec
	}
	for _, nsec := range z.nsecs {
		z.data.add(nsec)
	}
}

// makeNSEC3 hashes every name of the zone, empty non-terminals included,
// and links the hashes in order (RFC 5155 §7.1). With opt-out, unsigned
// delegations (and the empty non-terminals only they make) stay out.
func (z *zone) makeNSEC3() error {
	chain := make(map[string]bool)
	for name := range z.data {
		if z.spec.optOut && z.cuts[name] && len(z.data[name][dns.TypeDS]) == 0 {
			continue
		}
		for n := name; dns.IsSubDomain(z.apex, n); n = parentName(n) {
			chain[n] = true
			if n == z.apex {
				break
			}
		}
	}
	var flags uint8
	if z.spec.optOut {
		flags = 1 // Opt-Out, RFC 5155 §3.1.2.1
	}
	type hashed struct {
		hash, name string
	}
	var hs []hashed
	seen := make(map[string]string)
	for name := range chain {
		hash := dns.HashName(name, dns.SHA1, 0, z.spec.salt)
		if hash == "" {
			return fmt.Errorf("lab: zone %s: cannot hash %s", z.apex, name)
		}
		if other, ok := seen[hash]; ok {
			return fmt.Errorf("lab: zone %s: NSEC3 hash collision between %s and %s", z.apex, name, other)
		}
		seen[hash] = name
		hs = append(hs, hashed{hash, name})
	}
	slices.SortFunc(hs, func(a, b hashed) int { return strings.Compare(a.hash, b.hash) })
	z.nsec3n = make(map[string]*dns.NSEC3, len(hs))
	for i, x := range hs {
		types := z.data.types(x.name)
		// RRSIG is present at every name with a signed RRset: all but
		// empty non-terminals and delegations without DS.
		if len(types) > 0 && !(z.cuts[x.name] && len(z.data[x.name][dns.TypeDS]) == 0) {
			types = append(types, dns.TypeRRSIG)
			slices.Sort(types)
		}
		n3 := &dns.NSEC3{Hdr: hdr(strings.ToLower(x.hash)+"."+z.apex, dns.TypeNSEC3, ttlNeg),
			Hash: dns.SHA1, Flags: flags, Iterations: 0, SaltLength: uint8(len(z.spec.salt) / 2), Salt: z.spec.salt,
			HashLength: 20, NextDomain: hs[(i+1)%len(hs)].hash, TypeBitMap: types}
		z.nsec3s = append(z.nsec3s, n3)
		z.nsec3n[x.name] = n3
	}
	return nil
}

// canonicalCompare orders names as RFC 4034 §6.1 does: by their labels
// from the root down, each compared as lowercase octets, a missing label
// first. The lab's names are plain (letters, digits, '-', '_', '*'), so
// presentation form and wire form compare alike.
func canonicalCompare(a, b string) int {
	la := dns.SplitDomainName(strings.ToLower(a))
	lb := dns.SplitDomainName(strings.ToLower(b))
	for i := 1; i <= len(la) && i <= len(lb); i++ {
		if c := strings.Compare(la[len(la)-i], lb[len(lb)-i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(la), len(lb))
}

// zoneFor returns the zone that answers name and qtype: the deepest
// enclosing zone, except that DS is answered by the parent side of a
// delegation (RFC 4035 §3.1.4.1).
func (h *hierarchy) zoneFor(name string, qtype uint16) *zone {
	z := deepest(h.zones, name)
	if qtype == dns.TypeDS && z.apex == name && z.parent != nil {
		return z.parent
	}
	return z
}

// DNSSECZones returns the apex of every zone of the lab's DNS hierarchy,
// signed or not (unsigned zones are insecure delegations), in canonical
// order: each parent before its children, the root first.
func (l *Lab) DNSSECZones() []string {
	return slices.Clone(l.zones.order)
}

// TrustAnchor returns the lab's DNSSEC trust anchor: the DS record of the
// root zone's key-signing key, made when the lab started.
func (l *Lab) TrustAnchor() []dns.RR {
	return []dns.RR{dns.Copy(l.zones.anchor)}
}

// WriteTrustAnchor writes the trust anchor as zone-file text to path, a
// file `mailprobe --trust-anchor` and Unbound's trust-anchor-file read.
func (l *Lab) WriteTrustAnchor(path string) error {
	text := "; Mailsetup lab trust anchor: the DS of the lab root's KSK\n" + l.zones.anchor.String() + "\n"
	return os.WriteFile(path, []byte(text), 0o644)
}

// WriteZoneFiles writes every zone of the hierarchy into dir as a zone file
// with absolute names, signatures and NSEC or NSEC3 records included, that
// NSD (or any authoritative server) serves as is: one instance serving all
// of them answers each name from its deepest zone and DS queries from the
// parent, with the delegations' NS and glue present in every parent. It
// returns the files by zone apex. Files are named "root.zone" and
// "<apex>zone" ("demo.test.zone").
func (l *Lab) WriteZoneFiles(dir string) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	files := make(map[string]string, len(l.zones.order))
	for _, apex := range l.zones.order {
		z := l.zones.zones[apex]
		name := apex + "zone"
		if apex == "." {
			name = "root.zone"
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, z.zoneFile(), 0o644); err != nil {
			return nil, err
		}
		files[apex] = path
	}
	return files, nil
}

// zoneFile renders the zone: SOA first, then every name in canonical order
// with its RRsets by type, each followed by its signatures, then glue and
// the NSEC3 records.
func (z *zone) zoneFile() []byte {
	var b bytes.Buffer
	kind := "unsigned"
	if !z.spec.unsigned {
		kind = fmt.Sprintf("signed, algorithm %s, ", dns.AlgorithmToString[z.ksk.dnskey.Algorithm])
		if z.spec.nsec3 {
			kind += "NSEC3"
			if z.spec.optOut {
				kind += " opt-out"
			}
		} else {
			kind += "NSEC"
		}
	}
	fmt.Fprintf(&b, "; zone %s of the Mailsetup lab (%s)\n", z.apex, kind)
	write := func(rrs []dns.RR) {
		for _, rr := range rrs {
			b.WriteString(rr.String())
			b.WriteByte('\n')
		}
	}
	write(z.rrset(z.apex, dns.TypeSOA, true))
	names := make([]string, 0, len(z.data))
	for n := range z.data {
		names = append(names, n)
	}
	slices.SortFunc(names, canonicalCompare)
	for _, n := range names {
		for _, t := range z.data.types(n) {
			if n == z.apex && t == dns.TypeSOA {
				continue
			}
			write(z.rrset(n, t, true))
		}
	}
	if len(z.glue) > 0 {
		b.WriteString("; glue\n")
		write(z.glue)
	}
	for _, n3 := range z.nsec3s {
		write(append([]dns.RR{n3}, z.sigs[n3.Hdr.Name][dns.TypeNSEC3]...))
	}
	return b.Bytes()
}
