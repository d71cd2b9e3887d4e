package lab

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// labTLD is the TLD of every lab name (RFC 6761 §6.2 reserves it). The
// server answers only for names under it and for the root zone itself.
const labTLD = "test."

// maxChain bounds the CNAME links followed for one answer.
const maxChain = 8

// answer answers a query as a DNSSEC-aware recursive resolver that knows
// every zone of the hierarchy would, but does not validate: it never sets
// AD and never answers SERVFAIL for bogus data, so the client under test
// has to validate itself (RFC 4035 §3.2).
//
// With the DO bit (RFC 3225) the answer carries the RRSIGs of every RRset,
// and negative answers and wildcard expansions carry their NSEC or NSEC3
// proofs (RFC 4035 §3.1.3, RFC 5155 §7.2) and the signed SOA. Without it,
// no DNSSEC records are added (RFC 4035 §3.1.1), unless asked for by type.
// CNAME chains are followed across zones, each link with its signatures.
// Names outside the lab are REFUSED, so a lab run never reaches the outside
// world through it.
func (h *hierarchy) answer(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	do := false
	if o := req.IsEdns0(); o != nil {
		do = o.Do()
		m.SetEdns0(dns.DefaultMsgSize, do) // RFC 6891 §6.1.1, DO echoed (RFC 3225 §3)
	}
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	if name != "." && !dns.IsSubDomain(labTLD, name) {
		m.Rcode = dns.RcodeRefused
		m.Authoritative = false
		return m
	}
	for range maxChain {
		r := h.zoneFor(name, q.Qtype).lookup(name, q.Qtype)
		m.Answer = append(m.Answer, r.answer...)
		m.Ns = append(m.Ns, r.ns...)
		m.Rcode = r.rcode
		if r.next == "" || (r.next != "." && !dns.IsSubDomain(labTLD, r.next)) {
			break
		}
		name = r.next
	}
	if !do {
		m.Answer = stripDNSSEC(m.Answer, q.Qtype)
		m.Ns = stripDNSSEC(m.Ns, 0)
	}
	return m
}

// stripDNSSEC drops RRSIG, NSEC and NSEC3 records, except those of type keep.
func stripDNSSEC(rrs []dns.RR, keep uint16) []dns.RR {
	out := rrs[:0]
	for _, rr := range rrs {
		switch t := rr.Header().Rrtype; t {
		case dns.TypeRRSIG, dns.TypeNSEC, dns.TypeNSEC3:
			if t != keep {
				continue
			}
		}
		out = append(out, rr)
	}
	return out
}

// result is one zone's part of an answer.
type result struct {
	answer, ns []dns.RR
	rcode      int
	next       string // a CNAME target to go on with
}

// rrset returns copies of the RRset at name of type t, followed by its
// signatures when withSigs is set.
func (z *zone) rrset(name string, t uint16, withSigs bool) []dns.RR {
	var out []dns.RR
	for _, rr := range z.data[name][t] {
		out = append(out, dns.Copy(rr))
	}
	if withSigs {
		for _, rr := range z.sigs[name][t] {
			out = append(out, dns.Copy(rr))
		}
	}
	return out
}

// lookup answers name and qtype from the zone: the RRset, a CNAME to
// follow, a wildcard expansion (RFC 4592 §3.3.1), or a signed denial.
func (z *zone) lookup(name string, qtype uint16) result {
	var r result
	if z.names[name] {
		node := z.data[name]
		switch {
		case qtype == dns.TypeANY && len(node) > 0:
			for _, t := range z.data.types(name) {
				r.answer = append(r.answer, z.rrset(name, t, true)...)
			}
		case qtype == dns.TypeRRSIG && len(z.sigs[name]) > 0:
			for _, t := range z.sigs.types(name) {
				for _, rr := range z.sigs[name][t] {
					r.answer = append(r.answer, dns.Copy(rr))
				}
			}
		case len(node[qtype]) > 0:
			r.answer = z.rrset(name, qtype, true)
		case qtype != dns.TypeCNAME && len(node[dns.TypeCNAME]) > 0:
			r.answer = z.rrset(name, dns.TypeCNAME, true)
			r.next = dns.CanonicalName(node[dns.TypeCNAME][0].(*dns.CNAME).Target)
		default: // NODATA, RFC 4035 §3.1.3.1, RFC 5155 §7.2.3 and §7.2.4
			r.ns = append(z.rrset(z.apex, dns.TypeSOA, true), z.nodataProof(name, qtype)...)
		}
		return r
	}
	if r, ok := z.dname(name, qtype); ok {
		return r
	}
	ce := z.closestEncloser(name)
	wild := "*." + ce
	if ce == "." {
		wild = "*."
	}
	if node := z.data[wild]; node != nil {
		t := qtype
		if len(node[t]) == 0 && qtype != dns.TypeCNAME && len(node[dns.TypeCNAME]) > 0 {
			t = dns.TypeCNAME
			r.next = dns.CanonicalName(node[dns.TypeCNAME][0].(*dns.CNAME).Target)
		}
		if len(node[t]) == 0 { // wildcard NODATA, RFC 4035 §3.1.3.4, RFC 5155 §7.2.5
			r.ns = append(z.rrset(z.apex, dns.TypeSOA, true), z.wildcardNodataProof(name, ce, wild)...)
			return r
		}
		// The expansion keeps the wildcard's signature, whose Labels field
		// tells the validator it was expanded (RFC 4035 §5.3.4), and the
		// proof that name itself does not exist (RFC 4035 §3.1.3.3,
		// RFC 5155 §7.2.6).
		for _, rr := range z.rrset(wild, t, true) {
			rr.Header().Name = name
			r.answer = append(r.answer, rr)
		}
		r.ns = z.wildcardProof(name, ce)
		return r
	}
	// NXDOMAIN, RFC 4035 §3.1.3.2, RFC 5155 §7.2.2.
	r.rcode = dns.RcodeNameError
	r.ns = append(z.rrset(z.apex, dns.TypeSOA, true), z.nxdomainProof(name, ce)...)
	return r
}

