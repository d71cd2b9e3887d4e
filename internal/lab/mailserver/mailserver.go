// Package mailserver runs the mail servers of the test lab: real IMAP, POP3
// and SMTP submission servers on loopback listeners, so that Mailsetup's
// probes, STARTTLS handling and login checks are tested against genuine
// protocol peers instead of canned byte strings.
//
// Each Server speaks one protocol with one kind of transport security:
// implicit TLS from the first byte (RFC 8314 ports 993, 995, 465), STARTTLS
// (RFC 3501 / RFC 2595 / RFC 3207), or plain text. IMAP is go-imap's
// imapserver over an in-memory backend, SMTP is go-smtp's server, and POP3
// (RFC 1939 with CAPA, STLS and SASL PLAIN) is implemented here.
//
// The servers can be told to misbehave the ways real servers and attackers do:
// hide STARTTLS (a stripping attack or a broken server), say nothing at all,
// answer slowly, serve an expired or self-signed certificate (see package
// certs), or insist on a newer TLS version.
//
// Every credential that reaches a server is recorded with whether the
// connection was encrypted when it arrived, so security tests can prove that
// no password ever crosses the wire in plain text. On a STARTTLS server that
// has not yet upgraded, a credential the protocol library refuses before it
// reaches the backend (IMAP LOGIN while LOGINDISABLED, SMTP AUTH before TLS) is
// still recorded: the plain-text command stream is watched for it.
//
// A Server runs until Close, which stops every goroutine it started. Servers
// never touch anything outside the listener they are given.
package mailserver

