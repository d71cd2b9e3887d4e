package resolver_test

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/detect/resolver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// returnBound is how long a call that must give up may take: generous, so
// that only a call that hangs fails.
const returnBound = 5 * time.Second

func newServer(t *testing.T) *testServer {
	t.Helper()
	s, err := startServer()
	if err != nil {
		t.Fatalf("startServer() = %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), returnBound)
	t.Cleanup(cancel)
	return c
}

func TestQuery(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name      string
		qname     string
		qtype     uint16
		wantRcode int
		want      []string
		wantAD    bool
		wantErr   error
	}{
		{"A", "a.test.", dns.TypeA, dns.RcodeSuccess, []string{"a.test. A 192.0.2.1", "a.test. A 192.0.2.2"}, false, nil},
		{"A without trailing dot", "a.test", dns.TypeA, dns.RcodeSuccess, []string{"a.test. A 192.0.2.1", "a.test. A 192.0.2.2"}, false, nil},
		{"A in upper case", "A.TEST.", dns.TypeA, dns.RcodeSuccess, []string{"a.test. A 192.0.2.1", "a.test. A 192.0.2.2"}, false, nil},
		{"AAAA", "aaaa.test.", dns.TypeAAAA, dns.RcodeSuccess, []string{"aaaa.test. AAAA 2001:db8::1"}, false, nil},
		{"SRV", "_imaps._tcp.test.", dns.TypeSRV, dns.RcodeSuccess, []string{"_imaps._tcp.test. SRV 0 1 993 imap.test."}, false, nil},
		{"MX", "mx.test.", dns.TypeMX, dns.RcodeSuccess, []string{"mx.test. MX 10 mail.test."}, false, nil},
		{"CNAME chain followed", "www.test.", dns.TypeA, dns.RcodeSuccess, []string{"a.test. A 192.0.2.1", "a.test. A 192.0.2.2"}, false, nil},
		{"CNAME asked for", "www.test.", dns.TypeCNAME, dns.RcodeSuccess, []string{"www.test. CNAME alias.test."}, false, nil},
		{"CNAME loop", "loop1.test.", dns.TypeA, dns.RcodeSuccess, nil, false, nil},
		{"AD bit reported", "secure.test.", dns.TypeA, dns.RcodeSuccess, []string{"secure.test. A 192.0.2.8"}, true, nil},
		{"NXDOMAIN", "nx.test.", dns.TypeA, dns.RcodeNameError, nil, false, nil},
		{"NODATA", "nodata.test.", dns.TypeA, dns.RcodeSuccess, nil, false, nil},
		{"SERVFAIL", "servfail.test.", dns.TypeA, 0, nil, false, resolver.ErrServerFailure},
		{"REFUSED", "refused.test.", dns.TypeA, 0, nil, false, resolver.ErrServerFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := resolver.New(s.Addr)
			c.MaxTTL = -1
			ans, err := c.Query(ctx(t), tt.qname, tt.qtype)
			if !errorIs(err, tt.wantErr) {
				t.Fatalf("Query(%q, %s) = %v, want error %v", tt.qname, dns.TypeToString[tt.qtype], err, tt.wantErr)
			}
			if err != nil {
				if ans != nil {
					t.Errorf("Query(%q, %s) = %+v, want nil Answer with the error", tt.qname, dns.TypeToString[tt.qtype], ans)
				}
				return
			}
			if got := rrStrings(ans.Records); !slices.Equal(got, tt.want) {
				t.Errorf("Query(%q, %s).Records = %q, want %q", tt.qname, dns.TypeToString[tt.qtype], got, tt.want)
			}
			if ans.Rcode != tt.wantRcode {
				t.Errorf("Query(%q, %s).Rcode = %s, want %s", tt.qname, dns.TypeToString[tt.qtype], dns.RcodeToString[ans.Rcode], dns.RcodeToString[tt.wantRcode])
			}
			if got, want := ans.NXDomain(), tt.wantRcode == dns.RcodeNameError; got != want {
				t.Errorf("Query(%q, %s).NXDomain() = %v, want %v", tt.qname, dns.TypeToString[tt.qtype], got, want)
			}
			if want := dns.CanonicalName(tt.qname); ans.Name != want || ans.Type != tt.qtype {
				t.Errorf("Query(%q, %s) Name, Type = %q, %s, want %q, %s", tt.qname, dns.TypeToString[tt.qtype], ans.Name, dns.TypeToString[ans.Type], want, dns.TypeToString[tt.qtype])
			}
			if ans.AD != tt.wantAD {
				t.Errorf("Query(%q, %s).AD = %v, want %v", tt.qname, dns.TypeToString[tt.qtype], ans.AD, tt.wantAD)
			}
			if ans.Msg == nil || len(ans.Msg.Question) != 1 || ans.Msg.Question[0].Qtype != tt.qtype {
				t.Errorf("Query(%q, %s).Msg = %v, want the response", tt.qname, dns.TypeToString[tt.qtype], ans.Msg)
			}
		})
	}
}

