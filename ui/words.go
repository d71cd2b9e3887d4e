package ui

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// This file turns the engine's codes into the words a person reads. It
// holds no Fyne code.

// level is the plain-words verdict of a report or of one server, worst last.
type level int

const (
	levelSecure  level = iota // verified, nothing to worry about
	levelCaveats              // verified, read the notes first
	levelUnsafe               // do not use as it is
	levelNone                 // nothing found
)

// word names the level; it is shown next to an icon that also differs per
// level, so the colour is never the only clue.
func (l level) word(p *i18n.Printer) string {
	switch l {
	case levelSecure:
		return p.T("ui.level.secure")
	case levelCaveats:
		return p.T("ui.level.caveats")
	case levelUnsafe:
		return p.T("ui.level.unsafe")
	default:
		return p.T("ui.level.none")
	}
}

func verdictLevel(v detect.Verdict) level {
	switch v {
	case detect.VerdictSecure:
		return levelSecure
	case detect.VerdictCaveats:
		return levelCaveats
	case detect.VerdictUnsafe:
		return levelUnsafe
	default:
		return levelNone
	}
}

// verdictTitle is the banner's title for verdict v of rep; the sentence
// under it is the reason the engine gives (detect.JudgeReport).
func verdictTitle(p *i18n.Printer, rep *detect.Report, v detect.Verdict) string {
	switch {
	case rep.Offline():
		return p.T("ui.verdict.offline")
	case v == detect.VerdictNone:
		return p.T("ui.verdict.none", "Domain", displayDomain(rep))
	case v == detect.VerdictSecure:
		return p.T("ui.verdict.secure")
	case v == detect.VerdictCaveats:
		return p.T("ui.level.caveats")
	}
	if in, out := rep.Recommended(); in == nil && out == nil {
		return p.T("ui.verdict.unsafe.none-usable")
	}
	return p.T("ui.verdict.unsafe")
}

// displayDomain is the email domain as the user typed it (Unicode).
func displayDomain(rep *detect.Report) string {
	if rep.DomainUnicode != "" {
		return rep.DomainUnicode
	}
	return rep.Domain
}

// securityWords names a transport security the way mail clients' settings do.
func securityWords(p *i18n.Printer, s autoconfig.Security) string {
	if s == autoconfig.Plain {
		return p.T("ui.security.plain")
	}
	return words.Security(p, s)
}

// protocolWords is the protocol in capitals: IMAP, POP3, SMTP.
func protocolWords(pr autoconfig.Protocol) string { return words.Protocol(pr) }

// needsConfirmation reports whether s must be confirmed by the user before
// a password goes there: the engine's rule (detect.NeedsConfirmation) and
// the user's confirmations so far.
func needsConfirmation(rep *detect.Report, s *detect.Server, confirmed []string) bool {
	return s != nil && detect.NeedsConfirmation(s, rep.Domain) && !containsFold(confirmed, s.Host)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSuffix(x, "."), strings.TrimSuffix(s, ".")) {
			return true
		}
	}
	return false
}

// directionLevel is the level of the engine's judgement of one direction
// (detect.Judge) with the user's confirmations so far.
func directionLevel(rep *detect.Report, incoming bool, confirmed []string) (detect.Direction, level) {
	d := detect.Judge(rep, incoming, confirmed)
	return d, verdictLevel(d.Verdict)
}

// plainError turns an error into a sentence for a person in p's
// language: the reason of an invalid address, a sentence for the errors a
// person meets (matched with errors.Is), else the error's own text (an
// engine diagnostic, in English).
func plainError(p *i18n.Printer, err error) string {
	if err == nil {
		return ""
	}
	if s := words.Error(p, err); s != "" {
		return capitalise(s)
	}
	for _, e := range errorWords {
		if errors.Is(err, e.err) {
			return p.T(e.id)
		}
	}
	var l localizedError
	if errors.As(err, &l) {
		return capitalise(l.Text(p))
	}
	return capitalise(err.Error())
}

// localizedError is an error of the app with a text for people.
type localizedError struct {
	err error
	msg i18n.Msg
}

func (e localizedError) Error() string               { return e.err.Error() }
func (e localizedError) Unwrap() error               { return e.err }
func (e localizedError) Text(p *i18n.Printer) string { return e.msg.Text(p) }

// sayError is err with msg to say it to a person ([plainError]).
func sayError(err error, id string, kv ...any) error {
	return localizedError{err: err, msg: i18n.M(id, kv...)}
}

// errorWords say the errors a person meets in words.
var errorWords = []struct {
	err error
	id  string
}{
	{detect.ErrNoPassword, "ui.error.no-password"},
	{autoconfig.ErrUnsignedPassword, "ui.error.unsigned-password"},
	{autoconfig.ErrSigner, "ui.error.signer"},
	{export.ErrAppleOAuth2, "export.apple-oauth2"},
	{autoconfig.ErrAppleUnsupported, "ui.error.apple-unsupported"},
	{autoconfig.ErrExportUnsupported, "ui.error.export-unsupported"},
	{autoconfig.ErrExportMissing, "ui.error.export-missing"},
}

// plainText is an engine message for a person (engine messages carry no
// package prefix): starting with a capital, ending with a full stop.
func plainText(msg string) string { return capitalise(msg) }

func capitalise(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	if first, _, _ := strings.Cut(s, " "); !strings.ContainsAny(first, ".:/@") {
		s = string(unicode.ToUpper(r)) + s[n:] // not a host name, URL or address
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// millis formats a duration in milliseconds for a row.
func millis(p *i18n.Printer, ms int64) string { return p.Millis(ms) }
