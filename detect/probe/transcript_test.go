package probe_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		proto autoconfig.Protocol
		in    string
		want  string
	}{
		{autoconfig.IMAP, `a1 LOGIN alice secret`, `a1 LOGIN alice [redacted]`},
		{autoconfig.IMAP, `a1 login "alice@example.org" "se \"cr\" et"`, `a1 login "alice@example.org" [redacted]`},
		{autoconfig.IMAP, `a1 LOGIN "al \"ice\"" {6}`, `a1 LOGIN "al \"ice\"" [redacted]`},
		{autoconfig.IMAP, `a1 LOGIN {5}`, `a1 LOGIN {5}`},
		{autoconfig.IMAP, `a1 LOGIN {5+}`, `a1 LOGIN {5+}`},
		{autoconfig.IMAP, `alice {6}`, `[redacted]`},            // literal data, then the password literal
		{autoconfig.IMAP, `alice "secret"`, `[redacted]`},       // literal data, then a quoted password
		{autoconfig.IMAP, `sécret`, `[redacted]`},               // literal data alone
		{autoconfig.IMAP, `AGFsaWNlAHNlY3JldA==`, `[redacted]`}, // a SASL response
		{autoconfig.IMAP, `a2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==`, `a2 AUTHENTICATE PLAIN [redacted]`},
		{autoconfig.IMAP, `a2 AUTHENTICATE PLAIN =`, `a2 AUTHENTICATE PLAIN [redacted]`},
		{autoconfig.IMAP, `a2 AUTHENTICATE PLAIN`, `a2 AUTHENTICATE PLAIN`},
		{autoconfig.IMAP, `a3 CAPABILITY`, `a3 CAPABILITY`},
		{autoconfig.IMAP, `a4 STARTTLS`, `a4 STARTTLS`},
		{autoconfig.IMAP, `a5 SELECT INBOX`, `a5 SELECT INBOX`},
		{autoconfig.IMAP, `*`, `*`},
		{autoconfig.IMAP, `DONE`, `DONE`},
		{autoconfig.IMAP, ``, ``},
		{autoconfig.POP3, `PASS secret`, `PASS [redacted]`},
		{autoconfig.POP3, `pass se cret`, `pass [redacted]`},
		{autoconfig.POP3, `USER alice`, `USER alice`},
		{autoconfig.POP3, `APOP alice c4c9334bac560ecc979e58001b3e22fb`, `APOP alice [redacted]`},
		{autoconfig.POP3, `AUTH PLAIN AGFsaWNlAHNlY3JldA==`, `AUTH PLAIN [redacted]`},
		{autoconfig.POP3, `AUTH PLAIN`, `AUTH PLAIN`},
		{autoconfig.POP3, `AUTH`, `AUTH`},
		{autoconfig.POP3, `AGFsaWNlAHNlY3JldA==`, `[redacted]`},
		{autoconfig.POP3, `CAPA`, `CAPA`},
		{autoconfig.POP3, `STLS`, `STLS`},
		{autoconfig.POP3, `QUIT`, `QUIT`},
		{autoconfig.POP3, `*`, `*`},
		{autoconfig.SMTP, `AUTH PLAIN AGFsaWNlAHNlY3JldA==`, `AUTH PLAIN [redacted]`},
		{autoconfig.SMTP, `auth login YWxpY2U=`, `auth login [redacted]`},
		{autoconfig.SMTP, `AUTH LOGIN`, `AUTH LOGIN`},
		{autoconfig.SMTP, `YWxpY2U=`, `[redacted]`},
		{autoconfig.SMTP, `c2VjcmV0`, `[redacted]`},
		{autoconfig.SMTP, `EHLO [127.0.0.1]`, `EHLO [127.0.0.1]`},
		{autoconfig.SMTP, `STARTTLS`, `STARTTLS`},
		{autoconfig.SMTP, `QUIT`, `QUIT`},
		{autoconfig.SMTP, `MAIL FROM:<a@example.org>`, `MAIL FROM:<a@example.org>`},
		{autoconfig.SMTP, `*`, `*`},
		{"jmap", `anything`, `[redacted]`},
	}
	for _, tt := range tests {
		if got := probe.Redact(tt.proto, tt.in); got != tt.want {
			t.Errorf("Redact(%s, %q) = %q, want %q", tt.proto, tt.in, got, tt.want)
		}
	}
}

