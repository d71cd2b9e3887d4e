package autoconfig_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// oauthDoc is a document whose servers sign in with OAuth2 (and, with
// password, also a password), with the given <oAuth2> body and extra
// elements of clientConfig.
func oauthDoc(password bool, oauth, extra string) string {
	auth := "<authentication>OAuth2</authentication>"
	if password {
		auth += "<authentication>password-cleartext</authentication>"
	}
	imap := mozServer("incomingServer", "imap", `<hostname>imap.example.com</hostname><port>993</port><socketType>SSL</socketType>`+auth)
	smtp := mozServer("outgoingServer", "smtp", `<hostname>smtp.example.com</hostname><port>465</port><socketType>SSL</socketType>`+auth)
	doc := mozDoc(imap, smtp,
		`<documentation url="https://help.example.com/app-passwords"><descr lang="de">App-Passwort</descr><descr lang="en">Create an app password</descr></documentation>`,
		`<documentation url="https://help.example.com/imap"><descr>IMAP settings</descr></documentation>`)
	if oauth != "" {
		oauth = "<oAuth2>" + oauth + "</oAuth2>"
	}
	return strings.Replace(doc, "</clientConfig>", oauth+extra+"</clientConfig>", 1)
}

const oauthOK = `<issuer>login.example.com</issuer><scope>mail offline</scope>
<authURL>https://login.example.com/authorize</authURL><tokenURL>https://login.example.com/token</tokenURL>
<clientID>thunderbird</clientID>`

func TestReadMozillaOAuth2(t *testing.T) {
	for _, tc := range []struct {
		name    string
		oauth   string
		want    *autoconfig.OAuth2
		problem string
	}{
		{"complete", oauthOK, &autoconfig.OAuth2{Issuer: "login.example.com", Scope: "mail offline",
			AuthURL: "https://login.example.com/authorize", TokenURL: "https://login.example.com/token", ClientID: "thunderbird"}, ""},
		{"issuer only", `<issuer>https://login.example.com/tenant</issuer>`, &autoconfig.OAuth2{Issuer: "https://login.example.com/tenant"}, ""},
		{"http token URL dropped, issuer kept", `<issuer>login.example.com</issuer><authURL>https://l.example.com/a</authURL><tokenURL>http://l.example.com/t</tokenURL>`,
			&autoconfig.OAuth2{Issuer: "login.example.com", AuthURL: "https://l.example.com/a"}, "tokenURL ignored"},
		{"nothing usable", `<authURL>https://l.example.com/a</authURL>`, nil, "names neither an issuer"},
		{"bad issuer", `<issuer>not a host</issuer>`, nil, "issuer ignored"},
		{"control characters", `<issuer>login.example.com</issuer><clientID>a&#10;b</clientID>`, &autoconfig.OAuth2{Issuer: "login.example.com"}, "clientID ignored"},
		{"none", ``, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := readMoz(t, oauthDoc(false, tc.oauth, ""), autoconfig.Vars{})
			if (c.OAuth2 == nil) != (tc.want == nil) || c.OAuth2 != nil && *c.OAuth2 != *tc.want {
				t.Fatalf("ReadMozilla().OAuth2 = %+v, want %+v", c.OAuth2, tc.want)
			}
			for _, s := range append(c.Incoming, c.Outgoing...) {
				if s.OAuth2 != c.OAuth2 {
					t.Errorf("server %s OAuth2 = %p, want the config's %p", s.Hostname, s.OAuth2, c.OAuth2)
				}
			}
			if got := strings.Join(c.Problems, "; "); tc.problem != "" && !strings.Contains(got, tc.problem) || tc.problem == "" && got != "" {
				t.Errorf("Problems = %q, want %q", got, tc.problem)
			}
		})
	}
}

func TestReadMozillaHelp(t *testing.T) {
	c := readMoz(t, oauthDoc(true, oauthOK, `<enable visiturl="https://mail.example.com/settings"><instruction>Enable IMAP access</instruction></enable>`), autoconfig.Vars{})
	want := []autoconfig.Link{
		{URL: "https://help.example.com/app-passwords", Descr: "Create an app password", AppPassword: true},
		{URL: "https://help.example.com/imap", Descr: "IMAP settings"},
		{URL: "https://mail.example.com/settings", Descr: "Enable IMAP access"},
	}
	if len(c.Help) != len(want) {
		t.Fatalf("Help = %+v, want %+v", c.Help, want)
	}
	for i := range want {
		if c.Help[i] != want[i] {
			t.Errorf("Help[%d] = %+v, want %+v", i, c.Help[i], want[i])
		}
	}
	if got := autoconfig.AppPasswordURL(c.Incoming[0].Help); got != want[0].URL {
		t.Errorf("AppPasswordURL(imap help) = %q, want %q", got, want[0].URL)
	}
	if s := c.Incoming[0]; !s.HasAuth(autoconfig.AuthOAuth2) || !s.PasswordAuth() {
		t.Errorf("server %+v: want OAuth2 and a password", s)
	}
}

