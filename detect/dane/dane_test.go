package dane_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dane"
)

const host = "mail.example.org"

// The test PKI, built once in TestMain: root → intermediate → leaf for host,
// and an unrelated self-signed CA with its own key.
var (
	now                      time.Time
	root, inter, leaf, other *x509.Certificate
	rootPool, otherPool      *x509.CertPool
	served, servedWithRoot   [][]byte
	leafOnly                 [][]byte
)

func TestMain(m *testing.M) {
	if err := buildPKI(); err != nil {
		fmt.Fprintln(os.Stderr, "building test PKI:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func buildPKI() error {
	now = time.Now()
	var rootKey, interKey *ecdsa.PrivateKey
	var err error
	serial := int64(0)
	issue := func(tmpl *x509.Certificate, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore = now.Add(-24 * time.Hour)
		tmpl.NotAfter = now.Add(90 * 24 * time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			return nil, nil, err
		}
		c, err := x509.ParseCertificate(der)
		return c, key, err
	}
	ca := func(cn string) *x509.Certificate {
		return &x509.Certificate{
			Subject:               pkix.Name{CommonName: cn},
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}
	}
	if root, rootKey, err = issue(ca("Test Root"), nil, nil); err != nil {
		return err
	}
	if inter, interKey, err = issue(ca("Test Intermediate"), root, rootKey); err != nil {
		return err
	}
	if leaf, _, err = issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: host},
		DNSNames:    []string{host},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, inter, interKey); err != nil {
		return err
	}
	if other, _, err = issue(ca("Other CA"), nil, nil); err != nil {
		return err
	}
	rootPool = x509.NewCertPool()
	rootPool.AddCert(root)
	otherPool = x509.NewCertPool()
	otherPool.AddCert(other)
	served = [][]byte{leaf.Raw, inter.Raw}
	servedWithRoot = [][]byte{leaf.Raw, inter.Raw, root.Raw}
	leafOnly = [][]byte{leaf.Raw}
	return nil
}

// rec returns the record for cert, failing the test on error.
func rec(t *testing.T, usage, selector, matching uint8, cert *x509.Certificate) *dns.TLSA {
	t.Helper()
	r, err := dane.Record(usage, selector, matching, cert)
	if err != nil {
		t.Fatalf("Record(%d, %d, %d, %s) = %v, want no error", usage, selector, matching, cert.Subject, err)
	}
	return r
}

// raw returns a record with arbitrary fields, for unusable records.
func raw(usage, selector, matching uint8, data string) *dns.TLSA {
	return &dns.TLSA{
		Hdr:   dns.RR_Header{Rrtype: dns.TypeTLSA, Class: dns.ClassINET},
		Usage: usage, Selector: selector, MatchingType: matching, Certificate: data,
	}
}

