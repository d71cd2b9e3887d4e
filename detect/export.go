package detect

import (
	"github.com/mailsetup/mailsetup/i18n"

	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// ConfigOptions tune [Report.Config].
type ConfigOptions struct {
	// Placeholders writes user names as %EMAILADDRESS% / %EMAILLOCALPART%
	// instead of this user's, for a file an admin hosts for everyone of the
	// domain (autoconfig.D, autodiscover.D).
	Placeholders bool
	// All keeps every server that was reachable over verified TLS, best
	// first; without it only the recommended ones are kept.
	All bool
}

// Errors of [Report.Config] and [Server.Verify].
var (
	// ErrNothingVerified: no direction of the report has a recommended
	// server, so there are no settings to export.
	ErrNothingVerified = errors.New("detect: nothing to export: no server was verified over TLS")
	// ErrNotVerified is wrapped by [*NotVerifiedError]: a server does not
	// count as verified TLS.
	ErrNotVerified = errors.New("detect: server not verified over TLS")
)

// Unverified says why a server does not count as verified TLS.
type Unverified string

// The reasons of [NotVerifiedError], checked in this order.
const (
	// UnverifiedPlain: the server's security is plain (or no known value).
	UnverifiedPlain Unverified = "plaintext"
	// UnverifiedProbe: the probe did not end "ok".
	UnverifiedProbe Unverified = "probe-not-ok"
	// UnverifiedCert: no certificate was recorded, or it is not valid.
	UnverifiedCert Unverified = "cert-not-valid"
	// UnverifiedDANE: DNSSEC-signed TLSA records did not match (or were
	// bogus): RFC 7672 §2.2 makes their match mandatory.
	UnverifiedDANE Unverified = "dane-failed"
)

// NotVerifiedError is the error of [Server.Verify], and of [Report.Config]
// when the report marks as recommended a server that is not verified TLS —
// a report edited by hand, or written by something else than the engine.
// It wraps [ErrNotVerified].
type NotVerifiedError struct {
	// Server is "host:port"; Protocol and Security as the report says.
	Server   string
	Protocol autoconfig.Protocol
	Security autoconfig.Security
	Reason   Unverified
	// Recommended is true when the report marked the server recommended.
	Recommended bool
}

// Why says in words what is missing, e.g. `its security is "plain", not TLS
// or STARTTLS` (in English; [NotVerifiedError.Localize] in any language).
func (e *NotVerifiedError) Why() string { return e.why(nil) }

// why says what is missing in p's language.
func (e *NotVerifiedError) why(p *i18n.Printer) string {
	ids := map[Unverified]string{UnverifiedPlain: "export.unverified.plain", UnverifiedProbe: "export.unverified.probe",
		UnverifiedCert: "export.unverified.cert", UnverifiedDANE: "export.unverified.dane"}
	if id, ok := ids[e.Reason]; ok {
		return p.T(id, "Security", string(e.Security))
	}
	return string(e.Reason)
}

// Localize says, in p's language, what the server lacks, naming it:
// "the report recommends IMAP server mail.example.org:143, but its probe
// did not succeed".
func (e *NotVerifiedError) Localize(p *i18n.Printer) string {
	id := "export.not-verified"
	if e.Recommended {
		id = "export.not-verified.recommended"
	}
	return p.T(id, "Protocol", strings.ToUpper(string(e.Protocol)), "Server", e.Server, "Why", e.why(p))
}

func (e *NotVerifiedError) Error() string {
	why := e.Why()
	if e.Recommended {
		return fmt.Sprintf("detect: the report recommends %s server %s, but it is not verified TLS: %s (was the report edited?)", e.Protocol, e.Server, why)
	}
	return fmt.Sprintf("detect: %s server %s is not verified TLS: %s", e.Protocol, e.Server, why)
}

// Unwrap returns [ErrNotVerified].
func (e *NotVerifiedError) Unwrap() error { return ErrNotVerified }

// Verify checks, from the server's own fields, that it was reached over
// verified TLS, by the rule the ranking uses to recommend a server: security
// tls or starttls, probe ok, a valid certificate, no DANE mismatch (or bogus
// TLSA). It does not trust [Server.Recommended]. It returns nil or a
// [*NotVerifiedError].
func (s *Server) Verify() error {
	return verifyTLS(s.HostPort(), s.Protocol, s.Security, &s.Probe, s.Recommended)
}

// verifyTLS is the rule of [Server.Verify] and [Service.Verify] on an
// endpoint's fields; where names it in the error ("host:port", a URL).
func verifyTLS(where string, proto autoconfig.Protocol, sec autoconfig.Security, p *ProbeReport, recommended bool) error {
	reason := Unverified("")
	switch {
	case sec != autoconfig.TLS && sec != autoconfig.STARTTLS:
		reason = UnverifiedPlain
	case p.Status != ProbeOK:
		reason = UnverifiedProbe
	case p.Cert == nil || !p.Cert.Valid:
		reason = UnverifiedCert
	case p.DANE == DANEMismatch || p.DANE == DANEBogus:
		reason = UnverifiedDANE
	default:
		return nil
	}
	return &NotVerifiedError{Server: where, Protocol: proto, Security: sec, Reason: reason, Recommended: recommended}
}

// Config converts the report into the neutral settings model the writers of
// package autoconfig export: the recommended incoming and outgoing servers
// (and, with All, the other verified ones), in rank order; then the
// recommended calendar and address book services as Calendars and
// AddressBooks, and the recommended JMAP service as an incoming server of
// protocol jmap after the mail ones (see [Report.services]).
//
// Servers that were not verified are never exported, whatever the report
// says: a recommended server is checked again with [Server.Verify], so a
// report edited by hand (a first server changed to security "plain", say)
// is refused with a [*NotVerifiedError] for the whole export, not exported in
// part. With nothing recommended in either direction it returns
// [ErrNothingVerified].
func (r *Report) Config(opts *ConfigOptions) (*autoconfig.Config, error) {
	var o ConfigOptions
	if opts != nil {
		o = *opts
	}
	cfg := &autoconfig.Config{
		ID:          r.Domain,
		Domains:     []string{r.Domain},
		DisplayName: r.DomainUnicode,
		ShortName:   r.Domain,
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = r.Domain
	}
	local, _, _ := strings.Cut(r.Address, "@")
	pick := func(list []Server) ([]autoconfig.Server, error) {
		if len(list) == 0 || !list[0].Recommended {
			return nil, nil
		}
		if err := list[0].Verify(); err != nil {
			return nil, err
		}
		var out []autoconfig.Server
		for i, s := range list {
			if i > 0 && (!o.All || s.Verify() != nil) {
				continue
			}
			user := s.Username
			if o.Placeholders {
				switch user {
				case r.Address:
					user = "%EMAILADDRESS%"
				case local:
					user = "%EMAILLOCALPART%"
				}
			}
			auth := signinAuth(&s)
			out = append(out, autoconfig.Server{Protocol: s.Protocol, Hostname: s.Host, Port: s.Port,
				Security: s.Security, Auth: auth, Username: user, OAuth2: s.OAuth2, Help: s.Help})
			if cfg.OAuth2 == nil && s.OAuth2 != nil && slices.Contains(auth, autoconfig.AuthOAuth2) {
				cfg.OAuth2 = s.OAuth2 // written as <oAuth2> (draft "OAuth2 requirements")
			}
			if len(cfg.Help) == 0 {
				cfg.Help = s.Help
			}
		}
		return out, nil
	}
	var err error
	if cfg.Incoming, err = pick(r.Incoming); err != nil {
		return nil, err
	}
	if cfg.Outgoing, err = pick(r.Outgoing); err != nil {
		return nil, err
	}
	if len(cfg.Incoming) == 0 && len(cfg.Outgoing) == 0 {
		return nil, ErrNothingVerified
	}
	if err := r.services(cfg, &o); err != nil {
		return nil, err
	}
	return cfg, nil
}

// signinAuth is the authentication methods to export for s: its own, with
// OAuth2 first when the server signs in with OAuth2 only; a password when
// nothing is known.
func signinAuth(s *Server) []autoconfig.Auth { return exportAuth(s.Auth, s.Signin) }

// exportAuth is signinAuth on an endpoint's methods and sign-in.
func exportAuth(list []autoconfig.Auth, signin Signin) []autoconfig.Auth {
	auth := slices.Clone(list)
	switch {
	case signin == SigninOAuth2 && (len(auth) == 0 || auth[0] != autoconfig.AuthOAuth2):
		auth = append([]autoconfig.Auth{autoconfig.AuthOAuth2}, slices.DeleteFunc(auth, func(a autoconfig.Auth) bool { return a == autoconfig.AuthOAuth2 })...)
	case len(auth) == 0 && signin == SigninPasswordOrOAuth2:
		auth = []autoconfig.Auth{autoconfig.AuthPasswordCleartext, autoconfig.AuthOAuth2}
	case len(auth) == 0:
		auth = []autoconfig.Auth{autoconfig.AuthPasswordCleartext}
	}
	return auth
}

// Account is whom the report's settings are for.
func (r *Report) Account(name string) autoconfig.Account {
	return autoconfig.Account{Address: r.Address, Name: name, Description: r.Address}
}

// TLSA returns the DANE-EE "3 1 1" data of every verified server's key,
// for the records an admin may publish (RFC 7671 §5.1, RFC 7672 §3.1).
func (r *Report) TLSA() []autoconfig.TLSA {
	var out []autoconfig.TLSA
	seen := map[string]bool{}
	for _, list := range [][]Server{r.Incoming, r.Outgoing} {
		for _, s := range list {
			c := s.Probe.Cert
			if s.Verify() != nil || c.SPKISHA256 == "" || seen[s.HostPort()] {
				continue
			}
			sum, err := hex.DecodeString(c.SPKISHA256)
			if err != nil {
				continue
			}
			seen[s.HostPort()] = true
			out = append(out, autoconfig.TLSA{Host: s.Host, Port: s.Port, SPKISHA256: sum})
		}
	}
	return out
}

// spkiSHA256 is the hex SHA-256 of a DER certificate's SubjectPublicKeyInfo.
func spkiSHA256(der []byte) string {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}
