package dnssec_test

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/resolver"
)

// The test world: a signed DNS hierarchy with keys made at test start,
// answered by a handler that acts like a recursive resolver with the DO bit
// (whole CNAME chains, signatures, NSEC/NSEC3 denials, DS from the parent).
//
//	.               alg 8  NSEC
//	test.           alg 13 NSEC3
//	  demo.test.    alg 13 NSEC     www, MX at apex, *.wild, alias → www.n3.test,
//	                                out → www.unsigned.test, badsig, expired, nosig,
//	                                b.a (a is an empty non-terminal), dn DNAME n3.test,
//	                                dangling → nx.n3.test, tobad → badsig,
//	                                unsigned2 (insecure delegation, NSEC proof)
//	  n3.test.      alg 15 NSEC3    www, *.wild
//	  p384.test.    alg 14 NSEC
//	  oo.test.      alg 13 NSEC3 opt-out, child (insecure delegation, opt-out)
//	  unsigned.test.  unsigned (insecure delegation, NSEC3 proof)
//	  alg7.test.    alg 7 (unsupported by the validator)
//	  nokey.test.   DS in test. matches no DNSKEY
//	  nodnskey.test.  DNSKEY queries answered without DNSKEY
//	  fail.test.    DNSKEY queries answered SERVFAIL
type zoneSpec struct {
	origin  string
	alg     uint8 // 0: unsigned
	nsec3   bool
	optOut  bool
	records []string

	badDS, hideDNSKEY, servfailDNSKEY bool
}

var specs = []zoneSpec{
	{origin: ".", alg: dns.RSASHA256},
	{origin: "test.", alg: dns.ECDSAP256SHA256, nsec3: true},
	{origin: "demo.test.", alg: dns.ECDSAP256SHA256, records: []string{
		"demo.test. 300 MX 10 mail.demo.test.",
		"www 300 A 192.0.2.1",
		"mail 300 A 192.0.2.25",
		"*.wild 300 A 192.0.2.42",
		"alias 300 CNAME www.n3.test.",
		"out 300 CNAME www.unsigned.test.",
		"badsig 300 A 192.0.2.66",
		"expired 300 A 192.0.2.67",
		"nosig 300 A 192.0.2.68",
		"b.a 300 A 192.0.2.69",
		"dn 300 DNAME n3.test.",
		"dangling 300 CNAME nx.n3.test.",
		"tobad 300 CNAME badsig.demo.test.",
	}},
	{origin: "unsigned2.demo.test.", records: []string{"www 300 A 192.0.2.2"}},
	{origin: "n3.test.", alg: dns.ED25519, nsec3: true, records: []string{
		"www 300 A 192.0.2.3",
		"*.wild 300 A 192.0.2.43",
	}},
	{origin: "p384.test.", alg: dns.ECDSAP384SHA384, records: []string{"www 300 A 192.0.2.4"}},
	{origin: "oo.test.", alg: dns.ECDSAP256SHA256, nsec3: true, optOut: true, records: []string{"www 300 A 192.0.2.5"}},
	{origin: "child.oo.test.", records: []string{"www 300 A 192.0.2.6"}},
	{origin: "unsigned.test.", records: []string{"www 300 A 192.0.2.7"}},
	{origin: "alg7.test.", alg: dns.RSASHA1NSEC3SHA1, records: []string{"www 300 A 192.0.2.8"}},
	{origin: "nokey.test.", alg: dns.ECDSAP256SHA256, badDS: true, records: []string{"www 300 A 192.0.2.9"}},
	{origin: "nodnskey.test.", alg: dns.ECDSAP256SHA256, hideDNSKEY: true, records: []string{"www 300 A 192.0.2.10"}},
	{origin: "fail.test.", alg: dns.ECDSAP256SHA256, servfailDNSKEY: true, records: []string{"www 300 A 192.0.2.11"}},
}

// noProofNames get wildcard answers without the NSEC/NSEC3 that proves the
// name itself does not exist: none, or the one of another name.
var noProofNames = map[string]string{
	"noproof.wild.demo.test.":    "",
	"noproof.wild.n3.test.":      "",
	"wrongproof.wild.n3.test.":   "n3.test.",
	"wrongproof.wild.demo.test.": "demo.test.",
}

