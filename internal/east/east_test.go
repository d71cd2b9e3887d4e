package east_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/internal/east"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	// host is the name the client connects to and the cases' certificates
	// are for; LookupIP maps it to 127.0.0.1.
	host     = "example.org"
	password = "east-secret-password"
	// timeout is the probe's budget, and the login's per connection: the
	// silent cases (ignored commands, a server that never starts TLS) cost
	// this much.
	timeout = 1500 * time.Millisecond
	// minApplied is the fewest cases the suite must play.
	minApplied = 150
	// workers run cases at once. t.Parallel alone would run only GOMAXPROCS
	// subtests at a time, and most of a case is waiting on the network.
	workers = 32
)

var usernames = []string{"alice@example.org", "alice"}

// corpusDir is the EAST corpus in the shared folder beside the checkout
// (../shared seen from the repository root).
var corpusDir = filepath.Join("..", "..", "..", "shared", "corpus", "east")

// requireCorpus stops the test with a clear message when the corpus is
// missing.
func requireCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(corpusDir, "testcases")); err != nil {
		t.Fatalf("EAST corpus missing: want the fake-mail-server test cases at %s (shared/corpus/east beside the checkout, see shared/SOURCES.md): %v", corpusDir, err)
	}
}

func loadCorpus(t *testing.T) []*east.Case {
	t.Helper()
	requireCorpus(t)
	cases, err := east.LoadCorpus(corpusDir)
	if err != nil {
		t.Fatalf("LoadCorpus(%s) = %v", corpusDir, err)
	}
	return cases
}

// world holds the certificates the cases name, made at run time: the
// corpus carries no key material.
type world struct {
	pool  *x509.CertPool
	certs map[east.CertKind]*tls.Certificate
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ca, err := certs.NewCA("EAST test CA")
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := certs.NewCA("EAST unknown root")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{pool: ca.Pool(), certs: map[east.CertKind]*tls.Certificate{}}
	for kind, make := range map[east.CertKind]func() (tls.Certificate, error){
		east.CertValid:       func() (tls.Certificate, error) { return ca.Leaf(host) },
		east.CertSelfSigned:  func() (tls.Certificate, error) { return certs.SelfSigned(host) },
		east.CertUnknownRoot: func() (tls.Certificate, error) { return unknown.Leaf(host) },
		east.CertWrongName:   func() (tls.Certificate, error) { return ca.Leaf("other." + host) },
		east.CertExpired:     func() (tls.Certificate, error) { return ca.Expired(host) },
	} {
		c, err := make()
		if err != nil {
			t.Fatalf("certificate %s: %v", kind, err)
		}
		w.certs[kind] = &c
	}
	return w // CertNone maps to nil: the server has no certificate
}

