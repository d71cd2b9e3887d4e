package autoconfig_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

func writeMoz(t *testing.T, cfg *autoconfig.Config) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := autoconfig.WriteMozilla(&b, cfg); err != nil {
		t.Fatalf("WriteMozilla() error = %v, want nil", err)
	}
	return b.Bytes()
}

func TestWriteMozillaGolden(t *testing.T) {
	cfg := exportConfig()
	cfg.Incoming = append(cfg.Incoming, autoconfig.Server{
		Protocol: "ews", URL: "https://mail.example.com/EWS/Exchange.asmx",
		Auth: []autoconfig.Auth{autoconfig.AuthOAuth2, "http-basic"}, Username: "%EMAILADDRESS%",
	})
	got := writeMoz(t, cfg)
	writerGolden(t, "mozilla_write/example.com.xml", got)
	if again := writeMoz(t, cfg); !bytes.Equal(got, again) {
		t.Errorf("WriteMozilla() twice gave different bytes")
	}
}

// TestWriteMozillaRoundTrip writes Configs and reads them back with a zero
// Vars: ReadMozilla returns exactly what was written, in canonical form.
func TestWriteMozillaRoundTrip(t *testing.T) {
	imap := func(mod func(*autoconfig.Server)) autoconfig.Server {
		s := exportConfig().Incoming[0]
		if mod != nil {
			mod(&s)
		}
		return s
	}
	smtp := exportConfig().Outgoing[1]
	tests := []struct {
		name string
		in   *autoconfig.Config
		want *autoconfig.Config // nil: equal to in
	}{
		{name: "all kinds", in: exportConfig()},
		{name: "plain and no username", in: &autoconfig.Config{
			ID: "example.com", Domains: []string{"example.com"},
			Incoming: []autoconfig.Server{imap(func(s *autoconfig.Server) { s.Port, s.Security, s.Username = 143, autoconfig.Plain, "" })},
			Outgoing: []autoconfig.Server{smtp},
		}},
		{name: "several methods, SMTP-only ones", in: &autoconfig.Config{
			ID: "example.com", Domains: []string{"example.com"},
			Incoming: []autoconfig.Server{imap(func(s *autoconfig.Server) {
				s.Auth = []autoconfig.Auth{autoconfig.AuthOAuth2, autoconfig.AuthPasswordEncrypted, autoconfig.AuthGSSAPI, autoconfig.AuthNTLM, autoconfig.AuthTLSClientCert}
			})},
			Outgoing: []autoconfig.Server{
				{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 25, Security: autoconfig.STARTTLS,
					Auth: []autoconfig.Auth{autoconfig.AuthClientIP, autoconfig.AuthSMTPAfterPOP, autoconfig.AuthNone}},
			},
		}},
		{name: "characters XML must escape", in: &autoconfig.Config{
			ID: "example.com", Domains: []string{"example.com"},
			DisplayName: `Tom & Jerry's <"Mail">`, ShortName: "T&J",
			Incoming: []autoconfig.Server{imap(func(s *autoconfig.Server) { s.Username = `a&b<c>"d'e` })},
			Outgoing: []autoconfig.Server{smtp},
		}},
		{name: "non-ASCII names", in: &autoconfig.Config{
			ID: "example.com", Domains: []string{"example.com"},
			DisplayName: "Bücher-Post ✉", Incoming: []autoconfig.Server{imap(func(s *autoconfig.Server) { s.Username = "jürgen" })},
			Outgoing: []autoconfig.Server{smtp},
		}},
		{name: "canonical forms written",
			in: &autoconfig.Config{
				Domains: []string{"Bücher.Example"},
				Incoming: []autoconfig.Server{imap(func(s *autoconfig.Server) {
					s.Hostname = "IMAP.Bücher.Example."
					s.Auth = []autoconfig.Auth{"oauth2", "Password-Cleartext", "oauth2"}
				})},
				Outgoing: []autoconfig.Server{smtp},
			},
			want: &autoconfig.Config{
				ID: "xn--bcher-kva.example", Domains: []string{"xn--bcher-kva.example"},
				Incoming: []autoconfig.Server{imap(func(s *autoconfig.Server) {
					s.Hostname = "imap.xn--bcher-kva.example"
					s.Auth = []autoconfig.Auth{autoconfig.AuthOAuth2, autoconfig.AuthPasswordCleartext}
				})},
				Outgoing: []autoconfig.Server{smtp},
			}},
		{name: "other types kept with url", in: &autoconfig.Config{
			ID: "MessagingEngine", Domains: []string{"example.com"},
			Incoming: []autoconfig.Server{
				imap(nil),
				{Protocol: "ews", Username: "%EMAILADDRESS", Auth: []autoconfig.Auth{autoconfig.AuthOAuth2},
					URL: "https://outlook.example.com/ews/exchange.asmx"},
				{Protocol: "exchange", Hostname: "outlook.example.com", Port: 443, Security: autoconfig.TLS,
					Auth: []autoconfig.Auth{autoconfig.AuthOAuth2}, Username: "%EMAILADDRESS%"},
				{Protocol: "jmap", URL: "https://jmap.example.com/.well-known/jmap", Auth: []autoconfig.Auth{"http-basic"}},
			},
			Outgoing: []autoconfig.Server{smtp},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = tt.in
			}
			data := writeMoz(t, tt.in)
			got, err := autoconfig.ReadMozilla(bytes.NewReader(data), autoconfig.Vars{})
			if err != nil {
				t.Fatalf("ReadMozilla(WriteMozilla()) error = %v\n%s", err, data)
			}
			if len(got.Problems) != 0 {
				t.Errorf("ReadMozilla(WriteMozilla()).Problems = %q, want none\n%s", got.Problems, data)
			}
			got.Problems = nil
			if !reflect.DeepEqual(got, want) {
				t.Errorf("ReadMozilla(WriteMozilla()) =\n%+v\nwant\n%+v\n%s", got, want, data)
			}
		})
	}
}

