package dnssec

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// supportedAlgorithm reports whether signatures of algorithm alg are
// verified. Others make a zone insecure when its DS records use nothing else
// (RFC 4035 §5.2, RFC 6840 §5.2). The SHA-1 algorithms 5 and 7 are among
// them: RFC 8624 §3.1 already advises against signing with them.
func supportedAlgorithm(alg uint8) bool {
	switch alg {
	case dns.RSASHA256, dns.RSASHA512, dns.ECDSAP256SHA256, dns.ECDSAP384SHA384, dns.ED25519:
		return true
	}
	return false
}

// usableDS returns the DS records with a supported algorithm and digest type
// (SHA-256 and SHA-384; SHA-1 only when no stronger digest is present, RFC
// 4509 §3).
func usableDS(ds []*dns.DS) []*dns.DS {
	var strong, sha1 []*dns.DS
	for _, d := range ds {
		if !supportedAlgorithm(d.Algorithm) {
			continue
		}
		switch d.DigestType {
		case dns.SHA256, dns.SHA384:
			strong = append(strong, d)
		case dns.SHA1:
			sha1 = append(sha1, d)
		}
	}
	if len(strong) > 0 {
		return strong // RFC 4509 §3: ignore SHA-1 DS when SHA-256 is present
	}
	return sha1
}

// dsMatches reports whether ds is a digest of key (RFC 4034 §5.1.4).
func dsMatches(ds *dns.DS, key *dns.DNSKEY) bool {
	if key.Flags&dns.ZONE == 0 || key.Protocol != 3 || key.Algorithm != ds.Algorithm || key.KeyTag() != ds.KeyTag {
		return false
	}
	d := key.ToDS(ds.DigestType)
	return d != nil && strings.EqualFold(d.Digest, ds.Digest)
}

// sameKey reports whether two DNSKEYs hold the same public key.
func sameKey(a, b *dns.DNSKEY) bool {
	return a.Algorithm == b.Algorithm && a.Protocol == b.Protocol &&
		strings.ReplaceAll(a.PublicKey, " ", "") == strings.ReplaceAll(b.PublicKey, " ", "")
}

// zoneKeys returns the keys of a DNSKEY RRset that may sign zone data: the
// Zone flag set, protocol 3 (RFC 4034 §2.1.1, §2.1.2).
func zoneKeys(set []dns.RR) []*dns.DNSKEY {
	var keys []*dns.DNSKEY
	for _, rr := range set {
		if k, ok := rr.(*dns.DNSKEY); ok && k.Flags&dns.ZONE != 0 && k.Protocol == 3 {
			keys = append(keys, k)
		}
	}
	return keys
}

// errBudget ends a validation that needs more signature checks than allowed.
var errBudget = errors.New("too many signature checks for one answer")

// sigError ranks why no RRSIG of an RRset verified, so that the reason given
// is the most telling one.
type sigError struct {
	rank int
	err  error
}

func (e *sigError) update(rank int, err error) {
	if e.err == nil || rank > e.rank {
		e.rank, e.err = rank, err
	}
}