func TestQueryNoServer(t *testing.T) {
	var c resolver.Client
	if ans, err := c.Query(ctx(t), "a.test.", dns.TypeA); !errors.Is(err, resolver.ErrNoServer) {
		t.Errorf("Client{}.Query(a.test., A) = %v, %v, want error %v", ans, err, resolver.ErrNoServer)
	}
}

func TestQueryTransport(t *testing.T) {
	tests := []struct {
		name         string
		qname        string
		want         []string
		wantUDP      int
		wantTCP      int
		wantMsgTrunc bool
	}{
		{"answer over UDP", "a.test.", []string{"a.test. A 192.0.2.1", "a.test. A 192.0.2.2"}, 1, 0, false},
		{"truncated UDP answer retried over TCP", "tc.test.", []string{"tc.test. A 192.0.2.7"}, 1, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			c := resolver.New(s.Addr)
			ans, err := c.Query(ctx(t), tt.qname, dns.TypeA)
			if err != nil {
				t.Fatalf("Query(%q, A) = %v, want nil error", tt.qname, err)
			}
			if got := rrStrings(ans.Records); !slices.Equal(got, tt.want) {
				t.Errorf("Query(%q, A).Records = %q, want %q", tt.qname, got, tt.want)
			}
			if ans.Msg.Truncated != tt.wantMsgTrunc {
				t.Errorf("Query(%q, A).Msg.Truncated = %v, want %v", tt.qname, ans.Msg.Truncated, tt.wantMsgTrunc)
			}
			if got := s.count(tt.qname, dns.TypeA, "udp"); got != tt.wantUDP {
				t.Errorf("Query(%q, A): UDP queries at the server = %d, want %d", tt.qname, got, tt.wantUDP)
			}
			if got := s.count(tt.qname, dns.TypeA, "tcp"); got != tt.wantTCP {
				t.Errorf("Query(%q, A): TCP queries at the server = %d, want %d", tt.qname, got, tt.wantTCP)
			}
		})
	}
}