// dname answers a name below a DNAME of the zone (RFC 6672 §3.1): the
// signed DNAME RRset and the CNAME synthesised from it, unsigned (RFC 6672
// §5.3.1), to be followed unless the CNAME itself was asked for.
func (z *zone) dname(name string, qtype uint16) (result, bool) {
	var r result
	for n := parentName(name); n != z.apex && dns.IsSubDomain(z.apex, n); n = parentName(n) {
		rrs := z.data[n][dns.TypeDNAME]
		if len(rrs) == 0 {
			continue
		}
		d := rrs[0].(*dns.DNAME)
		prefix := strings.TrimSuffix(name, n)
		target := dns.CanonicalName(prefix + d.Target)
		r.answer = append(z.rrset(n, dns.TypeDNAME, true), &dns.CNAME{
			Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: d.Hdr.Ttl}, Target: target})
		if qtype != dns.TypeCNAME {
			r.next = target
		}
		return r, true
	}
	return r, false
}

// closestEncloser is the deepest existing ancestor of name (RFC 4592
// §3.3.1); in an NSEC3 zone, the deepest one with an NSEC3 (RFC 5155 §7.2.1).
func (z *zone) closestEncloser(name string) string {
	for n := parentName(name); ; n = parentName(n) {
		if n == z.apex || (z.nsec3n == nil && z.names[n]) || z.nsec3n[n] != nil {
			return n
		}
	}
}

// nextCloser is the name one label longer than ce on the way to name
// (RFC 5155 §1.3).
func nextCloser(name, ce string) string {
	labels := dns.SplitDomainName(name)
	n := dns.CountLabel(ce)
	return dns.Fqdn(strings.Join(labels[len(labels)-n-1:], "."))
}

// proof collects denial records and their signatures without repeats.
type proof struct {
	z   *zone
	rrs []dns.RR
}

func (p *proof) add(rr dns.RR) {
	if rr == nil {
		return
	}
	for _, old := range p.rrs {
		if old.Header().Name == rr.Header().Name && old.Header().Rrtype == rr.Header().Rrtype {
			return
		}
	}
	h := rr.Header()
	p.rrs = append(p.rrs, dns.Copy(rr))
	for _, s := range p.z.sigs[h.Name][h.Rrtype] {
		p.rrs = append(p.rrs, dns.Copy(s))
	}
}

// covering returns the NSEC whose span holds name: the last NSEC owner
// before it in canonical order, or the last of the zone (whose next is the
// apex) for names after every owner.
func (z *zone) covering(name string) *dns.NSEC {
	i := searchNSEC(z.nsecs, name)
	if i == 0 {
		return z.nsecs[len(z.nsecs)-1]
	}
	return z.nsecs[i-1]
}

