package probe

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/textproto"
	"slices"
	"strings"

	"github.com/emersion/go-sasl"

	"github.com/mailsetup/mailsetup/internal/xoauth2"
)

// The OAuth2 sign-in of Login (Credentials.Token): SASL OAUTHBEARER (RFC
// 7628) when the server offers it, else XOAUTH2, over the same verified TLS
// as a password and through the same lineConn.sendSecret. A refused token
// comes back as a challenge holding a JSON error (RFC 7628 §3.2.2); the
// client answers it with the mechanism's dummy response (%x01 for
// OAUTHBEARER, RFC 7628 §3.2.3; empty for XOAUTH2) and the server then
// fails the command. Its JSON status ("invalid_token", "401") and its
// final text are the reason reported.

// oauthMechs are the OAuth2 mechanisms, best first.
var oauthMechs = []string{sasl.OAuthBearer, xoauth2.Mechanism}

// oauthStart chooses the mechanism among those offered and returns its
// name, the client and the base64 initial response.
func (l *lineConn) oauthStart(offered []string) (string, sasl.Client, string, *failure) {
	a := l.p.login
	for _, m := range oauthMechs {
		if !slices.ContainsFunc(offered, func(o string) bool { return strings.EqualFold(o, m) }) {
			continue
		}
		var c sasl.Client
		if m == sasl.OAuthBearer {
			// RFC 7628 §3.1: the authzid, host and port of the server.
			c = sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: a.user, Token: a.token, Host: l.p.t.Host, Port: l.p.t.Port})
		} else {
			c = xoauth2.NewClient(a.user, a.token)
		}
		_, ir, err := c.Start()
		if err != nil {
			return "", nil, "", fail(StatusProtocolError, nil, "%s: %v", m, err)
		}
		return m, c, base64.StdEncoding.EncodeToString(ir), nil
	}
	return "", nil, "", fail(StatusProtocolError, nil, "the server offers neither OAUTHBEARER nor XOAUTH2").as(ErrNoMechanism)
}

// oauthChallenge reads a server's challenge to an OAuth2 initial response
// of mech: the base64 JSON error of a refused token. It returns the base64
// response to send (the mechanism's dummy) and the reason to report.
func oauthChallenge(mech string, c sasl.Client, b64 string) (resp, reason string) {
	if mech == sasl.OAuthBearer {
		// RFC 7628 §3.2.3: the client answers an error with a single %x01.
		resp = base64.StdEncoding.EncodeToString([]byte{1})
	}
	return resp, oauthReason(c, b64)
}

// oauthReason is the status of the JSON error in a server's base64
// challenge, as the mechanism's client reads it (RFC 7628 §3.2.2).
func oauthReason(c sasl.Client, b64 string) string {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return "the server's challenge is not base64"
	}
	_, err = c.Next(raw)
	var ob *sasl.OAuthBearerError
	var xe *xoauth2.Error
	switch {
	case errors.As(err, &ob) && ob.Status != "":
		return "status " + clean(ob.Status)
	case errors.As(err, &xe):
		return "status " + clean(xe.Status)
	}
	return "the server's challenge is not an OAuth2 error"
}

// oauthSecrets are the forms in which a token could appear in a
// transcript: itself and the base64 initial responses of each mechanism for
// each user name.
func oauthSecrets(users []string, token, host string, port int) []string {
	b64 := base64.StdEncoding.EncodeToString
	forms := []string{token, b64([]byte(token))}
	for _, u := range users {
		_, ir, _ := sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{Username: u, Token: token, Host: host, Port: port}).Start()
		forms = append(forms, b64(ir), b64(xoauth2.Message(u, token)))
	}
	return forms
}

