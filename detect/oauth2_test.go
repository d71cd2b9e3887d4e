package detect_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/internal/xoauth2"
	"github.com/mailsetup/mailsetup/oauth"
)

// signIn detects address in l and signs its user in at the lab's OAuth2
// provider, as `mailprobe --oauth` and the app do.
func signIn(t *testing.T, l *lab.Lab, address string, o *detect.Options) (*detect.Report, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := detect.Run(ctx, address, o)
	if err != nil {
		t.Fatalf("Run(%s): %v", address, err)
	}
	prov := rep.OAuth2Provider()
	if prov == nil {
		t.Fatalf("Run(%s).OAuth2Provider() = nil", address)
	}
	tok, err := oauth.SignIn(ctx, prov, &oauth.Options{HTTPClient: l.HTTPClient(), OpenBrowser: l.Browser(), LoginHint: address})
	if err != nil {
		t.Fatalf("oauth.SignIn: %v", err)
	}
	return rep, tok.AccessToken
}

func verifyOAuth2(t *testing.T, rep *detect.Report, token string, o *detect.Options) {
	t.Helper()
	if err := detect.VerifyOAuth2(context.Background(), rep, detect.OAuth2Request{Token: token, Provider: rep.OAuth2Provider()}, o); err != nil {
		t.Fatalf("VerifyOAuth2: %v", err)
	}
}

// TestOAuth2EndToEnd: the whole flow against the lab's OAuth2-only
// provider — detection, sign-in in the "browser" (PKCE, dynamic
// registration), then OAUTHBEARER/XOAUTH2 on the recommended servers. The
// token reaches only the servers the config names, over verified TLS, and
// never the report's JSON, its transcripts or the log.
func TestOAuth2EndToEnd(t *testing.T) {
	l := startLab(t, lab.Options{})
	var logBuf bytes.Buffer
	o := l.DetectOptions()
	o.Logger = slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	address := lab.User("oauth.test")
	rep, token := signIn(t, l, address, o)
	in, out := rep.Recommended()
	if in == nil || out == nil || in.Signin != detect.SigninOAuth2 || out.Signin != detect.SigninOAuth2 {
		t.Fatalf("signin = %v / %v, want oauth2 for both", in, out)
	}
	verifyOAuth2(t, rep, token, o)
	for _, s := range []*detect.Server{in, out} {
		if s.Login.Status != detect.LoginOAuth2OK {
			t.Errorf("%s login = %+v, want oauth2-ok", s.HostPort(), s.Login)
		}
	}
	creds := l.Credentials()
	if len(creds) == 0 {
		t.Fatal("no server received the token")
	}
	for _, c := range creds {
		if !c.TLS || c.Password != token || (c.Mechanism != "OAUTHBEARER" && c.Mechanism != "XOAUTH2") {
			t.Errorf("credential %+v: want the token over TLS with an OAuth2 mechanism", c)
		}
	}
	blob, _ := json.Marshal(rep)
	// The token itself, and the base64 SASL messages that carry it.
	b64 := base64.StdEncoding.EncodeToString
	forms := []string{token, b64([]byte(token)), b64(xoauth2.Message(address, token))}
	for _, s := range []*detect.Server{in, out} {
		_, ir, _ := sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: address, Token: token, Host: s.Host, Port: s.Port}).Start()
		forms = append(forms, b64(ir))
		if !slices.ContainsFunc(s.Login.Transcript, func(l detect.TranscriptLine) bool {
			return strings.Contains(l.Text, "AUTHENTICATE OAUTHBEARER") || strings.Contains(l.Text, "AUTH OAUTHBEARER")
		}) {
			t.Errorf("%s: the transcript does not show the OAUTHBEARER command: %+v", s.HostPort(), s.Login.Transcript)
		}
	}
	for where, text := range map[string]string{"JSON report (transcripts included)": string(blob), "log": logBuf.String()} {
		for _, f := range forms {
			if strings.Contains(text, f) {
				t.Errorf("the token appears in the %s (as %.12s...)", where, f)
			}
		}
	}
	// The only web requests carrying the token would be to the provider's
	// own token endpoint, and the token never travels there (it comes back).
	for _, r := range l.Requests() {
		if strings.Contains(r.Body+r.URL+r.Authorization, token) {
			t.Errorf("the token was sent to %s://%s%s", r.Scheme, r.Host, r.URL)
		}
	}
}

