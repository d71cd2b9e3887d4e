package mailserver_test

import (
	"errors"
	"net/textproto"
	"strings"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

// submit sends one message through an authenticated client.
func submit(t *testing.T, c *smtp.Client) {
	t.Helper()
	if err := c.Mail(user, nil); err != nil {
		t.Fatalf("Mail() = %v", err)
	}
	if err := c.Rcpt("bob@example.test", nil); err != nil {
		t.Fatalf("Rcpt() = %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("Data() = %v", err)
	}
	if _, err := w.Write([]byte("Subject: hello\r\n\r\nHello from the lab.\r\n")); err != nil {
		t.Fatalf("Data write = %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Data close = %v", err)
	}
}

func TestSMTP(t *testing.T) {
	tests := []struct {
		name       string
		security   mailserver.Security
		noStartTLS bool
		upgrade    bool // log in after STARTTLS
		auth       sasl.Client
		mech       string
		wantTLS    bool
	}{
		{name: "implicit TLS (465)", security: mailserver.TLS, auth: sasl.NewPlainClient("", user, password), mech: "PLAIN", wantTLS: true},
		{name: "STARTTLS (587)", security: mailserver.StartTLS, upgrade: true, auth: sasl.NewLoginClient(user, password), mech: "LOGIN", wantTLS: true},
		{name: "STARTTLS hidden", security: mailserver.StartTLS, noStartTLS: true, auth: sasl.NewPlainClient("", user, password), mech: "PLAIN"},
		{name: "plain", security: mailserver.Plain, auth: sasl.NewPlainClient("", user, password), mech: "PLAIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, mailserver.Config{Protocol: mailserver.SMTP, Security: tt.security, NoSTARTTLS: tt.noStartTLS})

			if tt.security == mailserver.StartTLS {
				c := smtp.NewClient(dial(t, srv))
				if err := c.Hello("client.lab.test"); err != nil {
					t.Fatalf("Hello() = %v", err)
				}
				if ok, _ := c.Extension("STARTTLS"); ok == tt.noStartTLS {
					t.Errorf("EHLO STARTTLS = %v, want %v", ok, !tt.noStartTLS)
				}
				if ok, _ := c.Extension("AUTH"); ok != tt.noStartTLS {
					t.Errorf("EHLO AUTH before TLS = %v, want %v", ok, tt.noStartTLS)
				}
				c.Close()
			}

			var c *smtp.Client
			switch {
			case tt.security == mailserver.TLS:
				c = smtp.NewClient(mustDialTLS(t, srv))
			case tt.upgrade:
				var err error
				if c, err = smtp.NewClientStartTLS(dial(t, srv), clientTLS()); err != nil {
					t.Fatalf("NewClientStartTLS() = %v", err)
				}
			default:
				if tt.security == mailserver.StartTLS {
					// STARTTLS is refused, not just hidden.
					tp := textproto.NewConn(dial(t, srv))
					tp.ReadResponse(220)
					tp.PrintfLine("EHLO client.lab.test")
					tp.ReadResponse(250)
					tp.PrintfLine("STARTTLS")
					if code, msg, err := tp.ReadResponse(502); err != nil {
						t.Errorf("STARTTLS = %d %s, want 502", code, msg)
					}
				}
				c = smtp.NewClient(dial(t, srv))
			}
			defer c.Close()

			ok, auth := c.Extension("AUTH")
			if !ok || !contains(strings.Fields(auth), "PLAIN") || !contains(strings.Fields(auth), "LOGIN") {
				t.Errorf("EHLO AUTH = %v %q, want PLAIN and LOGIN", ok, auth)
			}
			for _, ext := range []string{"SIZE", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "PIPELINING"} {
				if ok, _ := c.Extension(ext); !ok {
					t.Errorf("EHLO lacks %s", ext)
				}
			}
			if ok, _ := c.Extension("STARTTLS"); ok {
				t.Errorf("EHLO STARTTLS on the login connection, want none")
			}
			if size, ok := c.MaxMessageSize(); !ok || size <= 0 {
				t.Errorf("MaxMessageSize() = %d, %v; want a limit", size, ok)
			}
			if err := c.Mail(user, nil); err == nil {
				t.Errorf("Mail() before AUTH = nil, want an error")
			}
			if err := c.Auth(tt.auth); err != nil {
				t.Fatalf("Auth(%s) = %v", tt.mech, err)
			}
			submit(t, c)
			if err := c.Quit(); err != nil {
				t.Errorf("Quit() = %v", err)
			}
			wantCreds(t, srv, mailserver.Credential{
				Protocol: mailserver.SMTP, Username: user, Password: password, TLS: tt.wantTLS, Mechanism: tt.mech,
			})
		})
	}
}

func TestSMTPAuthFailure(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.TLS})
	c := smtp.NewClient(mustDialTLS(t, srv))
	defer c.Close()
	err := c.Auth(sasl.NewPlainClient("", user, "wrong"))
	var serr *smtp.SMTPError
	if !errors.As(err, &serr) || serr.Code != 535 {
		t.Errorf("Auth(wrong password) = %v, want 535", err)
	}
	wantCreds(t, srv, mailserver.Credential{Protocol: mailserver.SMTP, Username: user, Password: "wrong", TLS: true, Mechanism: "PLAIN"})
}

func TestSMTPGreeting(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.Plain, Hostname: "smtp.example.test"})
	tp := textproto.NewConn(dial(t, srv))
	_, msg, err := tp.ReadResponse(220)
	if err != nil || !strings.HasPrefix(msg, "smtp.example.test ") {
		t.Errorf("greeting = %q, %v; want 220 smtp.example.test", msg, err)
	}
}

// TestSMTPAuthBeforeSTARTTLS proves that AUTH sent in plain text to a STARTTLS
// server is refused and still recorded.
func TestSMTPAuthBeforeSTARTTLS(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS})
	tp := textproto.NewConn(dial(t, srv))
	expect := func(code int, format string, args ...any) {
		t.Helper()
		if format != "" {
			if err := tp.PrintfLine(format, args...); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := tp.ReadResponse(code); err != nil {
			t.Errorf("%q: %v, want %d", format, err, code)
		}
	}
	expect(220, "")
	expect(250, "EHLO client.lab.test")
	expect(523, "AUTH PLAIN AGFsaWNlQGxhYi50ZXN0AHMzY3JldA==") // "\x00alice@lab.test\x00s3cret"
	expect(523, "AUTH LOGIN Ym9i")                             // "bob"
	wantCreds(t, srv,
		mailserver.Credential{Protocol: mailserver.SMTP, Username: user, Password: password, Mechanism: "PLAIN"},
		mailserver.Credential{Protocol: mailserver.SMTP, Username: "bob", Mechanism: "LOGIN"},
	)
}
