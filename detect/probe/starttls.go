package probe

import (
	"errors"
	"net"
)

// upgrade is what one protocol's STARTTLS needs; [prober.startTLS] runs the
// sequence the same way for IMAP, POP3 and SMTP.
type upgrade struct {
	// verb names the command for people: "STARTTLS", or "STLS" for POP3.
	verb string
	// offered says whether the plaintext capabilities advertised verb.
	offered bool
	// command is the line to send ("a2 STARTTLS", "STLS", "STARTTLS").
	command string
	// answer reads the server's answer to command. It returns "" when the
	// server accepted, else the refusal in a few words ("NO", "server
	// replied 454"), never quoting the server's plaintext text; or a
	// failure when the answer could not be read.
	answer func() (refusal string, f *failure)
	// session runs the rest of the probe over the verified TLS connection.
	// It must ask the capabilities again: what was learnt in plaintext is
	// discarded (RFC 2595 §3.1 and §4, RFC 3207 §4.2, RFC 9051 §6.2.1).
	session func(net.Conn) *failure
}

// startTLS runs STARTTLS over the plaintext line reader l, failing closed:
//
//   - a verb that was not advertised is ErrSTARTTLSMissing and nothing is
//     sent (RFC 8314 §5.2, RFC 2595 §3.1 and §4, RFC 3207 §4: no plaintext
//     fallback);
//   - any answer but the positive one (IMAP NO or BAD, POP3 -ERR, SMTP 454
//     or anything but 220) is ErrSTARTTLSRefused: advertised, then
//     refused, the stripping signature;
//   - bytes the server sent after its answer and before the TLS handshake
//     are discarded (RFC 3207 §4.2, RFC 2595 §3.1: everything from before
//     the handshake is discarded) and counted in Result.STARTTLSInjected
//     (EAST response injection, CVE-2021-22947 in curl);
//   - the handshake runs on the raw connection and the certificate is
//     verified as for implicit TLS; then session asks the capabilities
//     again over TLS.
func (p *prober) startTLS(l *lineConn, u upgrade) *failure {
	if !u.offered {
		return fail(StatusProtocolError, nil, "%s not offered", u.verb).as(ErrSTARTTLSMissing)
	}
	p.res.STARTTLSOffered = true
	if f := l.send(u.command); f != nil {
		return f
	}
	refusal, f := u.answer()
	if f != nil {
		return f
	}
	if refusal != "" {
		return fail(StatusProtocolError, nil, "%s was advertised, then refused (%s)", u.verb, refusal).as(ErrSTARTTLSRefused)
	}
	// What the line reader holds beyond the answer arrived in plaintext
	// after it: discard it. It is in the transcript already, marked
	// BeforeTLS (recConn sits below the reader).
	injected, _ := l.br.Discard(l.br.Buffered())
	sk := &skipText{Conn: p.conn, rec: &recConn{tr: p.tr, beforeTLS: true}}
	p.tr.note("%s accepted; what was said before is discarded", u.verb)
	tc, f := p.handshake(sk)
	p.res.STARTTLSInjected = injected + sk.skipped
	if n := p.res.STARTTLSInjected; n > 0 {
		p.tr.note("%d bytes sent after the %s answer and before the TLS handshake were discarded", n, u.verb)
		p.log.Debug("STARTTLS response injection discarded", "bytes", n)
	}
	if f != nil {
		return f
	}
	defer tc.Close()
	return u.session(tc)
}

// maxSkipped bounds the plaintext skipText discards before giving up.
const maxSkipped = 64 << 10

// errNotTLS: the server sent more than maxSkipped bytes of plaintext where
// the TLS handshake should be.
var errNotTLS = errors.New("probe: no TLS record after the STARTTLS answer")

// skipText is the raw connection under a STARTTLS handshake. Until the
// first TLS record it discards what the server sends: a server (or someone
// on the path) may send bytes after the STARTTLS answer, and when they
// arrive after the probe read that answer they would otherwise break the
// handshake. A TLS record begins with its content type, 20 to 23 (RFC 8446
// §5.1, RFC 5246 §6.2.1), control characters that text never holds, so
// everything before the first such byte is discarded. The discarded bytes
// go to the transcript, marked BeforeTLS, and never into the TLS stream.
type skipText struct {
	net.Conn
	rec     *recConn
	skipped int
	tls     bool // the first TLS record has begun
}

func (s *skipText) Read(b []byte) (int, error) {
	for !s.tls {
		n, err := s.Conn.Read(b)
		i := 0
		for ; i < n; i++ {
			if c := b[i]; c >= 20 && c <= 23 {
				s.tls = true
				break
			}
		}
		s.rec.feed(b[:i])
		s.skipped += i
		if s.tls {
			s.rec.flush()
			return copy(b, b[i:n]), err
		}
		if err != nil {
			s.rec.flush()
			return 0, err
		}
		if s.skipped > maxSkipped {
			s.rec.flush()
			return 0, errNotTLS
		}
	}
	return s.Conn.Read(b)
}
