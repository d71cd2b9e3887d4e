package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const host = "mail.example.test"

var testCA = sync.OnceValues(func() (*certs.CA, error) { return certs.NewCA("Probe test CA") })

func ca(t *testing.T) *certs.CA {
	t.Helper()
	c, err := testCA()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// must unwraps a certificate helper's result; they fail only when the
// system's random source does.
func must(c tls.Certificate, err error) tls.Certificate {
	if err != nil {
		panic(err)
	}
	return c
}

func loopback4(context.Context, string) ([]netip.Addr, error) {
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

func options(t *testing.T) *probe.Options {
	return &probe.Options{LookupIP: loopback4, RootCAs: ca(t).Pool(), Timeout: 5 * time.Second}
}

// run starts s on 127.0.0.1 and probes it.
func run(t *testing.T, s *script, proto autoconfig.Protocol, sec autoconfig.Security, opts *probe.Options, identities ...string) probe.Result {
	t.Helper()
	port := s.listen(t, "tcp4", "")
	return probe.Probe(context.Background(), probe.Target{
		Protocol: proto, Host: host, Port: port, Security: sec, Identities: identities,
	}, opts)
}

func want(t *testing.T, r probe.Result, status probe.Status, errSub string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("Probe() status = %q (%s), want %q", r.Status, r.Error, status)
	}
	if status == probe.StatusOK && r.Error != "" {
		t.Errorf("Probe() = ok with error %q", r.Error)
	}
	if !strings.Contains(r.Error, errSub) {
		t.Errorf("Probe() error = %q, want it to contain %q", r.Error, errSub)
	}
	where := net.JoinHostPort(r.Target.Host, strconv.Itoa(r.Target.Port))
	if strings.HasPrefix(r.Error, "probe:") {
		t.Errorf("Probe() error = %q, want a sentence for people, without the package prefix", r.Error)
	}
	if (r.Err == nil) != (status == probe.StatusOK) {
		t.Errorf("Probe() Err = %v with status %q", r.Err, r.Status)
	}
	if r.Err != nil && (probe.KindOf(r.Err) == nil || !strings.HasPrefix(r.Err.Error(), "probe: "+where+": ")) {
		t.Errorf("Probe() Err = %v, want a kind of failure, the probe: prefix and the server", r.Err)
	}
}

// wantKind checks the kind of failure of a probe.
func wantKind(t *testing.T, r probe.Result, kind error) {
	t.Helper()
	if !errors.Is(r.Err, kind) {
		t.Errorf("Probe() Err = %v (kind %v), want errors.Is %v", r.Err, probe.KindOf(r.Err), kind)
	}
}

// TestSuccess probes well-behaved servers of every protocol and security.
func TestSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		proto    autoconfig.Protocol
		sec      autoconfig.Security
		greeting string // "" when none is expected
		caps     []string
		sasl     []string
		// resent is the command the probe must send over TLS to learn the
		// capabilities again.
		resent string
	}{
		{autoconfig.IMAP, autoconfig.TLS, "* OK IMAP server ready", []string{"IMAP4rev1", "AUTH=PLAIN", "AUTH=LOGIN", "ID"}, []string{"PLAIN", "LOGIN"}, "b1 CAPABILITY"},
		{autoconfig.IMAP, autoconfig.STARTTLS, "", []string{"IMAP4rev1", "AUTH=PLAIN", "AUTH=LOGIN", "ID"}, []string{"PLAIN", "LOGIN"}, "b1 CAPABILITY"},
		{autoconfig.IMAP, autoconfig.Plain, "* OK IMAP server ready", []string{"IMAP4rev1", "LOGINDISABLED", "STARTTLS"}, nil, ""},
		{autoconfig.POP3, autoconfig.TLS, "+OK POP3 server ready", []string{"TOP", "USER", "SASL PLAIN LOGIN", ".DOTTED"}, []string{"PLAIN", "LOGIN"}, "CAPA"},
		{autoconfig.POP3, autoconfig.STARTTLS, "", []string{"TOP", "USER", "SASL PLAIN LOGIN", ".DOTTED"}, []string{"PLAIN", "LOGIN"}, "CAPA"},
		{autoconfig.POP3, autoconfig.Plain, "+OK POP3 server ready", []string{"TOP", "USER", "STLS", "SASL X-PLAINTEXT-ONLY"}, []string{"X-PLAINTEXT-ONLY"}, ""},
		{autoconfig.SMTP, autoconfig.TLS, "220 mail.example.test ESMTP ready", []string{"PIPELINING", "AUTH PLAIN LOGIN", "SIZE 10240000"}, []string{"PLAIN", "LOGIN"}, "EHLO [127.0.0.1]"},
		{autoconfig.SMTP, autoconfig.STARTTLS, "", []string{"PIPELINING", "AUTH PLAIN LOGIN", "SIZE 10240000"}, []string{"PLAIN", "LOGIN"}, "EHLO [127.0.0.1]"},
		{autoconfig.SMTP, autoconfig.Plain, "220 mail.example.test ESMTP ready", []string{"PIPELINING", "AUTH X-PLAINTEXT-ONLY", "STARTTLS", "SIZE 10240000"}, []string{"X-PLAINTEXT-ONLY"}, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.proto)+"/"+string(tt.sec), func(t *testing.T) {
			t.Parallel()
			s := &script{proto: string(tt.proto), implicit: tt.sec == autoconfig.TLS, cert: must(ca(t).Leaf(host))}
			r := run(t, s, tt.proto, tt.sec, options(t))
			want(t, r, probe.StatusOK, "")
			if r.Greeting != tt.greeting {
				t.Errorf("Greeting = %q, want %q", r.Greeting, tt.greeting)
			}
			if !slices.Equal(r.Capabilities, tt.caps) {
				t.Errorf("Capabilities = %q, want %q", r.Capabilities, tt.caps)
			}
			if !slices.Equal(r.SASL, tt.sasl) {
				t.Errorf("SASL = %q, want %q", r.SASL, tt.sasl)
			}
			if wantOffered := tt.sec != autoconfig.TLS; r.STARTTLSOffered != wantOffered {
				t.Errorf("STARTTLSOffered = %v, want %v", r.STARTTLSOffered, wantOffered)
			}
			if wantLD := tt.proto == autoconfig.IMAP && tt.sec == autoconfig.Plain; r.LoginDisabled != wantLD {
				t.Errorf("LoginDisabled = %v, want %v", r.LoginDisabled, wantLD)
			}
			if r.Address == "" || len(r.Addresses) != 1 || r.Addresses[0].Network != "tcp4" || r.Addresses[0].Error != "" {
				t.Errorf("Address = %q, Addresses = %+v, want one tcp4 success", r.Address, r.Addresses)
			}
			if r.Elapsed <= 0 {
				t.Errorf("Elapsed = %v", r.Elapsed)
			}
			s.stop()
			plain, overTLS := s.received()
			if tt.sec == autoconfig.Plain {
				if r.Cert != nil || r.TLSVersion != "" {
					t.Errorf("plain probe has TLS data: %+v %q", r.Cert, r.TLSVersion)
				}
				return
			}
			if r.TLSVersion != "TLS 1.3" || r.CipherSuite == "" {
				t.Errorf("TLSVersion, CipherSuite = %q, %q, want TLS 1.3 and a suite", r.TLSVersion, r.CipherSuite)
			}
			c := r.Cert
			if c == nil || !c.Valid || c.Problem != "" || c.MatchedName != host || len(c.Chain) != 2 ||
				!slices.Equal(c.DNSNames, []string{host}) || !strings.Contains(c.Subject, host) ||
				!strings.Contains(c.Issuer, "Probe test CA") || c.NotAfter.Before(time.Now()) {
				t.Errorf("Cert = %+v, want a valid certificate for %s", c, host)
			}
			if len(overTLS) == 0 || overTLS[0] != tt.resent {
				t.Errorf("commands over TLS = %q, want first %q", overTLS, tt.resent)
			}
			if tt.sec == autoconfig.TLS && len(plain) != 0 {
				t.Errorf("plaintext commands on implicit TLS: %q", plain)
			}
			for _, cmd := range append(plain, overTLS...) {
				if u := strings.ToUpper(cmd); strings.Contains(u, "LOGIN ") || strings.Contains(u, "AUTH") ||
					strings.HasPrefix(u, "USER") || strings.HasPrefix(u, "PASS") {
					t.Errorf("probe sent a credential command %q", cmd)
				}
			}
			if len(overTLS) == 0 {
				return
			}
			if last := overTLS[len(overTLS)-1]; !strings.Contains(strings.ToUpper(last), map[autoconfig.Protocol]string{
				autoconfig.IMAP: "LOGOUT", autoconfig.POP3: "QUIT", autoconfig.SMTP: "QUIT"}[tt.proto]) {
				t.Errorf("last command = %q, want a polite goodbye", last)
			}
		})
	}
}