type zone struct {
	zoneSpec
	parent    *zone
	ksk, zsk  *dns.DNSKEY
	kskPriv   crypto.Signer
	zskPriv   crypto.Signer
	data      map[string]map[uint16][]dns.RR
	sigs      map[string]map[uint16][]dns.RR
	names     map[string]bool // owner names and empty non-terminals
	cuts      map[string]bool
	nsecNames []string     // sorted canonically
	n3chain   []*dns.NSEC3 // sorted by hash
}

type world struct {
	now    time.Time
	zones  []*zone
	anchor []dns.RR // the root KSK's DS
}

var (
	worldOnce sync.Once
	theWorld  *world
	worldErr  error
)

// loadWorld builds the world once for all tests.
func loadWorld() (*world, error) {
	worldOnce.Do(func() { theWorld, worldErr = buildWorld(time.Now().Truncate(time.Second)) })
	return theWorld, worldErr
}

func getWorld(t testing.TB) *world {
	t.Helper()
	w, err := loadWorld()
	if err != nil {
		t.Fatalf("buildWorld() = %v", err)
	}
	return w
}

func buildWorld(now time.Time) (*world, error) {
	w := &world{now: now}
	byOrigin := make(map[string]*zone)
	for _, s := range specs {
		z := &zone{zoneSpec: s, data: make(map[string]map[uint16][]dns.RR), sigs: make(map[string]map[uint16][]dns.RR),
			names: make(map[string]bool), cuts: make(map[string]bool)}
		byOrigin[s.origin] = z
		w.zones = append(w.zones, z)
		if s.alg != 0 {
			var err error
			if z.ksk, z.kskPriv, err = newKey(s.origin, 257, s.alg); err != nil {
				return nil, err
			}
			if z.zsk, z.zskPriv, err = newKey(s.origin, 256, s.alg); err != nil {
				return nil, err
			}
			z.add(z.ksk, z.zsk)
		}
		soa := fmt.Sprintf("%s 300 SOA ns.%s hostmaster.%s 1 3600 600 86400 300", s.origin, s.origin, s.origin)
		if s.origin == "." {
			soa = ". 300 SOA ns.root. hostmaster.root. 1 3600 600 86400 300"
		}
		if err := z.addText(soa, fmt.Sprintf("%s 300 NS ns.%s", s.origin, strings.TrimPrefix(s.origin, "."))); err != nil {
			return nil, err
		}
		for _, r := range s.records {
			if err := z.addText(r); err != nil {
				return nil, err
			}
		}
	}
	for _, z := range w.zones {
		if z.origin == "." {
			continue
		}
		p := byOrigin[parentName(z.origin)]
		if p == nil {
			return nil, fmt.Errorf("no parent zone for %s", z.origin)
		}
		z.parent = p
		p.cuts[z.origin] = true
		if err := p.addText(fmt.Sprintf("%s 300 NS ns.%s", z.origin, z.origin)); err != nil {
			return nil, err
		}
		if z.alg == 0 {
			continue
		}
		key := z.ksk
		if z.badDS {
			other, _, err := newKey(z.origin, 257, z.alg)
			if err != nil {
				return nil, err
			}
			key = other
		}
		ds := key.ToDS(dns.SHA256)
		ds.Hdr.Ttl = 300
		p.add(ds)
	}
	for _, z := range w.zones {
		if err := z.finish(now); err != nil {
			return nil, err
		}
	}
	root := byOrigin["."]
	ds := root.ksk.ToDS(dns.SHA256)
	ds.Hdr.Ttl = 300
	w.anchor = []dns.RR{ds}
	return w, nil
}

func newKey(origin string, flags uint16, alg uint8) (*dns.DNSKEY, crypto.Signer, error) {
	k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: origin, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 300},
		Flags: flags, Protocol: 3, Algorithm: alg}
	bits := 256
	switch alg {
	case dns.RSASHA256, dns.RSASHA1NSEC3SHA1:
		bits = 2048
	case dns.ECDSAP384SHA384:
		bits = 384
	}
	priv, err := k.Generate(bits)
	if err != nil {
		return nil, nil, fmt.Errorf("key for %s: %w", origin, err)
	}
	return k, priv.(crypto.Signer), nil
}

