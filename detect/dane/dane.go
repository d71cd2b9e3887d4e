// Package dane matches the certificate chain a mail server served against
// the server's DNSSEC-secure TLSA records (DANE: RFC 6698, updated by
// RFC 7671; RFC 7672 for SMTP, RFC 7673 for services found through SRV).
//
// On the internet a TLS certificate is usually trusted because one of many
// certificate authorities (CAs) that every client trusts signed it: PKIX, or
// the WebPKI. DANE lets the owner of a domain say instead, in DNS records
// protected by DNSSEC, which certificate or key a service must present.
// Those TLSA records live at "_PORT._tcp.HOST" (see [Name]); each record
// carries three small numbers and the data to compare:
//
//   - the certificate usage says what must match and which checks follow.
//     PKIX-TA(0) names a CA that must appear in the ordinary PKIX path;
//     PKIX-EE(1) names the server's own certificate, which must also pass
//     ordinary PKIX validation. DANE-TA(2) names a trust anchor of the
//     domain's own choosing (often a private CA) that replaces the public
//     CAs; the chain from the server's certificate to it must verify and name
//     the host. DANE-EE(3) names the server's certificate or key and nothing
//     else: no CA, no host name and no expiry check, since the DNSSEC-signed
//     record itself is the authority.
//   - the selector says whether the whole certificate (Cert(0)) or only its
//     public key, the SubjectPublicKeyInfo (SPKI(1)), is compared. A key
//     survives certificate renewals; the whole certificate does not.
//   - the matching type says whether the data is the selected bytes
//     themselves (Full(0)) or their SHA-256(1) or SHA-512(2) digest.
//
// A record whose numbers this package does not know, or whose data has the
// wrong length, is unusable and is skipped; a record set with no usable record
// counts as no record at all. When records with the same usage and selector
// use different digests, only the strongest digest counts, so that an
// attacker cannot fall back to a weaker one (RFC 7671 §9).
//
// DANE only means something when the TLSA answer, and the address records of
// the host, were DNSSEC-secure. Looking them up is the engine's job; [Verify]
// is pure logic on records already known to be secure, and never touches the
// network. [Record] builds the record a server's administrator should
// publish.
package dane

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Status is the outcome of DANE matching for one server.
type Status string

const (
	// Verified: a usable TLSA record matched the served chain, with every
	// check its usage asks for.
	Verified Status = "verified"
	// Mismatch: usable TLSA records exist and none matched. Under DNSSEC this
	// is an authentication failure, not a reason to fall back (RFC 6698 §4.1).
	Mismatch Status = "mismatch"
	// None: no usable TLSA record, which counts as no TLSA record at all
	// (RFC 6698 §4.1).
	None Status = "none"
	// Insecure: the TLSA lookup was not DNSSEC-secure, so its records cannot
	// be used. Set by the engine, never returned by [Verify].
	Insecure Status = "insecure"
	// Bogus: the TLSA lookup failed DNSSEC validation. Set by the engine,
	// never returned by [Verify].
	Bogus Status = "bogus"
)

// Result is what [Verify] found.
type Result struct {
	Status Status
	// Reason says why, in words for the helpdesk: which record matched and
	// how, or what each usable record failed on.
	Reason string
	// Matched is the record that matched, nil unless Status is Verified.
	Matched *dns.TLSA
	// Usable is the number of usable TLSA records (RFC 6698 §4.1), counting
	// those set aside by digest algorithm agility (RFC 7671 §9).
	Usable int
}

// TLSA parameter values (RFC 6698 §7.2–§7.4, acronyms from RFC 7218).
const (
	UsagePKIXTA uint8 = 0 // PKIX-TA: CA constraint
	UsagePKIXEE uint8 = 1 // PKIX-EE: service certificate constraint
	UsageDANETA uint8 = 2 // DANE-TA: trust anchor assertion
	UsageDANEEE uint8 = 3 // DANE-EE: domain-issued certificate

	SelectorCert uint8 = 0 // Cert: the full certificate (DER)
	SelectorSPKI uint8 = 1 // SPKI: the DER SubjectPublicKeyInfo

	MatchingFull   uint8 = 0 // Full: the selected bytes themselves
	MatchingSHA256 uint8 = 1 // SHA2-256 of the selected bytes
	MatchingSHA512 uint8 = 2 // SHA2-512 of the selected bytes
)

var (
	// ErrParameter is returned by [Record] for a usage, selector or matching
	// type it does not know.
	ErrParameter = errors.New("dane: unknown TLSA parameter")
	// ErrNoCertificate is returned by [Record] for a nil certificate.
	ErrNoCertificate = errors.New("dane: no certificate")
)

