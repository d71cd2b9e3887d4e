package probe_test

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// script is a scripted mail server for one protocol, with knobs for the
// hostile behaviours a probe must survive. The zero knobs make a well-behaved
// server: plaintext capabilities differ from those over TLS, so that a test
// can tell which ones the probe kept.
type script struct {
	proto    string // "imap", "pop3" or "smtp"
	implicit bool   // TLS from the first byte
	cert     tls.Certificate
	tlsMin   uint16
	tlsMax   uint16

	greeting   string // raw greeting instead of the normal one
	noSTARTTLS bool   // do not advertise STARTTLS/STLS
	noCAPA     bool   // POP3: answer CAPA with -ERR
	// reply, when set, is sent instead of the normal STARTTLS/STLS reply
	// (fmt verb %[1]s is the IMAP tag); upgrade says whether TLS follows.
	reply   string
	upgrade bool
	inject  string // sent in the same write as the STARTTLS reply
	later   string // sent in a second write after the STARTTLS reply
	silent  bool   // accept and never speak
	mute    bool   // finish the TLS handshake (implicit) and never speak
	flood   bool   // greet with an endless line
	spam    int    // IMAP: untagged lines sent before each CAPABILITY response

	// Authentication, accepted in plaintext too (as a stripping attacker
	// would) so that a test sees any credential the client lets slip.
	users     map[string]string // user name → password
	caps      []string          // over TLS instead of the defaults: IMAP capabilities, POP3 CAPA lines, SMTP EHLO keywords
	authReply string            // sent instead of the verdict on credentials (%[1]s is the IMAP tag)
	moreSASL  bool              // send one more challenge after the SASL response

	*state // made by listen
}

// state is the running part of a script.
type state struct {
	mu      sync.Mutex
	plain   []string // commands received in plaintext
	overTLS []string // commands received over TLS
	creds   []scriptCred
	wg      sync.WaitGroup
	lns     []net.Listener
	conns   map[net.Conn]bool
	stopped bool
}

// listen starts the server on network ("tcp4" or "tcp6") loopback, or on
// addr when given, and returns the port. t.Cleanup stops it.
func (s *script) listen(t *testing.T, network, addr string) int {
	t.Helper()
	if addr == "" {
		addr = "127.0.0.1:0"
		if network == "tcp6" {
			addr = "[::1]:0"
		}
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	if s.state == nil {
		s.state = &state{conns: map[net.Conn]bool{}}
	}
	s.mu.Lock()
	s.lns = append(s.lns, l)
	s.mu.Unlock()
	t.Cleanup(s.stop)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.stopped {
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[c] = true
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				defer c.Close()
				s.handle(c)
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// stop closes the listeners and connections and waits for every goroutine.
func (s *script) stop() {
	s.mu.Lock()
	s.stopped = true
	for _, l := range s.lns {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// scriptCred is a credential a script received.
type scriptCred struct {
	mech, user, pass string
	tls              bool
}

func (s *script) credentials() []scriptCred {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]scriptCred(nil), s.creds...)
}

func (s *script) received() (plain, overTLS []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.plain...), append([]string(nil), s.overTLS...)
}

func (s *script) tlsConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{s.cert}, MinVersion: s.tlsMin, MaxVersion: s.tlsMax}
}

func (s *script) handle(raw net.Conn) {
	raw.SetDeadline(time.Now().Add(20 * time.Second))
	if s.silent {
		io.Copy(io.Discard, raw)
		return
	}
	conn, tlsOn := raw, false
	if s.implicit {
		tc := tls.Server(raw, s.tlsConfig())
		if tc.Handshake() != nil {
			return
		}
		conn, tlsOn = tc, true
	}
	if s.mute {
		io.Copy(io.Discard, conn)
		return
	}
	if s.flood {
		chunk := strings.Repeat("x", 4096)
		for {
			if _, err := io.WriteString(conn, chunk); err != nil {
				return
			}
		}
	}
	br := bufio.NewReader(conn)
	io.WriteString(conn, s.greet())
	c := &sconn{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		// IMAP literals (RFC 9051 §4.3): a synchronising one is invited
		// with "+", then its octets and the rest of the command follow.
		for s.proto == "imap" {
			m := literalRE.FindStringSubmatch(line)
			if m == nil {
				break
			}
			if m[2] == "" {
				io.WriteString(conn, "+ Ready for literal data\r\n")
			}
			n, _ := strconv.Atoi(m[1])
			data := make([]byte, n)
			if _, err := io.ReadFull(br, data); err != nil {
				return
			}
			next, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line += "\r\n" + string(data) + strings.TrimRight(next, "\r\n")
		}
		c.tlsOn = tlsOn
		s.mu.Lock()
		if tlsOn {
			s.overTLS = append(s.overTLS, line)
		} else {
			s.plain = append(s.plain, line)
		}
		s.mu.Unlock()

		reply, upgrade, done := s.respond(c, line)
		io.WriteString(conn, reply)
		if upgrade && s.later != "" {
			time.Sleep(50 * time.Millisecond)
			io.WriteString(conn, s.later)
		}
		if upgrade {
			tc := tls.Server(raw, s.tlsConfig())
			if tc.Handshake() != nil {
				return
			}
			conn, tlsOn = tc, true
			br = bufio.NewReader(conn)
		}
		if done {
			return
		}
	}
}

