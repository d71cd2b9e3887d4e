package probe_test

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

const (
	fullUser  = "alice@example.test"
	localUser = "alice"
	labPass   = "s3cret Pässwort"
)

var bothUsers = probe.Credentials{Usernames: []string{fullUser, localUser}, Password: labPass}

// noSecret fails when the password shows in any form in a login result's
// transcript or error: as is, base64 (padded or not), or inside a SASL PLAIN
// message of any user name.
func noSecret(t *testing.T, r probe.LoginResult, c probe.Credentials) {
	t.Helper()
	forms := []string{c.Password}
	enc := func(s string) {
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(s)), base64.RawStdEncoding.EncodeToString([]byte(s)))
	}
	enc(c.Password)
	for _, u := range c.Usernames {
		enc("\x00" + u + "\x00" + c.Password)
		enc(u + "\x00" + u + "\x00" + c.Password)
	}
	for _, f := range forms {
		if strings.Contains(r.Error, f) {
			t.Errorf("Login() error %q holds the password (as %q)", r.Error, f)
		}
		for _, l := range r.Transcript {
			if strings.Contains(l.Text, f) {
				t.Errorf("transcript line %+v holds the password (as %q)", l, f)
			}
		}
	}
}

// lastClient is the last line the client sent.
func lastClient(lines []probe.Line) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].From == probe.FromClient {
			return lines[i].Text
		}
	}
	return ""
}

func wantLogin(t *testing.T, r probe.LoginResult, status probe.LoginStatus, errSub string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("Login() status = %q (%s), want %q", r.Status, r.Error, status)
	}
	if (status == probe.LoginOK) != (r.Error == "") {
		t.Errorf("Login() = %q with error %q", r.Status, r.Error)
	}
	if !strings.Contains(r.Error, errSub) {
		t.Errorf("Login() error = %q, want it to contain %q", r.Error, errSub)
	}
	if r.Error != "" && !strings.HasPrefix(r.Error, "login to ") {
		t.Errorf("Login() error = %q, want it to say login to the server", r.Error)
	}
	if r.Status == probe.LoginNotTried && (len(r.Tried) != 0 || r.Mechanism != "") {
		t.Errorf("not-tried, yet Tried = %q, Mechanism = %q", r.Tried, r.Mechanism)
	}
	if r.Elapsed <= 0 || len(r.Transcript) == 0 {
		t.Errorf("Elapsed = %v, %d transcript lines", r.Elapsed, len(r.Transcript))
	}
}

// TestLoginLab logs in to the lab's real servers of every protocol over
// implicit TLS and STARTTLS.
func TestLoginLab(t *testing.T) {
	t.Parallel()
	secs := map[autoconfig.Security]mailserver.Security{autoconfig.TLS: mailserver.TLS, autoconfig.STARTTLS: mailserver.StartTLS}
	tests := []struct {
		name     string
		users    map[string]string
		status   probe.LoginStatus
		username string
		tried    []string
	}{
		{"full address", map[string]string{fullUser: labPass}, probe.LoginOK, fullUser, []string{fullUser}},
		{"local part", map[string]string{localUser: labPass}, probe.LoginOK, localUser, []string{fullUser, localUser}},
		{"wrong password", map[string]string{fullUser: "other", localUser: "other"}, probe.LoginFailed, "", []string{fullUser, localUser}},
	}
	mechs := map[autoconfig.Protocol]string{autoconfig.IMAP: "AUTHENTICATE PLAIN", autoconfig.POP3: "AUTH PLAIN", autoconfig.SMTP: "AUTH PLAIN"}
	for _, proto := range []autoconfig.Protocol{autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP} {
		for _, sec := range []autoconfig.Security{autoconfig.TLS, autoconfig.STARTTLS} {
			for _, tt := range tests {
				t.Run(string(proto)+"/"+string(sec)+"/"+tt.name, func(t *testing.T) {
					t.Parallel()
					cert := must(ca(t).Leaf(host))
					port, srv := labServer(t, mailserver.Config{Protocol: mailserver.Protocol(proto), Security: secs[sec], Cert: &cert, Users: tt.users})
					r := probe.Login(context.Background(), probe.Target{Protocol: proto, Host: host, Port: port, Security: sec,
						Identities: []string{"example.test"}}, bothUsers, options(t))
					errSub := ""
					if tt.status == probe.LoginFailed {
						errSub = "every user name was rejected (alice@example.test, alice)"
					}
					wantLogin(t, r, tt.status, errSub)
					if r.Username != tt.username || !slices.Equal(r.Tried, tt.tried) || r.Mechanism != mechs[proto] {
						t.Errorf("Username, Tried, Mechanism = %q, %q, %q; want %q, %q, %q", r.Username, r.Tried, r.Mechanism, tt.username, tt.tried, mechs[proto])
					}
					if r.Cert == nil || !r.Cert.Valid {
						t.Errorf("Cert = %+v, want the verified certificate", r.Cert)
					}
					noSecret(t, r, bothUsers)
					creds := srv.Credentials()
					if len(creds) != len(tt.tried) {
						t.Errorf("server received %d credentials, want %d", len(creds), len(tt.tried))
					}
					for i, c := range creds {
						if !c.TLS || c.Password != labPass || c.Username != tt.tried[i] {
							t.Errorf("credential %d = %q/TLS %v, want %q with the password over TLS", i, c.Username, c.TLS, tt.tried[i])
						}
					}
					if last := lastClient(r.Transcript); !strings.Contains(last, "LOGOUT") && last != "QUIT" {
						t.Errorf("last client line = %q, want a polite goodbye", last)
					}
				})
			}
		}
	}
}