// TestSTARTTLSFailsClosed runs the STARTTLS attacks and refusals: each must
// end in protocol-error, never in a plaintext success, with the kind of
// failure that says what happened (advertised then refused is not "not
// offered").
func TestSTARTTLSFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		proto  autoconfig.Protocol
		s      script
		errSub string
		kind   error
		// sentPlain are the plaintext commands the server may see, at most.
		sentPlain []string
	}{
		{"imap/not offered", autoconfig.IMAP, script{noSTARTTLS: true}, "STARTTLS not offered", probe.ErrSTARTTLSMissing, []string{"a1 CAPABILITY"}},
		{"imap/NO", autoconfig.IMAP, script{reply: "%s NO TLS unavailable\r\n"}, "STARTTLS was advertised, then refused (NO)", probe.ErrSTARTTLSRefused, nil},
		{"imap/BAD", autoconfig.IMAP, script{reply: "%s BAD unknown command\r\n"}, "STARTTLS was advertised, then refused (BAD)", probe.ErrSTARTTLSRefused, nil},
		{"imap/BYE", autoconfig.IMAP, script{reply: "* BYE go away\r\n"}, "server closed the session", probe.ErrProtocol, nil},
		{"imap/PREAUTH", autoconfig.IMAP, script{greeting: "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in\r\n"}, "greeted with PREAUTH before STARTTLS", probe.ErrPreauth, []string{}},
		{"imap/greeting BYE", autoconfig.IMAP, script{greeting: "* BYE overloaded\r\n"}, "refused the connection", probe.ErrProtocol, []string{}},
		{"imap/prefix alert", autoconfig.IMAP, script{reply: "* OK [ALERT] prefix\r\n%s NO not now\r\n"}, "STARTTLS was advertised, then refused (NO)", probe.ErrSTARTTLSRefused, nil},
		{"pop3/not offered", autoconfig.POP3, script{noSTARTTLS: true}, "STLS not offered", probe.ErrSTARTTLSMissing, []string{"CAPA"}},
		{"pop3/no CAPA", autoconfig.POP3, script{noCAPA: true}, "STLS not offered", probe.ErrSTARTTLSMissing, []string{"CAPA"}},
		{"pop3/-ERR", autoconfig.POP3, script{reply: "-ERR not now\r\n"}, "STLS was advertised, then refused (-ERR)", probe.ErrSTARTTLSRefused, nil},
		{"pop3/bad greeting", autoconfig.POP3, script{greeting: "-ERR go away\r\n"}, "unexpected POP3 greeting", probe.ErrProtocol, []string{}},
		{"smtp/not offered", autoconfig.SMTP, script{noSTARTTLS: true}, "STARTTLS not offered", probe.ErrSTARTTLSMissing, []string{"EHLO [127.0.0.1]"}},
		{"smtp/454", autoconfig.SMTP, script{reply: "454 4.7.0 TLS not available\r\n"}, "STARTTLS was advertised, then refused (server replied 454)", probe.ErrSTARTTLSRefused, nil},
		{"smtp/501", autoconfig.SMTP, script{reply: "501 5.5.4 syntax error\r\n"}, "refused (server replied 501)", probe.ErrSTARTTLSRefused, nil},
		{"smtp/250", autoconfig.SMTP, script{reply: "250 sure\r\n"}, "refused (server replied 250)", probe.ErrSTARTTLSRefused, nil},
		{"smtp/greeting 554", autoconfig.SMTP, script{greeting: "554 5.3.2 no service\r\n"}, "server replied 554", probe.ErrProtocol, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.s
			s.proto = string(tt.proto)
			s.cert = must(ca(t).Leaf(host))
			r := run(t, &s, tt.proto, autoconfig.STARTTLS, options(t))
			want(t, r, probe.StatusProtocolError, tt.errSub)
			wantKind(t, r, tt.kind)
			if r.Capabilities != nil || r.SASL != nil || r.Greeting != "" || r.LoginDisabled {
				t.Errorf("failed STARTTLS probe kept plaintext data: caps %q, SASL %q, greeting %q, LOGINDISABLED %v",
					r.Capabilities, r.SASL, r.Greeting, r.LoginDisabled)
			}
			s.stop()
			plain, overTLS := s.received()
			if len(overTLS) != 0 {
				t.Errorf("commands over TLS = %q, want none", overTLS)
			}
			if tt.sentPlain != nil && !slices.Equal(plain, tt.sentPlain) {
				t.Errorf("plaintext commands = %q, want %q", plain, tt.sentPlain)
			}
		})
	}
}

