package probe

import (
	"encoding/base64"
	"fmt"
	"net/textproto"
	"slices"
	"strings"
)

// The authentication exchanges of Login. Each runs on a lineConn over
// verified TLS, after the capabilities were read again over it; every
// credential goes out through lineConn.sendSecret, which refuses anything
// else. They return a failure when the exchange broke or could not start,
// and otherwise conclude the attempt (accept or reject).

// imapLogin authenticates with tag (RFC 9051 §6.2).
func (l *lineConn) imapLogin(tag string, caps []string) *failure {
	p, a := l.p, l.p.login
	switch {
	case p.preauth:
		return fail(StatusProtocolError, nil, "the server pre-authenticated the session (PREAUTH): there is no login to check")
	case a.token != "":
		return l.imapOAuth(tag, caps)
	case hasFold(caps, "AUTH=PLAIN"):
		a.mech = "AUTHENTICATE PLAIN"
		// RFC 4959 §3 (SASL-IR); IMAP4rev2 includes the initial response
		// (RFC 9051 §6.2.2).
		return l.imapAuthenticatePlain(tag, hasFold(caps, "SASL-IR") || hasFold(caps, "IMAP4rev2"))
	case hasFold(caps, "LOGINDISABLED"):
		// RFC 9051 §6.2.3, RFC 3501 §6.2.3: the client MUST NOT send LOGIN
		// when the server advertises LOGINDISABLED.
		return fail(StatusProtocolError, nil, "server disables LOGIN (LOGINDISABLED) and offers no AUTH=PLAIN").as(ErrNoMechanism)
	case slices.ContainsFunc(caps, func(c string) bool { return len(c) > 5 && strings.EqualFold(c[:5], "AUTH=") }):
		// RFC 9051 §6.2.2 and §11.1: a server that takes passwords over TLS
		// offers AUTH=PLAIN; one that lists only other mechanisms (OAuth2)
		// has turned passwords off.
		return fail(StatusProtocolError, nil, "server offers no password mechanism, only %s", strings.Join(authCaps(caps), " ")).as(ErrNoMechanism)
	default:
		a.mech = "LOGIN"
		return l.imapLoginCommand(tag, caps)
	}
}

func (l *lineConn) imapAuthenticatePlain(tag string, initial bool) *failure {
	a := l.p.login
	line, cont, f := l.imapStartSASL(tag, "PLAIN", saslPlain(a.user, a.pass), initial)
	if f != nil {
		return f
	}
	if cont {
		return l.saslCancel(func() *failure { _, _, f := l.imapNext(tag, "AUTHENTICATE"); return f })
	}
	return l.imapAuthResult(line)
}

// imapStartSASL sends AUTHENTICATE mech with the base64 initial response
// resp (a credential): on the command line under SASL-IR (RFC 4959 §3;
// IMAP4rev2 has it, RFC 9051 §6.2.2), else after the server's continuation
// request. It returns the server's next answer: a continuation (cont) or
// the tagged response, which may refuse the mechanism before anything
// secret was sent.
func (l *lineConn) imapStartSASL(tag, mech, resp string, inline bool) (line string, cont bool, f *failure) {
	cmd := tag + " AUTHENTICATE " + mech
	if inline {
		if f := l.sendSecret(cmd+" "+resp, cmd+" "+redacted); f != nil {
			return "", false, f
		}
		return l.imapNext(tag, "AUTHENTICATE")
	}
	if f := l.send(cmd); f != nil {
		return "", false, f
	}
	line, cont, f = l.imapNext(tag, "AUTHENTICATE")
	if f != nil || !cont {
		return line, false, f
	}
	if f := l.sendSecret(resp, redacted); f != nil {
		return "", false, f
	}
	return l.imapNext(tag, "AUTHENTICATE")
}

// imapLoginCommand sends LOGIN with the user name and password as quoted
// strings, or as literals when they hold 8-bit characters (RFC 9051 §4.3).
// A synchronising literal waits for the server's continuation; LITERAL+
// (RFC 7888) and LITERAL- for literals up to 4096 octets do not.
func (l *lineConn) imapLoginCommand(tag string, caps []string) *failure {
	a := l.p.login
	nonSync := func(n int) bool {
		return hasFold(caps, "LITERAL+") || (hasFold(caps, "LITERAL-") && n <= 4096)
	}
	type wireLine struct {
		wire, shown string
		sync        bool // a synchronising literal ends the line
	}
	var out []wireLine
	wire, shown := tag+" LOGIN ", tag+" LOGIN "
	arg := func(v string, secret bool) {
		if q, ok := imapQuote(v); ok {
			wire += q
			if secret {
				q = redacted
			}
			shown += q
			return
		}
		plus := ""
		if nonSync(len(v)) {
			plus = "+"
		}
		ann := fmt.Sprintf("{%d%s}", len(v), plus)
		wire += ann
		if secret {
			ann = redacted
		}
		shown += ann
		out = append(out, wireLine{wire, shown, plus == ""})
		wire, shown = v, v
		if secret {
			shown = redacted
		}
	}
	arg(a.user, false)
	wire += " "
	shown += " "
	arg(a.pass, true)
	out = append(out, wireLine{wire, shown, false})

	for _, w := range out {
		if f := l.sendSecret(w.wire, w.shown); f != nil {
			return f
		}
		if !w.sync {
			continue
		}
		line, cont, f := l.imapNext(tag, "LOGIN")
		if f != nil {
			return f
		}
		if !cont {
			return l.imapAuthResult(line) // the server refused the literal
		}
	}
	line, cont, f := l.imapNext(tag, "LOGIN")
	if f != nil {
		return f
	}
	if cont {
		return fail(StatusProtocolError, nil, "unexpected continuation request after LOGIN")
	}
	return l.imapAuthResult(line)
}

