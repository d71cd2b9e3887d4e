// Package lab is the in-process loopback test world of Mailsetup: a DNS
// server (miekg/dns) answering from a DNSSEC-signed hierarchy of zones (the
// root, test., one zone per scenario domain) under a trust anchor made at
// start (see TrustAnchor, WriteZoneFiles), https and http servers with
// certificates from a test CA serving autoconfig files, an ISP database and
// Autodiscover, and real IMAP, POP3 and SMTP servers (package mailserver),
// all on 127.0.0.0/8 inside one process. Scenario domains under the .test
// TLD (RFC 6761) exercise every discovery source on its own, conflicts
// between sources, and every fault a probe must survive: missing STARTTLS,
// wrong or expired certificates, silent hosts, and added latency.
//
// Tests, benchmarks and `mailprobe demo` all use it. Nothing in the lab
// ever connects outside loopback: its DNS server refuses every name outside
// .test (but the root zone's own), and its dialer refuses every address
// outside 127.0.0.0/8 and ::1.
package lab

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
	"github.com/mailsetup/mailsetup/internal/lab/oauthprovider"
)

// ErrOutsideLoopback is returned by the lab's dialer for any address outside
// the loopback range.
var ErrOutsideLoopback = errors.New("lab: refusing to dial outside loopback")

// Options configure a lab.
type Options struct {
	// Latency is added to every DNS answer and before every write of every
	// server (one simulated round trip per exchange).
	Latency time.Duration
	// StandardPorts binds each service to its real port (993, 443, ...) on
	// the host's own loopback address, so other processes (the mailprobe
	// binary, openssl, real mail clients) can use the lab. It needs root or
	// CAP_NET_BIND_SERVICE. Without it, services listen on random ports and
	// only the lab's Dial reaches them.
	StandardPorts bool
	// DNSAddr is where the DNS server listens; "" means 127.0.0.1:0.
	DNSAddr string
	// NSAddr is the address of every zone's name server (ns.<zone>) in the
	// lab's DNS data and zone files: the glue a real resolver follows when
	// the zone files are served by another server (see WriteZoneFiles).
	// The zero value means 127.0.0.1.
	NSAddr netip.Addr
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
}

// Lab is a running lab world.
type Lab struct {
	// CA is the test CA that issued every certificate the lab serves.
	CA *certs.CA
	// DNSAddr is the DNS server's address, host:port.
	DNSAddr string
	// Resolver asks the lab's DNS server.
	Resolver *resolver.Client
	// ISPDB is the base URL of the lab's ISP database.
	ISPDB string
	// Users are the accounts every mail server accepts (address → password).
	Users map[string]string
	// OAuth is the lab's OAuth2 provider, at [OAuthIssuer]: it approves the
	// users of the OAuth2 scenarios, and tests revoke or expire its tokens.
	OAuth *oauthprovider.Provider

	opts    Options
	log     *slog.Logger
	zones   *hierarchy
	dnsSrvs []*dns.Server
	hosts   map[string]netip.Addr        // host name → its loopback address
	leaves  map[string]*x509.Certificate // mail host → the leaf it serves
	nextIP  int

	mu       sync.Mutex
	portMap  map[string]string // "ip:stdport" → actual listener address
	mail     map[string]*mailserver.Server
	pages    map[string]map[string]page
	silent   []*mailserver.Server
	requests []Request
	queries  []Query
	closers  []func() error
	// delays are the per-source latencies of SetSourceLatency, by
	// scenario domain.
	delays map[string]map[detect.SourceName]time.Duration
}

// Start builds the lab world with every scenario of [Scenarios] and of
// [DNSSECScenarios], signs its DNS zones with keys made now, and starts its
// servers. Close stops them all.
func Start(opts Options) (*Lab, error) {
	ca, err := certs.NewCA("Mailsetup Lab CA")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	l := &Lab{
		CA:      ca,
		opts:    opts,
		log:     opts.Logger,
		zones:   newHierarchy(),
		hosts:   make(map[string]netip.Addr),
		leaves:  make(map[string]*x509.Certificate),
		portMap: make(map[string]string),
		mail:    make(map[string]*mailserver.Server),
		Users:   map[string]string{},
	}
	if l.log == nil {
		l.log = slog.New(slog.DiscardHandler)
	}
	if err := l.build(); err != nil {
		l.Close()
		return nil, err
	}
	if err := l.startDNS(); err != nil {
		l.Close()
		return nil, err
	}
	l.Resolver = resolver.New(l.DNSAddr)
	return l, nil
}

// Close stops every server of the lab.
func (l *Lab) Close() error {
	var errs []error
	for _, s := range l.dnsSrvs {
		errs = append(errs, s.Shutdown())
	}
	l.mu.Lock()
	closers := l.closers
	l.closers = nil
	l.mu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		errs = append(errs, closers[i]())
	}
	return errors.Join(errs...)
}

// hostIP returns (allocating on first use) the loopback address of a host.
func (l *Lab) hostIP(name string) netip.Addr {
	if ip, ok := l.hosts[name]; ok {
		return ip
	}
	l.nextIP++
	ip := netip.AddrFrom4([4]byte{127, 77, byte(l.nextIP / 250), byte(1 + l.nextIP%250)})
	l.hosts[name] = ip
	return ip
}

// listen opens a listener for ip:port, on the real port or a random one.
func (l *Lab) listen(ip netip.Addr, port int) (net.Listener, error) {
	std := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	addr := std
	if !l.opts.StandardPorts {
		addr = net.JoinHostPort(ip.String(), "0")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("lab: listen %s: %w", addr, err)
	}
	l.mu.Lock()
	l.portMap[std] = ln.Addr().String()
	l.mu.Unlock()
	return ln, nil
}

// Dial connects to an IP:port of the lab, translating standard ports to the
// listeners' real ones, and refuses every address outside loopback.
func (l *Lab) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("lab: dial %s: %w", address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %s", ErrOutsideLoopback, address)
	}
	l.mu.Lock()
	if real, ok := l.portMap[address]; ok {
		address = real
	}
	l.mu.Unlock()
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// DetectOptions returns engine options that point every network step of a
// detection at the lab: its resolver, its dialer, its CA, its ISP database
// and its DNSSEC trust anchor.
func (l *Lab) DetectOptions() *detect.Options {
	return &detect.Options{
		Resolver:     resolver.New(l.DNSAddr),
		Dial:         l.Dial,
		RootCAs:      l.CA.Pool(),
		ISPDB:        l.ISPDB,
		TrustAnchors: l.TrustAnchor(),
	}
}

// Credentials returns every credential any lab mail server received.
func (l *Lab) Credentials() []mailserver.Credential {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []mailserver.Credential
	for _, s := range l.mail {
		out = append(out, s.Credentials()...)
	}
	return out
}

// WriteCA writes the CA certificate as PEM to path, for --ca-file.
func (l *Lab) WriteCA(path string) error {
	return os.WriteFile(path, l.CA.PEM, 0o644)
}
