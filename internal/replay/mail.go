package replay

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/internal/lab/latency"
)

// Limits of a mail session.
const (
	// sessionTimeout bounds a whole connection: a probe takes a few round
	// trips, a stuck client is cut off.
	sessionTimeout = 30 * time.Second
	// maxLine bounds one command line, ending included (RFC 5321
	// §4.5.3.1.4 allows 512 octets; 4 KiB is plenty for a probe).
	maxLine = 4 << 10
)

// mailServer is the one listener of one (protocol, security) pair: it
// serves every host the corpus gives that pair, each with its own
// certificate chosen by SNI.
type mailServer struct {
	kind    kind
	addr    string
	ln      net.Listener
	tlsConf *tls.Config
	latency time.Duration

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	done  bool
}

// startMail starts the server of k on a new listener of 127.0.0.1.
func startMail(k kind, cs *certStore, latency time.Duration) (*mailServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("replay: %s listen: %w", k, err)
	}
	s := &mailServer{kind: k, addr: ln.Addr().String(), ln: ln, tlsConf: cs.config(), latency: latency,
		conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *mailServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off and retry.
			time.Sleep(5 * time.Millisecond)
			continue
		}
		s.mu.Lock()
		if s.done {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				c.Close()
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
			}()
			s.serve(c)
		}()
	}
}

// close stops accepting, cuts every connection and waits for the
// goroutines.
func (s *mailServer) close() {
	s.mu.Lock()
	s.done = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

// session is one connection as a mail server sees it.
type session struct {
	s    *mailServer
	raw  net.Conn // beneath TLS, with the latency
	conn net.Conn // raw, or the TLS connection over it
	br   *bufio.Reader
	tls  bool
	host string // the SNI name once TLS is on, for greetings
}

func (s *mailServer) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(sessionTimeout))
	var raw net.Conn = c
	if s.latency > 0 {
		raw = latency.Conn(c, s.latency)
	}
	ss := &session{s: s, raw: raw, conn: raw, host: "replay.invalid"}
	if s.kind.sec == autoconfig.TLS {
		if !ss.upgrade() {
			return
		}
	}
	if ss.br == nil {
		ss.br = bufio.NewReaderSize(ss.conn, maxLine)
	}
	switch s.kind.proto {
	case autoconfig.IMAP:
		ss.imap()
	case autoconfig.POP3:
		ss.pop3()
	case autoconfig.SMTP:
		ss.smtp()
	}
}

// upgrade runs the server side of the TLS handshake on the raw connection.
// The reader is replaced: nothing buffered in plaintext crosses into TLS.
func (ss *session) upgrade() bool {
	tc := tls.Server(ss.raw, ss.s.tlsConf)
	if err := tc.Handshake(); err != nil {
		return false
	}
	ss.conn, ss.tls = tc, true
	ss.host = tc.ConnectionState().ServerName
	ss.br = bufio.NewReaderSize(tc, maxLine)
	return true
}

// startTLS reports whether STARTTLS (STLS) is offered now: on a STARTTLS
// server before the upgrade. Plain servers never offer it.
func (ss *session) startTLS() bool { return ss.s.kind.sec == autoconfig.STARTTLS && !ss.tls }

// authOK reports whether logins are advertised: over TLS, and on plain
// servers (which accept passwords in plaintext, as such a server would).
func (ss *session) authOK() bool { return ss.tls || ss.s.kind.sec == autoconfig.Plain }

// readLine reads one CRLF (or LF) terminated line without its ending.
func (ss *session) readLine() (string, bool) {
	line, err := ss.br.ReadSlice('\n')
	if err != nil {
		return "", false // EOF, timeout, or a line longer than maxLine
	}
	return strings.TrimRight(string(line), "\r\n"), true
}

// write sends one whole response in one write: one simulated round trip.
func (ss *session) write(lines ...string) bool {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	_, err := ss.conn.Write([]byte(b.String()))
	return err == nil
}

