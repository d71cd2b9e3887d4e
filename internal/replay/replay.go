// Package replay builds a loopback world out of Mozilla's ISP database (the
// config-v1.1.xml files of ../shared/corpus/ispdb) so that the detection
// engine can be run, address after address, against every provider the
// corpus describes, and its recommendations checked against the files.
//
// For each domain D of each file, the world publishes the provider's file,
// byte for byte, at https://autoconfig.D/mail/config-v1.1.xml, and every
// IMAP, POP3 and SMTP server the file names answers as the file says:
// implicit TLS from the first byte (socketType SSL), STARTTLS / STLS
// (socketType STARTTLS), or plaintext without any upgrade (socketType plain).
// Host names with placeholders ("mail.%EMAILDOMAIN%") are expanded for each
// domain, the way the engine expands them, so every expansion exists.
//
// The world is light on purpose, so that nearly a thousand detections can
// run at once on a small machine:
//
//   - one DNS server (miekg/dns, its own ServeMux, UDP and TCP on one port of
//     127.0.0.1), unsigned, authoritative for every name of the world and
//     REFUSED for every other name. Each mail host gets its own address in
//     127.1.0.0/16; every autoconfig.D name points at one web address.
//   - one https server: a single TLS listener whose certificates are issued
//     per SNI name on first use by a CA made at start, and cached.
//   - one mail server per (protocol, security) pair of the corpus, not one per
//     host and port: the world's Dial routes each (host address, port) the
//     engine dials to the listener of what the corpus describes there, and
//     the certificate is chosen by SNI (after the upgrade, for STARTTLS).
//     The servers speak just enough IMAP, POP3 and SMTP for a probe: greeting,
//     CAPABILITY / CAPA / EHLO, STARTTLS / STLS, NOOP, LOGOUT / QUIT. They hold
//     no accounts and refuse every login.
//
// Options.Latency simulates a network round trip: it delays every DNS
// answer and every server response (the first write after the client spoke,
// TLS handshake flights included), as internal/lab does.
package replay

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
)

// Errors returned by Start.
var (
	// ErrNoCorpus means Options.CorpusDir holds no config-v1.1.xml file.
	ErrNoCorpus = errors.New("replay: no corpus files")
	// ErrConflict means two corpus entries describe the same host and port
	// differently, or a mail host is also an autoconfig name: one world
	// cannot serve both.
	ErrConflict = errors.New("replay: conflicting corpus entries")
)

// LocalPart is the local part of every address of the world: the engine
// is run for LocalPart@D, and placeholders are expanded for it.
const LocalPart = "alice"

// Address returns the address the world is built for in domain.
func Address(domain string) string { return LocalPart + "@" + domain }

// Options configure a world.
type Options struct {
	// Latency is added to every DNS answer and before every server
	// response (one simulated round trip per exchange). Zero means none.
	Latency time.Duration
	// CorpusDir is the folder of config-v1.1.xml files (every *.xml file in
	// it is read). Required.
	CorpusDir string
}

// World is a running replay world. Its methods are safe for concurrent use.
type World struct {
	// CA issued every certificate the world serves.
	CA *certs.CA
	// DNSAddr is the DNS server's address, 127.0.0.1:port.
	DNSAddr string
	// Resolver asks the world's DNS server. DetectOptions hands out this
	// one Resolver, so that concurrent detections share its cache, as the
	// runs of one batch on one machine would.
	Resolver *resolver.Client

	opts    Options
	corpus  *corpus
	certs   *certStore
	routes  map[netip.AddrPort]string // address the engine dials → listener address
	dns     []*dns.Server
	web     *webServer
	servers []*mailServer

	closeOnce sync.Once
	closeErr  error
}

// Start reads every file of opts.CorpusDir and starts the world on
// loopback. It returns an error wrapping [ErrNoCorpus] for an empty folder,
// [ErrConflict] for a corpus that one world cannot serve, or the reason a
// file could not be read or a listener opened. Close stops the world.
func Start(opts Options) (*World, error) {
	if opts.CorpusDir == "" {
		return nil, fmt.Errorf("%w: Options.CorpusDir is empty", ErrNoCorpus)
	}
	if opts.Latency < 0 {
		return nil, fmt.Errorf("replay: negative latency %v", opts.Latency)
	}
	c, err := loadCorpus(opts.CorpusDir)
	if err != nil {
		return nil, err
	}
	ca, err := certs.NewCA("Mailsetup Replay CA")
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	w := &World{
		CA:     ca,
		opts:   opts,
		corpus: c,
		certs:  newCertStore(ca, c.certNames()),
		routes: make(map[netip.AddrPort]string),
	}
	if err := w.start(); err != nil {
		w.Close()
		return nil, err
	}
	w.Resolver = resolver.New(w.DNSAddr)
	return w, nil
}