// TestLoginNotTried: no credential reaches a server without TLS that
// verified; the lab records any it receives.
func TestLoginNotTried(t *testing.T) {
	t.Parallel()
	expired := must(ca(t).Expired(host))
	self := must(certs.SelfSigned(host))
	wrong := must(ca(t).Leaf("other.example.test"))
	tests := []struct {
		name   string
		cfg    mailserver.Config
		sec    autoconfig.Security
		errSub string
	}{
		{"imap plain", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.Plain}, autoconfig.Plain, "never sent in plaintext"},
		{"pop3 plain", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.Plain}, autoconfig.Plain, "never sent in plaintext"},
		{"smtp plain", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.Plain}, autoconfig.Plain, "never sent in plaintext"},
		{"imap stripped", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.StartTLS, NoSTARTTLS: true}, autoconfig.STARTTLS, "STARTTLS not offered"},
		{"pop3 stripped", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.StartTLS, NoSTARTTLS: true}, autoconfig.STARTTLS, "STLS not offered"},
		{"smtp stripped", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS, NoSTARTTLS: true}, autoconfig.STARTTLS, "STARTTLS not offered"},
		{"imap expired", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.TLS, Cert: &expired}, autoconfig.TLS, "certificate expired"},
		{"smtp expired", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.StartTLS, Cert: &expired}, autoconfig.STARTTLS, "certificate expired"},
		{"pop3 wrong name", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.TLS, Cert: &wrong}, autoconfig.TLS, "not valid for mail.example.test"},
		{"imap wrong name", mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.StartTLS, Cert: &wrong}, autoconfig.STARTTLS, "not valid for mail.example.test"},
		{"smtp self-signed", mailserver.Config{Protocol: mailserver.SMTP, Security: mailserver.TLS, Cert: &self}, autoconfig.TLS, "trusted authority"},
		{"pop3 self-signed", mailserver.Config{Protocol: mailserver.POP3, Security: mailserver.StartTLS, Cert: &self}, autoconfig.STARTTLS, "trusted authority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := tt.cfg
			if cfg.Cert == nil && cfg.Security != mailserver.Plain {
				c := must(ca(t).Leaf(host))
				cfg.Cert = &c
			}
			cfg.Users = map[string]string{fullUser: labPass, localUser: labPass}
			port, srv := labServer(t, cfg)
			r := probe.Login(context.Background(), probe.Target{Protocol: autoconfig.Protocol(cfg.Protocol), Host: host, Port: port, Security: tt.sec},
				bothUsers, options(t))
			wantLogin(t, r, probe.LoginNotTried, tt.errSub)
			if creds := srv.Credentials(); len(creds) != 0 {
				t.Errorf("server received credentials %+v, want none", creds)
			}
			if tt.sec == autoconfig.Plain && srv.Connections() != 0 {
				t.Errorf("Login connected to a plaintext server %d times, want never", srv.Connections())
			}
			if badCert := tt.sec != autoconfig.Plain && !strings.Contains(tt.name, "stripped"); badCert != (r.Cert != nil && !r.Cert.Valid) {
				t.Errorf("Cert = %v, want the refused certificate described: %v", r.Cert != nil, badCert)
			}
			noSecret(t, r, bothUsers)
		})
	}
}

