package autoconfig

// Signing of Apple configuration profiles: a signed .mobileconfig is a CMS
// SignedData (RFC 5652) in DER whose encapsulated content is the XML
// property list. iOS and macOS show such a profile as "Verified" when the
// signer's certificate chains to a root the device trusts (a publicly
// trusted TLS certificate of the mail domain is the usual choice), and mark
// any change to a signed profile as a broken signature.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/smallstep/pkcs7"
	"software.sslmate.com/src/go-pkcs12"
)

// ErrSigner means a signing identity is unusable: no certificate or no
// private key in the input, an encrypted PEM key, a key that matches none of
// the certificates, a key type other than RSA (2048 bits or more) or ECDSA,
// a certificate whose key usage forbids signatures or that is outside its
// validity period, or a failure of the CMS encoder. Returned wrapped by
// [LoadSignerPEM], [LoadSignerP12], [NewSigner], [SignProfile] and
// [WriteAppleProfile].
var ErrSigner = errors.New("autoconfig: unusable signing identity")

// Signer is a signing identity for [SignProfile]: a certificate, its private
// key and the intermediate certificates that lead from it towards a root.
// Create one with [LoadSignerPEM], [LoadSignerP12] or [NewSigner]; the zero
// value is not usable. A Signer holds a private key: keep it out of logs.
type Signer struct {
	cert  *x509.Certificate
	key   crypto.Signer
	chain []*x509.Certificate // issuer of cert first
}

// Certificate returns the signer's certificate, for showing who signs.
func (s *Signer) Certificate() *x509.Certificate { return s.cert }

// NewSigner returns a Signer for a private key held in memory or in a
// hardware token (any RSA or ECDSA [crypto.Signer]). certs must hold the
// certificate of key, in any position; the others are searched for the
// chain from it towards a root, which is embedded in every signature so that
// the device can build the path. Certificates not on that chain are ignored.
// Errors wrap [ErrSigner].
func NewSigner(key crypto.Signer, certs []*x509.Certificate) (*Signer, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: no private key", ErrSigner)
	}
	switch k := key.Public().(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return nil, fmt.Errorf("%w: RSA key of %d bits, fewer than 2048", ErrSigner, k.N.BitLen())
		}
	case *ecdsa.PublicKey:
	default:
		return nil, fmt.Errorf("%w: %T key, not RSA or ECDSA", ErrSigner, k)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok {
		return nil, fmt.Errorf("%w: cannot compare the key with the certificates", ErrSigner)
	}
	var leaf *x509.Certificate
	for _, c := range certs {
		if c != nil && pub.Equal(c.PublicKey) {
			leaf = c
			break
		}
	}
	if leaf == nil {
		return nil, fmt.Errorf("%w: none of %d certificates matches the private key", ErrSigner, len(certs))
	}
	if leaf.KeyUsage != 0 && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		return nil, fmt.Errorf("%w: certificate %q does not allow digital signatures", ErrSigner, leaf.Subject.CommonName)
	}
	return &Signer{cert: leaf, key: key, chain: signerChain(leaf, certs)}, nil
}

// signerChain follows issuers from leaf through certs, stopping at a
// self-signed certificate, at one whose issuer is not in certs, or after 10
// steps.
func signerChain(leaf *x509.Certificate, certs []*x509.Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	used := map[*x509.Certificate]bool{leaf: true}
	for cur := leaf; len(chain) < 10; {
		if bytes.Equal(cur.RawIssuer, cur.RawSubject) && cur.CheckSignatureFrom(cur) == nil {
			break // a root
		}
		var next *x509.Certificate
		for _, c := range certs {
			if c != nil && !used[c] && bytes.Equal(c.RawSubject, cur.RawIssuer) && cur.CheckSignatureFrom(c) == nil {
				next = c
				break
			}
		}
		if next == nil {
			break
		}
		used[next] = true
		chain = append(chain, next)
		cur = next
	}
	return chain
}

