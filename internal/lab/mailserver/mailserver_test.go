package mailserver_test

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/internal/lab/certs"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

var protocols = []mailserver.Protocol{mailserver.IMAP, mailserver.POP3, mailserver.SMTP}

// greeting reads the first line a server sends.
func greeting(t *testing.T, c net.Conn) string {
	t.Helper()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("reading greeting: %v", err)
	}
	return line
}

func TestServeConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  mailserver.Config
	}{
		{"unknown protocol", mailserver.Config{Protocol: "nntp", Security: mailserver.Plain}},
		{"unknown security", mailserver.Config{Protocol: mailserver.IMAP, Security: "ssl"}},
		{"no protocol", mailserver.Config{Security: mailserver.Plain}},
		{"TLS without certificate", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.TLS}},
		{"STARTTLS without certificate", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS}},
		{"negative latency", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.Plain, Latency: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if _, err := mailserver.Serve(l, tt.cfg); !errors.Is(err, mailserver.ErrInvalidConfig) {
				t.Errorf("Serve(%+v) = %v, want ErrInvalidConfig", tt.cfg, err)
			}
		})
	}
	if _, err := mailserver.Serve(nil, mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.Plain}); !errors.Is(err, mailserver.ErrInvalidConfig) {
		t.Errorf("Serve(nil) = %v, want ErrInvalidConfig", err)
	}
}

func TestSilent(t *testing.T) {
	for _, p := range protocols {
		for _, sec := range []mailserver.Security{mailserver.TLS, mailserver.StartTLS, mailserver.Plain} {
			t.Run(fmt.Sprintf("%s/%s", p, sec), func(t *testing.T) {
				srv := start(t, mailserver.Config{Protocol: p, Security: sec, Silent: true})
				c := dial(t, srv)
				c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
				var buf [64]byte
				n, err := c.Read(buf[:])
				var ne net.Error
				if n != 0 || !errors.As(err, &ne) || !ne.Timeout() {
					t.Errorf("Read() = %d, %v; want 0 bytes and a timeout", n, err)
				}
				if got := srv.Connections(); got != 1 {
					t.Errorf("Connections() = %d, want 1", got)
				}

				// Close drops the held connection.
				if err := srv.Close(); err != nil {
					t.Fatalf("Close() = %v", err)
				}
				c.SetReadDeadline(time.Now().Add(ioWait))
				if n, err := c.Read(buf[:]); n != 0 || err == nil || errors.As(err, &ne) && ne.Timeout() {
					t.Errorf("Read() after Close = %d, %v; want the connection closed", n, err)
				}
			})
		}
	}
}

func TestLatency(t *testing.T) {
	const latency = 150 * time.Millisecond
	for _, p := range protocols {
		for _, sec := range []mailserver.Security{mailserver.Plain, mailserver.TLS} {
			t.Run(fmt.Sprintf("%s/%s", p, sec), func(t *testing.T) {
				srv := start(t, mailserver.Config{Protocol: p, Security: sec, Latency: latency})
				begin := time.Now()
				var c net.Conn
				want := latency
				if sec == mailserver.TLS {
					c = mustDialTLS(t, srv)
					want = 2 * latency // the server's handshake flight, then the greeting
				} else {
					c = dial(t, srv)
				}
				greeting(t, c)
				if got := time.Since(begin); got < want {
					t.Errorf("greeting after %v, want no earlier than %v", got, want)
				}
			})
		}
	}
}

func TestBadCertificates(t *testing.T) {
	ca := labCA()
	expired, err := ca.Expired(host, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	self, err := certs.SelfSigned(host, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := ca.Leaf("other.lab.test")
	if err != nil {
		t.Fatal(err)
	}
	certsByName := []struct {
		name  string
		cert  tls.Certificate
		check func(error) bool
	}{
		{"expired", expired, func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.Expired
		}},
		{"self-signed", self, func(err error) bool {
			var e x509.UnknownAuthorityError
			return errors.As(err, &e)
		}},
		{"wrong name", other, func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e)
		}},
	}
	for _, p := range protocols {
		for _, tc := range certsByName {
			t.Run(fmt.Sprintf("%s/%s", p, tc.name), func(t *testing.T) {
				srv := start(t, mailserver.Config{Protocol: p, Security: mailserver.TLS, Cert: &tc.cert})
				if _, err := dialTLS(t, srv, clientTLS()); !tc.check(err) {
					t.Errorf("tls.Dial() = %v, want a %s verification error", err, tc.name)
				}
				// The certificate is served all the same.
				c, err := dialTLS(t, srv, &tls.Config{InsecureSkipVerify: true})
				if err != nil {
					t.Fatalf("tls.Dial(InsecureSkipVerify) = %v", err)
				}
				if got := c.ConnectionState().PeerCertificates[0]; !got.Equal(tc.cert.Leaf) {
					t.Errorf("served certificate %q, want %q", got.Subject, tc.cert.Leaf.Subject)
				}
				greeting(t, c)
			})
		}
	}
}