func TestQueryCache(t *testing.T) {
	type q struct {
		name  string
		qtype uint16
	}
	tests := []struct {
		name        string
		maxTTL      time.Duration
		first, then q
		sleep       time.Duration
		wantQueries int // at the server, for both queries
	}{
		{"answer cached", 0, q{"a.test.", dns.TypeA}, q{"a.test.", dns.TypeA}, 0, 1},
		{"cache key ignores case and trailing dot", 0, q{"a.test.", dns.TypeA}, q{"A.Test", dns.TypeA}, 0, 1},
		{"cache key has the type", 0, q{"host.test.", dns.TypeA}, q{"host.test.", dns.TypeAAAA}, 0, 2},
		{"negative MaxTTL disables the cache", -1, q{"a.test.", dns.TypeA}, q{"a.test.", dns.TypeA}, 0, 2},
		{"entry expires after MaxTTL", 50 * time.Millisecond, q{"a.test.", dns.TypeA}, q{"a.test.", dns.TypeA}, 200 * time.Millisecond, 2},
		{"TTL 0 answer not cached", 0, q{"ttl0.test.", dns.TypeA}, q{"ttl0.test.", dns.TypeA}, 0, 2},
		{"TTL 0 CNAME in the chain not cached", 0, q{"short.test.", dns.TypeA}, q{"short.test.", dns.TypeA}, 0, 2},
		{"NXDOMAIN cached by SOA TTL", 0, q{"nx.test.", dns.TypeA}, q{"nx.test.", dns.TypeA}, 0, 1},
		{"NODATA cached by SOA TTL", 0, q{"nodata.test.", dns.TypeA}, q{"nodata.test.", dns.TypeA}, 0, 1},
		{"NXDOMAIN with SOA TTL 0 not cached", 0, q{"negttl0.test.", dns.TypeA}, q{"negttl0.test.", dns.TypeA}, 0, 2},
		{"NXDOMAIN with SOA MINIMUM 0 not cached", 0, q{"soamin0.test.", dns.TypeA}, q{"soamin0.test.", dns.TypeA}, 0, 2},
		{"NXDOMAIN without SOA not cached", 0, q{"nosoa.test.", dns.TypeA}, q{"nosoa.test.", dns.TypeA}, 0, 2},
		{"SERVFAIL not cached", 0, q{"servfail.test.", dns.TypeA}, q{"servfail.test.", dns.TypeA}, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			c := resolver.New(s.Addr)
			c.MaxTTL = tt.maxTTL
			a1, err1 := c.Query(ctx(t), tt.first.name, tt.first.qtype)
			time.Sleep(tt.sleep)
			a2, err2 := c.Query(ctx(t), tt.then.name, tt.then.qtype)
			if got := s.total(); got != tt.wantQueries {
				t.Errorf("Query(%q, %s); Query(%q, %s): queries at the server = %d, want %d",
					tt.first.name, dns.TypeToString[tt.first.qtype], tt.then.name, dns.TypeToString[tt.then.qtype], got, tt.wantQueries)
			}
			if (err1 == nil) != (err2 == nil) {
				t.Errorf("Query(%q, %s) = %v, then %v, want the same outcome", tt.first.name, dns.TypeToString[tt.first.qtype], err1, err2)
			}
			if err1 == nil && err2 == nil && tt.first == tt.then {
				if got, want := rrStrings(a2.Records), rrStrings(a1.Records); !slices.Equal(got, want) {
					t.Errorf("second Query(%q, %s).Records = %q, want %q", tt.then.name, dns.TypeToString[tt.then.qtype], got, want)
				}
				if a2.Rcode != a1.Rcode {
					t.Errorf("second Query(%q, %s).Rcode = %d, want %d", tt.then.name, dns.TypeToString[tt.then.qtype], a2.Rcode, a1.Rcode)
				}
			}
		})
	}
}

func TestQueryInFlight(t *testing.T) {
	const n = 20
	s := newServer(t)
	// The cache stays on, so that a goroutine scheduled only after the
	// answer arrived does not make the count flaky; without the sharing,
	// every caller started during the server's delay would ask.
	c := resolver.New(s.Addr)
	start := make(chan struct{})
	var wg sync.WaitGroup
	answers := make([]*resolver.Answer, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i], errs[i] = c.Query(ctx(t), "slow.test.", dns.TypeA)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Query(slow.test., A) #%d = %v, want nil error", i, errs[i])
			continue
		}
		if got, want := rrStrings(answers[i].Records), []string{"slow.test. A 192.0.2.3"}; !slices.Equal(got, want) {
			t.Errorf("Query(slow.test., A) #%d.Records = %q, want %q", i, got, want)
		}
	}
	if got := s.count("slow.test.", dns.TypeA, ""); got != 1 {
		t.Errorf("%d concurrent Query(slow.test., A): queries at the server = %d, want 1", n, got)
	}
}