func parentName(n string) string {
	if i, end := dns.NextLabel(n, 0); !end {
		return n[i:]
	}
	return "."
}

func (z *zone) add(rrs ...dns.RR) {
	for _, rr := range rrs {
		h := rr.Header()
		h.Name = dns.CanonicalName(h.Name)
		h.Class = dns.ClassINET
		if z.data[h.Name] == nil {
			z.data[h.Name] = make(map[uint16][]dns.RR)
		}
		z.data[h.Name][h.Rrtype] = append(z.data[h.Name][h.Rrtype], rr)
	}
}

func (z *zone) addText(lines ...string) error {
	for _, l := range lines {
		zp := dns.NewZoneParser(strings.NewReader(l), z.origin, "")
		rr, ok := zp.Next()
		if !ok {
			return fmt.Errorf("%s: %q: %v", z.origin, l, zp.Err())
		}
		z.add(rr)
	}
	return nil
}

// finish computes the names, the NSEC or NSEC3 chain and the signatures.
func (z *zone) finish(now time.Time) error {
	for n := range z.data {
		for a := n; ; a = parentName(a) {
			z.names[a] = true
			if a == z.origin || a == "." {
				break
			}
		}
	}
	if z.alg == 0 {
		return nil
	}
	var owners []string
	for n := range z.data {
		owners = append(owners, n)
	}
	slices.SortFunc(owners, canonicalCompare)
	if z.nsec3 {
		z.add(&dns.NSEC3PARAM{Hdr: dns.RR_Header{Name: z.origin, Rrtype: dns.TypeNSEC3PARAM, Ttl: 0}, Hash: dns.SHA1})
		type entry struct {
			hash string
			name string
		}
		var entries []entry
		for n := range z.names {
			if z.optOut && z.cuts[n] && len(z.data[n][dns.TypeDS]) == 0 {
				continue // RFC 5155 §6: opt-out leaves insecure delegations out
			}
			entries = append(entries, entry{dns.HashName(n, dns.SHA1, 0, ""), n})
		}
		slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.hash, b.hash) })
		for i, e := range entries {
			var flags uint8
			if z.optOut {
				flags = 1
			}
			n3 := &dns.NSEC3{Hdr: dns.RR_Header{Name: strings.ToLower(e.hash) + "." + strings.TrimPrefix(z.origin, "."), Rrtype: dns.TypeNSEC3, Class: dns.ClassINET, Ttl: 300},
				Hash: dns.SHA1, Flags: flags, Iterations: 0, SaltLength: 0, Salt: "",
				HashLength: 20, NextDomain: entries[(i+1)%len(entries)].hash, TypeBitMap: z.bitmap(e.name, false)}
			z.n3chain = append(z.n3chain, n3)
			z.add(n3)
		}
	} else {
		z.nsecNames = owners
		for i, n := range owners {
			z.add(&dns.NSEC{Hdr: dns.RR_Header{Name: n, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: 300},
				NextDomain: owners[(i+1)%len(owners)], TypeBitMap: z.bitmap(n, true)})
		}
	}
	for n, types := range z.data {
		for t, rrs := range types {
			if t == dns.TypeNS && n != z.origin {
				continue // a delegation's NS is not signed (RFC 4035 §2.2)
			}
			label := ""
			if t == dns.TypeA {
				label = strings.SplitN(n, ".", 2)[0] // the faults are on A records
			}
			if label == "nosig" {
				continue
			}
			key, priv := z.zsk, z.zskPriv
			if t == dns.TypeDNSKEY {
				key, priv = z.ksk, z.kskPriv
			}
			incep, exp := now.Add(-time.Hour), now.Add(30*24*time.Hour)
			if label == "expired" {
				incep, exp = now.Add(-30*24*time.Hour), now.Add(-time.Hour)
			}
			sig := &dns.RRSIG{Hdr: dns.RR_Header{Ttl: rrs[0].Header().Ttl}, Algorithm: key.Algorithm, SignerName: z.origin,
				KeyTag: key.KeyTag(), Inception: uint32(incep.Unix()), Expiration: uint32(exp.Unix())}
			if err := sig.Sign(priv, rrs); err != nil {
				return fmt.Errorf("sign %s %s: %w", n, dns.TypeToString[t], err)
			}
			if label == "badsig" {
				b, _ := base64.StdEncoding.DecodeString(sig.Signature)
				b[len(b)/2] ^= 0x40
				sig.Signature = base64.StdEncoding.EncodeToString(b)
			}
			if z.sigs[n] == nil {
				z.sigs[n] = make(map[uint16][]dns.RR)
			}
			z.sigs[n][t] = append(z.sigs[n][t], sig)
		}
	}
	return nil
}

