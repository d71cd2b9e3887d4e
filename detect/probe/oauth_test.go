package probe_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

// TestLoginOAuth2 signs in with a bearer token on the lab's real servers
// (go-imap, go-smtp, the lab's POP3) of every protocol, with each OAuth2
// mechanism: accepted, refused with the server's reason, and never sent
// in plaintext or shown in the transcript.
func TestLoginOAuth2(t *testing.T) {
	t.Parallel()
	const user, good = "alice@example.test", "ya29.good-token-0123456789"
	check := func(u, tok string) error {
		if u == user && tok == good {
			return nil
		}
		return errors.New("invalid_token")
	}
	for _, proto := range []autoconfig.Protocol{autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP} {
		for _, mech := range []string{"OAUTHBEARER", "XOAUTH2"} {
			for _, tc := range []struct {
				name, token string
				status      probe.LoginStatus
				errSub      string
			}{
				{"accepted", good, probe.LoginOK, ""},
				{"refused", "ya29.revoked-token-987654321", probe.LoginFailed, "status "},
			} {
				t.Run(string(proto)+"/"+mech+"/"+tc.name, func(t *testing.T) {
					t.Parallel()
					cert := must(ca(t).Leaf(host))
					port, srv := labServer(t, mailserver.Config{Protocol: mailserver.Protocol(proto), Security: mailserver.TLS, Cert: &cert,
						OAuth2: check, OAuth2Mechanisms: []string{mech}, NoPassword: true})
					r := probe.Login(context.Background(), probe.Target{Protocol: proto, Host: host, Port: port, Security: autoconfig.TLS},
						probe.Credentials{Usernames: []string{user, "alice"}, Token: tc.token}, options(t))
					wantLogin(t, r, tc.status, tc.errSub)
					if !strings.HasSuffix(r.Mechanism, mech) || len(r.Tried) != 1 {
						t.Errorf("Mechanism, Tried = %q, %q; want %s with the first user name only", r.Mechanism, r.Tried, mech)
					}
					for _, l := range r.Transcript {
						if strings.Contains(l.Text, tc.token) || strings.Contains(l.Text, "auth=Bearer") {
							t.Errorf("transcript line %q holds the token", l.Text)
						}
					}
					for _, c := range srv.Credentials() {
						if !c.TLS || c.Mechanism != mech {
							t.Errorf("credential %+v: want %s over TLS", c, mech)
						}
					}
				})
			}
		}
	}
}

// TestLoginOAuth2NotOffered: a token for a server without OAuth2
// mechanisms is not possible, and nothing is sent.
func TestLoginOAuth2NotOffered(t *testing.T) {
	t.Parallel()
	cert := must(ca(t).Leaf(host))
	port, srv := labServer(t, mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.TLS, Cert: &cert})
	r := probe.Login(context.Background(), probe.Target{Protocol: autoconfig.SMTP, Host: host, Port: port, Security: autoconfig.TLS},
		probe.Credentials{Usernames: []string{"alice@example.test"}, Token: "tok-123456"}, options(t))
	wantLogin(t, r, probe.LoginNotPossible, "neither OAUTHBEARER nor XOAUTH2")
	if c := srv.Credentials(); len(c) != 0 {
		t.Errorf("server received %+v", c)
	}
}
