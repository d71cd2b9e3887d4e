package east

import (
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
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// The server plays a Case the way fake-mail-server (src/imap, src/pop3,
// src/smtp at the corpus's commit) does, byte for byte where a case's attack
// depends on it: the greeting, the capabilities before and after TLS, the
// STARTTLS answer and whether TLS follows, ignored, hidden and overridden
// commands, injected responses, and the toolkit's quirks (plaintext left in
// the buffer at the TLS switch is still processed afterwards; a command the
// codec cannot parse is answered "OK keep going" in IMAP and not at all in
// POP3 and SMTP; an empty IMAP capability list or an unimplemented command
// ends the connection, as the toolkit's panic does). Mailbox contents are
// not modelled: a selected IMAP mailbox is empty and POP3 has two fixed
// messages.
//
// Everything the client sends is recorded with whether it arrived over TLS,
// and so is every credential, decoded from SASL where needed.

// Errors of Serve.
var (
	// ErrNotApplicable is returned by Serve for a case whose
	// NotApplicable is not empty.
	ErrNotApplicable = errors.New("east: case not applicable")
)

// errEnd ends a connection on the server's initiative.
var errEnd = errors.New("east: server ends the connection")

// DefaultConnTimeout bounds one connection when ServerOptions.ConnTimeout is
// zero.
const DefaultConnTimeout = 10 * time.Second

// maxLine bounds one command line, maxLiteral one IMAP literal.
const (
	maxLine    = 64 << 10
	maxLiteral = 1 << 20
)

// ServerOptions tune a Server. A nil *ServerOptions is the zero value.
type ServerOptions struct {
	// Cert is the certificate served in TLS handshakes. nil makes every
	// handshake fail, as fake-mail-server fails without a certificate file
	// ("<not needed>").
	Cert *tls.Certificate
	// ConnTimeout bounds each connection; zero means DefaultConnTimeout.
	ConnTimeout time.Duration
}

// Server plays one Case on a loopback listener, for any number of
// connections, until Close.
type Server struct {
	c       *Case
	cert    *tls.Certificate
	timeout time.Duration
	ln      net.Listener
	wg      sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	recs   []*ConnRecord
	closed bool
}

// ConnRecord is what happened on one connection.
type ConnRecord struct {
	// Received is every byte the client sent, in order, decrypted.
	Received []Chunk
	// Sent is every byte the server sent, in order.
	Sent []Chunk
	// Commands are the commands the server parsed, in order.
	Commands []Command
	// TLSAttempted: the server started a TLS handshake.
	TLSAttempted bool
	// TLS: a TLS handshake completed.
	TLS bool
	// TLSError says why a handshake failed.
	TLSError string
	// Buffered is the count of plaintext bytes the client had sent beyond
	// its STARTTLS command when TLS started (processed afterwards, as the
	// toolkit does).
	Buffered int
	// Credentials are the credentials the client sent.
	Credentials []Credential
	// Hooks are the case's hooks that fired.
	Hooks []HookEvent
	// End says why the connection ended.
	End string
}

// Chunk is a piece of the byte stream.
type Chunk struct {
	Data []byte
	// TLS: the bytes travelled inside TLS.
	TLS bool
}

// Command is a command the server parsed.
type Command struct {
	// Name is the command name in upper case, as the toolkit's codecs name
	// it (SMTP "AUTHPLAIN", POP3 "AUTHLIST" for a bare AUTH).
	Name string
	// TLS: every byte of the command arrived over TLS.
	TLS bool
}

// Credential is a credential the client sent.
type Credential struct {
	// Command is how it was sent: "LOGIN", "AUTHENTICATE PLAIN", "USER",
	// "PASS", "APOP", "AUTH LOGIN", ...
	Command string
	// Username and Password, where the command carries them.
	Username, Password string
	// Data is the decoded SASL data of a mechanism the server does not
	// understand, or raw data that did not decode.
	Data string
	// TLS: every byte of it arrived over TLS.
	TLS bool
}

// HookEvent is a case's hook that fired.
type HookEvent struct {
	Command string
	Hook    Hook
	TLS     bool
}

// Data returns the bytes of the chunks sent over TLS (tls) or in
// plaintext (!tls).
func Data(chunks []Chunk, tls bool) []byte {
	var b []byte
	for _, c := range chunks {
		if c.TLS == tls {
			b = append(b, c.Data...)
		}
	}
	return b
}

// Reveals reports whether data holds secret, as is or base64-encoded alone
// or within SASL data (PLAIN's "authzid\0user\0password", LOGIN's steps).
func Reveals(data []byte, secret string) bool {
	if secret == "" {
		return false
	}
	if bytes.Contains(data, []byte(secret)) {
		return true
	}
	isB64 := func(r rune) bool {
		return r == '+' || r == '/' || r == '=' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z')
	}
	for _, tok := range bytes.FieldsFunc(data, func(r rune) bool { return !isB64(r) }) {
		if d, ok := decodeB64(string(tok)); ok && strings.Contains(d, secret) {
			return true
		}
	}
	return false
}

func decodeB64(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return string(b), true
	}
	if b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err == nil {
		return string(b), true
	}
	return "", false
}

