package probe_test

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

// labServer starts a lab mail server (go-imap's imapserver, go-smtp's
// server, the lab's POP3) on 127.0.0.1 and returns its port.
func labServer(t *testing.T, cfg mailserver.Config) (int, *mailserver.Server) {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = host
	}
	if cfg.Users == nil {
		cfg.Users = map[string]string{"alice@example.test": "secret"}
	}
	srv, err := mailserver.Serve(l, cfg)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port, srv
}

// TestLab probes real protocol servers of every protocol and security.
func TestLab(t *testing.T) {
	t.Parallel()
	secs := map[autoconfig.Security]mailserver.Security{
		autoconfig.TLS: mailserver.TLS, autoconfig.STARTTLS: mailserver.StartTLS, autoconfig.Plain: mailserver.Plain,
	}
	for _, proto := range []autoconfig.Protocol{autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP} {
		for _, sec := range []autoconfig.Security{autoconfig.TLS, autoconfig.STARTTLS, autoconfig.Plain} {
			t.Run(string(proto)+"/"+string(sec), func(t *testing.T) {
				t.Parallel()
				cert := must(ca(t).Leaf(host))
				port, srv := labServer(t, mailserver.Config{
					Protocol: mailserver.Protocol(proto), Security: secs[sec], Cert: &cert,
				})
				r := probe.Probe(context.Background(), probe.Target{Protocol: proto, Host: host, Port: port, Security: sec}, options(t))
				want(t, r, probe.StatusOK, "")
				if len(r.Capabilities) == 0 {
					t.Errorf("Capabilities empty")
				}
				// A lab Plain server never offers TLS.
				if wantOffered := sec == autoconfig.STARTTLS; r.STARTTLSOffered != wantOffered {
					t.Errorf("STARTTLSOffered = %v, want %v", r.STARTTLSOffered, wantOffered)
				}
				if sec != autoconfig.Plain {
					if r.Cert == nil || !r.Cert.Valid || r.TLSVersion != "TLS 1.3" {
						t.Errorf("Cert, TLSVersion = %+v, %q; want valid over TLS 1.3", r.Cert, r.TLSVersion)
					}
					// Over TLS the servers offer password mechanisms; an IMAP
					// server no longer says LOGINDISABLED.
					if !slices.Contains(r.SASL, "PLAIN") || r.LoginDisabled {
						t.Errorf("SASL, LoginDisabled = %q, %v; want PLAIN and login allowed over TLS", r.SASL, r.LoginDisabled)
					}
					for _, c := range r.Capabilities {
						if k, _, _ := strings.Cut(c, " "); strings.EqualFold(k, "STARTTLS") || strings.EqualFold(k, "STLS") {
							t.Errorf("Capabilities over TLS = %q, hold the plaintext STARTTLS", r.Capabilities)
						}
					}
				}
				if sec == autoconfig.STARTTLS && r.Greeting != "" {
					t.Errorf("Greeting = %q, want none after STARTTLS", r.Greeting)
				}
				if sec != autoconfig.STARTTLS && r.Greeting == "" {
					t.Errorf("Greeting empty")
				}
				if creds := srv.Credentials(); len(creds) != 0 {
					t.Errorf("server received credentials %+v, want none", creds)
				}
			})
		}
	}
}