func (w *world) options() *probe.Options {
	return &probe.Options{
		LookupIP: func(ctx context.Context, h string) ([]netip.Addr, error) {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
		RootCAs: w.pool,
		Timeout: timeout,
	}
}

// outcome is what one case did to the probe and the login check.
type outcome struct {
	c      *east.Case
	na     string // why the case is not applicable
	err    error  // the harness failed
	target probe.Target
	probe  probe.Result
	login  probe.LoginResult
	// probeRecs and loginRecs are the server's records of the probe's and
	// the login check's connections (separate servers, same case).
	probeRecs, loginRecs []east.ConnRecord
	violations           []string
}

func (o *outcome) applied() bool { return o.na == "" }

func (o *outcome) safe() bool { return o.err == nil && len(o.violations) == 0 }

// play runs the probe and the login check against the case's server.
func play(c *east.Case, w *world) *outcome {
	o := &outcome{c: c, na: c.NotApplicable()}
	if o.na != "" {
		return o
	}
	sec := autoconfig.STARTTLS
	if c.ImplicitTLS {
		sec = autoconfig.TLS
	}
	sopts := &east.ServerOptions{Cert: w.certs[c.Cert], ConnTimeout: 5 * time.Second}
	ctx := context.Background()

	srv, err := east.Serve(c, sopts)
	if err != nil {
		o.err = err
		return o
	}
	o.target = probe.Target{Protocol: c.Protocol, Host: host, Port: srv.Port(), Security: sec}
	o.probe = probe.Probe(ctx, o.target, w.options())
	srv.Close()
	o.probeRecs = srv.Records()

	srv, err = east.Serve(c, sopts)
	if err != nil {
		o.err = err
		return o
	}
	lt := o.target
	lt.Port = srv.Port()
	o.login = probe.Login(ctx, lt, probe.Credentials{Usernames: usernames, Password: password}, w.options())
	srv.Close()
	o.loginRecs = srv.Records()

	o.violations = judge(o)
	return o
}

// judge checks the four properties, and the case's own oracle.
//
//	(a) no verified-TLS verdict that was not earned: ok (and a valid
//	    certificate) only if the server completed a handshake with a
//	    certificate that deserves it;
//	(b) no pre-TLS data used: the greeting, capabilities and SASL
//	    mechanisms reported, and the mechanism the login chose, were sent
//	    over TLS; a transcript marks what crossed in plaintext BeforeTLS;
//	(c) no credential without verified TLS: the probe sends none; the login
//	    sends them over TLS only, and none unless the certificate is valid;
//	    the password never crosses in plaintext, even encoded, nor shows in
//	    a transcript or an error;
//	(d) no plaintext fallback: no ok for a STARTTLS target whose server never
//	    did TLS;
//	(e) the case's hooks (hook_login: Terminate("Vulnerability, proceeded in
//	    plaintext.") and kin) never fire;
//	(f) response injection is reported: a probe that went on over TLS after
//	    the server sent bytes beyond its STARTTLS answer (which the probe
//	    discards) counts them in STARTTLSInjected, and counts none when the
//	    server sent none.
func judge(o *outcome) []string {
	var v []string
	add := func(format string, args ...any) { v = append(v, fmt.Sprintf(format, args...)) }
	c := o.c
	certOK := c.Cert == east.CertValid
	handshake := func(recs []east.ConnRecord) bool {
		return slices.ContainsFunc(recs, func(r east.ConnRecord) bool { return r.TLS })
	}

	// (a)
	for _, s := range []struct {
		who  string
		ok   bool
		cert *probe.CertInfo
		recs []east.ConnRecord
	}{
		{"probe", o.probe.Status == probe.StatusOK, o.probe.Cert, o.probeRecs},
		{"login", o.login.Status == probe.LoginOK, o.login.Cert, o.loginRecs},
	} {
		if s.ok && !(certOK && handshake(s.recs)) {
			add("(a) %s: ok without a verified TLS handshake (server certificate %s, handshake completed %v)", s.who, c.Cert, handshake(s.recs))
		}
		if s.cert != nil && s.cert.Valid && !certOK {
			add("(a) %s: certificate reported valid, but the server served a %s certificate", s.who, c.Cert)
		}
	}

	// (b)
	overTLS := sent(o.probeRecs, true)
	inPlain := sent(o.probeRecs, false)
	from := func(s string) string {
		if containsFold(inPlain, s) {
			return " (the server sent it in plaintext)"
		}
		return ""
	}
	tlsTokens := tokens(overTLS)
	for _, cp := range o.probe.Capabilities {
		if !tlsTokens[strings.ToUpper(cp)] {
			add("(b) probe: capability %q was not received over TLS%s", cp, from(cp))
		}
	}
	for _, m := range o.probe.SASL {
		if !advertises(overTLS, m) {
			add("(b) probe: SASL mechanism %q was not advertised over TLS%s", m, from(m))
		}
	}
	if g := o.probe.Greeting; g != "" && !strings.Contains(overTLS, g) {
		add("(b) probe: greeting %q was not received over TLS%s", g, from(g))
	}
	if o.probe.LoginDisabled && !tlsTokens["LOGINDISABLED"] {
		add("(b) probe: LOGINDISABLED was not received over TLS")
	}
	if m := saslOf(o.login.Mechanism); m != "" {
		loginTLS, loginPlain := sent(o.loginRecs, true), sent(o.loginRecs, false)
		if !advertises(loginTLS, m) && advertises(loginPlain, m) {
			add("(b) login: chose %s, which only the plaintext capabilities advertised", o.login.Mechanism)
		}
	}

	for _, tr := range []struct {
		who   string
		lines []probe.Line
		recs  []east.ConnRecord
	}{{"probe", o.probe.Transcript, o.probeRecs}, {"login", o.login.Transcript, o.loginRecs}} {
		// A server line the transcript presents as protected must not be one
		// that only ever crossed in plaintext (lines it escaped are not
		// compared).
		plainLines, tlsLines := lineSet(tr.recs, false), lineSet(tr.recs, true)
		for _, l := range tr.lines {
			if l.From == probe.FromServer && !l.BeforeTLS && plainLines[l.Text] && !tlsLines[l.Text] {
				add("(b) %s transcript: plaintext line %q not marked BeforeTLS", tr.who, l.Text)
			}
		}
	}

	// (c)
	for _, tr := range []struct {
		who, text string
		lines     []probe.Line
	}{{"probe", o.probe.Error, o.probe.Transcript}, {"login", o.login.Error, o.login.Transcript}} {
		var b strings.Builder
		b.WriteString(tr.text + "\n")
		for _, l := range tr.lines {
			b.WriteString(l.Text + "\n")
		}
		if east.Reveals([]byte(b.String()), password) {
			add("(c) %s: the password appears in the transcript or error", tr.who)
		}
	}
	for i, r := range o.probeRecs {
		for _, cr := range r.Credentials {
			add("(c) probe: sent a credential (%s, connection %d, TLS %v); a probe must send none", cr.Command, i+1, cr.TLS)
		}
		if east.Reveals(received(r), password) {
			add("(c) probe: the password crossed the wire (connection %d)", i+1)
		}
	}
	for i, r := range o.loginRecs {
		for _, cr := range r.Credentials {
			switch {
			case !cr.TLS:
				add("(c) login: credential sent before TLS (%s, user %q, connection %d)", cr.Command, cr.Username, i+1)
			case !certOK:
				add("(c) login: credential sent over TLS with a %s certificate (%s, connection %d)", c.Cert, cr.Command, i+1)
			}
		}
		if east.Reveals(east.Data(r.Received, false), password) {
			add("(c) login: the password crossed the wire in plaintext (connection %d)", i+1)
		}
	}

	// (d)
	if c.Protocol != "" && o.target.Security == autoconfig.STARTTLS {
		if o.probe.Status == probe.StatusOK && !handshake(o.probeRecs) {
			add("(d) probe: ok although the server never started TLS (plaintext fallback)")
		}
		if o.login.Status == probe.LoginOK && !handshake(o.loginRecs) {
			add("(d) login: ok although the server never started TLS (plaintext fallback)")
		}
	}

	// (f)
	if c.Protocol != "" && o.target.Security == autoconfig.STARTTLS && o.probe.Status == probe.StatusOK {
		if n, got := injectedAfterSTARTTLS(c), o.probe.STARTTLSInjected; (n > 0) != (got > 0) {
			add("(f) probe: STARTTLSInjected = %d, but the server sent %d bytes after its STARTTLS answer", got, n)
		}
	}

	// (e)
	for _, recs := range [][]east.ConnRecord{o.probeRecs, o.loginRecs} {
		for _, r := range recs {
			for _, h := range r.Hooks {
				if h.Hook.Action == "Terminate" {
					add("(e) hook_%s fired (TLS %v): %s", strings.ToLower(h.Command), h.TLS, h.Hook.Message)
				}
			}
		}
	}
	return v
}

// injectedAfterSTARTTLS counts the bytes a case's server sends after the
// line that concludes its STARTTLS (STLS) answer, before TLS: the tagged
// line (IMAP), the first line (POP3), the last line of the reply (SMTP).
func injectedAfterSTARTTLS(c *east.Case) int {
	resp := c.STARTTLSResponse
	for _, cmd := range []string{"starttls", "stls"} {
		if r, ok := c.Override[cmd]; ok {
			resp = r
		}
	}
	for rest := resp; rest != ""; {
		line, after, ok := strings.Cut(rest, "\n")
		if !ok {
			return 0
		}
		switch {
		case c.Protocol == autoconfig.IMAP && strings.HasPrefix(line, "<tag> "),
			c.Protocol == autoconfig.POP3,
			c.Protocol == autoconfig.SMTP && len(line) >= 4 && line[3] == ' ':
			return len(after)
		}
		rest = after
	}
	return 0
}

// sent is what the server sent over TLS (or in plaintext), line by line,
// cleaned the way the probe cleans server text.
func sent(recs []east.ConnRecord, tls bool) string {
	var b []byte
	for _, r := range recs {
		b = append(b, east.Data(r.Sent, tls)...)
		b = append(b, '\n')
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || r == '\uFFFD' {
				return '?'
			}
			return r
		}, strings.TrimRight(l, "\r"))
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// lineSet are the lines the server sent over TLS (or in plaintext),
// without line endings.
func lineSet(recs []east.ConnRecord, tls bool) map[string]bool {
	set := map[string]bool{}
	for _, r := range recs {
		for _, l := range strings.Split(string(east.Data(r.Sent, tls)), "\n") {
			if l = strings.TrimSuffix(l, "\r"); l != "" {
				set[l] = true
			}
		}
	}
	return set
}

// tokens are the capabilities text can carry, upper case: every line (a
// POP3 CAPA line), every line without an SMTP reply code (an EHLO keyword
// line), and every word (an IMAP capability atom).
func tokens(text string) map[string]bool {
	set := map[string]bool{}
	for _, line := range strings.Split(strings.ToUpper(text), "\n") {
		set[strings.TrimSpace(line)] = true
		if len(line) > 4 && (strings.HasPrefix(line[3:], "-") || strings.HasPrefix(line[3:], " ")) {
			set[strings.TrimSpace(line[4:])] = true
		}
		for _, w := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '[' || r == ']' }) {
			set[w] = true
		}
	}
	return set
}

