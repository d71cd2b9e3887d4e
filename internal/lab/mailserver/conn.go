package mailserver

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"time"
)

// listener hands out every accepted connection as a labConn, beneath any TLS.
type listener struct {
	net.Listener
	s *Server
}

// Accept waits for the next connection and tracks it.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.s.track(c), nil
}

// track wraps a raw accepted connection and registers it with the server.
func (s *Server) track(raw net.Conn) *labConn {
	c := &labConn{Conn: raw, s: s}
	if s.cfg.Security == StartTLS && !s.cfg.NoSTARTTLS && !s.cfg.Silent {
		switch s.cfg.Protocol {
		case IMAP, SMTP:
			// POP3 is handled here and records refused credentials itself.
			c.sniff = &sniffer{proto: s.cfg.Protocol, record: func(mech, user, pass string) {
				s.record(mech, user, pass, false)
			}}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accepted++
	s.conns[c] = struct{}{}
	s.connWG.Add(1)
	if s.closed {
		c.stop()
	}
	return c
}

// untrack forgets a closed connection.
func (s *Server) untrack(c *labConn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.connWG.Done()
}

// aLongTimeAgo is a deadline that makes every pending and future I/O fail.
var aLongTimeAgo = time.Unix(1, 0)

// labConn is an accepted connection as the server sees it on the wire: it
// delays writes by the configured latency, watches plain-text input for
// credentials when asked, and lets Close cut it off.
type labConn struct {
	net.Conn
	s     *Server
	sniff *sniffer // nil unless credentials in plain text are watched for

	mu      sync.Mutex
	stopped bool
	// asked: the client sent STARTTLS (STLS) and the answer has not been
	// written yet (Config.InjectAfterSTARTTLS).
	asked bool
	heard bool // the client sent something since the server last wrote
	spoke bool // the server has written before

	closeOnce sync.Once
	closeErr  error
}

// Read reads from the connection and shows plain text to the sniffer.
func (c *labConn) Read(p []byte) (int, error) {
	for {
		n, err := c.Conn.Read(p)
		if n > 0 {
			c.mu.Lock()
			c.heard = true
			c.mu.Unlock()
		}
		if c.sniff != nil && n > 0 {
			c.sniff.feed(p[:n])
		}
		n = c.starttls(p[:n])
		if n > 0 || err != nil {
			return n, err
		}
	}
}

// starttls applies Config.RefuseSTARTTLS and InjectAfterSTARTTLS to what
// the client sent in plain text, b (a STARTTLS command arrives in one read
// from the probes that use these knobs). A refused command is answered here
// and never reaches the protocol code; the length of what remains is
// returned.
func (c *labConn) starttls(b []byte) int {
	cfg := c.s.cfg
	if cfg.Security != StartTLS || !cfg.RefuseSTARTTLS && cfg.InjectAfterSTARTTLS == "" {
		return len(b)
	}
	line, _, ok := bytes.Cut(b, []byte("\n"))
	if !ok || len(line) > 64 {
		return len(b)
	}
	fields := strings.Fields(string(line))
	if len(fields) == 0 || len(fields) > 2 {
		return len(b)
	}
	verb := strings.ToUpper(fields[len(fields)-1])
	if verb != "STARTTLS" && verb != "STLS" {
		return len(b)
	}
	if !cfg.RefuseSTARTTLS {
		c.mu.Lock()
		c.asked = true
		c.mu.Unlock()
		return len(b)
	}
	var answer string
	switch cfg.Protocol {
	case IMAP:
		answer = fields[0] + " NO [UNAVAILABLE] TLS not available\r\n" // RFC 9051 §6.2.1
	case POP3:
		answer = "-ERR TLS not available\r\n" // RFC 2595 §4
	default:
		answer = "454 4.7.0 TLS not available due to temporary reason\r\n" // RFC 3207 §4
	}
	c.Conn.Write([]byte(answer))
	rest := len(line) + 1
	return copy(b, b[rest:])
}

// Write waits the configured latency before the first write of each
// response (the first write after the client spoke, or the greeting), then
// writes: one simulated round trip per exchange however many writes the
// response takes. A server being closed cuts the wait short.
func (c *labConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	wait := c.heard || !c.spoke
	c.heard, c.spoke = false, true
	inject := c.asked
	c.asked = false
	c.mu.Unlock()
	if d := c.s.cfg.Latency; d > 0 && wait {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-c.s.stopping:
			t.Stop()
			return 0, &net.OpError{Op: "write", Net: "tcp", Addr: c.RemoteAddr(), Err: net.ErrClosed}
		}
	}
	if inject {
		// The answer to STARTTLS and the injected bytes go in one write.
		n, err := c.Conn.Write(append(append([]byte(nil), p...), c.s.cfg.InjectAfterSTARTTLS...))
		return min(n, len(p)), err
	}
	return c.Conn.Write(p)
}

// Close closes the connection once and tells the server it is gone.
func (c *labConn) Close() error {
	c.closeOnce.Do(func() {
		c.closeErr = c.Conn.Close()
		c.s.untrack(c)
	})
	return c.closeErr
}

// SetDeadline sets the deadlines unless the server is stopping.
func (c *labConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	return c.Conn.SetDeadline(t)
}

// SetReadDeadline sets the read deadline unless the server is stopping.
func (c *labConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline unless the server is stopping.
func (c *labConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopped {
		return nil
	}
	return c.Conn.SetWriteDeadline(t)
}

// stop makes every read and write on the connection fail from now on, so the
// goroutine serving it finishes and closes it. Deadlines the protocol code
// sets later are ignored.
func (c *labConn) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	c.Conn.SetDeadline(aLongTimeAgo)
}
