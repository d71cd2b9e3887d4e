package mailserver_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

const authPlain = imap.Cap("AUTH=PLAIN")

// checkCaps reports capabilities that are missing from caps or present against
// expectation.
func checkCaps(t *testing.T, what string, caps imap.CapSet, have, lack []imap.Cap) {
	t.Helper()
	if caps == nil {
		t.Fatalf("%s: Caps() = nil", what)
	}
	for _, c := range have {
		if !caps.Has(c) {
			t.Errorf("%s: Caps() = %v, want %s", what, caps, c)
		}
	}
	for _, c := range lack {
		if caps.Has(c) {
			t.Errorf("%s: Caps() = %v, want no %s", what, caps, c)
		}
	}
}

func TestIMAP(t *testing.T) {
	tests := []struct {
		name       string
		security   mailserver.Security
		noStartTLS bool
		// Capabilities on a plain-text connection (not for implicit TLS).
		plainHave, plainLack []imap.Cap
		// Capabilities on the connection used to log in.
		have, lack []imap.Cap
		upgrade    bool // log in after STARTTLS
		wantTLS    bool
	}{
		{
			name: "implicit TLS", security: mailserver.TLS,
			have:    []imap.Cap{imap.CapIMAP4rev1, imap.CapIMAP4rev2, authPlain},
			lack:    []imap.Cap{imap.CapStartTLS, imap.CapLoginDisabled},
			wantTLS: true,
		},
		{
			name: "STARTTLS", security: mailserver.StartTLS,
			plainHave: []imap.Cap{imap.CapStartTLS, imap.CapLoginDisabled},
			plainLack: []imap.Cap{authPlain},
			have:      []imap.Cap{authPlain},
			lack:      []imap.Cap{imap.CapStartTLS, imap.CapLoginDisabled},
			upgrade:   true, wantTLS: true,
		},
		{
			name: "STARTTLS hidden", security: mailserver.StartTLS, noStartTLS: true,
			plainHave: []imap.Cap{authPlain},
			plainLack: []imap.Cap{imap.CapStartTLS, imap.CapLoginDisabled},
			have:      []imap.Cap{authPlain},
			lack:      []imap.Cap{imap.CapStartTLS},
		},
		{
			name: "plain", security: mailserver.Plain,
			plainHave: []imap.Cap{authPlain},
			plainLack: []imap.Cap{imap.CapStartTLS, imap.CapLoginDisabled},
			have:      []imap.Cap{authPlain},
			lack:      []imap.Cap{imap.CapStartTLS},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, mailserver.Config{Protocol: mailserver.IMAP, Security: tt.security, NoSTARTTLS: tt.noStartTLS})

			if tt.security != mailserver.TLS {
				c := imapclient.New(dial(t, srv), nil)
				checkCaps(t, "before TLS", c.Caps(), tt.plainHave, tt.plainLack)
				c.Close()
			}

			var c *imapclient.Client
			switch {
			case tt.security == mailserver.TLS:
				c = imapclient.New(mustDialTLS(t, srv), nil)
			case tt.upgrade:
				var err error
				if c, err = imapclient.NewStartTLS(dial(t, srv), &imapclient.Options{TLSConfig: clientTLS()}); err != nil {
					t.Fatalf("NewStartTLS() = %v", err)
				}
			default:
				if tt.security == mailserver.StartTLS {
					// STARTTLS is refused, not just hidden.
					if _, err := imapclient.NewStartTLS(dial(t, srv), &imapclient.Options{TLSConfig: clientTLS()}); err == nil {
						t.Errorf("NewStartTLS() = nil error, want STARTTLS refused")
					}
				}
				c = imapclient.New(dial(t, srv), nil)
			}
			defer c.Close()
			checkCaps(t, "login connection", c.Caps(), tt.have, tt.lack)

			if err := c.Login(user, password).Wait(); err != nil {
				t.Fatalf("Login() = %v", err)
			}
			data, err := c.Select("INBOX", nil).Wait()
			if err != nil {
				t.Fatalf("Select(INBOX) = %v", err)
			}
			if data.NumMessages != 0 {
				t.Errorf("INBOX has %d messages, want 0", data.NumMessages)
			}
			if err := c.Logout().Wait(); err != nil {
				t.Errorf("Logout() = %v", err)
			}
			wantCreds(t, srv, mailserver.Credential{
				Protocol: mailserver.IMAP, Username: user, Password: password, TLS: tt.wantTLS, Mechanism: "LOGIN",
			})
		})
	}
}