// Name returns the owner name of the TLSA records of a TCP service on port
// at host (RFC 6698 §3), lower case and fully qualified:
// Name("mail.example.org", 993) is "_993._tcp.mail.example.org.". host is an
// ASCII (A-label) name, with or without the trailing dot.
func Name(host string, port int) string {
	return "_" + strconv.Itoa(port) + "._tcp." + dns.Fqdn(strings.ToLower(strings.TrimSuffix(host, ".")))
}

// Record returns the TLSA record with the given usage, selector and matching
// type for cert, with lower-case hex data. Its header has the TLSA type and
// class IN; the caller sets the owner name (see [Name]) and TTL. Record
// returns [ErrParameter] for a value outside 0–3, 0–1 and 0–2, and
// [ErrNoCertificate] for a nil cert.
func Record(usage, selector, matching uint8, cert *x509.Certificate) (*dns.TLSA, error) {
	if cert == nil {
		return nil, ErrNoCertificate
	}
	if usage > UsageDANEEE {
		return nil, fmt.Errorf("%w: certificate usage %d", ErrParameter, usage)
	}
	data, err := association(cert, selector, matching)
	if err != nil {
		return nil, err
	}
	return &dns.TLSA{
		Hdr:          dns.RR_Header{Rrtype: dns.TypeTLSA, Class: dns.ClassINET},
		Usage:        usage,
		Selector:     selector,
		MatchingType: matching,
		Certificate:  hex.EncodeToString(data),
	}, nil
}

// association returns the certificate association data of cert for selector
// and matching (RFC 6698 §2.1.2, §2.1.3), or an error wrapping ErrParameter.
func association(cert *x509.Certificate, selector, matching uint8) ([]byte, error) {
	var b []byte
	switch selector {
	case SelectorCert:
		b = cert.Raw
	case SelectorSPKI:
		b = cert.RawSubjectPublicKeyInfo
	default:
		return nil, fmt.Errorf("%w: selector %d", ErrParameter, selector)
	}
	switch matching {
	case MatchingFull:
		return b, nil
	case MatchingSHA256:
		d := sha256.Sum256(b)
		return d[:], nil
	case MatchingSHA512:
		d := sha512.Sum512(b)
		return d[:], nil
	}
	return nil, fmt.Errorf("%w: matching type %d", ErrParameter, matching)
}

// Verify matches chain (DER, leaf first, as served) against records (the
// TLSA RRset at _PORT._tcp.HOST, already known to be DNSSEC-secure).
//
// host is the TLSA base domain and the reference identifier for the name
// checks of PKIX-TA, PKIX-EE and DANE-TA (RFC 7671 §5.2–§5.4, RFC 7673 §4);
// an empty host fails those checks. roots are the PKIX roots for PKIX-TA and
// PKIX-EE (nil: the system's roots). now is the time for validity checks
// (zero: the current time).
//
// Verify returns Verified with the first record that matches, None when no
// record is usable, and Mismatch otherwise, with a Reason naming what each
// record failed on. It never returns Insecure or Bogus: those are for the
// engine to report when the TLSA lookup itself was not secure.
func Verify(records []*dns.TLSA, chain [][]byte, host string, roots *x509.CertPool, now time.Time) Result {
	usable, skipped := usableRecords(records)
	if len(usable) == 0 {
		// RFC 6698 §4.1: with no usable record the server is treated as if
		// it published no TLSA record.
		reason := "no usable TLSA records"
		if len(skipped) > 0 {
			reason += " (skipped " + strings.Join(skipped, "; ") + ")"
		}
		return Result{Status: None, Reason: reason}
	}
	res := Result{Status: Mismatch, Usable: len(usable)}
	considered, weaker := agility(usable)

	certs := make([]*x509.Certificate, 0, len(chain))
	for i, der := range chain {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			res.Reason = fmt.Sprintf("served certificate %d cannot be parsed: %v", i+1, err)
			return res
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		res.Reason = "the server sent no certificate"
		return res
	}

	v := &verifier{
		chain: certs,
		host:  strings.ToLower(strings.TrimSuffix(host, ".")),
		roots: roots,
		now:   now,
	}
	var notes []string
	for _, r := range considered {
		ok, why := v.check(r)
		if ok {
			return Result{Status: Verified, Reason: describe(r.rr) + " " + why, Matched: r.rr, Usable: len(usable)}
		}
		notes = append(notes, describe(r.rr)+": "+why)
	}
	for _, r := range weaker {
		notes = append(notes, describe(r.rr)+": ignored, a stronger digest is published for the same usage and selector (RFC 7671 §9)")
	}
	notes = append(notes, skipped...)
	noun := "records"
	if len(usable) == 1 {
		noun = "record"
	}
	res.Reason = fmt.Sprintf("none of %d usable TLSA %s matched: %s", len(usable), noun, strings.Join(notes, "; "))
	return res
}

