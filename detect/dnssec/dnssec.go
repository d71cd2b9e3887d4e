// Package dnssec validates DNS answers in process, so that the engine does
// not have to take a resolver's word (its AD bit) for the authenticity of an
// SRV, MX, TLSA or address record.
//
// DNSSEC (RFC 4033, 4034, 4035) signs every RRset of a zone: an RRSIG record
// next to the data holds a signature by one of the zone's keys, published as
// DNSKEY records at the zone's apex. The keys are in turn vouched for by the
// parent zone: a DS record at the delegation in the parent holds a digest of
// the child's key-signing key, and the DS RRset is signed by the parent's
// keys. Following DS → DNSKEY → RRSIG from a trust anchor (IANA's root key,
// known in advance) down to the zone of an answer builds a chain of trust;
// every signature on the way must verify and be inside its validity window.
//
// A name's absence is proven the same way: NSEC records (RFC 4034 §4) list,
// in canonical order, each existing name and the types it has, so a signed
// NSEC whose span covers a name proves the name does not exist, and one at
// the name whose type list lacks a type proves the type is absent. NSEC3
// (RFC 5155) does the same with hashed names, so that a zone cannot be listed
// by walking the chain; its proofs go through the "closest encloser", the
// longest existing ancestor of the name. An NSEC3 record with the opt-out
// flag may skip unsigned delegations, so a name it covers may still exist as
// such a delegation: nothing below it is proven.
//
// A delegation without a DS record is insecure: the child zone is not signed,
// or not vouched for, and its data cannot be validated — but that must be
// proven too, by an NSEC or NSEC3 record of the parent saying that the name
// is a delegation (NS) without DS. A zone whose DS records use only
// algorithms this package does not implement is insecure as well (RFC 4035
// §5.2, RFC 6840 §5.2).
//
// Answers synthesised from a wildcard carry a signature whose labels field is
// shorter than the owner name; they are secure only with a proof that the
// name itself does not exist (RFC 4035 §5.3.4, RFC 5155 §8.8). A CNAME chain
// is secure when every link is, whichever zones the links live in.
//
// Supported: signature algorithms 8 (RSA/SHA-256), 10 (RSA/SHA-512), 13
// (ECDSA P-256), 14 (ECDSA P-384) and 15 (Ed25519); DS digest types 2
// (SHA-256) and 4 (SHA-384), 1 (SHA-1) only when no stronger digest is
// there (RFC 4509 §3); NSEC3 hash 1 (SHA-1) up to 150 iterations (RFC 9276).
// A zone whose DS records name only other algorithms or digests is
// insecure (RFC 4035 §5.2, RFC 6840 §5.2); NSEC3 beyond the iteration limit
// makes a denial insecure.
//
// The proof rules and the RFC each implements: NXDOMAIN and NODATA by NSEC
// (RFC 4035 §5.4, RFC 6840 §4.1 for delegation and DNAME NSECs), by NSEC3
// through the closest encloser (RFC 5155 §8.3–§8.7); an NSEC3 opt-out span
// over the next closer name makes any answer insecure (RFC 5155 §8.6 with
// erratum 3441, §9.2); one NSEC3 chain per proof, no mixed parameters or
// colliding spans (RFC 5155 §7.1, §8.3); NSEC and NSEC3 records expanded
// from a wildcard prove nothing (RFC 4035 §5.3.4, RFC 4592, CVE-2017-15105);
// an NSEC's next name stays in its zone (RFC 4034 §4.1.1); a wildcard
// answer needs proof of no exact match (RFC 4035 §5.3.4, RFC 5155 §8.8), a
// DNAME cannot be one (RFC 6672 §5.3.1); a DS RRset is the parent's (RFC
// 4034 §5), so a trust anchor does not cover the DS at its own name; a
// CNAME synthesised from a DNAME is checked through the DNAME (RFC 6672
// §5.3.1); a name below a proven insecure delegation is insecure even when
// the parent's proof sits beside its answer (RFC 4035 §5.2, RFC 5155 §8.9).
// A DS or DNSKEY fetch that fails (error, timeout, SERVFAIL) leaves the
// answer indeterminate, never insecure.
//
// Each answer gets one of four verdicts: secure (a complete chain of trust),
// insecure (an insecure delegation proven on the way, or only unsupported
// algorithms), bogus (a signature, key or proof that should be there is
// missing or wrong — treat the data as forged) or indeterminate (no trust
// anchor covers the name, or the records needed could not be fetched).
//
// A [Validator] sends its DS and DNSKEY queries through a
// [resolver.Resolver], all zones of a chain at once, and caches the keys it
// validated for their TTL, so that a second validation in the same zones
// sends no query at all. The resolver is expected to be a recursive resolver
// that returns DNSSEC records (DO bit); its AD bit is never trusted.
package dnssec

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/resolver"
)

