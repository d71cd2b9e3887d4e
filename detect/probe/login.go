package probe

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// DefaultLoginTimeout is the budget of each connection of a login check
// when Options.Timeout is zero. It is longer than a probe's: servers delay
// their answer to a wrong password on purpose.
const DefaultLoginTimeout = 15 * time.Second

// Credentials are what a login check sends.
type Credentials struct {
	// Usernames are tried in order, one connection each, until one is
	// accepted; empty and repeated names are skipped. The engine passes the
	// full address, then the local part.
	Usernames []string
	// Password is sent only as [Login] says.
	Password string
	// Token is an OAuth2 access token (RFC 6750). When set, Login signs in
	// with SASL OAUTHBEARER (RFC 7628) or XOAUTH2 instead of a password,
	// under the same rules, with the first user name only. A bearer token
	// is a credential: it is sent only as [Login] says, and redacted from
	// every transcript line.
	Token string
}

// LoginStatus is the outcome of a login check.
type LoginStatus string

// The statuses of a login check, as the report contract names them.
const (
	// LoginOK: the server accepted a user name (LoginResult.Username).
	LoginOK LoginStatus = "ok"
	// LoginFailed: the server rejected every user name tried.
	LoginFailed LoginStatus = "failed"
	// LoginNotTried: no credential was sent, because a precondition failed
	// (no TLS, a certificate that did not verify, STARTTLS refused or
	// stripped, no password mechanism, the server unreachable...).
	LoginNotTried LoginStatus = "not-tried"
	// LoginError: credentials were sent but the exchange broke, or the
	// server answered neither yes nor no (a temporary failure).
	LoginError LoginStatus = "error"
	// LoginNotPossible: the server offers no mechanism for the credential
	// (no password mechanism; for a token, neither OAUTHBEARER nor
	// XOAUTH2). Nothing was sent.
	LoginNotPossible LoginStatus = "not-possible"
)

// LoginResult is the outcome of a login check.
type LoginResult struct {
	// Status is the outcome.
	Status LoginStatus
	// Username is the user name the server accepted; empty unless LoginOK.
	Username string
	// Mechanism is how the credentials were sent: IMAP "AUTHENTICATE PLAIN"
	// or "LOGIN", POP3 "AUTH PLAIN" or "USER/PASS", SMTP "AUTH PLAIN" or
	// "AUTH LOGIN"; empty when nothing was sent.
	Mechanism string
	// Tried are the user names whose credentials were sent, in order.
	Tried []string
	// Error is one sentence for people saying what failed and where
	// ("login to mail.example.org:993: ..."); empty for LoginOK.
	Error string
	// Cert describes the certificate of the last connection; nil when no
	// TLS handshake completed.
	Cert *CertInfo
	// Transcript is the exchange of every connection, credentials redacted.
	Transcript []Line
	// Elapsed is how long the check took.
	Elapsed time.Duration
}

// attempt is one login on one connection, filled in by the protocol code.
type attempt struct {
	user, pass string
	token      string // an OAuth2 access token, instead of pass
	mech       string
	sent       bool       // a credential (or part of one) was written
	result     authResult // set only after a credential was sent
	reply      string     // the server's rejection, read over verified TLS
}

type authResult int

const (
	authNone authResult = iota
	authAccepted
	authRejected
)