// imapQuote returns s as an IMAP quoted string, or false when s needs a
// literal (RFC 9051 §4.3: quoted strings hold 7-bit text without CR or LF;
// backslash and double quote are escaped).
func imapQuote(s string) (string, bool) {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0 || c == '\r' || c == '\n' || c >= 0x80:
			return "", false
		case c == '"' || c == '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String(), true
}

// imapNext reads until a continuation request ("+ ...") or the tagged
// response to tag, skipping untagged data.
func (l *lineConn) imapNext(tag, cmd string) (line string, cont bool, f *failure) {
	for range maxLines {
		line, f := l.readLine("reading IMAP " + cmd + " response")
		if f != nil {
			return "", false, f
		}
		switch {
		case line == "+" || strings.HasPrefix(line, "+ "):
			return line, true, nil
		case strings.HasPrefix(line, tag+" "):
			return line, false, nil
		case strings.HasPrefix(line, "* "):
			if f := l.imapBye(line); f != nil {
				return "", false, f
			}
		default:
			return "", false, fail(StatusProtocolError, nil, "unexpected IMAP response to %s%s", cmd, l.said(line))
		}
	}
	return "", false, fail(StatusProtocolError, nil, "no tagged %s response after %d lines", cmd, maxLines)
}

// imapAuthResult concludes an attempt from the tagged response to LOGIN or
// AUTHENTICATE (RFC 9051 §6.2.2, §6.2.3; response codes of RFC 5530).
func (l *lineConn) imapAuthResult(line string) *failure {
	a := l.p.login
	kind, code, text := parseIMAPStatus(line)
	switch kind {
	case "OK":
		return a.accept()
	case "NO":
		if c, _, _ := strings.Cut(code, " "); strings.EqualFold(c, "UNAVAILABLE") {
			return fail(StatusProtocolError, nil, "%s failed temporarily (UNAVAILABLE)%s", a.mech, l.said(text))
		}
		return a.reject(l.said(text))
	}
	return fail(StatusProtocolError, nil, "%s: server answered %s%s", a.mech, kind, l.said(text))
}

// saslCancel answers an unexpected SASL challenge with "*" (RFC 9051
// §6.2.2, RFC 5034 §4, RFC 4954 §4): PLAIN and LOGIN have nothing more to
// send. readEnd reads the server's final answer.
func (l *lineConn) saslCancel(readEnd func() *failure) *failure {
	if f := l.send("*"); f != nil {
		return f
	}
	if f := readEnd(); f != nil {
		return f
	}
	return fail(StatusProtocolError, nil, "server asked for more than %s sends; authentication cancelled", l.p.login.mech)
}

// pop3Login authenticates (RFC 5034, RFC 1939 §7).
func (l *lineConn) pop3Login() *failure {
	a := l.p.login
	caps := l.p.res.Capabilities
	switch {
	case a.token != "":
		return l.pop3OAuth()
	case !slices.Contains(l.p.res.SASL, "PLAIN") && len(caps) > 0 && !slices.ContainsFunc(caps, func(c string) bool {
		return strings.EqualFold(strings.Fields(c + " x")[0], "USER")
	}):
		// RFC 2449 §6.2: without the USER capability, USER/PASS is not offered.
		return fail(StatusProtocolError, nil, "server offers no password mechanism (no SASL PLAIN, no USER)").as(ErrNoMechanism)
	}
	if !slices.Contains(l.p.res.SASL, "PLAIN") {
		a.mech = "USER/PASS"
		if f := l.sendSecret("USER "+a.user, "USER "+a.user); f != nil {
			return f
		}
		line, f := l.readLine("reading POP3 USER response")
		if f != nil {
			return f
		}
		if !okPOP3(line) {
			return l.pop3AuthResult(line)
		}
		if f := l.sendSecret("PASS "+a.pass, "PASS "+redacted); f != nil {
			return f
		}
		line, f = l.readLine("reading POP3 PASS response")
		if f != nil {
			return f
		}
		return l.pop3AuthResult(line)
	}

	a.mech = "AUTH PLAIN"
	resp := saslPlain(a.user, a.pass)
	// RFC 5034 §4: no initial response when it would make the command
	// longer than 255 octets (RFC 2449 §4), CRLF included.
	if cmd := "AUTH PLAIN " + resp; len(cmd)+2 <= 255 {
		if f := l.sendSecret(cmd, "AUTH PLAIN "+redacted); f != nil {
			return f
		}
	} else {
		if f := l.send("AUTH PLAIN"); f != nil {
			return f
		}
		line, f := l.readLine("reading POP3 AUTH response")
		if f != nil {
			return f
		}
		if !strings.HasPrefix(line, "+ ") && line != "+" {
			return l.pop3AuthResult(line)
		}
		if f := l.sendSecret(resp, redacted); f != nil {
			return f
		}
	}
	line, f := l.readLine("reading POP3 AUTH response")
	if f != nil {
		return f
	}
	if line == "+" || strings.HasPrefix(line, "+ ") {
		return l.saslCancel(func() *failure { _, f := l.readLine("reading POP3 AUTH response"); return f })
	}
	return l.pop3AuthResult(line)
}

