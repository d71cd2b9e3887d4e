// Package oauth signs a user in at a mail provider that uses OAuth2, the
// way a mail client does when it adds such an account, so that Mailsetup
// can check that the sign-in works (the OAuth2 counterpart of the password
// check). It runs the authorization-code flow with PKCE (RFC 7636) in the
// user's browser and receives the answer on a loopback redirect (RFC 8252
// §7.3), with the endpoints and client ID of the provider's autoconfig
// <oAuth2> element, or, when the element has no client ID, with the
// issuer's metadata (RFC 8414) and dynamic client registration (RFC 7591),
// as draft-ietf-mailmaint-autoconfig's "OAuth2 requirements" describe.
//
// golang.org/x/oauth2 builds the authorization URL and exchanges the code;
// this package adds discovery, registration and the loopback redirect.
// Every request goes over https with the caller's HTTP client (which
// decides the trusted roots); the access token is returned to the caller
// and never logged.
package oauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/mailsetup/mailsetup/autoconfig"

	"github.com/mailsetup/mailsetup/i18n"
)

// Errors of [SignIn], [Discover] and [Register], wrapped with the detail.
var (
	// ErrNoEndpoints: the configuration names neither both endpoints nor
	// an issuer whose metadata names them.
	ErrNoEndpoints = errors.New("oauth: no authorization and token endpoints")
	// ErrNotHTTPS: an endpoint is not an https URL (RFC 6749 §3.1, §3.2).
	ErrNotHTTPS = errors.New("oauth: endpoint is not https")
	// ErrMetadata: the issuer's metadata could not be fetched or is
	// invalid, or names another issuer (RFC 8414 §3.3).
	ErrMetadata = errors.New("oauth: authorization server metadata unusable")
	// ErrNoClientID: no client ID was given or configured, and the
	// provider offers no dynamic registration.
	ErrNoClientID = errors.New("oauth: no client ID and no dynamic client registration")
	// ErrRegistration: dynamic client registration failed (RFC 7591 §3.2.2).
	ErrRegistration = errors.New("oauth: dynamic client registration failed")
	// ErrDenied: the authorization server answered the redirect with an
	// error (RFC 6749 §4.1.2.1), e.g. the user declined.
	ErrDenied = errors.New("oauth: sign-in refused")
	// ErrBadRedirect: the redirect did not carry this flow's state, or
	// named another issuer (RFC 6749 §10.12, RFC 9207 §2.4).
	ErrBadRedirect = errors.New("oauth: redirect does not belong to this sign-in")
	// ErrToken: the token endpoint refused the code (RFC 6749 §5.2).
	ErrToken = errors.New("oauth: token request failed")
)

// maxBody bounds every response read.
const maxBody = 1 << 20

// Options tune [SignIn]. OpenBrowser is required.
type Options struct {
	// HTTPClient makes the metadata, registration and token requests. Its
	// TLS roots decide which servers are trusted; nil means
	// http.DefaultClient. It must not follow https→http redirects.
	HTTPClient *http.Client
	// OpenBrowser shows url to the user in their browser. The browser must
	// show the page's address (draft-ietf-mailmaint-autoconfig, "OAuth2
	// windows"). Tests pass a function that follows the URL themselves.
	OpenBrowser func(ctx context.Context, url string) error
	// Listen opens the loopback listener of the redirect; nil means
	// 127.0.0.1 on a port the system picks (RFC 8252 §7.3, §8.3: an IP
	// literal, not "localhost").
	Listen func() (net.Listener, error)
	// ClientID replaces the configuration's client ID: for organisations
	// that register their own application. Empty uses the configuration's,
	// else dynamic registration.
	ClientID string
	// ClientName names the application in a dynamic registration; empty
	// means "Mailsetup".
	ClientName string
	// LoginHint is the address being signed in (login_hint), so that the
	// provider's page needs no typing.
	LoginHint string
	// Timeout bounds the whole sign-in, the person's time in the browser
	// included; zero means 5 minutes.
	Timeout time.Duration
	// Printer says the page the browser shows after the redirect, in the
	// language of the program that opened it; nil is English.
	Printer *i18n.Printer
}

// Metadata is what [SignIn] uses of an authorization server's metadata
// (RFC 8414 §2).
type Metadata struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
	RegistrationEndpoint  string `json:"registration_endpoint,omitempty"`
}

