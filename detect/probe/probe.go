// Package probe checks one mail server live: it connects to a (host, port,
// security) candidate, negotiates TLS, checks the certificate the way a mail
// client must, and reads what the server offers, without ever sending a
// credential. [Login], a separate opt-in call, checks a password, and sends it
// only over TLS whose certificate verified.
//
// A probe resolves the host with the caller's resolver and races the
// addresses in the manner of Happy Eyeballs (RFC 8305): the first IPv6
// address starts at once, the next address after 250 ms or as soon as an
// attempt fails, and the first connection to succeed wins. Every attempt is
// recorded.
//
// Over implicit TLS (RFC 8314 §3: 993, 995, 465) the TLS handshake starts at
// the first byte. With STARTTLS (RFC 2595, RFC 3207) the probe reads the
// plaintext greeting and capabilities, requires the upgrade to be offered and
// accepted, and then runs the handshake on the raw connection; one sequence
// serves the three protocols. STARTTLS fails closed: a missing capability
// (ErrSTARTTLSMissing), a refused command (ErrSTARTTLSRefused: advertised,
// then refused, the stripping signature) or an IMAP PREAUTH greeting
// (ErrPreauth) make the probe fail; it never falls back to plaintext. Bytes
// the server sent after its STARTTLS answer and before the handshake (the
// response injection of the EAST study, "Why TLS is better without
// STARTTLS", 2021) are discarded and counted (Result.STARTTLSInjected); the
// handshake and the certificate check then go on as usual. Everything learnt
// before the handshake is discarded and the capabilities are asked again
// over TLS.
//
// What stopped a probe is typed: Result.Err wraps one of the kinds of
// errors.go (ErrHostNotFound, ErrConnectionRefused, ErrTimeout, ErrTLS,
// ErrCertificate with a *CertError...), matched with errors.Is and
// errors.As; Result.Error says it in words for people.
//
// The handshake accepts TLS 1.2 and later only (RFC 8997). It is made without
// the library's verification so that a bad certificate can still be described;
// the probe then verifies the served chain against the trusted roots and
// matches the reference identifiers (the host name unless it came from an
// unsigned SRV answer and, per RFC 7817 §3, the email domain the caller
// adds) as RFC 6125 §6 asks: DNS-IDs with a wildcard only as the whole
// left-most label, SRV-IDs (RFC 4985) for the target's service, never
// URI-IDs. When the certificate fails, the probe stops right after the
// handshake and sends nothing more.
//
// After the handshake the probe reads the greeting and the capabilities (IMAP
// CAPABILITY, POP3 CAPA, SMTP EHLO), says goodbye (LOGOUT, QUIT) and closes.
// Plain targets are read in plaintext so that the engine can rank and warn
// about them. The whole probe runs within one budget (Options.Timeout and the
// context's deadline, whichever ends first); no goroutine outlives [Probe].
//
// Every probe and login check keeps a transcript ([Line]) of the protocol
// exchange for helpdesk staff: credentials redacted, lines printable and
// bounded, and whatever was said in plaintext before a STARTTLS handshake
// marked as untrusted. Text the server sent in plaintext never reaches any
// other field of a Result (EAST "UI spoofing").
package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// DefaultTimeout is the budget of one probe when Options.Timeout is zero.
const DefaultTimeout = 4 * time.Second

