package dnssec

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// rrKey names an RRset: owner (canonical) and type.
type rrKey struct {
	name   string
	rrtype uint16
}

// rrsets is one message section grouped into RRsets, with the RRSIGs
// covering each, owner names made canonical and duplicates removed (RFC
// 4034 §6.3).
type rrsets struct {
	sets map[rrKey][]dns.RR
	sigs map[rrKey][]*dns.RRSIG
	keys []rrKey // in order of first appearance
}

// maxSectionRecords bounds the records of a section that are looked at.
const maxSectionRecords = 1024

func group(rrs []dns.RR) *rrsets {
	g := &rrsets{sets: make(map[rrKey][]dns.RR), sigs: make(map[rrKey][]*dns.RRSIG)}
	seen := make(map[string]bool)
	for i, rr := range rrs {
		if i >= maxSectionRecords {
			break
		}
		if rr == nil {
			continue
		}
		h := rr.Header()
		if h.Class != dns.ClassINET || h.Rrtype == dns.TypeOPT {
			continue
		}
		name := dns.CanonicalName(h.Name)
		if !validName(name) {
			continue
		}
		c := dns.Copy(rr)
		c.Header().Name = name
		if sig, ok := c.(*dns.RRSIG); ok {
			if !validName(dns.CanonicalName(sig.SignerName)) {
				continue
			}
			k := rrKey{name, sig.TypeCovered}
			g.sigs[k] = append(g.sigs[k], sig)
			continue
		}
		k := rrKey{name, h.Rrtype}
		// Duplicates are one record (RFC 4034 §6.3); TTLs aside.
		ttl := c.Header().Ttl
		c.Header().Ttl = 0
		id := c.String()
		c.Header().Ttl = ttl
		if seen[id] {
			continue
		}
		seen[id] = true
		if _, ok := g.sets[k]; !ok {
			g.keys = append(g.keys, k)
		}
		g.sets[k] = append(g.sets[k], c)
	}
	return g
}

// signers returns the distinct signer names of sigs that are owner or an
// ancestor of it, at most two.
func signers(sigs []*dns.RRSIG, owner string) []string {
	var out []string
	for _, s := range sigs {
		n := dns.CanonicalName(s.SignerName)
		if isSubDomain(n, owner) && !slices.Contains(out, n) {
			out = append(out, n)
			if len(out) == 2 {
				break
			}
		}
	}
	return out
}

// canonicalCompare orders names as RFC 4034 §6.1 does: label by label from
// the root, each label as a lower-cased octet string, a missing label first.
func canonicalCompare(a, b string) int {
	la, lb := wireLabels(a), wireLabels(b)
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}

// wireLabels returns the labels of name as lower-cased octet strings, escapes
// resolved.
func wireLabels(name string) []string {
	buf := make([]byte, 256)
	n, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil {
		return dns.SplitDomainName(strings.ToLower(name))
	}
	var labels []string
	for off := 0; off < n && buf[off] != 0; {
		l := int(buf[off])
		if off+1+l > n {
			break
		}
		b := buf[off+1 : off+1+l]
		for i, c := range b {
			if 'A' <= c && c <= 'Z' {
				b[i] = c + 'a' - 'A'
			}
		}
		labels = append(labels, string(b))
		off += 1 + l
	}
	return labels
}

// denial holds the authenticated NSEC and NSEC3 records one zone put in a
// response, and answers what they prove.
type denial struct {
	zone   string
	nsec   []*dns.NSEC
	nsec3  []*dns.NSEC3
	costly bool // NSEC3 records ignored for too many iterations
	// expandedProof: records expanded from a wildcard were left out.
	expandedProof bool
	expires       time.Time
	hashes        map[hashKey]string
}

type hashKey struct {
	name string
	salt string
	iter uint16
}