func (s *script) greet() string {
	if s.greeting != "" {
		return s.greeting
	}
	switch s.proto {
	case "imap":
		return "* OK IMAP server ready\r\n"
	case "pop3":
		return "+OK POP3 server ready\r\n"
	default:
		return "220 mail.example.test ESMTP ready\r\n"
	}
}

// starttls answers STARTTLS/STLS: the normal reply or the scripted one.
func (s *script) starttls(normal, tag string) (string, bool) {
	if s.reply != "" {
		return fmt.Sprintf(s.reply, tag) + s.inject, s.upgrade
	}
	return normal + s.inject, true
}

// sconn is the state of one scripted connection.
type sconn struct {
	tlsOn      bool
	pending    string // the SASL exchange under way: "PLAIN" or "LOGIN-user"/"LOGIN-pass"
	tag        string // IMAP: the tag of the pending AUTHENTICATE
	user       string // POP3 USER, SASL LOGIN user name
	challenged bool   // moreSASL: the extra challenge was sent
}

var literalRE = regexp.MustCompile(`\{(\d+)(\+?)\}$`)

// verdict checks credentials and records them.
func (s *script) verdict(c *sconn, mech, user, pass string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds = append(s.creds, scriptCred{mech, user, pass, c.tlsOn})
	want, ok := s.users[user]
	return ok && want == pass
}

// plainSASL decodes a SASL PLAIN response.
func plainSASL(b64 string) (user, pass string) {
	b, _ := base64.StdEncoding.DecodeString(b64)
	parts := strings.Split(string(b), "\x00")
	if len(parts) != 3 {
		return "", ""
	}
	return parts[1], parts[2]
}

// imapArgs splits IMAP arguments: atoms, quoted strings, literals.
func imapArgs(s string) []string {
	var args []string
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		switch {
		case s[0] == '"':
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
				b.WriteByte(s[i])
			}
			args, s = append(args, b.String()), s[min(i+1, len(s)):]
		case s[0] == '{':
			end := strings.Index(s, "}\r\n")
			n, _ := strconv.Atoi(strings.TrimSuffix(s[1:end], "+"))
			data := s[end+3:]
			args, s = append(args, data[:n]), data[n:]
		default:
			a, rest, _ := strings.Cut(s, " ")
			args, s = append(args, a), rest
		}
	}
	return args
}

// saslStep answers a line of a pending SASL exchange.
func (s *script) saslStep(c *sconn, line string) string {
	var no, more, ok string
	switch s.proto {
	case "imap":
		no, more, ok = c.tag+" NO [AUTHENTICATIONFAILED] Authentication failed\r\n", "+ more\r\n", c.tag+" OK Logged in\r\n"
	case "pop3":
		no, more, ok = "-ERR [AUTH] Authentication failed\r\n", "+ more\r\n", "+OK Logged in\r\n"
	default:
		no, more, ok = "535 5.7.8 Authentication credentials invalid\r\n", "334 bW9yZQ==\r\n", "235 2.7.0 Authentication successful\r\n"
	}
	if line == "*" {
		c.pending, c.challenged = "", false
		return map[string]string{"imap": c.tag + " BAD Authentication cancelled\r\n", "pop3": "-ERR Authentication cancelled\r\n",
			"smtp": "501 5.7.0 Authentication cancelled\r\n"}[s.proto]
	}
	var user, pass string
	switch c.pending {
	case "LOGIN-user":
		b, _ := base64.StdEncoding.DecodeString(line)
		c.user, c.pending = string(b), "LOGIN-pass"
		return "334 UGFzc3dvcmQ6\r\n"
	case "LOGIN-pass":
		b, _ := base64.StdEncoding.DecodeString(line)
		user, pass = c.user, string(b)
	default:
		user, pass = plainSASL(line)
	}
	if s.moreSASL && !c.challenged {
		c.challenged = true
		return more
	}
	mech := strings.TrimSuffix(strings.TrimSuffix(c.pending, "-pass"), "-user")
	c.pending = ""
	return s.authVerdict(c, mech, user, pass, ok, no)
}

func (s *script) authVerdict(c *sconn, mech, user, pass, ok, no string) string {
	good := s.verdict(c, mech, user, pass)
	switch {
	case s.authReply != "":
		return strings.ReplaceAll(s.authReply, "%[1]s", c.tag)
	case good:
		return ok
	}
	return no
}

