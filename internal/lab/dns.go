package lab

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// labTLD is the only zone the lab answers for (RFC 6761 §6.2 reserves it).
const labTLD = "test."

// zone is the lab's DNS data: every record of every scenario.
type zone struct {
	mu    sync.RWMutex
	rrs   map[string][]dns.RR // owner name (canonical) → records
	names map[string]bool     // every owner name and its ancestors (empty non-terminals)
}

func newZone() *zone {
	return &zone{rrs: make(map[string][]dns.RR), names: make(map[string]bool)}
}

// add parses and adds records in zone-file syntax, one per string.
func (z *zone) add(records ...string) error {
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			return fmt.Errorf("lab: record %q: %w", s, err)
		}
		name := dns.CanonicalName(rr.Header().Name)
		z.rrs[name] = append(z.rrs[name], rr)
		for n := name; n != "" && n != "."; {
			z.names[n] = true
			i := strings.IndexByte(n, '.')
			n = n[i+1:]
		}
	}
	return nil
}

func (z *zone) soa() dns.RR {
	rr, _ := dns.NewRR("test. 60 IN SOA ns.lab.test. hostmaster.lab.test. 1 3600 600 86400 60")
	return rr
}

// ServeDNS answers authoritatively for .test and refuses everything else,
// so a lab run can never query the outside world through it.
func (z *zone) answer(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	m.RecursionAvailable = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	if !dns.IsSubDomain(labTLD, name) {
		m.Rcode = dns.RcodeRefused
		m.Authoritative = false
		return m
	}
	z.mu.RLock()
	defer z.mu.RUnlock()
	for hops := 0; hops < 8; hops++ {
		rrs := z.rrs[name]
		var cname *dns.CNAME
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY {
				m.Answer = append(m.Answer, dns.Copy(rr))
			} else if c, ok := rr.(*dns.CNAME); ok {
				cname = c
			}
		}
		if len(m.Answer) > 0 && m.Answer[len(m.Answer)-1].Header().Rrtype == q.Qtype {
			return m
		}
		if cname != nil && q.Qtype != dns.TypeCNAME {
			m.Answer = append(m.Answer, dns.Copy(cname))
			name = dns.CanonicalName(cname.Target)
			continue
		}
		if !z.names[name] {
			m.Rcode = dns.RcodeNameError
		}
		m.Ns = append(m.Ns, z.soa())
		return m
	}
	return m
}

// startDNS serves the zone over UDP and TCP on the same port.
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
			l.mu.Lock()
			l.queries = append(l.queries, Query{Name: dns.CanonicalName(req.Question[0].Name), Type: dns.TypeToString[req.Question[0].Qtype]})
			l.mu.Unlock()
		}
		resp := l.zone.answer(req)
		if _, udp := w.RemoteAddr().(*net.UDPAddr); udp {
			size := 512
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
