package probe

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// Line is one line of a transcript: the protocol exchange of a probe or a
// login check, for helpdesk staff. Client lines are redacted (see [Redact]);
// no transcript holds a password in any form.
type Line struct {
	// At is the time since the probe (or login check) started.
	At time.Duration
	// From is FromClient, FromServer or FromNote.
	From string
	// Text is one protocol line without its CRLF, redacted, printable:
	// control bytes, invalid UTF-8 and invisible formatting characters are
	// written as \xNN. It holds at most MaxLineText bytes of the line; a
	// longer line is cut and ends with a marker saying how long it was.
	Text string
	// BeforeTLS marks what was sent or received in plaintext on a connection
	// that was to be protected by TLS: the plaintext part of a STARTTLS
	// connection, or what a server sent instead of a TLS handshake. Such text
	// is untrusted (anyone on the path may have written it); a UI greys it
	// and never presents it as the server's word.
	BeforeTLS bool
}

// The values of Line.From.
const (
	FromClient = "client" // sent by the probe
	FromServer = "server" // received from the server
	FromNote   = "note"   // said by the probe: connections, TLS, errors
)

// Transcript bounds.
const (
	// MaxTranscriptLines bounds the client and server lines a transcript
	// keeps; a note then says it was cut. A few notes (TLS, errors) may
	// follow.
	MaxTranscriptLines = 500
	// MaxLineText bounds Line.Text, in bytes, before the cut marker.
	MaxLineText = 512

	maxNotesAfterCut = 20
	// maxRawLine is what a line may hold before it is cut: room for
	// escaping and for scrubbing a secret that straddles MaxLineText.
	maxRawLine = 2 * MaxLineText
)

// redacted replaces credentials in transcripts.
const redacted = "[redacted]"

// transcript collects the lines of one probe or login check. It is used by
// one goroutine at a time.
type transcript struct {
	start   time.Time
	lines   []Line
	cut     bool
	notes   int      // notes added after the cut
	secrets []string // scrubbed from every line, longest first
}

func newTranscript(start time.Time) *transcript { return &transcript{start: start} }

// add appends a line; extra is the number of bytes of the line already
// dropped by the caller (see recConn).
func (t *transcript) add(from, text string, beforeTLS bool, extra int) {
	if from != FromNote {
		if t.cut {
			return
		}
		if t.count() >= MaxTranscriptLines {
			t.cut = true
			t.lines = append(t.lines, Line{At: time.Since(t.start), From: FromNote,
				Text: fmt.Sprintf("transcript cut after %d lines", MaxTranscriptLines)})
			return
		}
	} else if t.cut {
		if t.notes >= maxNotesAfterCut {
			return
		}
		t.notes++
	}
	text = t.scrub(text)
	t.lines = append(t.lines, Line{At: time.Since(t.start), From: from, Text: printable(text, extra), BeforeTLS: beforeTLS})
}

// scrub replaces the secrets in text.
func (t *transcript) scrub(text string) string {
	for _, s := range t.secrets {
		text = strings.ReplaceAll(text, s, redacted)
	}
	return text
}

// count is the number of client and server lines.
func (t *transcript) count() int {
	n := 0
	for _, l := range t.lines {
		if l.From != FromNote {
			n++
		}
	}
	return n
}

func (t *transcript) note(format string, args ...any) {
	t.add(FromNote, fmt.Sprintf(format, args...), false, 0)
}

// snapshot returns a copy of the lines.
func (t *transcript) snapshot() []Line {
	return append([]Line(nil), t.lines...)
}

// printable escapes s for display (see Line.Text) and cuts it at
// MaxLineText bytes. extra is how many bytes of the original line were
// already dropped.
func printable(s string, extra int) string {
	var b strings.Builder
	total := len(s) + extra
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		if (r == utf8.RuneError && size <= 1) || (r != ' ' && !unicode.IsPrint(r)) {
			piece = ""
			for _, c := range []byte(s[i : i+size]) {
				piece += fmt.Sprintf(`\x%02x`, c)
			}
		}
		if b.Len()+len(piece) > MaxLineText {
			extra += len(s) - i
			break
		}
		b.WriteString(piece)
		i += size
	}
	if extra > 0 {
		fmt.Fprintf(&b, " [line cut: %d bytes in all]", total)
	}
	return b.String()
}

// recConn records what is read from a connection as server lines. It sits
// below the line reader, so it sees every byte the server sent, including
// bytes read ahead and never used (an injection after STARTTLS).
type recConn struct {
	net.Conn
	tr        *transcript
	beforeTLS bool
	partial   []byte
	dropped   int  // bytes of the current line beyond maxRawLine
	open      bool // a line has started
}

func (r *recConn) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.feed(b[:n])
	return n, err
}