// TestLoginBadRequest: requests that cannot be sent are not tried, and
// nothing connects.
func TestLoginBadRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		c      probe.Credentials
		sec    autoconfig.Security
		errSub string
	}{
		{"no user", probe.Credentials{Password: "x"}, autoconfig.TLS, "no user name"},
		{"empty users", probe.Credentials{Usernames: []string{""}, Password: "x"}, autoconfig.TLS, "no user name"},
		{"no password", probe.Credentials{Usernames: []string{fullUser}}, autoconfig.TLS, "no password"},
		{"line break", probe.Credentials{Usernames: []string{fullUser}, Password: "a\r\nb"}, autoconfig.TLS, "line break"},
		{"NUL in user", probe.Credentials{Usernames: []string{"a\x00b"}, Password: "x"}, autoconfig.STARTTLS, "NUL"},
		{"bad security", probe.Credentials{Usernames: []string{fullUser}, Password: "x"}, "ssl", "unsupported security"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &script{proto: "imap", implicit: true, cert: must(ca(t).Leaf(host))}
			port := s.listen(t, "tcp4", "")
			r := probe.Login(context.Background(), probe.Target{Protocol: autoconfig.IMAP, Host: host, Port: port, Security: tt.sec}, tt.c, options(t))
			wantLogin(t, r, probe.LoginNotTried, tt.errSub)
			s.stop()
			if plain, overTLS := s.received(); len(plain)+len(overTLS) != 0 {
				t.Errorf("server received %q %q, want nothing", plain, overTLS)
			}
		})
	}
}

