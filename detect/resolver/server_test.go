package resolver_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// The test zone. Names under test. exist only in the in-test server, so a
// lookup that succeeds cannot have gone through the operating system.
var zone = mustRRs(
	"a.test. 300 IN A 192.0.2.1",
	"a.test. 300 IN A 192.0.2.2",
	"aaaa.test. 300 IN AAAA 2001:db8::1",
	"_imaps._tcp.test. 300 IN SRV 0 1 993 imap.test.",
	"mx.test. 300 IN MX 10 mail.test.",
	"www.test. 300 IN CNAME alias.test.",
	"alias.test. 300 IN CNAME a.test.",
	"short.test. 0 IN CNAME a.test.",
	"loop1.test. 300 IN CNAME loop2.test.",
	"loop2.test. 300 IN CNAME loop1.test.",
	"host.test. 300 IN AAAA 2001:db8::1",
	"host.test. 300 IN A 192.0.2.1",
	"v4.test. 300 IN A 192.0.2.4",
	"v6.test. 300 IN AAAA 2001:db8::6",
	"ttl0.test. 0 IN A 192.0.2.9",
	"nodata.test. 300 IN TXT \"only text\"",
	"slow.test. 300 IN A 192.0.2.3",
	"secure.test. 300 IN A 192.0.2.8",
	"aaaafail.test. 300 IN A 192.0.2.5",
	"afail.test. 300 IN TXT \"no addresses\"",
	"local.test. 300 IN A 127.0.0.1",
)

var soa = mustRRs("test. 300 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300")

func mustRRs(ss ...string) []dns.RR {
	rrs := make([]dns.RR, len(ss))
	for i, s := range ss {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		rrs[i] = rr
	}
	return rrs
}

// slowDelay is how long the server takes to answer slow.test.
const slowDelay = 100 * time.Millisecond

type query struct {
	Name string
	Type uint16
	Net  string // "udp" or "tcp"
}

// testServer is a miekg/dns server on 127.0.0.1, UDP and TCP on one port,
// that answers from zone and records every query it sees.
type testServer struct {
	Addr string

	mu   sync.Mutex
	seen []query

	stop     chan struct{}
	udp, tcp *dns.Server
	served   sync.WaitGroup
	once     sync.Once
}

// startServer starts a testServer; Close stops it.
func startServer() (*testServer, error) {
	var pc net.PacketConn
	var l net.Listener
	var err error
	for range 10 { // the TCP port may be taken: try another
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		if l, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
	}
	if err != nil {
		return nil, err
	}
	s := &testServer{Addr: pc.LocalAddr().String(), stop: make(chan struct{})}
	mux := dns.NewServeMux()
	mux.HandleFunc(".", s.handle)
	var started sync.WaitGroup
	started.Add(2)
	s.udp = &dns.Server{PacketConn: pc, Handler: mux, NotifyStartedFunc: started.Done}
	s.tcp = &dns.Server{Listener: l, Handler: mux, NotifyStartedFunc: started.Done}
	for _, srv := range []*dns.Server{s.udp, s.tcp} {
		s.served.Add(1)
		go func() {
			defer s.served.Done()
			srv.ActivateAndServe()
		}()
	}
	started.Wait()
	return s, nil
}

// Close stops the server and waits for its goroutines.
func (s *testServer) Close() {
	s.once.Do(func() {
		close(s.stop) // release handlers that are waiting
		s.udp.Shutdown()
		s.tcp.Shutdown()
		s.served.Wait()
	})
}

// count returns how many queries for name and qtype the server saw over
// network ("" for both).
func (s *testServer) count(name string, qtype uint16, network string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, q := range s.seen {
		if q.Name == dns.CanonicalName(name) && q.Type == qtype && (network == "" || q.Net == network) {
			n++
		}
	}
	return n
}

// total returns how many queries the server saw.
func (s *testServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.seen)
}

func (s *testServer) handle(w dns.ResponseWriter, r *dns.Msg) {
	if len(r.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(r, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	network := w.RemoteAddr().Network()
	s.mu.Lock()
	s.seen = append(s.seen, query{dns.CanonicalName(q.Name), q.Qtype, network})
	s.mu.Unlock()
	if dns.CanonicalName(q.Name) == "slow.test." {
		select {
		case <-time.After(slowDelay):
		case <-s.stop:
			return
		}
	}
	w.WriteMsg(reply(r, network))
}

// reply answers r from zone, with special names for failures.
func reply(r *dns.Msg, network string) *dns.Msg {
	q := r.Question[0]
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	name := dns.CanonicalName(q.Name)
	switch {
	case name == "servfail.test.":
		m.Rcode = dns.RcodeServerFailure
		return m
	case name == "refused.test.":
		m.Rcode = dns.RcodeRefused
		return m
	case name == "tc.test.":
		if network == "udp" {
			m.Truncated = true // "too big": ask again over TCP
			return m
		}
		m.Answer = mustRRs("tc.test. 300 IN A 192.0.2.7")
		return m
	case name == "negttl0.test.":
		m.Rcode = dns.RcodeNameError
		m.Ns = mustRRs("test. 0 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 300")
		return m
	case name == "soamin0.test.":
		m.Rcode = dns.RcodeNameError
		m.Ns = mustRRs("test. 300 IN SOA ns.test. hostmaster.test. 1 7200 3600 1209600 0")
		return m
	case name == "nosoa.test.":
		m.Rcode = dns.RcodeNameError
		return m
	case name == "aaaafail.test." && q.Qtype == dns.TypeAAAA,
		name == "afail.test." && q.Qtype == dns.TypeA,
		name == "nxafail.test." && q.Qtype == dns.TypeA:
		m.Rcode = dns.RcodeServerFailure
		return m
	case name == "secure.test.":
		m.AuthenticatedData = true
	}
	for range 8 {
		exists := false
		var cname *dns.CNAME
		var found []dns.RR
		for _, rr := range zone {
			h := rr.Header()
			if !strings.EqualFold(h.Name, name) {
				continue
			}
			exists = true
			if h.Rrtype == q.Qtype {
				found = append(found, rr)
			} else if cn, ok := rr.(*dns.CNAME); ok {
				cname = cn
			}
		}
		switch {
		case len(found) > 0:
			m.Answer = append(m.Answer, found...)
			return m
		case cname != nil:
			m.Answer = append(m.Answer, cname)
			name = cname.Target
			continue
		case !exists:
			m.Rcode = dns.RcodeNameError
		}
		m.Ns = soa
		return m
	}
	return m // a CNAME loop: the chain so far
}

// sinkServer reads queries on 127.0.0.1 over UDP and never answers.
type sinkServer struct {
	Addr string
	pc   net.PacketConn
	done chan struct{}
}

func startSink() (*sinkServer, error) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sinkServer{Addr: pc.LocalAddr().String(), pc: pc, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		buf := make([]byte, 65536)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	return s, nil
}

func (s *sinkServer) Close() {
	s.pc.Close()
	<-s.done
}

// rrStrings renders records as "name TYPE rdata".
func rrStrings(rrs []dns.RR) []string {
	var out []string
	for _, rr := range rrs {
		h := rr.Header()
		out = append(out, fmt.Sprintf("%s %s %s", h.Name, dns.TypeToString[h.Rrtype], strings.TrimPrefix(rr.String(), h.String())))
	}
	return out
}

// errorIs reports whether err matches want: nil wants nil, errAny any error.
func errorIs(err, want error) bool {
	if want == errAny {
		return err != nil
	}
	if want == nil {
		return err == nil
	}
	return errors.Is(err, want)
}

var errAny = errors.New("any error")
