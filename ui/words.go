package ui

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/export"
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
func (l level) word() string {
	switch l {
	case levelSecure:
		return "Secure"
	case levelCaveats:
		return "Works, with caveats"
	case levelUnsafe:
		return "Unsafe — do not use"
	default:
		return "Nothing found"
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
func verdictTitle(rep *detect.Report, v detect.Verdict) string {
	switch {
	case rep.Offline():
		return "Could not reach the network"
	case v == detect.VerdictNone:
		return "No mail settings found for " + displayDomain(rep)
	case v == detect.VerdictSecure:
		return "Secure — verified settings found"
	case v == detect.VerdictCaveats:
		return "Works, with caveats"
	}
	if in, out := rep.Recommended(); in == nil && out == nil {
		return "Unsafe — do not use these servers"
	}
	return "Unsafe — read the warnings first"
}

// displayDomain is the email domain as the user typed it (Unicode).
func displayDomain(rep *detect.Report) string {
	if rep.DomainUnicode != "" {
		return rep.DomainUnicode
	}
	return rep.Domain
}

// securityWords names a transport security the way mail clients' settings do.
func securityWords(s autoconfig.Security) string {
	if s == autoconfig.Plain {
		return "None (unencrypted)"
	}
	return s.Label()
}

// protocolWords is the protocol in capitals: IMAP, POP3, SMTP.
func protocolWords(p autoconfig.Protocol) string { return strings.ToUpper(string(p)) }

// authWords names how the password is sent, as clients call it.
func authWords(a []autoconfig.Auth) string { return autoconfig.AuthLabel(a) }

// trustWords says where settings of a trust level come from.
func trustWords(t detect.Trust) string {
	switch t {
	case detect.TrustLocal:
		return "your own settings folder"
	case detect.TrustDNSSEC:
		return "DNSSEC-signed DNS records"
	case detect.TrustHTTPS:
		return "the provider's own web site (https)"
	case detect.TrustISPDB:
		return "the ISP database"
	case detect.TrustDNS:
		return "unsigned DNS records"
	case detect.TrustMX:
		return "the provider that receives the domain's mail (MX)"
	case detect.TrustRedirect:
		return "a redirect to another domain"
	case detect.TrustInsecure:
		return "an unencrypted web page (http)"
	case detect.TrustGuess:
		return "a guess from common server names"
	default:
		return string(t)
	}
}

// sourceWords names a discovery source.
func sourceWords(n detect.SourceName) string {
	switch n {
	case detect.SourceLocal:
		return "Local settings folder"
	case detect.SourceSRV:
		return "DNS SRV records"
	case detect.SourceAutoconfig:
		return "Provider autoconfig (https)"
	case detect.SourceWellKnown:
		return "Autoconfig at the domain (https)"
	case detect.SourceAutoconfigHTTP:
		return "Autoconfig over plain http"
	case detect.SourceISPDB:
		return "ISP database"
	case detect.SourceMX:
		return "Mail exchanger (MX) provider"
	case detect.SourceAutodiscover:
		return "Autodiscover"
	case detect.SourceGuess:
		return "Common server names"
	default:
		return string(n)
	}
}

// sourceStatusWords says what a source came to.
func sourceStatusWords(s *detect.SourceReport) string {
	switch s.Status {
	case detect.StatusRunning:
		return "asking…"
	case detect.StatusFound:
		if s.Servers == 1 {
			return "found 1 server"
		}
		return fmt.Sprintf("found %d servers", s.Servers)
	case detect.StatusNone:
		return "nothing found"
	case detect.StatusError:
		return "failed"
	case detect.StatusSkipped:
		return "skipped"
	default:
		return string(s.Status)
	}
}

// probeStatusWords says what the live check of a server came to.
func probeStatusWords(p *detect.ProbeReport) string {
	switch p.Status {
	case "":
		return "checking…"
	case detect.ProbeOK:
		if p.Cert != nil && p.Cert.Valid {
			return "verified"
		}
		if p.TLSVersion == "" {
			return "answered, unencrypted"
		}
		return "answered"
	case detect.ProbeTLSError:
		return "TLS failed"
	case detect.ProbeProtocolError:
		switch p.Failure {
		case probe.ErrSTARTTLSMissing.Code():
			return "no STARTTLS"
		case probe.ErrSTARTTLSRefused.Code():
			return "refused STARTTLS"
		}
		return "refused the checks"
	case detect.ProbeUnreachable:
		switch p.Failure {
		case probe.ErrHostNotFound.Code():
			return "no such host"
		case probe.ErrLookupFailed.Code():
			return "address lookup failed"
		case probe.ErrConnectionRefused.Code():
			return "port closed"
		}
		return "unreachable"
	case detect.ProbeTimeout:
		return "no answer in time"
	case detect.ProbeNotProbed:
		return "not checked"
	default:
		return string(p.Status)
	}
}

// dnssecWords explains the report's DNSSEC status.
func dnssecWords(s string) string {
	switch s {
	case "secure":
		return "secure: the DNS answers the settings rest on are signed and the signatures check out"
	case "insecure":
		return "not signed: the DNS answers the settings rest on carry no signatures"
	case "bogus":
		return "FAILED: signatures are present but do not check out (misconfiguration or tampering)"
	case "indeterminate", "":
		return "not checked (indeterminate)"
	default:
		return s
	}
}

// severityWords names a warning's severity.
func severityWords(s detect.Severity) string {
	switch s {
	case detect.SeverityDanger:
		return "Danger"
	case detect.SeverityWarning:
		return "Warning"
	default:
		return "Note"
	}
}

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

// plainError turns an error into a sentence for a person: the reason of an
// invalid address, a sentence for the errors a person meets (matched with
// errors.Is), else the error's own text.
func plainError(err error) string {
	var ae *detect.AddressError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae):
		return capitalise(ae.Reason)
	}
	for _, e := range errorWords {
		if errors.Is(err, e.err) {
			return e.words
		}
	}
	return capitalise(err.Error())
}

// errorWords say the errors a person meets in words.
var errorWords = []struct {
	err   error
	words string
}{
	{detect.ErrNoPassword, "Enter the password first."},
	{autoconfig.ErrUnsignedPassword, "A password can go only into a signed profile: choose a signing identity, or leave the password out."},
	{autoconfig.ErrSigner, "The signing identity cannot be used: it needs a certificate and its private key."},
	{export.ErrAppleOAuth2, export.AppleOAuth2Message},
	{autoconfig.ErrAppleUnsupported, "These settings cannot be expressed in an Apple profile."},
	{autoconfig.ErrExportUnsupported, "These settings cannot be written in this format."},
	{autoconfig.ErrExportMissing, "There is no verified server to export."},
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
func millis(ms int64) string {
	if ms < 1000 {
		return fmt.Sprintf("%d ms", ms)
	}
	return fmt.Sprintf("%.1f s", float64(ms)/1000)
}
