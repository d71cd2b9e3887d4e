// Package resolver is the one way the detection engine talks DNS. Every
// lookup — SRV, MX, A/AAAA for probes and for the HTTP client — goes through a
// [Resolver], by default a [Client] that sends queries with miekg/dns to one
// configured server (the system's /etc/resolv.conf unless told otherwise), so
// that pointing a run at another resolver really isolates it.
//
// Answers carry the whole response message, so the DNSSEC validator can work
// on them, and the AD bit the server set, which is reported but never trusted
// on its own.
package resolver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Errors returned by this package.
var (
	// ErrServerFailure means the server answered SERVFAIL, REFUSED or another
	// failure code: the name's status is unknown.
	ErrServerFailure = errors.New("resolver: server failure")
	// ErrNoServer means no resolver address could be found.
	ErrNoServer = errors.New("resolver: no DNS server configured")
	// ErrNotFound means the name does not exist or has no address records.
	ErrNotFound = errors.New("resolver: no such host")
)

// Answer is the outcome of one query.
type Answer struct {
	// Name is the queried name as an FQDN with a trailing dot.
	Name string
	// Type is the queried type (dns.TypeSRV, ...).
	Type uint16
	// Rcode is the response code (dns.RcodeSuccess, dns.RcodeNameError, ...).
	Rcode int
	// Records are the answer records of the queried type, after following
	// any CNAME chain inside the response.
	Records []dns.RR
	// Msg is the whole response, for DNSSEC validation.
	Msg *dns.Msg
	// AD is the Authenticated Data bit the server set. It is only the
	// server's claim; the engine does not treat it as validation.
	AD bool
}

// NXDomain reports whether the name does not exist.
func (a *Answer) NXDomain() bool { return a.Rcode == dns.RcodeNameError }

// Resolver answers DNS queries. Implementations must be safe for concurrent
// use and honour the context's deadline.
type Resolver interface {
	// Query asks for records of type qtype at name (with or without the
	// trailing dot). A name that does not exist, or has no records of that
	// type, is an Answer without Records and a nil error; a failure to get an
	// answer at all is an error.
	Query(ctx context.Context, name string, qtype uint16) (*Answer, error)
}

// Client is a [Resolver] that asks one DNS server with miekg/dns, over UDP
// with a fallback to TCP for truncated answers, and caches answers for their
// TTL (at most MaxTTL). Concurrent identical queries share one exchange.
type Client struct {
	// Server is the resolver's address, host:port.
	Server string
	// Timeout bounds one exchange; zero means 2 seconds. The context's
	// deadline applies as well.
	Timeout time.Duration
	// MaxTTL caps how long an answer is cached; zero means 5 minutes,
	// negative disables the cache.
	MaxTTL time.Duration

	mu       sync.Mutex
	cache    map[cacheKey]cacheEntry
	inflight map[cacheKey]*call
}

type cacheKey struct {
	name  string
	qtype uint16
}

type cacheEntry struct {
	ans     *Answer
	expires time.Time
}

type call struct {
	done chan struct{}
	ans  *Answer
	err  error
	// ctxDone is set when the exchange stopped because the context of the
	// caller that ran it ended: waiters with a live context try again.
	ctxDone bool
}

// New returns a Client asking server (host:port; a bare host, IPv6 address
// or [IPv6 address] gets port 53). It does no I/O.
func New(server string) *Client {
	if host, port, err := net.SplitHostPort(server); err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(server, "["), "]")
		server = net.JoinHostPort(host, "53")
	} else if port == "" {
		server = net.JoinHostPort(host, "53")
	}
	return &Client{Server: server}
}

// SystemServer returns the first nameserver of the resolv.conf file at path
// (usually /etc/resolv.conf) as host:port.
func SystemServer(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoServer, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" {
			// A link-local address keeps its zone (fe80::1%eth0): without
			// it the address cannot be dialled.
			host := fields[1]
			if _, err := netip.ParseAddr(host); err == nil {
				return net.JoinHostPort(host, "53"), nil
			}
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrNoServer, path, err)
	}
	return "", fmt.Errorf("%w in %s", ErrNoServer, path)
}