func received(r east.ConnRecord) []byte {
	return append(east.Data(r.Received, false), east.Data(r.Received, true)...)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToUpper(s), strings.ToUpper(sub))
}

// advertises reports whether text lists the SASL mechanism m: IMAP AUTH=m,
// POP3 "SASL ... m", SMTP "AUTH ... m".
func advertises(text, m string) bool {
	m = strings.ToUpper(m)
	for _, line := range strings.Split(strings.ToUpper(text), "\n") {
		line = strings.TrimLeft(strings.TrimLeft(line, "0123456789"), "- ") // SMTP "250-"
		words := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '[' || r == ']' })
		if slices.Contains(words, "AUTH="+m) {
			return true
		}
		if len(words) > 0 && (words[0] == "AUTH" || words[0] == "SASL") && slices.Contains(words[1:], m) {
			return true
		}
	}
	return false
}

// saslOf returns the SASL mechanism of a LoginResult.Mechanism ("AUTH PLAIN",
// "AUTHENTICATE PLAIN"), or "" for IMAP LOGIN and POP3 USER/PASS.
func saslOf(mech string) string {
	for _, p := range []string{"AUTHENTICATE ", "AUTH "} {
		if m, ok := strings.CutPrefix(mech, p); ok {
			return m
		}
	}
	return ""
}

