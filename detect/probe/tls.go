package probe

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// handshake runs the TLS handshake over the raw connection (never over a
// buffered reader, so nothing sent in plaintext can enter the TLS stream),
// records the version, cipher suite and certificate, and verifies the
// certificate. afterSTARTTLS tells the error wording. On a certificate
// failure it closes the connection without sending anything more.
func (p *prober) handshake(afterSTARTTLS bool) (*tls.Conn, *failure) {
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12, // RFC 8997 (updating RFC 8314 §4.1): TLS 1.2 at least
		ServerName: p.t.Host,         // SNI; crypto/tls leaves it out for an IP literal
		// The chain and names are verified by checkCert below, after the
		// handshake, so that a bad certificate is still described in the
		// result. Nothing is sent over the connection before that check.
		InsecureSkipVerify: true,
	}
	tc := tls.Client(p.conn, cfg)
	if err := tc.HandshakeContext(p.ctx); err != nil {
		if p.ctx.Err() != nil || isTimeout(err) {
			return nil, p.netFail(err, "TLS handshake")
		}
		var rh tls.RecordHeaderError
		if afterSTARTTLS && errors.As(err, &rh) {
			// Plaintext where the ServerHello should be: the server kept
			// talking after its STARTTLS response.
			return nil, fail(StatusProtocolError, nil, "server sent data after STARTTLS response (not a TLS record: %q)", rh.RecordHeader[:])
		}
		if errors.As(err, &rh) {
			return nil, fail(StatusTLSError, nil, "TLS handshake: the server did not answer in TLS (first bytes %q)", rh.RecordHeader[:])
		}
		return nil, fail(StatusTLSError, err, "TLS handshake failed")
	}
	st := tc.ConnectionState()
	p.res.TLSVersion = tls.VersionName(st.Version)
	p.res.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
	p.res.Cert = checkCert(st.PeerCertificates, p.references(), p.o.RootCAs, p.o.Now())
	p.log.Debug("TLS established", "version", p.res.TLSVersion, "cipher", p.res.CipherSuite,
		"cert_valid", p.res.Cert.Valid, "cert_problem", p.res.Cert.Problem)
	if !p.res.Cert.Valid {
		// RFC 8314 §5.3, RFC 7817 §3: the certificate MUST verify; when it
		// does not, stop here, before any application data.
		tc.Close()
		return nil, fail(StatusTLSError, nil, "%s", p.res.Cert.Error)
	}
	return tc, nil
}

// references are the reference identifiers of RFC 6125 §6.2.1: the host
// name, then the extra identities (RFC 7817 §3), lower case, without a
// trailing dot, without duplicates.
func (p *prober) references() []string {
	var refs []string
	seen := map[string]bool{}
	for _, id := range append([]string{p.t.Host}, p.t.Identities...) {
		id = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(id), "."))
		id = strings.TrimSuffix(strings.TrimPrefix(id, "["), "]")
		// A reference identifier is a name, never a pattern (RFC 6125 §6.4.3).
		if id == "" || strings.Contains(id, "*") || seen[id] {
			continue
		}
		seen[id] = true
		refs = append(refs, id)
	}
	return refs
}

// checkCert verifies a served chain (leaf first) against roots (nil: the
// system roots) at time now, and matches the leaf against the reference
// identifiers. It always describes the leaf, valid or not.
func checkCert(chain []*x509.Certificate, refs []string, roots *x509.CertPool, now time.Time) *CertInfo {
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
	ci.NotBefore = leaf.NotBefore
	ci.NotAfter = leaf.NotAfter
	const day = "2006-01-02 15:04 MST"

	// Names first, so that MatchedName is filled even for a certificate
	// failing for another reason. RFC 6125 §6.4: DNS-ID (and IP) subject
	// alternative names only, a wildcard only as the whole left-most label;
	// x509.Certificate.VerifyHostname implements exactly that.
	for _, ref := range refs {
		if leaf.VerifyHostname(ref) == nil {
			ci.MatchedName = ref
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
		ci.Error = fmt.Sprintf("certificate is not valid for %s (it names %s)",
			strings.Join(refs, " or "), strings.Join(certNames(leaf), ", "))
		return ci
	}
	ci.Valid = true
	return ci
}

// certNames lists the names a leaf is valid for, for messages.
func certNames(c *x509.Certificate) []string {
	names := append([]string(nil), c.DNSNames...)
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
