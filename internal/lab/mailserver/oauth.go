package mailserver

import (
	"slices"

	"github.com/emersion/go-sasl"

	"github.com/mailsetup/mailsetup/internal/xoauth2"
)

// The OAuth2 side of the lab servers: SASL OAUTHBEARER (RFC 7628, go-sasl's
// server) and XOAUTH2 (package xoauth2), offered when Config.OAuth2 is set.
// Every token received is recorded like a password (Credential.Password
// holds it), with whether TLS was on.

// mechanisms are the SASL mechanisms the server offers where credentials
// are accepted: PLAIN (and LOGIN for SMTP) unless Config.NoPassword, then
// OAUTHBEARER and XOAUTH2 when Config.OAuth2 is set.
func (s *Server) mechanisms(password ...string) []string {
	var m []string
	if !s.cfg.NoPassword {
		m = append(m, password...)
	}
	if s.cfg.OAuth2 != nil {
		m = append(m, s.oauthMechanisms()...)
	}
	return m
}

func (s *Server) oauthMechanisms() []string {
	if s.cfg.OAuth2Mechanisms != nil {
		return s.cfg.OAuth2Mechanisms
	}
	return []string{sasl.OAuthBearer, xoauth2.Mechanism}
}

// oauthServer returns the SASL server of an OAuth2 mechanism, or nil when
// mech is not one the server offers. refused is the error a refused token
// ends the exchange with, in the protocol's terms; ok is called with the
// user name when a token is accepted, and may refuse it.
func (s *Server) oauthServer(mech string, isTLS bool, refused error, ok func(user string) error) sasl.Server {
	if s.cfg.OAuth2 == nil || !slices.Contains(s.oauthMechanisms(), mech) {
		return nil
	}
	switch mech {
	case sasl.OAuthBearer:
		return failWith(sasl.NewOAuthBearerServer(func(o sasl.OAuthBearerOptions) *sasl.OAuthBearerError {
			s.record(sasl.OAuthBearer, o.Username, o.Token, isTLS)
			if err := s.cfg.OAuth2(o.Username, o.Token); err != nil || ok(o.Username) != nil {
				// RFC 7628 §3.2.2, RFC 6750 §3.1.
				return &sasl.OAuthBearerError{Status: "invalid_token", Schemes: "bearer", Scope: "mail"}
			}
			return nil
		}), refused)
	case xoauth2.Mechanism:
		return failWith(xoauth2.NewServer(func(user, token string) *xoauth2.Error {
			s.record(xoauth2.Mechanism, user, token, isTLS)
			if err := s.cfg.OAuth2(user, token); err != nil || ok(user) != nil {
				return &xoauth2.Error{Status: "401", Schemes: "Bearer", Scope: "mail"}
			}
			return nil
		}), refused)
	}
	return nil
}

// failWith ends a failed SASL exchange with refused, the protocol's own
// authentication failure (SMTP 535 5.7.8, IMAP NO [AUTHENTICATIONFAILED]).
func failWith(srv sasl.Server, refused error) sasl.Server {
	if refused == nil {
		return srv
	}
	return saslFail{srv, refused}
}

type saslFail struct {
	sasl.Server
	refused error
}

func (f saslFail) Next(resp []byte) ([]byte, bool, error) {
	c, done, err := f.Server.Next(resp)
	if err != nil {
		return nil, true, f.refused
	}
	return c, done, nil
}