// Errors returned by [Result.Err].
var (
	// ErrBogus means validation failed: a signature, key or proof of
	// absence is missing or wrong. The data must not be used as if signed.
	ErrBogus = errors.New("dnssec: bogus")
	// ErrIndeterminate means the answer could not be validated: no trust
	// anchor covers it, or the records needed could not be fetched.
	ErrIndeterminate = errors.New("dnssec: indeterminate")
)

// Verdict is the outcome of validating one answer (RFC 4033 §5, RFC 4035 §4.3).
type Verdict string

// The verdicts.
const (
	// Secure: a chain of trust from an anchor authenticates the answer or
	// its denial of existence.
	Secure Verdict = "secure"
	// Insecure: the chain of trust proves that the answer's zone is not
	// signed (or only with algorithms this package does not implement).
	Insecure Verdict = "insecure"
	// Bogus: the answer should be signed, but the signatures, keys or
	// proofs are missing, expired or wrong.
	Bogus Verdict = "bogus"
	// Indeterminate: the answer could not be judged, because no trust
	// anchor covers it or the chain could not be fetched.
	Indeterminate Verdict = "indeterminate"
)

// Link is one zone of a chain of trust.
type Link struct {
	// Zone is the zone's apex, an FQDN in lower case ("." first).
	Zone string
	// Verdict is the zone's state: secure when its keys are authenticated,
	// insecure for a proven unsigned delegation, bogus or indeterminate
	// where the chain broke.
	Verdict Verdict
	// Detail says how, e.g. "DNSKEY 257 alg 13 tag 12345 matches DS" or
	// "no DS: insecure delegation proven by NSEC3 (opt-out)".
	Detail string
}

// Result is the verdict on one answer.
type Result struct {
	Verdict Verdict
	// Reason explains the verdict in one line; for bogus it names the zone
	// and the record that failed.
	Reason string
	// Chain lists the zones the verdict relied on, trust anchor first. A
	// CNAME chain across zones adds each zone once.
	Chain []Link
}

// Err returns nil for a secure or insecure result, and otherwise an error
// wrapping [ErrBogus] or [ErrIndeterminate] with the reason.
func (r Result) Err() error {
	switch r.Verdict {
	case Secure, Insecure:
		return nil
	case Bogus:
		return fmt.Errorf("%w: %s", ErrBogus, r.Reason)
	default:
		return fmt.Errorf("%w: %s", ErrIndeterminate, r.Reason)
	}
}

// Options configure a [Validator]. A nil *Options equals the zero value.
type Options struct {
	// Now is the clock signature validity windows are checked against
	// (RFC 4035 §5.3.1) and cache lifetimes measured with; nil means
	// time.Now. A wrong clock makes valid signatures look expired.
	Now func() time.Time
	// Logger receives debug diagnostics (verdicts, failed checks); nil
	// discards them. Records are public data; nothing secret is logged.
	Logger *slog.Logger
}

// Limits bounding the work of one validation, so that a hostile answer or
// zone cannot make it unbounded (compare CVE-2023-50387, "KeyTrap").
const (
	// maxChain is the number of zone candidates between a trust anchor and
	// the deepest name of a chain, anchor included.
	maxChain = 16
	// maxCNAME is the number of CNAME links followed in one answer.
	maxCNAME = 8
	// maxSigChecks is the number of signature verifications per answer.
	maxSigChecks = 128
	// maxKeysPerSig is the number of DNSKEYs with a signature's key tag and
	// algorithm that are tried for it.
	maxKeysPerSig = 4
	// maxSigsPerSet is the number of RRSIGs considered for one RRset.
	maxSigsPerSet = 8
	// maxQueries is the number of DS and DNSKEY queries per answer.
	maxQueries = 64
	// maxTargets is the number of distinct signer and owner names whose
	// chains one answer may need.
	maxTargets = 12
	// maxProofSets is the number of NSEC and NSEC3 RRsets one denial
	// may carry.
	maxProofSets = 16
	// maxNSEC3Iterations: NSEC3 proofs with more iterations are not
	// computed, the answer is insecure (RFC 9276 §3.2).
	maxNSEC3Iterations = 150
	// maxCacheTTL caps how long validated keys and proven delegations are
	// cached; maxCacheEntries bounds the cache.
	maxCacheTTL     = time.Hour
	maxCacheEntries = 4096
)