// A caller waiting for another's exchange is not bound by that caller's
// context: when it ends, the waiter asks again.
func TestQueryInFlightOtherCallerGivesUp(t *testing.T) {
	s := newServer(t)
	c := resolver.New(s.Addr)
	short, cancel := context.WithTimeout(t.Context(), slowDelay/4)
	defer cancel()
	var wg sync.WaitGroup
	var shortErr error
	wg.Go(func() {
		_, shortErr = c.Query(short, "slow.test.", dns.TypeA)
	})
	time.Sleep(slowDelay / 10) // let the short caller start the exchange
	ans, err := c.Query(ctx(t), "slow.test.", dns.TypeA)
	wg.Wait()
	if !errors.Is(shortErr, context.DeadlineExceeded) {
		t.Errorf("Query(slow.test., A) with a %v deadline = %v, want %v", slowDelay/4, shortErr, context.DeadlineExceeded)
	}
	if err != nil {
		t.Fatalf("Query(slow.test., A) beside a caller that gives up = %v, want nil error", err)
	}
	if got, want := rrStrings(ans.Records), []string{"slow.test. A 192.0.2.3"}; !slices.Equal(got, want) {
		t.Errorf("Query(slow.test., A).Records = %q, want %q", got, want)
	}
}

func TestQueryTimeout(t *testing.T) {
	isTimeout := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	tests := []struct {
		name      string
		timeout   time.Duration // Client.Timeout
		deadline  time.Duration // of the context; 0: none
		cancelIn  time.Duration // cancel the context after; 0: never
		wantErr   error
		wantCheck func(error) bool
	}{
		{"context deadline", 0, 200 * time.Millisecond, 0, context.DeadlineExceeded, nil},
		{"context cancelled, long Client.Timeout", 30 * time.Second, 0, 100 * time.Millisecond, context.Canceled, nil},
		{"Client.Timeout", 200 * time.Millisecond, 0, 0, nil, isTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink, err := startSink()
			if err != nil {
				t.Fatalf("startSink() = %v", err)
			}
			defer sink.Close()
			c := resolver.New(sink.Addr)
			c.Timeout = tt.timeout
			qctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tt.deadline > 0 {
				qctx, cancel = context.WithTimeout(qctx, tt.deadline)
				defer cancel()
			}
			if tt.cancelIn > 0 {
				stop := time.AfterFunc(tt.cancelIn, cancel)
				defer stop.Stop()
			}
			type result struct {
				ans *resolver.Answer
				err error
			}
			done := make(chan result, 1)
			go func() {
				ans, err := c.Query(qctx, "a.test.", dns.TypeA)
				done <- result{ans, err}
			}()
			select {
			case r := <-done:
				ok := r.err != nil
				if tt.wantErr != nil {
					ok = errors.Is(r.err, tt.wantErr)
				}
				if tt.wantCheck != nil {
					ok = ok && tt.wantCheck(r.err)
				}
				if !ok || r.ans != nil {
					t.Errorf("Query(a.test., A) to a silent server = %v, %v, want error %v", r.ans, r.err, tt.wantErr)
				}
			case <-time.After(returnBound):
				t.Fatalf("Query(a.test., A) to a silent server did not return within %v", returnBound)
			}
		})
	}
}

// fakeResolver answers from a function and counts its calls.
type fakeResolver struct {
	mu    sync.Mutex
	calls int
	f     func(name string, qtype uint16) (*resolver.Answer, error)
}

func (r *fakeResolver) Query(_ context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	r.mu.Lock()
	r.calls++
	r.mu.Unlock()
	return r.f(name, qtype)
}