// TestLoginScripted covers each mechanism choice and each answer against
// scripted servers.
func TestLoginScripted(t *testing.T) {
	t.Parallel()
	one := func(pass string) probe.Credentials {
		return probe.Credentials{Usernames: []string{fullUser}, Password: pass}
	}
	users := func(pass string) map[string]string { return map[string]string{fullUser: pass} }
	tests := []struct {
		name   string
		proto  autoconfig.Protocol
		sec    autoconfig.Security
		s      script
		c      probe.Credentials
		status probe.LoginStatus
		mech   string
		errSub string
		// sent are the server's lines over TLS that must appear (prefix
		// match); creds says whether a credential must have arrived.
		sent  []string
		creds bool
	}{
		{name: "imap LOGIN quoted", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{caps: []string{"IMAP4rev1"}, users: users(`p"a\ss w`)}, c: one(`p"a\ss w`),
			status: probe.LoginOK, mech: "LOGIN", sent: []string{`b2 LOGIN "alice@example.test" "p\"a\\ss w"`}, creds: true},
		// A password too short to be scrubbed from transcripts relies on
		// the redaction alone.
		{name: "imap LOGIN short password", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{caps: []string{"IMAP4rev1"}, users: users("p1!")}, c: one("p1!"),
			status: probe.LoginOK, mech: "LOGIN", sent: []string{`b2 LOGIN "alice@example.test" "p1!"`}, creds: true},
		{name: "pop3 short password", proto: autoconfig.POP3, sec: autoconfig.TLS,
			s: script{caps: []string{"USER"}, users: users("p1!")}, c: one("p1!"),
			status: probe.LoginOK, mech: "USER/PASS", sent: []string{"PASS p1!"}, creds: true},
		{name: "imap LOGIN literal", proto: autoconfig.IMAP, sec: autoconfig.STARTTLS,
			s: script{caps: []string{"IMAP4rev1"}, users: users("pässwörd")}, c: one("pässwörd"),
			status: probe.LoginOK, mech: "LOGIN", sent: []string{`b2 LOGIN "alice@example.test" {10}` + "\r\n"}, creds: true},
		{name: "imap LOGIN LITERAL+", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s:      script{caps: []string{"IMAP4rev1", "LITERAL+"}, users: map[string]string{"bjørn": "pässwörd"}},
			c:      probe.Credentials{Usernames: []string{"bjørn"}, Password: "pässwörd"},
			status: probe.LoginOK, mech: "LOGIN", sent: []string{"b2 LOGIN {6+}\r\nbjørn {10+}\r\n"}, creds: true},
		{name: "imap LOGINDISABLED without AUTH=PLAIN", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{caps: []string{"IMAP4rev1", "LOGINDISABLED", "AUTH=GSSAPI"}, users: users(labPass)}, c: one(labPass),
			status: probe.LoginNotPossible, errSub: "LOGINDISABLED"},
		{name: "imap OAuth2 mechanisms only", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{caps: []string{"IMAP4rev1", "AUTH=XOAUTH2", "AUTH=OAUTHBEARER"}, users: users(labPass)}, c: one(labPass),
			status: probe.LoginNotPossible, errSub: "only AUTH=XOAUTH2 AUTH=OAUTHBEARER"},
		{name: "imap LOGINDISABLED with AUTH=PLAIN", proto: autoconfig.IMAP, sec: autoconfig.STARTTLS,
			s: script{caps: []string{"IMAP4rev1", "LOGINDISABLED", "AUTH=PLAIN"}, users: users(labPass)}, c: one(labPass),
			status: probe.LoginOK, mech: "AUTHENTICATE PLAIN", sent: []string{"b2 AUTHENTICATE PLAIN"}, creds: true},
		{name: "imap SASL-IR", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{caps: []string{"IMAP4rev1", "SASL-IR", "AUTH=PLAIN"}, users: users(labPass)}, c: one(labPass),
			status: probe.LoginOK, mech: "AUTHENTICATE PLAIN", sent: []string{"b2 AUTHENTICATE PLAIN AGFsaWNl"}, creds: true},
		{name: "imap rejected", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{users: users("other")}, c: one(labPass),
			status: probe.LoginFailed, mech: "AUTHENTICATE PLAIN", errSub: `the server said "Authentication failed"`, creds: true},
		{name: "imap PREAUTH over TLS", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{greeting: "* PREAUTH welcome\r\n", users: users(labPass)}, c: one(labPass),
			status: probe.LoginNotTried, errSub: "PREAUTH"},
		{name: "imap UNAVAILABLE", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{users: users(labPass), authReply: "%[1]s NO [UNAVAILABLE] try later\r\n"}, c: one(labPass),
			status: probe.LoginError, mech: "AUTHENTICATE PLAIN", errSub: "failed temporarily (UNAVAILABLE)", creds: true},
		{name: "imap extra challenge", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{users: users(labPass), moreSASL: true}, c: one(labPass),
			status: probe.LoginError, mech: "AUTHENTICATE PLAIN", errSub: "authentication cancelled", sent: []string{"*"}},
		{name: "imap password echoed", proto: autoconfig.IMAP, sec: autoconfig.TLS,
			s: script{caps: []string{"IMAP4rev1"}, users: users("other"), authReply: "%[1]s NO password " + labPass + " is wrong\r\n"}, c: one(labPass),
			status: probe.LoginFailed, mech: "LOGIN", errSub: "[redacted] is wrong", creds: true},
		{name: "pop3 USER/PASS", proto: autoconfig.POP3, sec: autoconfig.TLS,
			s: script{caps: []string{"USER", "TOP"}, users: users(labPass)}, c: one(labPass),
			status: probe.LoginOK, mech: "USER/PASS", sent: []string{"USER alice@example.test", "PASS " + labPass}, creds: true},
		{name: "pop3 USER/PASS without CAPA", proto: autoconfig.POP3, sec: autoconfig.TLS,
			s: script{noCAPA: true, users: users(labPass)}, c: one(labPass),
			status: probe.LoginOK, mech: "USER/PASS", creds: true},
		{name: "pop3 AUTH PLAIN", proto: autoconfig.POP3, sec: autoconfig.STARTTLS,
			s: script{users: users(labPass)}, c: one(labPass),
			status: probe.LoginOK, mech: "AUTH PLAIN", sent: []string{"AUTH PLAIN AGFsaWNl"}, creds: true},
		{name: "pop3 long AUTH PLAIN", proto: autoconfig.POP3, sec: autoconfig.TLS,
			s: script{users: users(strings.Repeat("p", 200))}, c: one(strings.Repeat("p", 200)),
			status: probe.LoginOK, mech: "AUTH PLAIN", sent: []string{"AUTH PLAIN", "AGFsaWNl"}, creds: true},
		{name: "pop3 SYS/TEMP", proto: autoconfig.POP3, sec: autoconfig.TLS,
			s: script{users: users(labPass), authReply: "-ERR [SYS/TEMP] try later\r\n"}, c: one(labPass),
			status: probe.LoginError, mech: "AUTH PLAIN", errSub: "failed temporarily (SYS/TEMP)", creds: true},
		{name: "pop3 rejected", proto: autoconfig.POP3, sec: autoconfig.TLS,
			s: script{caps: []string{"USER"}, users: users("other")}, c: one(labPass),
			status: probe.LoginFailed, mech: "USER/PASS", errSub: "rejected", creds: true},
		{name: "smtp AUTH LOGIN", proto: autoconfig.SMTP, sec: autoconfig.STARTTLS,
			s: script{caps: []string{"AUTH LOGIN", "SIZE 100"}, users: users(labPass)}, c: one(labPass),
			status: probe.LoginOK, mech: "AUTH LOGIN", sent: []string{"AUTH LOGIN", "YWxpY2VAZXhhbXBsZS50ZXN0"}, creds: true},
		{name: "smtp no mechanism", proto: autoconfig.SMTP, sec: autoconfig.TLS,
			s: script{caps: []string{"AUTH GSSAPI", "SIZE 100"}, users: users(labPass)}, c: one(labPass),
			status: probe.LoginNotPossible, errSub: "server offers no password mechanism"},
		{name: "pop3 OAuth2 only", proto: autoconfig.POP3, sec: autoconfig.TLS,
			s: script{caps: []string{"SASL XOAUTH2 OAUTHBEARER", "TOP"}, users: users(labPass)}, c: one(labPass),
			status: probe.LoginNotPossible, errSub: "no password mechanism"},
		{name: "smtp 454", proto: autoconfig.SMTP, sec: autoconfig.TLS,
			s: script{users: users(labPass), authReply: "454 4.7.0 Temporary authentication failure\r\n"}, c: one(labPass),
			status: probe.LoginError, mech: "AUTH PLAIN", errSub: "server replied 454", creds: true},
		{name: "smtp extra challenge", proto: autoconfig.SMTP, sec: autoconfig.TLS,
			s: script{users: users(labPass), moreSASL: true}, c: one(labPass),
			status: probe.LoginError, mech: "AUTH PLAIN", errSub: "authentication cancelled", sent: []string{"*"}},
		{name: "smtp rejected", proto: autoconfig.SMTP, sec: autoconfig.STARTTLS,
			s: script{users: users("other")}, c: one(labPass),
			status: probe.LoginFailed, mech: "AUTH PLAIN", errSub: "535", creds: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.s
			s.proto = string(tt.proto)
			s.implicit = tt.sec == autoconfig.TLS
			s.cert = must(ca(t).Leaf(host))
			port := s.listen(t, "tcp4", "")
			r := probe.Login(context.Background(), probe.Target{Protocol: tt.proto, Host: host, Port: port, Security: tt.sec}, tt.c, options(t))
			wantLogin(t, r, tt.status, tt.errSub)
			if r.Mechanism != tt.mech {
				t.Errorf("Mechanism = %q, want %q", r.Mechanism, tt.mech)
			}
			if wantTried := tt.mech != ""; (len(r.Tried) == 1) != wantTried {
				t.Errorf("Tried = %q, want the user name iff credentials were sent", r.Tried)
			}
			noSecret(t, r, tt.c)
			s.stop()
			plain, overTLS := s.received()
			for _, line := range plain {
				if u := strings.ToUpper(line); strings.Contains(u, "LOGIN") || strings.Contains(u, "AUTH") ||
					strings.HasPrefix(u, "USER") || strings.HasPrefix(u, "PASS") {
					t.Errorf("credential command in plaintext: %q", line)
				}
			}
			for _, want := range tt.sent {
				if !slices.ContainsFunc(overTLS, func(l string) bool { return strings.HasPrefix(l, want) }) {
					t.Errorf("commands over TLS = %q, want one starting with %q", overTLS, want)
				}
			}
			creds := s.credentials()
			if tt.creds != (len(creds) == 1) {
				t.Errorf("server received credentials %+v, want one: %v", creds, tt.creds)
			}
			for _, c := range creds {
				if !c.tls || c.user != tt.c.Usernames[0] || c.pass != tt.c.Password {
					t.Errorf("server received %+v, want %q and the password over TLS", c, tt.c.Usernames[0])
				}
			}
		})
	}
}