// Login checks that the server of t accepts the password with one of the
// user names. It connects as [Probe] does, through the same code: TLS 1.2 or
// later, the certificate checked against the reference identifiers, STARTTLS
// failing closed, the capabilities read again over TLS. Only then, and only
// over that TLS, it authenticates:
//
//   - IMAP: AUTHENTICATE PLAIN when AUTH=PLAIN is offered (with an initial
//     response under SASL-IR or IMAP4rev2), else LOGIN unless the server says
//     LOGINDISABLED (RFC 9051 §6.2.2, §6.2.3);
//   - POP3: AUTH PLAIN when CAPA lists SASL PLAIN (RFC 5034), else USER/PASS
//     (RFC 1939 §7);
//   - SMTP: EHLO, then AUTH PLAIN, else AUTH LOGIN (RFC 4954); a server
//     offering neither is not tried.
//
// Each user name gets its own connection, ended with LOGOUT or QUIT. A Plain
// target is never connected to, and no credential is sent over a connection
// whose TLS did not verify: the result is then LoginNotTried and its Error
// says why (the certificate's problem, for one). Options.Timeout is the
// budget of each connection. Login never returns an error: the outcome is in
// the LoginResult.
func Login(ctx context.Context, t Target, c Credentials, opts *Options) LoginResult {
	start := time.Now()
	tr := newTranscript(start)
	o := withDefaults(opts, DefaultLoginTimeout)
	where := net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	var res LoginResult
	end := func(status LoginStatus, format string, args ...any) LoginResult {
		res.Status = status
		if format != "" {
			msg := tr.scrub(fmt.Sprintf(format, args...))
			res.Error = "login to " + where + ": " + msg
			tr.note("login %s: %s", status, msg)
		} else {
			tr.note("login %s as %q", status, res.Username)
		}
		res.Elapsed = time.Since(start)
		res.Transcript = tr.snapshot()
		return res
	}

	// Preconditions, checked before connecting: nothing is sent.
	switch t.Security {
	case autoconfig.TLS, autoconfig.STARTTLS:
	case autoconfig.Plain:
		// RFC 8314 §5.2, DESIGN.md: never a credential over plaintext.
		return end(LoginNotTried, "the server offers no TLS: a password is never sent in plaintext")
	default:
		return end(LoginNotTried, "unsupported security %q", t.Security)
	}
	var users []string
	for _, u := range c.Usernames {
		if u != "" && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	switch {
	case len(users) == 0:
		return end(LoginNotTried, "no user name given")
	case c.Token != "":
		if strings.ContainsAny(c.Token, "\x00\x01\r\n ") || strings.ContainsAny(users[0], "\x00\x01\r\n,") {
			return end(LoginNotTried, "the user name or token holds characters no OAuth2 mechanism can carry")
		}
		users = users[:1] // a token is the user's: one user name
	case c.Password == "":
		return end(LoginNotTried, "no password given")
	case strings.ContainsAny(c.Password, "\x00\r\n") || slices.ContainsFunc(users, func(u string) bool {
		return strings.ContainsAny(u, "\x00\r\n")
	}):
		// RFC 4616 §2 (no NUL in PLAIN), RFC 1939 and RFC 9051 (no line
		// breaks in a command argument).
		return end(LoginNotTried, "the user name or password holds a NUL or line break, which no login command can carry")
	}
	if c.Token != "" {
		tr.secrets = oauthSecrets(users, c.Token, t.Host, t.Port)
		slices.SortFunc(tr.secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	} else {
		tr.secrets = secretForms(users, c.Password)
	}

	var rejected []string
	for _, u := range users {
		a := &attempt{user: u, pass: c.Password, token: c.Token}
		tr.note("login attempt with user name %q", u)
		p := runProber(ctx, t, o, tr, a, start)
		res.Cert = p.res.Cert
		if a.sent {
			res.Tried = append(res.Tried, u)
			res.Mechanism = a.mech
		}
		why := "the login did not complete"
		if p.failed != nil {
			why = p.failed.Error()
		}
		switch {
		case a.result == authAccepted:
			res.Username = u
			return end(LoginOK, "")
		case a.result == authRejected:
			rejected = append(rejected, a.reply)
			continue
		case len(res.Tried) == 0 && p.failed != nil && errors.Is(p.failed.kind, ErrNoMechanism):
			return end(LoginNotPossible, "%s", why)
		case len(res.Tried) == 0:
			return end(LoginNotTried, "%s", why)
		default:
			return end(LoginError, "%s", why)
		}
	}
	return end(LoginFailed, "every user name was rejected (%s)%s", strings.Join(res.Tried, ", "), lastReply(rejected))
}

func lastReply(replies []string) string {
	if len(replies) == 0 || replies[len(replies)-1] == "" {
		return ""
	}
	return ": the server said " + replies[len(replies)-1]
}

// secretForms are the forms in which the password could appear in a
// transcript: as is (when long enough that scrubbing it cannot mangle the
// transcript), base64, and the SASL PLAIN message of each user name. They
// are scrubbed from every line, over the redaction, in case a server echoes
// them.
func secretForms(users []string, pass string) []string {
	b64 := base64.StdEncoding.EncodeToString
	forms := []string{b64([]byte(pass))}
	if len(pass) >= 4 {
		forms = append(forms, pass)
	}
	for _, u := range users {
		forms = append(forms, b64(saslPlainMessage(u, pass)))
	}
	slices.SortFunc(forms, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return slices.Compact(forms)
}

// saslPlainMessage is the SASL PLAIN message without an authorization
// identity (RFC 4616 §2: [authzid] NUL authcid NUL passwd).
func saslPlainMessage(user, pass string) []byte {
	return []byte("\x00" + user + "\x00" + pass)
}

// saslPlain is the base64 SASL PLAIN response (RFC 4616), as IMAP (RFC 9051
// §6.2.2), POP3 (RFC 5034 §4) and SMTP (RFC 4954 §4) send it.
func saslPlain(user, pass string) string {
	return base64.StdEncoding.EncodeToString(saslPlainMessage(user, pass))
}

// accept and reject conclude an attempt. A yes or no to a command that
// carried no credential concludes nothing.
func (a *attempt) accept() *failure {
	if !a.sent {
		return fail(StatusProtocolError, nil, "server accepted the login before any credential was sent")
	}
	a.result = authAccepted
	return nil
}

func (a *attempt) reject(reply string) *failure {
	if !a.sent {
		return fail(StatusProtocolError, nil, "server refused %s before any credential was sent:%s", a.mech, reply)
	}
	a.result, a.reply = authRejected, strings.TrimSpace(reply)
	return nil
}