// verify checks that one of sigs is a valid signature over rrset by one of
// keys, the authenticated keys of zone, and returns it with the time until
// which the RRset may be cached (RFC 4035 §5.3.3). rrset must be non-empty,
// with canonical, identical owner names. The error says why no signature
// verified; it wraps errBudget when the work limit was reached.
func (r *run) verify(rrset []dns.RR, sigs []*dns.RRSIG, zone string, keys []*dns.DNSKEY) (*dns.RRSIG, time.Time, error) {
	h := rrset[0].Header()
	owner, typ := h.Name, dns.TypeToString[h.Rrtype]
	if len(sigs) == 0 {
		return nil, time.Time{}, fmt.Errorf("RRSIG missing for %s %s", owner, typ)
	}
	if !isSubDomain(zone, owner) {
		// RFC 4035 §5.3.1: the signer is the zone containing the RRset.
		return nil, time.Time{}, fmt.Errorf("%s %s is outside zone %s", owner, typ, zone)
	}
	var best sigError
	for i, sig := range sigs {
		if i >= maxSigsPerSet {
			break
		}
		signer := dns.CanonicalName(sig.SignerName)
		switch {
		case sig.TypeCovered != h.Rrtype:
			continue
		case signer != zone:
			// RFC 4035 §5.3.1: Signer's Name MUST be the zone of the RRset.
			best.update(1, fmt.Errorf("RRSIG over %s %s is by %s, not zone %s", owner, typ, signer, zone))
			continue
		case !supportedAlgorithm(sig.Algorithm):
			best.update(0, fmt.Errorf("RRSIG over %s %s uses unsupported algorithm %d", owner, typ, sig.Algorithm))
			continue
		case int(sig.Labels) > dns.CountLabel(owner):
			// RFC 4035 §5.3.1: Labels MUST NOT exceed the owner's labels.
			best.update(3, fmt.Errorf("RRSIG over %s %s has labels %d, more than the owner", owner, typ, sig.Labels))
			continue
		case !sig.ValidityPeriod(r.now):
			// RFC 4035 §5.3.1: inception ≤ now ≤ expiration.
			if sigTime(sig.Inception, r.now).After(r.now) {
				best.update(4, fmt.Errorf("RRSIG over %s %s (key tag %d) is not valid before %s", owner, typ, sig.KeyTag, sigTime(sig.Inception, r.now).UTC().Format(time.RFC3339)))
			} else {
				best.update(4, fmt.Errorf("RRSIG over %s %s (key tag %d) expired at %s", owner, typ, sig.KeyTag, sigTime(sig.Expiration, r.now).UTC().Format(time.RFC3339)))
			}
			continue
		}
		tried := 0
		for _, k := range keys {
			// RFC 4035 §5.3.1: the key's owner, algorithm and key tag match.
			if k.Algorithm != sig.Algorithm || k.KeyTag() != sig.KeyTag || dns.CanonicalName(k.Hdr.Name) != zone {
				continue
			}
			if tried >= maxKeysPerSig {
				break
			}
			tried++
			// Remembered checks count against the budget too: the limit
			// stays a property of the answer alone.
			if r.checks >= maxSigChecks {
				return nil, time.Time{}, fmt.Errorf("%s %s: %w", owner, typ, errBudget)
			}
			r.checks++
			if err := r.v.checkSig(sig, k, rrset); err != nil {
				best.update(5, fmt.Errorf("RRSIG over %s %s by %s key tag %d does not verify: %w", owner, typ, zone, sig.KeyTag, err))
				continue
			}
			return sig, r.expiry(rrset, sig), nil
		}
		if tried == 0 {
			best.update(2, fmt.Errorf("RRSIG over %s %s: no DNSKEY of %s with key tag %d alg %d", owner, typ, zone, sig.KeyTag, sig.Algorithm))
		}
	}
	if best.err == nil {
		return nil, time.Time{}, fmt.Errorf("RRSIG missing for %s %s", owner, typ)
	}
	return nil, time.Time{}, best.err
}