func records(rrs []*dns.TLSA) string {
	var s []string
	for _, r := range rrs {
		if r == nil {
			s = append(s, "nil")
			continue
		}
		d := r.Certificate
		if len(d) > 8 {
			d = d[:8] + "…"
		}
		s = append(s, fmt.Sprintf("%d %d %d %s", r.Usage, r.Selector, r.MatchingType, d))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// TestVerifyMatrix checks every usage × selector × matching type: a record
// for the right certificate verifies, one for another key does not.
func TestVerifyMatrix(t *testing.T) {
	// The certificate each usage names, in the served chain leaf, inter.
	target := map[uint8]*x509.Certificate{
		dane.UsagePKIXTA: inter,
		dane.UsagePKIXEE: leaf,
		dane.UsageDANETA: inter,
		dane.UsageDANEEE: leaf,
	}
	for usage := uint8(0); usage <= 3; usage++ {
		for selector := uint8(0); selector <= 1; selector++ {
			for matching := uint8(0); matching <= 2; matching++ {
				name := fmt.Sprintf("%d %d %d", usage, selector, matching)
				t.Run(name, func(t *testing.T) {
					good := rec(t, usage, selector, matching, target[usage])
					got := dane.Verify([]*dns.TLSA{good}, served, host, rootPool, now)
					if got.Status != dane.Verified || got.Matched != good || got.Usable != 1 {
						t.Errorf("Verify(%s) = %s %v usable %d (%s), want verified, matched, usable 1", name, got.Status, got.Matched, got.Usable, got.Reason)
					}
					bad := rec(t, usage, selector, matching, other)
					got = dane.Verify([]*dns.TLSA{bad}, served, host, rootPool, now)
					if got.Status != dane.Mismatch || got.Matched != nil || got.Usable != 1 {
						t.Errorf("Verify(%s for another key) = %s %v usable %d (%s), want mismatch, no match, usable 1", name, got.Status, got.Matched, got.Usable, got.Reason)
					}
				})
			}
		}
	}
}

func TestVerify(t *testing.T) {
	ee := rec(t, 3, 1, 1, leaf)
	eeOther := rec(t, 3, 1, 1, other)
	ta := rec(t, 2, 0, 1, inter)
	short := raw(3, 1, 2, strings.Repeat("ab", 32)) // 32 bytes for SHA-512
	upper := rec(t, 3, 0, 2, leaf)
	upper.Certificate = strings.ToUpper(upper.Certificate)
	notCert := raw(3, 0, 0, hex.EncodeToString([]byte("not a certificate")))

	tests := []struct {
		name    string
		records []*dns.TLSA
		chain   [][]byte
		host    string
		roots   *x509.CertPool
		now     time.Time
		want    dane.Status
		usable  int
		matched *dns.TLSA // checked when want is Verified
		reason  string    // substring of Reason, when set
	}{
		// DANE-EE: no name and no validity checks (RFC 7671 §5.1).
		{name: "DANE-EE wrong name", records: []*dns.TLSA{ee}, chain: served, host: "other.example.net", want: dane.Verified, usable: 1, matched: ee},
		{name: "DANE-EE no name", records: []*dns.TLSA{ee}, chain: served, host: "", want: dane.Verified, usable: 1, matched: ee},
		{name: "DANE-EE expired leaf", records: []*dns.TLSA{ee}, chain: served, host: host, now: leaf.NotAfter.Add(365 * 24 * time.Hour), want: dane.Verified, usable: 1, matched: ee},
		{name: "DANE-EE not yet valid", records: []*dns.TLSA{ee}, chain: served, host: host, now: leaf.NotBefore.Add(-time.Hour), want: dane.Verified, usable: 1, matched: ee},
		{name: "DANE-EE leaf only, untrusted", records: []*dns.TLSA{ee}, chain: leafOnly, host: host, roots: otherPool, want: dane.Verified, usable: 1, matched: ee},
		{name: "DANE-EE upper-case hex", records: []*dns.TLSA{upper}, chain: served, host: host, want: dane.Verified, usable: 1, matched: upper},
		{name: "second record matches", records: []*dns.TLSA{eeOther, ee}, chain: served, host: host, want: dane.Verified, usable: 2, matched: ee},
		{name: "DANE-EE full data not a certificate", records: []*dns.TLSA{notCert}, chain: served, host: host, want: dane.Mismatch, usable: 1},

		// DANE-TA: the anchor must be served, the chain verify, the name match.
		{name: "DANE-TA anchor not served", records: []*dns.TLSA{ta}, chain: leafOnly, host: host, want: dane.Mismatch, usable: 1, reason: "must be served"},
		{name: "DANE-TA root not served", records: []*dns.TLSA{rec(t, 2, 1, 1, root)}, chain: served, host: host, want: dane.Mismatch, usable: 1},
		{name: "DANE-TA root served", records: []*dns.TLSA{rec(t, 2, 1, 1, root)}, chain: servedWithRoot, host: host, want: dane.Verified, usable: 1},
		{name: "DANE-TA full root served", records: []*dns.TLSA{rec(t, 2, 0, 0, root)}, chain: servedWithRoot, host: host, want: dane.Verified, usable: 1},
		{name: "DANE-TA wrong name", records: []*dns.TLSA{ta}, chain: served, host: "other.example.net", want: dane.Mismatch, usable: 1, reason: "does not verify"},
		{name: "DANE-TA no name", records: []*dns.TLSA{ta}, chain: served, host: "", want: dane.Mismatch, usable: 1, reason: "no host name"},
		{name: "DANE-TA name with dot and capitals", records: []*dns.TLSA{ta}, chain: served, host: "Mail.Example.ORG.", want: dane.Verified, usable: 1, matched: ta},
		{name: "DANE-TA expired leaf", records: []*dns.TLSA{ta}, chain: served, host: host, now: leaf.NotAfter.Add(time.Hour), want: dane.Mismatch, usable: 1},
		{name: "DANE-TA matches only the leaf", records: []*dns.TLSA{rec(t, 2, 1, 1, leaf)}, chain: served, host: host, want: dane.Mismatch, usable: 1, reason: "own trust anchor"},
		{name: "DANE-TA leaf served twice", records: []*dns.TLSA{rec(t, 2, 1, 1, leaf)}, chain: [][]byte{leaf.Raw, leaf.Raw, inter.Raw}, host: host, want: dane.Mismatch, usable: 1},
		{name: "DANE-TA needs no PKIX roots", records: []*dns.TLSA{ta}, chain: served, host: host, roots: otherPool, want: dane.Verified, usable: 1, matched: ta},
		{name: "DANE-TA chain served out of order", records: []*dns.TLSA{ta}, chain: [][]byte{leaf.Raw, root.Raw, inter.Raw}, host: host, want: dane.Verified, usable: 1, matched: ta},

		// PKIX usages: PKIX validation to roots, name check.
		{name: "PKIX-EE untrusted root", records: []*dns.TLSA{rec(t, 1, 1, 1, leaf)}, chain: served, host: host, roots: otherPool, want: dane.Mismatch, usable: 1, reason: "PKIX validation failed"},
		{name: "PKIX-EE wrong name", records: []*dns.TLSA{rec(t, 1, 1, 1, leaf)}, chain: served, host: "other.example.net", want: dane.Mismatch, usable: 1},
		{name: "PKIX-EE no name", records: []*dns.TLSA{rec(t, 1, 1, 1, leaf)}, chain: served, host: "", want: dane.Mismatch, usable: 1},
		{name: "PKIX-EE expired leaf", records: []*dns.TLSA{rec(t, 1, 1, 1, leaf)}, chain: served, host: host, now: leaf.NotAfter.Add(time.Hour), want: dane.Mismatch, usable: 1},
		{name: "PKIX-TA untrusted root", records: []*dns.TLSA{rec(t, 0, 0, 1, inter)}, chain: served, host: host, roots: otherPool, want: dane.Mismatch, usable: 1},
		{name: "PKIX-TA wrong name", records: []*dns.TLSA{rec(t, 0, 0, 1, inter)}, chain: served, host: "other.example.net", want: dane.Mismatch, usable: 1},
		{name: "PKIX-TA no name", records: []*dns.TLSA{rec(t, 0, 0, 1, inter)}, chain: served, host: "", want: dane.Mismatch, usable: 1},
		{name: "PKIX-TA root from the pool", records: []*dns.TLSA{rec(t, 0, 1, 1, root)}, chain: served, host: host, want: dane.Verified, usable: 1},
		{name: "PKIX-TA record for the leaf", records: []*dns.TLSA{rec(t, 0, 1, 1, leaf)}, chain: served, host: host, want: dane.Mismatch, usable: 1},

		// Digest algorithm agility (RFC 7671 §9).
		{name: "SHA-256 matches, stronger SHA-512 does not", records: []*dns.TLSA{ee, rec(t, 3, 1, 2, other)}, chain: served, host: host, want: dane.Mismatch, usable: 2, reason: "stronger digest"},
		{name: "SHA-512 matches, weaker SHA-256 does not", records: []*dns.TLSA{eeOther, rec(t, 3, 1, 2, leaf)}, chain: served, host: host, want: dane.Verified, usable: 2},
		{name: "Full matches beside a non-matching SHA-512", records: []*dns.TLSA{rec(t, 3, 1, 0, leaf), rec(t, 3, 1, 2, other)}, chain: served, host: host, want: dane.Verified, usable: 2},
		{name: "SHA-512 for another selector", records: []*dns.TLSA{ee, rec(t, 3, 0, 2, other)}, chain: served, host: host, want: dane.Verified, usable: 2, matched: ee},
		{name: "SHA-512 for another usage", records: []*dns.TLSA{ee, rec(t, 2, 1, 2, other)}, chain: served, host: host, want: dane.Verified, usable: 2, matched: ee},
		{name: "malformed SHA-512 does not count", records: []*dns.TLSA{ee, short}, chain: served, host: host, want: dane.Verified, usable: 1, matched: ee},

		// Unusable records are skipped (RFC 6698 §4.1).
		{name: "only unusable records", records: []*dns.TLSA{
			raw(4, 1, 1, ee.Certificate), raw(3, 2, 1, ee.Certificate), raw(3, 1, 3, ee.Certificate),
			raw(3, 1, 1, "abcd"), raw(3, 1, 1, "zz"), raw(3, 1, 0, ""), short, nil,
		}, chain: served, host: host, want: dane.None, usable: 0, reason: "no usable TLSA records"},
		{name: "unusable beside a match", records: []*dns.TLSA{raw(255, 1, 1, ee.Certificate), ee}, chain: served, host: host, want: dane.Verified, usable: 1, matched: ee},
		{name: "unusable beside a mismatch", records: []*dns.TLSA{raw(3, 1, 9, ee.Certificate), eeOther}, chain: served, host: host, want: dane.Mismatch, usable: 1, reason: "unusable"},
		{name: "empty", records: []*dns.TLSA{}, chain: served, host: host, want: dane.None, usable: 0, reason: "no usable TLSA records"},
		{name: "nil", records: nil, chain: served, host: host, want: dane.None, usable: 0, reason: "no usable TLSA records"},

		// The served chain.
		{name: "no certificate served", records: []*dns.TLSA{ee}, chain: nil, host: host, want: dane.Mismatch, usable: 1, reason: "no certificate"},
		{name: "garbage served", records: []*dns.TLSA{ee}, chain: [][]byte{[]byte("junk")}, host: host, want: dane.Mismatch, usable: 1, reason: "cannot be parsed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roots := tt.roots
			if roots == nil {
				roots = rootPool
			}
			when := tt.now
			if when.IsZero() {
				when = now
			}
			got := dane.Verify(tt.records, tt.chain, tt.host, roots, when)
			call := fmt.Sprintf("Verify(%s, %d certs, %q)", records(tt.records), len(tt.chain), tt.host)
			if got.Status != tt.want {
				t.Errorf("%s = %s (%s), want %s", call, got.Status, got.Reason, tt.want)
			}
			if got.Usable != tt.usable {
				t.Errorf("%s.Usable = %d, want %d", call, got.Usable, tt.usable)
			}
			if got.Reason == "" || !strings.Contains(got.Reason, tt.reason) {
				t.Errorf("%s.Reason = %q, want it to contain %q", call, got.Reason, tt.reason)
			}
			switch {
			case tt.want != dane.Verified && got.Matched != nil:
				t.Errorf("%s.Matched = %v, want nil", call, got.Matched)
			case tt.want == dane.Verified && got.Matched == nil:
				t.Errorf("%s.Matched = nil, want a record", call)
			case tt.matched != nil && got.Matched != tt.matched:
				t.Errorf("%s.Matched = %v, want %v", call, got.Matched, tt.matched)
			}
		})
	}
}

// TestVerifyNeverInsecureOrBogus documents that those statuses are the
// engine's: Verify only ever answers verified, mismatch or none.
func TestVerifyNeverInsecureOrBogus(t *testing.T) {
	for _, rrs := range [][]*dns.TLSA{nil, {rec(t, 3, 1, 1, leaf)}, {rec(t, 3, 1, 1, other)}} {
		got := dane.Verify(rrs, served, host, rootPool, now)
		if got.Status == dane.Insecure || got.Status == dane.Bogus {
			t.Errorf("Verify(%s) = %s, want verified, mismatch or none", records(rrs), got.Status)
		}
	}
}

func TestName(t *testing.T) {
	tests := []struct {
		host string
		port int
		want string
	}{
		{"mail.example.org", 993, "_993._tcp.mail.example.org."},
		{"mail.example.org.", 465, "_465._tcp.mail.example.org."},
		{"SMTP.Example.ORG", 587, "_587._tcp.smtp.example.org."},
		{"xn--bcher-kva.example", 995, "_995._tcp.xn--bcher-kva.example."},
	}
	for _, tt := range tests {
		if got := dane.Name(tt.host, tt.port); got != tt.want {
			t.Errorf("Name(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}

func TestRecord(t *testing.T) {
	sum256 := func(b []byte) []byte { d := sha256.Sum256(b); return d[:] }
	sum512 := func(b []byte) []byte { d := sha512.Sum512(b); return d[:] }
	for usage := uint8(0); usage <= 3; usage++ {
		for selector := uint8(0); selector <= 1; selector++ {
			for matching := uint8(0); matching <= 2; matching++ {
				got, err := dane.Record(usage, selector, matching, leaf)
				call := fmt.Sprintf("Record(%d, %d, %d, leaf)", usage, selector, matching)
				if err != nil {
					t.Errorf("%s = %v, want no error", call, err)
					continue
				}
				b := leaf.Raw
				if selector == 1 {
					b = leaf.RawSubjectPublicKeyInfo
				}
				switch matching {
				case 1:
					b = sum256(b)
				case 2:
					b = sum512(b)
				}
				want := hex.EncodeToString(b)
				if got.Usage != usage || got.Selector != selector || got.MatchingType != matching || got.Certificate != want {
					t.Errorf("%s = %d %d %d %s, want %d %d %d %s", call, got.Usage, got.Selector, got.MatchingType, got.Certificate, usage, selector, matching, want)
				}
				if got.Hdr.Rrtype != dns.TypeTLSA || got.Hdr.Class != dns.ClassINET {
					t.Errorf("%s header = type %d class %d, want TLSA IN", call, got.Hdr.Rrtype, got.Hdr.Class)
				}
				// miekg/dns computes the same data independently.
				if err := got.Verify(leaf); err != nil {
					t.Errorf("%s: (*dns.TLSA).Verify(leaf) = %v, want nil", call, err)
				}
			}
		}
	}

	errs := []struct {
		usage, selector, matching uint8
		cert                      *x509.Certificate
		want                      error
	}{
		{4, 1, 1, leaf, dane.ErrParameter},
		{3, 2, 1, leaf, dane.ErrParameter},
		{3, 1, 3, leaf, dane.ErrParameter},
		{3, 1, 1, nil, dane.ErrNoCertificate},
	}
	for _, tt := range errs {
		got, err := dane.Record(tt.usage, tt.selector, tt.matching, tt.cert)
		if !errors.Is(err, tt.want) || got != nil {
			t.Errorf("Record(%d, %d, %d, %v) = %v, %v, want nil, %v", tt.usage, tt.selector, tt.matching, tt.cert != nil, got, err, tt.want)
		}
	}
}