// proof is what a denial proved.
type proof struct {
	kind string // "NSEC" or "NSEC3"
	// optOut: the NSEC3 covering the next closer name has the opt-out
	// flag, so an unsigned delegation may exist there: not secure (RFC
	// 5155 §9.2).
	optOut bool
	// delegation: for DS, the name is a delegation (NS) without DS.
	delegation bool
	// insecure, when set, says why the proof could not be judged.
	insecure string
}

// denial authenticates the NSEC and NSEC3 RRsets that zone signed in sets
// with its keys. Records signed by other zones are left out; one that fails
// to verify is an error.
func (r *run) denial(sets *rrsets, zone string, keys []*dns.DNSKEY) (*denial, error) {
	d := &denial{zone: zone, expires: r.now.Add(maxCacheTTL), hashes: make(map[hashKey]string)}
	var params *nsec3Params
	n := 0
	for _, k := range sets.keys {
		if k.rrtype != dns.TypeNSEC && k.rrtype != dns.TypeNSEC3 {
			continue
		}
		sigs := sets.sigs[k]
		if !slices.ContainsFunc(sigs, func(s *dns.RRSIG) bool { return dns.CanonicalName(s.SignerName) == zone }) {
			continue
		}
		if n++; n > maxProofSets {
			return nil, fmt.Errorf("more than %d NSEC/NSEC3 RRsets", maxProofSets)
		}
		sig, exp, err := r.verify(sets.sets[k], sigs, zone, keys)
		if err != nil {
			return nil, err
		}
		if expanded(sig, k.name) {
			// RFC 4035 §5.3.4, §5.4, RFC 4592 §4 (CVE-2017-15105): an NSEC or
			// NSEC3 synthesised from a wildcard has an owner that is not a
			// real name of the zone; it proves nothing absent.
			d.expandedProof = true
			continue
		}
		d.expires = earliest(d.expires, exp)
		for _, rr := range sets.sets[k] {
			switch rr := rr.(type) {
			case *dns.NSEC:
				// RFC 4034 §4.1.1: the Next Domain field names the next
				// owner of the zone (the apex after the last): one outside
				// the zone would stretch the span beyond it.
				if next := dns.CanonicalName(rr.NextDomain); !validName(next) || !isSubDomain(zone, next) {
					return nil, fmt.Errorf("NSEC at %s: next name %s is outside zone %s: %w", rr.Hdr.Name, rr.NextDomain, zone, errBadChain)
				}
				d.nsec = append(d.nsec, rr)
			case *dns.NSEC3:
				// Records ignored below (unknown hash, RFC 5155 §8.1; other
				// flags, §8.2) are kept out of the parameter check too.
				if rr.Hash == dns.SHA1 && rr.Flags <= 1 {
					p := nsec3Params{rr.Hash, rr.Iterations, strings.ToUpper(rr.Salt)}
					if params == nil {
						params = &p
					} else if *params != p {
						// RFC 5155 §7.1, §8.3: a proof uses one NSEC3 chain;
						// records with another hash, salt or iteration count
						// belong to another chain and cannot be combined.
						return nil, fmt.Errorf("NSEC3 records of %s with different parameters (hash %d/%d, iterations %d/%d, salt %q/%q): %w",
							zone, params.hash, p.hash, params.iter, p.iter, params.salt, p.salt, errBadChain)
					}
				}
				switch {
				case rr.Hash != dns.SHA1:
					// RFC 5155 §8.1: ignore unknown hash algorithms.
				case rr.Flags > 1:
					// RFC 5155 §8.2: ignore flags other than 0 and 1.
				case parent(rr.Hdr.Name) != zone:
					// RFC 5155 §8.2: the owner is one hash label below the zone.
				case rr.Iterations > maxNSEC3Iterations:
					d.costly = true // RFC 9276 §3.2
				default:
					d.nsec3 = append(d.nsec3, rr)
				}
			}
		}
	}
	if err := d.checkChain(); err != nil {
		return nil, err
	}
	return d, nil
}

// nsec3Params are the parameters of one NSEC3 chain (RFC 5155 §3.1).
type nsec3Params struct {
	hash uint8
	iter uint16
	salt string
}