// record is a usable TLSA record with its decoded association data.
type record struct {
	rr   *dns.TLSA
	data []byte
}

// usableRecords returns the usable records in rrs and a note for each record
// skipped as unusable.
func usableRecords(rrs []*dns.TLSA) (usable []record, skipped []string) {
	for _, rr := range rrs {
		if rr == nil {
			continue
		}
		why := ""
		data, err := hex.DecodeString(rr.Certificate)
		// RFC 6698 §4.1: a record with a usage, selector or matching type
		// the client does not support is unusable; so is one whose data
		// cannot be what its matching type says (RFC 6698 §2.1.3).
		switch {
		case rr.Usage > UsageDANEEE:
			why = fmt.Sprintf("unknown certificate usage %d", rr.Usage)
		case rr.Selector > SelectorSPKI:
			why = fmt.Sprintf("unknown selector %d", rr.Selector)
		case rr.MatchingType > MatchingSHA512:
			why = fmt.Sprintf("unknown matching type %d", rr.MatchingType)
		case err != nil:
			why = "association data is not hex"
		case rr.MatchingType == MatchingFull && len(data) == 0:
			why = "association data is empty"
		case rr.MatchingType == MatchingSHA256 && len(data) != sha256.Size:
			why = fmt.Sprintf("SHA-256 data is %d bytes, not %d", len(data), sha256.Size)
		case rr.MatchingType == MatchingSHA512 && len(data) != sha512.Size:
			why = fmt.Sprintf("SHA-512 data is %d bytes, not %d", len(data), sha512.Size)
		}
		if why != "" {
			skipped = append(skipped, describe(rr)+": unusable, "+why)
			continue
		}
		usable = append(usable, record{rr, data})
	}
	return usable, skipped
}

// agility splits usable records into those considered and those ignored
// because a stronger digest is present for the same usage and selector.
//
// RFC 7671 §9: among records with the same usage and selector, the client
// uses only the strongest digest algorithm present, so that a published
// stronger digest cannot be bypassed through a weaker one. Full(0) is not a
// digest and always counts. Unusable records were dropped before, so a
// malformed SHA-512 record does not disable a good SHA-256 one.
func agility(usable []record) (considered, weaker []record) {
	type key struct{ usage, selector uint8 }
	strongest := map[key]uint8{}
	for _, r := range usable {
		k := key{r.rr.Usage, r.rr.Selector}
		if r.rr.MatchingType > strongest[k] {
			strongest[k] = r.rr.MatchingType
		}
	}
	for _, r := range usable {
		mt := r.rr.MatchingType
		if mt == MatchingFull || mt == strongest[key{r.rr.Usage, r.rr.Selector}] {
			considered = append(considered, r)
		} else {
			weaker = append(weaker, r)
		}
	}
	return considered, weaker
}

// verifier checks records against one served chain. PKIX validation, shared
// by PKIX-TA and PKIX-EE, is done at most once.
type verifier struct {
	chain []*x509.Certificate // parsed, leaf first
	host  string              // reference identifier, no trailing dot
	roots *x509.CertPool
	now   time.Time

	pkixDone   bool
	pkixChains [][]*x509.Certificate
	pkixErr    error
}

// match reports whether cert matches the association data of r.
func match(r record, cert *x509.Certificate) bool {
	d, err := association(cert, r.rr.Selector, r.rr.MatchingType)
	return err == nil && bytes.Equal(d, r.data)
}

// intermediates returns a pool with the served certificates after the leaf.
func (v *verifier) intermediates() *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range v.chain[1:] {
		p.AddCert(c)
	}
	return p
}