// TestSTARTTLSInjection: bytes sent after the STARTTLS answer and before
// the handshake (EAST response injection), in the answer's write or later,
// are discarded and counted; the probe goes on over verified TLS, and the
// capabilities are those asked again over TLS, never the injected ones.
func TestSTARTTLSInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		proto autoconfig.Protocol
		s     script
		bytes int
		sasl  string // a mechanism of the TLS side's capabilities
	}{
		{"imap", autoconfig.IMAP, script{inject: "* CAPABILITY IMAP4rev1 AUTH=X-INJECTED\r\nb1 OK injected\r\n"}, 56, "PLAIN"},
		{"imap later", autoconfig.IMAP, script{later: "* OK [ALERT] injected\r\n"}, 23, "PLAIN"},
		{"imap partial line later", autoconfig.IMAP, script{inject: "* OK [ALE", later: "RT] injected\r\n"}, 23, "PLAIN"},
		{"pop3", autoconfig.POP3, script{inject: "+OK\r\nSASL X-INJECTED\r\n.\r\n"}, 25, "PLAIN"},
		{"pop3 later", autoconfig.POP3, script{later: "+OK\r\n"}, 5, "PLAIN"},
		{"pop3 bytes without a line end", autoconfig.POP3, script{inject: "\u00b9\u00b3", later: "\u00b9\u00b2\u00b3"}, 10, "PLAIN"}, // EAST pop3 B_2
		{"smtp", autoconfig.SMTP, script{inject: "250-mail.example.test\r\n250 AUTH X-INJECTED\r\n"}, 44, "PLAIN"},
		{"smtp later", autoconfig.SMTP, script{later: "250 AUTH X-INJECTED\r\n"}, 21, "PLAIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.s
			s.proto = string(tt.proto)
			s.cert = must(ca(t).Leaf(host))
			r := run(t, &s, tt.proto, autoconfig.STARTTLS, options(t))
			want(t, r, probe.StatusOK, "")
			if r.STARTTLSInjected != tt.bytes {
				t.Errorf("STARTTLSInjected = %d, want %d", r.STARTTLSInjected, tt.bytes)
			}
			if r.Cert == nil || !r.Cert.Valid || slices.Contains(r.SASL, "X-INJECTED") || !slices.Contains(r.SASL, tt.sasl) {
				t.Errorf("Cert valid = %v, SASL = %q; want verified TLS and the capabilities asked over TLS", r.Cert != nil && r.Cert.Valid, r.SASL)
			}
			injected := false
			for _, l := range r.Transcript {
				injected = injected || l.From == probe.FromServer && l.BeforeTLS && strings.Contains(strings.ToUpper(l.Text), "INJECTED")
			}
			if strings.Contains(strings.ToUpper(tt.s.inject+tt.s.later), "INJECTED") && !injected {
				t.Errorf("transcript does not show the injected bytes, marked BeforeTLS: %v", r.Transcript)
			}
			s.stop()
			if _, overTLS := s.received(); len(overTLS) == 0 {
				t.Errorf("no command over TLS: the capabilities were not asked again")
			}
		})
	}
}

