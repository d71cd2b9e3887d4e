package detect

import (
	"slices"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// Signin says how the user signs in to a server, as part of the report
// contract: with a password, on the provider's own web page (OAuth2), with
// either, or unknown.
type Signin string

// The sign-in methods of the report contract.
const (
	// SigninPassword: a password mechanism works there, OAuth2 does not.
	SigninPassword Signin = "password"
	// SigninOAuth2: the provider signs the user in on its web page (OAuth2,
	// SASL OAUTHBEARER RFC 7628 or XOAUTH2); a normal password is refused.
	SigninOAuth2 Signin = "oauth2"
	// SigninPasswordOrOAuth2: both work.
	SigninPasswordOrOAuth2 Signin = "password-or-oauth2"
	// SigninUnknown: nothing said how (no config, no probe, or no
	// mechanism offered).
	SigninUnknown Signin = "unknown"
)

// OAuth2 SASL mechanisms: OAUTHBEARER (RFC 7628) and Google's and
// Microsoft's XOAUTH2.
var oauthMechs = []string{"OAUTHBEARER", "XOAUTH2"}

// passwordMech reports whether a SASL mechanism carries a password.
func passwordMech(m string) bool {
	m = strings.ToUpper(m)
	switch {
	case m == "PLAIN", m == "LOGIN", m == "CRAM-MD5", m == "DIGEST-MD5", m == "NTLM", strings.HasPrefix(m, "SCRAM-"):
		return true
	}
	return false
}

// OffersPassword reports whether the server's probe saw a way to log in
// with a password: a password SASL mechanism (PLAIN, LOGIN, SCRAM-*,
// CRAM-MD5, ...), IMAP LOGIN when the server neither says LOGINDISABLED
// (RFC 9051 §6.2.3) nor lists only other AUTH= mechanisms (a server that
// takes passwords over TLS offers AUTH=PLAIN, RFC 9051 §6.2.2 and §11.1),
// or POP3 USER/PASS (RFC 2449 §6.2: the USER capability, or
// no CAPA answer at all). It is decided from the report's own fields, so a
// saved report gives the same answer; false when the probe did not succeed.
func (s *Server) OffersPassword() bool {
	p := s.Probe
	if p.Status != ProbeOK {
		return false
	}
	if slices.ContainsFunc(p.SASL, passwordMech) {
		return true
	}
	switch s.Protocol {
	case autoconfig.IMAP:
		return len(p.SASL) == 0 && !slices.ContainsFunc(p.Capabilities, func(c string) bool { return strings.EqualFold(c, "LOGINDISABLED") })
	case autoconfig.POP3:
		return len(p.Capabilities) == 0 || slices.ContainsFunc(p.Capabilities, func(c string) bool {
			return strings.EqualFold(strings.Fields(c + " x")[0], "USER")
		})
	}
	return false
}

// OffersOAuth2 reports whether the server's probe saw SASL OAUTHBEARER or
// XOAUTH2.
func (s *Server) OffersOAuth2() bool {
	return s.Probe.Status == ProbeOK && slices.ContainsFunc(s.Probe.SASL, func(m string) bool {
		return slices.Contains(oauthMechs, strings.ToUpper(m))
	})
}

// decideSignin says how the user signs in to s, from what the config says
// (its authentication methods) and what the server offered after TLS:
//   - OAuth2 counts when the config lists it or the server offers an OAuth2
//     mechanism;
//   - a password counts when the config lists a password method (or none)
//     and, once probed, the server offers a password mechanism: a config that
//     lists only OAuth2 means passwords are refused even where the server
//     still advertises PLAIN (as Microsoft's do).
func decideSignin(s *Server) Signin {
	probed := s.Probe.Status == ProbeOK
	if !probed && len(s.Auth) == 0 {
		return SigninUnknown
	}
	configPw := len(s.Auth) == 0 || slices.ContainsFunc(s.Auth, func(a autoconfig.Auth) bool {
		return a == autoconfig.AuthPasswordCleartext || a == autoconfig.AuthPasswordEncrypted || a == autoconfig.AuthNTLM
	})
	oa := slices.Contains(s.Auth, autoconfig.AuthOAuth2) || s.OffersOAuth2()
	pw := configPw && (!probed || s.OffersPassword())
	return signinOf(pw, oa)
}

// signinOf is the sign-in method of a server or service that takes a
// password (pw), OAuth2 (oa), both or neither.
func signinOf(pw, oa bool) Signin {
	switch {
	case pw && oa:
		return SigninPasswordOrOAuth2
	case oa:
		return SigninOAuth2
	case pw:
		return SigninPassword
	}
	return SigninUnknown
}

// AppPasswordURL is the provider's page about app passwords, from the help
// pages of the config that named the server; "" when it has none.
func (s *Server) AppPasswordURL() string { return autoconfig.AppPasswordURL(s.Help) }

// setSignin fills the sign-in fields of a server rendered from c.
func setSignin(s *Server, c *candidate) {
	for _, o := range append([]origin{c.best}, c.origins...) {
		srv := o.f.server
		if s.OAuth2 == nil && srv.OAuth2 != nil {
			s.OAuth2 = srv.OAuth2
		}
		if len(s.Help) == 0 && len(srv.Help) > 0 {
			s.Help = srv.Help
		}
	}
	s.Signin = decideSignin(s)
}
