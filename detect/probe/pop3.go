package probe

import (
	"net"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// POP3 is spoken by hand (RFC 1939, CAPA from RFC 2449, STLS from RFC 2595):
// it is a few lines, and no POP3 client library is among the dependencies.

func (p *prober) pop3() *failure {
	switch p.t.Security {
	case autoconfig.TLS:
		tc, f := p.handshake(nil)
		if f != nil {
			return f
		}
		defer tc.Close()
		return p.lines(tc, "POP3").pop3Session(true)
	case autoconfig.Plain:
		return p.lines(p.conn, "POP3").pop3Session(true)
	}

	l := p.lines(p.conn, "POP3")
	if _, f := l.pop3Greeting(); f != nil {
		return f
	}
	capa, f := l.pop3Capa()
	if f != nil {
		return f
	}
	// A server without CAPA (RFC 2449) cannot advertise STLS.
	return p.startTLS(l, upgrade{
		verb:    "STLS",
		offered: hasKeyword(capa, "STLS"),
		command: "STLS",
		answer: func() (string, *failure) {
			line, f := l.readLine("reading POP3 STLS response")
			if f != nil {
				return "", f
			}
			if !okPOP3(line) {
				return "-ERR", nil
			}
			return "", nil
		},
		session: func(tc net.Conn) *failure { return p.lines(tc, "POP3").pop3Session(false) },
	})
}

// pop3Greeting reads the greeting.
func (l *lineConn) pop3Greeting() (string, *failure) {
	line, f := l.readLine("reading POP3 greeting")
	if f != nil {
		return "", f
	}
	if !okPOP3(line) { // RFC 1939 §4: the greeting is a positive response
		return "", fail(StatusProtocolError, nil, "unexpected POP3 greeting%s", l.said(line))
	}
	return clean(line), nil
}

// pop3Session reads the greeting (when greet), the capabilities and quits.
func (l *lineConn) pop3Session(greet bool) *failure {
	p := l.p
	if greet {
		g, f := l.pop3Greeting()
		if f != nil {
			return f
		}
		p.res.Greeting = g
	}
	capa, f := l.pop3Capa()
	if f != nil {
		return f
	}
	p.res.Capabilities = capa
	for _, c := range capa {
		if rest, ok := cutFold(c, "SASL "); ok { // RFC 2449 §6.3
			for _, m := range strings.Fields(rest) {
				p.res.SASL = appendNew(p.res.SASL, strings.ToUpper(m))
			}
		}
	}
	if p.t.Security == autoconfig.Plain {
		p.res.STARTTLSOffered = hasKeyword(capa, "STLS")
	}
	var loginErr *failure
	if p.login != nil {
		loginErr = l.pop3Login()
	}
	p.goodbye()
	if l.send("QUIT") == nil { // RFC 1939 §6
		_, _ = l.readLine("reading POP3 QUIT response")
	}
	return loginErr
}

// pop3Capa issues CAPA (RFC 2449 §5) and returns the capability lines; nil
// when the server answers -ERR (it predates CAPA).
func (l *lineConn) pop3Capa() ([]string, *failure) {
	if f := l.send("CAPA"); f != nil {
		return nil, f
	}
	line, f := l.readLine("reading POP3 CAPA response")
	if f != nil {
		return nil, f
	}
	if strings.HasPrefix(line, "-ERR") {
		return nil, nil
	}
	if !okPOP3(line) {
		return nil, fail(StatusProtocolError, nil, "unexpected POP3 CAPA response%s", l.said(line))
	}
	var capa []string
	for range maxLines {
		line, f := l.readLine("reading POP3 CAPA list")
		if f != nil {
			return nil, f
		}
		if line == "." { // RFC 1939 §3: end of a multi-line response
			return capa, nil
		}
		line = strings.TrimPrefix(line, ".") // RFC 1939 §3: byte-stuffing
		capa = append(capa, clean(line))
	}
	return nil, fail(StatusProtocolError, nil, "POP3 CAPA list longer than %d lines", maxLines)
}

func okPOP3(line string) bool {
	return line == "+OK" || strings.HasPrefix(line, "+OK ")
}

// hasKeyword reports whether a capability line starts with keyword.
func hasKeyword(lines []string, keyword string) bool {
	for _, l := range lines {
		k, _, _ := strings.Cut(l, " ")
		if strings.EqualFold(k, keyword) {
			return true
		}
	}
	return false
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
