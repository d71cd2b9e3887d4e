package probe

import (
	"net"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// IMAP is spoken by hand (RFC 9051, RFC 3501): the probe needs only the
// greeting, CAPABILITY, STARTTLS and LOGOUT. go-imap's imapclient does not
// fit: NewStartTLS neither checks that STARTTLS is advertised nor rejects
// bytes pipelined after the server's OK (it feeds them to TLS); New waits for
// a greeting, which never comes after STARTTLS; the greeting text is not
// exposed and capabilities come back as an unordered set; and the client
// resets connection deadlines and runs goroutines of its own (one sends
// CAPABILITY in the background after the greeting).

// maxLines bounds the lines read while waiting for one response.
const maxLines = 1000

func (p *prober) imap() *failure {
	switch p.t.Security {
	case autoconfig.TLS:
		tc, f := p.handshake(nil)
		if f != nil {
			return f
		}
		defer tc.Close()
		return p.imapSession(tc, false)
	case autoconfig.Plain:
		return p.imapSession(p.conn, false)
	default:
		return p.imapStartTLS()
	}
}

// imapStartTLS speaks the plaintext part of IMAP STARTTLS, failing closed.
func (p *prober) imapStartTLS() *failure {
	l := p.lines(p.conn, "IMAP")
	line, f := l.readLine("reading IMAP greeting")
	if f != nil {
		return f
	}
	// Only the kind and the capabilities are read from the plaintext
	// greeting; its text is in the transcript alone.
	kind, code, _ := parseIMAPStatus(line)
	switch kind {
	case "OK":
	case "PREAUTH":
		// RFC 9051 §6.2.1 (STARTTLS is valid only before authentication)
		// and §7.1.4: a PREAUTH greeting in cleartext would keep the session
		// in plaintext; refuse it (EAST; CVE-2020-12398 and kin).
		return fail(StatusProtocolError, nil, "server greeted with PREAUTH before STARTTLS, which would leave the session in plaintext").as(ErrPreauth)
	case "BYE":
		return fail(StatusProtocolError, nil, "server refused the connection (BYE)")
	default:
		return fail(StatusProtocolError, nil, "unexpected IMAP greeting")
	}

	caps := capabilityCode(code)
	if caps == nil {
		if caps, f = l.imapCapability("a1"); f != nil {
			return f
		}
	}
	return p.startTLS(l, upgrade{
		verb:    "STARTTLS",
		offered: hasFold(caps, "STARTTLS"),
		command: "a2 STARTTLS",
		answer: func() (string, *failure) {
			tagged, f := l.imapTagged("a2", "STARTTLS")
			if f != nil {
				return "", f
			}
			if kind, _, _ := parseIMAPStatus(tagged); kind != "OK" {
				return kind, nil
			}
			return "", nil
		},
		session: func(tc net.Conn) *failure { return p.imapSession(tc, true) },
	})
}

// imapSession reads the greeting (none follows STARTTLS) and the
// capabilities, then logs out.
func (p *prober) imapSession(c net.Conn, afterSTARTTLS bool) *failure {
	l := p.lines(c, "IMAP")
	var caps []string
	if !afterSTARTTLS {
		line, f := l.readLine("reading IMAP greeting")
		if f != nil {
			return f
		}
		kind, code, text := parseIMAPStatus(line)
		switch kind {
		case "OK":
		case "PREAUTH": // acceptable over TLS (and is recorded for Plain)
			p.preauth = true
		case "BYE":
			return fail(StatusProtocolError, nil, "server refused the connection:%s", l.said(text))
		default:
			return fail(StatusProtocolError, nil, "unexpected IMAP greeting%s", l.said(line))
		}
		p.res.Greeting = clean(line)
		caps = capabilityCode(code) // RFC 9051 §7.1: a greeting may carry them
	}
	if caps == nil {
		var f *failure
		if caps, f = l.imapCapability("b1"); f != nil {
			return f
		}
	}
	p.res.Capabilities = caps
	for _, c := range caps {
		if m, ok := cutFold(c, "AUTH="); ok {
			p.res.SASL = appendNew(p.res.SASL, strings.ToUpper(m))
		}
	}
	p.res.LoginDisabled = hasFold(caps, "LOGINDISABLED") // RFC 9051 §6.2.3
	if p.t.Security == autoconfig.Plain {
		p.res.STARTTLSOffered = hasFold(caps, "STARTTLS")
	}

	tag := "b2"
	var loginErr *failure
	if p.login != nil {
		loginErr, tag = l.imapLogin("b2", caps), "b3"
	}
	p.goodbye()
	if l.send(tag+" LOGOUT") == nil { // RFC 9051 §6.1.3; the answer does not matter
		_, _ = l.imapTagged(tag, "LOGOUT")
	}
	return loginErr
}

// imapCapability sends CAPABILITY with tag and collects the untagged
// CAPABILITY data until the tagged response.
func (l *lineConn) imapCapability(tag string) ([]string, *failure) {
	if f := l.send(tag + " CAPABILITY"); f != nil {
		return nil, f
	}
	caps := []string{}
	for range maxLines {
		line, f := l.readLine("reading IMAP CAPABILITY response")
		if f != nil {
			return nil, f
		}
		if rest, ok := cutFold(line, "* CAPABILITY "); ok {
			caps = appendCaps(caps, rest)
			continue
		}
		if f := l.imapBye(line); f != nil {
			return nil, f
		}
		if strings.HasPrefix(line, tag+" ") {
			if kind, _, text := parseIMAPStatus(line); kind != "OK" {
				return nil, fail(StatusProtocolError, nil, "CAPABILITY failed: %s%s", kind, l.said(text))
			}
			return caps, nil
		}
		if !strings.HasPrefix(line, "* ") {
			return nil, fail(StatusProtocolError, nil, "unexpected IMAP response to CAPABILITY%s", l.said(line))
		}
	}
	return nil, fail(StatusProtocolError, nil, "no tagged CAPABILITY response after %d lines", maxLines)
}

// imapTagged reads until the tagged response to the command tag, ignoring
// untagged data (which, in plaintext, is never shown to anyone).
func (l *lineConn) imapTagged(tag, cmd string) (string, *failure) {
	for range maxLines {
		line, f := l.readLine("reading IMAP " + cmd + " response")
		if f != nil {
			return "", f
		}
		if f := l.imapBye(line); f != nil {
			return "", f
		}
		if strings.HasPrefix(line, tag+" ") {
			return line, nil
		}
		if !strings.HasPrefix(line, "* ") {
			return "", fail(StatusProtocolError, nil, "unexpected IMAP response to %s%s", cmd, l.said(line))
		}
	}
	return "", fail(StatusProtocolError, nil, "no tagged %s response after %d lines", cmd, maxLines)
}

func (l *lineConn) imapBye(line string) *failure {
	if strings.HasPrefix(line, "* ") {
		if kind, _, text := parseIMAPStatus(line); kind == "BYE" {
			return fail(StatusProtocolError, nil, "server closed the session%s", l.said(text))
		}
	}
	return nil
}

// parseIMAPStatus splits a status response, untagged ("* OK [code] text") or
// tagged ("a1 NO text"), into its upper-cased kind, its response code (without
// brackets) and its text.
func parseIMAPStatus(line string) (kind, code, text string) {
	_, rest, ok := strings.Cut(line, " ") // tag or "*"
	if !ok {
		return "", "", ""
	}
	kind, rest, _ = strings.Cut(rest, " ")
	kind = strings.ToUpper(kind)
	if strings.HasPrefix(rest, "[") {
		if end := strings.IndexByte(rest, ']'); end > 0 {
			code, rest = rest[1:end], strings.TrimPrefix(rest[end+1:], " ")
		}
	}
	return kind, code, rest
}

// capabilityCode returns the capabilities of a "CAPABILITY ..." response
// code, or nil when code is another one.
func capabilityCode(code string) []string {
	rest, ok := cutFold(code, "CAPABILITY ")
	if !ok {
		return nil
	}
	return appendCaps([]string{}, rest)
}

// appendCaps adds the space-separated capabilities of list, in order,
// without duplicates (compared case-insensitively).
func appendCaps(caps []string, list string) []string {
	for _, c := range strings.Fields(list) {
		if !hasFold(caps, c) {
			caps = append(caps, clean(c))
		}
	}
	return caps
}

func hasFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// cutFold is strings.CutPrefix with an ASCII case-insensitive prefix.
func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}