func TestLookupIP(t *testing.T) {
	s := newServer(t)
	addrs := func(ss ...string) []netip.Addr {
		var out []netip.Addr
		for _, s := range ss {
			out = append(out, netip.MustParseAddr(s))
		}
		return out
	}
	tests := []struct {
		name        string
		host        string
		want        []netip.Addr
		wantErr     error
		wantQueries int
	}{
		{"IPv6 first, then IPv4", "host.test", addrs("2001:db8::1", "192.0.2.1"), nil, 2},
		{"FQDN", "host.test.", addrs("2001:db8::1", "192.0.2.1"), nil, 2},
		{"IPv4 only", "v4.test", addrs("192.0.2.4"), nil, 2},
		{"IPv6 only", "v6.test", addrs("2001:db8::6"), nil, 2},
		{"CNAME", "www.test", addrs("192.0.2.1", "192.0.2.2"), nil, 2},
		{"IPv4 literal", "192.0.2.1", addrs("192.0.2.1"), nil, 0},
		{"IPv6 literal", "2001:db8::1", addrs("2001:db8::1"), nil, 0},
		{"IPv6 literal with zone", "fe80::1%eth0", addrs("fe80::1%eth0"), nil, 0},
		{"NXDOMAIN", "nx.test", nil, resolver.ErrNotFound, 2},
		{"no address records", "nodata.test", nil, resolver.ErrNotFound, 2},
		{"AAAA fails, A answers", "aaaafail.test", addrs("192.0.2.5"), nil, 2},
		{"A fails, AAAA NODATA", "afail.test", nil, resolver.ErrServerFailure, 2},
		{"A fails, AAAA NXDOMAIN", "nxafail.test", nil, resolver.ErrNotFound, 2},
		{"both fail", "servfail.test", nil, resolver.ErrServerFailure, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.total()
			c := resolver.New(s.Addr)
			got, err := resolver.LookupIP(ctx(t), c, tt.host)
			if !errorIs(err, tt.wantErr) {
				t.Errorf("LookupIP(%q) = %v, %v, want error %v", tt.host, got, err, tt.wantErr)
			}
			if err != nil && errors.Is(err, resolver.ErrNotFound) && errors.Is(err, resolver.ErrServerFailure) {
				t.Errorf("LookupIP(%q) = %v, want not both ErrNotFound and ErrServerFailure", tt.host, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("LookupIP(%q) = %v, want %v", tt.host, got, tt.want)
			}
			if q := s.total() - before; q != tt.wantQueries {
				t.Errorf("LookupIP(%q): queries at the server = %d, want %d", tt.host, q, tt.wantQueries)
			}
		})
	}
}

func TestLookupIPBothFailJoined(t *testing.T) {
	errAAAA, errA := errors.New("AAAA failed"), errors.New("A failed")
	r := &fakeResolver{f: func(_ string, qtype uint16) (*resolver.Answer, error) {
		if qtype == dns.TypeAAAA {
			return nil, errAAAA
		}
		return nil, errA
	}}
	_, err := resolver.LookupIP(ctx(t), r, "x.test")
	if !errors.Is(err, errAAAA) || !errors.Is(err, errA) {
		t.Errorf("LookupIP(x.test) = %v, want both query errors", err)
	}
}

func TestLookupIPNilResolver(t *testing.T) {
	if got, err := resolver.LookupIP(ctx(t), nil, "192.0.2.1"); err != nil || !slices.Equal(got, []netip.Addr{netip.MustParseAddr("192.0.2.1")}) {
		t.Errorf("LookupIP(nil, 192.0.2.1) = %v, %v, want [192.0.2.1], nil", got, err)
	}
	if got, err := resolver.LookupIP(ctx(t), nil, "x.test"); !errors.Is(err, resolver.ErrNoServer) {
		t.Errorf("LookupIP(nil, x.test) = %v, %v, want error %v", got, err, resolver.ErrNoServer)
	}
}

