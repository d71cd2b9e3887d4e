package probe_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

// Probe a submission server with STARTTLS. The lab's server and CA stand in
// for the Internet; a real caller passes its own resolver and leaves RootCAs
// nil for the system roots.
func Example() {
	ca, err := certs.NewCA("Example CA")
	if err != nil {
		panic(err)
	}
	cert, err := ca.Leaf("smtp.example.test")
	if err != nil {
		panic(err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv, err := mailserver.Serve(l, mailserver.Config{
		Protocol: mailserver.SMTP, Security: mailserver.StartTLS, Cert: &cert, Hostname: "smtp.example.test",
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	r := probe.Probe(context.Background(), probe.Target{
		Protocol:   autoconfig.SMTP,
		Host:       "smtp.example.test",
		Port:       l.Addr().(*net.TCPAddr).Port,
		Security:   autoconfig.STARTTLS,
		Identities: []string{"example.test"}, // the email domain (RFC 7817 §3)
	}, &probe.Options{
		LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
		RootCAs: ca.Pool(),
	})
	fmt.Println(r.Status, r.TLSVersion, r.STARTTLSOffered)
	fmt.Println("certificate valid for", r.Cert.MatchedName, r.Cert.Valid)
	fmt.Println("SASL over TLS:", r.SASL)
	// Output:
	// ok TLS 1.3 true
	// certificate valid for smtp.example.test true
	// SASL over TLS: [PLAIN LOGIN]
}

// Check a password on an IMAP server over implicit TLS. The full address is
// tried first, then the local part; the lab server knows only the latter.
func ExampleLogin() {
	ca, err := certs.NewCA("Example CA")
	if err != nil {
		panic(err)
	}
	cert, err := ca.Leaf("imap.example.test")
	if err != nil {
		panic(err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv, err := mailserver.Serve(l, mailserver.Config{
		Protocol: mailserver.IMAP, Security: mailserver.TLS, Cert: &cert,
		Users: map[string]string{"alice": "correct horse"},
	})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	r := probe.Login(context.Background(), probe.Target{
		Protocol:   autoconfig.IMAP,
		Host:       "imap.example.test",
		Port:       l.Addr().(*net.TCPAddr).Port,
		Security:   autoconfig.TLS,
		Identities: []string{"example.test"},
	}, probe.Credentials{
		Usernames: []string{"alice@example.test", "alice"},
		Password:  "correct horse",
	}, &probe.Options{
		LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
		RootCAs: ca.Pool(),
	})
	fmt.Println(r.Status, r.Username, r.Mechanism, r.Tried)
	for _, line := range r.Transcript {
		if line.From == probe.FromClient && strings.Contains(line.Text, "AUTHENTICATE") {
			fmt.Println(line.Text)
		}
	}
	// Output:
	// ok alice AUTHENTICATE PLAIN [alice@example.test alice]
	// b2 AUTHENTICATE PLAIN [redacted]
	// b2 AUTHENTICATE PLAIN [redacted]
}

// Tell what stopped a probe: the kinds of failure are sentinel errors,
// matched with errors.Is on Result.Err; KindOf gives the report's code.
func ExampleKindOf() {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens on port any more

	r := probe.Probe(context.Background(), probe.Target{
		Protocol: autoconfig.IMAP, Host: "127.0.0.1", Port: port, Security: autoconfig.TLS,
	}, nil)
	fmt.Println(r.Status, errors.Is(r.Err, probe.ErrConnectionRefused), probe.KindOf(r.Err).Code())
	// Output:
	// unreachable true connection-refused
}
