// Package certs is the certificate authority of the test lab.
//
// The lab proves Mailsetup's TLS probes against loopback mail servers, so it
// needs certificates that a probe can verify (a leaf chained to a CA the test
// trusts), and certificates that must fail verification: an expired leaf, a
// leaf for the wrong name, a self-signed leaf. Everything here is made in
// memory at run time with ECDSA P-256 keys; nothing is read from or written to
// disk, and no key outlives the process unless a caller writes it out.
//
// A CA is trusted only by the code that asks for its Pool; it is never added to
// the system roots.
package certs

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Errors returned by Issue, Leaf, Expired and SelfSigned.
var (
	// ErrNoNames is returned when a certificate is asked for without any name.
	ErrNoNames = errors.New("certs: no names given")
	// ErrBadName is returned for an empty name.
	ErrBadName = errors.New("certs: empty name")
	// ErrBadValidity is returned when notAfter is not after notBefore.
	ErrBadValidity = errors.New("certs: notAfter is not after notBefore")
)

// Validity periods used by the helpers.
const (
	// LeafLifetime is how long a Leaf stays valid after it is made.
	LeafLifetime = 90 * 24 * time.Hour
	// caLifetime is how long a CA stays valid; it outlives every leaf it signs.
	caLifetime = 10 * 365 * 24 * time.Hour
	// caBackdate makes a CA valid long before now, so that a leaf issued in the
	// past (such as Expired) fails only because of its own dates.
	caBackdate = 365 * 24 * time.Hour
	// backdate covers clock differences between the lab and the code under test.
	backdate = time.Hour
)

// CA is a test certificate authority made at run time (ECDSA P-256). It is
// never written to disk unless a caller writes PEM out.
type CA struct {
	// Cert is the CA's self-signed certificate.
	Cert *x509.Certificate
	// Key is the CA's private key; it signs every leaf the CA issues.
	Key crypto.Signer
	// PEM is Cert encoded as a PEM "CERTIFICATE" block, for tools and
	// trust-store files that take PEM.
	PEM []byte
}

// NewCA makes a certificate authority whose subject common name is name. The
// CA is valid from a year ago until ten years from now and may sign only
// leaves (path length zero). It returns ErrBadName for an empty name.
func NewCA(name string) (*CA, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: CA name", ErrBadName)
	}
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"Mailsetup lab"}},
		NotBefore:             now.Add(-caBackdate),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            0,
		MaxPathLenZero:        true, // x509.CreateCertificate fills SubjectKeyId for a CA
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("certs: create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: parse CA certificate: %w", err)
	}
	return &CA{
		Cert: cert,
		Key:  key,
		PEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// Pool returns a new certificate pool holding only this CA, for use as
// tls.Config.RootCAs or x509.VerifyOptions.Roots.
func (ca *CA) Pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return pool
}

// Issue makes a leaf certificate for the DNS names (and IP addresses, for any
// name that parses as an IP) valid from notBefore to notAfter, signed by the
// CA. The first name is also the subject common name.
//
// The result carries the chain [leaf, CA] and its Leaf field is set. Issue
// returns ErrNoNames, ErrBadName or ErrBadValidity (wrapped) for bad
// arguments.
func (ca *CA) Issue(names []string, notBefore, notAfter time.Time) (tls.Certificate, error) {
	return issue(names, notBefore, notAfter, ca)
}

// Leaf is Issue with a validity from an hour ago to LeafLifetime from now.
func (ca *CA) Leaf(names ...string) (tls.Certificate, error) {
	now := time.Now()
	return ca.Issue(names, now.Add(-backdate), now.Add(LeafLifetime))
}

// Expired is a leaf that expired a day ago: valid from 60 days ago until 24
// hours ago. Verification reports x509.Expired.
func (ca *CA) Expired(names ...string) (tls.Certificate, error) {
	now := time.Now()
	return ca.Issue(names, now.Add(-60*24*time.Hour), now.Add(-24*time.Hour))
}

// SelfSigned makes a leaf for names that is signed by its own key and chained
// to no CA, valid from an hour ago to LeafLifetime from now. Its chain is just
// [leaf]. Verification against any CA's pool reports
// x509.UnknownAuthorityError.
func SelfSigned(names ...string) (tls.Certificate, error) {
	now := time.Now()
	return issue(names, now.Add(-backdate), now.Add(LeafLifetime), nil)
}

// issue makes a leaf signed by ca, or self-signed when ca is nil.
func issue(names []string, notBefore, notAfter time.Time, ca *CA) (tls.Certificate, error) {
	if len(names) == 0 {
		return tls.Certificate{}, ErrNoNames
	}
	if !notAfter.After(notBefore) {
		return tls.Certificate{}, fmt.Errorf("%w: %s .. %s", ErrBadValidity,
			notBefore.Format(time.RFC3339), notAfter.Format(time.RFC3339))
	}
	var (
		dnsNames []string
		ips      []net.IP
	)
	for _, n := range names {
		if n == "" {
			return tls.Certificate{}, ErrBadName
		}
		if ip := net.ParseIP(n); ip != nil {
			ips = append(ips, ip)
		} else {
			dnsNames = append(dnsNames, n)
		}
	}

	key, err := newKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := newSerial()
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: names[0], Organization: []string{"Mailsetup lab"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              dnsNames,
		IPAddresses:           ips,
	}

	parent, signer := tmpl, crypto.Signer(key)
	if ca != nil {
		parent, signer = ca.Cert, ca.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: create leaf certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: parse leaf certificate: %w", err)
	}
	chain := [][]byte{der}
	if ca != nil {
		chain = append(chain, ca.Cert.Raw)
	}
	return tls.Certificate{Certificate: chain, PrivateKey: key, Leaf: leaf}, nil
}

func newKey() (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: generate key: %w", err)
	}
	return key, nil
}

// newSerial returns a random positive 128-bit serial number (RFC 5280
// section 4.1.2.2 allows up to 20 octets).
func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("certs: serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1)), nil
}

// WriteFiles writes c for a server that reads its certificate from files:
// the chain as PEM "CERTIFICATE" blocks to certFile, the private key as a
// PEM "PRIVATE KEY" (PKCS #8) to keyFile, readable by its owner only. Missing
// folders are made.
func WriteFiles(c tls.Certificate, certFile, keyFile string) error {
	var chain []byte
	for _, der := range c.Certificate {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return fmt.Errorf("certs: %w", err)
	}
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{certFile, chain, 0o644},
		{keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key}), 0o600},
	} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return fmt.Errorf("certs: %w", err)
		}
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			return fmt.Errorf("certs: %w", err)
		}
	}
	return nil
}