func TestSystemServer(t *testing.T) {
	tests := []struct {
		name    string
		conf    *string // nil: no file
		want    string
		wantErr error
	}{
		{"first nameserver", ptr("nameserver 192.0.2.53\nnameserver 192.0.2.54\n"), "192.0.2.53:53", nil},
		{"comments and other options", ptr("# nameserver 10.0.0.1\n;nameserver 10.0.0.2\nsearch test\noptions ndots:1\nnameserver 192.0.2.53\n"), "192.0.2.53:53", nil},
		{"indented, trailing comment", ptr("  nameserver\t192.0.2.7  # local\n"), "192.0.2.7:53", nil},
		{"IPv6 loopback", ptr("nameserver ::1\n"), "[::1]:53", nil},
		{"link-local keeps its zone", ptr("nameserver fe80::1%eth0\n"), "[fe80::1%eth0]:53", nil},
		{"host name skipped", ptr("nameserver dns.example\nnameserver 192.0.2.1\n"), "192.0.2.1:53", nil},
		{"no final newline", ptr("nameserver 192.0.2.9"), "192.0.2.9:53", nil},
		{"no nameserver", ptr("# nothing\nsearch test\n"), "", resolver.ErrNoServer},
		{"empty file", ptr(""), "", resolver.ErrNoServer},
		{"nameserver without address", ptr("nameserver\n"), "", resolver.ErrNoServer},
		{"missing file", nil, "", resolver.ErrNoServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "resolv.conf")
			if tt.conf != nil {
				if err := os.WriteFile(path, []byte(*tt.conf), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := resolver.SystemServer(path)
			if got != tt.want || !errorIs(err, tt.wantErr) {
				t.Errorf("SystemServer(%q) = %q, %v, want %q, %v", path, got, err, tt.want, tt.wantErr)
			}
			if tt.conf == nil && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("SystemServer(%q) = %v, want it to wrap %v", path, err, fs.ErrNotExist)
			}
			if err == nil {
				if _, _, serr := net.SplitHostPort(got); serr != nil {
					t.Errorf("SystemServer(%q) = %q, not host:port: %v", path, got, serr)
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestNew(t *testing.T) {
	tests := []struct {
		server, want string
	}{
		{"127.0.0.1", "127.0.0.1:53"},
		{"127.0.0.1:5353", "127.0.0.1:5353"},
		{"127.0.0.1:", "127.0.0.1:53"},
		{"::1", "[::1]:53"},
		{"[::1]", "[::1]:53"},
		{"[::1]:5353", "[::1]:5353"},
		{"fe80::1%eth0", "[fe80::1%eth0]:53"},
		{"dns.example", "dns.example:53"},
	}
	for _, tt := range tests {
		if got := resolver.New(tt.server).Server; got != tt.want {
			t.Errorf("New(%q).Server = %q, want %q", tt.server, got, tt.want)
		}
	}
}

// fakeConn is the connection a fake DialFunc returns.
type fakeConn struct {
	net.Conn // nil: only Close and RemoteAddr are used
	network  string
	address  string
}

func (c *fakeConn) Close() error { return nil }

func TestDialer(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name        string
		network     string
		address     string
		fail        []string // addresses whose dial fails
		wantDials   []string // "network address" in order
		wantConn    string   // the address of the returned connection
		wantErr     error
		wantQueries int
	}{
		{"IPv6 first", "tcp", "host.test:25", nil, []string{"tcp6 [2001:db8::1]:25"}, "[2001:db8::1]:25", nil, 2},
		{"FQDN", "tcp", "host.test.:25", nil, []string{"tcp6 [2001:db8::1]:25"}, "[2001:db8::1]:25", nil, 2},
		{"next address when the first fails", "tcp", "host.test:25", []string{"[2001:db8::1]:25"},
			[]string{"tcp6 [2001:db8::1]:25", "tcp4 192.0.2.1:25"}, "192.0.2.1:25", nil, 2},
		{"none answers", "tcp", "host.test:25", []string{"[2001:db8::1]:25", "192.0.2.1:25"},
			[]string{"tcp6 [2001:db8::1]:25", "tcp4 192.0.2.1:25"}, "", errAny, 2},
		{"tcp4 dials IPv4 only", "tcp4", "host.test:25", nil, []string{"tcp4 192.0.2.1:25"}, "192.0.2.1:25", nil, 2},
		{"tcp6 dials IPv6 only", "tcp6", "host.test:25", nil, []string{"tcp6 [2001:db8::1]:25"}, "[2001:db8::1]:25", nil, 2},
		{"tcp4 without IPv4 address", "tcp4", "v6.test:25", nil, nil, "", resolver.ErrNotFound, 2},
		{"IP literal dialled without a query", "tcp", "192.0.2.1:25", nil, []string{"tcp4 192.0.2.1:25"}, "192.0.2.1:25", nil, 0},
		{"no such host", "tcp", "nx.test:25", nil, nil, "", resolver.ErrNotFound, 2},
		{"lookup fails", "tcp", "servfail.test:25", nil, nil, "", resolver.ErrServerFailure, 2},
		{"missing port", "tcp", "host.test", nil, nil, "", errAny, 0},
		{"unsupported network", "unix", "host.test:25", nil, nil, "", errAny, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.total()
			var dials []string
			d := &resolver.Dialer{
				Resolver: resolver.New(s.Addr),
				Dial: func(_ context.Context, network, address string) (net.Conn, error) {
					dials = append(dials, network+" "+address)
					if slices.Contains(tt.fail, address) {
						return nil, errors.New("connection refused (fake)")
					}
					return &fakeConn{network: network, address: address}, nil
				},
			}
			conn, err := d.DialContext(ctx(t), tt.network, tt.address)
			if !errorIs(err, tt.wantErr) {
				t.Errorf("DialContext(%q, %q) = %v, want error %v", tt.network, tt.address, err, tt.wantErr)
			}
			got := ""
			if conn != nil {
				got = conn.(*fakeConn).address
				conn.Close()
			}
			if got != tt.wantConn {
				t.Errorf("DialContext(%q, %q) = conn to %q, want %q", tt.network, tt.address, got, tt.wantConn)
			}
			if !slices.Equal(dials, tt.wantDials) {
				t.Errorf("DialContext(%q, %q) dialled %q, want %q", tt.network, tt.address, dials, tt.wantDials)
			}
			if q := s.total() - before; q != tt.wantQueries {
				t.Errorf("DialContext(%q, %q): queries at the server = %d, want %d", tt.network, tt.address, q, tt.wantQueries)
			}
		})
	}
}

// With no Dial, the Dialer connects with a net.Dialer to the address the
// test server gave: the name exists nowhere else.
func TestDialerNetDial(t *testing.T) {
	s := newServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	address := net.JoinHostPort("local.test", port)
	d := &resolver.Dialer{Resolver: resolver.New(s.Addr)}
	conn, err := d.DialContext(ctx(t), "tcp", address)
	if err != nil {
		l.Close()
		<-accepted
		t.Fatalf("DialContext(tcp, %q) = %v, want a connection", address, err)
	}
	defer conn.Close()
	if got, want := conn.RemoteAddr().String(), l.Addr().String(); got != want {
		t.Errorf("DialContext(tcp, %q) = conn to %s, want %s", address, got, want)
	}
	if err := <-accepted; err != nil {
		t.Errorf("Accept() = %v, want the Dialer's connection", err)
	}
	for _, qt := range []uint16{dns.TypeAAAA, dns.TypeA} {
		if got := s.count("local.test.", qt, ""); got != 1 {
			t.Errorf("DialContext(tcp, %q): %s queries at the test server = %d, want 1", address, dns.TypeToString[qt], got)
		}
	}
}