func (s *script) respond(c *sconn, line string) (reply string, upgrade, done bool) {
	tlsOn := c.tlsOn
	if c.pending != "" {
		return s.saslStep(c, line), false, false
	}
	switch s.proto {
	case "imap":
		tag, cmd, _ := strings.Cut(line, " ")
		cmd, args, _ := strings.Cut(cmd, " ")
		c.tag = tag
		switch strings.ToUpper(cmd) {
		case "CAPABILITY":
			caps := "IMAP4rev1 AUTH=PLAIN AUTH=LOGIN ID"
			if s.caps != nil {
				caps = strings.Join(s.caps, " ")
			}
			if !tlsOn {
				caps = "IMAP4rev1 LOGINDISABLED"
				if !s.noSTARTTLS {
					caps += " STARTTLS"
				}
			}
			spam := strings.Repeat("* OK still here\r\n", s.spam)
			return spam + "* CAPABILITY " + caps + "\r\n" + tag + " OK CAPABILITY completed\r\n", false, false
		case "LOGIN":
			a := imapArgs(args)
			if len(a) != 2 {
				return tag + " BAD syntax\r\n", false, false
			}
			return s.authVerdict(c, "LOGIN", a[0], a[1], tag+" OK Logged in\r\n", tag+" NO [AUTHENTICATIONFAILED] Invalid credentials\r\n"), false, false
		case "AUTHENTICATE":
			mech, ir, hasIR := strings.Cut(args, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				return tag + " NO unsupported mechanism\r\n", false, false
			}
			c.pending = "PLAIN"
			if !hasIR {
				return "+ \r\n", false, false
			}
			return s.saslStep(c, ir), false, false
		case "STARTTLS":
			if tlsOn {
				return tag + " BAD already in TLS\r\n", false, false
			}
			r, up := s.starttls(tag+" OK Begin TLS negotiation now\r\n", tag)
			return r, up, false
		case "LOGOUT":
			return "* BYE logging out\r\n" + tag + " OK LOGOUT completed\r\n", false, true
		}
		return tag + " BAD unknown command\r\n", false, false
	case "pop3":
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "USER":
			c.user = arg
			return "+OK\r\n", false, false
		case "PASS":
			return s.authVerdict(c, "USER", c.user, arg, "+OK Logged in\r\n", "-ERR [AUTH] Invalid credentials\r\n"), false, false
		case "AUTH":
			mech, ir, hasIR := strings.Cut(arg, " ")
			if !strings.EqualFold(mech, "PLAIN") {
				return "-ERR unsupported mechanism\r\n", false, false
			}
			c.pending = "PLAIN"
			if !hasIR {
				return "+ \r\n", false, false
			}
			return s.saslStep(c, ir), false, false
		}
		switch strings.ToUpper(line) {
		case "CAPA":
			if s.noCAPA {
				return "-ERR unknown command\r\n", false, false
			}
			if tlsOn && s.caps != nil {
				return "+OK Capability list follows\r\n" + strings.Join(s.caps, "\r\n") + "\r\n.\r\n", false, false
			}
			if tlsOn {
				return "+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN LOGIN\r\n..DOTTED\r\n.\r\n", false, false
			}
			capa := "+OK Capability list follows\r\nTOP\r\nUSER\r\n"
			if !s.noSTARTTLS {
				capa += "STLS\r\n"
			}
			return capa + "SASL X-PLAINTEXT-ONLY\r\n.\r\n", false, false
		case "STLS":
			r, up := s.starttls("+OK Begin TLS negotiation\r\n", "")
			return r, up, false
		case "QUIT":
			return "+OK bye\r\n", false, true
		}
		return "-ERR unknown command\r\n", false, false
	default:
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			r := "250-mail.example.test greets " + arg + "\r\n250-PIPELINING\r\n"
			if tlsOn && s.caps != nil {
				for _, c := range s.caps {
					r += "250-" + c + "\r\n"
				}
			} else if tlsOn {
				r += "250-AUTH PLAIN LOGIN\r\n"
			} else {
				r += "250-AUTH X-PLAINTEXT-ONLY\r\n"
				if !s.noSTARTTLS {
					r += "250-STARTTLS\r\n"
				}
			}
			return r + "250 SIZE 10240000\r\n", false, false
		case "STARTTLS":
			r, up := s.starttls("220 2.0.0 Ready to start TLS\r\n", "")
			return r, up, false
		case "QUIT":
			return "221 2.0.0 Bye\r\n", false, true
		case "AUTH":
			mech, ir, hasIR := strings.Cut(arg, " ")
			switch strings.ToUpper(mech) {
			case "PLAIN":
				c.pending = "PLAIN"
				if !hasIR {
					return "334 \r\n", false, false
				}
				return s.saslStep(c, ir), false, false
			case "LOGIN":
				c.pending = "LOGIN-user"
				return "334 VXNlcm5hbWU6\r\n", false, false
			}
			return "504 5.5.4 unsupported mechanism\r\n", false, false
		}
		return "500 5.5.1 unknown command\r\n", false, false
	}
}