// Query implements [Resolver].
func (c *Client) Query(ctx context.Context, name string, qtype uint16) (*Answer, error) {
	key := cacheKey{dns.CanonicalName(name), qtype}
	for {
		c.mu.Lock()
		if e, ok := c.cache[key]; ok {
			if time.Now().Before(e.expires) {
				c.mu.Unlock()
				return e.ans, nil
			}
			delete(c.cache, key)
		}
		cl, ok := c.inflight[key]
		if !ok {
			break // with c.mu held: this caller runs the exchange
		}
		c.mu.Unlock()
		select {
		case <-cl.done:
			if cl.ctxDone && ctx.Err() == nil {
				continue // the other caller gave up, not the server: ask again
			}
			return cl.ans, cl.err
		case <-ctx.Done():
			return nil, fmt.Errorf("resolver: %s %s: %w", name, dns.TypeToString[qtype], ctx.Err())
		}
	}
	cl := &call{done: make(chan struct{})}
	if c.inflight == nil {
		c.inflight = make(map[cacheKey]*call)
	}
	c.inflight[key] = cl
	c.mu.Unlock()

	// The exchange runs under this caller's context. Callers waiting for it
	// are not bound by that context: if it ends the exchange, they ask again.
	cl.ans, cl.err = c.exchange(ctx, key.name, qtype)
	cl.ctxDone = cl.err != nil && ctxErr(ctx) != nil

	c.mu.Lock()
	delete(c.inflight, key)
	if cl.err == nil && c.MaxTTL >= 0 {
		if ttl := c.ttl(cl.ans); ttl > 0 {
			if c.cache == nil {
				c.cache = make(map[cacheKey]cacheEntry)
			}
			c.cache[key] = cacheEntry{cl.ans, time.Now().Add(ttl)}
		}
	}
	c.mu.Unlock()
	close(cl.done)
	return cl.ans, cl.err
}

// ctxErr is ctx.Err(), or DeadlineExceeded once the deadline has passed even
// if the context's timer has not fired yet (a connection deadline set to the
// same instant can expire first).
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

func (c *Client) ttl(a *Answer) time.Duration {
	maxTTL := c.MaxTTL
	if maxTTL == 0 {
		maxTTL = 5 * time.Minute
	}
	ttl := maxTTL
	lower := func(secs uint32) {
		if t := time.Duration(secs) * time.Second; t < ttl {
			ttl = t
		}
	}
	rrs := a.Records
	if a.Msg != nil {
		rrs = a.Msg.Answer // with the CNAMEs that led to the records
	}
	if len(a.Records) == 0 {
		// Negative answers: the SOA's TTL capped by its MINIMUM field; one
		// without an SOA is not cached (RFC 2308 §3, §5).
		var soa *dns.SOA
		if a.Msg != nil {
			for _, rr := range a.Msg.Ns {
				if s, ok := rr.(*dns.SOA); ok {
					soa = s
					break
				}
			}
		}
		if soa == nil {
			return 0
		}
		lower(soa.Hdr.Ttl)
		lower(soa.Minttl)
	}
	for _, rr := range rrs {
		lower(rr.Header().Ttl)
	}
	return ttl
}

