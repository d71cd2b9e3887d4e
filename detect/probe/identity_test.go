package probe_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// sanLeaf issues a leaf from the test CA whose subject alternative names are
// written by hand: DNS names, SRVName otherNames (RFC 4985) and URIs.
func sanLeaf(t *testing.T, dns, srv, uris []string) tls.Certificate {
	t.Helper()
	c := ca(t)
	var names []asn1.RawValue
	for _, d := range dns {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(d)})
	}
	for _, s := range srv {
		ia5, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagIA5String, Bytes: []byte(s)})
		if err != nil {
			t.Fatal(err)
		}
		explicit, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: ia5})
		if err != nil {
			t.Fatal(err)
		}
		oid, err := asn1.Marshal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 7})
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: append(oid, explicit...)})
	}
	for _, u := range uris {
		names = append(names, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(u)})
	}
	san, err := asn1.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(7),
		Subject:         pkix.Name{CommonName: "SAN test"},
		NotBefore:       time.Now().Add(-time.Hour),
		NotAfter:        time.Now().Add(time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 17}, Value: san}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.Cert, key.Public(), c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der, c.Cert.Raw}, PrivateKey: key}
}

// TestIdentity covers the reference identifiers of RFC 7817 §3 and RFC 6125
// §6: the host unless it came from an unsigned SRV answer, the email domain,
// SRV-IDs for the target's service, never URI-IDs.
func TestIdentity(t *testing.T) {
	t.Parallel()
	leaf := func(names ...string) func(t *testing.T) tls.Certificate {
		return func(t *testing.T) tls.Certificate { return must(ca(t).Leaf(names...)) }
	}
	san := func(dns, srv, uris []string) func(t *testing.T) tls.Certificate {
		return func(t *testing.T) tls.Certificate { return sanLeaf(t, dns, srv, uris) }
	}
	tests := []struct {
		name        string
		cert        func(t *testing.T) tls.Certificate
		proto       autoconfig.Protocol
		sec         autoconfig.Security
		notRef      bool
		identities  []string
		valid       bool
		matched     string
		hostMatches bool
		errSub      string
	}{
		{name: "SRV-ID imaps", cert: san([]string{"other.example.test"}, []string{"_imaps.example.test"}, nil),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, identities: []string{"example.test"}, valid: true, matched: "_imaps.example.test"},
		{name: "SRV-ID case-insensitive", cert: san(nil, []string{"_IMAPS.Example.TEST"}, nil),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, identities: []string{"example.test"}, valid: true, matched: "_imaps.example.test"},
		{name: "SRV-ID wrong service", cert: san([]string{"other.example.test"}, []string{"_imaps.example.test"}, nil),
			proto: autoconfig.IMAP, sec: autoconfig.STARTTLS, identities: []string{"example.test"}, errSub: "it names other.example.test, _imaps.example.test"},
		{name: "SRV-ID submission", cert: san(nil, []string{"_submission.example.test"}, nil),
			proto: autoconfig.SMTP, sec: autoconfig.STARTTLS, identities: []string{"example.test"}, valid: true, matched: "_submission.example.test"},
		{name: "SRV-ID submissions", cert: san(nil, []string{"_submissions.example.test"}, nil),
			proto: autoconfig.SMTP, sec: autoconfig.TLS, identities: []string{"example.test"}, valid: true, matched: "_submissions.example.test"},
		{name: "SRV-ID pop3s", cert: san(nil, []string{"_pop3s.example.test"}, nil),
			proto: autoconfig.POP3, sec: autoconfig.TLS, identities: []string{"example.test"}, valid: true, matched: "_pop3s.example.test"},
		{name: "SRV-ID pop3 for POP3S", cert: san(nil, []string{"_pop3.example.test"}, nil),
			proto: autoconfig.POP3, sec: autoconfig.TLS, identities: []string{"example.test"}},
		{name: "SRV-ID of the host", cert: san(nil, []string{"_imap.mail.example.test"}, nil),
			proto: autoconfig.IMAP, sec: autoconfig.STARTTLS, valid: true, matched: "_imap.mail.example.test"},
		{name: "SRV-ID of another domain", cert: san(nil, []string{"_imaps.example.org"}, nil),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, identities: []string{"example.test"}},
		{name: "SRV-ID no wildcard", cert: san(nil, []string{"_imaps.*.test"}, nil),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, identities: []string{"example.test"}},
		{name: "URI-ID never", cert: san(nil, nil, []string{"imaps://mail.example.test", "imap://mail.example.test:993"}),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, identities: []string{"example.test"}, errSub: "it names no DNS name"},
		{name: "URI-ID beside a DNS-ID", cert: san([]string{"mail.example.test"}, nil, []string{"imaps://mail.example.test"}),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, valid: true, matched: host, hostMatches: true},
		{name: "host not a reference", cert: leaf(host),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, notRef: true, identities: []string{"example.test"}, hostMatches: true,
			errSub: "valid for mail.example.test, which came from an unsigned SRV answer and needs confirmation, but not for example.test"},
		{name: "host not a reference, no identity", cert: leaf(host),
			proto: autoconfig.SMTP, sec: autoconfig.STARTTLS, notRef: true, hostMatches: true, errSub: "no other name was given"},
		{name: "host not a reference, domain matches", cert: leaf(host, "example.test"),
			proto: autoconfig.POP3, sec: autoconfig.TLS, notRef: true, identities: []string{"example.test"}, valid: true, matched: "example.test", hostMatches: true},
		{name: "host not a reference, SRV-ID matches", cert: san(nil, []string{"_imaps.example.test"}, nil),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, notRef: true, identities: []string{"example.test"}, valid: true, matched: "_imaps.example.test"},
		{name: "host matches besides the domain", cert: leaf("example.test"),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, identities: []string{"example.test"}, valid: true, matched: "example.test"},
		{name: "wildcard left-most label", cert: leaf("*.example.test"),
			proto: autoconfig.IMAP, sec: autoconfig.TLS, valid: true, matched: host, hostMatches: true},
		{name: "wildcard not two labels", cert: leaf("*.test"),
			proto: autoconfig.IMAP, sec: autoconfig.TLS},
		{name: "wildcard not the base domain", cert: leaf("*.mail.example.test"),
			proto: autoconfig.IMAP, sec: autoconfig.TLS},
		{name: "partial wildcard", cert: leaf("ma*.example.test"),
			proto: autoconfig.IMAP, sec: autoconfig.TLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &script{proto: string(tt.proto), implicit: tt.sec == autoconfig.TLS, cert: tt.cert(t)}
			port := s.listen(t, "tcp4", "")
			r := probe.Probe(context.Background(), probe.Target{Protocol: tt.proto, Host: host, Port: port, Security: tt.sec,
				Identities: tt.identities, HostNotReference: tt.notRef}, options(t))
			c := r.Cert
			if c == nil {
				t.Fatalf("Cert = nil (%s)", r.Error)
			}
			if c.Valid != tt.valid || c.MatchedName != tt.matched || c.HostMatches != tt.hostMatches {
				t.Errorf("Cert Valid, MatchedName, HostMatches = %v, %q, %v; want %v, %q, %v (%s)",
					c.Valid, c.MatchedName, c.HostMatches, tt.valid, tt.matched, tt.hostMatches, c.Error)
			}
			if tt.valid {
				want(t, r, probe.StatusOK, "")
				return
			}
			want(t, r, probe.StatusTLSError, tt.errSub)
			if c.Problem != probe.ProblemNameMismatch {
				t.Errorf("Cert.Problem = %q, want %q", c.Problem, probe.ProblemNameMismatch)
			}
		})
	}
}

// TestSRVNames: the leaf's SRVNames are reported, lower case.
func TestSRVNames(t *testing.T) {
	t.Parallel()
	s := &script{proto: "imap", implicit: true, cert: sanLeaf(t, []string{host}, []string{"_imaps.Example.test", "_imap.example.test"}, []string{"imaps://x.test"})}
	r := run(t, s, autoconfig.IMAP, autoconfig.TLS, options(t))
	want(t, r, probe.StatusOK, "")
	if got := r.Cert.SRVNames; !slices.Equal(got, []string{"_imaps.example.test", "_imap.example.test"}) {
		t.Errorf("Cert.SRVNames = %q", got)
	}
	if !slices.Equal(r.Cert.DNSNames, []string{host}) || !strings.Contains(r.Cert.Subject, "SAN test") {
		t.Errorf("Cert = %+v", r.Cert)
	}
}
