package probe

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/textproto"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// SMTP is spoken with net/textproto rather than go-smtp's Client: the
// Client keeps the EHLO keyword list and the greeting private (only
// Extension(name) lookups), so the capabilities could not be reported as the
// server listed them, and NewClientStartTLS silently drops bytes pipelined
// after the 220 instead of reporting them.

func (p *prober) smtp() *failure {
	switch p.t.Security {
	case autoconfig.TLS:
		tc, f := p.handshake(nil)
		if f != nil {
			return f
		}
		defer tc.Close()
		return p.smtpSession(tc, true)
	case autoconfig.Plain:
		return p.smtpSession(p.conn, true)
	}

	l := p.lines(p.conn, "SMTP")
	tp := textproto.NewReader(l.br) // reads l.br itself, so startTLS sees what is buffered
	if _, f := l.smtpReply(tp, 220, "reading SMTP greeting"); f != nil {
		return f
	}
	ehlo, f := l.smtpEHLO(tp)
	if f != nil {
		return f
	}
	return p.startTLS(l, upgrade{
		verb:    "STARTTLS",
		offered: hasKeyword(ehlo, "STARTTLS"),
		command: "STARTTLS",
		answer: func() (string, *failure) {
			// RFC 3207 §4: only 220 starts the negotiation; 454, 501 and
			// anything else end the probe.
			_, _, err := tp.ReadResponse(220)
			var te *textproto.Error
			switch {
			case err == nil:
				return "", nil
			case errors.As(err, &te):
				return fmt.Sprintf("server replied %d", te.Code), nil
			}
			_, f := l.smtpReplyErr(err, "reading the STARTTLS reply")
			return "", f
		},
		session: func(tc net.Conn) *failure { return p.smtpSession(tc, false) },
	})
}

// smtpSession reads the greeting (when greet) and the EHLO keywords, then
// quits.
func (p *prober) smtpSession(c net.Conn, greet bool) *failure {
	l := p.lines(c, "SMTP")
	tp := textproto.NewReader(l.br)
	if greet {
		g, f := l.smtpReply(tp, 220, "reading SMTP greeting") // RFC 5321 §4.2: 554 refuses
		if f != nil {
			return f
		}
		first, _, _ := strings.Cut(g, "\n")
		p.res.Greeting = clean("220 " + first)
	}
	ehlo, f := l.smtpEHLO(tp)
	if f != nil {
		return f
	}
	p.res.Capabilities = ehlo
	for _, line := range ehlo {
		// RFC 4954 §3 "AUTH mech ..."; also the pre-standard "AUTH=mech ...".
		rest, ok := cutFold(line, "AUTH ")
		if !ok {
			rest, ok = cutFold(line, "AUTH=")
		}
		if ok {
			for _, m := range strings.Fields(rest) {
				p.res.SASL = appendNew(p.res.SASL, strings.ToUpper(m))
			}
		}
	}
	if p.t.Security == autoconfig.Plain {
		p.res.STARTTLSOffered = hasKeyword(ehlo, "STARTTLS")
	}
	var loginErr *failure
	if p.login != nil {
		loginErr = l.smtpLogin(tp)
	}
	p.goodbye()
	if l.send("QUIT") == nil { // RFC 5321 §4.1.1.10
		_, _ = l.smtpReply(tp, 221, "reading SMTP QUIT reply")
	}
	return loginErr
}

// smtpEHLO sends EHLO and returns the keyword lines (the lines after the
// first) of the 250 reply.
func (l *lineConn) smtpEHLO(tp *textproto.Reader) ([]string, *failure) {
	name, f := l.clientName()
	if f != nil {
		return nil, f
	}
	if f := l.send("EHLO " + name); f != nil {
		return nil, f
	}
	// No HELO fallback: without EHLO there is neither STARTTLS nor AUTH
	// (RFC 5321 §4.1.1.1), so such a server is of no use to a mail client.
	msg, f := l.smtpReply(tp, 250, "EHLO rejected")
	if f != nil {
		return nil, f
	}
	lines := strings.Split(msg, "\n")
	var ehlo []string
	for _, line := range lines[1:] {
		if line = clean(strings.TrimSpace(line)); line != "" {
			ehlo = append(ehlo, line)
		}
	}
	return ehlo, nil
}

// smtpReply reads a (multi-line) reply and requires the code want.
func (l *lineConn) smtpReply(tp *textproto.Reader, want int, what string) (string, *failure) {
	_, msg, err := tp.ReadResponse(want)
	if err == nil {
		return msg, nil
	}
	return l.smtpReplyErr(err, what)
}

// smtpReplyErr describes an error of textproto.Reader.ReadResponse. The
// server's text is quoted only over verified TLS (see lineConn.said).
func (l *lineConn) smtpReplyErr(err error, what string) (string, *failure) {
	var te *textproto.Error
	if errors.As(err, &te) {
		first, _, _ := strings.Cut(te.Msg, "\n")
		return "", fail(StatusProtocolError, nil, "%s: server replied %d%s", what, te.Code, l.said(first))
	}
	var pe textproto.ProtocolError
	if errors.As(err, &pe) {
		return "", fail(StatusProtocolError, nil, "%s: malformed SMTP reply%s", what, l.said(string(pe)))
	}
	return "", l.p.netFail(err, what)
}

// clientName is the EHLO argument: Options.ClientName, or the address
// literal of the local end (RFC 5321 §4.1.3).
func (l *lineConn) clientName() (string, *failure) {
	if n := l.p.o.ClientName; n != "" {
		if strings.ContainsAny(n, " \t\r\n") {
			return "", fail(StatusProtocolError, nil, "invalid EHLO name %q (Options.ClientName)", n)
		}
		return n, nil
	}
	ap, err := netip.ParseAddrPort(l.p.conn.LocalAddr().String())
	if err != nil {
		return "[127.0.0.1]", nil // not a TCP connection (a test pipe): any literal will do
	}
	if ip := ap.Addr().Unmap(); ip.Is4() {
		return fmt.Sprintf("[%s]", ip), nil
	}
	return fmt.Sprintf("[IPv6:%s]", ap.Addr().WithZone("")), nil
}