// imapOAuth signs in with AUTHENTICATE OAUTHBEARER or XOAUTH2 (RFC 9051
// §6.2.2, RFC 7628 §4.1).
func (l *lineConn) imapOAuth(tag string, caps []string) *failure {
	a := l.p.login
	var offered []string
	for _, c := range caps {
		if m, ok := strings.CutPrefix(strings.ToUpper(c), "AUTH="); ok {
			offered = append(offered, m)
		}
	}
	mech, c, ir, f := l.oauthStart(offered)
	if f != nil {
		return f
	}
	a.mech = "AUTHENTICATE " + mech
	line, cont, f := l.imapStartSASL(tag, mech, ir, hasFold(caps, "SASL-IR") || hasFold(caps, "IMAP4rev2"))
	if f != nil {
		return f
	}
	if !cont {
		return l.imapAuthResult(line)
	}
	resp, reason := oauthChallenge(mech, c, strings.TrimPrefix(strings.TrimPrefix(line, "+"), " "))
	if f := l.send(resp); f != nil {
		return f
	}
	if line, _, f = l.imapNext(tag, "AUTHENTICATE"); f != nil {
		return f
	}
	if kind, _, text := parseIMAPStatus(line); kind == "NO" || kind == "BAD" {
		return a.reject(" " + reason + l.said(text))
	}
	return fail(StatusProtocolError, nil, "%s: server accepted after refusing the token", a.mech)
}

// pop3OAuth signs in with AUTH OAUTHBEARER or XOAUTH2 (RFC 5034, RFC 7628
// §4.3).
func (l *lineConn) pop3OAuth() *failure {
	a := l.p.login
	mech, c, ir, f := l.oauthStart(l.p.res.SASL)
	if f != nil {
		return f
	}
	a.mech = "AUTH " + mech
	// RFC 5034 §4: no initial response beyond 255 octets (RFC 2449 §4).
	if cmd := "AUTH " + mech + " " + ir; len(cmd)+2 <= 255 {
		if f := l.sendSecret(cmd, a.mech+" "+redacted); f != nil {
			return f
		}
	} else {
		if f := l.send(a.mech); f != nil {
			return f
		}
		line, f := l.readLine("reading POP3 AUTH response")
		if f != nil {
			return f
		}
		if !pop3Continue(line) {
			return l.pop3AuthResult(line)
		}
		if f := l.sendSecret(ir, redacted); f != nil {
			return f
		}
	}
	line, f := l.readLine("reading POP3 AUTH response")
	if f != nil {
		return f
	}
	if !pop3Continue(line) {
		return l.pop3AuthResult(line)
	}
	resp, reason := oauthChallenge(mech, c, strings.TrimPrefix(strings.TrimPrefix(line, "+"), " "))
	if f := l.send(resp); f != nil {
		return f
	}
	if line, f = l.readLine("reading POP3 AUTH response"); f != nil {
		return f
	}
	if text, ok := strings.CutPrefix(line, "-ERR"); ok {
		return a.reject(" " + reason + l.said(strings.TrimSpace(text)))
	}
	return fail(StatusProtocolError, nil, "%s: server accepted after refusing the token", a.mech)
}

// smtpOAuth signs in with AUTH OAUTHBEARER or XOAUTH2 (RFC 4954, RFC 7628
// §4.2).
func (l *lineConn) smtpOAuth(tp *textproto.Reader) *failure {
	a := l.p.login
	mech, c, ir, f := l.oauthStart(l.p.res.SASL)
	if f != nil {
		return f
	}
	a.mech = "AUTH " + mech
	if f := l.sendSecret("AUTH "+mech+" "+ir, a.mech+" "+redacted); f != nil {
		return f
	}
	code, msg, f := l.smtpAny(tp, "reading SMTP AUTH reply")
	if f != nil {
		return f
	}
	if code != 334 {
		return l.smtpAuthResult(code, msg)
	}
	resp, reason := oauthChallenge(mech, c, msg)
	if f := l.send(resp); f != nil {
		return f
	}
	if code, msg, f = l.smtpAny(tp, "reading SMTP AUTH reply"); f != nil {
		return f
	}
	first, _, _ := strings.Cut(msg, "\n")
	if code >= 500 {
		return a.reject(fmt.Sprintf(" %s: %d%s", reason, code, l.said(first)))
	}
	return l.smtpAuthResult(code, msg)
}

// pop3Continue reports whether a POP3 line is a SASL continuation ("+ "
// and a challenge, RFC 5034 §4), not "+OK".
func pop3Continue(line string) bool { return line == "+" || strings.HasPrefix(line, "+ ") }
