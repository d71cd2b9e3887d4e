package east_test

import (
	"bufio"
	"crypto/tls"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/internal/east"
)

// The suite is only as good as judge: these tests show that it catches each
// kind of weakness, on made-up outcomes and on a deliberately naive client
// against the real scripted server.

func chunk(s string, tls bool) east.Chunk { return east.Chunk{Data: []byte(s), TLS: tls} }

func TestJudge(t *testing.T) {
	setup := loadCase(t, "testcases/imap/setup")
	selfSigned := loadCase(t, "testcases_extra/Certificate Validation/imap/T_1")
	noSTARTTLS := loadCase(t, "testcases/imap/Negotiation/O_1")
	starttls := probe.Target{Protocol: autoconfig.IMAP, Host: host, Port: 143, Security: autoconfig.STARTTLS}
	goodRecs := []east.ConnRecord{{
		TLS: true,
		Sent: []east.Chunk{
			chunk("* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready.\r\na1 OK begin TLS now.\r\n", false),
			chunk("* CAPABILITY IMAP4REV1 AUTH=PLAIN AUTH=LOGIN\r\nb1 OK capability done.\r\n", true),
		},
	}}
	goodProbe := probe.Result{Status: probe.StatusOK, Capabilities: []string{"IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"},
		SASL: []string{"PLAIN", "LOGIN"}, Cert: &probe.CertInfo{Valid: true}}
	injectedProbe := goodProbe
	injectedProbe.STARTTLSInjected = 22
	suffix := loadCase(t, "testcases/imap/Buffering/B_2").Variants()[1] // "* OK [ALERT] suffix.\r\n" after the tagged OK
	goodLogin := probe.LoginResult{Status: probe.LoginOK, Mechanism: "AUTHENTICATE PLAIN", Cert: &probe.CertInfo{Valid: true}}
	withCred := func(recs []east.ConnRecord, cr east.Credential) []east.ConnRecord {
		r := recs[0]
		r.Credentials = []east.Credential{cr}
		return []east.ConnRecord{r}
	}

	tests := []struct {
		name string
		o    outcome
		want []string // prefixes of the violations, in order
	}{
		{"safe", outcome{c: setup, target: starttls, probe: goodProbe, login: goodLogin, probeRecs: goodRecs,
			loginRecs: withCred(goodRecs, east.Credential{Command: "AUTHENTICATE PLAIN", Password: password, TLS: true})}, nil},
		{"plaintext fallback", outcome{c: noSTARTTLS, target: starttls, probe: probe.Result{Status: probe.StatusOK},
			probeRecs: []east.ConnRecord{{}}}, []string{"(a) probe: ok without", "(d) probe: ok although"}},
		{"unverified certificate", outcome{c: selfSigned, target: starttls, probe: goodProbe, probeRecs: goodRecs},
			[]string{"(a) probe: ok without", "(a) probe: certificate reported valid"}},
		{"plaintext capability", outcome{c: setup, target: starttls, probeRecs: goodRecs,
			probe: probe.Result{Status: probe.StatusOK, Capabilities: []string{"IMAP4REV1", "STARTTLS"}, SASL: []string{"LOGIN"}, LoginDisabled: true,
				Greeting: "* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready."}},
			[]string{`(b) probe: capability "STARTTLS"`, `(b) probe: greeting`, "(b) probe: LOGINDISABLED"}},
		{"mechanism from plaintext", outcome{c: setup, target: starttls, login: probe.LoginResult{Mechanism: "AUTHENTICATE XOAUTH2"},
			loginRecs: []east.ConnRecord{{TLS: true, Sent: []east.Chunk{chunk("* OK [CAPABILITY IMAP4REV1 AUTH=XOAUTH2] hi\r\n", false)}}}},
			[]string{"(b) login: chose AUTHENTICATE XOAUTH2"}},
		{"probe sends a credential", outcome{c: setup, target: starttls, probe: goodProbe,
			probeRecs: withCred(goodRecs, east.Credential{Command: "LOGIN", TLS: true})}, []string{"(c) probe: sent a credential"}},
		{"credential before TLS", outcome{c: setup, target: starttls,
			loginRecs: []east.ConnRecord{{Credentials: []east.Credential{{Command: "LOGIN", Username: "alice"}},
				Received: []east.Chunk{chunk("a1 LOGIN alice "+password+"\r\n", false)}}}},
			[]string{"(c) login: credential sent before TLS", "(c) login: the password crossed the wire in plaintext"}},
		{"credential with a bad certificate", outcome{c: selfSigned, target: starttls,
			loginRecs: withCred(goodRecs, east.Credential{Command: "LOGIN", TLS: true})},
			[]string{"(c) login: credential sent over TLS with a self-signed certificate"}},
		{"transcript", outcome{c: setup, target: starttls, probeRecs: goodRecs,
			probe: probe.Result{Transcript: []probe.Line{
				{From: probe.FromServer, Text: "* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready.", BeforeTLS: true},
				{From: probe.FromServer, Text: "a1 OK begin TLS now."},
				{From: probe.FromServer, Text: "* CAPABILITY IMAP4REV1 AUTH=PLAIN AUTH=LOGIN"},
			}},
			login: probe.LoginResult{Error: "rejected", Transcript: []probe.Line{{From: probe.FromClient, Text: "a LOGIN alice " + password}}}},
			[]string{`(b) probe transcript: plaintext line "a1 OK begin TLS now."`, "(c) login: the password appears"}},
		{"injection not reported", outcome{c: suffix, target: starttls, probe: goodProbe, probeRecs: goodRecs},
			[]string{"(f) probe: STARTTLSInjected = 0, but the server sent 22 bytes"}},
		{"injection reported", outcome{c: suffix, target: starttls, probe: injectedProbe, probeRecs: goodRecs}, nil},
		{"injection made up", outcome{c: setup, target: starttls, probe: injectedProbe, probeRecs: goodRecs},
			[]string{"(f) probe: STARTTLSInjected = 22, but the server sent 0 bytes"}},
		{"hook", outcome{c: noSTARTTLS, target: starttls, loginRecs: []east.ConnRecord{{
			Hooks: []east.HookEvent{{Command: "login", Hook: east.Hook{Action: "Terminate", Message: "plaintext"}}}}}},
			[]string{"(e) hook_login fired"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := judge(&tt.o)
			if len(got) != len(tt.want) {
				t.Fatalf("judge = %q, want %d violations starting %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("judge[%d] = %q, want it to start %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// naiveIMAPLogin is a client with the weaknesses EAST found in real ones:
// it upgrades only when STARTTLS is offered, does not check the
// certificate, and logs in either way.
func naiveIMAPLogin(t *testing.T, c *client) {
	t.Helper()
	greeting, _ := c.r.ReadString('\n')
	if strings.Contains(greeting, "STARTTLS") {
		c.send("a1 STARTTLS\r\n")
		c.expect("a1 OK begin TLS now.")
		tc := tls.Client(c.conn, &tls.Config{InsecureSkipVerify: true})
		if err := tc.Handshake(); err != nil {
			t.Fatal(err)
		}
		c.conn, c.r = tc, bufio.NewReader(tc)
	}
	c.send("a2 LOGIN alice " + password + "\r\n")
	c.expect("a2 OK login done.")
}

func TestJudgeNaiveClient(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name string
		want []string
	}{
		{"testcases/imap/Negotiation/O_1", []string{"(a) login: ok without", "(c) login: credential sent before TLS",
			"(c) login: the password crossed the wire in plaintext", "(d) login: ok although"}},
		{"testcases_extra/Certificate Validation/imap/T_1", []string{"(a) login: ok without",
			"(c) login: credential sent over TLS with a self-signed certificate"}},
		{"testcases/imap/setup", nil}, // with a valid certificate the naive client is lucky
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadCase(t, tt.name)
			srv := serve(t, c, w)
			naiveIMAPLogin(t, dial(t, srv))
			o := &outcome{c: c, target: probe.Target{Protocol: c.Protocol, Security: autoconfig.STARTTLS},
				login: probe.LoginResult{Status: probe.LoginOK, Mechanism: "LOGIN"}, loginRecs: closeAndRecords(t, srv)}
			got := judge(o)
			if len(got) != len(tt.want) {
				t.Fatalf("judge = %q, want %d violations starting %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("judge[%d] = %q, want it to start %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}
