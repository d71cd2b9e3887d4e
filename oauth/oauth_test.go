package oauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/internal/lab/oauthprovider"
	"github.com/mailsetup/mailsetup/oauth"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const user = "alice@example.test"

// provider starts the lab's authorization server on loopback https.
func provider(t *testing.T) (*oauthprovider.Provider, *httptest.Server) {
	t.Helper()
	var p *oauthprovider.Provider
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.Handler().ServeHTTP(w, r) }))
	srv.StartTLS()
	p = oauthprovider.New(srv.URL, []string{user}, "registered-client")
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		srv.Client().CloseIdleConnections()
	})
	return p, srv
}

// browser follows the authorization URL as a browser would: the provider
// approves the test user at once and redirects to the loopback URI.
// rewrite, when set, edits the redirect before the browser follows it.
func browser(srv *httptest.Server, rewrite func(*url.URL)) func(context.Context, string) error {
	return func(ctx context.Context, u string) error {
		c := *srv.Client()
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		defer c.CloseIdleConnections()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := c.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			return err
		}
		if rewrite != nil {
			rewrite(loc)
		}
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		http.DefaultClient.CloseIdleConnections()
		return resp.Body.Close()
	}
}

func TestSignIn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     func(issuer string) *autoconfig.OAuth2
		hint    string
		rewrite func(*url.URL)
		want    error
	}{
		{"issuer only: metadata and dynamic registration", func(iss string) *autoconfig.OAuth2 {
			return &autoconfig.OAuth2{Issuer: iss, Scope: "mail"}
		}, user, nil, nil},
		{"configured endpoints and client ID", func(iss string) *autoconfig.OAuth2 {
			return &autoconfig.OAuth2{AuthURL: iss + "/authorize", TokenURL: iss + "/token", ClientID: "registered-client", Scope: "mail"}
		}, user, nil, nil},
		{"unknown user is denied", func(iss string) *autoconfig.OAuth2 { return &autoconfig.OAuth2{Issuer: iss} },
			"mallory@example.test", nil, oauth.ErrDenied},
		{"forged state", func(iss string) *autoconfig.OAuth2 { return &autoconfig.OAuth2{Issuer: iss} }, user,
			func(u *url.URL) { q := u.Query(); q.Set("state", "forged"); u.RawQuery = q.Encode() }, oauth.ErrBadRedirect},
		{"replayed code with another verifier", func(iss string) *autoconfig.OAuth2 { return &autoconfig.OAuth2{Issuer: iss} }, user,
			func(u *url.URL) { q := u.Query(); q.Set("code", "made-up"); u.RawQuery = q.Encode() }, oauth.ErrToken},
		{"http token endpoint", func(iss string) *autoconfig.OAuth2 {
			return &autoconfig.OAuth2{AuthURL: iss + "/authorize", TokenURL: "http://127.0.0.1:1/token", ClientID: "registered-client"}
		}, user, nil, oauth.ErrNotHTTPS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, srv := provider(t)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			tok, err := oauth.SignIn(ctx, tc.cfg(srv.URL), &oauth.Options{HTTPClient: srv.Client(), LoginHint: tc.hint,
				OpenBrowser: browser(srv, tc.rewrite)})
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("SignIn() = %v, %v; want %v", tok, err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("SignIn() error = %v", err)
			}
			if err := p.Check(user, tok.AccessToken); err != nil {
				t.Errorf("the provider refuses the token it issued: %v", err)
			}
		})
	}
}

// TestSignInTimeout: a browser that never comes back ends with the
// context's deadline, and the loopback server is shut down (goleak).
func TestSignInTimeout(t *testing.T) {
	_, srv := provider(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := oauth.SignIn(ctx, &autoconfig.OAuth2{Issuer: srv.URL}, &oauth.Options{HTTPClient: srv.Client(),
		OpenBrowser: func(context.Context, string) error { return nil }})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SignIn() = %v, want the deadline", err)
	}
}
