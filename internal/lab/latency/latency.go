// Package latency simulates network round trips in user space for the test
// worlds (kernel netem is not available here): a server connection waits
// one delay before each of its responses.
package latency

import (
	"net"
	"sync"
	"time"
)

// Listener returns ln whose accepted connections are wrapped by [Conn].
// A delay of zero or less returns ln itself.
func Listener(ln net.Listener, delay time.Duration) net.Listener {
	if delay <= 0 {
		return ln
	}
	return &listener{Listener: ln, delay: delay}
}

// Conn returns c with one simulated round trip per server response: it
// waits before the first write after the peer spoke (and before the very
// first write), however many writes the response takes. Beneath TLS, each
// handshake flight counts as a response. A delay of zero or less returns c.
func Conn(c net.Conn, delay time.Duration) net.Conn {
	if delay <= 0 {
		return c
	}
	return &conn{Conn: c, delay: delay}
}

type listener struct {
	net.Listener
	delay time.Duration
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	return Conn(c, l.delay), nil
}

type conn struct {
	net.Conn
	delay time.Duration

	mu    sync.Mutex
	heard bool // the peer sent something since our last write
	spoke bool // we wrote before
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.heard = true
		c.mu.Unlock()
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	wait := c.heard || !c.spoke
	c.heard, c.spoke = false, true
	c.mu.Unlock()
	if wait {
		time.Sleep(c.delay)
	}
	return c.Conn.Write(p)
}