// errBadChain: the NSEC or NSEC3 records of a proof cannot come from one
// valid chain of the zone.
var errBadChain = errors.New("inconsistent NSEC/NSEC3 chain")

// checkChain rejects NSEC3 records that cannot be links of one chain: two
// with the same owner hash but different next hashes, or an owner hash
// strictly inside another record's span (RFC 5155 §8.3: a hash that both
// matches and is covered means a collision or a forged record).
func (d *denial) checkChain() error {
	if len(d.nsec3) > maxProofSets*4 {
		return fmt.Errorf("more than %d NSEC3 records", maxProofSets*4)
	}
	for i, a := range d.nsec3 {
		ha, na := ownerHash(a), strings.ToUpper(a.NextDomain)
		for j, b := range d.nsec3 {
			if i == j {
				continue
			}
			hb := ownerHash(b)
			if hb == ha && strings.ToUpper(b.NextDomain) != na {
				return fmt.Errorf("two NSEC3 records at hash %s with different next hashes: %w", ha, errBadChain)
			}
			if hb != ha && hb != na && inSpan(ha, na, hb) {
				return fmt.Errorf("NSEC3 hash %s lies inside the span of NSEC3 %s: %w", hb, ha, errBadChain)
			}
		}
	}
	return nil
}

// inSpan reports whether hash h lies strictly between owner and next, the
// last span of a chain wrapping around.
func inSpan(owner, next, h string) bool {
	if owner < next {
		return owner < h && h < next
	}
	return h > owner || h < next
}

// mainDenial is the denial of the validated response's authority section
// by zone, computed once per validation.
func (r *run) mainDenial(auth *rrsets, zone string, keys []*dns.DNSKEY) (*denial, error) {
	if dr := r.denials[zone]; dr != nil {
		return dr.d, dr.err
	}
	d, err := r.denial(auth, zone, keys)
	r.denials[zone] = &denialResult{d, err}
	return d, err
}

var errNoProof = errors.New("no NSEC or NSEC3 records")

// fail is the error of a failed proof, or an insecure proof when NSEC3
// records were left out for their iteration count.
func (d *denial) fail(kind string, err error) (proof, error) {
	if d.costly && len(d.nsec) == 0 {
		return proof{kind: "NSEC3", insecure: fmt.Sprintf("NSEC3 with more than %d iterations (RFC 9276)", maxNSEC3Iterations)}, nil
	}
	if d.expandedProof {
		err = fmt.Errorf("%w (NSEC/NSEC3 expanded from a wildcard prove nothing, RFC 4035 §5.3.4)", err)
	}
	return proof{kind: kind}, err
}

// noData checks the proof that name exists without records of qtype (RFC
// 4035 §5.4, RFC 5155 §8.5–8.7).
func (d *denial) noData(name string, qtype uint16) (proof, error) {
	if len(d.nsec) > 0 {
		p, err := d.nsecNoData(name, qtype)
		if err == nil || len(d.nsec3) == 0 {
			return p, err
		}
	}
	if len(d.nsec3) > 0 {
		p, err := d.nsec3NoData(name, qtype)
		if err != nil {
			return d.fail("NSEC3", err)
		}
		return p, nil
	}
	return d.fail("", errNoProof)
}

// nxDomain checks the proof that name does not exist (RFC 4035 §5.4, RFC
// 5155 §8.4).
func (d *denial) nxDomain(name string) (proof, error) {
	if len(d.nsec) > 0 {
		p, err := d.nsecNXDomain(name)
		if err == nil || len(d.nsec3) == 0 {
			return p, err
		}
	}
	if len(d.nsec3) > 0 {
		p, err := d.nsec3NXDomain(name)
		if err != nil {
			return d.fail("NSEC3", err)
		}
		return p, nil
	}
	return d.fail("", errNoProof)
}