func TestIMAPAuthenticate(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.TLS})
	tests := []struct {
		user, pass string
		ok         bool
	}{
		{user, password, true},
		{"alice", password, true},
		{user, "wrong", false},
		{"bob@lab.test", password, false},
	}
	var want []mailserver.Credential
	for _, tt := range tests {
		c := imapclient.New(mustDialTLS(t, srv), nil)
		err := c.Authenticate(sasl.NewPlainClient("", tt.user, tt.pass))
		if (err == nil) != tt.ok {
			t.Errorf("Authenticate(PLAIN %s, %s) = %v, want ok %v", tt.user, tt.pass, err, tt.ok)
		}
		c.Close()
		want = append(want, mailserver.Credential{
			Protocol: mailserver.IMAP, Username: tt.user, Password: tt.pass, TLS: true, Mechanism: "PLAIN",
		})
	}
	wantCreds(t, srv, want...)
}

// TestIMAPLoginBeforeSTARTTLS proves that a password sent in plain text to a
// STARTTLS server is refused and still recorded, whether quoted, as a
// literal, or in AUTHENTICATE's initial response.
func TestIMAPLoginBeforeSTARTTLS(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.StartTLS})

	c := imapclient.New(dial(t, srv), nil)
	if err := c.Login(user, password).Wait(); err == nil {
		t.Errorf("Login() before STARTTLS = nil, want an error")
	}
	c.Close()

	conn := dial(t, srv)
	r := bufio.NewReader(conn)
	readLine := func() string {
		t.Helper()
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return line
	}
	readLine() // greeting
	fmt.Fprintf(conn, "a LOGIN {%d}\r\n", len("bob"))
	if line := readLine(); !strings.HasPrefix(line, "+") {
		t.Fatalf("after literal = %q, want a continuation request", line)
	}
	fmt.Fprintf(conn, "bob \"pa\\\"ss\"\r\n")
	if line := readLine(); !strings.HasPrefix(line, "a NO") {
		t.Errorf("LOGIN before STARTTLS = %q, want a NO", line)
	}
	fmt.Fprintf(conn, "b AUTHENTICATE PLAIN AGFsaWNlAHMzY3JldA==\r\n") // "\x00alice\x00s3cret"
	if line := readLine(); !strings.HasPrefix(line, "b NO") {
		t.Errorf("AUTHENTICATE before STARTTLS = %q, want a NO", line)
	}

	// After STARTTLS the same connection's credentials count once, as TLS.
	fmt.Fprintf(conn, "c STARTTLS\r\n")
	if line := readLine(); !strings.HasPrefix(line, "c OK") {
		t.Fatalf("STARTTLS = %q, want OK", line)
	}
	tc := tls.Client(conn, clientTLS())
	r = bufio.NewReader(tc)
	fmt.Fprintf(tc, "d LOGIN alice s3cret\r\n")
	for {
		line := readLine()
		if strings.HasPrefix(line, "d ") {
			if !strings.HasPrefix(line, "d OK") {
				t.Errorf("LOGIN after STARTTLS = %q, want OK", line)
			}
			break
		}
	}

	wantCreds(t, srv,
		mailserver.Credential{Protocol: mailserver.IMAP, Username: user, Password: password, Mechanism: "LOGIN"},
		mailserver.Credential{Protocol: mailserver.IMAP, Username: "bob", Password: `pa"ss`, Mechanism: "LOGIN"},
		mailserver.Credential{Protocol: mailserver.IMAP, Username: "alice", Password: password, Mechanism: "PLAIN"},
		mailserver.Credential{Protocol: mailserver.IMAP, Username: "alice", Password: password, Mechanism: "LOGIN", TLS: true},
	)
}