// TestEAST plays every case of the EAST corpus against probe.Probe and
// probe.Login and checks that neither is fooled. Run it with -v for the
// table; it ends with the line "EAST: A applied, S safe, N not applicable
// of T".
func TestEAST(t *testing.T) {
	cases := loadCorpus(t)
	for _, c := range slices.Clone(cases) {
		cases = append(cases, c.Variants()...)
	}
	w := newWorld(t)

	// Play every case at once (bounded); the subtests report.
	results := make([]chan *outcome, len(cases))
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for i, c := range cases {
		results[i] = make(chan *outcome, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] <- play(c, w)
		}()
	}
	t.Cleanup(wg.Wait)

	outcomes := make([]*outcome, len(cases))
	t.Run("cases", func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.Name, func(t *testing.T) {
				t.Parallel()
				o := <-results[i]
				outcomes[i] = o
				check(t, o)
			})
		}
	})

	var table strings.Builder
	var applied, safe, na, total int
	var vApplied, vSafe, vTotal int
	fmt.Fprintf(&table, "%-72s %-7s %-9s %-15s %-10s %s\n", "case", "role", "verdict", "probe", "login", "detail")
	for _, o := range outcomes {
		if o == nil {
			continue
		}
		switch o.c.Role {
		case east.RoleCase:
			total++
			switch {
			case !o.applied():
				na++
			default:
				applied++
				if o.safe() {
					safe++
				}
			}
		case east.RoleVariant:
			vTotal++
			if o.applied() {
				vApplied++
				if o.safe() {
					vSafe++
				}
			}
		}
		verdict, detail := "safe", ""
		switch {
		case !o.applied():
			verdict, detail = "n/a", o.na
		case o.err != nil:
			verdict, detail = "error", o.err.Error()
		case !o.safe():
			verdict, detail = "UNSAFE", strings.Join(o.violations, "; ")
		default:
			detail = firstNonEmpty(o.probe.Error, o.login.Error)
		}
		probeStatus, loginStatus := string(o.probe.Status), string(o.login.Status)
		if !o.applied() {
			probeStatus, loginStatus = "-", "-"
		}
		if len(o.c.Uncommented) > 0 {
			detail = "uncommented " + strings.Join(o.c.Uncommented, ", ") + "; " + detail
		}
		fmt.Fprintf(&table, "%-72s %-7s %-9s %-15s %-10s %s\n", o.c.Name, o.c.Role, verdict, probeStatus, loginStatus, detail)
	}
	fmt.Fprintf(&table, "variants (commented-out attack steps, not counted below): %d applied, %d safe, %d not applicable of %d\n",
		vApplied, vSafe, vTotal-vApplied, vTotal)
	t.Log("EAST cases against probe.Probe and probe.Login (role: case, setup = positive control, variant, config):\n" + table.String())
	if applied < minApplied {
		t.Errorf("EAST: %d cases applied, want at least %d", applied, minApplied)
	}
	fmt.Printf("EAST: %d applied, %d safe, %d not applicable of %d\n", applied, safe, na, total)
}