func (c *Client) exchange(ctx context.Context, fqdn string, qtype uint16) (*Answer, error) {
	if c.Server == "" {
		return nil, ErrNoServer
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	m := new(dns.Msg)
	m.SetQuestion(fqdn, qtype)
	m.RecursionDesired = true
	m.SetEdns0(1232, true) // DO: ask for signatures, for DNSSEC validation (RFC 4035 §3.2.1)
	// CD: we validate ourselves, so a validating upstream must hand over
	// bogus data too instead of SERVFAIL, or we could not say why
	// (RFC 4035 §3.2.2, RFC 6840 §5.9).
	m.CheckingDisabled = true
	qname := strings.TrimSuffix(fqdn, ".") + " " + dns.TypeToString[qtype]

	// UDP with half the timeout, once more if that went unanswered (a lost
	// datagram costs one try, not the whole timeout), then TCP when the
	// answer was truncated (RFC 7766 §5).
	resp, err := c.exchangeOnce(ctx, "udp", timeout/2, m)
	if err != nil && isTimeout(err) && ctx.Err() == nil {
		resp, err = c.exchangeOnce(ctx, "udp", timeout/2, m)
	}
	if err == nil && resp.Truncated {
		resp, err = c.exchangeOnce(ctx, "tcp", timeout, m)
	}
	if err != nil {
		if cerr := ctxErr(ctx); cerr != nil {
			err = cerr
		}
		return nil, fmt.Errorf("resolver: %s via %s: %w", qname, c.Server, err)
	}
	if resp.Id != m.Id {
		return nil, fmt.Errorf("resolver: %s via %s: response id mismatch", qname, c.Server)
	}
	if len(resp.Question) > 0 {
		q := resp.Question[0]
		if len(resp.Question) != 1 || !strings.EqualFold(q.Name, fqdn) || q.Qtype != qtype {
			return nil, fmt.Errorf("resolver: %s via %s: response question mismatch", qname, c.Server)
		}
	}
	switch resp.Rcode {
	case dns.RcodeSuccess, dns.RcodeNameError:
	default:
		return nil, fmt.Errorf("%w: %s via %s: %s", ErrServerFailure, qname, c.Server, dns.RcodeToString[resp.Rcode])
	}
	return &Answer{
		Name:    fqdn,
		Type:    qtype,
		Rcode:   resp.Rcode,
		Records: follow(resp.Answer, fqdn, qtype),
		Msg:     resp,
		AD:      resp.AuthenticatedData,
	}, nil
}

// exchangeOnce sends m over network and reads the response. Besides the
// deadlines that miekg/dns derives from timeout and ctx, the connection is
// closed when ctx is cancelled, so that a cancellation without a deadline
// does not leave the caller waiting for the timeout.
func (c *Client) exchangeOnce(ctx context.Context, network string, timeout time.Duration, m *dns.Msg) (*dns.Msg, error) {
	cl := &dns.Client{Net: network, Timeout: timeout, UDPSize: 1232}
	co, err := cl.DialContext(ctx, c.Server)
	if err != nil {
		return nil, err
	}
	defer co.Close()
	stop := context.AfterFunc(ctx, func() { co.Close() })
	defer stop()
	resp, _, err := cl.ExchangeWithConnContext(ctx, m, co)
	return resp, err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// follow returns the records of type qtype for name, following CNAMEs within
// the answer section (at most 8 links).
func follow(rrs []dns.RR, name string, qtype uint16) []dns.RR {
	var out []dns.RR
	for hops := 0; hops < 8; hops++ {
		var next string
		for _, rr := range rrs {
			h := rr.Header()
			if !strings.EqualFold(h.Name, name) {
				continue
			}
			if h.Rrtype == qtype {
				out = append(out, rr)
			} else if cn, ok := rr.(*dns.CNAME); ok && qtype != dns.TypeCNAME {
				next = cn.Target
			}
		}
		if len(out) > 0 || next == "" {
			return out
		}
		name = next
	}
	return out
}

// LookupIP returns host's IPv6 and IPv4 addresses, asking AAAA and A at the
// same time; an IP literal is returned as is, without a query. It returns the
// addresses of either query even if the other failed, and [ErrNotFound] when
// neither has any: both answered without records, or one said the name does
// not exist (NXDOMAIN). Otherwise it returns the failure: an empty answer
// beside a failed query does not prove the host has no address.
func LookupIP(ctx context.Context, r Resolver, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if r == nil {
		return nil, fmt.Errorf("%w: no Resolver to look up %s", ErrNoServer, host)
	}
	type res struct {
		addrs []netip.Addr
		nx    bool
		err   error
	}
	ch := make(chan res, 2)
	for _, qt := range []uint16{dns.TypeAAAA, dns.TypeA} {
		go func() {
			a, err := r.Query(ctx, host, qt)
			if err != nil {
				ch <- res{err: err}
				return
			}
			var addrs []netip.Addr
			for _, rr := range a.Records {
				switch rr := rr.(type) {
				case *dns.A:
					if ip, ok := netip.AddrFromSlice(rr.A.To4()); ok {
						addrs = append(addrs, ip)
					}
				case *dns.AAAA:
					if ip, ok := netip.AddrFromSlice(rr.AAAA); ok {
						addrs = append(addrs, ip)
					}
				}
			}
			ch <- res{addrs: addrs, nx: a.NXDomain()}
		}()
	}
	var v6, v4 []netip.Addr
	var errs []error
	nx := false
	for range 2 {
		r := <-ch
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		nx = nx || r.nx
		for _, a := range r.addrs {
			if a.Is4() {
				v4 = append(v4, a)
			} else {
				v6 = append(v6, a)
			}
		}
	}
	addrs := append(v6, v4...)
	if len(addrs) > 0 {
		return addrs, nil
	}
	if len(errs) > 0 && !nx {
		return nil, errors.Join(errs...)
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, host)
}

// DialFunc opens a connection to a literal IP:port.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Dialer opens TCP connections to host names, resolving them with Resolver
// rather than the operating system, so that HTTP fetches and probes see the
// same DNS.
type Dialer struct {
	Resolver Resolver
	// Dial opens a connection to an IP:port; nil means a net.Dialer.
	Dial DialFunc
}

// DialContext resolves the host of address with d.Resolver and connects to
// its addresses in turn (IPv6 first), returning the first that answers.
// network is "tcp" (or "udp"), or "tcp4"/"tcp6" to use one address family.
func (d *Dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var base, family string
	switch network {
	case "tcp", "tcp4", "tcp6", "udp", "udp4", "udp6":
		base, family = network[:3], network[3:]
	default:
		return nil, fmt.Errorf("resolver: dial %s: unsupported network %q", address, network)
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("resolver: dial %s: %w", address, err)
	}
	addrs, err := LookupIP(ctx, d.Resolver, host)
	if err != nil {
		return nil, err
	}
	dial := d.Dial
	if dial == nil {
		var nd net.Dialer
		dial = nd.DialContext
	}
	var errs []error
	for _, a := range addrs {
		nw := base + "4"
		if a.Is6() {
			nw = base + "6"
		}
		if family != "" && family != nw[len(nw)-1:] {
			continue // the caller asked for the other family only
		}
		c, err := dial(ctx, nw, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("resolver: dial %s %s: %w: no IPv%s address", network, address, ErrNotFound, family)
	}
	return nil, fmt.Errorf("resolver: dial %s: %w", address, errors.Join(errs...))
}