// Validator validates answers against its trust anchors. It is safe for
// concurrent use and caches validated DNSKEY RRsets and proven delegations
// per zone, for their TTL.
type Validator struct {
	r       resolver.Resolver
	anchors map[string]*anchor
	now     func() time.Time
	log     *slog.Logger

	mu       sync.Mutex
	cache    map[string]step
	stepping map[string]*inFlight[step] // steps being worked out, by name
	// sigs holds the signature checks done or in hand, by [sigDigest]:
	// the NSEC and NSEC3 records of one zone come back in the denial of
	// every name it lacks, and are checked once.
	sigs map[[sha256.Size]byte]*inFlight[error]
}

// anchor is the trust anchor of one zone: DS and/or DNSKEY records.
type anchor struct {
	zone string
	ds   []*dns.DS
	keys []*dns.DNSKEY
}

// RootAnchors returns IANA's root zone trust anchors as DS records
// (https://data.iana.org/root-anchors/root-anchors.xml): KSK-2017, key tag
// 20326, and KSK-2024, key tag 38696, both RSA/SHA-256 with SHA-256 digests.
func RootAnchors() []dns.RR {
	return []dns.RR{
		&dns.DS{
			Hdr:        dns.RR_Header{Name: ".", Rrtype: dns.TypeDS, Class: dns.ClassINET, Ttl: 172800},
			KeyTag:     20326,
			Algorithm:  dns.RSASHA256,
			DigestType: dns.SHA256,
			Digest:     "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
		},
		&dns.DS{
			Hdr:        dns.RR_Header{Name: ".", Rrtype: dns.TypeDS, Class: dns.ClassINET, Ttl: 172800},
			KeyTag:     38696,
			Algorithm:  dns.RSASHA256,
			DigestType: dns.SHA256,
			Digest:     "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
		},
	}
}

// New returns a Validator that fetches DS and DNSKEY records through r and
// starts its chains of trust at anchors: DS and/or DNSKEY records, other
// types ignored. nil anchors means [RootAnchors]; an empty, non-nil slice
// means no anchor, so that every answer is indeterminate. New does no I/O.
func New(r resolver.Resolver, anchors []dns.RR, opts *Options) *Validator {
	if opts == nil {
		opts = &Options{}
	}
	if anchors == nil {
		anchors = RootAnchors()
	}
	v := &Validator{
		r:        r,
		anchors:  make(map[string]*anchor),
		now:      opts.Now,
		log:      opts.Logger,
		cache:    make(map[string]step),
		sigs:     make(map[[sha256.Size]byte]*inFlight[error]),
		stepping: make(map[string]*inFlight[step]),
	}
	if v.now == nil {
		v.now = time.Now
	}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	for _, rr := range anchors {
		if rr == nil {
			continue
		}
		zone := dns.CanonicalName(rr.Header().Name)
		if _, ok := dns.IsDomainName(zone); !ok {
			continue
		}
		a := v.anchors[zone]
		if a == nil {
			a = &anchor{zone: zone}
		}
		switch rr := rr.(type) {
		case *dns.DS:
			a.ds = append(a.ds, rr)
		case *dns.DNSKEY:
			a.keys = append(a.keys, rr)
		default:
			continue
		}
		v.anchors[zone] = a
	}
	return v
}

// anchorFor returns the deepest trust anchor at or above name, or nil.
func (v *Validator) anchorFor(name string) *anchor {
	for n := name; ; {
		if a := v.anchors[n]; a != nil {
			return a
		}
		if n == "." {
			return nil
		}
		n = parent(n)
	}
}