// Target is one (host, port, security) to probe.
type Target struct {
	// Protocol is IMAP, POP3 or SMTP.
	Protocol autoconfig.Protocol
	// Host is the ASCII (A-label) host name without a trailing dot, or an IP
	// literal. It is the first reference identifier of the certificate check
	// and the TLS server name (SNI).
	Host string
	// Port is the TCP port, 1 to 65535.
	Port int
	// Security is TLS (implicit), STARTTLS or Plain.
	Security autoconfig.Security
	// Identities are further reference identifiers the certificate may
	// match besides Host, such as the email domain (RFC 7817 §3). Only pass
	// names the user or a DNSSEC-secure answer vouches for: a match on any of
	// them makes the certificate valid. A certificate may match them as a
	// DNS-ID or as an SRV-ID for the target's service ("_imaps.example.org").
	Identities []string
	// URL is the URL of an HTTP-based service (Protocol JMAP, CalDAV or
	// CardDAV), which Options.Service asks; Host and Port are its host
	// and port.
	URL string
	// HostNotReference says that Host is not a reference identifier: it
	// came from an SRV answer that was not DNSSEC-secure (RFC 7817 §3, RFC
	// 6186 §6), so only Identities count. Host is still connected to and
	// sent as SNI, and CertInfo.HostMatches tells whether the certificate
	// names it (for a "confirm this host" question).
	HostNotReference bool
}

// Options tune a probe. A nil *Options is the zero value, which is usable
// only when Target.Host is an IP literal (there is no resolver then).
type Options struct {
	// LookupIP resolves a host to its addresses (A and AAAA). It is
	// required unless Target.Host is an IP literal. A host that does not
	// exist is an error matching ErrHostNotFound or resolver.ErrNotFound
	// (or a *net.DNSError with IsNotFound); addresses that failed DNSSEC
	// validation, an error matching dnssec.ErrBogus.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial opens a TCP connection to an IP:port; network is "tcp4" or
	// "tcp6". nil means a net.Dialer. It must honour ctx.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// RootCAs are the trust anchors of the certificate check; nil means the
	// system roots.
	RootCAs *x509.CertPool
	// Timeout is the budget of the whole probe, DefaultTimeout when zero;
	// for Login, the budget of each connection, DefaultLoginTimeout when
	// zero. The deadline of the context passed applies too.
	Timeout time.Duration
	// Now is the clock of the certificate expiry check; nil means time.Now.
	Now func() time.Time
	// Logger receives debug records of the probe's steps; nil discards
	// them. Credentials are never logged, nor any protocol line.
	Logger *slog.Logger
	// Checked, when set, is called by Probe once, on the probe's goroutine,
	// as soon as the checks succeeded and only the polite goodbye (LOGOUT,
	// QUIT) and its answer remain: with the Result Probe will return, but
	// for Elapsed and Transcript, which stop before the goodbye. A caller
	// can use the outcome one round trip early while Probe still says
	// goodbye as the protocols ask (RFC 5321 §4.1.1.10). It is not called
	// when the probe fails, nor by Login.
	Checked func(Result)
	// Handshaken, when set, is called by Probe on the probe's goroutine
	// after each TLS handshake whose certificate verified, with that
	// certificate, before anything is sent over the encrypted connection.
	// It must not block. It is not called by Login.
	Handshaken func(*CertInfo)
	// ClientName is the name given in SMTP EHLO. Empty means the address
	// literal of the local end of the connection ("[192.0.2.1]",
	// "[IPv6:2001:db8::1]"), which RFC 5321 §4.1.4 allows for a client
	// without a meaningful host name.
	ClientName string
	// Service speaks to a target of Protocol JMAP, CalDAV or CardDAV
	// once its TLS certificate verified (see ServiceFunc); such a target
	// fails without it.
	Service ServiceFunc
}

// Status is the outcome of a probe.
type Status string

// The statuses of a probe, as the report contract names them.
const (
	// StatusOK: the server answered over verified TLS (or, for a Plain
	// target, in plaintext) and listed its capabilities.
	StatusOK Status = "ok"
	// StatusTLSError: the TLS handshake failed or the certificate did not
	// verify (Result.Cert then says why).
	StatusTLSError Status = "tls-error"
	// StatusProtocolError: the server broke the protocol or refused the
	// upgrade, including every STARTTLS failure.
	StatusProtocolError Status = "protocol-error"
	// StatusUnreachable: no address could be found or connected to.
	StatusUnreachable Status = "unreachable"
	// StatusTimeout: the budget ran out (or the context was cancelled).
	StatusTimeout Status = "timeout"
)