// noExactMatch checks the proof that an answer expanded from the wildcard
// at name's ancestor with the given number of labels (an RRSIG's labels
// field) was not there under name itself: the next closer name does not
// exist (RFC 4035 §5.3.4, RFC 5155 §8.8).
func (d *denial) noExactMatch(name string, labels int) (proof, error) {
	nextCloser := suffix(name, labels+1)
	if len(d.nsec) > 0 {
		if d.nsecCover(nextCloser) != nil {
			return proof{kind: "NSEC"}, nil
		}
		if len(d.nsec3) == 0 {
			return proof{kind: "NSEC"}, fmt.Errorf("no NSEC proves that %s does not exist", nextCloser)
		}
	}
	if len(d.nsec3) > 0 {
		c := d.nsec3Cover(nextCloser)
		if c == nil {
			return d.fail("NSEC3", fmt.Errorf("no NSEC3 covers the next closer name %s", nextCloser))
		}
		return proof{kind: "NSEC3", optOut: c.Flags&1 != 0}, nil
	}
	return d.fail("", errNoProof)
}

// NSEC proofs.

func (d *denial) nsecMatch(name string) *dns.NSEC {
	for _, n := range d.nsec {
		if n.Hdr.Name == name {
			return n
		}
	}
	return nil
}

// nsecCover returns an NSEC proving that name does not exist: name sorts
// strictly between its owner and next name.
func (d *denial) nsecCover(name string) *dns.NSEC {
	if !isSubDomain(d.zone, name) {
		return nil
	}
	for _, n := range d.nsec {
		owner, next := n.Hdr.Name, dns.CanonicalName(n.NextDomain)
		// RFC 6840 §4.1: an NSEC at a delegation (NS without SOA) or at a
		// DNAME is from the parent side and proves nothing below it.
		if owner != name && isSubDomain(owner, name) &&
			(hasType(n.TypeBitMap, dns.TypeNS) && !hasType(n.TypeBitMap, dns.TypeSOA) || hasType(n.TypeBitMap, dns.TypeDNAME)) {
			continue
		}
		if canonicalCompare(owner, name) >= 0 {
			continue
		}
		if canonicalCompare(owner, next) < 0 && canonicalCompare(name, next) >= 0 {
			continue
		}
		// The last NSEC of the chain (next is the apex) covers every name
		// of the zone after its owner.
		return n
	}
	return nil
}

func (d *denial) nsecNoData(name string, qtype uint16) (proof, error) {
	p := proof{kind: "NSEC"}
	if n := d.nsecMatch(name); n != nil {
		bm := n.TypeBitMap
		// RFC 4035 §5.4: the NSEC at the name lists neither the type nor CNAME.
		if hasType(bm, qtype) {
			return p, fmt.Errorf("NSEC at %s lists type %s", name, dns.TypeToString[qtype])
		}
		if hasType(bm, dns.TypeCNAME) {
			return p, fmt.Errorf("NSEC at %s lists CNAME", name)
		}
		if qtype == dns.TypeDS {
			// RFC 6840 §4.1: the child's apex NSEC cannot deny the DS.
			if hasType(bm, dns.TypeSOA) && name != "." {
				return p, fmt.Errorf("NSEC at %s is from the child zone's apex", name)
			}
			p.delegation = hasType(bm, dns.TypeNS)
			return p, nil
		}
		// RFC 6840 §4.1: the parent's NSEC at a delegation says nothing of
		// the child's data.
		if hasType(bm, dns.TypeNS) && !hasType(bm, dns.TypeSOA) {
			return p, fmt.Errorf("NSEC at %s is a delegation's, not the zone's", name)
		}
		return p, nil
	}
	if n := d.nsecCover(name); n != nil {
		next := dns.CanonicalName(n.NextDomain)
		if next != name && isSubDomain(name, next) {
			return p, nil // an empty non-terminal: it exists without records
		}
		// RFC 4035 §3.1.3.4: a wildcard NODATA, the name does not exist and
		// the wildcard at its closest encloser has no such type.
		ce := d.nsecEncloser(name, n)
		if w := d.nsecMatch(wildcard(ce)); w != nil && !hasType(w.TypeBitMap, qtype) && !hasType(w.TypeBitMap, dns.TypeCNAME) {
			return p, nil
		}
	}
	return p, fmt.Errorf("no NSEC proves that %s has no %s", name, dns.TypeToString[qtype])
}