// TestTranscriptSTARTTLS: the plaintext part is marked BeforeTLS, the
// injected [ALERT] shows only there, and the rest is over TLS.
func TestTranscriptSTARTTLS(t *testing.T) {
	t.Parallel()
	s := &script{proto: "imap", cert: must(ca(t).Leaf(host)),
		reply: "* OK [ALERT] Your account is locked, call +1 555 0100\r\n%s OK begin TLS\r\n", upgrade: true}
	r := run(t, s, autoconfig.IMAP, autoconfig.STARTTLS, options(t))
	want(t, r, probe.StatusOK, "")
	var before, after, handshake bool
	for i, l := range r.Transcript {
		if l.From != probe.FromClient && l.From != probe.FromServer && l.From != probe.FromNote {
			t.Errorf("line %d From = %q", i, l.From)
		}
		if i > 0 && l.At < r.Transcript[i-1].At {
			t.Errorf("line %d At = %v, before the line above", i, l.At)
		}
		if strings.Contains(l.Text, "ALERT") && (!l.BeforeTLS || l.From != probe.FromServer) {
			t.Errorf("line %+v holds the plaintext ALERT but is not a server line marked BeforeTLS", l)
		}
		switch {
		case l.Text == "a2 STARTTLS":
			before = l.BeforeTLS && l.From == probe.FromClient
		case l.Text == "b1 CAPABILITY":
			after = !l.BeforeTLS && l.From == probe.FromClient
		case strings.HasPrefix(l.Text, "TLS handshake done: TLS 1.3, TLS_"):
			handshake = l.From == probe.FromNote && !l.BeforeTLS
		}
	}
	if !before || !after || !handshake {
		t.Errorf("transcript = %+v; want STARTTLS before TLS, CAPABILITY after, a handshake note", r.Transcript)
	}
	for _, f := range append([]string{r.Error, r.Greeting}, append(r.Capabilities, r.SASL...)...) {
		if strings.Contains(f, "ALERT") || strings.Contains(f, "call +1") {
			t.Errorf("Result field %q holds plaintext text", f)
		}
	}
}

// TestPlaintextTextNotTrusted: text a server sends before TLS never reaches
// Result.Error (EAST UI spoofing), only the transcript, marked BeforeTLS.
func TestPlaintextTextNotTrusted(t *testing.T) {
	t.Parallel()
	const spoof = "Zq7Xs call us"
	tests := []struct {
		name  string
		proto autoconfig.Protocol
		sec   autoconfig.Security
		s     script
	}{
		{"imap NO", autoconfig.IMAP, autoconfig.STARTTLS, script{reply: "%s NO [ALERT] " + spoof + "\r\n"}},
		{"imap BYE", autoconfig.IMAP, autoconfig.STARTTLS, script{reply: "* BYE [ALERT] " + spoof + "\r\n"}},
		{"imap greeting BYE", autoconfig.IMAP, autoconfig.STARTTLS, script{greeting: "* BYE " + spoof + "\r\n"}},
		{"imap bad greeting", autoconfig.IMAP, autoconfig.STARTTLS, script{greeting: "* HELLO " + spoof + "\r\n"}},
		{"pop3 -ERR", autoconfig.POP3, autoconfig.STARTTLS, script{reply: "-ERR " + spoof + "\r\n"}},
		{"pop3 greeting", autoconfig.POP3, autoconfig.STARTTLS, script{greeting: "-ERR " + spoof + "\r\n"}},
		{"smtp 454", autoconfig.SMTP, autoconfig.STARTTLS, script{reply: "454 4.7.0 " + spoof + "\r\n"}},
		{"smtp greeting", autoconfig.SMTP, autoconfig.STARTTLS, script{greeting: "554 " + spoof + "\r\n"}},
		{"smtp malformed", autoconfig.SMTP, autoconfig.STARTTLS, script{reply: "what " + spoof + "\r\n"}},
		// Injected bytes are discarded and the probe goes on over TLS.
		{"injection", autoconfig.SMTP, autoconfig.STARTTLS, script{inject: "250 " + spoof + "\r\n"}},
		{"injection later", autoconfig.IMAP, autoconfig.STARTTLS, script{later: spoof + "\r\n"}},
		// The handshake reads the first 5 bytes of what follows.
		{"not TLS", autoconfig.IMAP, autoconfig.TLS, script{greeting: spoof + "\r\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := tt.s
			s.proto = string(tt.proto)
			s.cert = must(ca(t).Leaf(host))
			r := run(t, &s, tt.proto, tt.sec, options(t))
			injected := tt.s.inject != "" || tt.s.later != ""
			if (r.Status == probe.StatusOK) != injected {
				t.Fatalf("Probe() = %s (%s), want a failure, or ok after an injection", r.Status, r.Error)
			}
			if strings.Contains(r.Error, "Zq7Xs") || r.Greeting != "" || !injected && r.Capabilities != nil ||
				slices.ContainsFunc(r.Capabilities, func(c string) bool { return strings.Contains(c, "Zq7Xs") }) {
				t.Errorf("Probe() error %q, greeting %q, capabilities %q hold plaintext text", r.Error, r.Greeting, r.Capabilities)
			}
			seen := false
			for _, l := range r.Transcript {
				if strings.Contains(l.Text, "Zq7Xs") {
					seen = true
					if !l.BeforeTLS || l.From != probe.FromServer {
						t.Errorf("line %+v holds plaintext text but is not a server line marked BeforeTLS", l)
					}
				}
			}
			if !seen {
				t.Errorf("transcript %+v lacks the server's plaintext text", r.Transcript)
			}
		})
	}
}