// Result is what one probe saw.
type Result struct {
	// Target is the probed target, as given.
	Target Target
	// Status is the outcome.
	Status Status
	// Error is one sentence for people saying what failed, at which step
	// ("cannot connect (2 of 2 addresses tried): ..."); empty when Status
	// is StatusOK. Target names the server.
	Error string
	// Err is the failure as an error, nil when Status is StatusOK. It wraps
	// the kind of failure (ErrHostNotFound, ErrConnectionRefused,
	// ErrTimeout, ErrTLS, ErrCertificate and its *CertError,
	// ErrSTARTTLSMissing, ErrSTARTTLSRefused...): match it with errors.Is
	// or errors.As, or read the kind with KindOf.
	Err error
	// STARTTLSInjected counts the bytes the server (or someone on the path)
	// sent after its STARTTLS answer and before the TLS handshake (EAST
	// response injection). They were discarded and the probe went on over
	// verified TLS; a non-zero count is worth a warning all the same.
	STARTTLSInjected int
	// Addresses are the connection attempts, in the order they started.
	Addresses []AddrResult
	// Address is the IP:port the protocol ran over; empty when no address
	// connected.
	Address string
	// TLSVersion is the negotiated version, such as "TLS 1.3".
	TLSVersion string
	// CipherSuite is the negotiated cipher suite's standard name.
	CipherSuite string
	// Cert describes the served certificate; nil when no TLS handshake
	// completed.
	Cert *CertInfo
	// Capabilities are the server's capabilities as read over TLS (in
	// plaintext for Plain targets), in the server's order: IMAP
	// capabilities, POP3 CAPA lines or SMTP EHLO lines (keyword and
	// parameters, "SIZE 35882577").
	Capabilities []string
	// SASL are the advertised SASL mechanisms (IMAP AUTH=, POP3 SASL, SMTP
	// AUTH), upper case.
	SASL []string
	// LoginDisabled reports IMAP LOGINDISABLED.
	LoginDisabled bool
	// STARTTLSOffered reports that the plaintext side advertised STARTTLS
	// (STLS for POP3). For a Plain target it tells whether an upgrade exists.
	STARTTLSOffered bool
	// Greeting is the server greeting received over TLS (in plaintext for
	// Plain targets). It is empty for STARTTLS targets: the protocols send no
	// greeting after the upgrade and the plaintext one is never kept (it is
	// in the Transcript, marked BeforeTLS).
	Greeting string
	// Elapsed is how long the probe took.
	Elapsed time.Duration
	// Transcript is the protocol exchange, redacted and bounded.
	Transcript []Line
	// HTTP is what an HTTP-based service answered (Options.Service); nil
	// for a mail server or when no TLS session verified.
	HTTP *HTTPInfo
}

// AddrResult is one connection attempt.
type AddrResult struct {
	// IP is the address dialled.
	IP netip.Addr
	// Network is "tcp4" or "tcp6".
	Network string
	// Connect is how long the attempt took, to success or failure.
	Connect time.Duration
	// Error says why the attempt failed or was abandoned; empty for the
	// connection used.
	Error string
}

// CertInfo describes the certificate chain a server served and how it
// verified.
type CertInfo struct {
	// Valid is true when the chain verifies to the trusted roots, the leaf
	// matches a reference identifier and no certificate is out of date.
	Valid bool
	// Error explains Problem in one sentence; empty when Valid.
	Error string
	// Problem is CertOK (valid), ProblemExpired, ProblemNotYetValid,
	// ProblemNameMismatch, ProblemUntrusted or ProblemInvalid.
	Problem CertProblem
	// Subject and Issuer are the leaf's distinguished names.
	Subject, Issuer string
	// DNSNames are the leaf's DNS subject alternative names.
	DNSNames []string
	// NotBefore and NotAfter bound the leaf's validity.
	NotBefore, NotAfter time.Time
	// MatchedName is the reference identifier the leaf matched: a DNS
	// name or IP, or an SRV-ID such as "_imaps.example.org".
	MatchedName string
	// HostMatches reports that the leaf is valid for Target.Host, whether
	// or not Host was a reference identifier (Target.HostNotReference).
	HostMatches bool
	// SRVNames are the leaf's SRVName subject alternative names (RFC 4985),
	// lower case, such as "_imaps.example.org".
	SRVNames []string
	// Chain is the DER of the served chain, leaf first, as served (for DANE).
	Chain [][]byte
}