// TestWriteMozillaCorpus reads every file of Mozilla's ISP database with a
// zero Vars, writes it and reads it again: the same provider, domains and
// servers (protocol, host, port, security, auth, username, url), in order.
func TestWriteMozillaCorpus(t *testing.T) {
	files := ispdbFiles(t)
	if len(files) != 163 {
		t.Errorf("len(ispdb files) = %d, want 163", len(files))
	}
	for _, f := range files {
		name := filepath.Base(f)
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		c1, err := autoconfig.ReadMozilla(bytes.NewReader(raw), autoconfig.Vars{})
		if err != nil {
			t.Errorf("ReadMozilla(%s) error = %v", name, err)
			continue
		}
		var b bytes.Buffer
		if err := autoconfig.WriteMozilla(&b, c1); err != nil {
			t.Errorf("WriteMozilla(ReadMozilla(%s)) error = %v, want nil", name, err)
			continue
		}
		c2, err := autoconfig.ReadMozilla(bytes.NewReader(b.Bytes()), autoconfig.Vars{})
		if err != nil {
			t.Errorf("ReadMozilla(WriteMozilla(%s)) error = %v, want nil", name, err)
			continue
		}
		if len(c2.Problems) != 0 {
			t.Errorf("ReadMozilla(WriteMozilla(%s)).Problems = %q, want none", name, c2.Problems)
		}
		c2.Problems = c1.Problems
		if !reflect.DeepEqual(c1, c2) {
			t.Errorf("ReadMozilla(WriteMozilla(%s)) =\n%+v\nwant\n%+v", name, c2, c1)
		}
	}
}

