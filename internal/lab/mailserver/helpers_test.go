package mailserver_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/internal/lab/certs"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	host     = "mail.lab.test"
	user     = "alice@lab.test"
	password = "s3cret"
	ioWait   = 10 * time.Second // a bound on every test read, so a bug fails instead of hanging
)

var users = map[string]string{user: password, "alice": password}

var labCA = sync.OnceValue(func() *certs.CA {
	ca, err := certs.NewCA("Mailserver Test CA")
	if err != nil {
		panic(err)
	}
	return ca
})

// leaf is a valid certificate for host and 127.0.0.1.
func leaf(t *testing.T) *tls.Certificate {
	t.Helper()
	cert, err := labCA().Leaf(host, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return &cert
}

// start serves cfg on a fresh loopback listener, with a valid certificate,
// the test users and host as defaults, and closes it when the test ends.
func start(t *testing.T, cfg mailserver.Config) *mailserver.Server {
	t.Helper()
	if cfg.Cert == nil && cfg.Security != mailserver.Plain {
		cfg.Cert = leaf(t)
	}
	if cfg.Users == nil {
		cfg.Users = users
	}
	if cfg.Hostname == "" {
		cfg.Hostname = host
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := mailserver.Serve(l, cfg)
	if err != nil {
		l.Close()
		t.Fatalf("Serve(%+v) = %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return srv
}

// clientTLS trusts only the lab CA and expects host.
func clientTLS() *tls.Config {
	return &tls.Config{RootCAs: labCA().Pool(), ServerName: host}
}

// dial opens a plain TCP connection to srv, closed when the test ends.
func dial(t *testing.T, srv *mailserver.Server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", srv.Addr().String(), ioWait)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(ioWait))
	t.Cleanup(func() { c.Close() })
	return c
}

// dialTLS opens an implicit-TLS connection to srv with cfg.
func dialTLS(t *testing.T, srv *mailserver.Server, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	d := &net.Dialer{Timeout: ioWait, Deadline: time.Now().Add(ioWait)}
	c, err := tls.DialWithDialer(d, "tcp", srv.Addr().String(), cfg)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(ioWait))
	t.Cleanup(func() { c.Close() })
	return c, nil
}

// mustDialTLS is dialTLS that fails the test on error.
func mustDialTLS(t *testing.T, srv *mailserver.Server) *tls.Conn {
	t.Helper()
	c, err := dialTLS(t, srv, clientTLS())
	if err != nil {
		t.Fatalf("tls.Dial() = %v", err)
	}
	return c
}

// wantCreds checks the credentials a server recorded.
func wantCreds(t *testing.T, srv *mailserver.Server, want ...mailserver.Credential) {
	t.Helper()
	got := srv.Credentials()
	if len(got) != len(want) {
		t.Fatalf("Credentials() = %+v, want %d: %+v", got, len(want), want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Protocol != w.Protocol || g.Username != w.Username || g.Password != w.Password ||
			g.TLS != w.TLS || g.Mechanism != w.Mechanism || g.Time.IsZero() {
			t.Errorf("Credentials()[%d] = %+v, want %+v", i, g, w)
		}
	}
}

// pop3 is a minimal POP3 client for the tests.
type pop3 struct {
	t    *testing.T
	conn net.Conn
	tp   *textproto.Conn
}

func newPOP3(t *testing.T, conn net.Conn) *pop3 {
	t.Helper()
	p := &pop3{t: t, conn: conn, tp: textproto.NewConn(conn)}
	greeting, err := p.tp.ReadLine()
	if err != nil || !strings.HasPrefix(greeting, "+OK ") {
		t.Fatalf("POP3 greeting = %q, %v; want +OK", greeting, err)
	}
	return p
}

// cmd sends a command and returns the text of a +OK reply, or an error
// holding a -ERR reply.
func (p *pop3) cmd(format string, args ...any) (string, error) {
	p.t.Helper()
	if err := p.tp.PrintfLine(format, args...); err != nil {
		p.t.Fatalf("POP3 send: %v", err)
	}
	return p.reply()
}

func (p *pop3) reply() (string, error) {
	p.t.Helper()
	line, err := p.tp.ReadLine()
	if err != nil {
		p.t.Fatalf("POP3 read: %v", err)
	}
	switch {
	case line == "+OK" || strings.HasPrefix(line, "+OK "):
		return strings.TrimPrefix(strings.TrimPrefix(line, "+OK"), " "), nil
	case strings.HasPrefix(line, "+ ") || line == "+":
		return strings.TrimPrefix(strings.TrimPrefix(line, "+"), " "), nil
	default:
		return "", errors.New(line)
	}
}

// ok is cmd that fails the test on -ERR.
func (p *pop3) ok(format string, args ...any) string {
	p.t.Helper()
	text, err := p.cmd(format, args...)
	if err != nil {
		p.t.Fatalf("POP3 %s = %v, want +OK", fmt.Sprintf(format, args...), err)
	}
	return text
}

// lines reads a multi-line body.
func (p *pop3) lines() []string {
	p.t.Helper()
	lines, err := p.tp.ReadDotLines()
	if err != nil {
		p.t.Fatalf("POP3 multi-line read: %v", err)
	}
	return lines
}

// capa returns the CAPA list.
func (p *pop3) capa() []string {
	p.t.Helper()
	p.ok("CAPA")
	return p.lines()
}

// stls upgrades to TLS.
func (p *pop3) stls() {
	p.t.Helper()
	p.ok("STLS")
	tc := tls.Client(p.conn, clientTLS())
	if err := tc.Handshake(); err != nil {
		p.t.Fatalf("POP3 STLS handshake: %v", err)
	}
	p.conn, p.tp = tc, textproto.NewConn(tc)
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if l == s {
			return true
		}
	}
	return false
}