// TestLoginAfterInjection: bytes injected after the STARTTLS answer are
// discarded; the login goes on over verified TLS with the capabilities
// asked again there, and no credential is sent before the handshake.
func TestLoginAfterInjection(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		proto autoconfig.Protocol
		s     script
	}{
		{"imap", autoconfig.IMAP, script{inject: "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n"}},
		{"imap later", autoconfig.IMAP, script{later: "* OK [ALERT] injected\r\n"}},
		{"pop3", autoconfig.POP3, script{inject: "+OK\r\nSASL PLAIN\r\n.\r\n"}},
		{"smtp", autoconfig.SMTP, script{inject: "250 AUTH PLAIN\r\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.s
			s.proto = string(tt.proto)
			s.cert = must(ca(t).Leaf(host))
			s.users = map[string]string{fullUser: labPass}
			port := s.listen(t, "tcp4", "")
			r := probe.Login(context.Background(), probe.Target{Protocol: tt.proto, Host: host, Port: port, Security: autoconfig.STARTTLS}, bothUsers, options(t))
			wantLogin(t, r, probe.LoginOK, "")
			noSecret(t, r, bothUsers)
			s.stop()
			for _, c := range s.credentials() {
				if !c.tls {
					t.Errorf("credential %+v sent without TLS", c)
				}
			}
		})
	}
}

