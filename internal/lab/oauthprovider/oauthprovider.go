// Package oauthprovider is the lab's OAuth2 authorization server: the
// sign-in page of a mail provider that accepts only OAuth2, as Gmail,
// Outlook, Yahoo and AOL do. It serves, over the lab's https:
//
//   - its metadata (RFC 8414 §3) at /.well-known/oauth-authorization-server;
//   - dynamic client registration (RFC 7591 §3) at /register, for public
//     clients without a secret (token_endpoint_auth_method "none");
//   - the authorization endpoint (RFC 6749 §4.1.1) at /authorize, which
//     requires PKCE with S256 (RFC 7636 §4.3) and approves the lab's test
//     users at once, without a login page, so that tests and the demo run
//     without a person; any other login_hint is denied;
//   - the token endpoint (RFC 6749 §4.1.3) at /token, which checks the code
//     verifier (RFC 7636 §4.6), the client and the redirect URI.
//
// The lab's mail servers ask [Provider.Check] about the bearer tokens they
// receive; a test can revoke or expire a token to see it refused.
package oauthprovider

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Errors of [Provider.Check], as a mail server's SASL error reports them
// (RFC 7628 §3.2.2, RFC 6750 §3.1).
var (
	// ErrInvalidToken: the token is unknown, revoked or expired, or was
	// issued to another user.
	ErrInvalidToken = errors.New("invalid_token")
)

// Provider is a running authorization server's state. Its methods are safe
// for concurrent use.
type Provider struct {
	issuer string
	users  map[string]bool
	now    func() time.Time

	mu      sync.Mutex
	clients map[string][]string // client_id → registered redirect URIs
	codes   map[string]*grant
	tokens  map[string]*token
}

type grant struct {
	client, redirect, challenge, user, scope string
	expires                                  time.Time
}

type token struct {
	user    string
	expires time.Time
	revoked bool
}

// New returns a provider whose issuer identifier is issuer (an https URL
// without a trailing slash) and which approves the given users.
// clientIDs are registered beforehand (a provider's own clientID in its
// autoconfig); they accept any loopback redirect URI.
func New(issuer string, users []string, clientIDs ...string) *Provider {
	p := &Provider{issuer: strings.TrimSuffix(issuer, "/"), users: map[string]bool{}, now: time.Now,
		clients: map[string][]string{}, codes: map[string]*grant{}, tokens: map[string]*token{}}
	for _, u := range users {
		p.users[strings.ToLower(u)] = true
	}
	for _, c := range clientIDs {
		p.clients[c] = nil
	}
	return p
}

// Issuer is the issuer identifier.
func (p *Provider) Issuer() string { return p.issuer }

// Check says whether token is a valid access token of user: nil, or
// [ErrInvalidToken].
func (p *Provider) Check(user, tok string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tokens[tok]
	if t == nil || t.revoked || !p.now().Before(t.expires) || !strings.EqualFold(t.user, user) {
		return ErrInvalidToken
	}
	return nil
}

// Revoke makes every token issued so far invalid.
func (p *Provider) Revoke() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tokens {
		t.revoked = true
	}
}

// Expire makes every token issued so far expired.
func (p *Provider) Expire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.tokens {
		t.expires = p.now().Add(-time.Second)
	}
}

// Tokens returns every access token issued, for tests that look for them
// where they must never be.
func (p *Provider) Tokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for t := range p.tokens {
		out = append(out, t)
	}
	return out
}

// Handler serves the endpoints.
func (p *Provider) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", p.metadata)
	mux.HandleFunc("POST /register", p.register)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store") // RFC 6749 §5.1
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// oauthError writes an error response of RFC 6749 §5.2 (RFC 7591 §3.2.2).
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// metadata serves RFC 8414 §2.
func (p *Provider) metadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.issuer, // RFC 8414 §3.3: identical to the issuer asked for
		"authorization_endpoint":                p.issuer + "/authorize",
		"token_endpoint":                        p.issuer + "/token",
		"registration_endpoint":                 p.issuer + "/register",
		"response_types_supported":              []string{"code"},
		"grant_types_supported":                 []string{"authorization_code"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"none"},
		"scopes_supported":                      []string{"mail"},
	})
}