// TestUntaggedBeforeSTARTTLSOK: untagged data before the tagged OK (EAST UI
// spoofing) is discarded, and the probe goes on over TLS.
func TestUntaggedBeforeSTARTTLSOK(t *testing.T) {
	t.Parallel()
	s := &script{proto: "imap", cert: must(ca(t).Leaf(host)),
		reply: "* OK [ALERT] prefix\r\n%s OK begin TLS\r\n", upgrade: true,
		greeting: "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n"}
	r := run(t, s, autoconfig.IMAP, autoconfig.STARTTLS, options(t))
	want(t, r, probe.StatusOK, "")
	if r.Greeting != "" || r.LoginDisabled || !slices.Contains(r.SASL, "PLAIN") {
		t.Errorf("Greeting, LoginDisabled, SASL = %q, %v, %q; want the TLS side's data only", r.Greeting, r.LoginDisabled, r.SASL)
	}
	s.stop()
	if plain, _ := s.received(); !slices.Equal(plain, []string{"a2 STARTTLS"}) {
		t.Errorf("plaintext commands = %q, want only STARTTLS (capabilities came with the greeting)", plain)
	}
}

// TestCertificate checks the certificate verdicts; a bad certificate ends
// the probe right after the handshake.
func TestCertificate(t *testing.T) {
	t.Parallel()
	other, err := certs.NewCA("Other CA")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tests := []struct {
		name       string
		cert       func(t *testing.T) tls.Certificate
		host       string
		identities []string
		now        func() time.Time
		want       probe.Status
		problem    probe.CertProblem
		matched    string
		errSub     string
	}{
		{name: "valid", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf(host)) },
			want: probe.StatusOK, matched: host},
		{name: "name mismatch", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf("other.example.test")) },
			want: probe.StatusTLSError, problem: probe.ProblemNameMismatch, errSub: "not valid for mail.example.test (it names other.example.test)"},
		{name: "email domain identity", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf("example.test")) },
			identities: []string{"Example.TEST."}, want: probe.StatusOK, matched: "example.test"},
		{name: "identity not matching", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf("example.org")) },
			identities: []string{"example.test"}, want: probe.StatusTLSError, problem: probe.ProblemNameMismatch, errSub: "mail.example.test or example.test"},
		{name: "wildcard", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf("*.example.test")) },
			want: probe.StatusOK, matched: host},
		{name: "wildcard one label only", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf("*.example.test")) },
			host: "imap.mail.example.test", want: probe.StatusTLSError, problem: probe.ProblemNameMismatch},
		{name: "partial wildcard", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf("m*.example.test")) },
			want: probe.StatusTLSError, problem: probe.ProblemNameMismatch},
		{name: "wildcard identity ignored", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf("*.example.test")) },
			host: "example.test", identities: []string{"*.example.test"}, want: probe.StatusTLSError, problem: probe.ProblemNameMismatch},
		{name: "expired", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Expired(host)) },
			want: probe.StatusTLSError, problem: probe.ProblemExpired, errSub: "certificate expired on", matched: host},
		{name: "expired by clock", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf(host)) },
			now: func() time.Time { return now.Add(200 * 24 * time.Hour) }, want: probe.StatusTLSError, problem: probe.ProblemExpired},
		{name: "not yet valid", cert: func(t *testing.T) tls.Certificate { return must(ca(t).Leaf(host)) },
			now: func() time.Time { return now.Add(-48 * time.Hour) }, want: probe.StatusTLSError, problem: probe.ProblemNotYetValid, errSub: "not valid before"},
		{name: "self-signed", cert: func(t *testing.T) tls.Certificate { return must(certs.SelfSigned(host)) },
			want: probe.StatusTLSError, problem: probe.ProblemUntrusted, errSub: "not signed by a trusted authority"},
		{name: "other CA", cert: func(t *testing.T) tls.Certificate { return must(other.Leaf(host)) },
			want: probe.StatusTLSError, problem: probe.ProblemUntrusted},
		{name: "not for servers", cert: clientAuthOnly,
			want: probe.StatusTLSError, problem: probe.ProblemInvalid, errSub: "certificate chain is invalid", matched: host},
	}
	for _, proto := range []autoconfig.Protocol{autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP} {
		for _, sec := range []autoconfig.Security{autoconfig.TLS, autoconfig.STARTTLS} {
			for _, tt := range tests {
				t.Run(string(proto)+"/"+string(sec)+"/"+tt.name, func(t *testing.T) {
					t.Parallel()
					s := &script{proto: string(proto), implicit: sec == autoconfig.TLS, cert: tt.cert(t)}
					port := s.listen(t, "tcp4", "")
					opts := options(t)
					opts.Now = tt.now
					h := host
					if tt.host != "" {
						h = tt.host
					}
					r := probe.Probe(context.Background(), probe.Target{Protocol: proto, Host: h, Port: port,
						Security: sec, Identities: tt.identities}, opts)
					want(t, r, tt.want, tt.errSub)
					var ce *probe.CertError
					if tt.problem != probe.CertOK && (!errors.As(r.Err, &ce) || ce.Problem != tt.problem || !errors.Is(r.Err, probe.ErrCertificate)) {
						t.Errorf("Probe() Err = %v, want a *CertError %q wrapping ErrCertificate", r.Err, tt.problem)
					}
					c := r.Cert
					if c == nil {
						t.Fatal("Cert = nil, want the served certificate described")
					}
					if c.Problem != tt.problem || c.Valid != (tt.problem == "") || (c.Error == "") != c.Valid {
						t.Errorf("Cert.Problem, Valid, Error = %q, %v, %q; want %q", c.Problem, c.Valid, c.Error, tt.problem)
					}
					if tt.matched != "" && c.MatchedName != tt.matched {
						t.Errorf("Cert.MatchedName = %q, want %q", c.MatchedName, tt.matched)
					}
					if len(c.Chain) == 0 || c.NotAfter.IsZero() || c.Subject == "" {
						t.Errorf("Cert = %+v, want chain, subject and dates even when invalid", c)
					}
					if r.TLSVersion == "" {
						t.Errorf("TLSVersion empty after a completed handshake")
					}
					s.stop()
					if _, overTLS := s.received(); tt.want != probe.StatusOK && len(overTLS) != 0 {
						t.Errorf("commands over TLS after a bad certificate = %q, want none", overTLS)
					}
					if tt.want != probe.StatusOK && (r.Capabilities != nil || r.Greeting != "") {
						t.Errorf("bad certificate, yet capabilities %q and greeting %q were read", r.Capabilities, r.Greeting)
					}
				})
			}
		}
	}
}