// TestLoginSTARTTLSFailsClosed: Login takes Probe's STARTTLS path, and no
// STARTTLS failure lets a credential out, whatever the attacker offers.
func TestLoginSTARTTLSFailsClosed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		proto  autoconfig.Protocol
		s      script
		errSub string
	}{
		{"imap/not offered", autoconfig.IMAP, script{noSTARTTLS: true}, "STARTTLS not offered"},
		{"imap/NO", autoconfig.IMAP, script{reply: "%s NO [ALERT] log in without TLS now\r\n"}, "STARTTLS was advertised, then refused (NO)"},
		{"imap/PREAUTH", autoconfig.IMAP, script{greeting: "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n"}, "PREAUTH"},
		{"imap/BAD then plaintext", autoconfig.IMAP, script{reply: "%s BAD no TLS here\r\n"}, "STARTTLS was advertised, then refused (BAD)"},
		{"pop3/not offered", autoconfig.POP3, script{noSTARTTLS: true}, "STLS not offered"},
		{"pop3/-ERR", autoconfig.POP3, script{reply: "-ERR not now\r\n"}, "STLS was advertised, then refused (-ERR)"},
		{"smtp/not offered", autoconfig.SMTP, script{noSTARTTLS: true}, "STARTTLS not offered"},
		{"smtp/454", autoconfig.SMTP, script{reply: "454 4.7.0 TLS not available\r\n"}, "server replied 454"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.s
			s.proto = string(tt.proto)
			s.cert = must(ca(t).Leaf(host))
			s.users = map[string]string{fullUser: labPass, localUser: labPass}
			port := s.listen(t, "tcp4", "")
			r := probe.Login(context.Background(), probe.Target{Protocol: tt.proto, Host: host, Port: port, Security: autoconfig.STARTTLS}, bothUsers, options(t))
			wantLogin(t, r, probe.LoginNotTried, tt.errSub)
			if strings.Contains(r.Error, "ALERT") || strings.Contains(r.Error, "log in without") {
				t.Errorf("Login() error %q shows plaintext server text", r.Error)
			}
			noSecret(t, r, bothUsers)
			s.stop()
			if creds := s.credentials(); len(creds) != 0 {
				t.Errorf("server received credentials %+v, want none", creds)
			}
			if _, overTLS := s.received(); len(overTLS) != 0 {
				t.Errorf("commands over TLS = %q, want none", overTLS)
			}
		})
	}
}
