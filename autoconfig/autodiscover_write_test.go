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

func writeAD(t *testing.T, cfg *autoconfig.Config) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := autoconfig.WriteAutodiscover(&b, cfg); err != nil {
		t.Fatalf("WriteAutodiscover() error = %v, want nil", err)
	}
	return b.Bytes()
}

// adProtocol is a Protocol element as Outlook and Thunderbird see it.
type adProtocol struct {
	Type, Server, Port, DomainRequired, LoginName, SPA, SSL, Encryption string
	AuthRequired, UsePOPAuth, SMTPLast                                  string
}

// adResponse decodes a POX response with its namespaces checked.
type adResponse struct {
	XMLName  xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006 Autodiscover"`
	Response struct {
		XMLName xml.Name `xml:"http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a Response"`
		Account struct {
			AccountType string
			Action      string
			Protocol    []adProtocol
		}
	}
}

func decodeAD(t *testing.T, data []byte) adResponse {
	t.Helper()
	var r adResponse
	if err := xml.Unmarshal(data, &r); err != nil {
		t.Fatalf("xml.Unmarshal(WriteAutodiscover()) error = %v\n%s", err, data)
	}
	return r
}

func TestWriteAutodiscoverGolden(t *testing.T) {
	cfg := exportConfig()
	cfg.Incoming = append(cfg.Incoming, autoconfig.Server{Protocol: "ews", URL: "https://mail.example.com/ews"})
	cfg.Outgoing = append(cfg.Outgoing, autoconfig.Server{Protocol: autoconfig.SMTP, Hostname: "relay.example.com",
		Port: 25, Security: autoconfig.Plain, Auth: []autoconfig.Auth{autoconfig.AuthSMTPAfterPOP}})
	data := writeAD(t, cfg)
	writerGolden(t, "autodiscover_write/example.com.xml", data)

	r := decodeAD(t, data)
	if r.Response.Account.AccountType != "email" || r.Response.Account.Action != "settings" {
		t.Errorf("AccountType, Action = %q, %q; want email, settings", r.Response.Account.AccountType, r.Response.Account.Action)
	}
	want := []adProtocol{
		{Type: "IMAP", Server: "imap.example.com", Port: "993", DomainRequired: "off", LoginName: "%EMAILADDRESS%", SPA: "off", SSL: "on", Encryption: "SSL"},
		{Type: "IMAP", Server: "imap.example.com", Port: "143", DomainRequired: "off", LoginName: "%EMAILADDRESS%", SPA: "off", SSL: "on", Encryption: "TLS"},
		{Type: "POP3", Server: "pop.%EMAILDOMAIN%", Port: "995", DomainRequired: "off", LoginName: "%EMAILLOCALPART%", SPA: "on", SSL: "on", Encryption: "SSL"},
		{Type: "SMTP", Server: "smtp.example.com", Port: "465", DomainRequired: "off", LoginName: "%EMAILADDRESS%", SPA: "off", SSL: "on", Encryption: "SSL", AuthRequired: "on", UsePOPAuth: "off"},
		{Type: "SMTP", Server: "smtp.example.com", Port: "587", DomainRequired: "off", LoginName: "%EMAILADDRESS%", SPA: "off", SSL: "on", Encryption: "TLS", AuthRequired: "on", UsePOPAuth: "off"},
		{Type: "SMTP", Server: "relay.example.com", Port: "25", DomainRequired: "off", SPA: "off", SSL: "off", Encryption: "None", AuthRequired: "off", UsePOPAuth: "off", SMTPLast: "on"},
	}
	if got := r.Response.Account.Protocol; !reflect.DeepEqual(got, want) {
		t.Errorf("WriteAutodiscover() Protocols =\n%+v\nwant\n%+v", got, want)
	}
}

