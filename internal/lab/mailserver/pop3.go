package mailserver

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
)

const (
	// pop3MaxLine bounds a command line. RFC 2449 section 4 allows 255 octets
	// for a command, but SASL responses (RFC 5034 section 4) may be longer.
	pop3MaxLine = 4096
	// pop3Timeout is the inactivity autologout timer (RFC 1939 section 3: at
	// least 10 minutes).
	pop3Timeout = 10 * time.Minute
	// pop3HandshakeTimeout bounds the TLS handshake after STLS.
	pop3HandshakeTimeout = 30 * time.Second
	// pop3MaxErrors is how many bad commands end a session.
	pop3MaxErrors = 10
)

var errPOP3LineTooLong = errors.New("mailserver: pop3 line too long")

// servePOP3 serves POP3 (RFC 1939) with CAPA (RFC 2449), STLS (RFC 2595) and
// AUTH PLAIN (RFC 5034, RFC 4616) on ln. Each user's maildrop holds one small
// message; DELE marks it for the session only, nothing is ever removed.
func (s *Server) servePOP3(ln net.Listener) {
	s.acceptLoop(ln, func(c net.Conn) {
		p := &pop3Conn{
			s:    s,
			conn: c,
			br:   bufio.NewReaderSize(c, pop3MaxLine),
			bw:   bufio.NewWriter(c),
		}
		_, p.tls = c.(*tls.Conn)
		p.serve()
	})
}

type pop3State int

const (
	pop3Authorization pop3State = iota // RFC 1939 section 3
	pop3Transaction
)

// pop3Message is a message in a maildrop.
type pop3Message struct {
	uid     string
	body    []byte // CRLF line endings
	deleted bool
}

type pop3Conn struct {
	s      *Server
	conn   net.Conn // the raw connection, or TLS over it
	tls    bool
	br     *bufio.Reader
	bw     *bufio.Writer
	state  pop3State
	user   string // from USER, waiting for PASS
	msgs   []pop3Message
	errors int
}

func (p *pop3Conn) serve() {
	p.reply("+OK %s POP3 lab server ready", p.s.cfg.Hostname)
	for {
		if err := p.flush(); err != nil {
			return
		}
		p.conn.SetReadDeadline(time.Now().Add(pop3Timeout))
		line, err := p.readLine()
		switch {
		case errors.Is(err, errPOP3LineTooLong):
			p.fail("-ERR Line too long")
		case err != nil:
			return
		default:
			cmd, arg, _ := strings.Cut(line, " ")
			if !p.handle(strings.ToUpper(cmd), arg) {
				p.flush()
				return
			}
		}
		if p.errors >= pop3MaxErrors {
			p.reply("-ERR Too many errors")
			p.flush()
			return
		}
	}
}

// handle runs one command; it returns false to end the session.
func (p *pop3Conn) handle(cmd, arg string) bool {
	switch cmd {
	case "QUIT":
		// RFC 1939 section 6: the UPDATE state; this lab deletes nothing.
		p.reply("+OK %s POP3 lab server signing off", p.s.cfg.Hostname)
		return false
	case "CAPA":
		p.capa()
		return true
	case "NOOP":
		if p.needState(pop3Transaction) {
			p.reply("+OK")
		}
		return true
	}

	if p.state == pop3Authorization {
		switch cmd {
		case "STLS":
			return p.stls()
		case "USER":
			p.userCmd(arg)
		case "PASS":
			p.pass(arg)
		case "AUTH":
			return p.auth(arg)
		case "STAT", "LIST", "UIDL", "TOP", "RETR", "DELE", "RSET":
			p.fail("-ERR [AUTH] Not logged in")
		default:
			p.fail("-ERR Unknown command")
		}
		return true
	}

	switch cmd {
	case "STAT":
		n, size := 0, 0
		for _, m := range p.msgs {
			if !m.deleted {
				n++
				size += len(m.body)
			}
		}
		p.reply("+OK %d %d", n, size)
	case "LIST", "UIDL":
		if arg != "" {
			if i, ok := p.msg(arg); ok {
				p.reply("+OK %d %s", i+1, p.listValue(cmd, i))
			}
			return true
		}
		var lines []string
		for i, m := range p.msgs {
			if !m.deleted {
				lines = append(lines, fmt.Sprintf("%d %s", i+1, p.listValue(cmd, i)))
			}
		}
		p.multiline("+OK", lines)
	case "RETR":
		if i, ok := p.msg(arg); ok {
			p.multiline(fmt.Sprintf("+OK %d octets", len(p.msgs[i].body)), bodyLines(p.msgs[i].body, -1))
		}
	case "TOP":
		num, n, _ := strings.Cut(arg, " ")
		lines, err := strconv.Atoi(n)
		if err != nil || lines < 0 {
			p.fail("-ERR Syntax: TOP msg n")
			return true
		}
		if i, ok := p.msg(num); ok {
			p.multiline("+OK", bodyLines(p.msgs[i].body, lines))
		}
	case "DELE":
		if i, ok := p.msg(arg); ok {
			p.msgs[i].deleted = true
			p.reply("+OK message %d deleted", i+1)
		}
	case "RSET":
		for i := range p.msgs {
			p.msgs[i].deleted = false
		}
		p.reply("+OK")
	case "STLS", "USER", "PASS", "AUTH":
		p.fail("-ERR Already logged in")
	default:
		p.fail("-ERR Unknown command")
	}
	return true
}