// TestOAuth2RefusedToken: a revoked or expired token gives oauth2-failed
// with the server's reason, not a protocol message.
func TestOAuth2RefusedToken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(*lab.Lab)
	}{
		{"revoked", func(l *lab.Lab) { l.OAuth.Revoke() }},
		{"expired", func(l *lab.Lab) { l.OAuth.Expire() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startLab(t, lab.Options{})
			o := l.DetectOptions()
			rep, token := signIn(t, l, lab.User("oauth.test"), o)
			tc.spoil(l)
			verifyOAuth2(t, rep, token, o)
			in, out := rep.Recommended()
			for _, s := range []*detect.Server{in, out} {
				if s.Login.Status != detect.LoginOAuth2Failed || !strings.Contains(s.Login.Error, "status") {
					t.Errorf("%s login = %q %q, want oauth2-failed with the server's status", s.HostPort(), s.Login.Status, s.Login.Error)
				}
			}
		})
	}
}

// TestOAuth2TokenOnlyToConfiguredHosts: a recommended server that the
// sign-in's config does not name, or that is not verified TLS, never
// receives the token.
func TestOAuth2TokenOnlyToConfiguredHosts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(*detect.Server)
	}{
		{"another provider's endpoints", func(s *detect.Server) {
			s.OAuth2 = &autoconfig.OAuth2{Issuer: "https://login.elsewhere.test"}
		}},
		{"no endpoints (a server from another source)", func(s *detect.Server) { s.OAuth2 = nil }},
		{"plaintext", func(s *detect.Server) { s.Security = autoconfig.Plain }},
		{"a guessed host nobody confirmed", func(s *detect.Server) {
			s.Trust, s.Sources = detect.TrustGuess, []detect.SourceName{detect.SourceGuess}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startLab(t, lab.Options{})
			o := l.DetectOptions()
			rep, token := signIn(t, l, lab.User("oauth.test"), o)
			_, out := rep.Recommended()
			tc.spoil(out)
			verifyOAuth2(t, rep, token, o)
			if out.Login.Status == detect.LoginOAuth2OK || out.Login.Status == detect.LoginOAuth2Failed {
				t.Errorf("outgoing login = %+v: the token was sent", out.Login)
			}
			for _, c := range l.Credentials() {
				if c.Protocol == "smtp" {
					t.Errorf("the SMTP server received %s credentials", c.Mechanism)
				}
			}
		})
	}
}

// TestPasswordOnOAuth2OnlyServer: the password check on a server that
// offers no password mechanism answers not-possible with the sentence of
// the oauth2-required warning, sends nothing, and never says "failed".
func TestPasswordOnOAuth2OnlyServer(t *testing.T) {
	l := startLab(t, lab.Options{})
	rep := detectAndLogin(t, l, lab.User("oauth.test"), lab.Password)
	in, out := loginOf(rep)
	for _, got := range []detect.LoginReport{in, out} {
		if got.Status != detect.LoginNotPossible || got.Error != detect.OAuth2Sentence(lab.AppPasswordPage) {
			t.Errorf("login = %q %q, want not-possible with %q", got.Status, got.Error, detect.OAuth2Sentence(lab.AppPasswordPage))
		}
	}
	if c := l.Credentials(); len(c) != 0 {
		t.Errorf("servers received %d credentials, want none", len(c))
	}
}

// TestSigninScenarios: how each lab provider signs in.
func TestSigninScenarios(t *testing.T) {
	l := startLab(t, lab.Options{})
	for _, tc := range []struct {
		domain string
		want   detect.Signin
	}{
		{"oauth.test", detect.SigninOAuth2},
		{"oauthboth.test", detect.SigninPasswordOrOAuth2},
		{"demo.test", detect.SigninPassword},
	} {
		rep, err := detect.Run(context.Background(), lab.User(tc.domain), l.DetectOptions())
		if err != nil {
			t.Fatal(err)
		}
		in, out := rep.Recommended()
		if in == nil || out == nil || in.Signin != tc.want || out.Signin != tc.want {
			t.Errorf("%s: signin = %v/%v, want %s", tc.domain, in, out, tc.want)
		}
	}
}