import (
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Protocol is a mail access or submission protocol.
type Protocol string

// The protocols a lab server speaks.
const (
	IMAP Protocol = "imap" // RFC 9051 / RFC 3501
	POP3 Protocol = "pop3" // RFC 1939
	SMTP Protocol = "smtp" // RFC 6409 message submission
)

// Security is how a server protects its connections.
type Security string

// The kinds of transport security.
const (
	// TLS is implicit TLS: the TLS handshake starts with the first byte
	// (RFC 8314 section 3).
	TLS Security = "tls"
	// StartTLS starts in plain text and upgrades with STARTTLS or STLS.
	StartTLS Security = "starttls"
	// Plain never uses TLS. It accepts passwords in plain text, as a
	// misconfigured real server would.
	Plain Security = "plain"
)

// Errors returned by Serve.
var (
	// ErrInvalidConfig is returned by Serve for a Config it cannot serve.
	ErrInvalidConfig = errors.New("mailserver: invalid config")
)

// Config describes one lab server.
type Config struct {
	// Protocol is the protocol to speak.
	Protocol Protocol
	// Security is the transport security of the listener.
	Security Security
	// Cert is the server's certificate; required for TLS and StartTLS unless
	// Silent. It is served as is, so an expired or self-signed certificate
	// makes client verification fail.
	Cert *tls.Certificate
	// Hostname is the name the server gives in its greetings (SMTP and POP3;
	// go-imap's greeting text is fixed). Empty means "localhost".
	Hostname string
	// Users maps each user name accepted by LOGIN, USER/PASS and AUTH to its
	// password. Both "user@domain" and "user" may be keys.
	Users map[string]string

	// NoSTARTTLS, on a StartTLS server, hides STARTTLS (IMAP, SMTP) and STLS
	// (POP3) and refuses the command (IMAP NO, SMTP 502, POP3 -ERR). It models
	// a stripping attack, so the server then accepts passwords in plain text
	// the way the attacker would; they are recorded with TLS false.
	NoSTARTTLS bool
	// RefuseSTARTTLS, on a StartTLS server, advertises STARTTLS (STLS) and
	// refuses the command when it comes (IMAP NO, SMTP 454, POP3 -ERR): a
	// stripping attacker who cannot edit the capabilities, or a server
	// whose TLS is broken.
	RefuseSTARTTLS bool
	// InjectAfterSTARTTLS, on a StartTLS server, is sent in plain text right
	// after the server's positive answer to STARTTLS (STLS), before the TLS
	// handshake: the response injection of the EAST study.
	InjectAfterSTARTTLS string
	// Silent accepts TCP connections and never sends a byte (not even a TLS
	// handshake), holding each connection until the client closes it or the
	// server stops.
	Silent bool
	// Latency is waited before every write the server makes on the wire:
	// before the greeting, before each response, and once per TLS handshake
	// flight. It simulates a slow round trip.
	Latency time.Duration
	// MinTLSVersion is the lowest TLS version the server accepts; zero means
	// tls.VersionTLS12 (RFC 8996, RFC 8997).
	MinTLSVersion uint16

	// OAuth2, when set, makes the server offer SASL OAUTHBEARER (RFC 7628)
	// and XOAUTH2 and checks each bearer token with it: nil accepts.
	OAuth2 func(username, token string) error
	// OAuth2Mechanisms are the OAuth2 mechanisms offered, in order; nil
	// means OAUTHBEARER and XOAUTH2.
	OAuth2Mechanisms []string
	// NoPassword offers no password mechanism at all, as providers that
	// sign in only with OAuth2 do: no AUTH=PLAIN and LOGIN refused (IMAP),
	// no USER nor SASL PLAIN (POP3), no AUTH PLAIN or LOGIN (SMTP). A
	// password sent anyway is recorded and refused.
	NoPassword bool

	// Logger receives the server's diagnostics at debug level. Credentials
	// are never logged. Nil discards them.
	Logger *slog.Logger
}

// Credential is one set of login credentials a server received.
type Credential struct {
	// Protocol is the protocol of the server that received it.
	Protocol Protocol
	// Username and Password are as the client sent them. Either may be empty
	// when the client sent only part, such as a POP3 USER refused before TLS.
	Username, Password string
	// TLS reports whether the connection was encrypted when the credential
	// arrived.
	TLS bool
	// Mechanism is how it was sent: "LOGIN" (IMAP LOGIN command or SASL
	// LOGIN), "PLAIN" (SASL PLAIN), "USER" (POP3 USER/PASS), or
	// "OAUTHBEARER" / "XOAUTH2", whose token is then in Password.
	Mechanism string
	// Time is when it arrived.
	Time time.Time
}

// Server is a running lab mail server. Its methods are safe for concurrent
// use.
type Server struct {
	cfg     Config
	ln      net.Listener // the listener given to Serve, beneath any TLS
	tlsConf *tls.Config  // nil unless Security is TLS or StartTLS
	log     *slog.Logger

	stopping chan struct{} // closed by Close
	serveWG  sync.WaitGroup
	connWG   sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	conns    map[*labConn]struct{}
	accepted int
	creds    []Credential
}

// closeGrace is how long Close lets connections finish after cutting them off
// before it closes them outright.
const closeGrace = 5 * time.Second

// Serve starts serving cfg on l in the background and returns at once. The
// server owns l from then on and closes it in Close.
//
// Serve returns an error wrapping ErrInvalidConfig when cfg names an unknown
// protocol or security, or lacks a certificate it needs.
func Serve(l net.Listener, cfg Config) (*Server, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: nil listener", ErrInvalidConfig)
	}
	switch cfg.Protocol {
	case IMAP, POP3, SMTP:
	default:
		return nil, fmt.Errorf("%w: unknown protocol %q", ErrInvalidConfig, cfg.Protocol)
	}
	switch cfg.Security {
	case TLS, StartTLS, Plain:
	default:
		return nil, fmt.Errorf("%w: unknown security %q", ErrInvalidConfig, cfg.Security)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	if cfg.MinTLSVersion == 0 {
		cfg.MinTLSVersion = tls.VersionTLS12
	}
	if cfg.Latency < 0 {
		return nil, fmt.Errorf("%w: negative latency %v", ErrInvalidConfig, cfg.Latency)
	}

	s := &Server{
		cfg:      cfg,
		ln:       l,
		log:      cfg.Logger,
		stopping: make(chan struct{}),
		conns:    make(map[*labConn]struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("protocol", string(cfg.Protocol), "security", string(cfg.Security))

	if cfg.Security != Plain {
		if cfg.Cert == nil && !cfg.Silent {
			return nil, fmt.Errorf("%w: security %q needs a certificate", ErrInvalidConfig, cfg.Security)
		}
		if cfg.Cert != nil {
			s.tlsConf = &tls.Config{
				Certificates: []tls.Certificate{*cfg.Cert},
				MinVersion:   cfg.MinTLSVersion,
			}
		}
	}

	var ln net.Listener = &listener{Listener: l, s: s}
	if cfg.Silent {
		s.serveSilent(ln)
		return s, nil
	}
	if cfg.Security == TLS {
		ln = tls.NewListener(ln, s.tlsConf)
	}
	switch cfg.Protocol {
	case IMAP:
		s.serveIMAP(ln)
	case POP3:
		s.servePOP3(ln)
	case SMTP:
		s.serveSMTP(ln)
	}
	return s, nil
}

// Addr returns the listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Credentials returns every credential received so far, in order of arrival,
// whether or not it was accepted.
func (s *Server) Credentials() []Credential {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Credential(nil), s.creds...)
}

// Connections returns the number of connections accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Close stops the server: it closes the listener, cuts off every connection
// and waits until every goroutine the server started has finished. Closing a
// closed server does nothing and returns nil.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stopping)
	for c := range s.conns {
		c.stop()
	}
	s.mu.Unlock()

	err := s.ln.Close()
	s.serveWG.Wait() // accept loops and this package's own handlers

	// The protocol libraries' handlers end once their reads and writes fail;
	// each closes its connection on the way out.
	done := make(chan struct{})
	go func() {
		s.connWG.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(closeGrace):
		s.log.Warn("mailserver: connections did not end in time; closing them")
		s.mu.Lock()
		conns := make([]*labConn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
		<-done
	}

	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("mailserver: close listener: %w", err)
	}
	return nil
}

// isClosed reports whether Close has been called.
func (s *Server) isClosed() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// insecureAuth reports whether passwords are accepted without TLS: on a plain
// server, and on a STARTTLS server that hides STARTTLS (see Config.NoSTARTTLS).
func (s *Server) insecureAuth() bool {
	return s.cfg.Security == Plain || (s.cfg.Security == StartTLS && s.cfg.NoSTARTTLS)
}

// startTLS reports whether the server offers STARTTLS/STLS.
func (s *Server) startTLS() bool {
	return s.cfg.Security == StartTLS && !s.cfg.NoSTARTTLS
}

// record appends a received credential.
func (s *Server) record(mech, username, password string, isTLS bool) {
	s.mu.Lock()
	s.creds = append(s.creds, Credential{
		Protocol:  s.cfg.Protocol,
		Username:  username,
		Password:  password,
		TLS:       isTLS,
		Mechanism: mech,
		Time:      time.Now(),
	})
	s.mu.Unlock()
	s.log.Debug("mailserver: credential received", "mechanism", mech, "tls", isTLS)
}

// checkPassword reports whether password is the password of username.
func (s *Server) checkPassword(username, password string) bool {
	want, ok := s.cfg.Users[username]
	return ok && subtle.ConstantTimeCompare([]byte(want), []byte(password)) == 1
}

// acceptLoop accepts connections on ln and runs handle for each in its own
// goroutine, all tracked by serveWG, until ln is closed.
func (s *Server) acceptLoop(ln net.Listener, handle func(net.Conn)) {
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		var delay time.Duration
		for {
			c, err := ln.Accept()
			if err != nil {
				if s.isClosed() || errors.Is(err, net.ErrClosed) {
					return
				}
				// Out of file descriptors and the like: back off and retry.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Debug("mailserver: accept", "err", err, "retry", delay)
				select {
				case <-time.After(delay):
					continue
				case <-s.stopping:
					return
				}
			}
			delay = 0
			s.serveWG.Add(1)
			go func() {
				defer s.serveWG.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
}

// serveSilent holds every connection open without writing a byte.
func (s *Server) serveSilent(ln net.Listener) {
	s.acceptLoop(ln, func(c net.Conn) {
		var buf [512]byte
		for {
			if _, err := c.Read(buf[:]); err != nil {
				return
			}
		}
	})
}

// printfLogger adapts slog to the Printf loggers of go-imap and go-smtp.
type printfLogger struct{ l *slog.Logger }

func (p printfLogger) Printf(format string, v ...any) { p.l.Debug(fmt.Sprintf(format, v...)) }
func (p printfLogger) Println(v ...any)               { p.l.Debug(fmt.Sprint(v...)) }
