package dnssec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/resolver"
)

// item is one RRset of an answer to validate: a CNAME link, a DNAME, or the
// records of the queried type.
type item struct {
	name   string
	rrtype uint16
	rrs    []dns.RR
	sigs   []*dns.RRSIG
	// synth: a CNAME synthesised from a DNAME item of the same answer,
	// unsigned by design (RFC 6672 §5).
	synth bool
}

// outcome is the verdict on one item or denial.
type outcome struct {
	verdict Verdict
	reason  string
	links   []Link
}

// severity orders verdicts for combining: one bogus RRset makes the answer
// bogus, and so on.
func severity(v Verdict) int {
	switch v {
	case Secure:
		return 0
	case Insecure:
		return 1
	case Indeterminate:
		return 2
	default:
		return 3
	}
}

func (r *run) validate(ans *resolver.Answer) Result {
	qname, qtype := dns.CanonicalName(dns.Fqdn(ans.Name)), ans.Type
	if !validName(qname) {
		return Result{Verdict: Indeterminate, Reason: fmt.Sprintf("invalid name %q", ans.Name)}
	}
	msg := ans.Msg
	if len(msg.Question) > 0 {
		q := msg.Question[0]
		if len(msg.Question) != 1 || dns.CanonicalName(q.Name) != qname || q.Qtype != qtype {
			return Result{Verdict: Bogus, Reason: fmt.Sprintf("response does not answer %s %s", qname, dns.TypeToString[qtype])}
		}
	}
	switch qtype {
	case dns.TypeRRSIG, dns.TypeANY, dns.TypeOPT:
		return Result{Verdict: Indeterminate, Reason: fmt.Sprintf("answers to %s queries cannot be validated", dns.TypeToString[qtype])}
	}
	switch msg.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return Result{Verdict: Indeterminate, Reason: fmt.Sprintf("server answered %s", dns.RcodeToString[msg.Rcode])}
	}

	answer, auth := group(msg.Answer), group(msg.Ns)
	items, negName, err := chase(answer, qname, qtype)
	if err != nil {
		return Result{Verdict: Bogus, Reason: err.Error()}
	}
	if len(items) > 2*maxCNAME+1 {
		return Result{Verdict: Indeterminate, Reason: "answer too long to validate"}
	}

	// Every chain the answer needs is fetched at once, before any is
	// walked.
	var targets []target
	add := func(t target) {
		for _, o := range targets {
			if o == t {
				return
			}
		}
		if len(targets) < maxTargets {
			targets = append(targets, t)
		}
	}
	for _, it := range items {
		if it.synth {
			continue
		}
		ss := it.signers()
		if len(ss) == 0 {
			add(target{it.zoneName(), true})
		}
		for _, s := range ss {
			add(target{s, false})
		}
	}
	if negName != "" {
		if ss := denialSigners(auth, negName); len(ss) > 0 {
			add(target{ss[0], false})
		} else {
			add(target{zoneOf(negName, qtype), true})
		}
	}
	r.prefetch(targets)

	var outs []outcome
	for _, it := range items {
		outs = append(outs, r.checkItem(it, auth))
	}
	if negName != "" {
		outs = append(outs, r.checkDenial(negName, qtype, msg.Rcode, auth))
	}

	// The most severe outcome decides; when all are secure, the final
	// RRset or denial describes the answer.
	res := Result{}
	worst := len(outs) - 1
	seen := make(map[string]bool)
	for i, o := range outs {
		for _, l := range o.links {
			if !seen[l.Zone] {
				seen[l.Zone] = true
				res.Chain = append(res.Chain, l)
			}
		}
		if severity(o.verdict) > severity(outs[worst].verdict) ||
			severity(o.verdict) == severity(outs[worst].verdict) && severity(o.verdict) > 0 && i < worst {
			worst = i
		}
	}
	res.Verdict, res.Reason = outs[worst].verdict, outs[worst].reason
	if res.Verdict == Secure && len(outs) > 1 {
		res.Reason = fmt.Sprintf("all %d RRsets of the CNAME chain secure; %s", len(outs), res.Reason)
	}
	return res
}

