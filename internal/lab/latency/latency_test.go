package latency_test

import (
	"net"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/internal/lab/latency"
)

// TestOneDelayPerResponse: a response written in several pieces waits once;
// the next response after the peer spoke waits again. Only lower bounds are
// asserted, never upper ones.
func TestOneDelayPerResponse(t *testing.T) {
	const d = 50 * time.Millisecond
	client, server := net.Pipe()
	defer client.Close()
	s := latency.Conn(server, d)
	defer s.Close()
	go func() {
		s.Write([]byte("a"))
		s.Write([]byte("b"))
		buf := make([]byte, 1)
		s.Read(buf)
		s.Write([]byte("c"))
	}()
	start := time.Now()
	buf := make([]byte, 2)
	if _, err := client.Read(buf[:1]); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < d {
		t.Errorf("first response after %s, want at least %s", el, d)
	}
	client.Read(buf[1:])
	client.Write([]byte("q"))
	mid := time.Now()
	if _, err := client.Read(buf[:1]); err != nil || buf[0] != 'c' {
		t.Fatalf("Read = %q, %v", buf[:1], err)
	}
	if el := time.Since(mid); el < d {
		t.Errorf("second response after %s, want at least %s", el, d)
	}
	if c := latency.Conn(server, 0); c != server {
		t.Errorf("Conn(c, 0) wraps c, want c itself")
	}
}