func (r *recConn) feed(b []byte) {
	for len(b) > 0 {
		r.open = true
		chunk := b
		i := bytes.IndexByte(b, '\n')
		if i >= 0 {
			chunk = b[:i]
		}
		take := min(max(maxRawLine-len(r.partial), 0), len(chunk))
		r.partial = append(r.partial, chunk[:take]...)
		r.dropped += len(chunk) - take
		if i < 0 {
			return
		}
		r.flush()
		b = b[i+1:]
	}
}

// flush records the line being read, if any.
func (r *recConn) flush() {
	if !r.open {
		return
	}
	line := string(r.partial)
	if r.dropped == 0 {
		line = strings.TrimSuffix(line, "\r")
	}
	r.tr.add(FromServer, line, r.beforeTLS, r.dropped)
	r.partial, r.dropped, r.open = r.partial[:0], 0, false
}

// Redact returns a client command line of protocol as a transcript shows it,
// with credentials replaced by "[redacted]":
//
//   - IMAP "tag LOGIN user pass" keeps the user name (atom, quoted string or
//     literal) and redacts the rest; "tag AUTHENTICATE mech ir" redacts the
//     initial response;
//   - POP3 "PASS x", "APOP user digest" and "AUTH mech ir";
//   - SMTP "AUTH mech ir";
//   - in every protocol, a line that is not a command (a SASL response, the
//     data of an IMAP literal) is redacted whole.
//
// Redact sees one line and cannot know every context (a password literal
// holding spaces looks like a command); the probe therefore also marks the
// lines it knows to be secret, and Redact is its second guard.
func Redact(protocol autoconfig.Protocol, clientLine string) string {
	switch protocol {
	case autoconfig.IMAP:
		return redactIMAP(clientLine)
	case autoconfig.POP3:
		return redactVerb(clientLine, pop3Verbs, map[string]int{"PASS": 0, "APOP": 1, "AUTH": 1})
	case autoconfig.SMTP:
		return redactVerb(clientLine, smtpVerbs, map[string]int{"AUTH": 1})
	}
	return redacted
}

// The commands of POP3 (RFC 1939, RFC 2449, RFC 2595, RFC 5034, RFC 6856)
// and SMTP (RFC 5321 and extensions): a lone word that is none of these is a
// SASL response.
var (
	pop3Verbs = []string{"USER", "PASS", "APOP", "AUTH", "CAPA", "STLS", "QUIT", "STAT", "LIST", "UIDL",
		"RETR", "DELE", "RSET", "NOOP", "TOP", "UTF8", "LANG"}
	smtpVerbs = []string{"EHLO", "HELO", "LHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "BDAT", "RSET",
		"NOOP", "QUIT", "VRFY", "EXPN", "HELP", "ETRN"}
)

// redactVerb redacts a "VERB args" line: for a verb in keep, the first
// keep[verb] arguments are kept and the rest redacted; a line that does not
// start with a known verb and has no space (a SASL response) is redacted.
func redactVerb(line string, verbs []string, keep map[string]int) string {
	verb, rest, hasArgs := strings.Cut(line, " ")
	upper := strings.ToUpper(verb)
	if !hasFold(verbs, verb) {
		if line == "" || line == "*" || hasArgs { // an empty response or the cancel "*" hide nothing
			return line
		}
		return redacted
	}
	n, ok := keep[upper]
	if !ok || !hasArgs {
		return line
	}
	fields := strings.Fields(rest)
	if len(fields) <= n {
		return line
	}
	return strings.Join(append([]string{verb}, fields[:n]...), " ") + " " + redacted
}

// redactIMAP redacts an IMAP command line (RFC 9051 §6.2.2, §6.2.3).
func redactIMAP(line string) string {
	tag, rest, ok := strings.Cut(line, " ")
	if !ok {
		if line == "" || line == "*" || strings.EqualFold(line, "DONE") {
			return line
		}
		return redacted // a SASL response or literal data
	}
	cmd, args, hasArgs := strings.Cut(rest, " ")
	switch strings.ToUpper(cmd) {
	case "LOGIN":
		if !hasArgs {
			return line
		}
		user, after := imapAStringPrefix(args)
		if after == "" {
			return line
		}
		return tag + " " + cmd + " " + user + " " + redacted
	case "AUTHENTICATE":
		mech, _, hasIR := strings.Cut(args, " ")
		if !hasIR {
			return line
		}
		return tag + " " + cmd + " " + mech + " " + redacted
	}
	for _, r := range cmd {
		if !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z') {
			// Not a command: literal data followed by more arguments.
			return redacted
		}
	}
	return line
}

// imapAStringPrefix splits s into its first astring (an atom, a quoted
// string with its escapes, or a literal announcement "{n}" / "{n+}") and
// what follows it, without the separating space.
func imapAStringPrefix(s string) (astring, after string) {
	if strings.HasPrefix(s, `"`) {
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				return s[:i+1], strings.TrimPrefix(s[i+1:], " ")
			}
		}
		return s, ""
	}
	a, rest, _ := strings.Cut(s, " ")
	return a, rest
}