// LoadSignerPEM returns the Signer of PEM-encoded certificates and private
// key. certPEM holds the signer's certificate and, in any order, the
// intermediates of its chain (a "fullchain" file); keyPEM holds one
// unencrypted private key: RSA or ECDSA, as PKCS#8 ("PRIVATE KEY"), PKCS#1
// ("RSA PRIVATE KEY") or SEC 1 ("EC PRIVATE KEY"). Both may be the same
// combined file. Errors wrap [ErrSigner].
func LoadSignerPEM(certPEM, keyPEM []byte) (*Signer, error) {
	var certs []*x509.Certificate
	var key crypto.Signer
	for _, in := range [][]byte{certPEM, keyPEM} {
		for rest := in; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			switch b.Type {
			case "CERTIFICATE":
				c, err := x509.ParseCertificate(b.Bytes)
				if err != nil {
					return nil, fmt.Errorf("%w: certificate %d: %w", ErrSigner, len(certs)+1, err)
				}
				certs = append(certs, c)
			case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
				if _, legacy := b.Headers["Proc-Type"]; legacy {
					return nil, fmt.Errorf("%w: encrypted PEM private key; decrypt it or use a PKCS#12 file", ErrSigner)
				}
				k, err := parsePEMKey(b)
				if err != nil {
					return nil, err
				}
				// The same key twice is a combined file passed as both arguments.
				if key != nil && !key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(k.Public()) {
					return nil, fmt.Errorf("%w: more than one private key in the PEM input", ErrSigner)
				}
				key = k
			case "ENCRYPTED PRIVATE KEY":
				return nil, fmt.Errorf("%w: encrypted PEM private key; decrypt it or use a PKCS#12 file", ErrSigner)
			}
		}
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%w: no CERTIFICATE block in the PEM input", ErrSigner)
	}
	if key == nil {
		return nil, fmt.Errorf("%w: no private key block in the PEM input", ErrSigner)
	}
	return NewSigner(key, certs)
}

// parsePEMKey parses a PKCS#8, PKCS#1 or SEC 1 private key block.
func parsePEMKey(b *pem.Block) (crypto.Signer, error) {
	var k any
	var err error
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrSigner, b.Type, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T key cannot sign", ErrSigner, k)
	}
	return s, nil
}

// LoadSignerP12 returns the Signer of a PKCS#12 (.p12, .pfx) file, as
// Keychain Access and "openssl pkcs12 -export" write them: one private key,
// its certificate and optionally the intermediates, decrypted with password
// (software.sslmate.com/src/go-pkcs12, which reads both the modern
// AES/PBKDF2 and the legacy 3DES/RC2 encryptions). Errors wrap [ErrSigner];
// a wrong password is reported as such.
func LoadSignerP12(data []byte, password string) (*Signer, error) {
	key, cert, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, fmt.Errorf("%w: PKCS#12: wrong password", ErrSigner)
		}
		return nil, fmt.Errorf("%w: PKCS#12: %w", ErrSigner, err)
	}
	s, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: PKCS#12: %T key cannot sign", ErrSigner, key)
	}
	return NewSigner(s, append([]*x509.Certificate{cert}, cas...))
}

// SignProfile returns profile (a .mobileconfig property list) signed by s:
// a DER-encoded CMS SignedData (RFC 5652 §5) with the profile as its
// encapsulated content, a SHA-256 digest, the signing-time, content-type and
// message-digest signed attributes, and the signer's certificate and chain
// embedded. That is the form Apple's tools produce and iOS and macOS verify;
// serve it as [AppleContentType]. "openssl cms -verify -inform DER" checks
// it and prints the profile.
//
// The signing certificate must be within its validity period now: a device
// shows a profile signed with an expired certificate as unverified. Errors
// wrap [ErrSigner].
func SignProfile(profile []byte, s *Signer) ([]byte, error) {
	if s == nil || s.cert == nil || s.key == nil {
		return nil, fmt.Errorf("%w: nil or zero Signer", ErrSigner)
	}
	now := time.Now()
	if now.Before(s.cert.NotBefore) || now.After(s.cert.NotAfter) {
		return nil, fmt.Errorf("%w: certificate %q valid only from %s to %s", ErrSigner,
			s.cert.Subject.CommonName, s.cert.NotBefore.UTC().Format(time.RFC3339), s.cert.NotAfter.UTC().Format(time.RFC3339))
	}
	sd, err := pkcs7.NewSignedData(profile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSigner, err)
	}
	// Per SignedData, not the package-wide default (SHA-1).
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if len(s.chain) == 0 {
		err = sd.AddSigner(s.cert, s.key, pkcs7.SignerInfoConfig{})
	} else {
		err = sd.AddSignerChain(s.cert, s.key, s.chain, pkcs7.SignerInfoConfig{})
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSigner, err)
	}
	der, err := sd.Finish()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSigner, err)
	}
	return der, nil
}
