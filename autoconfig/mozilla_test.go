package autoconfig_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// mozDoc wraps server sections in a config-v1.1.xml document.
func mozDoc(servers ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>Example.COM</domain>
    <domain>example.net</domain>
    <displayName>Example Mail</displayName>
    <displayShortName>Example</displayShortName>
` + strings.Join(servers, "\n") + `
  </emailProvider>
</clientConfig>
`
}

// mozServer builds a server section: the element (incomingServer or
// outgoingServer), its type and its inner XML.
func mozServer(elem, typ, inner string) string {
	return `<` + elem + ` type="` + typ + `">` + inner + `</` + elem + `>`
}

// imapWith is an IMAP server whose fields are the defaults below with
// the given overrides; an override "" drops the field.
func imapWith(over map[string]string) string {
	fields := []struct{ name, val string }{
		{"hostname", "imap.example.com"},
		{"port", "993"},
		{"socketType", "SSL"},
		{"authentication", "password-cleartext"},
		{"username", "%EMAILADDRESS%"},
	}
	var b strings.Builder
	for _, f := range fields {
		val := f.val
		if o, ok := over[f.name]; ok {
			val = o
		}
		if val == "" {
			continue
		}
		// A value may be several elements' worth, written literally.
		if strings.HasPrefix(val, "<") {
			b.WriteString(val)
			continue
		}
		b.WriteString("<" + f.name + ">" + val + "</" + f.name + ">")
	}
	return mozServer("incomingServer", "imap", b.String())
}

const smtpOK = `<outgoingServer type="smtp">
  <hostname>smtp.example.com</hostname><port>465</port><socketType>SSL</socketType>
  <authentication>password-cleartext</authentication><username>%EMAILADDRESS%</username>
</outgoingServer>`

func readMoz(t *testing.T, doc string, v autoconfig.Vars) *autoconfig.Config {
	t.Helper()
	c, err := autoconfig.ReadMozilla(strings.NewReader(doc), v)
	if err != nil {
		t.Fatalf("ReadMozilla(%.200q) error = %v, want nil", doc, err)
	}
	checkInvariants(t, c)
	return c
}

func TestReadMozillaWhole(t *testing.T) {
	c := readMoz(t, mozDoc(imapWith(nil), smtpOK), fullVars)
	want := &autoconfig.Config{
		ID:          "example.com",
		Domains:     []string{"example.com", "example.net"},
		DisplayName: "Example Mail",
		ShortName:   "Example",
		Incoming: []autoconfig.Server{{
			Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 993, Security: autoconfig.TLS,
			Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "fred@example.com",
		}},
		Outgoing: []autoconfig.Server{{
			Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 465, Security: autoconfig.TLS,
			Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "fred@example.com",
		}},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("ReadMozilla(whole) = %+v, want %+v", c, want)
	}
}

func TestReadMozillaPlaceholders(t *testing.T) {
	tests := []struct {
		name               string
		vars               autoconfig.Vars
		host, user         string
		wantHost, wantUser string
	}{
		{"address", fullVars, "imap.example.com", "%EMAILADDRESS%", "imap.example.com", "fred@example.com"},
		{"local part", fullVars, "imap.example.com", "%EMAILLOCALPART%", "imap.example.com", "fred"},
		{"local part dot domain", fullVars, "imap.example.com", "%EMAILLOCALPART%.%EMAILDOMAIN%", "imap.example.com", "fred.example.com"},
		{"real name", fullVars, "imap.example.com", "%REALNAME%", "imap.example.com", "Fred Example"},
		{"domain in host", fullVars, "%EMAILDOMAIN%", "u", "example.com", "u"},
		{"mail.domain", fullVars, "mail.%EMAILDOMAIN%", "u", "mail.example.com", "u"},
		{"IDN domain", autoconfig.Vars{Domain: "Bücher.example"}, "mail.%EMAILDOMAIN%", "u", "mail.xn--bcher-kva.example", "u"},
		{"zero vars keep placeholders", autoconfig.Vars{}, "Mail.%EMAILDOMAIN%", "%EMAILADDRESS%", "mail.%EMAILDOMAIN%", "%EMAILADDRESS%"},
		{"partial vars", autoconfig.Vars{LocalPart: "fred"}, "imap.example.com", "%EMAILLOCALPART%@%EMAILDOMAIN%", "imap.example.com", "fred@%EMAILDOMAIN%"},
		{"placeholder names are case-sensitive", fullVars, "imap.example.com", "%emailaddress%", "imap.example.com", "%emailaddress%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readMoz(t, mozDoc(imapWith(map[string]string{"hostname": tt.host, "username": tt.user})), tt.vars)
			if len(c.Incoming) != 1 {
				t.Fatalf("ReadMozilla(host %q) = %d incoming, want 1; problems %q", tt.host, len(c.Incoming), c.Problems)
			}
			s := c.Incoming[0]
			if s.Hostname != tt.wantHost || s.Username != tt.wantUser {
				t.Errorf("ReadMozilla(host %q, user %q, %+v) = %q, %q, want %q, %q",
					tt.host, tt.user, tt.vars, s.Hostname, s.Username, tt.wantHost, tt.wantUser)
			}
		})
	}
}

// TestReadMozillaRejects checks the values that make a server invalid: the
// IMAP server is left out with a reason, the SMTP server beside it stays.
func TestReadMozillaRejects(t *testing.T) {
	tests := []struct {
		name   string
		over   map[string]string
		reason string // a piece of the problem text
	}{
		{"port 0", map[string]string{"port": "0"}, "out of range"},
		{"port 70000", map[string]string{"port": "70000"}, "out of range"},
		{"port 65536", map[string]string{"port": "65536"}, "out of range"},
		{"port abc", map[string]string{"port": "abc"}, "not a number"},
		{"port -1", map[string]string{"port": "-1"}, "not a number"},
		{"port +993", map[string]string{"port": "+993"}, "not a number"},
		{"port 99.3", map[string]string{"port": "99.3"}, "not a number"},
		{"port huge", map[string]string{"port": "99999999999999999999"}, "out of range"},
		{"port empty", map[string]string{"port": "<port> </port>"}, "empty port"},
		{"no port", map[string]string{"port": ""}, "no port"},
		{"no hostname", map[string]string{"hostname": ""}, "no hostname"},
		{"empty hostname", map[string]string{"hostname": "<hostname/>"}, "empty host name"},
		{"space in hostname", map[string]string{"hostname": "imap example.com"}, "not allowed"},
		{"slash in hostname", map[string]string{"hostname": "imap.example.com/x"}, "not allowed"},
		{"URL as hostname", map[string]string{"hostname": "https://imap.example.com"}, "not allowed"},
		{"port in hostname", map[string]string{"hostname": "imap.example.com:993"}, "not allowed"},
		{"underscore", map[string]string{"hostname": "imap_1.example.com"}, "not allowed"},
		{"IPv6 literal", map[string]string{"hostname": "[2001:db8::1]"}, "not allowed"},
		{"leading hyphen", map[string]string{"hostname": "-imap.example.com"}, "hyphen"},
		{"empty label", map[string]string{"hostname": "imap..example.com"}, "empty label"},
		{"label too long", map[string]string{"hostname": strings.Repeat("a", 64) + ".example.com"}, "more than 63"},
		{"name too long", map[string]string{"hostname": strings.Repeat("abcdefghi.", 26) + "com"}, "more than 253"},
		{"control character", map[string]string{"hostname": "imap&#x9;x.example.com"}, "not allowed"},
		{"invalid IDN", map[string]string{"hostname": "\u0301mail.example.com"}, "international"},
		{"address placeholder in host", map[string]string{"hostname": "%EMAILADDRESS%"}, "not allowed"},
		{"real name placeholder in host", map[string]string{"hostname": "%REALNAME%.example.com"}, "not allowed"},
		{"socketType TLS", map[string]string{"socketType": "TLS"}, `unsupported socketType "TLS"`},
		{"socketType empty", map[string]string{"socketType": "<socketType/>"}, `unsupported socketType ""`},
		{"no socketType", map[string]string{"socketType": ""}, "no socketType"},
		{"unknown auth only", map[string]string{"authentication": "http-basic"}, `no supported authentication among "http-basic"`},
		{"SASL scheme only", map[string]string{"authentication": `<authentication system="sasl">SCRAM-SHA-256-PLUS</authentication>`}, "no supported authentication"},
		{"HTTP auth only", map[string]string{"authentication": `<authentication system="http">OAuth2</authentication>`}, "no supported authentication"},
		{"SMTP-only auth on IMAP", map[string]string{"authentication": "smtp-after-pop"}, "no supported authentication"},
		{"no authentication", map[string]string{"authentication": ""}, "no authentication"},
		{"CRLF in username", map[string]string{"username": "fred&#13;&#10;A1 LOGOUT"}, `username "fred\r\nA1 LOGOUT" has control characters`},
		{"TAB in username", map[string]string{"username": "fred&#9;x"}, "control characters"},
		{"DEL in username", map[string]string{"username": "fred&#127;"}, "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mozDoc(imapWith(tt.over), smtpOK)
			c := readMoz(t, doc, fullVars)
			if len(c.Incoming) != 0 || len(c.Outgoing) != 1 {
				t.Errorf("ReadMozilla(%v) = %d incoming, %d outgoing, want 0, 1", tt.over, len(c.Incoming), len(c.Outgoing))
			}
			if len(c.Problems) != 1 || !strings.Contains(c.Problems[0], tt.reason) ||
				!strings.Contains(c.Problems[0], `incomingServer type "imap" at line 8 rejected`) {
				t.Errorf("ReadMozilla(%v).Problems = %q, want one with %q", tt.over, c.Problems, tt.reason)
			}
		})
	}
}

func TestReadMozillaValues(t *testing.T) {
	A := func(a ...autoconfig.Auth) []autoconfig.Auth { return a }
	tests := []struct {
		name     string
		over     map[string]string
		host     string
		port     int
		security autoconfig.Security
		auth     []autoconfig.Auth
	}{
		{"SSL", map[string]string{"socketType": "SSL"}, "imap.example.com", 993, autoconfig.TLS, nil},
		{"STARTTLS", map[string]string{"socketType": "STARTTLS", "port": "143"}, "imap.example.com", 143, autoconfig.STARTTLS, nil},
		{"plain", map[string]string{"socketType": "plain", "port": "143"}, "imap.example.com", 143, autoconfig.Plain, nil},
		{"ssl lower case", map[string]string{"socketType": "ssl"}, "imap.example.com", 993, autoconfig.TLS, nil},
		{"StartTLS mixed case", map[string]string{"socketType": " StartTLS\n"}, "imap.example.com", 993, autoconfig.STARTTLS, nil},
		{"PLAIN upper case", map[string]string{"socketType": "PLAIN"}, "imap.example.com", 993, autoconfig.Plain, nil},
		{"first supported socketType", map[string]string{"socketType": "<socketType>QUIC</socketType><socketType>STARTTLS</socketType><socketType>SSL</socketType>"},
			"imap.example.com", 993, autoconfig.STARTTLS, nil},
		{"port 1", map[string]string{"port": "1"}, "imap.example.com", 1, autoconfig.TLS, nil},
		{"port 65535", map[string]string{"port": "65535"}, "imap.example.com", 65535, autoconfig.TLS, nil},
		{"port with spaces", map[string]string{"port": "\n  993  \n"}, "imap.example.com", 993, autoconfig.TLS, nil},
		{"port 0993", map[string]string{"port": "0993"}, "imap.example.com", 993, autoconfig.TLS, nil},
		{"host upper case, trailing dot", map[string]string{"hostname": " IMAP.Example.COM. "}, "imap.example.com", 993, autoconfig.TLS, nil},
		{"IDN host", map[string]string{"hostname": "IMAP.Bücher.example"}, "imap.xn--bcher-kva.example", 993, autoconfig.TLS, nil},
		{"IDN ideographic full stop", map[string]string{"hostname": "例え。テスト"}, "xn--r8jz45g.xn--zckzah", 993, autoconfig.TLS, nil},
		{"A-label host", map[string]string{"hostname": "imap.xn--bcher-kva.example"}, "imap.xn--bcher-kva.example", 993, autoconfig.TLS, nil},
		{"IPv4 host", map[string]string{"hostname": "192.0.2.1"}, "192.0.2.1", 993, autoconfig.TLS, nil},
		{"CDATA host", map[string]string{"hostname": "<hostname><![CDATA[imap.example.com]]></hostname>"}, "imap.example.com", 993, autoconfig.TLS, nil},
		{"first hostname", map[string]string{"hostname": "<hostname>a.example.com</hostname><hostname>b.example.com</hostname>"}, "a.example.com", 993, autoconfig.TLS, nil},

		{"password-cleartext", map[string]string{"authentication": "password-cleartext"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthPasswordCleartext)},
		{"plain alias", map[string]string{"authentication": "plain"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthPasswordCleartext)},
		{"password-encrypted", map[string]string{"authentication": "password-encrypted"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthPasswordEncrypted)},
		{"secure alias", map[string]string{"authentication": "secure"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthPasswordEncrypted)},
		{"NTLM", map[string]string{"authentication": "NTLM"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthNTLM)},
		{"GSSAPI", map[string]string{"authentication": "GSSAPI"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthGSSAPI)},
		{"TLS-client-cert", map[string]string{"authentication": "TLS-client-cert"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthTLSClientCert)},
		{"OAuth2", map[string]string{"authentication": "OAuth2"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthOAuth2)},
		{"oauth2 lower case", map[string]string{"authentication": "oauth2"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthOAuth2)},
		{"none", map[string]string{"authentication": "none"}, "imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthNone)},
		{"several in order, unknown skipped, duplicates merged", map[string]string{"authentication": "<authentication>OAuth2</authentication>" +
			"<authentication>http-basic</authentication><authentication system=\"sasl\">SCRAM-SHA-256-PLUS</authentication>" +
			"<authentication>plain</authentication><authentication>password-cleartext</authentication><authentication>GSSAPI</authentication>"},
			"imap.example.com", 993, autoconfig.TLS, A(autoconfig.AuthOAuth2, autoconfig.AuthPasswordCleartext, autoconfig.AuthGSSAPI)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := readMoz(t, mozDoc(imapWith(tt.over)), fullVars)
			if len(c.Incoming) != 1 || len(c.Problems) != 0 {
				t.Fatalf("ReadMozilla(%v) = %d incoming, problems %q; want 1, none", tt.over, len(c.Incoming), c.Problems)
			}
			s := c.Incoming[0]
			if tt.auth == nil {
				tt.auth = A(autoconfig.AuthPasswordCleartext)
			}
			if s.Hostname != tt.host || s.Port != tt.port || s.Security != tt.security || !reflect.DeepEqual(s.Auth, tt.auth) {
				t.Errorf("ReadMozilla(%v) = %s:%d %s %v, want %s:%d %s %v",
					tt.over, s.Hostname, s.Port, s.Security, s.Auth, tt.host, tt.port, tt.security, tt.auth)
			}
		})
	}
}

func TestReadMozillaSMTPAuth(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want autoconfig.Auth
	}{
		{"none", autoconfig.AuthNone},
		{"client-IP-address", autoconfig.AuthClientIP},
		{"smtp-after-pop", autoconfig.AuthSMTPAfterPOP},
		{"NTLM", autoconfig.AuthNTLM},
	} {
		doc := mozDoc(imapWith(nil), mozServer("outgoingServer", "smtp",
			"<hostname>smtp.example.com</hostname><port>25</port><socketType>STARTTLS</socketType><authentication>"+tt.val+"</authentication>"))
		c := readMoz(t, doc, fullVars)
		if len(c.Outgoing) != 1 || !reflect.DeepEqual(c.Outgoing[0].Auth, []autoconfig.Auth{tt.want}) {
			t.Errorf("ReadMozilla(smtp auth %q) = %+v, want Auth [%s]", tt.val, c.Outgoing, tt.want)
		}
	}
}

func TestReadMozillaServerTypes(t *testing.T) {
	doc := mozDoc(
		mozServer("outgoingServer", "imap", "<hostname>imap.example.com</hostname><port>993</port><socketType>SSL</socketType><authentication>plain</authentication>"),
		mozServer("incomingServer", "smtp", "<hostname>smtp.example.com</hostname><port>465</port><socketType>SSL</socketType><authentication>plain</authentication>"),
		`<incomingServer><hostname>x.example.com</hostname></incomingServer>`,
		mozServer("incomingServer", "i m a p", ""),
		mozServer("incomingServer", "POP3", "<hostname>pop.example.com</hostname><port>995</port><socketType>SSL</socketType><authentication>plain</authentication>"),
		mozServer("incomingServer", "ews", "<url>https://mail.example.com/EWS/Exchange.asmx</url><username>%EMAILADDRESS%</username><authentication>OAuth2</authentication><authentication>http-basic</authentication>"),
		mozServer("incomingServer", "jmap", "<url>https://jmap.example.com/.well-known/jmap?u=%EMAILADDRESS%</url>"),
		mozServer("incomingServer", "exchange", "<hostname>outlook.example.com</hostname><port>443</port><socketType>SSL</socketType><owaURL>https://x/</owaURL>"),
		mozServer("incomingServer", "activesync", "<url>ftp://mail.example.com/</url><port>0</port><hostname>a b</hostname><socketType>TLS</socketType>"),
		smtpOK,
	)
	c := readMoz(t, doc, autoconfig.Vars{})
	var got []string
	for _, s := range c.Incoming {
		got = append(got, string(s.Protocol))
	}
	want := []string{"pop3", "ews", "jmap", "exchange", "activesync"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ReadMozilla(types) incoming = %q, want %q", got, want)
	}
	if len(c.Outgoing) != 1 {
		t.Errorf("ReadMozilla(types) outgoing = %+v, want only smtp.example.com", c.Outgoing)
	}
	ews := c.Incoming[1]
	wantEWS := autoconfig.Server{Protocol: "ews", URL: "https://mail.example.com/EWS/Exchange.asmx",
		Username: "%EMAILADDRESS%", Auth: []autoconfig.Auth{autoconfig.AuthOAuth2, "http-basic"}}
	if !reflect.DeepEqual(ews, wantEWS) {
		t.Errorf("ReadMozilla(ews) = %+v, want %+v", ews, wantEWS)
	}
	if u := c.Incoming[2].URL; u != "https://jmap.example.com/.well-known/jmap?u=%EMAILADDRESS%" {
		t.Errorf("ReadMozilla(jmap).URL = %q, want the URL with its placeholder", u)
	}
	ex := c.Incoming[3]
	if ex.Hostname != "outlook.example.com" || ex.Port != 443 || ex.Security != autoconfig.TLS {
		t.Errorf("ReadMozilla(exchange) = %+v, want outlook.example.com:443 tls", ex)
	}
	if as := c.Incoming[4]; as.URL != "" || as.Port != 0 || as.Hostname != "" || as.Security != "" {
		t.Errorf("ReadMozilla(activesync with bad values) = %+v, want them dropped", as)
	}
	wantProblems := []string{
		`outgoingServer type "imap" at line 8 rejected: an outgoingServer must be of type smtp`,
		`incomingServer type "smtp" at line 9 rejected: an incomingServer cannot be of type smtp`,
		`incomingServer type "" at line 10 rejected: no type attribute`,
		`incomingServer type "i m a p" at line 11 rejected: type is not a protocol name`,
		`incomingServer type "activesync" at line 16: ignored`, // four dropped values
	}
	if len(c.Problems) != 8 {
		t.Errorf("ReadMozilla(types).Problems = %q, want 8", c.Problems)
	} else {
		for i, w := range wantProblems {
			if !strings.HasPrefix(c.Problems[i], w) {
				t.Errorf("ReadMozilla(types).Problems[%d] = %q, want prefix %q", i, c.Problems[i], w)
			}
		}
	}
}

func TestReadMozillaProvider(t *testing.T) {
	doc := `<clientConfig version="1.1" xmlns:x="urn:x" x:extra="1">
  <x:ignored><emailProvider id="nope"/></x:ignored>
  <emailProvider id=" example.com " unknown="attr">
    <domain purpose="mx">MX.Example.COM</domain>
    <domain>bücher.example</domain>
    <domain>bad domain</domain>
    <domain></domain>
    <domain>%EMAILDOMAIN%</domain>
    <displayName>
      Example Mail
    </displayName>
    <future><incomingServer type="imap"><hostname>hidden.example.com</hostname></incomingServer></future>
    <documentation url="https://example.com/help"><descr lang="en">Help</descr></documentation>
    <incomingServer type="imap" future="yes">
      <hostname future="1">imap.example.com</hostname>
      <extension><deep><deeper><deepest>x</deepest></deeper></deep></extension>
      <port>993</port><socketType>SSL</socketType><authentication>plain</authentication>
      <pop3><leaveMessagesOnServer>true</leaveMessagesOnServer></pop3>
    </incomingServer>
  </emailProvider>
  <emailProvider id="second"/>
  <oAuth2><issuer>x</issuer></oAuth2>
  <calendar type="caldav"><url>https://example.com/dav</url></calendar>
</clientConfig>`
	c := readMoz(t, doc, autoconfig.Vars{})
	if c.ID != "example.com" || c.DisplayName != "Example Mail" || c.ShortName != "" {
		t.Errorf("ReadMozilla(provider) = id %q, name %q, short %q; want example.com, Example Mail, empty", c.ID, c.DisplayName, c.ShortName)
	}
	if want := []string{"mx.example.com", "xn--bcher-kva.example"}; !reflect.DeepEqual(c.Domains, want) {
		t.Errorf("ReadMozilla(provider).Domains = %q, want %q", c.Domains, want)
	}
	if len(c.Incoming) != 1 || c.Incoming[0].Hostname != "imap.example.com" {
		t.Errorf("ReadMozilla(provider).Incoming = %+v, want imap.example.com only", c.Incoming)
	}
	if len(c.Problems) != 4 || !strings.Contains(c.Problems[0], "2 emailProvider elements") ||
		!strings.Contains(c.Problems[1], "domain at line 6 ignored") {
		t.Errorf("ReadMozilla(provider).Problems = %q, want 4: extra provider and 3 domains", c.Problems)
	}
}

func TestReadMozillaCharset(t *testing.T) {
	body := func(decl, name string) string {
		return `<?xml version="1.0" encoding="` + decl + `"?>` + strings.Replace(mozDoc(imapWith(nil)),
			`<?xml version="1.0" encoding="UTF-8"?>`, "", 1)[1:]
	}
	tests := []struct {
		name    string
		doc     string
		display string
		err     error
	}{
		{"utf-8", body("utf-8", ""), "Example Mail", nil},
		{"us-ascii", body("US-ASCII", ""), "Example Mail", nil},
		{"iso-8859-1", strings.Replace(body("ISO-8859-1", ""), "Example Mail", "Caf\xe9 Mail", 1), "Café Mail", nil},
		{"latin1", strings.Replace(body("latin1", ""), "Example Mail", "\xc4rger", 1), "Ärger", nil},
		{"utf-8 with BOM", "\uFEFF" + body("UTF-8", ""), "Example Mail", nil},
		{"no declaration", strings.Replace(mozDoc(imapWith(nil)), `<?xml version="1.0" encoding="UTF-8"?>`, "", 1), "Example Mail", nil},
		{"utf-8 text", strings.Replace(mozDoc(imapWith(nil)), "Example Mail", "Bücher ✉", 1), "Bücher ✉", nil},
		{"windows-1252", body("windows-1252", ""), "", autoconfig.ErrCharset},
		{"utf-16", body("UTF-16", ""), "", autoconfig.ErrCharset},
		{"us-ascii with 8-bit byte", strings.Replace(body("us-ascii", ""), "Example Mail", "Caf\xe9", 1), "", autoconfig.ErrCharset},
		{"invalid utf-8", strings.Replace(mozDoc(imapWith(nil)), "Example Mail", "Caf\xe9", 1), "", autoconfig.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := autoconfig.ReadMozilla(strings.NewReader(tt.doc), autoconfig.Vars{})
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("ReadMozilla(%s) error = %v, want %v", tt.name, err, tt.err)
				}
				return
			}
			if err != nil || c.DisplayName != tt.display {
				t.Errorf("ReadMozilla(%s) = %v, %v; want display name %q", tt.name, c, err, tt.display)
			}
		})
	}
}

func TestReadMozillaErrors(t *testing.T) {
	valid := mozDoc(imapWith(nil), smtpOK)
	pad := func(n int) string { // a valid document of exactly n bytes
		return valid + "<!--" + strings.Repeat("x", n-len(valid)-7) + "-->"
	}
	tests := []struct {
		name string
		doc  string
		want error
	}{
		{"exactly 1 MiB", pad(autoconfig.MaxXMLSize), nil},
		{"1 MiB + 1", pad(autoconfig.MaxXMLSize + 1), autoconfig.ErrTooLarge},
		{"huge", strings.Repeat(" ", 5<<20), autoconfig.ErrTooLarge},
		{"billion laughs", `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<clientConfig><emailProvider id="&lol3;"/></clientConfig>`, autoconfig.ErrDTD},
		{"external entity", `<?xml version="1.0"?><!DOCTYPE c [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><clientConfig>&xxe;</clientConfig>`, autoconfig.ErrDTD},
		{"DOCTYPE alone", `<!DOCTYPE clientConfig>` + valid[strings.Index(valid, "<clientConfig"):], autoconfig.ErrDTD},
		{"directive inside", strings.Replace(valid, "<domain>", "<!ENTITY x 'y'><domain>", 1), autoconfig.ErrDTD},
		{"undeclared entity", strings.Replace(valid, "Example Mail", "&nbsp;", 1), autoconfig.ErrMalformed},
		{"predefined entities are fine", strings.Replace(valid, "Example Mail", "A &amp; B &#x263A;", 1), nil},
		{"truncated", valid[:len(valid)/2], autoconfig.ErrMalformed},
		{"empty", "", autoconfig.ErrMalformed},
		{"not XML", "hello", autoconfig.ErrMalformed},
		{"HTML", "<html><body>404</body></html>", autoconfig.ErrNoEmailProvider},
		{"mismatched tags", strings.Replace(valid, "</displayName>", "</displayname>", 1), autoconfig.ErrMalformed},
		{"second root", valid + "<clientConfig/>", autoconfig.ErrMalformed},
		{"text after root", valid + "junk", autoconfig.ErrMalformed},
		{"no emailProvider", `<clientConfig version="1.1"><oAuth2/></clientConfig>`, autoconfig.ErrNoEmailProvider},
		{"no servers", mozDoc(), autoconfig.ErrNoServers},
		{"only invalid servers", mozDoc(imapWith(map[string]string{"port": "0"})), autoconfig.ErrNoServers},
		{"only other types", mozDoc(mozServer("incomingServer", "ews", "<url>https://x.example/</url>")), autoconfig.ErrNoServers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := autoconfig.ReadMozilla(strings.NewReader(tt.doc), autoconfig.Vars{})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ReadMozilla(%s) error = %v, want nil", tt.name, err)
				}
				checkInvariants(t, c)
				return
			}
			if !errors.Is(err, tt.want) || c != nil {
				t.Errorf("ReadMozilla(%s) = %v, %v; want nil, %v", tt.name, c, err, tt.want)
			}
		})
	}
}

func TestReadMozillaErrorDetail(t *testing.T) {
	_, err := autoconfig.ReadMozilla(strings.NewReader(mozDoc(imapWith(map[string]string{"port": "70000"}))), autoconfig.Vars{})
	if !errors.Is(err, autoconfig.ErrNoServers) || !strings.Contains(err.Error(), "port 70000 out of range") ||
		!strings.Contains(err.Error(), `emailProvider "example.com"`) {
		t.Errorf("ReadMozilla(port 70000 only) error = %v, want ErrNoServers naming the provider and the port", err)
	}
	_, err = autoconfig.ReadMozilla(strings.NewReader("<clientConfig>\n<emailProvider>\n</clientConfig>"), autoconfig.Vars{})
	var se *xml.SyntaxError
	if !errors.As(err, &se) || se.Line != 3 {
		t.Errorf("ReadMozilla(mismatched) error = %v, want an *xml.SyntaxError on line 3", err)
	}
}

// errReader fails after its data.
type errReader struct{ data []byte }

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, errors.New("connection reset")
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReadMozillaReadError(t *testing.T) {
	_, err := autoconfig.ReadMozilla(&errReader{data: []byte(mozDoc(imapWith(nil)))}, autoconfig.Vars{})
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("ReadMozilla(failing reader) error = %v, want the read error", err)
	}
}

func TestReadMozillaDeep(t *testing.T) {
	// Deeply nested unknown elements are walked without recursion or growth.
	deep := strings.Repeat("<x>", 100000) + strings.Repeat("</x>", 100000)
	doc := mozDoc(imapWith(map[string]string{"username": "<username>u</username>" + deep}))
	c := readMoz(t, doc, autoconfig.Vars{})
	if len(c.Incoming) != 1 {
		t.Errorf("ReadMozilla(deep) = %+v, want one server", c.Incoming)
	}
	var b bytes.Buffer
	b.WriteString("<clientConfig><emailProvider>")
	for b.Len() < autoconfig.MaxXMLSize-100 {
		b.WriteString("<domain>a.example</domain>")
	}
	b.WriteString("</emailProvider></clientConfig>")
	if _, err := autoconfig.ReadMozilla(&b, autoconfig.Vars{}); !errors.Is(err, autoconfig.ErrNoServers) {
		t.Errorf("ReadMozilla(many domains) error = %v, want ErrNoServers", err)
	}
}