// Probe connects to t, negotiates TLS as t.Security asks, checks the
// certificate and reads the greeting and capabilities. It never returns an
// error: the outcome, and what failed and where, are in the Result. A nil
// opts means the zero Options.
func Probe(ctx context.Context, t Target, opts *Options) Result {
	start := time.Now()
	tr := newTranscript(start)
	p := runProber(ctx, t, withDefaults(opts, DefaultTimeout), tr, nil, start)
	p.res.Elapsed = time.Since(start)
	p.res.Transcript = tr.snapshot()
	return p.res
}

// runProber runs one connection to t: the probe, and the login attempt a
// when it is not nil. The outcome is in the prober's res.
func runProber(ctx context.Context, t Target, o Options, tr *transcript, a *attempt, start time.Time) *prober {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	p := &prober{
		ctx:   ctx,
		t:     t,
		o:     o,
		res:   Result{Target: t},
		where: net.JoinHostPort(t.Host, strconv.Itoa(t.Port)),
		tr:    tr,
		login: a,
		start: start,
	}
	if d, ok := ctx.Deadline(); ok {
		p.budget = time.Until(d).Round(time.Millisecond)
	}
	p.log = o.Logger.With("protocol", string(t.Protocol), "server", p.where, "security", string(t.Security))
	p.log.Debug("probe started")
	tr.note("%s %s %s", strings.ToUpper(string(t.Protocol)), p.where, t.Security)

	f := p.run()
	p.flushReads()
	if f != nil {
		p.res.Status = f.status
		p.res.Err = &probeError{where: p.where, f: f}
		p.res.Error = f.Error()
		p.failed = f
		tr.note("error: %s", f.Error())
	} else {
		p.res.Status = StatusOK
	}
	p.log.Debug("probe finished", "status", string(p.res.Status), "error", p.res.Error,
		"address", p.res.Address, "elapsed", time.Since(start))
	return p
}