// imap speaks the part of IMAP4rev1 (RFC 3501, RFC 9051) a probe uses.
func (ss *session) imap() {
	caps := func() string {
		c := "IMAP4rev1"
		if ss.startTLS() {
			c += " STARTTLS LOGINDISABLED" // RFC 9051 §6.2.1, §6.2.3
		}
		if ss.authOK() {
			c += " SASL-IR AUTH=PLAIN"
		}
		return c
	}
	// RFC 9051 §7.1: the greeting may carry the capabilities, as Dovecot's does.
	if !ss.write("* OK [CAPABILITY " + caps() + "] " + ss.host + " replay IMAP ready") {
		return
	}
	for {
		line, ok := ss.readLine()
		if !ok {
			return
		}
		tag, rest, _ := strings.Cut(line, " ")
		cmd, _, _ := strings.Cut(rest, " ")
		switch strings.ToUpper(cmd) {
		case "CAPABILITY":
			ok = ss.write("* CAPABILITY "+caps(), tag+" OK CAPABILITY completed")
		case "NOOP":
			ok = ss.write(tag + " OK NOOP completed")
		case "LOGOUT":
			ss.write("* BYE logging out", tag+" OK LOGOUT completed")
			return
		case "STARTTLS":
			if !ss.startTLS() {
				ok = ss.write(tag + " BAD STARTTLS not available")
				break
			}
			// RFC 9051 §6.2.1: the handshake starts right after the OK;
			// nothing else is sent before it.
			if !ss.write(tag+" OK begin TLS negotiation now") || !ss.upgrade() {
				return
			}
		case "LOGIN", "AUTHENTICATE":
			ok = ss.write(tag + " NO [AUTHENTICATIONFAILED] the replay world has no accounts")
		default:
			ok = ss.write(tag + " BAD command not supported here")
		}
		if !ok {
			return
		}
	}
}

// pop3 speaks the part of POP3 (RFC 1939, CAPA RFC 2449, STLS RFC 2595) a
// probe uses.
func (ss *session) pop3() {
	if !ss.write("+OK " + ss.host + " replay POP3 ready") {
		return
	}
	for {
		line, ok := ss.readLine()
		if !ok {
			return
		}
		cmd, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(cmd) {
		case "CAPA":
			capa := []string{"+OK capability list follows", "TOP", "UIDL", "RESP-CODES"}
			if ss.startTLS() {
				capa = append(capa, "STLS")
			}
			if ss.authOK() {
				capa = append(capa, "USER", "SASL PLAIN")
			}
			ok = ss.write(append(capa, ".")...)
		case "NOOP":
			ok = ss.write("+OK")
		case "QUIT":
			ss.write("+OK bye")
			return
		case "STLS":
			if !ss.startTLS() {
				ok = ss.write("-ERR STLS not available")
				break
			}
			if !ss.write("+OK begin TLS negotiation") || !ss.upgrade() {
				return
			}
		case "USER", "PASS", "AUTH", "APOP":
			ok = ss.write("-ERR [AUTH] the replay world has no accounts")
		default:
			ok = ss.write("-ERR command not supported here")
		}
		if !ok {
			return
		}
	}
}

// smtp speaks the part of SMTP submission (RFC 5321, RFC 6409, STARTTLS
// RFC 3207) a probe uses.
func (ss *session) smtp() {
	if !ss.write("220 " + ss.host + " ESMTP replay") {
		return
	}
	for {
		line, ok := ss.readLine()
		if !ok {
			return
		}
		cmd, _, _ := strings.Cut(line, " ")
		switch strings.ToUpper(cmd) {
		case "EHLO":
			ext := []string{ss.host, "PIPELINING", "SIZE 35882577", "8BITMIME", "ENHANCEDSTATUSCODES"}
			if ss.startTLS() {
				ext = append(ext, "STARTTLS")
			}
			if ss.authOK() {
				ext = append(ext, "AUTH PLAIN LOGIN")
			}
			ext = append(ext, "SMTPUTF8")
			reply := make([]string, len(ext))
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				reply[i] = "250" + sep + e
			}
			ok = ss.write(reply...)
		case "HELO":
			ok = ss.write("250 " + ss.host)
		case "NOOP", "RSET":
			ok = ss.write("250 2.0.0 OK")
		case "QUIT":
			ss.write("221 2.0.0 bye")
			return
		case "STARTTLS":
			if !ss.startTLS() {
				ok = ss.write("502 5.5.1 STARTTLS not available")
				break
			}
			if !ss.write("220 2.0.0 ready to start TLS") || !ss.upgrade() {
				return
			}
		case "AUTH":
			ok = ss.write("535 5.7.8 the replay world has no accounts")
		default:
			ok = ss.write("502 5.5.1 command not implemented")
		}
		if !ok {
			return
		}
	}
}