// pop3AuthResult concludes an attempt from a POP3 status line. The
// response codes of RFC 2449 §8 and RFC 3206 other than AUTH and SYS/PERM
// say the server could not check the credentials now: no verdict.
func (l *lineConn) pop3AuthResult(line string) *failure {
	a := l.p.login
	if okPOP3(line) {
		return a.accept()
	}
	text, ok := strings.CutPrefix(line, "-ERR")
	if !ok {
		return fail(StatusProtocolError, nil, "unexpected POP3 response to %s%s", a.mech, l.said(line))
	}
	text = strings.TrimPrefix(text, " ")
	if strings.HasPrefix(text, "[") {
		code, _, _ := strings.Cut(strings.TrimPrefix(text, "["), "]")
		switch strings.ToUpper(code) {
		case "SYS/TEMP", "IN-USE", "LOGIN-DELAY":
			return fail(StatusProtocolError, nil, "%s failed temporarily (%s)%s", a.mech, strings.ToUpper(code), l.said(text))
		}
	}
	return a.reject(l.said(text))
}

// smtpLogin authenticates (RFC 4954).
func (l *lineConn) smtpLogin(tp *textproto.Reader) *failure {
	a := l.p.login
	sasl := l.p.res.SASL
	switch {
	case a.token != "":
		return l.smtpOAuth(tp)
	case slices.Contains(sasl, "PLAIN"):
		a.mech = "AUTH PLAIN"
		// RFC 4954 §4: the initial response may always be sent.
		if f := l.sendSecret("AUTH PLAIN "+saslPlain(a.user, a.pass), "AUTH PLAIN "+redacted); f != nil {
			return f
		}
	case slices.Contains(sasl, "LOGIN"):
		// The LOGIN mechanism (draft-murchison-sasl-login): the user name
		// and the password, each in answer to a 334 challenge.
		a.mech = "AUTH LOGIN"
		if f := l.send("AUTH LOGIN"); f != nil {
			return f
		}
		for _, v := range []string{a.user, a.pass} {
			code, msg, f := l.smtpAny(tp, "reading SMTP AUTH reply")
			if f != nil {
				return f
			}
			if code != 334 {
				return l.smtpAuthResult(code, msg)
			}
			if f := l.sendSecret(base64.StdEncoding.EncodeToString([]byte(v)), redacted); f != nil {
				return f
			}
		}
	default:
		return fail(StatusProtocolError, nil, "server offers no password mechanism (AUTH PLAIN or LOGIN)").as(ErrNoMechanism)
	}
	code, msg, f := l.smtpAny(tp, "reading SMTP AUTH reply")
	if f != nil {
		return f
	}
	if code == 334 {
		return l.saslCancel(func() *failure { _, _, f := l.smtpAny(tp, "reading SMTP AUTH reply"); return f })
	}
	return l.smtpAuthResult(code, msg)
}

// smtpAuthResult concludes an attempt from the reply to AUTH (RFC 4954
// §4, §6): 235 accepts, 535 rejects the credentials; anything else (454
// temporary failure, 534 mechanism too weak, 538 encryption required...)
// gives no verdict.
func (l *lineConn) smtpAuthResult(code int, msg string) *failure {
	a := l.p.login
	first, _, _ := strings.Cut(msg, "\n")
	switch code {
	case 235:
		return a.accept()
	case 535:
		return a.reject(fmt.Sprintf(" %d%s", code, l.said(first)))
	}
	return fail(StatusProtocolError, nil, "%s: server replied %d%s", a.mech, code, l.said(first))
}

// smtpAny reads a reply whatever its code.
func (l *lineConn) smtpAny(tp *textproto.Reader, what string) (int, string, *failure) {
	code, msg, err := tp.ReadResponse(0)
	if err != nil {
		_, f := l.smtpReplyErr(err, what)
		return 0, "", f
	}
	return code, msg, nil
}

// authCaps are the AUTH= capabilities of an IMAP server.
func authCaps(caps []string) []string {
	var out []string
	for _, c := range caps {
		if len(c) > 5 && strings.EqualFold(c[:5], "AUTH=") {
			out = append(out, c)
		}
	}
	return out
}