func TestWriteMozillaInvalid(t *testing.T) {
	mod := func(f func(c *autoconfig.Config)) *autoconfig.Config {
		c := exportConfig()
		f(c)
		return c
	}
	tests := []struct {
		name string
		cfg  *autoconfig.Config
		want error
		text string // in the error text
	}{
		{"nil config", nil, autoconfig.ErrExportInvalid, "nil Config"},
		{"port 0", mod(func(c *autoconfig.Config) { c.Incoming[1].Port = 0 }), autoconfig.ErrExportInvalid, "Incoming[1] (imap): port 0 out of range"},
		{"port 65536", mod(func(c *autoconfig.Config) { c.Outgoing[0].Port = 65536 }), autoconfig.ErrExportInvalid, "Outgoing[0] (smtp): port 65536"},
		{"empty host", mod(func(c *autoconfig.Config) { c.Incoming[0].Hostname = "" }), autoconfig.ErrExportInvalid, "empty host name"},
		{"bad host", mod(func(c *autoconfig.Config) { c.Incoming[0].Hostname = "imap example.com" }), autoconfig.ErrExportInvalid, "not allowed in a host name"},
		{"unknown security", mod(func(c *autoconfig.Config) { c.Incoming[2].Security = "ssl" }), autoconfig.ErrExportInvalid, `Incoming[2] (pop3): unknown security "ssl"`},
		{"empty security", mod(func(c *autoconfig.Config) { c.Outgoing[1].Security = "" }), autoconfig.ErrExportInvalid, "unknown security"},
		{"no auth", mod(func(c *autoconfig.Config) { c.Incoming[0].Auth = nil }), autoconfig.ErrExportInvalid, "no authentication"},
		{"unknown auth", mod(func(c *autoconfig.Config) { c.Incoming[0].Auth = []autoconfig.Auth{"kerberos"} }), autoconfig.ErrExportInvalid, `unknown authentication "kerberos"`},
		{"SMTP-only auth on IMAP", mod(func(c *autoconfig.Config) { c.Incoming[0].Auth = []autoconfig.Auth{autoconfig.AuthClientIP} }), autoconfig.ErrExportInvalid, "for SMTP only"},
		{"username with CRLF", mod(func(c *autoconfig.Config) { c.Incoming[0].Username = "fred\r\nA1 LOGOUT" }), autoconfig.ErrExportInvalid, "control characters"},
		{"SMTP among incoming", mod(func(c *autoconfig.Config) { c.Incoming[0].Protocol = autoconfig.SMTP }), autoconfig.ErrExportInvalid, "incoming server of type smtp"},
		{"IMAP among outgoing", mod(func(c *autoconfig.Config) { c.Outgoing[0].Protocol = autoconfig.IMAP }), autoconfig.ErrExportInvalid, "want smtp"},
		{"bad type", mod(func(c *autoconfig.Config) { c.Incoming[0].Protocol = "IMAP<x>" }), autoconfig.ErrExportInvalid, "not a protocol name"},
		{"other type with bad url", mod(func(c *autoconfig.Config) {
			c.Incoming = append(c.Incoming, autoconfig.Server{Protocol: "ews", URL: "javascript:alert(1)"})
		}), autoconfig.ErrExportInvalid, "Incoming[3] (ews): url"},
		{"bad domain", mod(func(c *autoconfig.Config) { c.Domains[1] = "example..net" }), autoconfig.ErrExportInvalid, "Domains[1]"},
		{"placeholder domain", mod(func(c *autoconfig.Config) { c.Domains[0] = "%EMAILDOMAIN%" }), autoconfig.ErrExportInvalid, "Domains[0]"},
		{"bad id", mod(func(c *autoconfig.Config) { c.ID = "example com" }), autoconfig.ErrExportInvalid, "ID"},
		{"display name with NUL", mod(func(c *autoconfig.Config) { c.DisplayName = "a\x00b" }), autoconfig.ErrExportInvalid, "DisplayName"},
		{"display name not UTF-8", mod(func(c *autoconfig.Config) { c.DisplayName = "a\xffb" }), autoconfig.ErrExportInvalid, "UTF-8"},
		{"no domain", mod(func(c *autoconfig.Config) { c.Domains = nil }), autoconfig.ErrExportMissing, "no domain"},
		{"no incoming mail server", mod(func(c *autoconfig.Config) {
			c.Incoming = []autoconfig.Server{{Protocol: "ews", URL: "https://outlook.example.com/ews"}}
		}), autoconfig.ErrExportMissing, "no IMAP or POP3"},
		{"no outgoing server", mod(func(c *autoconfig.Config) { c.Outgoing = nil }), autoconfig.ErrExportMissing, "no SMTP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w countingWriter
			err := autoconfig.WriteMozilla(&w, tt.cfg)
			if !errors.Is(err, tt.want) {
				t.Fatalf("WriteMozilla() error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) || !strings.HasPrefix(err.Error(), "autoconfig: ") {
				t.Errorf("WriteMozilla() error = %q, want it to start with autoconfig: and contain %q", err, tt.text)
			}
			if w.n != 0 {
				t.Errorf("WriteMozilla() wrote %d bytes before failing, want 0", w.n)
			}
		})
	}
}

func TestWriteMozillaWriterError(t *testing.T) {
	err := autoconfig.WriteMozilla(failingWriter{}, exportConfig())
	if !errors.Is(err, os.ErrClosed) {
		t.Errorf("WriteMozilla(failing writer) error = %v, want it to wrap %v", err, os.ErrClosed)
	}
}
