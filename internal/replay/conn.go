package replay

import (
	"net"
	"sync"
	"time"
)

// slowListener hands out connections whose writes wait one latency per
// exchange, beneath any TLS.
type slowListener struct {
	net.Listener
	delay time.Duration
}

// Accept waits for the next connection and wraps it when there is a delay.
func (l *slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.delay <= 0 {
		return c, err
	}
	return &slowConn{Conn: c, delay: l.delay}, nil
}

// slowConn simulates one network round trip per server response: it
// waits before the first write after the peer spoke (and before the very
// first write), however many writes the response takes. Beneath TLS, each
// handshake flight of the server counts as a response.
type slowConn struct {
	net.Conn
	delay time.Duration

	mu    sync.Mutex
	heard bool // the peer sent something since our last write
	spoke bool // we wrote before
}

// Read reads and notes that the peer spoke.
func (c *slowConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.heard = true
		c.mu.Unlock()
	}
	return n, err
}

// Write waits one delay if this write starts a response, then writes.
func (c *slowConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	wait := c.heard || !c.spoke
	c.heard, c.spoke = false, true
	c.mu.Unlock()
	if wait {
		time.Sleep(c.delay)
	}
	return c.Conn.Write(p)
}
