package east_test

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/internal/east"
)

// client is a scripted mail client for the server tests.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func serve(t *testing.T, c *east.Case, w *world) *east.Server {
	t.Helper()
	srv, err := east.Serve(c, &east.ServerOptions{Cert: w.certs[c.Cert], ConnTimeout: 5 * time.Second})
	if err != nil {
		t.Fatalf("Serve(%s) = %v", c.Name, err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func dial(t *testing.T, srv *east.Server) *client {
	t.Helper()
	conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(srv.Port()))
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	t.Cleanup(func() { conn.Close() })
	return &client{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(s)); err != nil {
		c.t.Fatalf("send %q: %v", s, err)
	}
}

// expect reads the next lines and compares them, without line endings.
func (c *client) expect(want ...string) {
	c.t.Helper()
	for _, w := range want {
		line, err := c.r.ReadString('\n')
		if got := strings.TrimRight(line, "\r\n"); err != nil || got != w {
			c.t.Fatalf("read %q, %v; want %q", got, err, w)
		}
	}
}

// closed checks that the server closes the connection without sending more.
func (c *client) closed() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	if line, err := c.r.ReadString('\n'); err == nil || line != "" {
		c.t.Fatalf("read %q, %v; want the connection closed", line, err)
	}
}

// silent checks that the server answers nothing for a while.
func (c *client) silent() {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if line, err := c.r.ReadString('\n'); err == nil || line != "" || !isTimeout(err) {
		c.t.Fatalf("read %q, %v; want silence", line, err)
	}
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func (c *client) startTLS(w *world) {
	c.t.Helper()
	if n := c.r.Buffered(); n > 0 {
		c.t.Fatalf("%d plaintext bytes buffered at the TLS switch", n)
	}
	tc := tls.Client(c.conn, &tls.Config{ServerName: host, RootCAs: w.pool})
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
}

func plain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

// caseFrom loads a case written to a temporary corpus at file.
func caseFrom(t *testing.T, file, src string) *east.Case {
	t.Helper()
	root := t.TempDir()
	path := filepath.Join(root, filepath.FromSlash(file))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := east.LoadCase(root, path)
	if err != nil {
		t.Fatal(err)
	}
	if why := c.NotApplicable(); why != "" {
		t.Fatalf("case not applicable: %s", why)
	}
	return c
}

func closeAndRecords(t *testing.T, srv *east.Server) []east.ConnRecord {
	t.Helper()
	if err := srv.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	return srv.Records()
}

func TestServerIMAP(t *testing.T) {
	w := newWorld(t)
	srv := serve(t, loadCase(t, "testcases/imap/setup"), w)

	// The toolkit accepts LOGIN in plaintext, LOGINDISABLED or not: the
	// server records it as a plaintext credential.
	c := dial(t, srv)
	c.expect("* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready.")
	c.send("a1 CAPABILITY\r\n")
	c.expect("* CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED", "a1 OK capability done.")
	c.send("a2 LOGIN alice \"p\\\"w\"\r\n")
	c.expect("a2 OK login done.")
	c.send("a3 STARTTLS\r\n")
	c.expect("a3 NO [CAPABILITY IMAP4REV1 AUTH=LOGIN] not allowed due to RFC.")
	c.send("a4 LOGOUT\r\n")
	c.expect("* BYE bye done.", "a4 OK logout done.")
	c.send("a5 NOOP\r\n")
	c.silent() // State::Logout answers nothing

	c = dial(t, srv)
	c.expect("* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready.")
	c.send("a1 STARTTLS\r\n")
	c.expect("a1 OK begin TLS now.")
	c.startTLS(w)
	c.send("b1 CAPABILITY\r\n")
	c.expect("* CAPABILITY IMAP4REV1 AUTH=PLAIN AUTH=LOGIN", "b1 OK capability done.")
	c.send("b2 AUTHENTICATE PLAIN\r\n")
	c.expect("+ ")
	c.send(plain("alice@example.org", password) + "\r\n")
	c.expect("b2 OK authenticate done.")
	c.send("b3 CAPABILITY\r\n")
	c.expect("* CAPABILITY IMAP4REV1", "b3 OK capability done.")

	c = dial(t, srv)
	c.expect("* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready.")
	c.send("x1 STARTTLS\r\n")
	c.expect("x1 OK begin TLS now.")
	c.startTLS(w)
	c.send("x2 AUTHENTICATE LOGIN " + base64.StdEncoding.EncodeToString([]byte("bob")) + "\r\n")
	c.expect("+ UGFzc3dvcmQ6")
	c.send(base64.StdEncoding.EncodeToString([]byte("pw2")) + "\r\n")
	c.expect("x2 OK authenticate done.")

	recs := closeAndRecords(t, srv)
	if len(recs) != 3 {
		t.Fatalf("Records() = %d connections, want 3", len(recs))
	}
	want := [][]east.Credential{
		{{Command: "LOGIN", Username: "alice", Password: `p"w`}},
		{{Command: "AUTHENTICATE PLAIN", Username: "alice@example.org", Password: password, TLS: true}},
		{{Command: "AUTHENTICATE LOGIN", Username: "bob", Password: "pw2", TLS: true}},
	}
	for i, r := range recs {
		if len(r.Credentials) != 1 || r.Credentials[0] != want[i][0] {
			t.Errorf("connection %d: Credentials = %+v, want %+v", i+1, r.Credentials, want[i])
		}
		if wantTLS := i > 0; r.TLS != wantTLS {
			t.Errorf("connection %d: TLS = %v, want %v", i+1, r.TLS, wantTLS)
		}
	}
	if got := string(east.Data(recs[1].Sent, false)); got != "* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready.\r\na1 OK begin TLS now.\r\n" {
		t.Errorf("connection 2: sent in plaintext %q", got)
	}
	if got := string(east.Data(recs[1].Received, false)); got != "a1 STARTTLS\r\n" {
		t.Errorf("connection 2: received in plaintext %q", got)
	}
}

// TestServerIMAPBuffered: commands pipelined after STARTTLS are processed
// after the handshake, as the toolkit does, and recorded as plaintext.
func TestServerIMAPBuffered(t *testing.T) {
	w := newWorld(t)
	srv := serve(t, loadCase(t, "testcases/imap/setup"), w)
	c := dial(t, srv)
	c.expect("* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready.")
	c.send("a1 STARTTLS\r\na2 LOGIN alice " + password + "\r\n")
	c.expect("a1 OK begin TLS now.")
	c.startTLS(w)
	c.expect("a2 OK login done.") // over TLS, answering a plaintext command
	recs := closeAndRecords(t, srv)
	r := recs[0]
	if r.Buffered != len("a2 LOGIN alice "+password+"\r\n") || len(r.Credentials) != 1 || r.Credentials[0].TLS {
		t.Errorf("Buffered, Credentials = %d, %+v; want the LOGIN buffered and recorded as plaintext", r.Buffered, r.Credentials)
	}
	if len(r.Commands) != 2 || r.Commands[1] != (east.Command{Name: "LOGIN", TLS: false}) {
		t.Errorf("Commands = %+v, want STARTTLS, then LOGIN not over TLS", r.Commands)
	}
	if !east.Reveals(east.Data(r.Received, false), password) {
		t.Errorf("Reveals(plaintext received) = false, want true")
	}
}

func TestServerIMAPQuirks(t *testing.T) {
	w := newWorld(t)
	c := caseFrom(t, "imap/quirks.ron", `(
		state: NotAuthenticated,
		greeting: (kind: Ok, code: Some(Alert), text: Text("hello")),
		response_after_greeting: Some("* 3 EXISTS\r\n"),
		caps: [Imap4Rev1, StartTls], caps_tls: [], caps_auth: [], caps_tls_auth: [],
		hide_commands: ["noop"],
		ignore_commands: ["check"],
		override_response: {"Select": "<tag> NO [REFERRAL imap://evil/] go\r\n"},
		hook_login: Terminate("plaintext login"),
		cert: Cert(crt_path: "certs/example.org.pem", key_path: "k"),
		implicit_tls: false,
	)`)
	srv := serve(t, c, w)
	cl := dial(t, srv)
	cl.expect("* OK [ALERT] hello", "* 3 EXISTS")
	cl.send("t1 FROB\r\n")
	cl.expect("t1 OK keep going.") // imap-codec cannot parse it
	cl.send("t2 CAPABILITY extra\r\n")
	cl.expect("t2 OK keep going.")
	cl.send("t3 NOOP\r\n")
	cl.expect("t3 BAD unknown command.")
	cl.send("t4 CHECK\r\nt5 SELECT INBOX\r\n")
	cl.expect("t5 NO [REFERRAL imap://evil/] go") // t4 ignored
	cl.send("t6 EXAMINE INBOX\r\n")
	cl.expect("t6 BAD EXAMINE not allowed.")
	cl.send("t7 LOGIN {5}\r\n")
	cl.expect("+ continue, please")
	cl.send("alice {3+}\r\npw!\r\n")
	cl.closed() // hook_login: Terminate

	cl = dial(t, srv)
	cl.expect("* OK [ALERT] hello", "* 3 EXISTS")
	cl.send("a STARTTLS\r\n")
	cl.expect("a OK begin TLS now.")
	cl.startTLS(w)
	cl.send("b CAPABILITY\r\n")
	cl.closed() // empty list: the toolkit panics

	recs := closeAndRecords(t, srv)
	r := recs[0]
	if len(r.Hooks) != 1 || r.Hooks[0].Hook.Message != "plaintext login" || r.Hooks[0].TLS {
		t.Errorf("Hooks = %+v, want hook_login fired in plaintext", r.Hooks)
	}
	if len(r.Credentials) != 1 || r.Credentials[0].Username != "alice" || r.Credentials[0].Password != "pw!" {
		t.Errorf("Credentials = %+v, want alice/pw! from the literals", r.Credentials)
	}
	if !strings.Contains(recs[1].End, "empty capability list") {
		t.Errorf("End = %q, want the empty capability list", recs[1].End)
	}
}

// TestServerIMAPReferral plays L_1_A with its commented-out referral: the
// login is refused with a referral to another server.
func TestServerIMAPReferral(t *testing.T) {
	w := newWorld(t)
	srv := serve(t, loadCase(t, "testcases/imap/Negotiation/L_1_A").Variants()[0], w)
	c := dial(t, srv)
	c.expect("* OK IMAP server ready.")
	c.send("a1 STARTTLS\r\n")
	c.expect("a1 OK begin TLS now.")
	c.startTLS(w)
	c.send("a2 LOGIN alice x\r\na3 CAPABILITY\r\n")
	c.expect("a2 NO [REFERRAL IMAP://;AUTH=*@attacker.example.org:243/] try another server.",
		"* CAPABILITY IMAP4REV1 LOGIN-REFERRALS", "a3 OK capability done.") // still not authenticated
}

func TestServerPOP3(t *testing.T) {
	w := newWorld(t)
	srv := serve(t, loadCase(t, "testcases/pop3/Negotiation/O_4"), w)
	c := dial(t, srv)
	c.expect("+OK POP3 server ready. <1234.123456789@example.org>")
	c.send("FROB\r\nCAPA\r\n") // FROB does not parse: no answer
	c.expect("+OK list of capabilities", "USER", "SASL PLAIN", "STLS", ".")
	c.send("USER alice\r\nPASS " + password + "\r\n")
	c.expect("+OK user ok", "+OK pass ok")
	c.send("STAT\r\nQUIT\r\n")
	c.expect("+OK 2 92", "+OK Fake logging out.")

	c = dial(t, srv)
	c.expect("+OK POP3 server ready. <1234.123456789@example.org>")
	c.send("STLS\r\n")
	c.expect("+OK Begin fake TLS negotiation now.")
	c.startTLS(w)
	c.send("CAPA\r\n")
	c.expect("+OK list of capabilities", "USER", "SASL PLAIN", ".")
	c.send("AUTH\r\n")
	c.expect("+OK", "PLAIN", "LOGIN", ".")
	c.send("AUTH PLAIN\r\n")
	c.expect("+ ")
	c.send(plain("alice", password) + "\r\n")
	c.expect("+OK Fake maildrop locked and ready.")
	c.send("QUIT\r\n")
	c.expect("+OK Fake logging out.")

	recs := closeAndRecords(t, srv)
	if got := recs[0].Credentials; len(got) != 2 || got[0].Username != "alice" || got[1].Password != password || got[1].TLS {
		t.Errorf("connection 1: Credentials = %+v, want USER and PASS in plaintext", got)
	}
	if got := recs[1].Credentials; len(got) != 1 || got[0] != (east.Credential{Command: "AUTH PLAIN", Username: "alice", Password: password, TLS: true}) {
		t.Errorf("connection 2: Credentials = %+v, want AUTH PLAIN over TLS", got)
	}
}

func TestServerPOP3Override(t *testing.T) {
	w := newWorld(t)
	srv := serve(t, loadCase(t, "testcases/pop3/others/auth/capa_err_auth_ok_all"), w)
	c := dial(t, srv)
	c.expect("+OK POP3 server ready.")
	c.send("CAPA\r\nAUTH\r\n") // the bare AUTH is pop3-codec's AUTHLIST
	c.expect("-ERR no such command", "+OK list of auth mechanism", "SASL PLAIN LOGIN", "PLAIN", "LOGIN", "+APOP", "APOP", "CRAM-MD5", ".")
	c.send("AUTH CRAM-MD5\r\n")
	c.expect("-ERR not supported.")
	c.closed()
}

func TestServerSMTP(t *testing.T) {
	w := newWorld(t)
	srv := serve(t, loadCase(t, "testcases/smtp/setup_opportunistic_encryption"), w)
	c := dial(t, srv)
	c.expect("220 smtp.example.com ESMTP fake")
	c.send("EHLO [127.0.0.1]\r\n")
	c.expect("250-example.org ...", "250-STARTTLS", "250 AUTH PLAIN")
	c.send("AUTH CRAM-MD5\r\nNOOP\r\n") // smtp-codec knows LOGIN and PLAIN only
	c.expect("250 ...")
	c.send("STARTTLS\r\n")
	c.expect("220 Ready to start TLS")
	c.startTLS(w)
	c.send("EHLO client.example\r\n")
	c.expect("250-example.org ...", "250 AUTH PLAIN")
	c.send("AUTH LOGIN\r\n")
	c.expect("334 VXNlcm5hbWU6")
	c.send(base64.StdEncoding.EncodeToString([]byte("alice")) + "\r\n")
	c.expect("334 UGFzc3dvcmQ6")
	c.send(base64.StdEncoding.EncodeToString([]byte(password)) + "\r\n")
	c.expect("235 ...")
	c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n")
	c.expect("250 ...", "250 ...", "354 ...")
	c.send("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n")
	c.expect("250 ...", "221 ...")
	c.closed()

	recs := closeAndRecords(t, srv)
	r := recs[0]
	if len(r.Credentials) != 1 || r.Credentials[0] != (east.Credential{Command: "AUTH LOGIN", Username: "alice", Password: password, TLS: true}) {
		t.Errorf("Credentials = %+v, want AUTH LOGIN over TLS", r.Credentials)
	}
	if len(r.Hooks) != 1 || r.Hooks[0].Hook.Action != "Pass" {
		t.Errorf("Hooks = %+v, want hook_data Pass", r.Hooks)
	}
}

func TestServerSMTPHidden(t *testing.T) {
	w := newWorld(t)
	srv := serve(t, loadCase(t, "testcases/smtp/Negotiation/D_1"), w)
	c := dial(t, srv)
	c.expect("220 smtp.example.com ESMTP fake")
	c.send("EHLO x\r\nSTARTTLS\r\nHELO x\r\nAUTH PLAIN " + plain("alice", password) + "\r\n")
	c.expect("502 command not recognized", "502 command not recognized", "250 ...", "235 ...")
	recs := closeAndRecords(t, srv)
	if cr := recs[0].Credentials; len(cr) != 1 || cr[0].TLS || cr[0].Password != password {
		t.Errorf("Credentials = %+v, want the password in plaintext", cr)
	}
}

// TestServerNoCert: a case whose certificate is "<not needed>" fails every
// handshake, as the toolkit does without a certificate file.
func TestServerNoCert(t *testing.T) {
	w := newWorld(t)
	srv := serve(t, loadCase(t, "testcases/pop3/others/capa/capa_ok_all"), w)
	c := dial(t, srv)
	c.expect("+OK POP3 server ready.")
	c.send("STLS\r\n")
	c.expect("+OK Begin fake TLS negotiation now.")
	tc := tls.Client(c.conn, &tls.Config{ServerName: host, RootCAs: w.pool})
	if err := tc.Handshake(); err == nil {
		t.Fatal("TLS handshake succeeded, want a failure")
	}
	recs := closeAndRecords(t, srv)
	if r := recs[0]; !r.TLSAttempted || r.TLS || !strings.Contains(r.End, "no certificate") {
		t.Errorf("TLSAttempted, TLS, End = %v, %v, %q; want an attempt that failed for want of a certificate", r.TLSAttempted, r.TLS, r.End)
	}
}

// TestServerClose: Close ends idle connections and every goroutine
// (TestMain checks for leaks).
func TestServerClose(t *testing.T) {
	w := newWorld(t)
	srv, err := east.Serve(loadCase(t, "testcases/smtp/setup"), &east.ServerOptions{Cert: w.certs[east.CertValid]})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, srv)
	c.expect("220 smtp.example.com ESMTP fake")
	start := time.Now()
	if err := srv.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	c.closed()
	if _, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(srv.Port())); err == nil {
		t.Errorf("Dial after Close succeeded")
	}
}

func TestReveals(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		data string
		want bool
	}{
		{"a1 LOGIN alice " + password + "\r\n", true},
		{"AUTH PLAIN " + plain("alice", password) + "\r\n", true},
		{b64([]byte(password)) + "\r\n", true},
		{"a1 AUTHENTICATE PLAIN " + b64([]byte("\x00alice\x00"+password)) + "==\r\n", true},
		{"AUTH PLAIN " + plain("alice", "other") + "\r\n", false},
		{"a1 CAPABILITY\r\n", false},
	}
	for _, tt := range tests {
		if got := east.Reveals([]byte(tt.data), password); got != tt.want {
			t.Errorf("Reveals(%q) = %v, want %v", tt.data, got, tt.want)
		}
	}
}