// TestTLSVersion: a server offering only TLS 1.1 is refused (RFC 8997).
func TestTLSVersion(t *testing.T) {
	t.Parallel()
	for _, sec := range []autoconfig.Security{autoconfig.TLS, autoconfig.STARTTLS} {
		t.Run(string(sec), func(t *testing.T) {
			t.Parallel()
			s := &script{proto: "imap", implicit: sec == autoconfig.TLS, cert: must(ca(t).Leaf(host)),
				tlsMin: tls.VersionTLS10, tlsMax: tls.VersionTLS11}
			port := s.listen(t, "tcp4", "")
			if sec == autoconfig.TLS {
				// The server really speaks TLS 1.1 to a client that allows it.
				c, err := tls.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(port)), &tls.Config{
					MinVersion: tls.VersionTLS10, ServerName: host, RootCAs: ca(t).Pool()})
				if err != nil {
					t.Fatalf("TLS 1.1 control handshake: %v", err)
				}
				if v := c.ConnectionState().Version; v != tls.VersionTLS11 {
					t.Fatalf("control handshake version = %s, want TLS 1.1", tls.VersionName(v))
				}
				c.Close()
			}
			r := probe.Probe(context.Background(), probe.Target{Protocol: autoconfig.IMAP, Host: host, Port: port, Security: sec}, options(t))
			want(t, r, probe.StatusTLSError, "TLS handshake failed: the server offers no TLS 1.2 or later")
			wantKind(t, r, probe.ErrTLS)
			if r.Cert != nil || r.TLSVersion != "" {
				t.Errorf("Cert, TLSVersion = %+v, %q; want none", r.Cert, r.TLSVersion)
			}
			// Login goes no further.
			l := probe.Login(context.Background(), probe.Target{Protocol: autoconfig.IMAP, Host: host, Port: port, Security: sec}, bothUsers, options(t))
			wantLogin(t, l, probe.LoginNotTried, "no TLS 1.2 or later")
		})
	}
}

// TestNotTLS: a plaintext server on an implicit TLS port is a TLS error.
func TestNotTLS(t *testing.T) {
	t.Parallel()
	s := &script{proto: "imap"}
	r := run(t, s, autoconfig.IMAP, autoconfig.TLS, options(t))
	want(t, r, probe.StatusTLSError, "did not answer in TLS")
}