// bitmap is the type list of an NSEC or NSEC3 at name.
func (z *zone) bitmap(name string, nsec bool) []uint16 {
	var types []uint16
	signed := false
	for t := range z.data[name] {
		types = append(types, t)
		if t != dns.TypeNS || name == z.origin {
			signed = true
		}
	}
	if nsec {
		types = append(types, dns.TypeNSEC, dns.TypeRRSIG)
	} else if signed {
		types = append(types, dns.TypeRRSIG)
	}
	slices.Sort(types)
	return slices.Compact(types)
}

// answer adds to m what the zone says about name and qtype: it returns the
// CNAME target to go on with, or "" when the answer is complete.
func (z *zone) answer(m *dns.Msg, name string, qtype uint16, noProof bool, otherProof string) string {
	if rrs := z.data[name][qtype]; len(rrs) > 0 && (!z.cuts[name] || qtype == dns.TypeDS) {
		m.Answer = append(m.Answer, rrs...)
		m.Answer = append(m.Answer, z.sigs[name][qtype]...)
		return ""
	}
	if cn := z.data[name][dns.TypeCNAME]; len(cn) > 0 && qtype != dns.TypeCNAME {
		m.Answer = append(m.Answer, cn...)
		m.Answer = append(m.Answer, z.sigs[name][dns.TypeCNAME]...)
		return dns.CanonicalName(cn[0].(*dns.CNAME).Target)
	}
	for d := parentName(name); d != z.origin && dns.IsSubDomain(z.origin, d); d = parentName(d) {
		if dn := z.data[d][dns.TypeDNAME]; len(dn) > 0 {
			// RFC 6672 §3.1: the DNAME, and an unsigned synthesised CNAME.
			target := strings.TrimSuffix(name, d) + dn[0].(*dns.DNAME).Target
			m.Answer = append(m.Answer, dn...)
			m.Answer = append(m.Answer, z.sigs[d][dns.TypeDNAME]...)
			m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 300}, Target: target})
			return target
		}
	}
	soa := append(slices.Clone(z.data[z.origin][dns.TypeSOA]), z.sigs[z.origin][dns.TypeSOA]...)
	if z.names[name] { // NODATA
		m.Ns = append(m.Ns, soa...)
		z.proof(m, name, "match")
		return ""
	}
	ce := name
	for !z.names[ce] {
		ce = parentName(ce)
	}
	wc := "*." + ce
	if rrs := z.data[wc][qtype]; len(rrs) > 0 {
		for _, rr := range append(slices.Clone(rrs), z.sigs[wc][qtype]...) {
			c := dns.Copy(rr)
			c.Header().Name = name
			m.Answer = append(m.Answer, c)
		}
		switch {
		case !noProof:
			z.proof(m, nextCloser(name, ce), "cover")
		case otherProof != "":
			z.proof(m, otherProof, "match")
		}
		return ""
	}
	m.Rcode = dns.RcodeNameError
	m.Ns = append(m.Ns, soa...)
	if z.nsec3 {
		z.proof(m, ce, "match") // RFC 5155 §7.2.2: closest encloser proof
	}
	z.proof(m, nextCloser(name, ce), "cover")
	z.proof(m, wc, "cover")
	return ""
}

func nextCloser(name, ce string) string {
	n := name
	for parentName(n) != ce {
		n = parentName(n)
	}
	return n
}

