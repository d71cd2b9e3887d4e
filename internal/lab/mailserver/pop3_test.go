package mailserver_test

import (
	"encoding/base64"
	"net"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

func TestPOP3(t *testing.T) {
	tests := []struct {
		name       string
		security   mailserver.Security
		noStartTLS bool
		upgrade    bool
		wantTLS    bool
	}{
		{name: "implicit TLS (995)", security: mailserver.TLS, wantTLS: true},
		{name: "STLS", security: mailserver.StartTLS, upgrade: true, wantTLS: true},
		{name: "STLS hidden", security: mailserver.StartTLS, noStartTLS: true},
		{name: "plain", security: mailserver.Plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := start(t, mailserver.Config{Protocol: mailserver.POP3, Security: tt.security, NoSTARTTLS: tt.noStartTLS})
			var conn net.Conn
			if tt.security == mailserver.TLS {
				conn = mustDialTLS(t, srv)
			} else {
				conn = dial(t, srv)
			}
			p := newPOP3(t, conn)

			caps := p.capa()
			for _, c := range []string{"TOP", "UIDL", "IMPLEMENTATION Mailsetup-lab"} {
				if !contains(caps, c) {
					t.Errorf("CAPA = %q, want %q", caps, c)
				}
			}
			wantSTLS := tt.security == mailserver.StartTLS && !tt.noStartTLS
			if contains(caps, "STLS") != wantSTLS {
				t.Errorf("CAPA = %q, want STLS %v", caps, wantSTLS)
			}
			if contains(caps, "USER") == tt.upgrade || contains(caps, "SASL PLAIN") == tt.upgrade {
				t.Errorf("CAPA = %q, want USER and SASL PLAIN %v", caps, !tt.upgrade)
			}

			if tt.upgrade {
				p.stls()
				caps := p.capa()
				if contains(caps, "STLS") || !contains(caps, "USER") || !contains(caps, "SASL PLAIN") {
					t.Errorf("CAPA after STLS = %q, want USER and SASL PLAIN, no STLS", caps)
				}
				if _, err := p.cmd("STLS"); err == nil {
					t.Errorf("STLS twice = +OK, want -ERR")
				}
			} else if _, err := p.cmd("STLS"); err == nil {
				t.Errorf("STLS = +OK, want -ERR")
			}

			p.ok("USER %s", user)
			p.ok("PASS %s", password)
			if got := p.ok("STAT"); !strings.HasPrefix(got, "1 ") {
				t.Errorf("STAT = %q, want one message", got)
			}
			p.ok("LIST")
			if l := p.lines(); len(l) != 1 || !strings.HasPrefix(l[0], "1 ") {
				t.Errorf("LIST = %q, want one message", l)
			}
			if got := p.ok("UIDL 1"); got != "1 welcome-1" {
				t.Errorf("UIDL 1 = %q, want %q", got, "1 welcome-1")
			}
			p.ok("TOP 1 0")
			if l := p.lines(); len(l) == 0 || l[len(l)-1] != "" || !contains(l, "Subject: Welcome to the lab") {
				t.Errorf("TOP 1 0 = %q, want the header and the blank line", l)
			}
			p.ok("RETR 1")
			if l := p.lines(); !contains(l, ".A line that starts with a dot.") {
				t.Errorf("RETR 1 = %q, want the dot-stuffed line unstuffed", l)
			}
			if _, err := p.cmd("RETR 2"); err == nil {
				t.Errorf("RETR 2 = +OK, want -ERR")
			}
			p.ok("DELE 1")
			if got := p.ok("STAT"); got != "0 0" {
				t.Errorf("STAT after DELE = %q, want 0 0", got)
			}
			p.ok("RSET")
			p.ok("QUIT")

			wantCreds(t, srv, mailserver.Credential{
				Protocol: mailserver.POP3, Username: user, Password: password, TLS: tt.wantTLS, Mechanism: "USER",
			})
		})
	}
}

func TestPOP3AuthPlain(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.TLS})
	plain := func(user, pass string) string {
		return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	}

	// Initial response (RFC 5034 section 4).
	p := newPOP3(t, mustDialTLS(t, srv))
	p.ok("AUTH PLAIN %s", plain(user, password))
	p.ok("STAT")
	p.ok("QUIT")

	// Continuation, then a wrong password, then a cancelled exchange.
	p = newPOP3(t, mustDialTLS(t, srv))
	if got, err := p.cmd("AUTH PLAIN"); err != nil || got != "" {
		t.Fatalf("AUTH PLAIN = %q, %v; want an empty continuation", got, err)
	}
	if _, err := p.cmd("%s", plain("alice", "wrong")); err == nil || !strings.Contains(err.Error(), "[AUTH]") {
		t.Errorf("AUTH PLAIN with a wrong password = %v, want -ERR [AUTH]", err)
	}
	p.ok("AUTH PLAIN")
	if _, err := p.cmd("*"); err == nil {
		t.Errorf("cancelled AUTH = +OK, want -ERR")
	}
	if _, err := p.cmd("AUTH CRAM-MD5"); err == nil {
		t.Errorf("AUTH CRAM-MD5 = +OK, want -ERR")
	}
	p.ok("AUTH")
	if l := p.lines(); len(l) != 1 || l[0] != "PLAIN" {
		t.Errorf("AUTH list = %q, want [PLAIN]", l)
	}
	p.ok("QUIT")

	wantCreds(t, srv,
		mailserver.Credential{Protocol: mailserver.POP3, Username: user, Password: password, TLS: true, Mechanism: "PLAIN"},
		mailserver.Credential{Protocol: mailserver.POP3, Username: "alice", Password: "wrong", TLS: true, Mechanism: "PLAIN"},
	)
}

// TestPOP3BeforeSTLS proves that USER, PASS and AUTH sent in plain text to a
// STLS server are refused and recorded.
func TestPOP3BeforeSTLS(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.StartTLS})
	p := newPOP3(t, dial(t, srv))
	for _, cmd := range []string{
		"USER " + user,
		"PASS " + password,
		"AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00alice\x00"+password)),
		"STAT",
	} {
		if _, err := p.cmd("%s", cmd); err == nil {
			t.Errorf("%s before STLS = +OK, want -ERR", cmd)
		}
	}
	p.stls()
	p.ok("USER alice")
	p.ok("PASS %s", password)
	wantCreds(t, srv,
		mailserver.Credential{Protocol: mailserver.POP3, Username: user, Mechanism: "USER"},
		mailserver.Credential{Protocol: mailserver.POP3, Password: password, Mechanism: "USER"},
		mailserver.Credential{Protocol: mailserver.POP3, Username: "alice", Password: password, Mechanism: "PLAIN"},
		mailserver.Credential{Protocol: mailserver.POP3, Username: "alice", Password: password, Mechanism: "USER", TLS: true},
	)
}

func TestPOP3LineTooLong(t *testing.T) {
	srv := start(t, mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.Plain})
	p := newPOP3(t, dial(t, srv))
	if _, err := p.cmd("NOOP %s", strings.Repeat("x", 10000)); err == nil {
		t.Errorf("a 10000-octet line = +OK, want -ERR")
	}
	p.ok("CAPA") // the session goes on
	p.lines()
}