// capa answers CAPA (RFC 2449 section 5). USER and SASL are listed only where
// passwords are accepted, STLS only before TLS (RFC 2595 section 4).
func (p *pop3Conn) capa() {
	caps := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"}
	if p.state == pop3Authorization {
		if p.authAllowed() {
			if !p.s.cfg.NoPassword {
				caps = append(caps, "USER")
			}
			if m := p.s.mechanisms(sasl.Plain); len(m) > 0 {
				caps = append(caps, "SASL "+strings.Join(m, " "))
			}
		}
		if p.canSTLS() {
			caps = append(caps, "STLS")
		}
	}
	caps = append(caps, "IMPLEMENTATION Mailsetup-lab")
	p.multiline("+OK Capability list follows", caps)
}

func (p *pop3Conn) authAllowed() bool { return p.tls || p.s.insecureAuth() }

func (p *pop3Conn) canSTLS() bool { return p.s.startTLS() && !p.tls }

// stls upgrades the connection to TLS (RFC 2595 section 4).
func (p *pop3Conn) stls() bool {
	if !p.canSTLS() {
		p.fail("-ERR STLS not available")
		return true
	}
	p.reply("+OK Begin TLS negotiation")
	if err := p.flush(); err != nil {
		return false
	}
	// Anything the client sent after STLS is part of the TLS stream, never a
	// command: hand buffered bytes to TLS, which rejects plaintext injection.
	var under net.Conn = p.conn
	if n := p.br.Buffered(); n > 0 {
		buffered, _ := p.br.Peek(n)
		under = &prefixConn{Conn: p.conn, r: io.MultiReader(bytes.NewReader(bytes.Clone(buffered)), p.conn)}
	}
	tc := tls.Server(under, p.s.tlsConf)
	p.conn.SetDeadline(time.Now().Add(pop3HandshakeTimeout))
	if err := tc.Handshake(); err != nil {
		p.s.log.Debug("mailserver: pop3 STLS handshake", "err", err)
		return false
	}
	p.conn.SetDeadline(time.Time{})
	p.conn, p.tls, p.user = tc, true, ""
	p.br.Reset(tc)
	p.bw.Reset(tc)
	return true
}

// userCmd handles USER (RFC 1939 section 7). Before TLS on a STARTTLS server
// it is refused, and the user name, already sent in plain text, recorded.
func (p *pop3Conn) userCmd(name string) {
	if !p.authAllowed() {
		p.s.record("USER", name, "", false)
		p.fail("-ERR [AUTH] Plaintext authentication disallowed on non-secure connections")
		return
	}
	if name == "" {
		p.fail("-ERR Syntax: USER name")
		return
	}
	p.user = name
	p.reply("+OK")
}

// pass handles PASS. The password is recorded whether or not it is accepted.
func (p *pop3Conn) pass(password string) {
	user := p.user
	p.user = ""
	p.s.record("USER", user, password, p.tls)
	switch {
	case p.s.cfg.NoPassword:
		p.fail("-ERR [AUTH] Password sign-in is disabled: sign in with OAuth2")
	case !p.authAllowed():
		p.fail("-ERR [AUTH] Plaintext authentication disallowed on non-secure connections")
	case user == "":
		p.fail("-ERR USER first")
	default:
		p.login(user, password)
	}
}

// auth handles AUTH (RFC 5034 section 4); it returns false when the
// connection failed.
func (p *pop3Conn) auth(arg string) bool {
	fields := strings.Fields(arg)
	if len(fields) == 0 {
		// The listing form of AUTH that clients still send.
		p.multiline("+OK", p.s.mechanisms(sasl.Plain))
		return true
	}
	mech := strings.ToUpper(fields[0])
	if !slices.Contains(p.s.mechanisms(sasl.Plain), mech) || len(fields) > 2 {
		p.fail("-ERR Unsupported authentication mechanism")
		return true
	}
	var resp []byte
	if len(fields) == 2 {
		var err error
		if resp, err = decodeSASL(fields[1]); err != nil {
			p.fail("-ERR Invalid base64 data")
			return true
		}
	}
	if !p.authAllowed() {
		if _, user, pass, ok := parsePlain(resp); ok {
			p.s.record(sasl.Plain, user, pass, false)
		}
		p.fail("-ERR [AUTH] Plaintext authentication disallowed on non-secure connections")
		return true
	}

	var loggedIn bool
	srv := p.s.oauthServer(mech, p.tls, nil, func(string) error { loggedIn = true; return nil })
	if srv == nil {
		srv = p.plainServer(&loggedIn)
	}
	return p.saslLoop(srv, resp, &loggedIn)
}

