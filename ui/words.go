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

// verdictHeadline is the banner's title and one-sentence explanation.
func verdictHeadline(rep *detect.Report, st resultState) (title, sentence string) {
	domain := displayDomain(rep)
	switch st {
	case stateOffline:
		return "Could not reach the network",
			"The DNS server did not answer, so nothing could be looked up. Check your connection, or the DNS server in Settings, then try again."
	case stateNothing:
		return "No mail settings found for " + domain,
			"No source named a mail server for " + domain + ". Check the spelling of the address, or ask your provider for the server settings."
	}
	switch rep.Verdict {
	case detect.VerdictSecure:
		return "Secure — verified settings found",
			"The servers below answered over TLS with a valid certificate, and the settings come from sources tied to " + domain + "."
	case detect.VerdictCaveats:
		return "Works, with caveats",
			"The servers below answered over TLS with a valid certificate, but read the notes before you use them."
	default:
		in, out := rep.Recommended()
		if in == nil && out == nil {
			return "Unsafe — do not use these servers",
				"Servers were found for " + domain + ", but none passed the security checks. Your password and mail would not be protected."
		}
		return "Unsafe — read the warnings first",
			"Part of the settings failed the security checks. Do not use them as they are."
	}
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
		return "secure: the domain's DNS answers are signed and the signatures check out"
	case "insecure":
		return "not signed: the domain's DNS answers carry no signatures"
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
// a password goes there.
func needsConfirmation(s *detect.Server, confirmed []string) bool {
	return s != nil && s.Trust.NeedsConfirmation() && !containsFold(confirmed, s.Host)
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(strings.TrimSuffix(x, "."), strings.TrimSuffix(s, ".")) {
			return true
		}
	}
	return false
}

// shortReason is a one-sentence explanation of a warning code, for a card.
// The full message and fix are in the warnings list.
func shortReason(w detect.Warning) string {
	switch w.Code {
	case detect.WarnSTARTTLSMissing:
		return "The server did not offer encryption (STARTTLS), or offered it and then refused it: either it has none, or someone on the network removed it to read your password."
	case detect.WarnSTARTTLSInjection:
		return "Data was slipped in before encryption started; it was ignored and the connection verified, but the server or the network is tampering."
	case detect.WarnPlaintextOnly:
		return "The only servers found are unencrypted: your password and mail would cross the network in the clear."
	case detect.WarnCertNameMismatch:
		return "The server's certificate is for another name, so it may be an impostor."
	case detect.WarnCertExpired:
		return "The server's certificate has expired, so the connection cannot be trusted."
	case detect.WarnCertInvalid:
		return "The server's certificate is not trusted, so the connection cannot be trusted."
	case detect.WarnHostNotFound:
		return "The server name in the settings does not exist: ask the provider for the right one."
	case detect.WarnDNSFailed:
		return "The server's address could not be looked up: the DNS resolver failed."
	case detect.WarnConnectionRefused:
		return "The server answered, but its mail port is closed: the port is wrong or the service is down."
	case detect.WarnNetworkUnreachable:
		return "This network has no route to the server."
	case detect.WarnServerTimeout:
		return "The server did not answer in time: a firewall may block mail ports; try another network."
	case detect.WarnTLSFailed:
		return "The server offers no encryption (TLS) a mail client can accept."
	case detect.WarnProbeFailed:
		return "The server answered but failed the security checks."
	case detect.WarnDNSSECBogus:
		return "The domain's DNS signatures do not check out: its answers may have been tampered with."
	case detect.WarnDANEMismatch:
		return "The server's key is not the one the domain published (DANE): someone may be intercepting the connection."
	case detect.WarnNoIncoming:
		return "No source named a server for receiving mail."
	case detect.WarnNoOutgoing:
		return "No source named a server for sending mail."
	case detect.WarnImplicitTLSUnavailable:
		return "Only STARTTLS was verified: set the client's security to STARTTLS (required), never \"if available\"."
	}
	return w.Message
}