// proof adds the NSEC or NSEC3 record (with its RRSIG) that matches or
// covers name; for a name without a matching NSEC3 (an opt-out delegation)
// a match is the closest provable encloser proof.
func (z *zone) proof(m *dns.Msg, name, how string) {
	if z.alg == 0 {
		return
	}
	var rr dns.RR
	if z.nsec3 {
		h := dns.HashName(name, dns.SHA1, 0, "")
		var match, cover *dns.NSEC3
		for _, n3 := range z.n3chain { // sorted by hash
			owner := strings.ToUpper(strings.SplitN(n3.Hdr.Name, ".", 2)[0])
			if owner == h {
				match = n3
				break
			}
			if owner < h {
				cover = n3
			}
		}
		if cover == nil {
			cover = z.n3chain[len(z.n3chain)-1] // the last one wraps around
		}
		switch {
		case how == "cover":
			rr = cover
		case match != nil:
			rr = match
		default:
			// No NSEC3 at the name (an opt-out delegation): prove the
			// closest provable encloser instead.
			ce := parentName(name)
			for !z.hashed(ce) {
				ce = parentName(ce)
			}
			z.proof(m, ce, "match")
			z.proof(m, nextCloser(name, ce), "cover")
			return
		}
	} else {
		covering := z.nsecNames[len(z.nsecNames)-1]
		for _, n := range z.nsecNames { // sorted canonically
			if n == name && how == "match" {
				covering = n
				break
			}
			if canonicalCompare(n, name) < 0 {
				covering = n
			}
		}
		rr = z.data[covering][dns.TypeNSEC][0]
	}
	if rr == nil {
		return
	}
	for _, o := range m.Ns {
		if o == rr {
			return
		}
	}
	n := rr.Header().Name
	m.Ns = append(m.Ns, rr)
	m.Ns = append(m.Ns, z.sigs[n][rr.Header().Rrtype]...)
}

func (z *zone) hashed(name string) bool {
	h := dns.HashName(name, dns.SHA1, 0, "")
	for _, n3 := range z.n3chain {
		if strings.EqualFold(strings.SplitN(n3.Hdr.Name, ".", 2)[0], h) {
			return true
		}
	}
	return false
}

// zoneFor returns the zone that answers name and qtype: the deepest zone
// holding the name, or for DS at a zone apex the parent.
func (w *world) zoneFor(name string, qtype uint16) *zone {
	var best *zone
	for _, z := range w.zones {
		if dns.IsSubDomain(z.origin, name) && (best == nil || dns.CountLabel(z.origin) > dns.CountLabel(best.origin)) {
			best = z
		}
	}
	if qtype == dns.TypeDS && best.origin == name && best.parent != nil {
		best = best.parent
	}
	return best
}

// resolve answers q like a recursive resolver with the DO bit: the whole
// CNAME chain, signatures, denials.
func (w *world) resolve(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	m.AuthenticatedData = true // a lying resolver: the validator must not care
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	if o := req.IsEdns0(); o != nil {
		m.SetEdns0(1232, o.Do())
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	otherProof, noProof := noProofNames[name]
	for range 10 {
		z := w.zoneFor(name, q.Qtype)
		if name == z.origin && q.Qtype == dns.TypeDNSKEY {
			if z.servfailDNSKEY {
				m.Rcode = dns.RcodeServerFailure
				return m
			}
			if z.hideDNSKEY {
				m.Ns = append(m.Ns, z.data[z.origin][dns.TypeSOA]...)
				m.Ns = append(m.Ns, z.sigs[z.origin][dns.TypeSOA]...)
				return m
			}
		}
		if name = z.answer(m, name, q.Qtype, noProof, otherProof); name == "" {
			break
		}
	}
	return m
}

// server serves the world on 127.0.0.1 (UDP and TCP on one port) and
// counts the queries it sees.
type server struct {
	Addr  string
	world *world
	delay time.Duration

	mu      sync.Mutex
	queries []string

	udp, tcp *dns.Server
	done     sync.WaitGroup
}

func startServer(t testing.TB, w *world, delay time.Duration) *server {
	t.Helper()
	s, err := serve(w, delay)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// serve starts a server; Close stops it.
func serve(w *world, delay time.Duration) (*server, error) {
	s := &server{world: w, delay: delay}
	var pc net.PacketConn
	var l net.Listener
	for range 10 {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		pc = nil
	}
	if pc == nil {
		return nil, errors.New("no free port for UDP and TCP")
	}
	s.Addr = pc.LocalAddr().String()
	mux := dns.NewServeMux()
	mux.HandleFunc(".", s.serve)
	s.udp = &dns.Server{PacketConn: pc, Handler: mux}
	s.tcp = &dns.Server{Listener: l, Handler: mux}
	var started sync.WaitGroup
	started.Add(2)
	s.udp.NotifyStartedFunc = started.Done
	s.tcp.NotifyStartedFunc = started.Done
	s.done.Add(2)
	go func() { defer s.done.Done(); _ = s.udp.ActivateAndServe() }()
	go func() { defer s.done.Done(); _ = s.tcp.ActivateAndServe() }()
	started.Wait()
	return s, nil
}

// Close stops the server and waits for its goroutines.
func (s *server) Close() {
	_ = s.udp.Shutdown()
	_ = s.tcp.Shutdown()
	s.done.Wait()
}

func (s *server) serve(rw dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) == 1 {
		q := req.Question[0]
		s.mu.Lock()
		s.queries = append(s.queries, dns.CanonicalName(q.Name)+" "+dns.TypeToString[q.Qtype])
		s.mu.Unlock()
	}
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	m := s.world.resolve(req)
	if _, udp := rw.RemoteAddr().(*net.UDPAddr); udp {
		size := dns.MinMsgSize
		if o := req.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	_ = rw.WriteMsg(m)
}

// count returns the number of queries seen so far.
func (s *server) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queries)
}

