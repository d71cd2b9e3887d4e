package mailserver

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"
)

// sniffMax bounds the plain text a sniffer buffers while waiting for the end of
// a command.
const sniffMax = 64 << 10

// sniffer watches the plain-text command stream of a STARTTLS connection for
// credentials that the protocol library refuses before they reach the backend:
// IMAP LOGIN and AUTHENTICATE PLAIN with an initial response while
// LOGINDISABLED, and SMTP AUTH PLAIN/LOGIN with an initial response before TLS.
// A credential that arrives that way has crossed the wire in plain text, and
// the lab must be able to prove it did.
//
// It stops for good at the first line that does not start with printable
// ASCII: the TLS handshake after STARTTLS (a record starts with 0x16).
type sniffer struct {
	proto  Protocol
	record func(mech, user, pass string)
	buf    []byte
	off    bool
}

// feed shows the sniffer bytes the client sent.
func (sn *sniffer) feed(p []byte) {
	if sn.off {
		return
	}
	sn.buf = append(sn.buf, p...)
	for !sn.off && len(sn.buf) > 0 {
		if c := sn.buf[0]; (c < 0x20 || c > 0x7e) && c != '\r' && c != '\n' {
			sn.stop()
			return
		}
		var n int
		if sn.proto == IMAP {
			n = sn.imap()
		} else {
			n = sn.smtp()
		}
		if n == 0 {
			break
		}
		sn.buf = append(sn.buf[:0], sn.buf[n:]...)
	}
	if len(sn.buf) > sniffMax {
		sn.stop()
	}
}

func (sn *sniffer) stop() {
	sn.off, sn.buf = true, nil
}

// smtp looks at one command line; it returns the bytes consumed, or 0 when the
// line is not complete yet.
func (sn *sniffer) smtp() int {
	i := bytes.IndexByte(sn.buf, '\n')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(sn.buf[:i]))
	if len(fields) >= 3 && strings.EqualFold(fields[0], "AUTH") {
		sn.saslIR(strings.ToUpper(fields[1]), fields[2])
	}
	return i + 1
}

// imap looks at one command, literals included; it returns the bytes
// consumed, or 0 when the command is not complete yet.
func (sn *sniffer) imap() int {
	fields, n, ok := imapFields(sn.buf)
	if !ok {
		if n < 0 {
			sn.stop()
		}
		return 0
	}
	if len(fields) >= 4 && strings.EqualFold(fields[1], "LOGIN") {
		sn.record("LOGIN", fields[2], fields[3])
	}
	if len(fields) >= 4 && strings.EqualFold(fields[1], "AUTHENTICATE") {
		sn.saslIR(strings.ToUpper(fields[2]), fields[3])
	}
	return n
}

// saslIR records the credential in a SASL initial response.
func (sn *sniffer) saslIR(mech, ir string) {
	resp, err := decodeSASL(ir)
	if err != nil {
		return
	}
	switch mech {
	case "PLAIN":
		if _, user, pass, ok := parsePlain(resp); ok {
			sn.record("PLAIN", user, pass)
		}
	case "LOGIN":
		sn.record("LOGIN", string(resp), "")
	}
}

// imapFields splits the first IMAP command in b into atoms, quoted strings and
// literals (RFC 9051 section 4.3), with literal contents inlined. ok is false
// when b does not hold a whole command yet; n is then -1 if the command is
// too large to wait for.
func imapFields(b []byte) (fields []string, n int, ok bool) {
	i := 0
	for {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		if i >= len(b) {
			return nil, 0, false
		}
		switch b[i] {
		case '\n':
			return fields, i + 1, true
		case '\r':
			i++
		case '"':
			var s strings.Builder
			j := i + 1
			for ; j < len(b) && b[j] != '"' && b[j] != '\r' && b[j] != '\n'; j++ {
				if b[j] == '\\' && j+1 < len(b) {
					j++
				}
				s.WriteByte(b[j])
			}
			if j >= len(b) {
				return nil, 0, false
			}
			if b[j] == '"' {
				j++
			}
			fields = append(fields, s.String())
			i = j
		default:
			j := i
			for j < len(b) && b[j] != ' ' && b[j] != '\r' && b[j] != '\n' {
				j++
			}
			atom := string(b[i:j])
			if size, ok := literalSize(atom); ok && j < len(b) {
				// {n} or {n+}, then CRLF, then n octets.
				k := j
				if b[k] == '\r' {
					k++
				}
				if k >= len(b) {
					return nil, 0, false
				}
				if b[k] == '\n' {
					if size > sniffMax {
						return nil, -1, false
					}
					k++
					if len(b)-k < size {
						return nil, 0, false
					}
					fields = append(fields, string(b[k:k+size]))
					i = k + size
					continue
				}
			}
			fields = append(fields, atom)
			i = j
		}
	}
}

// literalSize parses "{n}" or "{n+}".
func literalSize(atom string) (int, bool) {
	if len(atom) < 3 || atom[0] != '{' || atom[len(atom)-1] != '}' {
		return 0, false
	}
	digits := strings.TrimSuffix(atom[1:len(atom)-1], "+")
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// decodeSASL decodes a base64 SASL response; "=" is the empty response
// (RFC 4959 section 3, RFC 4954 section 4).
func decodeSASL(s string) ([]byte, error) {
	if s == "=" {
		return []byte{}, nil
	}
	return base64.StdEncoding.DecodeString(s)
}

// parsePlain splits a SASL PLAIN message: authzid NUL authcid NUL passwd
// (RFC 4616 section 2).
func parsePlain(b []byte) (identity, username, password string, ok bool) {
	parts := bytes.Split(b, []byte{0})
	if len(parts) != 3 {
		return "", "", "", false
	}
	return string(parts[0]), string(parts[1]), string(parts[2]), true
}
