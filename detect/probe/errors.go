package probe

import (
	"errors"
	"net"
	"syscall"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// Kind is a kind of probe failure. The kinds are the sentinel errors below,
// one for each thing that can stop a probe; match them with errors.Is on
// Result.Err (or errors.As with a *Kind to read the code). Code names the
// kind in the report contract; the text for people is in Result.Error.
type Kind struct {
	code string
	text string
}

// Error returns the kind's text, with the package prefix.
func (k *Kind) Error() string { return "probe: " + k.text }

// Code is the kind's stable name, such as "host-not-found".
func (k *Kind) Code() string { return k.code }

// The kinds of probe failure, wrapped by Result.Err (and by the failure of
// a login check's connection).
var (
	// ErrHostNotFound: the host name does not exist (NXDOMAIN) or has no
	// address records. Options.LookupIP reports it by returning an error
	// that matches ErrHostNotFound or resolver.ErrNotFound, or a
	// *net.DNSError with IsNotFound.
	ErrHostNotFound = &Kind{"host-not-found", "host not found"}
	// ErrLookupFailed: the host's addresses could not be looked up (the
	// resolver failed, or the answer failed DNSSEC validation).
	ErrLookupFailed = &Kind{"lookup-failed", "host lookup failed"}
	// ErrDNSSECBogus: the host's addresses failed DNSSEC validation
	// (Options.LookupIP returned an error matching dnssec.ErrBogus) and
	// were not used (RFC 4035 §4.3).
	ErrDNSSECBogus = &Kind{"dnssec-bogus", "host addresses failed DNSSEC validation"}
	// ErrConnectionRefused: the host answered, but nothing listens on the
	// port (every address refused the connection).
	ErrConnectionRefused = &Kind{"connection-refused", "connection refused"}
	// ErrNetworkUnreachable: no route to the host, or another connection
	// failure that is neither a refusal nor a timeout.
	ErrNetworkUnreachable = &Kind{"network-unreachable", "host unreachable"}
	// ErrTimeout: no answer within the probe's budget (a silent host or
	// server: a firewall that drops packets, a filtering network), or the
	// probe was cancelled.
	ErrTimeout = &Kind{"timeout", "no answer in time"}
	// ErrTLS: the TLS handshake failed (no TLS, no TLS 1.2 or later, no
	// common cipher suite, a TLS alert).
	ErrTLS = &Kind{"tls-failed", "TLS handshake failed"}
	// ErrCertificate: the handshake completed but the certificate did not
	// verify; the wrapped *CertError says why.
	ErrCertificate = &Kind{"cert-invalid", "certificate not valid"}
	// ErrSTARTTLSMissing: the plaintext side did not advertise STARTTLS
	// (STLS for POP3). RFC 8314 §5.2: no upgrade, no plaintext fallback.
	ErrSTARTTLSMissing = &Kind{"starttls-missing", "STARTTLS not offered"}
	// ErrSTARTTLSRefused: STARTTLS was advertised, then refused (IMAP NO or
	// BAD, POP3 -ERR, SMTP 454 or any other reply than 220): the signature
	// of a stripping attack.
	ErrSTARTTLSRefused = &Kind{"starttls-refused", "STARTTLS advertised, then refused"}
	// ErrPreauth: an IMAP server greeted PREAUTH in plaintext on a STARTTLS
	// port, which would keep the session in plaintext (RFC 9051 §6.2.1).
	ErrPreauth = &Kind{"preauth", "PREAUTH before STARTTLS"}
	// ErrProtocol: the server broke the protocol, refused the connection or
	// a command, or closed the connection.
	ErrProtocol = &Kind{"protocol-error", "protocol error"}
	// ErrNoMechanism: a login check found no mechanism for what it
	// carries: no password mechanism (IMAP LOGINDISABLED without AUTH=PLAIN,
	// only non-password AUTH= mechanisms, SMTP without AUTH PLAIN or LOGIN,
	// POP3 without USER or SASL PLAIN), or, for a token, neither OAUTHBEARER
	// nor XOAUTH2. Nothing was sent; the login is LoginNotPossible.
	ErrNoMechanism = &Kind{"no-mechanism", "no usable sign-in mechanism"}
)

// kindOfStatus is the kind of a failure for which no more precise kind was
// given.
func kindOfStatus(s Status) *Kind {
	switch s {
	case StatusTimeout:
		return ErrTimeout
	case StatusTLSError:
		return ErrTLS
	case StatusUnreachable:
		return ErrNetworkUnreachable
	default:
		return ErrProtocol
	}
}

// KindOf returns the kind of failure err wraps, or nil.
func KindOf(err error) *Kind {
	var k *Kind
	if errors.As(err, &k) {
		return k
	}
	return nil
}

// CertProblem is what is wrong with a certificate, the value of
// CertInfo.Problem.
type CertProblem string

// Certificate problems.
const (
	// CertOK: the certificate verified.
	CertOK CertProblem = ""
	// ProblemExpired: the leaf (or an issuer) is past its validity.
	ProblemExpired CertProblem = "expired"
	// ProblemNotYetValid: the leaf is not valid yet.
	ProblemNotYetValid CertProblem = "not-yet-valid"
	// ProblemNameMismatch: the leaf matches no reference identifier.
	ProblemNameMismatch CertProblem = "name-mismatch"
	// ProblemUntrusted: the chain does not lead to a trusted root.
	ProblemUntrusted CertProblem = "untrusted"
	// ProblemInvalid: no certificate, or another chain failure.
	ProblemInvalid CertProblem = "invalid"
)

// CertError is the failure of a certificate check. It wraps
// ErrCertificate; Problem says what is wrong and Reason says it in one
// sentence.
type CertError struct {
	Problem CertProblem
	Reason  string
}

func (e *CertError) Error() string {
	return "probe: certificate " + string(e.Problem) + ": " + e.Reason
}

// Unwrap returns ErrCertificate.
func (e *CertError) Unwrap() error { return ErrCertificate }

// dialKind classifies the error of a failed connection attempt.
func dialKind(err error) *Kind {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrConnectionRefused
	case isTimeout(err):
		return ErrTimeout
	default:
		return ErrNetworkUnreachable
	}
}

// lookupKind classifies the error of Options.LookupIP.
func lookupKind(err error) *Kind {
	var de *net.DNSError
	switch {
	case errors.Is(err, ErrHostNotFound), errors.Is(err, resolver.ErrNotFound), errors.As(err, &de) && de.IsNotFound:
		return ErrHostNotFound
	case errors.Is(err, dnssec.ErrBogus):
		return ErrDNSSECBogus
	default:
		return ErrLookupFailed
	}
}
