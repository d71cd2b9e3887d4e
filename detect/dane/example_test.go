package dane_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dane"
)

func ExampleName() {
	fmt.Println(dane.Name("mail.example.org", 993))
	// Output: _993._tcp.mail.example.org.
}

func ExampleVerify() {
	// A self-signed certificate, as many mail servers using DANE-EE serve.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mail.example.org"},
		DNSNames:     []string{"mail.example.org"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	cert, _ := x509.ParseCertificate(der)

	// The record its administrator publishes: "3 1 1", DANE-EE of the
	// SHA-256 of the public key, which survives certificate renewals.
	rr, _ := dane.Record(dane.UsageDANEEE, dane.SelectorSPKI, dane.MatchingSHA256, cert)
	rr.Hdr.Name = dane.Name("mail.example.org", 993)

	// What the probe sees: the served chain, and the DNSSEC-secure TLSA
	// RRset. DANE-EE needs no CA, so the roots may be empty.
	res := dane.Verify([]*dns.TLSA{rr}, [][]byte{der}, "mail.example.org", x509.NewCertPool(), time.Now())
	fmt.Println(res.Status, res.Usable, res.Matched == rr)
	// Output: verified 1 true
}