func withDefaults(opts *Options, timeout time.Duration) Options {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Dial == nil {
		var d net.Dialer
		o.Dial = d.DialContext
	}
	if o.Timeout <= 0 {
		o.Timeout = timeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// prober holds the state of one Probe call.
type prober struct {
	ctx    context.Context // carries the probe's budget
	t      Target
	o      Options
	res    Result
	where  string // host:port, for messages
	log    *slog.Logger
	conn   *budgetConn   // the connection in use, once connected
	budget time.Duration // the time the probe had, for messages

	tr       *transcript
	recs     []*recConn // the readers recording into tr
	verified bool       // a TLS handshake completed and its certificate verified
	preauth  bool       // the IMAP server greeted PREAUTH (over TLS)
	login    *attempt   // the login attempt, nil for Probe
	failed   *failure   // why the connection failed, after runProber
	start    time.Time  // when the probe (or login check) started
}

// failure is why a probe failed: a status, the kind of failure (one of the
// sentinel errors of errors.go), a message for people saying what failed,
// and the cause.
type failure struct {
	status Status
	kind   error // a *Kind, or an error that wraps one (*CertError)
	msg    string
	err    error
}

// Error is the message for people, with the cause when there is one.
func (f *failure) Error() string {
	if f.err == nil {
		return f.msg
	}
	return f.msg + ": " + f.err.Error()
}

// Unwrap returns the kind and the cause, for errors.Is and errors.As.
func (f *failure) Unwrap() []error {
	if f.err == nil {
		return []error{f.kind}
	}
	return []error{f.kind, f.err}
}

// fail makes a failure of the kind status implies; as gives it a more
// precise kind.
func fail(status Status, err error, format string, args ...any) *failure {
	return &failure{status: status, kind: kindOfStatus(status), msg: fmt.Sprintf(format, args...), err: err}
}

// as sets the kind of f (a *Kind, or an error wrapping one) and returns f.
func (f *failure) as(k error) *failure {
	f.kind = k
	return f
}

// probeError is Result.Err: a failure of one server, whose message names
// the package and the server.
type probeError struct {
	where string
	f     *failure
}

func (e *probeError) Error() string   { return "probe: " + e.where + ": " + e.f.Error() }
func (e *probeError) Unwrap() []error { return e.f.Unwrap() }

// netFail classifies an I/O error that happened while doing what.
func (p *prober) netFail(err error, what string) *failure {
	switch {
	case errors.Is(p.ctx.Err(), context.Canceled):
		return fail(StatusTimeout, nil, "%s: probe cancelled", what)
	case errors.Is(err, syscall.ECONNRESET):
		return fail(StatusProtocolError, nil, "%s: connection reset by the server", what)
	case p.expired() || isTimeout(err):
		return fail(StatusTimeout, nil, "%s: no answer within the probe's budget (%v)", what, p.budget)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fail(StatusProtocolError, nil, "%s: connection closed by the server", what)
	default:
		return fail(StatusProtocolError, err, "%s", what)
	}
}

// expired reports whether the probe's budget has run out. It looks at the
// clock as well as the context: a connection deadline may fire a moment
// before the context's timer does.
func (p *prober) expired() bool {
	if p.ctx.Err() != nil {
		return true
	}
	d, ok := p.ctx.Deadline()
	return ok && !time.Now().Before(d)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (p *prober) run() *failure {
	t := p.t
	switch t.Protocol {
	case autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP:
	case autoconfig.JMAP, autoconfig.CalDAV, autoconfig.CardDAV:
		if p.o.Service == nil {
			return fail(StatusProtocolError, nil, "unsupported protocol %q without Options.Service", t.Protocol)
		}
		// A service is never probed without TLS (DESIGN.md security rules:
		// no address, no credential over plain http); nothing is sent.
		if t.Security != autoconfig.TLS {
			return fail(StatusProtocolError, nil, "%s is probed over https only, not %s", t.Protocol, t.Security)
		}
	default:
		return fail(StatusProtocolError, nil, "unsupported protocol %q", t.Protocol)
	}
	switch t.Security {
	case autoconfig.TLS, autoconfig.STARTTLS, autoconfig.Plain:
	default:
		return fail(StatusProtocolError, nil, "unsupported security %q", t.Security)
	}
	if t.Port < 1 || t.Port > 65535 {
		return fail(StatusUnreachable, nil, "invalid port %d", t.Port)
	}
	if err := p.connect(); err != nil {
		return err
	}
	defer p.conn.Close()

	switch t.Protocol {
	case autoconfig.IMAP:
		return p.imap()
	case autoconfig.JMAP, autoconfig.CalDAV, autoconfig.CardDAV:
		return p.service()
	case autoconfig.POP3:
		return p.pop3()
	default:
		return p.smtp()
	}
}

// goodbye gives the polite LOGOUT/QUIT exchange a short budget of its own: the
// result is known by then and must not wait on a slow server.
// It is reached only once every check passed, so the outcome is known: a
// probe hands it to Options.Checked first.
func (p *prober) goodbye() {
	if p.login == nil && p.o.Checked != nil {
		p.flushReads()
		res := p.res
		res.Status = StatusOK
		res.Elapsed = time.Since(p.start)
		res.Transcript = p.tr.snapshot()
		p.o.Checked(res)
	}
	p.conn.tighten(time.Now().Add(goodbyeBudget))
}

const goodbyeBudget = 500 * time.Millisecond

// clean makes server text safe to show: printable, bounded in length.
func clean(s string) string {
	const max = 512
	s = strings.TrimRight(s, "\r\n")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return '?'
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}