func (d *denial) nsecNXDomain(name string) (proof, error) {
	p := proof{kind: "NSEC"}
	// RFC 4035 §5.4: an NSEC proves the name does not exist, and one that
	// there is no wildcard at the closest encloser that could have matched.
	n := d.nsecCover(name)
	if n == nil {
		return p, fmt.Errorf("no NSEC proves that %s does not exist", name)
	}
	if next := dns.CanonicalName(n.NextDomain); next != name && isSubDomain(name, next) {
		return p, fmt.Errorf("NSEC shows %s exists as an empty non-terminal", name)
	}
	wc := wildcard(d.nsecEncloser(name, n))
	if d.nsecMatch(wc) != nil || d.nsecCover(wc) == nil {
		return p, fmt.Errorf("no NSEC proves that wildcard %s does not exist", wc)
	}
	return p, nil
}

// nsecEncloser returns the closest encloser of name that the covering n
// implies: the longest ancestor name shares with n's owner or next name.
func (d *denial) nsecEncloser(name string, n *dns.NSEC) string {
	c := max(dns.CompareDomainName(name, n.Hdr.Name), dns.CompareDomainName(name, n.NextDomain))
	c = max(c, dns.CountLabel(d.zone))
	return suffix(name, c)
}

// NSEC3 proofs.

func (d *denial) hash(name string, n *dns.NSEC3) string {
	k := hashKey{name, n.Salt, n.Iterations}
	h, ok := d.hashes[k]
	if !ok {
		h = dns.HashName(name, n.Hash, n.Iterations, n.Salt)
		d.hashes[k] = h
	}
	return h
}

func ownerHash(n *dns.NSEC3) string {
	i, _ := dns.NextLabel(n.Hdr.Name, 0)
	if i == 0 {
		return ""
	}
	return strings.ToUpper(n.Hdr.Name[:i-1])
}

func (d *denial) nsec3Match(name string) *dns.NSEC3 {
	if !isSubDomain(d.zone, name) {
		return nil
	}
	for _, n := range d.nsec3 {
		if h := d.hash(name, n); h != "" && h == ownerHash(n) {
			return n
		}
	}
	return nil
}

// nsec3Cover returns an NSEC3 whose hash span covers name's hash.
func (d *denial) nsec3Cover(name string) *dns.NSEC3 {
	if !isSubDomain(d.zone, name) {
		return nil
	}
	for _, n := range d.nsec3 {
		h, owner, next := d.hash(name, n), ownerHash(n), strings.ToUpper(n.NextDomain)
		if h == "" || owner == "" || h == owner {
			continue
		}
		if inSpan(owner, next, h) { // the last NSEC3 wraps around
			return n
		}
	}
	return nil
}

// closestEncloser finds the closest provable encloser of name (RFC 5155
// §8.3): the longest ancestor with a matching NSEC3, whose child towards
// name (the next closer name) a second NSEC3 covers.
func (d *denial) closestEncloser(name string) (ce string, cover *dns.NSEC3, err error) {
	if !isSubDomain(d.zone, name) {
		return "", nil, fmt.Errorf("%s is not in zone %s", name, d.zone)
	}
	names := ancestors(d.zone, name)
	for i := len(names) - 2; i >= 0; i-- {
		m := d.nsec3Match(names[i])
		if m == nil {
			continue
		}
		// RFC 5155 §8.3: a delegation (NS without SOA) or DNAME cannot
		// be the closest encloser.
		if hasType(m.TypeBitMap, dns.TypeNS) && !hasType(m.TypeBitMap, dns.TypeSOA) || hasType(m.TypeBitMap, dns.TypeDNAME) {
			return "", nil, fmt.Errorf("closest encloser %s of %s is a delegation or DNAME", names[i], name)
		}
		c := d.nsec3Cover(names[i+1])
		if c == nil {
			return "", nil, fmt.Errorf("no NSEC3 covers the next closer name %s", names[i+1])
		}
		return names[i], c, nil
	}
	return "", nil, fmt.Errorf("no NSEC3 matches an ancestor of %s", name)
}