// register serves RFC 7591 §3.1: public clients with loopback or https
// redirect URIs.
func (p *Provider) register(w http.ResponseWriter, r *http.Request) {
	var req struct {
		RedirectURIs []string `json:"redirect_uris"`
		AuthMethod   string   `json:"token_endpoint_auth_method"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&req); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "not JSON")
		return
	}
	if len(req.RedirectURIs) == 0 {
		oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "no redirect_uris")
		return
	}
	for _, u := range req.RedirectURIs {
		if !loopbackOrHTTPS(u) {
			oauthError(w, http.StatusBadRequest, "invalid_redirect_uri", "redirect URIs must be https or http on a loopback address")
			return
		}
	}
	if req.AuthMethod != "" && req.AuthMethod != "none" {
		oauthError(w, http.StatusBadRequest, "invalid_client_metadata", "only public clients (none)")
		return
	}
	id := random()
	p.mu.Lock()
	p.clients[id] = req.RedirectURIs
	p.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{ // RFC 7591 §3.2.1
		"client_id": id, "client_id_issued_at": p.now().Unix(), "redirect_uris": req.RedirectURIs,
		"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
	})
}

// loopbackOrHTTPS accepts https URIs and http URIs on a loopback IP
// literal (RFC 8252 §7.3, §8.3).
func loopbackOrHTTPS(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Fragment != "" {
		return false
	}
	switch u.Scheme {
	case "https":
		return u.Host != ""
	case "http":
		h := u.Hostname()
		return h == "127.0.0.1" || h == "::1"
	}
	return false
}

// redirectAllowed: a registered URI, where a loopback one matches on any
// port (RFC 8252 §7.3: "MUST allow any port to be specified").
func (p *Provider) redirectAllowed(client, redirect string) bool {
	reg, ok := p.clients[client]
	if !ok {
		return false
	}
	ru, err := url.Parse(redirect)
	if err != nil || !loopbackOrHTTPS(redirect) {
		return false
	}
	if reg == nil { // preregistered: any loopback redirect
		return ru.Scheme == "http"
	}
	for _, r := range reg {
		u, err := url.Parse(r)
		if err == nil && u.Scheme == ru.Scheme && u.Hostname() == ru.Hostname() && u.Path == ru.Path &&
			(u.Port() == ru.Port() || u.Scheme == "http") {
			return true
		}
	}
	return false
}

// authorize serves RFC 6749 §4.1.1 with PKCE (RFC 7636 §4.3) and approves
// the test user named by login_hint at once.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	client, redirect := q.Get("client_id"), q.Get("redirect_uri")
	p.mu.Lock()
	ok := p.redirectAllowed(client, redirect)
	p.mu.Unlock()
	if !ok {
		// RFC 6749 §4.1.2.1: never redirect to an unverified URI.
		http.Error(w, "unknown client or redirect URI", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		params.Set("state", q.Get("state"))
		params.Set("iss", p.issuer) // RFC 9207 §2
		http.Redirect(w, r, redirect+"?"+params.Encode(), http.StatusFound)
	}
	switch {
	case q.Get("response_type") != "code":
		back(url.Values{"error": {"unsupported_response_type"}})
	case q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		back(url.Values{"error": {"invalid_request"}, "error_description": {"PKCE with S256 is required"}})
	case !p.users[strings.ToLower(q.Get("login_hint"))]:
		back(url.Values{"error": {"access_denied"}, "error_description": {"unknown user"}})
	default:
		code := random()
		p.mu.Lock()
		p.codes[code] = &grant{client: client, redirect: redirect, challenge: q.Get("code_challenge"),
			user: q.Get("login_hint"), scope: q.Get("scope"), expires: p.now().Add(time.Minute)}
		p.mu.Unlock()
		back(url.Values{"code": {code}})
	}
}

// token serves RFC 6749 §4.1.3 and §5, checking the PKCE verifier (RFC 7636
// §4.6).
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "authorization_code" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "")
		return
	}
	p.mu.Lock()
	g := p.codes[f.Get("code")]
	delete(p.codes, f.Get("code")) // RFC 6749 §4.1.2: a code is used once
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(f.Get("code_verifier")))
	switch {
	case g == nil || !p.now().Before(g.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "unknown or expired code")
	case g.client != f.Get("client_id") || g.redirect != f.Get("redirect_uri"):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "client or redirect URI differs")
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "code verifier does not match")
	default:
		tok := random()
		p.mu.Lock()
		p.tokens[tok] = &token{user: g.user, expires: p.now().Add(time.Hour)}
		p.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "scope": g.scope})
	}
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}