// TestLabFaults probes lab servers told to misbehave.
func TestLabFaults(t *testing.T) {
	t.Parallel()
	expired := must(ca(t).Expired(host))
	self := must(certs.SelfSigned(host))
	wrong := must(ca(t).Leaf("other.example.test"))
	tests := []struct {
		name    string
		cfg     mailserver.Config
		sec     autoconfig.Security
		timeout time.Duration
		want    probe.Status
		problem probe.CertProblem
		errSub  string
	}{
		{"imap stripped", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.StartTLS, NoSTARTTLS: true},
			autoconfig.STARTTLS, 0, probe.StatusProtocolError, "", "STARTTLS not offered"},
		{"pop3 stripped", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.StartTLS, NoSTARTTLS: true},
			autoconfig.STARTTLS, 0, probe.StatusProtocolError, "", "STLS not offered"},
		{"smtp stripped", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS, NoSTARTTLS: true},
			autoconfig.STARTTLS, 0, probe.StatusProtocolError, "", "STARTTLS not offered"},
		{"silent", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.TLS, Silent: true},
			autoconfig.TLS, 300 * time.Millisecond, probe.StatusTimeout, "", "TLS handshake"},
		{"slow but in budget", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS, Latency: 20 * time.Millisecond},
			autoconfig.STARTTLS, 0, probe.StatusOK, "", ""},
		{"too slow", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.Plain, Latency: time.Second},
			autoconfig.Plain, 300 * time.Millisecond, probe.StatusTimeout, "", "reading POP3 greeting"},
		{"expired", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.TLS, Cert: &expired},
			autoconfig.TLS, 0, probe.StatusTLSError, probe.ProblemExpired, "certificate expired"},
		{"self-signed", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS, Cert: &self},
			autoconfig.STARTTLS, 0, probe.StatusTLSError, probe.ProblemUntrusted, "trusted authority"},
		{"wrong name", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.TLS, Cert: &wrong},
			autoconfig.TLS, 0, probe.StatusTLSError, probe.ProblemNameMismatch, "not valid for mail.example.test"},
		{"imap refused", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.StartTLS, RefuseSTARTTLS: true},
			autoconfig.STARTTLS, 0, probe.StatusProtocolError, "", "STARTTLS was advertised, then refused (NO)"},
		{"pop3 refused", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.StartTLS, RefuseSTARTTLS: true},
			autoconfig.STARTTLS, 0, probe.StatusProtocolError, "", "STLS was advertised, then refused (-ERR)"},
		{"smtp refused", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS, RefuseSTARTTLS: true},
			autoconfig.STARTTLS, 0, probe.StatusProtocolError, "", "STARTTLS was advertised, then refused (server replied 454)"},
		{"imap injection", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.StartTLS, InjectAfterSTARTTLS: "* OK [ALERT] injected\r\n"},
			autoconfig.STARTTLS, 0, probe.StatusOK, "", ""},
		{"pop3 injection", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.StartTLS, InjectAfterSTARTTLS: "* OK [ALERT] injected\r\n"},
			autoconfig.STARTTLS, 0, probe.StatusOK, "", ""},
		{"smtp injection", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS, InjectAfterSTARTTLS: "* OK [ALERT] injected\r\n"},
			autoconfig.STARTTLS, 0, probe.StatusOK, "", ""},
		{"TLS 1.3 only", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.StartTLS, MinTLSVersion: tls.VersionTLS13},
			autoconfig.STARTTLS, 0, probe.StatusOK, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			if cfg.Cert == nil && !cfg.Silent {
				c := must(ca(t).Leaf(host))
				cfg.Cert = &c
			}
			port, srv := labServer(t, cfg)
			opts := options(t)
			if tt.timeout > 0 {
				opts.Timeout = tt.timeout
			}
			r := probe.Probe(context.Background(), probe.Target{Protocol: autoconfig.Protocol(cfg.Protocol), Host: host, Port: port, Security: tt.sec}, opts)
			want(t, r, tt.want, tt.errSub)
			if n := len(tt.cfg.InjectAfterSTARTTLS); r.STARTTLSInjected != n {
				t.Errorf("STARTTLSInjected = %d, want %d", r.STARTTLSInjected, n)
			}
			if tt.cfg.RefuseSTARTTLS {
				wantKind(t, r, probe.ErrSTARTTLSRefused)
			}
			if tt.problem != "" && (r.Cert == nil || r.Cert.Problem != tt.problem) {
				t.Errorf("Cert = %+v, want problem %q", r.Cert, tt.problem)
			}
			if creds := srv.Credentials(); len(creds) != 0 {
				t.Errorf("server received credentials %+v, want none", creds)
			}
		})
	}
}
