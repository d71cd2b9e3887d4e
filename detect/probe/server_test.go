package probe_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
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

	*state // made by listen
}

// state is the running part of a script.
type state struct {
	mu      sync.Mutex
	plain   []string // commands received in plaintext
	overTLS []string // commands received over TLS
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
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		if tlsOn {
			s.overTLS = append(s.overTLS, line)
		} else {
			s.plain = append(s.plain, line)
		}
		s.mu.Unlock()

		reply, upgrade, done := s.respond(line, tlsOn)
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

func (s *script) respond(line string, tlsOn bool) (reply string, upgrade, done bool) {
	switch s.proto {
	case "imap":
		tag, cmd, _ := strings.Cut(line, " ")
		switch strings.ToUpper(cmd) {
		case "CAPABILITY":
			caps := "IMAP4rev1 AUTH=PLAIN AUTH=LOGIN ID"
			if !tlsOn {
				caps = "IMAP4rev1 LOGINDISABLED"
				if !s.noSTARTTLS {
					caps += " STARTTLS"
				}
			}
			return "* CAPABILITY " + caps + "\r\n" + tag + " OK CAPABILITY completed\r\n", false, false
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
		switch strings.ToUpper(line) {
		case "CAPA":
			if s.noCAPA {
				return "-ERR unknown command\r\n", false, false
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
			if tlsOn {
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
		}
		return "500 5.5.1 unknown command\r\n", false, false
	}
}
