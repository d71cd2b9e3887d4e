package certs_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/internal/lab/certs"
)

func newCA(t *testing.T) *certs.CA {
	t.Helper()
	ca, err := certs.NewCA("Mailsetup Lab CA")
	if err != nil {
		t.Fatalf("NewCA() = %v", err)
	}
	return ca
}

func verify(ca *certs.CA, cert tls.Certificate, name string, now time.Time) error {
	inter := x509.NewCertPool()
	for _, der := range cert.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return err
		}
		inter.AddCert(c)
	}
	_, err := cert.Leaf.Verify(x509.VerifyOptions{
		Roots:         ca.Pool(),
		Intermediates: inter,
		DNSName:       name,
		CurrentTime:   now,
	})
	return err
}

func TestNewCA(t *testing.T) {
	ca := newCA(t)
	if !ca.Cert.IsCA || !ca.Cert.BasicConstraintsValid {
		t.Errorf("CA cert IsCA = %v, BasicConstraintsValid = %v, want true, true", ca.Cert.IsCA, ca.Cert.BasicConstraintsValid)
	}
	if ca.Cert.Subject.CommonName != "Mailsetup Lab CA" {
		t.Errorf("CA CommonName = %q, want %q", ca.Cert.Subject.CommonName, "Mailsetup Lab CA")
	}
	if len(ca.Cert.SubjectKeyId) == 0 {
		t.Errorf("CA SubjectKeyId is empty")
	}
	block, _ := pem.Decode(ca.PEM)
	if block == nil || block.Type != "CERTIFICATE" || !bytes.Equal(block.Bytes, ca.Cert.Raw) {
		t.Errorf("CA PEM does not hold the CA certificate")
	}
	if _, err := certs.NewCA(""); !errors.Is(err, certs.ErrBadName) {
		t.Errorf(`NewCA("") = %v, want ErrBadName`, err)
	}
}

func TestLeaf(t *testing.T) {
	ca := newCA(t)
	cert, err := ca.Leaf("imap.lab.test", "mail.lab.test", "127.0.0.1", "::1")
	if err != nil {
		t.Fatalf("Leaf() = %v", err)
	}
	if cert.Leaf == nil {
		t.Fatal("Leaf().Leaf = nil, want the parsed leaf")
	}
	if len(cert.Certificate) != 2 || !bytes.Equal(cert.Certificate[0], cert.Leaf.Raw) || !bytes.Equal(cert.Certificate[1], ca.Cert.Raw) {
		t.Fatalf("Leaf().Certificate is not the chain [leaf, ca]")
	}
	if got := cert.Leaf.DNSNames; len(got) != 2 || got[0] != "imap.lab.test" || got[1] != "mail.lab.test" {
		t.Errorf("Leaf DNSNames = %v, want [imap.lab.test mail.lab.test]", got)
	}
	if got := cert.Leaf.IPAddresses; len(got) != 2 || !got[0].Equal(net.ParseIP("127.0.0.1")) || !got[1].Equal(net.IPv6loopback) {
		t.Errorf("Leaf IPAddresses = %v, want [127.0.0.1 ::1]", got)
	}
	if cert.Leaf.Subject.CommonName != "imap.lab.test" {
		t.Errorf("Leaf CommonName = %q, want imap.lab.test", cert.Leaf.Subject.CommonName)
	}
	if !bytes.Equal(cert.Leaf.AuthorityKeyId, ca.Cert.SubjectKeyId) {
		t.Errorf("Leaf AuthorityKeyId does not name the CA")
	}
	now := time.Now()
	tests := []struct {
		name    string
		host    string
		wantErr any // nil, or a pointer to the expected error type
	}{
		{"first name", "imap.lab.test", nil},
		{"second name", "mail.lab.test", nil},
		{"IPv4", "127.0.0.1", nil},
		{"IPv6", "::1", nil},
		{"wrong name", "smtp.lab.test", new(x509.HostnameError)},
		{"wrong IP", "127.0.0.2", new(x509.HostnameError)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(ca, cert, tt.host, now)
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil {
					t.Errorf("Verify(%s) = %v, want nil", tt.host, err)
				}
			case *x509.HostnameError:
				if !errors.As(err, want) {
					t.Errorf("Verify(%s) = %v, want x509.HostnameError", tt.host, err)
				}
			}
		})
	}

	other := newCA(t)
	var unknown x509.UnknownAuthorityError
	if err := verify(other, cert, "imap.lab.test", now); !errors.As(err, &unknown) {
		t.Errorf("Verify against another CA = %v, want x509.UnknownAuthorityError", err)
	}
}