// chase follows the CNAME chain of the answer section from qname and returns
// the RRsets to validate, and the name at the end of the chain when it has
// no records of qtype (a denial to validate).
func chase(answer *rrsets, qname string, qtype uint16) (items []item, negName string, err error) {
	name := qname
	seen := map[string]bool{qname: true}
	dnames := make(map[string]bool)
	// fromDNAME marks an unsigned CNAME it at name, pointing to next, as
	// synthesised when a DNAME of the answer produces exactly it, and
	// adds that DNAME to the items: RFC 6672 §5.3.1, a CNAME synthesised
	// from a DNAME is not signed; the DNAME is, and is validated instead.
	fromDNAME := func(it *item, next string) {
		if len(it.sigs) > 0 {
			return
		}
		for d := parent(it.name); d != "."; d = parent(d) {
			dk := rrKey{d, dns.TypeDNAME}
			if dn := answer.sets[dk]; len(dn) == 1 && synthesize(it.name, d, dn[0].(*dns.DNAME).Target) == next {
				if !dnames[d] {
					dnames[d] = true
					items = append(items, item{name: d, rrtype: dns.TypeDNAME, rrs: dn, sigs: answer.sigs[dk]})
				}
				it.synth = true
				return
			}
		}
	}
	for links := 0; ; links++ {
		k := rrKey{name, qtype}
		if rrs := answer.sets[k]; len(rrs) > 0 {
			it := item{name: name, rrtype: qtype, rrs: rrs, sigs: answer.sigs[k]}
			if qtype == dns.TypeCNAME && len(rrs) == 1 {
				// A CNAME query under a DNAME: the answer is the
				// synthesised CNAME, checked through its DNAME.
				fromDNAME(&it, dns.CanonicalName(rrs[0].(*dns.CNAME).Target))
			}
			return append(items, it), "", nil
		}
		k = rrKey{name, dns.TypeCNAME}
		cn := answer.sets[k]
		if len(cn) == 0 {
			return items, name, nil
		}
		if len(cn) > 1 {
			return nil, "", fmt.Errorf("%s has %d CNAME records", name, len(cn))
		}
		if links >= maxCNAME {
			return nil, "", fmt.Errorf("CNAME chain from %s longer than %d links", qname, maxCNAME)
		}
		next := dns.CanonicalName(cn[0].(*dns.CNAME).Target)
		it := item{name: name, rrtype: dns.TypeCNAME, rrs: cn, sigs: answer.sigs[k]}
		fromDNAME(&it, next)
		items = append(items, it)
		if seen[next] {
			return nil, "", fmt.Errorf("CNAME loop at %s", next)
		}
		seen[next] = true
		name = next
	}
}

// synthesize replaces the owner suffix of name with target (RFC 6672 §2.2).
func synthesize(name, owner, target string) string {
	return dns.CanonicalName(strings.TrimSuffix(name, owner) + dns.Fqdn(target))
}

// denialSigners returns the zones that signed the NSEC, NSEC3 and SOA
// records of the authority section and enclose name, deepest first.
func denialSigners(auth *rrsets, name string) []string {
	var out []string
	for _, k := range auth.keys {
		if k.rrtype != dns.TypeNSEC && k.rrtype != dns.TypeNSEC3 && k.rrtype != dns.TypeSOA {
			continue
		}
		for _, s := range signers(auth.sigs[k], k.name) {
			if isSubDomain(s, name) && !containsName(out, s) {
				out = append(out, s)
			}
		}
	}
	// Deepest first.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && dns.CountLabel(out[j]) > dns.CountLabel(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func containsName(names []string, n string) bool {
	for _, o := range names {
		if o == n {
			return true
		}
	}
	return false
}

// signers returns the zones whose signatures over the item may count: for
// a DS RRset only the parent side's (RFC 4034 §5, RFC 4035 §2.4: the DS
// RRset of a zone cut is the parent's data; a DS signed by the child's own
// keys, or vouched for by a trust anchor at the child, proves nothing).
func (it item) signers() []string {
	ss := signers(it.sigs, it.name)
	if it.rrtype == dns.TypeDS {
		ss = slices.DeleteFunc(ss, func(s string) bool { return s == it.name })
	}
	return ss
}