// TestTimeout: a server that accepts and never speaks costs the probe its
// own budget, not the caller's longer deadline.
func TestTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		proto autoconfig.Protocol
		sec   autoconfig.Security
		s     script
	}{
		{"silent imap/starttls", autoconfig.IMAP, autoconfig.STARTTLS, script{silent: true}},
		{"silent smtp/plain", autoconfig.SMTP, autoconfig.Plain, script{silent: true}},
		{"silent pop3/tls handshake", autoconfig.POP3, autoconfig.TLS, script{silent: true}},
		{"mute after TLS", autoconfig.IMAP, autoconfig.TLS, script{implicit: true, mute: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.s
			s.proto = string(tt.proto)
			s.cert = must(ca(t).Leaf(host))
			port := s.listen(t, "tcp4", "")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			opts := options(t)
			opts.Timeout = 300 * time.Millisecond
			start := time.Now()
			r := probe.Probe(ctx, probe.Target{Protocol: tt.proto, Host: host, Port: port, Security: tt.sec}, opts)
			took := time.Since(start)
			want(t, r, probe.StatusTimeout, "within the probe's budget")
			if took < 300*time.Millisecond || took > 1500*time.Millisecond {
				t.Errorf("Probe took %v, want about the 300ms budget", took)
			}
		})
	}
}

// TestCancel: cancelling the caller's context ends the probe at once.
func TestCancel(t *testing.T) {
	t.Parallel()
	s := &script{proto: "smtp", silent: true}
	port := s.listen(t, "tcp4", "")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	r := probe.Probe(ctx, probe.Target{Protocol: autoconfig.SMTP, Host: host, Port: port, Security: autoconfig.STARTTLS}, options(t))
	want(t, r, probe.StatusTimeout, "cancelled")
	if took := time.Since(start); took > time.Second {
		t.Errorf("Probe took %v after cancel, want it to stop at once", took)
	}
}

// TestFlood: a server streaming an endless line is cut off.
func TestFlood(t *testing.T) {
	t.Parallel()
	s := &script{proto: "pop3", flood: true}
	r := run(t, s, autoconfig.POP3, autoconfig.Plain, options(t))
	want(t, r, probe.StatusProtocolError, "line longer than")
}

func TestUnreachable(t *testing.T) {
	t.Parallel()
	// A port nobody listens on.
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()

	tests := []struct {
		name   string
		target probe.Target
		lookup func(context.Context, string) ([]netip.Addr, error)
		errSub string
		kind   error
		tried  int
	}{
		{"refused", probe.Target{Host: host, Port: closed}, loopback4, "cannot connect (1 of 1 addresses tried)", probe.ErrConnectionRefused, 1},
		{"refused IP literal", probe.Target{Host: "127.0.0.1", Port: closed}, nil, "connection refused", probe.ErrConnectionRefused, 1},
		{"refused, no route beside it", probe.Target{Host: host, Port: closed},
			func(context.Context, string) ([]netip.Addr, error) {
				return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("2001:db8::1")}, nil // the dialer has no route to it
			}, "cannot connect", probe.ErrConnectionRefused, 2},
		{"no route", probe.Target{Host: "2001:db8::1", Port: closed}, nil, "network is unreachable", probe.ErrNetworkUnreachable, 1},
		{"NXDOMAIN", probe.Target{Host: host, Port: closed},
			func(context.Context, string) ([]netip.Addr, error) {
				return nil, fmt.Errorf("lookup: %w", resolver.ErrNotFound)
			}, "the host name mail.example.test does not exist", probe.ErrHostNotFound, 0},
		{"NXDOMAIN from net", probe.Target{Host: host, Port: closed},
			func(context.Context, string) ([]netip.Addr, error) {
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			}, "does not exist", probe.ErrHostNotFound, 0},
		{"bogus addresses", probe.Target{Host: host, Port: closed},
			func(context.Context, string) ([]netip.Addr, error) {
				return nil, fmt.Errorf("lookup: %w", dnssec.Result{Verdict: dnssec.Bogus, Reason: "signature expired"}.Err())
			}, "failed DNSSEC validation", probe.ErrDNSSECBogus, 0},
		{"lookup fails", probe.Target{Host: host, Port: closed},
			func(context.Context, string) ([]netip.Addr, error) { return nil, errors.New("SERVFAIL") }, "cannot resolve the host: SERVFAIL", probe.ErrLookupFailed, 0},
		{"no addresses", probe.Target{Host: host, Port: closed},
			func(context.Context, string) ([]netip.Addr, error) { return nil, nil }, "has no address", probe.ErrHostNotFound, 0},
		{"no resolver", probe.Target{Host: host, Port: closed}, nil, "Options.LookupIP is nil", probe.ErrLookupFailed, 0},
		{"bad port", probe.Target{Host: host, Port: 0}, loopback4, "invalid port 0", probe.ErrNetworkUnreachable, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.target.Protocol, tt.target.Security = autoconfig.IMAP, autoconfig.TLS
			var d net.Dialer
			noRoute := func(ctx context.Context, network, addr string) (net.Conn, error) {
				if strings.HasPrefix(addr, "[2001:db8:") { // documentation prefix, never dialled for real
					return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ENETUNREACH)}
				}
				return d.DialContext(ctx, network, addr)
			}
			r := probe.Probe(context.Background(), tt.target, &probe.Options{LookupIP: tt.lookup, Dial: noRoute})
			want(t, r, probe.StatusUnreachable, tt.errSub)
			wantKind(t, r, tt.kind)
			if len(r.Addresses) != tt.tried || r.Address != "" {
				t.Errorf("Addresses = %+v, Address = %q; want %d failed attempts", r.Addresses, r.Address, tt.tried)
			}
			for _, a := range r.Addresses {
				if a.Error == "" {
					t.Errorf("attempt %+v has no error", a)
				}
			}
		})
	}
}