// TestTranscriptBounds: lines are cut at 512 bytes with a marker, the
// transcript at 500 lines, and control bytes are escaped.
func TestTranscriptBounds(t *testing.T) {
	t.Parallel()
	t.Run("long line", func(t *testing.T) {
		t.Parallel()
		s := &script{proto: "pop3", flood: true}
		r := run(t, s, autoconfig.POP3, autoconfig.Plain, options(t))
		want(t, r, probe.StatusProtocolError, "line longer than")
		var cut bool
		for _, l := range r.Transcript {
			text, _, found := strings.Cut(l.Text, " [line cut: ")
			if len(text) > probe.MaxLineText {
				t.Errorf("line of %d bytes before the cut marker", len(text))
			}
			cut = cut || (found && l.From == probe.FromServer && strings.HasPrefix(text, "xxxx"))
		}
		if !cut {
			t.Errorf("no cut server line in %d lines", len(r.Transcript))
		}
	})
	t.Run("many lines", func(t *testing.T) {
		t.Parallel()
		s := &script{proto: "imap", implicit: true, cert: must(ca(t).Leaf(host)), spam: 800}
		r := run(t, s, autoconfig.IMAP, autoconfig.TLS, options(t))
		want(t, r, probe.StatusOK, "")
		n, cutNote := 0, false
		for _, l := range r.Transcript {
			if l.From != probe.FromNote {
				n++
			}
			cutNote = cutNote || l.Text == "transcript cut after 500 lines"
		}
		if n != probe.MaxTranscriptLines || !cutNote || len(r.Transcript) > probe.MaxTranscriptLines+25 {
			t.Errorf("transcript has %d protocol lines of %d, cut note %v; want %d and the note", n, len(r.Transcript), cutNote, probe.MaxTranscriptLines)
		}
	})
	t.Run("control bytes", func(t *testing.T) {
		t.Parallel()
		s := &script{proto: "imap", greeting: "* OK hi\x1b[2J\x00 \u202e there\xff\r\n"}
		r := run(t, s, autoconfig.IMAP, autoconfig.Plain, options(t))
		want(t, r, probe.StatusOK, "")
		var found bool
		for _, l := range r.Transcript {
			for _, c := range l.Text {
				if !unicode.IsPrint(c) && c != ' ' {
					t.Errorf("line %q holds unprintable %U", l.Text, c)
				}
			}
			found = found || l.Text == `* OK hi\x1b[2J\x00 \xe2\x80\xae there\xff`
		}
		if !found {
			t.Errorf("transcript = %+v, want the escaped greeting", r.Transcript)
		}
	})
}

// TestTranscriptNotes: connection attempts and errors are noted.
func TestTranscriptNotes(t *testing.T) {
	t.Parallel()
	s := &script{proto: "smtp", cert: must(certs.SelfSigned(host))}
	r := run(t, s, autoconfig.SMTP, autoconfig.STARTTLS, options(t))
	want(t, r, probe.StatusTLSError, "trusted authority")
	var notes []string
	for _, l := range r.Transcript {
		if l.From == probe.FromNote {
			notes = append(notes, l.Text)
		}
	}
	joined := strings.Join(notes, "\n")
	for _, w := range []string{"SMTP mail.example.test:", "connected to 127.0.0.1:", "STARTTLS accepted",
		"certificate refused: certificate is not signed by a trusted authority", "error: certificate is not signed"} {
		if !strings.Contains(joined, w) {
			t.Errorf("notes = %q, want one with %q", notes, w)
		}
	}
}

func TestLoginTranscriptOrder(t *testing.T) {
	t.Parallel()
	s := &script{proto: "pop3", implicit: true, cert: must(ca(t).Leaf(host)), caps: []string{"USER"}, users: map[string]string{localUser: labPass}}
	port := s.listen(t, "tcp4", "")
	r := probe.Login(context.Background(), probe.Target{Protocol: autoconfig.POP3, Host: host, Port: port, Security: autoconfig.TLS}, bothUsers, options(t))
	wantLogin(t, r, probe.LoginOK, "")
	var client []string
	for _, l := range r.Transcript {
		if l.From == probe.FromClient {
			client = append(client, l.Text)
		}
	}
	wantClient := []string{"CAPA", "USER alice@example.test", "PASS [redacted]", "QUIT", "CAPA", "USER alice", "PASS [redacted]", "QUIT"}
	if strings.Join(client, "|") != strings.Join(wantClient, "|") {
		t.Errorf("client lines = %q, want %q", client, wantClient)
	}
}