// zoneName is the name whose zone holds the item: its owner, or for a DS
// RRset the parent of its owner (RFC 4034 §5).
func (it item) zoneName() string {
	return zoneOf(it.name, it.rrtype)
}

// zoneOf is the name whose zone answers name and qtype: name, or its parent
// for DS (RFC 4034 §5: DS lives on the parent side of a zone cut).
func zoneOf(name string, qtype uint16) string {
	if qtype == dns.TypeDS && name != "." {
		return parent(name)
	}
	return name
}

func (r *run) checkItem(it item, auth *rrsets) outcome {
	what := it.name + " " + dns.TypeToString[it.rrtype]
	if it.synth {
		return outcome{verdict: Secure, reason: what + ": synthesised from a DNAME"}
	}
	ss := it.signers()
	if len(ss) == 0 {
		// An unsigned RRset is fine only below a proven insecure
		// delegation (RFC 4035 §5: everything in a signed zone is signed).
		w := r.walk(it.zoneName())
		switch {
		case w.verdict == Insecure:
			return outcome{Insecure, fmt.Sprintf("%s: unsigned, below insecure delegation %s", what, w.zone), w.links}
		case w.verdict == Secure:
			return outcome{Bogus, fmt.Sprintf("%s: RRSIG missing in signed zone %s", what, w.zone), w.links}
		case w.verdict == Bogus && w.zone == it.zoneName():
			return outcome{Bogus, fmt.Sprintf("%s: RRSIG missing (%s)", what, w.reason), w.links}
		default:
			return outcome{w.verdict, w.reason, w.links}
		}
	}
	var fail *outcome
	for _, s := range ss {
		o := r.checkSigned(it, s, auth)
		if o.verdict == Secure || o.verdict == Insecure {
			return o
		}
		if fail == nil {
			fail = &o
		}
	}
	return *fail
}

// checkSigned validates an RRset signed by zone.
func (r *run) checkSigned(it item, zone string, auth *rrsets) outcome {
	what := it.name + " " + dns.TypeToString[it.rrtype]
	w := r.walk(zone)
	switch w.verdict {
	case Secure:
	case Insecure:
		return outcome{Insecure, fmt.Sprintf("%s: in insecure zone (%s)", what, w.reason), w.links}
	default:
		return outcome{w.verdict, w.reason, w.links}
	}
	if w.zone != zone {
		return outcome{Bogus, fmt.Sprintf("%s: signer %s is not a zone (no DS for it in %s)", what, zone, w.zone), w.links}
	}
	sig, _, err := r.verify(it.rrs, it.sigs, zone, w.keys)
	if err != nil {
		return outcome{bogusOrLimit(err), fmt.Sprintf("zone %s: %v", zone, err), w.links}
	}
	desc := fmt.Sprintf("%s: signed by %s (alg %d, key tag %d)", what, zone, sig.Algorithm, sig.KeyTag)
	if it.rrtype == dns.TypeDNAME && expanded(sig, it.name) {
		// RFC 6672 §5.3.1, RFC 4592 §4.4: a DNAME owned by a wildcard has
		// undefined semantics; validators do not accept one expanded from
		// a wildcard.
		return outcome{Bogus, fmt.Sprintf("zone %s: %s expanded from wildcard %s: a DNAME cannot be synthesised from a wildcard", zone, what, wildcard(suffix(it.name, int(sig.Labels)))), w.links}
	}
	if expanded(sig, it.name) {
		// RFC 4035 §5.3.4, RFC 5155 §8.8: a wildcard expansion is valid
		// only with a proof that no closer name exists.
		d, err := r.mainDenial(auth, zone, w.keys)
		var p proof
		if err == nil {
			p, err = d.noExactMatch(it.name, int(sig.Labels))
		}
		if err != nil {
			return outcome{bogusOrLimit(err), fmt.Sprintf("zone %s: %s expanded from wildcard %s without proof that the name does not exist: %v", zone, what, wildcard(suffix(it.name, int(sig.Labels))), err), w.links}
		}
		if p.optOut || p.insecure != "" {
			return outcome{Insecure, fmt.Sprintf("%s: wildcard expansion over an opt-out NSEC3 span (RFC 5155 §9.2)", what), w.links}
		}
		desc += ", expanded from " + wildcard(suffix(it.name, int(sig.Labels))) + " (no exact match, proven by " + p.kind + ")"
	}
	return outcome{Secure, desc, w.links}
}