func (d *denial) nsec3NXDomain(name string) (proof, error) {
	p := proof{kind: "NSEC3"}
	if d.nsec3Match(name) != nil {
		return p, fmt.Errorf("an NSEC3 matches %s: it exists", name)
	}
	// RFC 5155 §8.4: closest encloser proof, and no wildcard below it.
	ce, cover, err := d.closestEncloser(name)
	if err != nil {
		return p, err
	}
	if d.nsec3Cover(wildcard(ce)) == nil {
		return p, fmt.Errorf("no NSEC3 proves that wildcard %s does not exist", wildcard(ce))
	}
	p.optOut = cover.Flags&1 != 0 // RFC 5155 §9.2
	return p, nil
}

func (d *denial) nsec3NoData(name string, qtype uint16) (proof, error) {
	p := proof{kind: "NSEC3"}
	if m := d.nsec3Match(name); m != nil {
		bm := m.TypeBitMap
		// RFC 5155 §8.5, §8.6: the matching NSEC3 lists neither the type
		// nor CNAME.
		if hasType(bm, qtype) {
			return p, fmt.Errorf("NSEC3 of %s lists type %s", name, dns.TypeToString[qtype])
		}
		if hasType(bm, dns.TypeCNAME) {
			return p, fmt.Errorf("NSEC3 of %s lists CNAME", name)
		}
		if qtype == dns.TypeDS {
			if hasType(bm, dns.TypeSOA) && name != "." {
				return p, fmt.Errorf("NSEC3 of %s is from the child zone's apex", name)
			}
			p.delegation = hasType(bm, dns.TypeNS)
			return p, nil
		}
		if hasType(bm, dns.TypeNS) && !hasType(bm, dns.TypeSOA) {
			return p, fmt.Errorf("NSEC3 of %s is a delegation's, not the zone's", name)
		}
		return p, nil
	}
	ce, cover, err := d.closestEncloser(name)
	if err != nil {
		return p, err
	}
	if qtype == dns.TypeDS {
		// RFC 5155 §8.6: without a match, only an opt-out span covering
		// the next closer name explains a missing DS: an unsigned
		// delegation.
		if cover.Flags&1 == 0 {
			return p, fmt.Errorf("no NSEC3 matches %s and the one covering it has no opt-out", name)
		}
		p.optOut, p.delegation = true, true
		return p, nil
	}
	// RFC 5155 §8.7: a wildcard NODATA, the wildcard at the closest
	// encloser exists without the type.
	if w := d.nsec3Match(wildcard(ce)); w != nil && !hasType(w.TypeBitMap, qtype) && !hasType(w.TypeBitMap, dns.TypeCNAME) {
		p.optOut = cover.Flags&1 != 0
		return p, nil
	}
	if cover.Flags&1 != 0 {
		// RFC 5155 §8.6 with erratum 3441, §9.2: an opt-out NSEC3 covering
		// the next closer name may hide an unsigned delegation (and the
		// empty non-terminals above it), whatever the type asked: the
		// answer is insecure, not bogus.
		p.optOut = true
		return p, nil
	}
	return p, fmt.Errorf("no NSEC3 proves that %s has no %s", name, dns.TypeToString[qtype])
}

func hasType(bitmap []uint16, t uint16) bool {
	return slices.Contains(bitmap, t)
}

// wildcard returns the wildcard name below ce.
func wildcard(ce string) string {
	if ce == "." {
		return "*."
	}
	return "*." + ce
}