// TestSilent: a host that never answers (a firewall dropping packets) or a
// server that accepts and never speaks is a timeout, not "unreachable".
func TestSilent(t *testing.T) {
	t.Parallel()
	t.Run("server", func(t *testing.T) {
		t.Parallel()
		s := &script{proto: "imap", silent: true}
		opts := options(t)
		opts.Timeout = 300 * time.Millisecond
		r := run(t, s, autoconfig.IMAP, autoconfig.STARTTLS, opts)
		want(t, r, probe.StatusTimeout, "no answer within")
		wantKind(t, r, probe.ErrTimeout)
	})
	t.Run("host", func(t *testing.T) {
		t.Parallel()
		opts := options(t)
		opts.Timeout = 300 * time.Millisecond
		opts.Dial = func(ctx context.Context, _, _ string) (net.Conn, error) { // a SYN that is never answered
			<-ctx.Done()
			return nil, ctx.Err()
		}
		r := probe.Probe(context.Background(), probe.Target{Protocol: autoconfig.SMTP, Host: host, Port: 465, Security: autoconfig.TLS}, opts)
		want(t, r, probe.StatusTimeout, "")
		wantKind(t, r, probe.ErrTimeout)
	})
}

func TestBadTarget(t *testing.T) {
	t.Parallel()
	for _, tg := range []probe.Target{
		{Protocol: "jmap", Host: host, Port: 443, Security: autoconfig.TLS},
		{Protocol: autoconfig.IMAP, Host: host, Port: 993, Security: "ssl"},
	} {
		r := probe.Probe(context.Background(), tg, nil)
		want(t, r, probe.StatusProtocolError, "unsupported")
	}
}

// TestHappyEyeballs covers the address race of RFC 8305.
func TestHappyEyeballs(t *testing.T) {
	t.Parallel()
	v6 := netip.MustParseAddr("2001:db8::1") // documentation prefix: never dialled for real
	v4 := netip.MustParseAddr("127.0.0.1")
	lookup := func(context.Context, string) ([]netip.Addr, error) { return []netip.Addr{v4, v6}, nil }
	var d net.Dialer

	t.Run("stalled IPv6 loses after 250ms", func(t *testing.T) {
		t.Parallel()
		s := &script{proto: "smtp", cert: must(ca(t).Leaf(host))}
		port := s.listen(t, "tcp4", "")
		opts := options(t)
		opts.LookupIP = lookup
		var mu sync.Mutex
		started := map[string]time.Time{}
		opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			started[network] = time.Now()
			mu.Unlock()
			if network == "tcp6" {
				<-ctx.Done() // a black hole
				return nil, ctx.Err()
			}
			return d.DialContext(ctx, network, addr)
		}
		r := probe.Probe(context.Background(), probe.Target{Protocol: autoconfig.SMTP, Host: host, Port: port, Security: autoconfig.STARTTLS}, opts)
		want(t, r, probe.StatusOK, "")
		if len(r.Addresses) != 2 || r.Addresses[0].IP != v6 || r.Addresses[0].Network != "tcp6" ||
			!strings.Contains(r.Addresses[0].Error, "another address connected first") ||
			r.Addresses[1].IP != v4 || r.Addresses[1].Error != "" {
			t.Errorf("Addresses = %+v, want IPv6 first and abandoned, IPv4 won", r.Addresses)
		}
		if r.Address != "127.0.0.1:"+itoa(port) {
			t.Errorf("Address = %q", r.Address)
		}
		// The 250 ms delay runs from the start of the IPv6 attempt, a moment
		// before its dialer records the time: on a busy machine the gap seen
		// here can be a little shorter. Starting IPv4 at once would be ~0.
		if gap := started["tcp4"].Sub(started["tcp6"]); gap < 200*time.Millisecond {
			t.Errorf("IPv4 started %v after IPv6, want about the 250ms attempt delay", gap)
		}
	})

	t.Run("failed IPv6 starts IPv4 at once", func(t *testing.T) {
		t.Parallel()
		s := &script{proto: "pop3", cert: must(ca(t).Leaf(host))}
		port := s.listen(t, "tcp4", "")
		opts := options(t)
		opts.LookupIP = lookup
		var mu sync.Mutex
		started := map[string]time.Time{}
		opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			mu.Lock()
			started[network] = time.Now()
			mu.Unlock()
			if network == "tcp6" {
				return nil, errors.New("no route to host")
			}
			return d.DialContext(ctx, network, addr)
		}
		r := probe.Probe(context.Background(), probe.Target{Protocol: autoconfig.POP3, Host: host, Port: port, Security: autoconfig.STARTTLS}, opts)
		want(t, r, probe.StatusOK, "")
		if len(r.Addresses) != 2 || r.Addresses[0].Error != "no route to host" || r.Addresses[1].Error != "" {
			t.Errorf("Addresses = %+v", r.Addresses)
		}
		if gap := started["tcp4"].Sub(started["tcp6"]); gap >= 200*time.Millisecond {
			t.Errorf("IPv4 started %v after IPv6 failed, want at once", gap)
		}
	})

	t.Run("all stalled is a timeout", func(t *testing.T) {
		t.Parallel()
		opts := options(t)
		opts.Timeout = 600 * time.Millisecond
		opts.LookupIP = lookup
		opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		r := probe.Probe(context.Background(), probe.Target{Protocol: autoconfig.IMAP, Host: host, Port: 993, Security: autoconfig.TLS}, opts)
		want(t, r, probe.StatusTimeout, "connecting")
		if len(r.Addresses) != 2 {
			t.Errorf("Addresses = %+v, want both tried", r.Addresses)
		}
	})

	t.Run("real ::1 preferred", func(t *testing.T) {
		t.Parallel()
		s := &script{proto: "imap", implicit: true, cert: must(ca(t).Leaf(host))}
		l6, err := net.Listen("tcp6", "[::1]:0")
		if err != nil {
			t.Skipf("IPv6 loopback unavailable: %v", err)
		}
		port := l6.Addr().(*net.TCPAddr).Port
		l6.Close()
		s.listen(t, "tcp6", "[::1]:"+itoa(port))
		v4srv := &script{proto: "imap", implicit: true, cert: must(ca(t).Leaf(host))}
		ln4, err := net.Listen("tcp4", "127.0.0.1:"+itoa(port))
		if err != nil {
			t.Skipf("port %d busy on 127.0.0.1: %v", port, err)
		}
		ln4.Close()
		v4srv.listen(t, "tcp4", "127.0.0.1:"+itoa(port))
		opts := options(t)
		opts.LookupIP = func(context.Context, string) ([]netip.Addr, error) {
			return []netip.Addr{v4, netip.MustParseAddr("::1")}, nil
		}
		r := probe.Probe(context.Background(), probe.Target{Protocol: autoconfig.IMAP, Host: host, Port: port, Security: autoconfig.TLS}, opts)
		want(t, r, probe.StatusOK, "")
		if r.Address != "[::1]:"+itoa(port) || r.Addresses[0].Network != "tcp6" {
			t.Errorf("Address = %q, Addresses = %+v; want ::1 first", r.Address, r.Addresses)
		}
	})
}