// Serve starts playing c on 127.0.0.1, on a port of the system's choosing.
// It returns ErrNotApplicable (wrapped) for a case the server cannot play,
// or the listener's error.
func Serve(c *Case, opts *ServerOptions) (*Server, error) {
	if why := c.NotApplicable(); why != "" {
		return nil, fmt.Errorf("%w: %s: %s", ErrNotApplicable, c.Name, why)
	}
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	if o.ConnTimeout <= 0 {
		o.ConnTimeout = DefaultConnTimeout
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{c: c, cert: o.Cert, timeout: o.ConnTimeout, ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Port returns the listener's port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Close stops the server: it closes the listener and every connection and
// waits for every goroutine it started.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Records returns a copy of the connection records, in the order the
// connections were accepted.
func (s *Server) Records() []ConnRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ConnRecord, len(s.recs))
	for i, r := range s.recs {
		out[i] = *r
		out[i].Received = slices.Clone(r.Received)
		out[i].Sent = slices.Clone(r.Sent)
		out[i].Commands = slices.Clone(r.Commands)
		out[i].Credentials = slices.Clone(r.Credentials)
		out[i].Hooks = slices.Clone(r.Hooks)
	}
	return out
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			return
		}
		s.conns[conn] = struct{}{}
		rec := &ConnRecord{}
		s.recs = append(s.recs, rec)
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(conn, rec)
	}
}

func (s *Server) handle(conn net.Conn, rec *ConnRecord) {
	defer s.wg.Done()
	defer func() {
		conn.Close()
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
	}()
	_ = conn.SetDeadline(time.Now().Add(s.timeout))
	ss := &session{s: s, c: s.c, rec: rec, raw: conn, conn: conn}
	var err error
	switch s.c.Protocol {
	case autoconfig.IMAP:
		err = ss.imap()
	case autoconfig.POP3:
		err = ss.pop3()
	default:
		err = ss.smtp()
	}
	ss.update(func(r *ConnRecord) {
		if r.End == "" && err != nil {
			r.End = err.Error()
		}
	})
}

// session is the server's side of one connection.
type session struct {
	s    *Server
	c    *Case
	rec  *ConnRecord
	raw  net.Conn
	conn net.Conn // raw, or TLS over raw
	tls  bool
	buf  []byte // received, not yet consumed
	// plain counts the leading bytes of buf that arrived in plaintext.
	plain int
	count int // commands, for the toolkit's limit of 50 (POP3, SMTP)
}

func (ss *session) update(f func(r *ConnRecord)) {
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	f(ss.rec)
}

// end ends the connection, saying why.
func (ss *session) end(format string, args ...any) error {
	why := fmt.Sprintf(format, args...)
	ss.update(func(r *ConnRecord) { r.End = why })
	return errEnd
}

func (ss *session) send(data string) error {
	if data == "" {
		return nil
	}
	ss.update(func(r *ConnRecord) { r.Sent = append(r.Sent, Chunk{Data: []byte(data), TLS: ss.tls}) })
	_, err := io.WriteString(ss.conn, data)
	return err
}