func (w *World) start() error {
	if err := w.startDNS(); err != nil {
		return err
	}
	web, err := startWeb(w.corpus.pages, w.certs, w.opts.Latency)
	if err != nil {
		return err
	}
	w.web = web
	w.routes[netip.AddrPortFrom(webIP, 443)] = web.addr
	for _, k := range w.corpus.kinds() {
		s, err := startMail(k, w.certs, w.opts.Latency)
		if err != nil {
			return err
		}
		w.servers = append(w.servers, s)
	}
	for ap, k := range w.corpus.services {
		for _, s := range w.servers {
			if s.kind == k {
				w.routes[ap] = s.addr
			}
		}
	}
	return nil
}

// Close stops every server of the world and waits for their goroutines.
// Closing twice returns the first result.
func (w *World) Close() error {
	w.closeOnce.Do(func() {
		var errs []error
		for _, s := range w.dns {
			if err := s.Shutdown(); err != nil {
				errs = append(errs, fmt.Errorf("replay: DNS shutdown: %w", err))
			}
		}
		if w.web != nil {
			errs = append(errs, w.web.close())
		}
		for _, s := range w.servers {
			s.close()
		}
		w.closeErr = errors.Join(errs...)
	})
	return w.closeErr
}

// Domains returns every domain entry of the corpus, file by file in name
// order and in each file's order: one address per entry, as the corpus
// counts them. A domain a file lists twice (cty-net.ne.jp) is there twice.
func (w *World) Domains() []string {
	out := make([]string, len(w.corpus.domains))
	for i, d := range w.corpus.domains {
		out[i] = d.name
	}
	return out
}

// Expected returns what the corpus file of domain describes, as
// "host:port/security" for the incoming and the outgoing server that
// DESIGN.md's ranking must recommend when every server the file names
// answers with a valid certificate and all come from the same source:
//
//   - only IMAP and POP3 (incoming) and SMTP (outgoing) servers count; the
//     other types (exchange, ews, ...) are never probed;
//   - implicit TLS before STARTTLS before plain (RFC 8314 §3.3, DESIGN.md
//     ranking step 2); all share the trust https (step 3);
//   - then IMAP before POP3;
//   - then the file's own order (step 4);
//   - plain is never recommended (RFC 8314 §3.3, §4.1): when the best
//     server of a direction is plain (the direction has nothing else), the
//     result is "".
//
// It returns "", "" for a domain outside the world.
func (w *World) Expected(domain string) (in, out string) {
	e, ok := w.corpus.expected[domain]
	if !ok {
		return "", ""
	}
	return e.in, e.out
}

// File returns the base name of the corpus file that lists domain, "" for
// a domain outside the world.
func (w *World) File(domain string) string { return w.corpus.fileOf[domain] }

// DetectOptions returns engine options that point every network step at
// the world: its shared Resolver, its Dial, its CA as the only root, no ISP
// database (the domain never leaves the world, and the provider's own
// autoconfig is what is replayed), no guessing (only what the file names
// exists), and an empty trust-anchor list: the world is unsigned, and with
// no anchor nothing is validated (every answer is indeterminate, which
// neither raises nor lowers trust). Each call returns a new Options.
func (w *World) DetectOptions() *detect.Options {
	return &detect.Options{
		Resolver:     w.Resolver,
		Dial:         w.Dial,
		RootCAs:      w.RootCAs(),
		NoISPDB:      true,
		NoGuess:      true,
		TrustAnchors: []dns.RR{},
	}
}

// RootCAs returns a pool holding only the world's CA.
func (w *World) RootCAs() *x509.CertPool { return w.CA.Pool() }

// Dial connects to an address of the world: the web address on port 443,
// and each mail host's address on each port the corpus gives it, are routed
// to the listener that serves them. Every other address is refused, with
// the error a closed port gives, so nothing ever leaves loopback.
func (w *World) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: fmt.Errorf("replay: %w", err)}
	}
	target, ok := w.routes[netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())]
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Addr: net.TCPAddrFromAddrPort(ap),
			Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp4", target)
}
