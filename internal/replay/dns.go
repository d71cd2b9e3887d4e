package replay

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// ttl is the TTL of every record, and the negative TTL (SOA TTL and
// MINIMUM, RFC 2308 §5).
const ttl = 300

// zoneData is the world's DNS: unsigned, read-only once built.
type zoneData struct {
	// a holds the address of every name that has one (FQDN, lower case).
	a map[string]netip.Addr
	// exists holds every name that exists: those with an address, the
	// domains, and the empty non-terminals between them and their zone.
	exists map[string]bool
	// world holds the names whose subtrees the server is authoritative
	// for: the domains, the mail hosts and the autoconfig names.
	world map[string]bool
}

func newZoneData(c *corpus) *zoneData {
	z := &zoneData{a: map[string]netip.Addr{}, exists: map[string]bool{}, world: map[string]bool{}}
	for h, ip := range c.hosts {
		z.a[dns.Fqdn(h)] = ip
	}
	for h := range c.pages {
		z.a[dns.Fqdn(h)] = webIP
	}
	for d := range c.fileOf {
		z.world[dns.Fqdn(d)] = true
	}
	for n := range z.a {
		z.world[n] = true
	}
	for n := range z.world {
		// The name and its ancestors up to the top of the world exist
		// (RFC 8020: an empty non-terminal is NODATA, not NXDOMAIN).
		for a := n; z.apex(a) != ""; a = parent(a) {
			z.exists[a] = true
		}
	}
	return z
}

// apex returns the topmost world name at or above name, "" outside the
// world: the zone the negative answers' SOA is for.
func (z *zoneData) apex(name string) string {
	top := ""
	for n := name; n != "."; n = parent(n) {
		if z.world[n] {
			top = n
		}
	}
	return top
}

func parent(name string) string {
	if i, end := dns.NextLabel(name, 0); !end {
		return name[i:]
	}
	return "."
}

// answer answers one query: A records of the world, NODATA for other types
// of existing names, NXDOMAIN with the SOA for the rest of the world
// (RFC 2308 §2.1, §3), REFUSED outside it.
func (z *zoneData) answer(req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if o := req.IsEdns0(); o != nil {
		m.SetEdns0(dns.DefaultMsgSize, o.Do()) // RFC 6891 §6.1.1
	}
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		return m
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	apex := z.apex(name)
	if apex == "" || q.Qclass != dns.ClassINET {
		m.Rcode = dns.RcodeRefused
		return m
	}
	m.Authoritative = true
	if ip, ok := z.a[name]; ok && (q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY) {
		m.Answer = []dns.RR{&dns.A{
			Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: ttl},
			A:   net.IP(ip.AsSlice()),
		}}
		return m
	}
	if !z.exists[name] {
		m.Rcode = dns.RcodeNameError
	}
	m.Ns = []dns.RR{&dns.SOA{
		Hdr: dns.RR_Header{Name: apex, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: ttl},
		Ns:  "ns.replay.invalid.", Mbox: "hostmaster.replay.invalid.",
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: ttl,
	}}
	return m
}

// startDNS serves the world's names over UDP and TCP on one port of
// 127.0.0.1, with its own ServeMux.
func (w *World) startDNS() error {
	z := newZoneData(w.corpus)
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ; try++ {
		p, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("replay: DNS listen: %w", err)
		}
		t, err := net.Listen("tcp", p.LocalAddr().String())
		if err == nil {
			pc, ln = p, t
			break
		}
		p.Close()
		if try == 10 { // the random UDP port was taken for TCP each time
			return fmt.Errorf("replay: DNS listen: %w", err)
		}
	}
	if u, ok := pc.(*net.UDPConn); ok {
		_ = u.SetReadBuffer(4 << 20) // a burst of parallel runs must not overflow it
	}
	w.DNSAddr = pc.LocalAddr().String()
	latency := w.opts.Latency
	mux := dns.NewServeMux()
	mux.HandleFunc(".", func(rw dns.ResponseWriter, req *dns.Msg) {
		if latency > 0 {
			time.Sleep(latency)
		}
		resp := z.answer(req)
		if _, udp := rw.RemoteAddr().(*net.UDPAddr); udp {
			size := dns.MinMsgSize
			if o := req.IsEdns0(); o != nil {
				size = int(o.UDPSize())
			}
			resp.Truncate(size)
		}
		_ = rw.WriteMsg(resp)
	})
	for _, s := range []*dns.Server{{PacketConn: pc, Handler: mux}, {Listener: ln, Handler: mux}} {
		started := make(chan struct{})
		s.NotifyStartedFunc = func() { close(started) }
		w.dns = append(w.dns, s)
		errc := make(chan error, 1)
		go func() { errc <- s.ActivateAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			return fmt.Errorf("replay: DNS server: %w", err)
		}
	}
	return nil
}