// SignIn runs the authorization-code flow for cfg and returns the token.
// The steps:
//  1. the endpoints: cfg's authURL and tokenURL, else the issuer's metadata
//     (RFC 8414), which is also fetched when a client must be registered;
//  2. a loopback listener for the redirect (RFC 8252 §7.3);
//  3. the client ID: opts.ClientID, else cfg's, else dynamic registration
//     of a public client for that redirect URI (RFC 7591 §3.1);
//  4. a PKCE verifier (RFC 7636 §4.1) and a random state (RFC 6749 §10.12);
//     the browser opens the authorization URL with the S256 challenge;
//  5. the redirect's state (and issuer, RFC 9207) are checked, and the code
//     is exchanged with the verifier (RFC 7636 §4.5).
//
// Errors wrap the sentinels above, or the context's error.
func SignIn(ctx context.Context, cfg *autoconfig.OAuth2, opts *Options) (*oauth2.Token, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.OpenBrowser == nil {
		return nil, errors.New("oauth: Options.OpenBrowser is required")
	}
	if cfg == nil || !cfg.Usable() {
		return nil, ErrNoEndpoints
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()

	authURL, tokenURL, issuer := cfg.AuthURL, cfg.TokenURL, ""
	clientID, secret := o.ClientID, ""
	if clientID == "" {
		clientID, secret = cfg.ClientID, cfg.ClientSecret
	}
	var md *Metadata
	if (authURL == "" || tokenURL == "" || clientID == "") && cfg.Issuer != "" {
		var err error
		if md, err = Discover(ctx, o.HTTPClient, cfg.Issuer); err != nil {
			return nil, err
		}
		issuer = md.Issuer
		if authURL == "" || tokenURL == "" {
			authURL, tokenURL = md.AuthorizationEndpoint, md.TokenEndpoint
		}
	}
	for _, u := range []string{authURL, tokenURL} {
		if err := checkHTTPS(u); err != nil {
			return nil, err
		}
	}

	listen := o.Listen
	if listen == nil {
		listen = func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
	}
	ln, err := listen()
	if err != nil {
		return nil, fmt.Errorf("oauth: loopback listener for the redirect: %w", err)
	}
	redirect := "http://" + ln.Addr().String() + "/oauth2/callback"
	cb := newCallback(ln, o.Printer)
	defer cb.close()

	if clientID == "" {
		if md == nil || md.RegistrationEndpoint == "" {
			return nil, ErrNoClientID
		}
		name := o.ClientName
		if name == "" {
			name = "Mailsetup"
		}
		if clientID, err = Register(ctx, o.HTTPClient, md.RegistrationEndpoint, redirect, name); err != nil {
			return nil, err
		}
		secret = "" // RFC 7591 §2: a public client has none
	}

	conf := &oauth2.Config{
		ClientID: clientID, ClientSecret: secret, RedirectURL: redirect, Scopes: strings.Fields(cfg.Scope),
		Endpoint: oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams},
	}
	verifier := oauth2.GenerateVerifier() // RFC 7636 §4.1
	state := randomString()
	params := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)} // RFC 7636 §4.2, §4.3
	if o.LoginHint != "" {
		params = append(params, oauth2.SetAuthURLParam("login_hint", o.LoginHint))
	}
	if err := o.OpenBrowser(ctx, conf.AuthCodeURL(state, params...)); err != nil {
		return nil, fmt.Errorf("oauth: opening the browser: %w", err)
	}

	var q url.Values
	select {
	case q = <-cb.got:
	case <-ctx.Done():
		return nil, fmt.Errorf("oauth: waiting for the sign-in in the browser: %w", ctx.Err())
	}
	switch {
	case q.Get("state") != state: // RFC 6749 §10.12
		return nil, fmt.Errorf("%w: wrong state", ErrBadRedirect)
	case q.Get("iss") != "" && issuer != "" && q.Get("iss") != issuer: // RFC 9207 §2.4
		return nil, fmt.Errorf("%w: issuer %q, expected %q", ErrBadRedirect, q.Get("iss"), issuer)
	case q.Get("error") != "": // RFC 6749 §4.1.2.1
		return nil, fmt.Errorf("%w: %s %s", ErrDenied, clip(q.Get("error")), clip(q.Get("error_description")))
	case q.Get("code") == "":
		return nil, fmt.Errorf("%w: no code", ErrBadRedirect)
	}
	tok, err := conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, o.HTTPClient), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("%w: %s %s", ErrToken, clip(re.ErrorCode), clip(re.ErrorDescription))
		}
		return nil, fmt.Errorf("%w: %w", ErrToken, err)
	}
	return tok, nil
}