func TestMinTLSVersion(t *testing.T) {
	tests := []struct {
		name     string
		min      uint16 // server
		cmin     uint16 // client
		cmax     uint16
		wantFail bool
	}{
		{"default refuses TLS 1.1", 0, tls.VersionTLS10, tls.VersionTLS11, true},
		{"default accepts TLS 1.2", 0, tls.VersionTLS12, tls.VersionTLS12, false},
		{"TLS 1.3 only refuses TLS 1.2", tls.VersionTLS13, tls.VersionTLS12, tls.VersionTLS12, true},
		{"lowered to TLS 1.0", tls.VersionTLS10, tls.VersionTLS10, tls.VersionTLS10, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.TLS, MinTLSVersion: tt.min})
			cfg := clientTLS()
			cfg.MinVersion, cfg.MaxVersion = tt.cmin, tt.cmax
			c, err := dialTLS(t, srv, cfg)
			if (err != nil) != tt.wantFail {
				t.Fatalf("tls.Dial(%s..%s) = %v, want failure %v", tls.VersionName(tt.cmin), tls.VersionName(tt.cmax), err, tt.wantFail)
			}
			if err == nil {
				greeting(t, c)
			}
		})
	}
}

func TestConnections(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.Plain})
	for i := 1; i <= 3; i++ {
		greeting(t, dial(t, srv))
		if got := srv.Connections(); got != i {
			t.Errorf("Connections() = %d, want %d", got, i)
		}
	}
	if got := srv.Addr().String(); !strings.HasPrefix(got, "127.0.0.1:") {
		t.Errorf("Addr() = %s, want 127.0.0.1:port", got)
	}
}

// TestClose proves that Close ends connections in every state promptly and
// leaves no goroutine behind.
func TestClose(t *testing.T) {
	for _, p := range protocols {
		for _, sec := range []mailserver.Security{mailserver.TLS, mailserver.StartTLS, mailserver.Plain} {
			t.Run(fmt.Sprintf("%s/%s", p, sec), func(t *testing.T) {
				defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
				l, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				cfg := mailserver.Config{Protocol: p, Security: sec, Cert: leaf(t), Users: users}
				srv, err := mailserver.Serve(l, cfg)
				if err != nil {
					t.Fatal(err)
				}
				slowL, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				cfg.Latency = time.Hour
				slow, err := mailserver.Serve(slowL, cfg)
				if err != nil {
					t.Fatal(err)
				}

				var conns []net.Conn
				defer func() {
					for _, c := range conns {
						c.Close()
					}
				}()
				dialRaw := func(s *mailserver.Server) net.Conn {
					c, err := net.DialTimeout("tcp", s.Addr().String(), ioWait)
					if err != nil {
						t.Fatal(err)
					}
					conns = append(conns, c)
					return c
				}
				// Idle after the greeting (TLS handshake done where needed).
				if sec == mailserver.TLS {
					c := tls.Client(dialRaw(srv), clientTLS())
					c.SetDeadline(time.Now().Add(ioWait))
					greeting(t, c)
				} else {
					c := dialRaw(srv)
					c.SetDeadline(time.Now().Add(ioWait))
					greeting(t, c)
				}
				// Connected, nothing sent: a TLS server waits in its handshake.
				dialRaw(srv)
				// A greeting an hour away.
				dialRaw(slow)
				for srv.Connections() < 2 || slow.Connections() < 1 {
					time.Sleep(time.Millisecond)
				}

				begin := time.Now()
				if err := srv.Close(); err != nil {
					t.Errorf("Close() = %v", err)
				}
				if err := slow.Close(); err != nil {
					t.Errorf("slow Close() = %v", err)
				}
				if d := time.Since(begin); d > 2*time.Second {
					t.Errorf("Close() took %v, want it prompt", d)
				}
				if err := srv.Close(); err != nil {
					t.Errorf("second Close() = %v, want nil", err)
				}
				if _, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second); err == nil {
					t.Errorf("dial after Close succeeded, want the listener closed")
				}
			})
		}
	}
}

func ExampleServe() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv, err := mailserver.Serve(l, mailserver.Config{
		Protocol: mailserver.SMTP,
		Security: mailserver.Plain,
		Hostname: "mail.example.test",
		Users:    map[string]string{"alice@example.test": "secret"},
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Print(line)
	// Output: 220 mail.example.test ESMTP Service Ready
}