// TestWriteAutodiscoverRoundTrip reads what WriteAutodiscover wrote with
// ReadAutodiscover: the same mail servers, security and user names, and the
// authentication POX can say.
func TestWriteAutodiscoverRoundTrip(t *testing.T) {
	srv := func(p autoconfig.Protocol, host string, port int, sec autoconfig.Security, user string, auth ...autoconfig.Auth) autoconfig.Server {
		return autoconfig.Server{Protocol: p, Hostname: host, Port: port, Security: sec, Auth: auth, Username: user}
	}
	cleartext, encrypted := autoconfig.AuthPasswordCleartext, autoconfig.AuthPasswordEncrypted
	tests := []struct {
		name    string
		in      []autoconfig.Server
		out     []autoconfig.Server
		wantIn  []autoconfig.Server // nil: as in
		wantOut []autoconfig.Server // nil: as out
	}{
		{name: "implicit TLS, STARTTLS and plain on their ports",
			in: []autoconfig.Server{
				srv(autoconfig.IMAP, "imap.example.com", 993, autoconfig.TLS, "fred@example.com", cleartext),
				srv(autoconfig.IMAP, "imap.example.com", 143, autoconfig.STARTTLS, "fred@example.com", cleartext),
				srv(autoconfig.POP3, "pop.example.com", 110, autoconfig.Plain, "fred", encrypted),
			},
			out: []autoconfig.Server{
				srv(autoconfig.SMTP, "smtp.example.com", 587, autoconfig.STARTTLS, "fred@example.com", cleartext),
				srv(autoconfig.SMTP, "smtp.example.com", 25, autoconfig.Plain, "", autoconfig.AuthNone),
			}},
		{name: "security on unusual ports",
			in: []autoconfig.Server{
				srv(autoconfig.IMAP, "imap.example.com", 143, autoconfig.TLS, "fred", cleartext),
				srv(autoconfig.POP3, "pop.example.com", 1995, autoconfig.STARTTLS, "fred", cleartext),
			},
			out: []autoconfig.Server{
				srv(autoconfig.SMTP, "smtp.example.com", 2525, autoconfig.STARTTLS, "fred", cleartext),
			}},
		{name: "authentication reduced to what POX says",
			in: []autoconfig.Server{
				srv(autoconfig.IMAP, "imap.example.com", 993, autoconfig.TLS, "", autoconfig.AuthOAuth2, autoconfig.AuthNTLM),
				srv(autoconfig.POP3, "pop.example.com", 995, autoconfig.TLS, "", autoconfig.AuthGSSAPI, cleartext),
			},
			out: []autoconfig.Server{
				srv(autoconfig.SMTP, "smtp.example.com", 465, autoconfig.TLS, "", autoconfig.AuthOAuth2, cleartext),
				srv(autoconfig.SMTP, "smtp.example.com", 25, autoconfig.STARTTLS, "", autoconfig.AuthClientIP),
				srv(autoconfig.SMTP, "smtp.example.com", 26, autoconfig.STARTTLS, "", autoconfig.AuthSMTPAfterPOP),
			},
			wantIn: []autoconfig.Server{
				srv(autoconfig.IMAP, "imap.example.com", 993, autoconfig.TLS, "", encrypted),
				srv(autoconfig.POP3, "pop.example.com", 995, autoconfig.TLS, "", encrypted),
			},
			wantOut: []autoconfig.Server{
				srv(autoconfig.SMTP, "smtp.example.com", 465, autoconfig.TLS, "", cleartext),
				srv(autoconfig.SMTP, "smtp.example.com", 25, autoconfig.STARTTLS, "", autoconfig.AuthNone),
				srv(autoconfig.SMTP, "smtp.example.com", 26, autoconfig.STARTTLS, "", autoconfig.AuthSMTPAfterPOP),
			}},
		{name: "other types left out, unchecked",
			in: []autoconfig.Server{
				{Protocol: "ews", URL: "javascript:alert(1)", Port: 99999, Auth: []autoconfig.Auth{autoconfig.AuthOAuth2}},
				srv(autoconfig.IMAP, "imap.example.com", 993, autoconfig.TLS, "a&b<c>", cleartext),
			},
			wantIn: []autoconfig.Server{
				srv(autoconfig.IMAP, "imap.example.com", 993, autoconfig.TLS, "a&b<c>", cleartext),
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantIn, wantOut := tt.wantIn, tt.wantOut
			if wantIn == nil {
				wantIn = tt.in
			}
			if wantOut == nil {
				wantOut = tt.out
			}
			data := writeAD(t, &autoconfig.Config{Incoming: tt.in, Outgoing: tt.out})
			res, err := autoconfig.ReadAutodiscover(bytes.NewReader(data), autoconfig.Vars{})
			if err != nil {
				t.Fatalf("ReadAutodiscover(WriteAutodiscover()) error = %v\n%s", err, data)
			}
			c := res.Config
			if len(c.Problems) != 0 {
				t.Errorf("ReadAutodiscover(WriteAutodiscover()).Problems = %q, want none", c.Problems)
			}
			if !reflect.DeepEqual(c.Incoming, wantIn) || !reflect.DeepEqual(c.Outgoing, wantOut) {
				t.Errorf("ReadAutodiscover(WriteAutodiscover()) =\n%+v\n%+v\nwant\n%+v\n%+v\n%s", c.Incoming, c.Outgoing, wantIn, wantOut, data)
			}
		})
	}
}

