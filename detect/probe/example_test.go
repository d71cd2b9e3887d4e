package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/netip"

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