// sigDigest is a SHA-256 digest of everything a signature check depends on
// but the clock: the RRSIG with its signature, the key and the RRset's
// records in wire form. TTLs are left out: the check uses the RRSIG's
// Original TTL (RFC 4034 §3.1.8.1). ok is false when something does not
// pack; such a check is not remembered.
func sigDigest(sig *dns.RRSIG, k *dns.DNSKEY, rrset []dns.RR) (digest [sha256.Size]byte, ok bool) {
	h := sha256.New()
	buf := make([]byte, 2048)
	for _, rr := range append([]dns.RR{sig, k}, rrset...) {
		// A copy: the records (a cached key above all) are shared between
		// goroutines, and PackRR sets the header's Rdlength. Its TTL is
		// zeroed: a caching resolver counts it down from one answer to
		// the next.
		rr = dns.Copy(rr)
		rr.Header().Ttl = 0
		n, err := dns.PackRR(rr, buf, 0, nil, false)
		if err != nil {
			// A record too large for buf: pack it into a larger one.
			buf = make([]byte, dns.MaxMsgSize)
			if n, err = dns.PackRR(rr, buf, 0, nil, false); err != nil {
				return digest, false
			}
		}
		// Each record is prefixed with its length, so that no two
		// different sequences of records hash the same bytes.
		h.Write([]byte{byte(n >> 8), byte(n)})
		h.Write(buf[:n])
	}
	h.Sum(digest[:0])
	return digest, true
}

// inFlight is one piece of work of a Validator, done or in hand, which
// the validations that need it at the same time wait for.
type inFlight[T any] struct {
	done chan struct{} // closed once val is set
	val  T
}

// checkSig verifies sig over rrset with k once per Validator: the same
// check (same bytes, see [sigDigest]) asked again gets the remembered
// outcome, and one that another validation has in hand is waited for. The
// validations of one run start together and ask for the same DNSKEY and
// NSEC RRsets.
func (v *Validator) checkSig(sig *dns.RRSIG, k *dns.DNSKEY, rrset []dns.RR) error {
	digest, ok := sigDigest(sig, k, rrset)
	if !ok {
		return verifySig(sig, k, rrset)
	}
	v.mu.Lock()
	c, known := v.sigs[digest]
	if !known {
		if len(v.sigs) >= maxCacheEntries {
			clear(v.sigs) // checks in hand complete for their waiters all the same
		}
		c = &inFlight[error]{done: make(chan struct{})}
		v.sigs[digest] = c
	}
	v.mu.Unlock()
	if known {
		<-c.done
		return c.val
	}
	c.val = verifySig(sig, k, rrset)
	close(c.done)
	return c.val
}

// verifySig runs miekg/dns's verification, which parses keys and signatures
// from the network: a panic there is a failed check, not a crash.
func verifySig(sig *dns.RRSIG, k *dns.DNSKEY, rrset []dns.RR) (err error) {
	defer func() {
		if x := recover(); x != nil {
			err = fmt.Errorf("malformed key or signature: %v", x)
		}
	}()
	return sig.Verify(k, rrset)
}

// expiry is when an RRset validated with sig stops being cacheable: its TTL,
// capped by the signature's original TTL and expiration (RFC 4035 §5.3.3).
func (r *run) expiry(rrset []dns.RR, sig *dns.RRSIG) time.Time {
	ttl := min(maxCacheTTL, time.Duration(sig.OrigTtl)*time.Second)
	for _, rr := range rrset {
		ttl = min(ttl, time.Duration(rr.Header().Ttl)*time.Second)
	}
	exp := r.now.Add(ttl)
	if e := sigTime(sig.Expiration, r.now); e.Before(exp) {
		exp = e
	}
	return exp
}

// sigTime turns an RRSIG timestamp into the time closest to now, with the
// serial number arithmetic of RFC 4034 §3.1.5 (as dns.RRSIG.ValidityPeriod).
func sigTime(t uint32, now time.Time) time.Time {
	const year68 = 1 << 31
	utc := now.Unix()
	mod := (int64(t) - utc) / year68
	return time.Unix(int64(t)+mod*year68, 0)
}

// expanded reports whether sig was made for a wildcard and owner is an
// expansion of it (RFC 4035 §5.3.4): fewer labels than the owner has, not
// counting a leading "*" label of a literal wildcard owner.
func expanded(sig *dns.RRSIG, owner string) bool {
	n := dns.CountLabel(owner)
	if strings.HasPrefix(owner, "*.") {
		n--
	}
	return int(sig.Labels) < n
}