func (ss *session) fill() error {
	var b [4096]byte
	n, err := ss.conn.Read(b[:])
	if n > 0 {
		ss.update(func(r *ConnRecord) {
			r.Received = append(r.Received, Chunk{Data: slices.Clone(b[:n]), TLS: ss.tls})
		})
		ss.buf = append(ss.buf, b[:n]...)
		if !ss.tls {
			ss.plain += n
		}
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// take consumes n buffered bytes; tls says whether all of them came over TLS.
func (ss *session) take(n int) (string, bool) {
	s := string(ss.buf[:n])
	tls := ss.tls && ss.plain == 0
	ss.buf = append(ss.buf[:0], ss.buf[n:]...)
	ss.plain = max(0, ss.plain-n)
	return s, tls
}

// readLine returns the next line, with its line ending.
func (ss *session) readLine() (string, bool, error) {
	for {
		if i := bytes.IndexByte(ss.buf, '\n'); i >= 0 {
			line, tls := ss.take(i + 1)
			return line, tls, nil
		}
		if len(ss.buf) > maxLine {
			return "", false, ss.end("line longer than %d bytes", maxLine)
		}
		if err := ss.fill(); err != nil {
			return "", false, err
		}
	}
}

// readN returns the next n bytes.
func (ss *session) readN(n int) (string, bool, error) {
	for len(ss.buf) < n {
		if err := ss.fill(); err != nil {
			return "", false, err
		}
	}
	s, tls := ss.take(n)
	return s, tls, nil
}

// startTLS runs the server's TLS handshake over the raw connection. Bytes
// already buffered stay buffered and are processed afterwards (the toolkit
// keeps them "for demonstration purposes": the command injection of EAST).
func (ss *session) startTLS() error {
	ss.update(func(r *ConnRecord) {
		r.TLSAttempted = true
		r.Buffered = len(ss.buf)
	})
	if ss.s.cert == nil {
		return ss.end("TLS requested, but the case has no certificate (%q)", ss.c.CertPath)
	}
	tc := tls.Server(ss.raw, &tls.Config{Certificates: []tls.Certificate{*ss.s.cert}})
	if err := tc.Handshake(); err != nil {
		ss.update(func(r *ConnRecord) { r.TLSError = err.Error() })
		return ss.end("TLS handshake failed: %v", err)
	}
	ss.conn = tc
	ss.tls = true
	ss.update(func(r *ConnRecord) { r.TLS = true })
	return nil
}

func (ss *session) command(name string, tls bool) {
	ss.update(func(r *ConnRecord) { r.Commands = append(r.Commands, Command{Name: name, TLS: tls}) })
}

func (ss *session) credential(c Credential) {
	ss.update(func(r *ConnRecord) { r.Credentials = append(r.Credentials, c) })
}

// hook fires the case's hook on cmd, if any, and reports whether the server
// must stop (Terminate).
func (ss *session) hook(cmd string, tls bool) bool {
	h, ok := ss.c.Hooks[strings.ToLower(cmd)]
	if !ok {
		return false
	}
	ss.update(func(r *ConnRecord) { r.Hooks = append(r.Hooks, HookEvent{Command: cmd, Hook: h, TLS: tls}) })
	return h.Action == "Terminate"
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func trimEOL(s string) string {
	return strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
}

// ---- IMAP (fake-mail-server src/imap/mod.rs) ----

// imapCommands are the commands imap-codec parses; any other name fails to
// parse.
var imapCommands = map[string]bool{
	"CAPABILITY": true, "NOOP": true, "LOGOUT": true, "STARTTLS": true, "AUTHENTICATE": true, "LOGIN": true,
	"SELECT": true, "EXAMINE": true, "CREATE": true, "DELETE": true, "RENAME": true, "SUBSCRIBE": true,
	"UNSUBSCRIBE": true, "LIST": true, "LSUB": true, "STATUS": true, "APPEND": true, "CHECK": true,
	"CLOSE": true, "EXPUNGE": true, "SEARCH": true, "FETCH": true, "STORE": true, "COPY": true, "UID": true,
	"IDLE": true, "ENABLE": true, "COMPRESS": true, "UNSELECT": true, "MOVE": true,
}

// imapNoArgs are the commands that take no argument.
var imapNoArgs = map[string]bool{
	"CAPABILITY": true, "NOOP": true, "LOGOUT": true, "STARTTLS": true, "CHECK": true, "CLOSE": true,
	"EXPUNGE": true, "IDLE": true, "UNSELECT": true,
}

type imapCmd struct {
	tag, name string
	args      []string
}

// parseIMAP parses a command (literals inlined) the way imap-codec accepts
// it, loosely: a valid tag, a known command and the right arguments.
func parseIMAP(line string) (imapCmd, bool) {
	l := trimEOL(line)
	tag, rest, ok := strings.Cut(l, " ")
	if !ok || !validTag(tag) {
		return imapCmd{}, false
	}
	name, args, hasArgs := strings.Cut(rest, " ")
	name = strings.ToUpper(name)
	if !imapCommands[name] {
		return imapCmd{}, false
	}
	cmd := imapCmd{tag: tag, name: name}
	switch {
	case imapNoArgs[name]:
		return cmd, !hasArgs
	case !hasArgs || args == "":
		return imapCmd{}, false
	}
	switch name {
	case "LOGIN":
		a, ok := imapAstrings(args)
		cmd.args = a
		return cmd, ok && len(a) == 2
	case "AUTHENTICATE":
		a := strings.Split(args, " ")
		cmd.args = a
		return cmd, len(a) <= 2 && a[0] != "" && (len(a) == 1 || a[1] != "")
	case "SELECT", "EXAMINE", "CREATE", "DELETE", "SUBSCRIBE", "UNSUBSCRIBE":
		a, ok := imapAstrings(args)
		cmd.args = a
		return cmd, ok && len(a) == 1
	}
	cmd.args = []string{args}
	return cmd, true
}

// validTag: 1*<any ASTRING-CHAR except "+"> (RFC 3501 §9).
func validTag(tag string) bool {
	if tag == "" {
		return false
	}
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte(`(){%*"\+`, c) >= 0 {
			return false
		}
	}
	return true
}

func isAstringChar(c byte) bool {
	return c > 0x20 && c < 0x7f && strings.IndexByte(`(){%*"\`, c) < 0
}

// imapAstrings splits space-separated astrings: atoms, quoted strings and
// literals ({n}CRLF followed by n bytes).
func imapAstrings(s string) ([]string, bool) {
	var out []string
	for {
		switch {
		case s == "":
			return out, false
		case s[0] == '"':
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				} else if s[i] == '\\' || s[i] == '\r' || s[i] == '\n' {
					return out, false
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return out, false
			}
			out = append(out, b.String())
			s = s[i+1:]
		case s[0] == '{':
			end := strings.Index(s, "}\r\n")
			if end < 0 {
				return out, false
			}
			n, err := strconv.Atoi(strings.TrimSuffix(s[1:end], "+"))
			if err != nil || n < 0 || len(s) < end+3+n {
				return out, false
			}
			out = append(out, s[end+3:end+3+n])
			s = s[end+3+n:]
		default:
			i := 0
			for i < len(s) && isAstringChar(s[i]) {
				i++
			}
			if i == 0 {
				return out, false
			}
			out = append(out, s[:i])
			s = s[i:]
		}
		if s == "" {
			return out, true
		}
		if s[0] != ' ' {
			return out, false
		}
		s = s[1:]
	}
}

// imapCommand reads one command, inlining literals: for a synchronising
// literal the server sends a continuation first, as the toolkit does.
func (ss *session) imapCommand() (string, bool, error) {
	var b strings.Builder
	allTLS := true
	for {
		line, tls, err := ss.readLine()
		if err != nil {
			return "", false, err
		}
		b.WriteString(line)
		allTLS = allTLS && tls
		n, sync, ok := literalAtEnd(line)
		if !ok {
			return b.String(), allTLS, nil
		}
		if n > maxLiteral || b.Len() > maxLiteral {
			return "", false, ss.end("literal of %d bytes", n)
		}
		if sync {
			if err := ss.send("+ continue, please\r\n"); err != nil {
				return "", false, err
			}
		}
		lit, tls, err := ss.readN(n)
		if err != nil {
			return "", false, err
		}
		b.WriteString(lit)
		allTLS = allTLS && tls
	}
}

// literalAtEnd finds "{n}\r\n" or "{n+}\r\n" at the end of a line.
func literalAtEnd(line string) (n int, sync, ok bool) {
	l := strings.TrimSuffix(line, "\r\n")
	if len(l) == len(line) || !strings.HasSuffix(l, "}") {
		return 0, false, false
	}
	open := strings.LastIndexByte(l, '{')
	if open < 0 {
		return 0, false, false
	}
	num := l[open+1 : len(l)-1]
	sync = !strings.HasSuffix(num, "+")
	n, err := strconv.Atoi(strings.TrimSuffix(num, "+"))
	if err != nil || n < 0 {
		return 0, false, false
	}
	return n, sync, true
}

func (ss *session) imap() error {
	c := ss.c
	if c.ImplicitTLS {
		if err := ss.startTLS(); err != nil {
			return err
		}
	}
	if err := ss.send(c.Greeting); err != nil {
		return err
	}
	authenticated, logout := c.Authenticated, false
	if err := ss.send(c.AfterGreeting); err != nil {
		return err
	}
	for {
		line, tls, err := ss.imapCommand()
		if err != nil {
			return err
		}
		cmd, ok := parseIMAP(line)
		if !ok {
			// imap-codec failed: the toolkit answers the first word, if the
			// bytes are UTF-8.
			if f := strings.Fields(line); utf8.ValidString(line) && len(f) > 0 {
				if err := ss.send(f[0] + " OK keep going.\r\n"); err != nil {
					return err
				}
			}
			continue
		}
		ss.command(cmd.name, tls)
		if resp, ok := c.Override[strings.ToLower(cmd.name)]; ok {
			if err := ss.send(strings.ReplaceAll(resp, "<tag>", cmd.tag)); err != nil {
				return err
			}
			continue
		}
		ignored := c.Ignore
		if ss.tls {
			ignored = c.IgnoreTLS
		}
		if containsFold(ignored, cmd.name) {
			continue
		}
		if containsFold(c.Hide, cmd.name) {
			if err := ss.send(cmd.tag + " BAD unknown command.\r\n"); err != nil {
				return err
			}
			continue
		}
		if logout {
			continue // State::Logout answers nothing
		}
		var err2 error
		if authenticated {
			logout, err2 = ss.imapAuthenticated(cmd, tls)
		} else {
			authenticated, logout, err2 = ss.imapNotAuthenticated(cmd, tls)
		}
		if err2 != nil {
			return err2
		}
	}
}

func (ss *session) imapCapability(tag string, caps []string) error {
	if len(caps) == 0 {
		// Data::capability(vec![]).unwrap() panics in the toolkit.
		return ss.end("empty capability list (the toolkit panics)")
	}
	return ss.send("* CAPABILITY " + strings.Join(caps, " ") + "\r\n" + tag + " OK capability done.\r\n")
}

func (ss *session) imapNotAuthenticated(cmd imapCmd, tls bool) (authenticated, logout bool, err error) {
	c, tag := ss.c, cmd.tag
	switch cmd.name {
	case "APPEND":
		return false, false, ss.send(tag + " BAD Append not allowed.\r\n")
	case "CAPABILITY":
		caps := c.Caps
		if ss.tls {
			caps = c.CapsTLS
		}
		return false, false, ss.imapCapability(tag, caps)
	case "NOOP":
		return false, false, ss.send(tag + " OK noop done.\r\n")
	case "LOGOUT":
		return false, true, ss.send("* BYE bye done.\r\n" + tag + " OK logout done.\r\n")
	case "STARTTLS":
		resp := tag + " OK begin TLS now.\r\n"
		if c.STARTTLSResponse != "" {
			resp = strings.ReplaceAll(c.STARTTLSResponse, "<tag>", tag)
		}
		if err := ss.send(resp); err != nil {
			return false, false, err
		}
		if c.Transition {
			if err := ss.startTLS(); err != nil {
				return false, false, err
			}
		}
		return false, false, ss.send(c.AfterTLS)
	case "LOGIN":
		ss.credential(Credential{Command: "LOGIN", Username: cmd.args[0], Password: cmd.args[1], TLS: tls})
		if ss.hook("login", tls) {
			return false, false, ss.end("hook_login: Terminate")
		}
		if st, ok := c.Statuses["login"]; ok {
			return st.OK, false, ss.sendStatus(st, tag)
		}
		return true, false, ss.send(tag + " OK login done.\r\n")
	case "AUTHENTICATE":
		return ss.imapAuthenticate(cmd, tls)
	}
	return false, false, ss.send(tag + " BAD " + cmd.name + " not allowed.\r\n")
}

// imapAuthenticate plays AUTHENTICATE PLAIN and LOGIN and refuses the rest.
func (ss *session) imapAuthenticate(cmd imapCmd, tls bool) (authenticated, logout bool, err error) {
	tag, mech := cmd.tag, strings.ToUpper(cmd.args[0])
	ir, hasIR := "", len(cmd.args) == 2
	if hasIR {
		ir = cmd.args[1]
	}
	if ss.hook("authenticate", tls) {
		if hasIR {
			ss.credential(saslCredential("AUTHENTICATE "+mech, mech, ir, tls))
		}
		return false, false, ss.end("hook_authenticate: Terminate")
	}
	// step returns the client's next SASL line, or the initial response.
	step := func(challenge string, first bool) (string, bool, error) {
		if first && hasIR {
			return ir, tls, nil
		}
		if err := ss.send(challenge); err != nil {
			return "", false, err
		}
		line, tls, err := ss.readLine()
		line = trimEOL(line)
		if err == nil && line == "*" {
			err = ss.end("SASL cancelled with *: the toolkit cannot parse it and panics")
		}
		return line, tls, err
	}
	switch mech {
	case "PLAIN":
		data, tls, err := step("+ \r\n", true)
		if err != nil {
			return false, false, err
		}
		ss.credential(saslCredential("AUTHENTICATE PLAIN", "PLAIN", data, tls))
	case "LOGIN":
		user, tls1, err := step("+ VXNlcm5hbWU6\r\n", true)
		if err != nil {
			return false, false, err
		}
		pass, tls2, err := step("+ UGFzc3dvcmQ6\r\n", false)
		if err != nil {
			ss.credential(saslCredential("AUTHENTICATE LOGIN", "LOGIN-USER", user, tls1))
			return false, false, err
		}
		cr := saslCredential("AUTHENTICATE LOGIN", "LOGIN", user+"\x00"+pass, tls1 && tls2)
		ss.credential(cr)
	default:
		if hasIR {
			ss.credential(saslCredential("AUTHENTICATE "+mech, mech, ir, tls))
		}
		return false, false, ss.send(tag + " NO not supported.\r\n")
	}
	if st, ok := ss.c.Statuses["authenticate"]; ok {
		return st.OK, false, ss.sendStatus(st, tag)
	}
	return true, false, ss.send(tag + " OK authenticate done.\r\n")
}

// sendStatus sends an override_* status; its tag "<tag>" becomes the
// command's tag.
func (ss *session) sendStatus(st Status, tag string) error {
	if st.Tag != "<tag>" {
		tag = st.Tag
	}
	return ss.send(tag + st.Rest)
}

// saslCredential decodes SASL data sent with mechanism mech. For LOGIN,
// data is "user\0password" of the two base64 steps.
func saslCredential(command, mech, data string, tls bool) Credential {
	cr := Credential{Command: command, TLS: tls}
	dec := func(s string) (string, bool) {
		if s == "=" {
			return "", true
		}
		return decodeB64(s)
	}
	switch mech {
	case "PLAIN":
		d, ok := dec(data)
		parts := strings.Split(d, "\x00")
		if !ok || len(parts) != 3 {
			cr.Data = data
			if ok {
				cr.Data = d
			}
			return cr
		}
		cr.Username, cr.Password = parts[1], parts[2]
	case "LOGIN":
		u, p, _ := strings.Cut(data, "\x00")
		du, ok1 := dec(u)
		dp, ok2 := dec(p)
		if !ok1 || !ok2 {
			cr.Data = data
			return cr
		}
		cr.Username, cr.Password = du, dp
	case "LOGIN-USER":
		if du, ok := dec(data); ok {
			cr.Username = du
		} else {
			cr.Data = data
		}
	default:
		if d, ok := dec(data); ok {
			cr.Data = d
		} else {
			cr.Data = data
		}
	}
	return cr
}

// imapFolders are the toolkit's default folders.
var imapFolders = []string{"INBOX", "Sent", "sent", "Trash", "Drafts"}

func (ss *session) imapAuthenticated(cmd imapCmd, tls bool) (logout bool, err error) {
	c, tag := ss.c, cmd.tag
	switch cmd.name {
	case "CAPABILITY":
		caps := c.CapsAuth
		if ss.tls {
			caps = c.CapsTLSAuth
		}
		return false, ss.imapCapability(tag, caps)
	case "STARTTLS":
		return false, ss.send(tag + " NO [CAPABILITY IMAP4REV1 AUTH=LOGIN] not allowed due to RFC.\r\n")
	case "NOOP":
		return false, ss.send(tag + " OK noop done.\r\n")
	case "LOGOUT":
		return true, ss.send("* BYE bye done.\r\n" + tag + " OK logout done.\r\n")
	case "SELECT", "EXAMINE":
		if ss.hook("select", tls) {
			return false, ss.end("hook_select: Terminate")
		}
		if st, ok := c.Statuses["select"]; ok {
			return false, ss.sendStatus(st, tag)
		}
		if !slices.Contains(imapFolders, cmd.args[0]) && !strings.EqualFold(cmd.args[0], "INBOX") {
			return false, ss.send(tag + " NO no such folder.\r\n")
		}
		return false, ss.send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 0 EXISTS\r\n* 0 RECENT\r\n" +
			tag + " OK [READ-WRITE] select/examine done.\r\n")
	case "CREATE", "SUBSCRIBE", "UNSUBSCRIBE":
		return false, ss.send(tag + " OK " + strings.ToLower(cmd.name) + " done.\r\n")
	case "LIST", "LSUB":
		var b strings.Builder
		for _, f := range imapFolders {
			fmt.Fprintf(&b, "* %s () \"/\" %s\r\n", cmd.name, f)
		}
		return false, ss.send(b.String() + tag + " OK " + strings.ToLower(cmd.name) + " done.\r\n")
	case "DELETE", "RENAME":
		return false, ss.end("%s is unimplemented!() in the toolkit", cmd.name)
	}
	return false, ss.send(tag + " BAD " + cmd.name + " not allowed.\r\n")
}

// ---- POP3 (fake-mail-server src/pop3/mod.rs, pop3-codec) ----

type pop3Cmd struct {
	name string // pop3-codec's Command::name()
	args []string
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// parsePOP3 parses a command as pop3-codec does; !ok means it would fail.
func parsePOP3(line string) (pop3Cmd, bool) {
	if !strings.HasSuffix(line, "\n") {
		return pop3Cmd{}, false
	}
	l := trimEOL(line)
	if strings.ContainsAny(l, "\r\n") {
		return pop3Cmd{}, false
	}
	kw, rest, hasRest := strings.Cut(l, " ")
	kw = strings.ToUpper(kw)
	args := strings.Split(rest, " ")
	switch kw {
	case "USER", "PASS":
		return pop3Cmd{name: kw, args: []string{rest}}, hasRest
	case "STAT", "NOOP", "RSET", "QUIT", "CAPA", "STLS":
		return pop3Cmd{name: kw}, !hasRest
	case "LIST", "UIDL":
		if !hasRest {
			return pop3Cmd{name: kw}, true
		}
		return pop3Cmd{name: kw, args: args}, len(args) == 1 && isDigits(args[0])
	case "RETR", "DELE":
		return pop3Cmd{name: kw, args: args}, hasRest && len(args) == 1 && isDigits(args[0])
	case "TOP":
		return pop3Cmd{name: kw, args: args}, hasRest && len(args) == 2 && isDigits(args[0]) && isDigits(args[1])
	case "APOP":
		name, digest, ok := strings.Cut(rest, " ")
		return pop3Cmd{name: kw, args: []string{name, digest}}, hasRest && ok
	case "AUTH":
		if !hasRest {
			return pop3Cmd{name: "AUTHLIST"}, true
		}
		if len(args) > 2 || args[0] == "" || strings.Trim(args[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			return pop3Cmd{}, false
		}
		return pop3Cmd{name: "AUTH", args: args}, true
	}
	return pop3Cmd{}, false
}

func (ss *session) pop3() error {
	c := ss.c
	if c.ImplicitTLS {
		if err := ss.startTLS(); err != nil {
			return err
		}
	}
	if err := ss.send(c.Greeting); err != nil {
		return err
	}
	state := "authorization"
	for {
		line, tls, err := ss.readLine()
		if err != nil {
			return err
		}
		cmd, ok := parsePOP3(line)
		if !ok {
			continue // pop3-codec failed: the toolkit answers nothing
		}
		if ss.count >= 50 {
			return ss.end("too many commands")
		}
		ss.count++
		ss.command(cmd.name, tls)
		if ss.tls && containsFold(c.IgnoreTLS, cmd.name) {
			continue
		}
		if containsFold(c.Hide, cmd.name) {
			if err := ss.send("-ERR bad command\r\n"); err != nil {
				return err
			}
			continue
		}
		if resp, ok := c.Override[strings.ToLower(cmd.name)]; ok {
			if err := ss.send(resp); err != nil {
				return err
			}
			continue
		}
		switch state {
		case "authorization":
			state, err = ss.pop3Authorization(cmd, tls)
		case "transaction":
			state, err = ss.pop3Transaction(cmd)
		default: // update
			if cmd.name != "QUIT" {
				return ss.end("%s is unimplemented!() in the update state", cmd.name)
			}
			if err := ss.send("+OK Fake logging out.\r\n"); err != nil {
				return err
			}
			return ss.end("QUIT")
		}
		if err != nil {
			return err
		}
	}
}

func (ss *session) pop3Authorization(cmd pop3Cmd, tls bool) (string, error) {
	c := ss.c
	switch cmd.name {
	case "USER":
		ss.credential(Credential{Command: "USER", Username: cmd.args[0], TLS: tls})
		return "authorization", ss.send("+OK user ok\r\n")
	case "PASS":
		ss.credential(Credential{Command: "PASS", Password: cmd.args[0], TLS: tls})
		return "transaction", ss.send("+OK pass ok\r\n")
	case "CAPA":
		caps := c.Caps
		if ss.tls {
			caps = c.CapsTLS
		}
		return "authorization", ss.send("+OK list of capabilities\r\n" + strings.Join(caps, "\r\n") + "\r\n.\r\n")
	case "STLS":
		if err := ss.send(c.STARTTLSResponse); err != nil {
			return "", err
		}
		if c.Transition {
			return "authorization", ss.startTLS()
		}
		return "authorization", nil
	case "AUTH":
		mech := strings.ToUpper(cmd.args[0])
		ir, hasIR := "", len(cmd.args) == 2
		if hasIR {
			ir = cmd.args[1]
		}
		step := func(challenge string, first bool) (string, bool, error) {
			if first && hasIR {
				return ir, tls, nil
			}
			if err := ss.send(challenge); err != nil {
				return "", false, err
			}
			line, tls, err := ss.readLine()
			return strings.TrimSpace(line), tls, err
		}
		switch mech {
		case "PLAIN":
			data, tls, err := step("+ \r\n", true)
			if err != nil {
				return "", err
			}
			ss.credential(saslCredential("AUTH PLAIN", "PLAIN", data, tls))
		case "LOGIN":
			user, tls1, err := step("+ VXNlcm5hbWU6\r\n", true)
			if err != nil {
				return "", err
			}
			pass, tls2, err := step("+ UGFzc3dvcmQ6\r\n", false)
			if err != nil {
				ss.credential(saslCredential("AUTH LOGIN", "LOGIN-USER", user, tls1))
				return "", err
			}
			ss.credential(saslCredential("AUTH LOGIN", "LOGIN", user+"\x00"+pass, tls1 && tls2))
		default:
			if hasIR {
				ss.credential(saslCredential("AUTH "+mech, mech, ir, tls))
			}
			if err := ss.send("-ERR not supported.\r\n"); err != nil {
				return "", err
			}
			return "", ss.end("AUTH %s not supported: the toolkit returns", mech)
		}
		return "transaction", ss.send("+OK Fake maildrop locked and ready.\r\n")
	case "AUTHLIST":
		return "authorization", ss.send("+OK\r\nPLAIN\r\nLOGIN\r\n.\r\n")
	case "QUIT":
		if err := ss.send("+OK Fake logging out.\r\n"); err != nil {
			return "", err
		}
		return "", ss.end("QUIT")
	case "APOP":
		ss.credential(Credential{Command: "APOP", Username: cmd.args[0], Data: cmd.args[1], TLS: tls})
	}
	return "", ss.end("%s is unimplemented!() in the authorization state", cmd.name)
}

func (ss *session) pop3Transaction(cmd pop3Cmd) (string, error) {
	msg := ""
	if len(cmd.args) > 0 {
		msg = cmd.args[0]
	}
	switch cmd.name {
	case "STAT":
		return "transaction", ss.send("+OK 2 92\r\n")
	case "LIST":
		switch msg {
		case "":
			return "transaction", ss.send("+OK 2 messages (92 octets)\r\n1 46\r\n2 46\r\n.\r\n")
		case "1", "2":
			return "transaction", ss.send("+OK " + msg + " 46\r\n")
		}
		return "transaction", ss.send("-ERR no such message, only 2 messages in maildrop\r\n")
	case "UIDL":
		switch msg {
		case "":
			return "transaction", ss.send("+OK\r\n1 AAAAAAAA\r\n2 BBBBBBBB\r\n.\r\n")
		case "1":
			return "transaction", ss.send("+OK 1 AAAAAAAA\r\n")
		case "2":
			return "transaction", ss.send("+OK 2 BBBBBBBB\r\n")
		}
		return "transaction", ss.send("-ERR no such message, only 2 messages in maildrop\r\n")
	case "RETR", "TOP":
		if msg != "1" && msg != "2" {
			return "transaction", ss.send("-ERR no such message\r\n")
		}
		first := "+OK 46 octets\r\n"
		if cmd.name == "TOP" {
			first = "+OK\r\n"
		}
		return "transaction", ss.send(first + "From: A\r\nTo: B\r\nSubject: " + msg + "\r\n\r\nHello, World " + msg + "!\r\n.\r\n")
	case "DELE":
		if msg != "1" && msg != "2" {
			return "transaction", ss.send("-ERR no such message\r\n")
		}
		return "transaction", ss.send("+OK message deleted\r\n")
	case "NOOP":
		return "transaction", ss.send("+OK\r\n")
	case "RSET":
		return "transaction", ss.send("+OK maildrop has 2 messages (92 octets)\r\n")
	case "QUIT":
		return "update", ss.send("+OK Fake logging out.\r\n")
	case "CAPA":
		caps := ss.c.CapsAuth
		if ss.tls {
			caps = ss.c.CapsTLSAuth
		}
		// The toolkit sends the list without "+OK" here.
		return "transaction", ss.send(strings.Join(caps, "\r\n") + "\r\n.\r\n")
	}
	return "", ss.end("%s is unimplemented!() in the transaction state", cmd.name)
}

// ---- SMTP (fake-mail-server src/smtp/mod.rs, smtp-codec) ----

type smtpCmd struct {
	name string // smtp-codec's Command::name()
	arg  string // the initial response of AUTH, if any
}

// parseSMTP parses a command as smtp-codec does, loosely; !ok means it
// would fail.
func parseSMTP(line string) (smtpCmd, bool) {
	if !strings.HasSuffix(line, "\n") {
		return smtpCmd{}, false
	}
	l := trimEOL(line)
	if strings.ContainsAny(l, "\r\n") {
		return smtpCmd{}, false
	}
	kw, rest, hasRest := strings.Cut(l, " ")
	kw = strings.ToUpper(kw)
	oneArg := hasRest && rest != "" && !strings.Contains(rest, " ")
	switch kw {
	case "EHLO", "HELO":
		return smtpCmd{name: kw}, oneArg
	case "MAIL":
		return smtpCmd{name: kw}, hasRest && len(rest) >= 5 && strings.EqualFold(rest[:5], "FROM:")
	case "RCPT":
		return smtpCmd{name: kw}, hasRest && len(rest) >= 3 && strings.EqualFold(rest[:3], "TO:")
	case "DATA", "RSET", "QUIT", "STARTTLS":
		return smtpCmd{name: kw}, !hasRest
	case "VRFY", "EXPN":
		return smtpCmd{name: kw}, hasRest && rest != ""
	case "HELP", "NOOP":
		return smtpCmd{name: kw}, !hasRest || rest != ""
	case "AUTH":
		mech, ir, hasIR := strings.Cut(rest, " ")
		mech = strings.ToUpper(mech)
		if !hasRest || (mech != "LOGIN" && mech != "PLAIN") || (hasIR && (ir == "" || strings.Contains(ir, " "))) {
			return smtpCmd{}, false // smtp-codec knows AUTH LOGIN and AUTH PLAIN only
		}
		return smtpCmd{name: "AUTH" + mech, arg: ir}, true
	}
	return smtpCmd{}, false
}

func (ss *session) smtp() error {
	c := ss.c
	if c.ImplicitTLS {
		if err := ss.startTLS(); err != nil {
			return err
		}
	}
	if err := ss.send(c.Greeting); err != nil {
		return err
	}
	for {
		line, tls, err := ss.readLine()
		if err != nil {
			return err
		}
		cmd, ok := parseSMTP(line)
		if !ok {
			continue // smtp-codec failed: the toolkit answers nothing
		}
		if ss.count >= 50 {
			return ss.end("too many commands")
		}
		ss.count++
		ss.command(cmd.name, tls)
		if ss.tls && containsFold(c.IgnoreTLS, cmd.name) {
			continue
		}
		if containsFold(c.Hide, cmd.name) {
			if err := ss.send("502 command not recognized\r\n"); err != nil {
				return err
			}
			continue
		}
		if resp, ok := c.Override[strings.ToLower(cmd.name)]; ok {
			if err := ss.send(resp); err != nil {
				return err
			}
			continue
		}
		if err := ss.smtpCommand(cmd, tls); err != nil {
			return err
		}
	}
}

func (ss *session) smtpCommand(cmd smtpCmd, tls bool) error {
	c := ss.c
	switch cmd.name {
	case "EHLO":
		caps := c.Caps
		if ss.tls {
			caps = c.CapsTLS
		}
		if len(caps) == 0 {
			return ss.send("250 example.org ...\r\n")
		}
		var b strings.Builder
		b.WriteString("250-example.org ...\r\n")
		for i, cp := range caps {
			sep := "-"
			if i == len(caps)-1 {
				sep = " "
			}
			b.WriteString("250" + sep + cp + "\r\n")
		}
		return ss.send(b.String())
	case "HELO", "MAIL", "RCPT", "RSET", "NOOP":
		return ss.send("250 ...\r\n")
	case "DATA":
		if ss.hook("data", tls) {
			return ss.end("hook_data: Terminate")
		}
		if err := ss.send("354 ...\r\n"); err != nil {
			return err
		}
		for {
			line, _, err := ss.readLine()
			if err != nil {
				return err
			}
			if trimEOL(line) == "." {
				break
			}
		}
		return ss.send("250 ...\r\n")
	case "QUIT":
		if err := ss.send("221 ...\r\n"); err != nil {
			return err
		}
		return ss.end("QUIT")
	case "STARTTLS":
		if err := ss.send(c.STARTTLSResponse); err != nil {
			return err
		}
		if c.Transition {
			return ss.startTLS()
		}
		return nil
	case "AUTHLOGIN", "AUTHPLAIN":
		step := func(challenge string, first bool) (string, bool, error) {
			if first && cmd.arg != "" {
				return cmd.arg, tls, nil
			}
			if err := ss.send(challenge); err != nil {
				return "", false, err
			}
			line, tls, err := ss.readLine()
			return strings.TrimSpace(line), tls, err
		}
		if cmd.name == "AUTHPLAIN" {
			data, tls, err := step("334 ...\r\n", true)
			if err != nil {
				return err
			}
			ss.credential(saslCredential("AUTH PLAIN", "PLAIN", data, tls))
		} else {
			user, tls1, err := step("334 VXNlcm5hbWU6\r\n", true)
			if err != nil {
				return err
			}
			pass, tls2, err := step("334 UGFzc3dvcmQ6\r\n", false)
			if err != nil {
				ss.credential(saslCredential("AUTH LOGIN", "LOGIN-USER", user, tls1))
				return err
			}
			ss.credential(saslCredential("AUTH LOGIN", "LOGIN", user+"\x00"+pass, tls1 && tls2))
		}
		return ss.send("235 ...\r\n")
	}
	// VRFY, EXPN, HELP
	return ss.end("%s is unimplemented!() in the toolkit", cmd.name)
}