// TestReadMozillaOAuth2Corpus reads the ISP database's big OAuth2
// providers: each keeps its endpoints on every server that lists OAuth2.
func TestReadMozillaOAuth2Corpus(t *testing.T) {
	ispdbFiles(t)
	for _, tc := range []struct{ file, issuer, token string }{
		{"googlemail.com.xml", "accounts.google.com", "https://www.googleapis.com/oauth2/v3/token"},
		{"yahoo.com.xml", "login.yahoo.com", "https://api.login.yahoo.com/oauth2/get_token"},
		{"aol.com.xml", "login.aol.com", "https://api.login.aol.com/oauth2/get_token"},
		{"hotmail.com.xml", "", ""}, // OAuth2 only, but the file has no <oAuth2>: Thunderbird knows the endpoints itself
	} {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(ispdbDir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			c, err := autoconfig.ReadMozilla(bytes.NewReader(data), fullVars)
			if err != nil {
				t.Fatal(err)
			}
			if tc.issuer == "" {
				if c.OAuth2 != nil || c.Incoming[0].PasswordAuth() || !c.Incoming[0].HasAuth(autoconfig.AuthOAuth2) {
					t.Errorf("ReadMozilla(%s) = OAuth2 %+v, first server %+v; want no element and OAuth2 only", tc.file, c.OAuth2, c.Incoming[0])
				}
				return
			}
			if c.OAuth2 == nil || c.OAuth2.Issuer != tc.issuer || c.OAuth2.TokenURL != tc.token {
				t.Fatalf("ReadMozilla(%s).OAuth2 = %+v, want issuer %s, token URL %s", tc.file, c.OAuth2, tc.issuer, tc.token)
			}
			for _, s := range append(c.Incoming, c.Outgoing...) {
				if s.HasAuth(autoconfig.AuthOAuth2) && s.OAuth2 != c.OAuth2 {
					t.Errorf("%s: server %s lists OAuth2 without the endpoints", tc.file, s.Hostname)
				}
			}
		})
	}
}

// TestWriteMozillaKeepsOAuth2: a config whose servers sign in with OAuth2
// is written with <authentication>OAuth2</authentication> and the
// <oAuth2> element, and reads back the same.
func TestWriteMozillaKeepsOAuth2(t *testing.T) {
	c := readMoz(t, oauthDoc(false, oauthOK, ""), autoconfig.Vars{})
	var b bytes.Buffer
	if err := autoconfig.WriteMozilla(&b, c); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"<authentication>OAuth2</authentication>", "<oAuth2>", "<tokenURL>https://login.example.com/token</tokenURL>", "<clientID>thunderbird</clientID>"} {
		if !strings.Contains(out, want) {
			t.Errorf("WriteMozilla() lacks %s:\n%s", want, out)
		}
	}
	back := readMoz(t, out, autoconfig.Vars{})
	if back.OAuth2 == nil || *back.OAuth2 != *c.OAuth2 {
		t.Errorf("round trip OAuth2 = %+v, want %+v", back.OAuth2, c.OAuth2)
	}
	// Servers that keep their endpoints but no longer list OAuth2 write no
	// <oAuth2> of their own.
	c.OAuth2 = nil
	c.Incoming[0].Auth = []autoconfig.Auth{autoconfig.AuthPasswordCleartext}
	c.Outgoing[0].Auth = c.Incoming[0].Auth
	b.Reset()
	if err := autoconfig.WriteMozilla(&b, c); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "oAuth2") {
		t.Errorf("WriteMozilla() of password servers wrote <oAuth2>:\n%s", b.String())
	}
	// An http token URL is refused.
	c.Incoming[0].Auth = []autoconfig.Auth{autoconfig.AuthOAuth2}
	c.OAuth2 = &autoconfig.OAuth2{AuthURL: "https://a.example/", TokenURL: "http://a.example/t"}
	if err := autoconfig.WriteMozilla(&b, c); err == nil {
		t.Errorf("WriteMozilla() with an http tokenURL = nil, want ErrExportInvalid")
	}
}

// FuzzReadOAuth2 feeds arbitrary <oAuth2> bodies and help elements: the
// reader never fails because of them, and what it keeps is https and
// free of control characters.
func FuzzReadOAuth2(f *testing.F) {
	f.Add(oauthOK, `<enable visiturl="https://x.example/"><instruction>app password</instruction></enable>`)
	f.Add(`<issuer>https://login.example.com</issuer>`, ``)
	f.Add(`<authURL>javascript:alert(1)</authURL><tokenURL>https://x</tokenURL>`, `<documentation url="ftp://x"/>`)
	f.Fuzz(func(t *testing.T, oauth, extra string) {
		doc := oauthDoc(false, oauth, extra)
		c, err := autoconfig.ReadMozilla(strings.NewReader(doc), autoconfig.Vars{})
		if err != nil {
			return // the fuzzed text broke the XML
		}
		if o := c.OAuth2; o != nil {
			if !o.Usable() {
				t.Fatalf("OAuth2 %+v kept but not usable", o)
			}
			for _, u := range []string{o.AuthURL, o.TokenURL} {
				if u != "" && !strings.HasPrefix(u, "https://") {
					t.Fatalf("OAuth2 URL %q is not https", u)
				}
			}
			for _, v := range []string{o.Issuer, o.Scope, o.ClientID, o.ClientSecret} {
				if strings.ContainsAny(v, "\x00\r\n") {
					t.Fatalf("OAuth2 value %q has control characters", v)
				}
			}
			var b bytes.Buffer
			if err := autoconfig.WriteMozilla(&b, c); err == nil {
				if _, err := autoconfig.ReadMozilla(&b, autoconfig.Vars{}); err != nil {
					t.Fatalf("written config does not read back: %v", err)
				}
			}
		}
		for _, l := range c.Help {
			if !strings.HasPrefix(l.URL, "https://") && !strings.HasPrefix(l.URL, "http://") {
				t.Fatalf("help link %q is not http(s)", l.URL)
			}
		}
	})
}