func TestValidity(t *testing.T) {
	ca := newCA(t)
	now := time.Now()

	leaf, err := ca.Leaf("mail.lab.test")
	if err != nil {
		t.Fatalf("Leaf() = %v", err)
	}
	expired, err := ca.Expired("mail.lab.test")
	if err != nil {
		t.Fatalf("Expired() = %v", err)
	}
	nb, na := now.Add(24*time.Hour), now.Add(48*time.Hour)
	future, err := ca.Issue([]string{"mail.lab.test"}, nb, na)
	if err != nil {
		t.Fatalf("Issue() = %v", err)
	}
	if !future.Leaf.NotBefore.Equal(nb.Truncate(time.Second)) || !future.Leaf.NotAfter.Equal(na.Truncate(time.Second)) {
		t.Errorf("Issue() validity = %v .. %v, want %v .. %v", future.Leaf.NotBefore, future.Leaf.NotAfter, nb, na)
	}
	if d := leaf.Leaf.NotAfter.Sub(now); d < certs.LeafLifetime-time.Minute || d > certs.LeafLifetime+time.Minute {
		t.Errorf("Leaf() expires in %v, want about %v", d, certs.LeafLifetime)
	}
	if leaf.Leaf.NotBefore.After(now) {
		t.Errorf("Leaf() NotBefore = %v, want before now", leaf.Leaf.NotBefore)
	}
	if !expired.Leaf.NotAfter.Before(now.Add(-23 * time.Hour)) {
		t.Errorf("Expired() NotAfter = %v, want a day ago", expired.Leaf.NotAfter)
	}

	tests := []struct {
		name        string
		cert        tls.Certificate
		at          time.Time
		wantExpired bool
	}{
		{"leaf now", leaf, now, false},
		{"leaf after 91 days", leaf, now.Add(91 * 24 * time.Hour), true},
		{"expired now", expired, now, true},
		{"expired 30 days ago", expired, now.Add(-30 * 24 * time.Hour), false},
		{"future now", future, now, true},
		{"future in 36h", future, now.Add(36 * time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verify(ca, tt.cert, "mail.lab.test", tt.at)
			var inv x509.CertificateInvalidError
			gotExpired := errors.As(err, &inv) && inv.Reason == x509.Expired
			if gotExpired != tt.wantExpired || (!tt.wantExpired && err != nil) {
				t.Errorf("Verify at %v = %v, want expired %v", tt.at, err, tt.wantExpired)
			}
		})
	}
}

func TestSelfSigned(t *testing.T) {
	cert, err := certs.SelfSigned("mail.lab.test")
	if err != nil {
		t.Fatalf("SelfSigned() = %v", err)
	}
	if len(cert.Certificate) != 1 || cert.Leaf == nil {
		t.Fatalf("SelfSigned() chain length %d, Leaf %v; want 1 and set", len(cert.Certificate), cert.Leaf)
	}
	if cert.Leaf.IsCA {
		t.Errorf("SelfSigned() IsCA = true, want a leaf")
	}
	if err := cert.Leaf.CheckSignatureFrom(cert.Leaf); err == nil {
		t.Errorf("CheckSignatureFrom(self) = nil, want an error (a leaf may not sign)")
	}
	if err := cert.Leaf.CheckSignature(cert.Leaf.SignatureAlgorithm, cert.Leaf.RawTBSCertificate, cert.Leaf.Signature); err != nil {
		t.Errorf("self signature does not verify: %v", err)
	}
	var unknown x509.UnknownAuthorityError
	if err := verify(newCA(t), cert, "mail.lab.test", time.Now()); !errors.As(err, &unknown) {
		t.Errorf("Verify(self-signed) = %v, want x509.UnknownAuthorityError", err)
	}
}

func TestIssueErrors(t *testing.T) {
	ca := newCA(t)
	now := time.Now()
	tests := []struct {
		name   string
		names  []string
		nb, na time.Time
		want   error
	}{
		{"no names", nil, now, now.Add(time.Hour), certs.ErrNoNames},
		{"empty name", []string{"a.test", ""}, now, now.Add(time.Hour), certs.ErrBadName},
		{"reversed validity", []string{"a.test"}, now, now.Add(-time.Hour), certs.ErrBadValidity},
		{"zero validity", []string{"a.test"}, now, now, certs.ErrBadValidity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ca.Issue(tt.names, tt.nb, tt.na); !errors.Is(err, tt.want) {
				t.Errorf("Issue(%q) = %v, want %v", tt.names, err, tt.want)
			}
		})
	}
	if _, err := certs.SelfSigned(); !errors.Is(err, certs.ErrNoNames) {
		t.Errorf("SelfSigned() = %v, want ErrNoNames", err)
	}
}

// TestHandshake serves a leaf over real TLS and checks that a client trusting
// only the CA accepts it.
func TestHandshake(t *testing.T) {
	ca := newCA(t)
	cert, err := ca.Leaf("localhost", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	srv := tls.Server(c1, &tls.Config{Certificates: []tls.Certificate{cert}})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	cli := tls.Client(c2, &tls.Config{RootCAs: ca.Pool(), ServerName: "localhost"})
	if err := cli.Handshake(); err != nil {
		t.Fatalf("client Handshake() = %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server Handshake() = %v", err)
	}
	if n := len(cli.ConnectionState().PeerCertificates); n != 2 {
		t.Errorf("server sent %d certificates, want 2 (leaf and CA)", n)
	}
}

func ExampleCA_Leaf() {
	ca, err := certs.NewCA("Example Lab CA")
	if err != nil {
		panic(err)
	}
	cert, err := ca.Leaf("imap.example.test")
	if err != nil {
		panic(err)
	}
	_, err = cert.Leaf.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: "imap.example.test"})
	fmt.Println("verified:", err == nil)
	// Output: verified: true
}

func TestWriteFiles(t *testing.T) {
	ca := newCA(t)
	leaf, err := ca.Leaf("mail.x.test")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile := dir+"/tls/leaf.crt", dir+"/tls/leaf.key"
	if err := certs.WriteFiles(leaf, certFile, keyFile); err != nil {
		t.Fatalf("WriteFiles = %v", err)
	}
	back, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil || len(back.Certificate) != len(leaf.Certificate) || !bytes.Equal(back.Certificate[0], leaf.Certificate[0]) {
		t.Fatalf("LoadX509KeyPair(written files) = %d certificates, %v; want the leaf and its chain", len(back.Certificate), err)
	}
	fi, err := os.Stat(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", fi.Mode().Perm())
	}
}