// check reports an outcome: a failed harness, an unsafe case, or a setup
// (positive control) on which the probe or the login did not succeed.
func check(t *testing.T, o *outcome) {
	t.Helper()
	switch {
	case !o.applied():
		t.Skipf("not applicable: %s", o.na)
	case o.err != nil:
		t.Fatalf("harness: %v", o.err)
	}
	for _, v := range o.violations {
		t.Errorf("UNSAFE %s", v)
	}
	if len(o.violations) > 0 {
		t.Logf("probe: %s %s", o.probe.Status, o.probe.Error)
		t.Logf("login: %s %s (mechanism %q, tried %q)", o.login.Status, o.login.Error, o.login.Mechanism, o.login.Tried)
		logRecords(t, "probe", o.probeRecs)
		logRecords(t, "login", o.loginRecs)
	}
	if o.c.Role == east.RoleSetup {
		// A setup is a well-behaved server: the probe and the login must
		// succeed, or the harness proves nothing.
		if o.probe.Status != probe.StatusOK {
			t.Errorf("setup: Probe = %s (%s), want ok", o.probe.Status, o.probe.Error)
		}
		if o.login.Status != probe.LoginOK {
			t.Errorf("setup: Login = %s (%s), want ok", o.login.Status, o.login.Error)
		}
		if !slices.ContainsFunc(o.loginRecs, func(r east.ConnRecord) bool {
			return slices.ContainsFunc(r.Credentials, func(c east.Credential) bool { return c.TLS && c.Password == password })
		}) {
			t.Errorf("setup: the server received no password over TLS")
		}
	}
}

func logRecords(t *testing.T, who string, recs []east.ConnRecord) {
	t.Helper()
	for i, r := range recs {
		t.Logf("%s connection %d: TLS %v %s, ended: %s", who, i+1, r.TLS, r.TLSError, r.End)
		t.Logf("  client sent (plain): %q", redact(east.Data(r.Received, false)))
		t.Logf("  client sent (TLS):   %q", redact(east.Data(r.Received, true)))
		t.Logf("  server sent (plain): %q", east.Data(r.Sent, false))
		t.Logf("  server sent (TLS):   %q", east.Data(r.Sent, true))
	}
}

func redact(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte(password), []byte("<password>"))
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
