package detect

import (
	"context"
	"errors"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// Errors of [VerifyOAuth2].
var (
	// ErrNoToken: the request has no access token.
	ErrNoToken = errors.New("detect: no OAuth2 access token given")
	// ErrNoOAuth2Provider: the request names no provider, or the report's
	// recommended servers name none (no config gave an <oAuth2> element).
	ErrNoOAuth2Provider = errors.New("detect: no OAuth2 sign-in endpoints for these settings")
)

// OAuth2Request is what the OAuth2 check sends: an access token, and the
// provider endpoints it was obtained from.
type OAuth2Request struct {
	// Token is the OAuth2 access token (RFC 6750). It is a credential: sent
	// only as [VerifyOAuth2] says, never logged, redacted from transcripts.
	Token string
	// Provider is the <oAuth2> element the sign-in used, normally
	// [Report.OAuth2Provider]. The token goes only to servers that the same
	// config named with these endpoints.
	Provider *autoconfig.OAuth2
	// Confirmed are host names the user confirmed, as in [LoginRequest].
	Confirmed []string
}

// OAuth2Provider returns the sign-in endpoints of the recommended servers:
// the <oAuth2> element of the config that named the recommended incoming
// server (else the outgoing one); nil when there is none.
func (r *Report) OAuth2Provider() *autoconfig.OAuth2 {
	in, out := r.Recommended()
	for _, s := range []*Server{in, out} {
		if s != nil && s.OAuth2 != nil && s.Signin != SigninPassword {
			return s.OAuth2
		}
	}
	return nil
}

// VerifyOAuth2 checks that the access token signs the user in on the
// recommended incoming and outgoing servers, with SASL OAUTHBEARER (RFC
// 7628) or XOAUTH2, and records the outcome in their Login fields:
// "oauth2-ok", "oauth2-failed" (with the server's reason in Error),
// "not-possible" (the server offers neither mechanism), "not-tried" (a
// rule kept the token back; Error says which) or "error".
//
// Every rule of [VerifyLogin] holds (the recommended server only, verified
// TLS on the login connection itself, trust https or better or a confirmed
// host), and one more: the token goes only to a server that the config
// holding req.Provider named (its Server.OAuth2 is that element). A bearer
// token opens the mailbox to whoever holds it (RFC 6750 §5.3), so a server
// from another source, even verified, never receives it.
//
// It returns [ErrNoToken] or [ErrNoOAuth2Provider] for an unusable request;
// every server's outcome is in rep.
func VerifyOAuth2(ctx context.Context, rep *Report, req OAuth2Request, opts *Options) error {
	if req.Token == "" {
		return ErrNoToken
	}
	if req.Provider == nil {
		return ErrNoOAuth2Provider
	}
	return verify(ctx, rep, opts, req.Confirmed, func(s *Server, addr Address) (*probe.Credentials, *LoginReport) {
		if s.OAuth2 == nil || *s.OAuth2 != *req.Provider {
			return nil, &LoginReport{Status: LoginNotTried,
				Error: rep.printer().T("login.oauth2-not-named", "Host", s.Host)}
		}
		user := s.Username
		if user == "" {
			user = addr.String()
		}
		return &probe.Credentials{Usernames: []string{user}, Token: req.Token}, nil
	}, func(s *Server, r probe.LoginResult) LoginReport {
		l := loginReport(r)
		switch r.Status {
		case probe.LoginOK:
			l.Status = LoginOAuth2OK
		case probe.LoginFailed:
			l.Status = LoginOAuth2Failed
		}
		return l
	})
}

// SignInFailed records, on the recommended servers that sign in with
// OAuth2, that the sign-in on the provider's page did not complete (err
// from the oauth package), as "oauth2-failed": no token, so nothing was
// sent to any mail server.
func (r *Report) SignInFailed(err error) {
	in, out := r.Recommended()
	for _, s := range []*Server{in, out} {
		if s != nil && s.OAuth2 != nil {
			s.Login = LoginReport{Status: LoginOAuth2Failed, Error: r.printer().T("login.signin-incomplete", "Detail", err.Error())}
		}
	}
}
