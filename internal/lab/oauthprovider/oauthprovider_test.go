package oauthprovider_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/internal/lab/oauthprovider"
)

const user = "alice@example.test"

// TestProviderRules: the authorization server keeps the rules a real one
// must, so that the client's mistakes show in tests: PKCE S256 required
// (RFC 7636 §4.4.1), codes used once with their verifier (§4.6), redirect
// URIs only as registered (RFC 6749 §4.1.2.1, RFC 8252 §7.3).
func TestProviderRules(t *testing.T) {
	var p *oauthprovider.Provider
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { p.Handler().ServeHTTP(w, r) }))
	defer srv.Close()
	p = oauthprovider.New(srv.URL, []string{user}, "client")
	c := srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	verifier := strings.Repeat("v", 43)
	sum := sha256.Sum256([]byte(verifier))
	challenge := base64.RawURLEncoding.EncodeToString(sum[:])
	authorize := func(q url.Values) (*http.Response, url.Values) {
		resp, err := c.Get(srv.URL + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := resp.Location()
		if loc == nil {
			return resp, nil
		}
		return resp, loc.Query()
	}
	base := url.Values{"response_type": {"code"}, "client_id": {"client"}, "redirect_uri": {"http://127.0.0.1:5555/cb"},
		"state": {"s"}, "login_hint": {user}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	with := func(k, v string) url.Values {
		q := url.Values{}
		for kk, vv := range base {
			q[kk] = vv
		}
		q.Set(k, v)
		return q
	}
	if resp, _ := authorize(with("redirect_uri", "https://evil.example/cb")); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("unregistered redirect: HTTP %d, want 400 and no redirect", resp.StatusCode)
	}
	if _, q := authorize(with("code_challenge_method", "plain")); q.Get("error") != "invalid_request" {
		t.Errorf("PKCE plain: %v, want invalid_request", q)
	}
	_, q := authorize(base)
	code := q.Get("code")
	if code == "" || q.Get("state") != "s" {
		t.Fatalf("authorize = %v, want a code and the state", q)
	}
	token := func(verifier string) int {
		resp, err := c.PostForm(srv.URL+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
			"client_id": {"client"}, "redirect_uri": {"http://127.0.0.1:5555/cb"}, "code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := token(strings.Repeat("w", 43)); got != http.StatusBadRequest {
		t.Errorf("wrong verifier: HTTP %d, want 400", got)
	}
	if got := token(verifier); got != http.StatusBadRequest {
		t.Errorf("code used twice: HTTP %d, want 400 (the wrong verifier spent it)", got)
	}
}
