package probe

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// handshake runs the TLS handshake over the raw connection (never over a
// buffered reader, so nothing sent in plaintext can enter the TLS stream),
// records the version, cipher suite and certificate, and verifies the
// certificate. After STARTTLS, sk is the raw connection, which discards
// plaintext sent before the first TLS record; nil for implicit TLS. On a
// certificate failure it closes the connection without sending anything
// more.
func (p *prober) handshake(sk *skipText) (*tls.Conn, *failure) {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12, // RFC 8997 (updating RFC 8314 §4.1): TLS 1.2 at least
		ServerName: p.t.Host,         // SNI; crypto/tls leaves it out for an IP literal
		// The chain and names are verified by checkCert below, after the
		// handshake, so that a bad certificate is still described in the
		// result. Nothing is sent over the connection before that check.
		InsecureSkipVerify: true,
	}
	p.flushReads() // the plaintext part ends here
	var raw net.Conn = p.conn
	if sk != nil {
		raw = sk
	}
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(p.ctx); err != nil {
		if p.ctx.Err() != nil || isTimeout(err) {
			return nil, p.netFail(err, "TLS handshake")
		}
		var rh tls.RecordHeaderError
		switch {
		case errors.Is(err, errNotTLS):
			return nil, fail(StatusTLSError, nil, "TLS handshake: the server sent more than %d bytes of plaintext after its STARTTLS answer, and no TLS", maxSkipped)
		case errors.As(err, &rh):
			// What the server sent instead of a ServerHello goes to the
			// transcript, marked untrusted, and never into Result.Error.
			p.tr.add(FromServer, string(rh.RecordHeader[:]), true, 0)
			return nil, fail(StatusTLSError, nil, "TLS handshake: the server did not answer in TLS")
		// crypto/tls has no typed error for a protocol_version alert over
		// TCP (tls.AlertError is for QUIC) nor for a ServerHello below
		// MinVersion: its message is all there is.
		case strings.Contains(err.Error(), "protocol version"):
			// A server below the floor either alerts protocol_version or
			// picks an old version: either way it has no TLS 1.2.
			return nil, fail(StatusTLSError, err, "TLS handshake failed: the server offers no TLS 1.2 or later (RFC 8997 requires TLS 1.2 at least)")
		}
		return nil, fail(StatusTLSError, err, "TLS handshake failed")
	}
	st := tc.ConnectionState()
	p.res.TLSVersion = tls.VersionName(st.Version)
	p.res.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
	p.res.Cert = checkCert(st.PeerCertificates, p.identity(), p.o.RootCAs, p.o.Now())
	p.log.Debug("TLS established", "version", p.res.TLSVersion, "cipher", p.res.CipherSuite,
		"cert_valid", p.res.Cert.Valid, "cert_problem", p.res.Cert.Problem)
	if p.res.Cert.Valid {
		p.tr.note("TLS handshake done: %s, %s; certificate valid for %s", p.res.TLSVersion, p.res.CipherSuite, p.res.Cert.MatchedName)
	} else {
		p.tr.note("TLS handshake done: %s, %s; certificate refused: %s", p.res.TLSVersion, p.res.CipherSuite, p.res.Cert.Error)
		// RFC 8314 §5.3, RFC 7817 §3: the certificate MUST verify; when it
		// does not, stop here, before any application data.
		tc.Close()
		return nil, fail(StatusTLSError, nil, "%s", p.res.Cert.Error).as(&CertError{Problem: p.res.Cert.Problem, Reason: p.res.Cert.Error})
	}
	p.verified = true
	if p.login == nil && p.o.Handshaken != nil {
		p.o.Handshaken(p.res.Cert)
	}
	return tc, nil
}

// identity is what a certificate must match: the reference identifiers of
// RFC 6125 §6.2.1 and RFC 7817 §3.
type identity struct {
	// host is the host connected to, normalised.
	host string
	// refs are the reference identifiers (DNS domain names or IP
	// literals), best first: the host unless Target.HostNotReference, then
	// the identities.
	refs []string
	// service is the SRV service name of the target ("imaps", "submission"),
	// for SRV-IDs (RFC 4985, RFC 6125 §6.5.1); empty for none.
	service string
}

// identity returns the reference identifiers of the target: the host name
// (unless it came from an unsigned SRV answer: RFC 7817 §3, RFC 6186 §6),
// then the extra identities (RFC 7817 §3), lower case, without a trailing
// dot, without duplicates.
func (p *prober) identity() identity {
	id := identity{host: normName(p.t.Host), service: srvService(p.t.Protocol, p.t.Security)}
	seen := map[string]bool{}
	names := p.t.Identities
	if !p.t.HostNotReference {
		names = append([]string{p.t.Host}, names...)
	}
	for _, n := range names {
		n = normName(n)
		// A reference identifier is a name, never a pattern (RFC 6125 §6.4.3).
		if n == "" || strings.Contains(n, "*") || seen[n] {
			continue
		}
		seen[n] = true
		id.refs = append(id.refs, n)
	}
	return id
}