// pkix validates the served chain against the PKIX roots, for host.
func (v *verifier) pkix() ([][]*x509.Certificate, error) {
	if !v.pkixDone {
		v.pkixDone = true
		v.pkixChains, v.pkixErr = v.chain[0].Verify(x509.VerifyOptions{
			DNSName:       v.host,
			Roots:         v.roots,
			Intermediates: v.intermediates(),
			CurrentTime:   v.now,
			KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
	}
	return v.pkixChains, v.pkixErr
}

// check matches one usable record, returning whether it matched and why (not).
func (v *verifier) check(r record) (bool, string) {
	leaf := v.chain[0]
	what := "certificate"
	if r.rr.Selector == SelectorSPKI {
		what = "public key"
	}
	switch r.rr.Usage {
	case UsageDANEEE:
		// RFC 7671 §5.1: with DANE-EE only the leaf's certificate or key
		// is matched; its names and validity period are not checked.
		if !match(r, leaf) {
			return false, "does not match the leaf " + what
		}
		return true, "matched the leaf " + what + " (DANE-EE: name and validity not checked, RFC 7671 §5.1)"

	case UsagePKIXEE:
		// RFC 6698 §2.1.1, RFC 7671 §5.3: the leaf must match AND pass
		// PKIX validation, including the name check.
		if !match(r, leaf) {
			return false, "does not match the leaf " + what
		}
		if v.host == "" {
			return false, "matches the leaf " + what + ", but there is no host name to check"
		}
		if _, err := v.pkix(); err != nil {
			return false, "matches the leaf " + what + ", but PKIX validation failed: " + err.Error()
		}
		return true, "matched the leaf " + what + ", which passed PKIX validation for " + v.host

	case UsagePKIXTA:
		// RFC 6698 §2.1.1, RFC 7671 §5.4: the chain must pass PKIX
		// validation, including the name check, AND the named CA must be
		// in the validated path, above the leaf.
		if v.host == "" {
			return false, "there is no host name to check"
		}
		chains, err := v.pkix()
		if err != nil {
			return false, "PKIX validation failed: " + err.Error()
		}
		for _, ch := range chains {
			for _, c := range ch[1:] {
				if match(r, c) {
					return true, fmt.Sprintf("matched the CA %q in a PKIX path valid for %s", c.Subject.String(), v.host)
				}
			}
		}
		return false, "no CA in the validated PKIX path matches"

	case UsageDANETA:
		return v.checkDANETA(r, what)
	}
	return false, "unknown certificate usage" // excluded by usableRecords
}

// checkDANETA checks a DANE-TA(2) record.
func (v *verifier) checkDANETA(r record, what string) (bool, string) {
	leaf := v.chain[0]
	// RFC 7671 §5.2.2, RFC 7672 §3.1.2: the server MUST serve the trust
	// anchor certificate in its chain; the anchor is a certificate of the
	// served chain above the leaf (a DANE-TA record names an issuer, RFC
	// 6698 §2.1.1; the leaf itself is what DANE-EE is for).
	anchors := x509.NewCertPool()
	var first *x509.Certificate
	firstAt := 0
	for i, c := range v.chain[1:] {
		if bytes.Equal(c.Raw, leaf.Raw) || !match(r, c) {
			continue
		}
		anchors.AddCert(c)
		if first == nil {
			first, firstAt = c, i+2
		}
	}
	if first == nil {
		if match(r, leaf) {
			return false, "matches only the leaf " + what + ", which cannot be its own trust anchor (publish DANE-EE(3) for that)"
		}
		return false, "no certificate of the served chain matches; the trust anchor must be served with the chain (RFC 7671 §5.2.2)"
	}
	anchor := fmt.Sprintf("the served trust anchor %q (certificate %d)", first.Subject.String(), firstAt)
	if v.host == "" {
		return false, "matches " + anchor + ", but there is no host name to check"
	}
	// RFC 7671 §5.2: the chain from the leaf to the anchor MUST verify and
	// the leaf MUST match the reference identifier (RFC 7672 §3.2). Path
	// validation (RFC 5280 §6.1) checks the validity period of every
	// certificate in the path; unlike DANE-EE (RFC 7671 §5.1) nothing exempts
	// DANE-TA from it. crypto/x509 checks the anchor's own period as well.
	_, err := leaf.Verify(x509.VerifyOptions{
		DNSName:       v.host,
		Roots:         anchors,
		Intermediates: v.intermediates(),
		CurrentTime:   v.now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		return false, "matches " + anchor + ", but the chain does not verify: " + err.Error()
	}
	return true, "matched " + anchor + "; the chain verifies for " + v.host
}

// describe names a record the way a zone file and RFC 7218 do:
// "3 1 1 (DANE-EE SPKI SHA2-256)".
func describe(rr *dns.TLSA) string {
	name := func(v uint8, names ...string) string {
		if int(v) < len(names) {
			return names[v]
		}
		return "?"
	}
	return fmt.Sprintf("%d %d %d (%s %s %s)", rr.Usage, rr.Selector, rr.MatchingType,
		name(rr.Usage, "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE"),
		name(rr.Selector, "Cert", "SPKI"),
		name(rr.MatchingType, "Full", "SHA2-256", "SHA2-512"))
}