// searchNSEC returns the index of the first NSEC whose owner is not before
// name in canonical order.
func searchNSEC(nsecs []*dns.NSEC, name string) int {
	lo, hi := 0, len(nsecs)
	for lo < hi {
		mid := (lo + hi) / 2
		if canonicalCompare(nsecs[mid].Hdr.Name, name) < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// nsecAt returns the NSEC owned by name, or nil.
func (z *zone) nsecAt(name string) dns.RR {
	if rrs := z.data[name][dns.TypeNSEC]; len(rrs) > 0 {
		return rrs[0]
	}
	return nil
}

// covering3 returns the NSEC3 whose hash span holds the hash of name.
func (z *zone) covering3(name string) *dns.NSEC3 {
	hash := dns.HashName(name, dns.SHA1, 0, z.spec.salt)
	lo, hi := 0, len(z.nsec3s)
	for lo < hi { // first owner hash not below hash
		mid := (lo + hi) / 2
		if strings.ToUpper(strings.SplitN(z.nsec3s[mid].Hdr.Name, ".", 2)[0]) < hash {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return z.nsec3s[len(z.nsec3s)-1]
	}
	return z.nsec3s[lo-1]
}

// closestEncloserProof is RFC 5155 §7.2.1: the NSEC3 matching the closest
// encloser and the one covering the next closer name.
func (z *zone) closestEncloserProof(p *proof, name, ce string) {
	p.add(z.nsec3n[ce])
	p.add(z.covering3(nextCloser(name, ce)))
}

func (z *zone) nodataProof(name string, qtype uint16) []dns.RR {
	p := &proof{z: z}
	switch {
	case z.spec.unsigned:
	case z.nsec3s != nil:
		if n3 := z.nsec3n[name]; n3 != nil {
			p.add(n3)
		} else { // a DS query at an opt-out delegation, RFC 5155 §7.2.4
			z.closestEncloserProof(p, name, z.closestEncloser(name))
		}
	case z.nsecAt(name) != nil:
		p.add(z.nsecAt(name))
	default: // an empty non-terminal: the NSEC whose next name is below it
		p.add(z.covering(name))
	}
	return p.rrs
}

func (z *zone) nxdomainProof(name, ce string) []dns.RR {
	p := &proof{z: z}
	switch {
	case z.spec.unsigned:
	case z.nsec3s != nil:
		z.closestEncloserProof(p, name, ce)
		p.add(z.covering3(wildcardOf(ce)))
	default:
		p.add(z.covering(name))
		p.add(z.covering(wildcardOf(ce)))
	}
	return p.rrs
}

func (z *zone) wildcardProof(name, ce string) []dns.RR {
	p := &proof{z: z}
	switch {
	case z.spec.unsigned:
	case z.nsec3s != nil:
		p.add(z.covering3(nextCloser(name, ce)))
	default:
		p.add(z.covering(name))
	}
	return p.rrs
}

func (z *zone) wildcardNodataProof(name, ce, wild string) []dns.RR {
	p := &proof{z: z}
	switch {
	case z.spec.unsigned:
	case z.nsec3s != nil:
		z.closestEncloserProof(p, name, ce)
		p.add(z.nsec3n[wild])
	default:
		p.add(z.covering(name))
		p.add(z.nsecAt(wild))
	}
	return p.rrs
}

func wildcardOf(name string) string {
	if name == "." {
		return "*."
	}
	return "*." + name
}

// startDNS serves the hierarchy over UDP and TCP on the same port.
func (l *Lab) startDNS() error {
	addr := l.opts.DNSAddr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	// UDP and TCP on the same port: a random UDP port may be taken for TCP,
	// so try a few.
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ; try++ {
		p, err := net.ListenPacket("udp", addr)
		if err != nil {
			return fmt.Errorf("lab: DNS listen: %w", err)
		}
		t, err := net.Listen("tcp", p.LocalAddr().String())
		if err == nil {
			pc, ln = p, t
			break
		}
		p.Close()
		if try == 10 || !strings.HasSuffix(addr, ":0") {
			return fmt.Errorf("lab: DNS listen: %w", err)
		}
	}
	if u, ok := pc.(*net.UDPConn); ok {
		_ = u.SetReadBuffer(4 << 20) // a burst of parallel runs must not overflow it
	}
	l.DNSAddr = pc.LocalAddr().String()
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(w dns.ResponseWriter, req *dns.Msg) {
		if d := l.opts.Latency; d > 0 {
			time.Sleep(d)
		}
		if len(req.Question) == 1 {
			if d := l.sourceDelay(dnsSource(req.Question[0])); d > 0 {
				time.Sleep(d)
			}
			l.mu.Lock()
			l.queries = append(l.queries, Query{Name: dns.CanonicalName(req.Question[0].Name), Type: dns.TypeToString[req.Question[0].Qtype]})
			l.mu.Unlock()
		}
		resp := l.zones.answer(req)
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			size := dns.MinMsgSize
			if o := req.IsEdns0(); o != nil {
				size = int(o.UDPSize())
			}
			resp.Truncate(size)
		}
		_ = w.WriteMsg(resp)
	})
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: mux}, {Listener: ln, Handler: mux}} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		l.dnsSrvs = append(l.dnsSrvs, s)
		go func() {
			if err := s.ActivateAndServe(); err != nil {
				l.log.Debug("lab: DNS server stopped", "err", err)
			}
		}()
		<-started
	}
	return nil
}

// Query is one question the lab's DNS server was asked.
type Query struct {
	Name string // canonical, with the trailing dot
	Type string // "A", "SRV", ...
}

// Queries returns every question the lab's DNS server received.
func (l *Lab) Queries() []Query {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Query(nil), l.queries...)
}