func normName(n string) string {
	n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
	return strings.TrimSuffix(strings.TrimPrefix(n, "["), "]")
}

// srvService is the SRV service name of a target (RFC 6186 §3, RFC 8314
// §5.1), which an SRV-ID names.
func srvService(proto autoconfig.Protocol, sec autoconfig.Security) string {
	tls := sec == autoconfig.TLS
	switch {
	case sec != autoconfig.TLS && sec != autoconfig.STARTTLS:
		return ""
	case proto == autoconfig.IMAP && tls:
		return "imaps"
	case proto == autoconfig.IMAP:
		return "imap"
	case proto == autoconfig.POP3 && tls:
		return "pop3s"
	case proto == autoconfig.POP3:
		return "pop3"
	case proto == autoconfig.SMTP && tls:
		return "submissions"
	case proto == autoconfig.SMTP:
		return "submission"
	}
	return ""
}

// checkCert verifies a served chain (leaf first) against roots (nil: the
// system roots) at time now, and matches the leaf against the reference
// identifiers. It always describes the leaf, valid or not.
func checkCert(chain []*x509.Certificate, id identity, roots *x509.CertPool, now time.Time) *CertInfo {
	ci := &CertInfo{}
	if len(chain) == 0 {
		ci.Problem = ProblemInvalid
		ci.Error = "the server sent no certificate"
		return ci
	}
	leaf := chain[0]
	for _, c := range chain {
		ci.Chain = append(ci.Chain, c.Raw)
	}
	ci.Subject = leaf.Subject.String()
	ci.Issuer = leaf.Issuer.String()
	ci.DNSNames = leaf.DNSNames
	ci.SRVNames = srvNames(leaf)
	ci.NotBefore = leaf.NotBefore
	ci.NotAfter = leaf.NotAfter
	const day = "2006-01-02 15:04 MST"

	// Names first, so that MatchedName is filled even for a certificate
	// failing for another reason. RFC 6125 §6.4: DNS-ID (and IP) subject
	// alternative names, a wildcard only as the whole left-most label;
	// x509.Certificate.VerifyHostname implements exactly that, and ignores
	// URI-IDs, which never identify a mail server (RFC 7817 §3). RFC 6125
	// §6.5.1: an SRV-ID for the target's service counts too.
	ci.HostMatches = id.host != "" && leaf.VerifyHostname(id.host) == nil
	for _, ref := range id.refs {
		if leaf.VerifyHostname(ref) == nil {
			ci.MatchedName = ref
			break
		}
		if m := matchSRV(ci.SRVNames, id.service, ref); m != "" {
			ci.MatchedName = m
			break
		}
	}

	// Validity period of the leaf (RFC 5280 §4.1.2.5).
	switch {
	case now.After(leaf.NotAfter):
		ci.Problem = ProblemExpired
		ci.Error = fmt.Sprintf("certificate expired on %s", leaf.NotAfter.UTC().Format(day))
		return ci
	case now.Before(leaf.NotBefore):
		ci.Problem = ProblemNotYetValid
		ci.Error = fmt.Sprintf("certificate is not valid before %s", leaf.NotBefore.UTC().Format(day))
		return ci
	}

	// Chain to a trusted root (RFC 5280 §6), with the served intermediates.
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err != nil {
		var ua x509.UnknownAuthorityError
		var inv x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua):
			ci.Problem = ProblemUntrusted
			ci.Error = fmt.Sprintf("certificate is not signed by a trusted authority (issuer %q)", ci.Issuer)
		case errors.As(err, &inv) && inv.Reason == x509.Expired:
			// The leaf is in date, so an issuer is not.
			ci.Problem = ProblemExpired
			ci.Error = "certificate chain holds an expired or not yet valid issuer: " + inv.Error()
		default:
			ci.Problem = ProblemInvalid
			ci.Error = "certificate chain is invalid: " + err.Error()
		}
		return ci
	}

	if ci.MatchedName == "" {
		ci.Problem = ProblemNameMismatch
		names := strings.Join(certNames(leaf, ci.SRVNames), ", ")
		switch {
		case len(id.refs) == 0:
			ci.Error = fmt.Sprintf("certificate cannot be matched: %s came from an unsigned SRV answer and no other name was given (it names %s)", id.host, names)
		case ci.HostMatches:
			// RFC 7817 §3, RFC 6186 §6: the host of an unsigned SRV answer
			// is not a reference identifier; the user may confirm it.
			ci.Error = fmt.Sprintf("certificate is valid for %s, which came from an unsigned SRV answer and needs confirmation, but not for %s",
				id.host, strings.Join(id.refs, " or "))
		default:
			ci.Error = fmt.Sprintf("certificate is not valid for %s (it names %s)", strings.Join(id.refs, " or "), names)
		}
		return ci
	}
	ci.Valid = true
	return ci
}