// plainServer checks SASL PLAIN credentials.
func (p *pop3Conn) plainServer(loggedIn *bool) sasl.Server {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		p.s.record(sasl.Plain, username, password, p.tls)
		if identity != "" && identity != username {
			return errors.New("authorization identity not supported")
		}
		if !p.s.checkPassword(username, password) {
			return errors.New("bad credentials")
		}
		*loggedIn = true
		return nil
	})
}

// saslLoop runs a SASL exchange from the initial response resp (RFC 5034
// §4); it returns false when the connection failed.
func (p *pop3Conn) saslLoop(srv sasl.Server, resp []byte, loggedIn *bool) bool {
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			p.fail("-ERR [AUTH] Authentication failed")
			return true
		}
		if done {
			break
		}
		p.reply("+ %s", base64.StdEncoding.EncodeToString(challenge))
		if err := p.flush(); err != nil {
			return false
		}
		line, err := p.readLine()
		if errors.Is(err, errPOP3LineTooLong) {
			p.fail("-ERR Line too long")
			return true
		}
		if err != nil {
			return false
		}
		if line == "*" {
			p.fail("-ERR Authentication cancelled")
			return true
		}
		if resp, err = decodeSASL(line); err != nil {
			p.fail("-ERR Invalid base64 data")
			return true
		}
	}
	if *loggedIn {
		p.enterTransaction()
	}
	return true
}

// login checks USER/PASS credentials.
func (p *pop3Conn) login(user, password string) {
	if !p.s.checkPassword(user, password) {
		p.fail("-ERR [AUTH] Invalid user name or password")
		return
	}
	p.enterTransaction()
}

func (p *pop3Conn) enterTransaction() {
	p.state = pop3Transaction
	body := strings.ReplaceAll(fmt.Sprintf(`From: Mailsetup lab <postmaster@%[1]s>
Subject: Welcome to the lab
Message-ID: <welcome@%[1]s>
Date: Mon, 01 Jan 2024 00:00:00 +0000

This maildrop belongs to the Mailsetup test lab.
.A line that starts with a dot.
`, p.s.cfg.Hostname), "\n", "\r\n")
	p.msgs = []pop3Message{{uid: "welcome-1", body: []byte(body)}}
	p.reply("+OK Logged in")
}

// msg finds an undeleted message by its number, or writes -ERR.
func (p *pop3Conn) msg(arg string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || n < 1 || n > len(p.msgs) || p.msgs[n-1].deleted {
		p.fail("-ERR No such message")
		return 0, false
	}
	return n - 1, true
}

// listValue is the size (LIST) or unique id (UIDL) of message i.
func (p *pop3Conn) listValue(cmd string, i int) string {
	if cmd == "UIDL" {
		return p.msgs[i].uid
	}
	return strconv.Itoa(len(p.msgs[i].body))
}

func (p *pop3Conn) needState(st pop3State) bool {
	if p.state != st {
		p.fail("-ERR Command not valid in this state")
		return false
	}
	return true
}

// bodyLines returns the header and the first n body lines of a message (all
// lines when n < 0).
func bodyLines(body []byte, n int) []string {
	lines := strings.Split(strings.TrimSuffix(string(body), "\r\n"), "\r\n")
	if n < 0 {
		return lines
	}
	for i, l := range lines {
		if l == "" {
			return lines[:min(len(lines), i+1+n)]
		}
	}
	return lines
}

// readLine reads a line without its CRLF. A line longer than pop3MaxLine is
// read to its end and thrown away, and errPOP3LineTooLong returned.
func (p *pop3Conn) readLine() (string, error) {
	line, err := p.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = p.br.ReadSlice('\n')
		}
		if err != nil {
			return "", err
		}
		return "", errPOP3LineTooLong
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (p *pop3Conn) reply(format string, args ...any) {
	fmt.Fprintf(p.bw, format, args...)
	p.bw.WriteString("\r\n")
}

// fail writes a negative response and counts it.
func (p *pop3Conn) fail(msg string) {
	p.errors++
	p.reply("%s", msg)
}

// multiline writes a status line and a dot-stuffed multi-line body (RFC 1939
// section 3).
func (p *pop3Conn) multiline(status string, lines []string) {
	p.reply("%s", status)
	for _, l := range lines {
		if strings.HasPrefix(l, ".") {
			p.bw.WriteString(".")
		}
		p.reply("%s", l)
	}
	p.reply(".")
}

func (p *pop3Conn) flush() error {
	if p.bw.Buffered() == 0 {
		return nil
	}
	return p.bw.Flush()
}

// prefixConn reads from r (bytes already buffered, then the connection).
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(b []byte) (int, error) { return c.r.Read(b) }
