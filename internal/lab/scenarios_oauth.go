package lab

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"

	"github.com/mailsetup/mailsetup/internal/lab/oauthprovider"
)

// OAuthIssuer is the issuer of the lab's OAuth2 provider (package
// oauthprovider), served over https like any provider's sign-in page.
const OAuthIssuer = "https://" + oauthHost

// OAuthClientID is the client ID the oauthboth.test autoconfig names; the
// provider accepts it with any loopback redirect URI. oauth.test names
// none, so a client registers itself (RFC 7591).
const OAuthClientID = "mailsetup-lab"

const oauthHost = "login.oauth.test"

// AppPasswordPage is the app-password help page the OAuth2 scenarios'
// autoconfig names.
const AppPasswordPage = "https://help.oauth.test/app-passwords"

// oauthScenarios are the providers that sign in with OAuth2.
var oauthScenarios = []Scenario{
	{
		Domain: "oauth.test",
		About:  "a provider that signs in only with OAuth2, like Gmail or Outlook: its autoconfig lists OAuth2 with an <oAuth2> element (no client ID: dynamic registration) and an app-password page; IMAP, POP3 and SMTP accept only OAUTHBEARER and XOAUTH2",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.oauth.test:993/tls", Out: "mail.oauth.test:465/tls", Trust: "https",
			Warnings: []string{"oauth2-required"}, Absent: []string{"needs-confirmation"}},
		setup: func(l *Lab, d string) error {
			host := "mail." + d
			l.web("https", "autoconfig."+d, autoconfigPath, page{body: oauthXML(d, host, "", "OAuth2")})
			return l.mailHost(host, fault{oauth: true, noPassword: true}, imaps, pop3s, submissions)
		},
	},
	{
		Domain: "oauthboth.test",
		About:  "a provider that takes OAuth2 or a password (like Yahoo or AOL): its autoconfig lists OAuth2 first, then password-cleartext, with its own client ID; the servers offer PLAIN, OAUTHBEARER and XOAUTH2",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.oauthboth.test:993/tls", Out: "mail.oauthboth.test:465/tls", Trust: "https",
			Absent: []string{"oauth2-required", "needs-confirmation"}},
		setup: func(l *Lab, d string) error {
			host := "mail." + d
			l.web("https", "autoconfig."+d, autoconfigPath, page{body: oauthXML(d, host, OAuthClientID, "OAuth2", "password-cleartext")})
			return l.mailHost(host, fault{oauth: true}, imaps, pop3s, submissions)
		},
	},
}

func init() { Scenarios = append(Scenarios, oauthScenarios...) }

// oauthXML is the autoconfig of an OAuth2 scenario: IMAP 993, POP3 995 and
// SMTP 465 on host with the given authentication methods, the lab
// provider's <oAuth2> element and an app-password help page.
func oauthXML(domain, host, clientID string, auths ...string) string {
	var a strings.Builder
	for _, x := range auths {
		fmt.Fprintf(&a, "      <authentication>%s</authentication>\n", x)
	}
	server := func(tag, typ string, port int) string {
		return fmt.Sprintf("    <%s type=\"%s\">\n      <hostname>%s</hostname>\n      <port>%d</port>\n      <socketType>SSL</socketType>\n%s      <username>%%EMAILADDRESS%%</username>\n    </%s>\n",
			tag, typ, host, port, a.String(), tag)
	}
	client := ""
	if clientID != "" {
		client = "\n    <clientID>" + clientID + "</clientID>"
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="%[1]s">
    <domain>%[1]s</domain>
    <displayName>Lab %[1]s</displayName>
    <displayShortName>%[1]s</displayShortName>
%[2]s%[3]s%[4]s    <documentation url="%[5]s">
      <descr lang="en">Create an app password for mail apps that cannot sign in with OAuth2</descr>
    </documentation>
  </emailProvider>
  <oAuth2>
    <issuer>%[6]s</issuer>
    <scope>mail</scope>
    <authURL>%[6]s/authorize</authURL>
    <tokenURL>%[6]s/token</tokenURL>%[7]s
  </oAuth2>
</clientConfig>
`, domain, server("incomingServer", "imap", 993), server("incomingServer", "pop3", 995), server("outgoingServer", "smtp", 465),
		AppPasswordPage, OAuthIssuer, client)
}

// startOAuth makes the lab's OAuth2 provider, which approves the users of
// the OAuth2 scenarios; its server starts with the web servers.
func (l *Lab) startOAuth() {
	var users []string
	for _, s := range oauthScenarios {
		users = append(users, User(s.Domain))
	}
	l.OAuth = oauthprovider.New(OAuthIssuer, users, OAuthClientID)
}

// Browser plays the user's browser for a lab OAuth2 sign-in (an
// oauth.Options.OpenBrowser): it opens the authorization URL through the
// lab's DNS and dialer, trusting the lab's CA, where the provider approves
// the scenario's user at once, and follows the redirect to the loopback
// address the sign-in listens on. No person and no real browser are needed.
func (l *Lab) Browser() func(ctx context.Context, u string) error {
	return func(ctx context.Context, u string) error {
		d := &resolver.Dialer{Resolver: l.Resolver, Dial: l.Dial}
		tr := &http.Transport{DialContext: d.DialContext, Proxy: nil,
			TLSClientConfig: &tls.Config{RootCAs: l.CA.Pool(), MinVersion: tls.VersionTLS12}}
		defer tr.CloseIdleConnections()
		c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		resp, err := c.Do(req)
		if err != nil {
			return fmt.Errorf("lab browser: %w", err)
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return resp.Body.Close()
	}
}

// HTTPClient is the engine's HTTP client pointed at the lab (its DNS,
// dialer and CA), for the OAuth2 sign-in's metadata, registration and
// token requests.
func (l *Lab) HTTPClient() *http.Client {
	return detect.NewHTTPClient(l.Resolver, l.Dial, l.CA.Pool())
}