// TestWriteAutodiscoverThunderbird reads the output as Thunderbird's
// ExchangeAutoDiscover.sys.mjs does (SSL off or Encryption None is plain;
// otherwise STARTTLS on 143, 110, 25 and 587 and implicit TLS elsewhere)
// and finds the written security for the servers on standard ports.
func TestWriteAutodiscoverThunderbird(t *testing.T) {
	data := writeAD(t, exportConfig())
	for _, p := range decodeAD(t, data).Response.Account.Protocol {
		var got autoconfig.Security
		switch {
		case strings.EqualFold(p.SSL, "off") || strings.EqualFold(p.Encryption, "none"):
			got = autoconfig.Plain
		case p.Port == "143" || p.Port == "110" || p.Port == "25" || p.Port == "587":
			got = autoconfig.STARTTLS
		default:
			got = autoconfig.TLS
		}
		want := map[string]autoconfig.Security{"TLS": autoconfig.STARTTLS, "SSL": autoconfig.TLS, "None": autoconfig.Plain}[p.Encryption]
		if got != want {
			t.Errorf("Thunderbird reads %s %s:%s (SSL %s, Encryption %s) as %s, want %s", p.Type, p.Server, p.Port, p.SSL, p.Encryption, got, want)
		}
		if p.LoginName == "" {
			t.Errorf("%s %s: empty LoginName, which Thunderbird refuses", p.Type, p.Server)
		}
	}
}

func TestWriteAutodiscoverErrors(t *testing.T) {
	oauth := exportConfig()
	oauth.Incoming[1].Auth = []autoconfig.Auth{autoconfig.AuthOAuth2}
	certSMTP := exportConfig()
	certSMTP.Outgoing[0].Auth = []autoconfig.Auth{autoconfig.AuthTLSClientCert}
	noneIMAP := exportConfig()
	noneIMAP.Incoming[0].Auth = []autoconfig.Auth{autoconfig.AuthNone}
	badSec := exportConfig()
	badSec.Outgoing[1].Security = "auto"
	ewsOnly := &autoconfig.Config{Incoming: []autoconfig.Server{{Protocol: "ews", URL: "https://mail.example.com/ews"}}}
	tests := []struct {
		name string
		cfg  *autoconfig.Config
		want error
		text string
	}{
		{"nil config", nil, autoconfig.ErrExportInvalid, "nil Config"},
		{"OAuth2 only", oauth, autoconfig.ErrExportUnsupported, "Incoming[1] (imap): Autodiscover cannot express authentication [OAuth2]"},
		{"client certificate only", certSMTP, autoconfig.ErrExportUnsupported, "Outgoing[0] (smtp)"},
		{"IMAP without authentication", noneIMAP, autoconfig.ErrExportUnsupported, "Incoming[0] (imap)"},
		{"unknown security", badSec, autoconfig.ErrExportInvalid, `Outgoing[1] (smtp): unknown security "auto"`},
		{"no mail server", ewsOnly, autoconfig.ErrExportMissing, "no IMAP, POP3 or SMTP server"},
		{"empty config", &autoconfig.Config{}, autoconfig.ErrExportMissing, "no IMAP, POP3 or SMTP server"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w countingWriter
			err := autoconfig.WriteAutodiscover(&w, tt.cfg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("WriteAutodiscover() error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("WriteAutodiscover() error = %q, want it to contain %q", err, tt.text)
			}
			if w.n != 0 {
				t.Errorf("WriteAutodiscover() wrote %d bytes before failing, want 0", w.n)
			}
		})
	}
	if err := autoconfig.WriteAutodiscover(failingWriter{}, exportConfig()); err == nil {
		t.Errorf("WriteAutodiscover(failing writer) error = nil, want the writer's error")
	}
}