// Discover fetches the metadata of issuer (a host name or an https URL):
// RFC 8414 §3.1's well-known URL, else OpenID Connect's
// /.well-known/openid-configuration, which most mail providers serve. The
// metadata must name the same issuer (RFC 8414 §3.3) and https endpoints.
func Discover(ctx context.Context, client *http.Client, issuer string) (*Metadata, error) {
	if !strings.Contains(issuer, "://") {
		issuer = "https://" + issuer
	}
	u, err := url.Parse(issuer)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%w: issuer %q", ErrNotHTTPS, clip(issuer))
	}
	issuer = strings.TrimSuffix(issuer, "/")
	path := strings.TrimSuffix(u.Path, "/")
	var errs []error
	for _, wk := range []string{
		"https://" + u.Host + "/.well-known/oauth-authorization-server" + path, // RFC 8414 §3.1
		issuer + "/.well-known/openid-configuration",                           // OpenID Connect Discovery §4
	} {
		body, err := get(ctx, client, wk)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return parseMetadata(body, issuer)
	}
	return nil, fmt.Errorf("%w: %w", ErrMetadata, errors.Join(errs...))
}

// parseMetadata reads RFC 8414 §3.2 metadata for issuer.
func parseMetadata(body []byte, issuer string) (*Metadata, error) {
	var md Metadata
	if err := json.Unmarshal(body, &md); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
	}
	if strings.TrimSuffix(md.Issuer, "/") != issuer { // RFC 8414 §3.3
		return nil, fmt.Errorf("%w: it names issuer %q, not %q", ErrMetadata, clip(md.Issuer), issuer)
	}
	md.Issuer = issuer
	for _, u := range []string{md.AuthorizationEndpoint, md.TokenEndpoint} {
		if err := checkHTTPS(u); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMetadata, err)
		}
	}
	if md.RegistrationEndpoint != "" && checkHTTPS(md.RegistrationEndpoint) != nil {
		md.RegistrationEndpoint = ""
	}
	return &md, nil
}

// Register registers a public native client for redirectURI at endpoint
// (RFC 7591 §3.1, §2: token_endpoint_auth_method "none") and returns its
// client ID.
func Register(ctx context.Context, client *http.Client, endpoint, redirectURI, name string) (string, error) {
	if err := checkHTTPS(endpoint); err != nil {
		return "", fmt.Errorf("%w: %w", ErrRegistration, err)
	}
	req, _ := json.Marshal(map[string]any{
		"client_name": name, "redirect_uris": []string{redirectURI}, "application_type": "native",
		"grant_types": []string{"authorization_code"}, "response_types": []string{"code"},
		"token_endpoint_auth_method": "none",
	})
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(req))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrRegistration, err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json")
	resp, err := client.Do(hr)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrRegistration, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrRegistration, err)
	}
	return parseRegistration(resp.StatusCode, body)
}

// parseRegistration reads the answer to a registration: 201 with a
// client_id (RFC 7591 §3.2.1), or an error (§3.2.2).
func parseRegistration(status int, body []byte) (string, error) {
	var r struct {
		ClientID string `json:"client_id"`
		Error    string `json:"error"`
		Desc     string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &r)
	switch {
	case status != http.StatusCreated && status != http.StatusOK:
		return "", fmt.Errorf("%w: HTTP %d %s %s", ErrRegistration, status, clip(r.Error), clip(r.Desc))
	case r.ClientID == "" || strings.ContainsAny(r.ClientID, "\x00\r\n"):
		return "", fmt.Errorf("%w: no client_id in the answer", ErrRegistration)
	}
	return r.ClientID, nil
}

// get fetches an https URL's body.
func get(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d", u, resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxBody))
}

// checkHTTPS refuses an endpoint that is not an https URL with a host.
func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: %q", ErrNotHTTPS, clip(raw))
	}
	return nil
}

func randomString() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand never fails (Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// clip bounds and flattens text from a server for an error message.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}