// assessment is the verdict on one direction (incoming or outgoing).
type assessment struct {
	server *detect.Server // the recommended server, nil if none
	level  level
	reason string
}

// assess judges one direction of rep. confirmed are the hosts the user
// confirmed as their provider's.
func assess(rep *detect.Report, incoming bool, confirmed []string) assessment {
	list := rep.Outgoing
	if incoming {
		list = rep.Incoming
	}
	hostports := map[string]bool{}
	for i := range list {
		hostports[list[i].HostPort()] = true
	}
	dirCode := detect.WarnNoOutgoing
	if incoming {
		dirCode = detect.WarnNoIncoming
	}
	var ws []detect.Warning
	for _, w := range rep.Warnings {
		if hostports[w.Server] || w.Code == dirCode {
			ws = append(ws, w)
		}
	}
	if len(list) == 0 || !list[0].Recommended {
		a := assessment{level: levelUnsafe, reason: "No server passed the security checks."}
		if len(list) == 0 {
			a.level = levelNone
			a.reason = "No source named a server for this."
		}
		for _, w := range ws {
			if w.Severity == detect.SeverityDanger || a.level == levelNone {
				a.reason = shortReason(w)
				break
			}
		}
		return a
	}
	s := &list[0]
	a := assessment{server: s, level: levelSecure}
	var note string
	for _, w := range ws {
		if w.Server != s.HostPort() {
			continue
		}
		switch {
		case w.Code == detect.WarnNeedsConfirmation || w.Code == detect.WarnSRVOutsideDomain:
			// judged below from the trust and the user's confirmation
		case w.Severity == detect.SeverityDanger:
			a.level, a.reason = levelUnsafe, shortReason(w)
			return a
		case w.Severity == detect.SeverityWarning && a.level == levelSecure:
			a.level, a.reason = levelCaveats, shortReason(w)
		case w.Severity == detect.SeverityInfo && note == "":
			note = shortReason(w)
		}
	}
	switch {
	case needsConfirmation(s, confirmed):
		a.level = levelCaveats
		a.reason = fmt.Sprintf("The connection was verified, but the name %s comes only from %s: confirm it is your provider's server.", s.Host, trustWords(s.Trust))
	case a.level == levelSecure:
		a.reason = verifiedSentence(s)
		if s.Trust.NeedsConfirmation() {
			a.reason = fmt.Sprintf("Verified %s; you confirmed that %s is your provider's server.", tlsWords(s), s.Host)
		}
		if note != "" {
			a.reason += " " + note
		}
	}
	return a
}

func tlsWords(s *detect.Server) string {
	if s.Probe.TLSVersion != "" {
		return s.Probe.TLSVersion
	}
	return "TLS"
}

// verifiedSentence says what was verified about a server.
func verifiedSentence(s *detect.Server) string {
	name := s.Host
	if c := s.Probe.Cert; c != nil && c.MatchedName != "" {
		name = c.MatchedName
	}
	return fmt.Sprintf("Verified: %s with a valid certificate for %s; the settings come from %s.", tlsWords(s), name, trustWords(s.Trust))
}

// resultState is what kind of answer a finished run gave.
type resultState int

const (
	stateFound   resultState = iota // servers were found (safe or not)
	stateNothing                    // sources answered, none named a server
	stateOffline                    // the DNS itself failed: no network or a broken resolver
)

// classify tells a network failure apart from a domain that publishes
// nothing: when nothing was found and the DNS sources failed with errors,
// the resolver (or the network) is the problem.
func classify(rep *detect.Report) resultState {
	if len(rep.Incoming) > 0 || len(rep.Outgoing) > 0 {
		return stateFound
	}
	for _, s := range rep.Sources {
		if (s.Name == detect.SourceSRV || s.Name == detect.SourceMX) && s.Status == detect.StatusError {
			return stateOffline
		}
	}
	return stateNothing
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
