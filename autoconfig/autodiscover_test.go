package autoconfig_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// adDoc wraps the children of Account in an Autodiscover POX response.
func adDoc(account string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <User><DisplayName>Fred</DisplayName></User>
    <Account>
      <AccountType>email</AccountType>
` + account + `
    </Account>
  </Response>
</Autodiscover>`
}

// adProto builds a Protocol element from name/value pairs.
func adProto(kv ...string) string {
	var b strings.Builder
	b.WriteString("<Protocol>")
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString("<" + kv[i] + ">" + kv[i+1] + "</" + kv[i] + ">")
	}
	b.WriteString("</Protocol>")
	return b.String()
}

func TestReadAutodiscoverSettings(t *testing.T) {
	doc := adDoc(`<Action>settings</Action>` +
		adProto("Type", "EXCH", "Server", "exch.example.com", "ASUrl", "https://exch.example.com/EWS/Exchange.asmx") +
		adProto("Type", "IMAP", "Server", "imap.example.com", "Port", "993", "LoginName", "fred@example.com", "SSL", "on", "SPA", "off") +
		adProto("Type", "IMAP", "Server", "IMAP.Example.com", "Port", "143", "SSL", "on", "Encryption", "TLS") +
		adProto("Type", "POP3", "Server", "pop.example.com", "Port", "110", "SSL", "off", "SPA", "on") +
		adProto("Type", "SMTP", "Server", "smtp.example.com", "Port", "587", "SSL", "on", "Encryption", "TLS", "AuthRequired", "on", "UsePOPAuth", "on") +
		adProto("Type", "SMTP", "Server", "smtp.example.com", "Port", "465", "SSL", "on") +
		adProto("Type", "WEB") +
		adProto("Type", "EXPR", "Server", "proxy.example.com"))
	res, err := autoconfig.ReadAutodiscover(strings.NewReader(doc), fullVars)
	if err != nil {
		t.Fatalf("ReadAutodiscover(settings) error = %v, want nil", err)
	}
	if res.RedirectAddr != "" || res.RedirectURL != "" || res.Config == nil {
		t.Fatalf("ReadAutodiscover(settings) = %+v, want settings only", res)
	}
	checkInvariants(t, res.Config)
	cleartext := []autoconfig.Auth{autoconfig.AuthPasswordCleartext}
	want := &autoconfig.Config{
		Incoming: []autoconfig.Server{
			{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 993, Security: autoconfig.TLS, Auth: cleartext, Username: "fred@example.com"},
			{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 143, Security: autoconfig.STARTTLS, Auth: cleartext},
			{Protocol: autoconfig.POP3, Hostname: "pop.example.com", Port: 110, Security: autoconfig.Plain, Auth: []autoconfig.Auth{autoconfig.AuthPasswordEncrypted}},
		},
		Outgoing: []autoconfig.Server{
			{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 587, Security: autoconfig.STARTTLS, Auth: cleartext},
			{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 465, Security: autoconfig.TLS, Auth: cleartext},
		},
	}
	if !reflect.DeepEqual(res.Config, want) {
		t.Errorf("ReadAutodiscover(settings) =\n%+v\nwant\n%+v", res.Config, want)
	}
}

func TestReadAutodiscoverSecurity(t *testing.T) {
	tests := []struct {
		name string
		kv   []string // after Type IMAP and Server
		want autoconfig.Security
	}{
		{"SSL on 993", []string{"Port", "993", "SSL", "on"}, autoconfig.TLS},
		{"SSL On 143 guesses STARTTLS", []string{"Port", "143", "SSL", "On"}, autoconfig.STARTTLS},
		{"SSL default on, 993", []string{"Port", "993"}, autoconfig.TLS},
		{"SSL default on, 143", []string{"Port", "143"}, autoconfig.STARTTLS},
		{"SSL on, other port is TLS", []string{"Port", "10993", "SSL", "on"}, autoconfig.TLS},
		{"SSL off", []string{"Port", "143", "SSL", "off"}, autoconfig.Plain},
		{"SSL OFF on 993", []string{"Port", "993", "SSL", "OFF"}, autoconfig.Plain},
		{"Encryption TLS is STARTTLS", []string{"Port", "143", "SSL", "on", "Encryption", "TLS"}, autoconfig.STARTTLS},
		{"Encryption SSL is implicit", []string{"Port", "143", "SSL", "on", "Encryption", "SSL"}, autoconfig.TLS},
		{"Encryption None", []string{"Port", "993", "SSL", "on", "Encryption", "None"}, autoconfig.Plain},
		{"Encryption wins over SSL off", []string{"Port", "993", "SSL", "off", "Encryption", "SSL"}, autoconfig.TLS},
		{"Encryption tls lower case", []string{"Port", "143", "Encryption", "tls"}, autoconfig.STARTTLS},
		{"Encryption Auto 993", []string{"Port", "993", "Encryption", "Auto"}, autoconfig.TLS},
		{"Encryption Auto 143", []string{"Port", "143", "Encryption", "Auto"}, autoconfig.STARTTLS},
		{"Encryption Auto 10993", []string{"Port", "10993", "Encryption", "Auto"}, autoconfig.STARTTLS},
		{"empty Encryption falls back to SSL", []string{"Port", "143", "SSL", "off", "Encryption", ""}, autoconfig.Plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := adDoc(adProto(append([]string{"Type", "IMAP", "Server", "imap.example.com"}, tt.kv...)...))
			res, err := autoconfig.ReadAutodiscover(strings.NewReader(doc), autoconfig.Vars{})
			if err != nil {
				t.Fatalf("ReadAutodiscover(%v) error = %v, want nil", tt.kv, err)
			}
			if got := res.Config.Incoming[0].Security; got != tt.want {
				t.Errorf("ReadAutodiscover(%v) security = %s, want %s", tt.kv, got, tt.want)
			}
		})
	}
}

func TestReadAutodiscoverSMTPAuth(t *testing.T) {
	tests := []struct {
		kv   []string
		want autoconfig.Auth
	}{
		{[]string{"SPA", "off"}, autoconfig.AuthPasswordCleartext},
		{[]string{"SPA", "on"}, autoconfig.AuthPasswordEncrypted},
		{[]string{"AuthRequired", "on"}, autoconfig.AuthPasswordCleartext},
		{[]string{"AuthRequired", "off"}, autoconfig.AuthNone},
		{[]string{"AuthRequired", "off", "SMTPLast", "on"}, autoconfig.AuthSMTPAfterPOP},
		{[]string{"UsePOPAuth", "on"}, autoconfig.AuthPasswordCleartext},
	}
	for _, tt := range tests {
		doc := adDoc(adProto(append([]string{"Type", "SMTP", "Server", "smtp.example.com", "Port", "587"}, tt.kv...)...))
		res, err := autoconfig.ReadAutodiscover(strings.NewReader(doc), autoconfig.Vars{})
		if err != nil {
			t.Fatalf("ReadAutodiscover(%v) error = %v, want nil", tt.kv, err)
		}
		if got := res.Config.Outgoing[0].Auth; !reflect.DeepEqual(got, []autoconfig.Auth{tt.want}) {
			t.Errorf("ReadAutodiscover(%v) auth = %v, want [%s]", tt.kv, got, tt.want)
		}
	}
}

func TestReadAutodiscoverRejects(t *testing.T) {
	tests := []struct {
		name   string
		kv     []string
		reason string
	}{
		{"no server", []string{"Port", "993"}, "no Server"},
		{"bad server", []string{"Server", "imap example.com", "Port", "993"}, "not allowed"},
		{"no port", []string{"Server", "imap.example.com"}, "no Port"},
		{"port 0", []string{"Server", "imap.example.com", "Port", "0"}, "out of range"},
		{"port 70000", []string{"Server", "imap.example.com", "Port", "70000"}, "out of range"},
		{"port abc", []string{"Server", "imap.example.com", "Port", "abc"}, "not a number"},
		{"SSL maybe", []string{"Server", "imap.example.com", "Port", "993", "SSL", "maybe"}, `SSL "maybe" is neither on nor off`},
		{"Encryption STARTTLS", []string{"Server", "imap.example.com", "Port", "993", "Encryption", "STARTTLS"}, `Encryption "STARTTLS" is not None, SSL, TLS or Auto`},
		{"SPA yes", []string{"Server", "imap.example.com", "Port", "993", "SPA", "yes"}, "SPA"},
		{"LF in LoginName", []string{"Server", "imap.example.com", "Port", "993", "LoginName", "fred&#10;x"}, "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := adDoc(adProto(append([]string{"Type", "IMAP"}, tt.kv...)...) +
				adProto("Type", "SMTP", "Server", "smtp.example.com", "Port", "465"))
			res, err := autoconfig.ReadAutodiscover(strings.NewReader(doc), autoconfig.Vars{})
			if err != nil {
				t.Fatalf("ReadAutodiscover(%v) error = %v, want nil", tt.kv, err)
			}
			c := res.Config
			if len(c.Incoming) != 0 || len(c.Outgoing) != 1 || len(c.Problems) != 1 ||
				!strings.Contains(c.Problems[0], "Protocol imap at line 7 rejected: ") || !strings.Contains(c.Problems[0], tt.reason) {
				t.Errorf("ReadAutodiscover(%v) = %+v, want the IMAP server rejected for %q", tt.kv, c, tt.reason)
			}
		})
	}
}

func TestReadAutodiscoverRedirects(t *testing.T) {
	tests := []struct {
		name    string
		account string
		addr    string
		url     string
		err     error
	}{
		{"redirectAddr", `<Action>redirectAddr</Action><RedirectAddr>fred@Other.Example</RedirectAddr>`, "fred@other.example", "", nil},
		{"redirectAddr IDN", `<Action>redirectAddr</Action><RedirectAddr>fred@bücher.example</RedirectAddr>`, "fred@xn--bcher-kva.example", "", nil},
		{"RedirectAddr without Action", `<RedirectAddr>fred@other.example</RedirectAddr>`, "fred@other.example", "", nil},
		{"redirectUrl", `<Action>redirectUrl</Action><RedirectUrl>https://autodiscover.other.example/autodiscover/autodiscover.xml</RedirectUrl>`,
			"", "https://autodiscover.other.example/autodiscover/autodiscover.xml", nil},
		{"RedirectUrl without Action", `<RedirectUrl> https://x.example/a.xml </RedirectUrl>`, "", "https://x.example/a.xml", nil},
		{"redirectUrl http", `<Action>redirectUrl</Action><RedirectUrl>http://autodiscover.other.example/autodiscover/autodiscover.xml</RedirectUrl>`,
			"", "", autoconfig.ErrBadRedirect},
		{"redirectUrl with user", `<Action>redirectUrl</Action><RedirectUrl>https://u:p@x.example/</RedirectUrl>`, "", "", autoconfig.ErrBadRedirect},
		{"redirectUrl bad host", `<Action>redirectUrl</Action><RedirectUrl>https://x_y.example/</RedirectUrl>`, "", "", autoconfig.ErrBadRedirect},
		{"redirectUrl javascript", `<Action>redirectUrl</Action><RedirectUrl>javascript:alert(1)</RedirectUrl>`, "", "", autoconfig.ErrBadRedirect},
		{"redirectUrl missing", `<Action>redirectUrl</Action>`, "", "", autoconfig.ErrBadRedirect},
		{"redirectAddr missing", `<Action>redirectAddr</Action>`, "", "", autoconfig.ErrBadRedirect},
		{"redirectAddr no @", `<Action>redirectAddr</Action><RedirectAddr>fred</RedirectAddr>`, "", "", autoconfig.ErrBadRedirect},
		{"redirectAddr two @", `<Action>redirectAddr</Action><RedirectAddr>a@b@c.example</RedirectAddr>`, "", "", autoconfig.ErrBadRedirect},
		{"redirectAddr bad domain", `<Action>redirectAddr</Action><RedirectAddr>fred@exa mple.com</RedirectAddr>`, "", "", autoconfig.ErrBadRedirect},
		{"settings ignores RedirectAddr", `<Action>settings</Action><RedirectAddr>fred@other.example</RedirectAddr>`, "", "", autoconfig.ErrNoServers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := autoconfig.ReadAutodiscover(strings.NewReader(adDoc(tt.account)), autoconfig.Vars{})
			if tt.err != nil {
				if !errors.Is(err, tt.err) || res != nil {
					t.Errorf("ReadAutodiscover(%s) = %+v, %v; want nil, %v", tt.name, res, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadAutodiscover(%s) error = %v, want nil", tt.name, err)
			}
			want := &autoconfig.AutodiscoverResult{RedirectAddr: tt.addr, RedirectURL: tt.url}
			if !reflect.DeepEqual(res, want) {
				t.Errorf("ReadAutodiscover(%s) = %+v, want %+v", tt.name, res, want)
			}
		})
	}
}