// Lookup queries name and qtype through the Validator's resolver and
// validates the answer, or its denial of existence, like [Validator.Validate].
// The error is non-nil only when the query itself failed; the Result is then
// indeterminate. A bogus answer is returned with its Result, not as an
// error: callers decide what to do with unauthenticated data.
func (v *Validator) Lookup(ctx context.Context, name string, qtype uint16) (*resolver.Answer, Result, error) {
	if v.r == nil {
		return nil, Result{Verdict: Indeterminate, Reason: "no resolver"}, fmt.Errorf("dnssec: lookup %s %s: %w", name, dns.TypeToString[qtype], resolver.ErrNoServer)
	}
	ans, err := v.r.Query(ctx, name, qtype)
	if err != nil {
		err = fmt.Errorf("dnssec: lookup %s %s: %w", name, dns.TypeToString[qtype], err)
		return nil, Result{Verdict: Indeterminate, Reason: err.Error()}, err
	}
	return ans, v.Validate(ctx, ans), nil
}

// Prime walks the chain of trust from the trust anchor down to name, all
// its DS and DNSKEY queries at once, and caches what it proves, so that the
// validation of an answer at or below name that comes later finds its chain
// ready (or in flight at the resolver) instead of fetching it only then.
// Called with a run's domain as its first queries leave, it takes the
// round trip of the chain off every answer of that zone. Its queries are
// those such a validation sends: the DS at each name (a delegation, or the
// proof that there is none) and the DNSKEY of each zone found. It returns
// the chain's verdict, Secure when name is in a signed zone.
func (v *Validator) Prime(ctx context.Context, name string) Verdict {
	name = dns.CanonicalName(name)
	if v.r == nil || !validName(name) {
		return Indeterminate
	}
	r := v.newRun(ctx)
	defer r.close()
	r.prefetch([]target{{name: name}})
	return r.walk(name).verdict
}

// Validate validates an answer already fetched with the DO bit: its records
// (each link of a CNAME chain, in whichever zone), or for an answer without
// records the NSEC or NSEC3 proof that the name or type does not exist. It
// judges ans.Msg, the whole response; ans.Records are expected to be taken
// from it, as [resolver.Client] does. It
// fetches the DS and DNSKEY records the chains of trust need, all zones at
// once, except those the cache holds. Validate never fails: problems are
// part of the Result (bogus, or indeterminate when records could not be
// fetched or ctx ended).
func (v *Validator) Validate(ctx context.Context, ans *resolver.Answer) Result {
	if ans == nil || ans.Msg == nil {
		return Result{Verdict: Indeterminate, Reason: "no response message to validate"}
	}
	r := v.newRun(ctx)
	defer r.close()
	res := r.validate(ans)
	v.log.Debug("dnssec: validated",
		slog.String("name", ans.Name),
		slog.String("type", dns.TypeToString[ans.Type]),
		slog.String("verdict", string(res.Verdict)),
		slog.String("reason", res.Reason),
		slog.Int("queries", r.nqueries),
		slog.Int("sigchecks", r.checks))
	return res
}

// parent returns the name without its first label; the root's parent is the
// root.
func parent(name string) string {
	if name == "." || name == "" {
		return "."
	}
	if i, end := dns.NextLabel(name, 0); !end {
		return name[i:]
	}
	return "."
}

// ancestors returns the names from top (included) down to name (included);
// top must be name or an ancestor of it.
func ancestors(top, name string) []string {
	var out []string
	for n := name; ; n = parent(n) {
		out = append(out, n)
		if n == top || n == "." || len(out) > 128 {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// isSubDomain reports whether child is parent or below it (case-insensitive).
func isSubDomain(parent, child string) bool {
	if parent == "." {
		return true
	}
	return dns.IsSubDomain(parent, child)
}

// suffix returns the ancestor of name with n labels ("." for 0).
func suffix(name string, n int) string {
	idx := dns.Split(name)
	if n <= 0 || len(idx) == 0 {
		return "."
	}
	if n >= len(idx) {
		return name
	}
	return name[idx[len(idx)-n]:]
}

// validName reports whether s is a syntactically valid FQDN.
func validName(s string) bool {
	if s == "" || !strings.HasSuffix(s, ".") {
		return false
	}
	_, ok := dns.IsDomainName(s)
	return ok
}