// checkDenial validates the proof that name does not exist (NXDOMAIN) or
// has no records of qtype (NODATA).
func (r *run) checkDenial(name string, qtype uint16, rcode int, auth *rrsets) outcome {
	what := fmt.Sprintf("%s %s", name, dns.TypeToString[qtype])
	claim := "no " + dns.TypeToString[qtype] + " records (NODATA)"
	if rcode == dns.RcodeNameError {
		what, claim = name, "no such name (NXDOMAIN)"
	}
	ss := denialSigners(auth, name)
	if len(ss) == 0 {
		w := r.walk(zoneOf(name, qtype))
		switch {
		case w.verdict == Insecure:
			return outcome{Insecure, fmt.Sprintf("%s: %s, unsigned, below insecure delegation %s", what, claim, w.zone), w.links}
		case w.verdict == Secure:
			// RFC 4035 §5.4: a negative answer from a signed zone
			// carries NSEC or NSEC3 proof.
			return outcome{Bogus, fmt.Sprintf("%s: %s without signed NSEC/NSEC3 proof in signed zone %s", what, claim, w.zone), w.links}
		case w.verdict == Bogus && w.zone == zoneOf(name, qtype):
			return outcome{Bogus, fmt.Sprintf("%s: %s without signed proof (%s)", what, claim, w.reason), w.links}
		default:
			return outcome{w.verdict, w.reason, w.links}
		}
	}
	zone := ss[0]
	w := r.walk(zone)
	switch w.verdict {
	case Secure:
	case Insecure:
		return outcome{Insecure, fmt.Sprintf("%s: %s, in insecure zone (%s)", what, claim, w.reason), w.links}
	default:
		return outcome{w.verdict, w.reason, w.links}
	}
	if w.zone != zone {
		return outcome{Bogus, fmt.Sprintf("%s: signer %s is not a zone (no DS for it in %s)", what, zone, w.zone), w.links}
	}
	if soa := auth.sets[rrKey{zone, dns.TypeSOA}]; len(soa) > 0 {
		if _, _, err := r.verify(soa, auth.sigs[rrKey{zone, dns.TypeSOA}], zone, w.keys); err != nil {
			return outcome{bogusOrLimit(err), fmt.Sprintf("zone %s: %v", zone, err), w.links}
		}
	}
	d, err := r.mainDenial(auth, zone, w.keys)
	var p proof
	if err == nil {
		if rcode == dns.RcodeNameError {
			p, err = d.nxDomain(name)
		} else {
			p, err = d.noData(name, qtype)
		}
	}
	if err != nil {
		// RFC 4035 §5.2, RFC 5155 §8.9: the name may lie below a zone cut
		// under the signer (a CNAME into an unsigned child, with the
		// parent's proof of no DS beside the child's unsigned answer):
		// find the cut for the name itself before calling it bogus.
		if o := r.walk(zoneOf(name, qtype)); o.verdict == Insecure {
			return outcome{Insecure, fmt.Sprintf("%s: %s, unsigned, below insecure delegation %s (%s)", what, claim, o.zone, o.reason), o.links}
		}
		return outcome{bogusOrLimit(err), fmt.Sprintf("zone %s: %s: %s not proven: %v", zone, what, claim, err), w.links}
	}
	switch {
	case p.insecure != "":
		return outcome{Insecure, fmt.Sprintf("%s: %s, %s", what, claim, p.insecure), w.links}
	case p.optOut:
		return outcome{Insecure, fmt.Sprintf("%s: %s, but covered by an opt-out NSEC3 span (RFC 5155 §9.2)", what, claim), w.links}
	}
	return outcome{Secure, fmt.Sprintf("%s: %s, proven by %s of %s", what, claim, p.kind, zone), w.links}
}