func (s *server) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queries)
}

// client returns a resolver for the server without a cache of its own, so
// that the server sees every query the validator sends.
func (s *server) client() *resolver.Client {
	c := resolver.New(s.Addr)
	c.MaxTTL = -1
	return c
}

// memResolver answers from the world in memory after delay (the fake clock
// of a synctest bubble makes the delay exact), counting queries.
type memResolver struct {
	world *world
	delay time.Duration

	mu      sync.Mutex
	queries int
	fail    bool
}

func (r *memResolver) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	r.mu.Lock()
	r.queries++
	fail := r.fail
	r.mu.Unlock()
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail {
		return nil, fmt.Errorf("memResolver: %w", resolver.ErrServerFailure)
	}
	req := new(dns.Msg)
	req.SetQuestion(dns.Fqdn(name), qtype)
	req.SetEdns0(1232, true)
	m := r.world.resolve(req)
	// Through the wire format, as a real resolver would hand it over.
	buf, err := m.Pack()
	if err != nil {
		return nil, err
	}
	resp := new(dns.Msg)
	if err := resp.Unpack(buf); err != nil {
		return nil, err
	}
	if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
		return nil, fmt.Errorf("memResolver: %s: %w", name, resolver.ErrServerFailure)
	}
	return answerOf(resp, dns.Fqdn(name), qtype), nil
}

func (r *memResolver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queries
}

// answerOf builds a resolver.Answer as resolver.Client does.
func answerOf(m *dns.Msg, name string, qtype uint16) *resolver.Answer {
	a := &resolver.Answer{Name: name, Type: qtype, Rcode: m.Rcode, Msg: m, AD: m.AuthenticatedData}
	for range 8 {
		var next string
		for _, rr := range m.Answer {
			if !strings.EqualFold(rr.Header().Name, name) {
				continue
			}
			if rr.Header().Rrtype == qtype {
				a.Records = append(a.Records, rr)
			} else if cn, ok := rr.(*dns.CNAME); ok {
				next = cn.Target
			}
		}
		if len(a.Records) > 0 || next == "" {
			break
		}
		name = next
	}
	return a
}

// canonicalCompare orders names canonically (RFC 4034 §6.1).
func canonicalCompare(a, b string) int {
	la, lb := dns.SplitDomainName(strings.ToLower(a)), dns.SplitDomainName(strings.ToLower(b))
	for i, j := len(la)-1, len(lb)-1; i >= 0 && j >= 0; i, j = i-1, j-1 {
		if c := strings.Compare(la[i], lb[j]); c != 0 {
			return c
		}
	}
	return len(la) - len(lb)
}