func TestReadAutodiscoverErrors(t *testing.T) {
	errorResponse := `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response>
    <Error Time="16:42:47.5000000" Id="2477272013">
      <ErrorCode>600</ErrorCode>
      <Message>Invalid Request</Message>
      <DebugData />
    </Error>
  </Response>
</Autodiscover>`
	tests := []struct {
		name string
		doc  string
		want error
		text string
	}{
		{"error response", errorResponse, autoconfig.ErrAutodiscoverError, `code "600": "Invalid Request"`},
		{"billion laughs", `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><Autodiscover>&b;</Autodiscover>`, autoconfig.ErrDTD, ""},
		{"too large", adDoc(strings.Repeat(" ", autoconfig.MaxXMLSize)), autoconfig.ErrTooLarge, ""},
		{"truncated", adDoc("")[:200], autoconfig.ErrMalformed, ""},
		{"wrong root", `<clientConfig/>`, autoconfig.ErrNotAutodiscover, "<clientConfig>"},
		{"no Response", `<Autodiscover/>`, autoconfig.ErrNotAutodiscover, ""},
		{"no Account", `<Autodiscover><Response/></Autodiscover>`, autoconfig.ErrNoServers, ""},
		{"no Protocol", adDoc(`<Action>settings</Action>`), autoconfig.ErrNoServers, ""},
		{"only Exchange", adDoc(adProto("Type", "EXCH", "Server", "x.example.com")), autoconfig.ErrNoServers, ""},
		{"only invalid", adDoc(adProto("Type", "IMAP", "Server", "x.example.com", "Port", "0")), autoconfig.ErrNoServers, "port 0 out of range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := autoconfig.ReadAutodiscover(strings.NewReader(tt.doc), autoconfig.Vars{})
			if !errors.Is(err, tt.want) || res != nil || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("ReadAutodiscover(%s) = %+v, %v; want nil, %v with %q", tt.name, res, err, tt.want, tt.text)
			}
		})
	}
}

func TestReadAutodiscoverUnknownAction(t *testing.T) {
	doc := adDoc(`<Action>frobnicate</Action>` + adProto("Type", "IMAP", "Server", "imap.example.com", "Port", "993", "LoginName", "%EMAILLOCALPART%"))
	res, err := autoconfig.ReadAutodiscover(strings.NewReader(doc), fullVars)
	if err != nil {
		t.Fatalf("ReadAutodiscover(unknown action) error = %v, want nil", err)
	}
	c := res.Config
	if len(c.Incoming) != 1 || c.Incoming[0].Username != "fred" || len(c.Problems) != 1 || !strings.Contains(c.Problems[0], `"frobnicate"`) {
		t.Errorf("ReadAutodiscover(unknown action) = %+v, want the server and a problem naming the action", c)
	}
}