// oidSAN is the subject alternative name extension (RFC 5280 §4.2.1.6) and
// oidSRVName the SRVName otherName in it (RFC 4985 §2).
var (
	oidSAN     = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidSRVName = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 7}
)

// srvNames returns the SRVName otherNames of a certificate ("_imaps.example.org"),
// lower case. A malformed extension yields none: crypto/x509 does not read
// otherNames, so they are parsed here.
func srvNames(c *x509.Certificate) []string {
	var names []string
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidSAN) {
			continue
		}
		n, err := parseSRVNames(ext.Value)
		if err != nil {
			return nil
		}
		names = append(names, n...)
	}
	return names
}

// parseSRVNames reads the SRVNames of a DER SubjectAltName extension value:
//
//	GeneralNames ::= SEQUENCE OF GeneralName
//	GeneralName ::= CHOICE { otherName [0] IMPLICIT OtherName, ... }
//	OtherName ::= SEQUENCE { type-id OBJECT IDENTIFIER, value [0] EXPLICIT ANY }
//	SRVName ::= IA5String (SIZE (1..MAX))   -- RFC 4985 §2
func parseSRVNames(der []byte) ([]string, error) {
	var seq asn1.RawValue
	rest, err := asn1.Unmarshal(der, &seq)
	if err != nil {
		return nil, fmt.Errorf("probe: subject alternative names: %w", err)
	}
	if len(rest) > 0 || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return nil, errors.New("probe: subject alternative names: not a SEQUENCE")
	}
	var names []string
	for b := seq.Bytes; len(b) > 0; {
		var gn asn1.RawValue
		if b, err = asn1.Unmarshal(b, &gn); err != nil {
			return nil, fmt.Errorf("probe: subject alternative name: %w", err)
		}
		if gn.Class != asn1.ClassContextSpecific || gn.Tag != 0 || !gn.IsCompound {
			continue // not an otherName
		}
		var oid asn1.ObjectIdentifier
		val, err := asn1.Unmarshal(gn.Bytes, &oid)
		if err != nil {
			return nil, fmt.Errorf("probe: otherName type: %w", err)
		}
		if !oid.Equal(oidSRVName) {
			continue
		}
		var explicit, str asn1.RawValue
		if _, err := asn1.Unmarshal(val, &explicit); err != nil {
			return nil, fmt.Errorf("probe: SRVName: %w", err)
		}
		if explicit.Class != asn1.ClassContextSpecific || explicit.Tag != 0 {
			return nil, errors.New("probe: SRVName: value is not [0] EXPLICIT")
		}
		if _, err := asn1.Unmarshal(explicit.Bytes, &str); err != nil {
			return nil, fmt.Errorf("probe: SRVName: %w", err)
		}
		if str.Class != asn1.ClassUniversal || str.Tag != asn1.TagIA5String || len(str.Bytes) == 0 {
			return nil, errors.New("probe: SRVName: not an IA5String")
		}
		for _, c := range str.Bytes {
			if c < 0x21 || c > 0x7e {
				return nil, errors.New("probe: SRVName: not a printable ASCII name")
			}
		}
		names = append(names, strings.ToLower(string(str.Bytes)))
	}
	return names, nil
}

// matchSRV returns the SRV-ID of presented that matches service and the
// reference domain ref (RFC 6125 §6.5.1: the service label, then the domain
// as a DNS-ID, case-insensitively), or "". Wildcards are not matched in
// SRV-IDs.
func matchSRV(presented []string, service, ref string) string {
	if service == "" || ref == "" {
		return ""
	}
	want := "_" + service + "." + ref
	for _, p := range presented {
		if strings.TrimSuffix(p, ".") == want {
			return want
		}
	}
	return ""
}

// certNames lists the names a leaf is valid for, for messages.
func certNames(c *x509.Certificate, srv []string) []string {
	names := append(append([]string(nil), c.DNSNames...), srv...)
	for _, ip := range c.IPAddresses {
		if a, ok := netip.AddrFromSlice(ip); ok {
			names = append(names, a.Unmap().String())
		}
	}
	if len(names) == 0 {
		return []string{"no DNS name"}
	}
	return names
}