// TestClientName: EHLO carries Options.ClientName.
func TestClientName(t *testing.T) {
	t.Parallel()
	s := &script{proto: "smtp", cert: must(ca(t).Leaf(host))}
	opts := options(t)
	opts.ClientName = "probe.example.test"
	r := run(t, s, autoconfig.SMTP, autoconfig.Plain, opts)
	want(t, r, probe.StatusOK, "")
	s.stop()
	if plain, _ := s.received(); len(plain) == 0 || plain[0] != "EHLO probe.example.test" {
		t.Errorf("commands = %q, want EHLO probe.example.test", plain)
	}
}

// TestNoLeak: nothing of a probe outlives it, whatever the ending.
func TestNoLeak(t *testing.T) {
	v6 := netip.MustParseAddr("2001:db8::1")
	for _, tc := range []struct {
		name string
		s    script
		sec  autoconfig.Security
		dial bool // stall IPv6
	}{
		{"ok", script{proto: "imap"}, autoconfig.STARTTLS, false},
		{"race loser", script{proto: "smtp"}, autoconfig.STARTTLS, true},
		{"timeout", script{proto: "pop3", silent: true}, autoconfig.TLS, false},
		{"bad cert", script{proto: "imap", implicit: true}, autoconfig.TLS, false},
		{"login", script{proto: "smtp", users: map[string]string{localUser: labPass}}, autoconfig.STARTTLS, false},
		{"login cancelled", script{proto: "imap", users: map[string]string{fullUser: labPass}, moreSASL: true}, autoconfig.STARTTLS, false},
	} {
		s := tc.s
		s.cert = must(ca(t).Leaf(host))
		if tc.name == "bad cert" {
			s.cert = must(certs.SelfSigned(host))
		}
		port := s.listen(t, "tcp4", "")
		ignore := goleak.IgnoreCurrent()
		opts := options(t)
		opts.Timeout = 500 * time.Millisecond
		if tc.dial {
			var d net.Dialer
			opts.LookupIP = func(context.Context, string) ([]netip.Addr, error) {
				return []netip.Addr{v6, netip.MustParseAddr("127.0.0.1")}, nil
			}
			opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if network == "tcp6" {
					<-ctx.Done()
					return nil, ctx.Err()
				}
				return d.DialContext(ctx, network, addr)
			}
		}
		tg := probe.Target{Protocol: autoconfig.Protocol(s.proto), Host: host, Port: port, Security: tc.sec}
		probe.Probe(context.Background(), tg, opts)
		probe.Login(context.Background(), tg, bothUsers, opts)
		s.stop()
		if err := goleak.Find(ignore); err != nil {
			t.Errorf("%s: goroutines left after Probe: %v", tc.name, err)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// clientAuthOnly issues a leaf for host that may not serve TLS (its extended
// key usage is client authentication only).
func clientAuthOnly(t *testing.T) tls.Certificate {
	t.Helper()
	c := ca(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42),
		Subject:      pkix.Name{CommonName: host},
		DNSNames:     []string{host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.Cert, key.Public(), c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, c.Cert.Raw}, PrivateKey: key}
}
