// Package words turns the engine's codes (security, authentication,
// source, status, DNSSEC and DANE verdicts) into the words a person reads,
// in a printer's language, the same way in the app, the command line and
// the HTML report. It imports no Fyne.
package words

import (
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/i18n"
)

// Security names a transport security the way mail clients' settings do:
// "SSL/TLS", "STARTTLS", "None" ("Aucune").
func Security(p *i18n.Printer, s autoconfig.Security) string {
	switch s {
	case autoconfig.TLS, autoconfig.STARTTLS:
		return s.Label()
	case autoconfig.Plain:
		return p.T("label.security.none")
	}
	return string(s)
}

// Protocol is the protocol as it is written: IMAP, POP3, SMTP, JMAP,
// CalDAV, CardDAV.
func Protocol(pr autoconfig.Protocol) string {
	switch pr {
	case autoconfig.CalDAV:
		return "CalDAV"
	case autoconfig.CardDAV:
		return "CardDAV"
	}
	return strings.ToUpper(string(pr))
}

// Auth names the preferred (first) authentication method of a server as
// clients call it ("Normal password", « Mot de passe normal »); no method
// means a normal password.
func Auth(p *i18n.Printer, a []autoconfig.Auth) string {
	m := autoconfig.AuthPasswordCleartext
	if len(a) > 0 {
		m = a[0]
	}
	ids := map[autoconfig.Auth]string{
		autoconfig.AuthPasswordCleartext: "label.auth.password-cleartext",
		autoconfig.AuthPasswordEncrypted: "label.auth.password-encrypted",
		autoconfig.AuthGSSAPI:            "label.auth.gssapi",
		autoconfig.AuthTLSClientCert:     "label.auth.tls-client-cert",
		autoconfig.AuthClientIP:          "label.auth.client-ip",
		autoconfig.AuthSMTPAfterPOP:      "label.auth.smtp-after-pop",
		autoconfig.AuthNone:              "label.auth.none",
	}
	if id, ok := ids[m]; ok {
		return p.T(id)
	}
	return m.Label() // OAuth2, NTLM: the same in every language
}

// Source names a discovery source: "DNS SRV records".
func Source(p *i18n.Printer, n detect.SourceName) string {
	ids := map[detect.SourceName]string{
		detect.SourceLocal: "label.source.local", detect.SourceSRV: "label.source.srv",
		detect.SourceAutoconfig: "label.source.autoconfig", detect.SourceWellKnown: "label.source.autoconfig-wellknown",
		detect.SourceAutoconfigHTTP: "label.source.autoconfig-http", detect.SourceISPDB: "label.source.ispdb",
		detect.SourceMX: "label.source.mx", detect.SourceAutodiscover: "label.source.autodiscover",
		detect.SourceGuess: "label.source.guess", detect.SourcePACC: "label.source.pacc",
	}
	if id, ok := ids[n]; ok {
		return p.T(id)
	}
	return string(n)
}

// Trust says where settings of a trust level come from.
func Trust(p *i18n.Printer, t detect.Trust) string { return detect.TrustPhrase(t).Text(p) }

// TrustFrom says where settings of a trust level come from, with its
// preposition: "from unsigned DNS records".
func TrustFrom(p *i18n.Printer, t detect.Trust) string { return detect.TrustFrom(t).Text(p) }

// SourceStatus says what a source came to: "found 2 servers".
func SourceStatus(p *i18n.Printer, s *detect.SourceReport) string {
	switch s.Status {
	case detect.StatusRunning:
		return p.T("label.source-status.running")
	case detect.StatusFound:
		return p.N("label.source-status.found", s.Servers)
	case detect.StatusNone:
		return p.T("label.source-status.none")
	case detect.StatusError:
		return p.T("label.source-status.error")
	case detect.StatusSkipped:
		return p.T("label.source-status.skipped")
	}
	return string(s.Status)
}

// ProbeStatus says what the live check of a server came to: "verified",
// "port closed".
func ProbeStatus(p *i18n.Printer, pr *detect.ProbeReport) string {
	switch pr.Status {
	case "":
		return p.T("label.probe.checking")
	case detect.ProbeOK:
		if pr.Cert != nil && pr.Cert.Valid {
			return p.T("label.probe.verified")
		}
		if pr.TLSVersion == "" {
			return p.T("label.probe.unencrypted")
		}
		return p.T("label.probe.answered")
	case detect.ProbeTLSError:
		return p.T("label.probe.tls-error")
	case detect.ProbeProtocolError:
		switch pr.Failure {
		case probe.ErrSTARTTLSMissing.Code():
			return p.T("label.probe.starttls-missing")
		case probe.ErrSTARTTLSRefused.Code():
			return p.T("label.probe.starttls-refused")
		}
		return p.T("label.probe.protocol-error")
	case detect.ProbeUnreachable:
		switch pr.Failure {
		case probe.ErrHostNotFound.Code():
			return p.T("label.probe.host-not-found")
		case probe.ErrLookupFailed.Code():
			return p.T("label.probe.lookup-failed")
		case probe.ErrConnectionRefused.Code():
			return p.T("label.probe.connection-refused")
		}
		return p.T("label.probe.unreachable")
	case detect.ProbeTimeout:
		return p.T("label.probe.timeout")
	case detect.ProbeNotProbed:
		return p.T("label.probe.not-probed")
	}
	return string(pr.Status)
}

// DNSSEC explains the report's DNSSEC status.
func DNSSEC(p *i18n.Printer, s string) string {
	switch s {
	case "secure":
		return p.T("label.dnssec.secure")
	case "insecure":
		return p.T("label.dnssec.insecure")
	case "bogus":
		return p.T("label.dnssec.bogus")
	case "indeterminate", "":
		return p.T("label.dnssec.indeterminate")
	}
	return s
}

// DNSSECShort names the report's DNSSEC status in one word: "secure".
func DNSSECShort(p *i18n.Printer, s string) string {
	switch s {
	case "secure":
		return p.T("label.dnssec-short.secure")
	case "insecure":
		return p.T("label.dnssec-short.insecure")
	case "bogus":
		return p.T("label.dnssec-short.bogus")
	case "indeterminate", "":
		return p.T("label.dnssec-short.indeterminate")
	}
	return s
}

// DANE explains a server's DANE result.
func DANE(p *i18n.Printer, s string) string {
	switch s {
	case "verified":
		return p.T("label.dane.verified")
	case "mismatch":
		return p.T("label.dane.mismatch")
	case "none":
		return p.T("label.dane.none")
	case "insecure":
		return p.T("label.dane.insecure")
	case "bogus":
		return p.T("label.dane.bogus")
	case "indeterminate":
		return p.T("label.dane.indeterminate")
	}
	return s
}

// Severity names a warning's severity: "Danger", "Warning", "Note".
func Severity(p *i18n.Printer, s detect.Severity) string {
	switch s {
	case detect.SeverityDanger:
		return p.T("label.severity.danger")
	case detect.SeverityWarning:
		return p.T("label.severity.warning")
	}
	return p.T("label.severity.info")
}

// CertProblem names what is wrong with a certificate: "expired".
func CertProblem(p *i18n.Printer, problem string) string {
	switch probe.CertProblem(problem) {
	case probe.ProblemExpired:
		return p.T("cert.problem.expired")
	case probe.ProblemNotYetValid:
		return p.T("cert.problem.not-yet-valid")
	case probe.ProblemNameMismatch:
		return p.T("cert.problem.name-mismatch")
	case probe.ProblemUntrusted:
		return p.T("cert.problem.untrusted")
	case "":
		return ""
	}
	return p.T("cert.problem.invalid")
}

// WarningTitle names a warning code in a few words: "Expired certificate".
func WarningTitle(p *i18n.Printer, code string) string {
	ids := map[string]string{
		detect.WarnImplicitTLSUnavailable: "label.warning.implicit-tls-unavailable",
		detect.WarnSTARTTLSMissing:        "label.warning.starttls-missing",
		detect.WarnPlaintextOnly:          "label.warning.plaintext-only",
		detect.WarnCertInvalid:            "label.warning.cert-invalid",
		detect.WarnCertNameMismatch:       "label.warning.cert-name-mismatch",
		detect.WarnCertExpired:            "label.warning.cert-expired",
		detect.WarnNeedsConfirmation:      "label.warning.needs-confirmation",
		detect.WarnSRVOutsideDomain:       "label.warning.srv-target-outside-domain",
		detect.WarnSTARTTLSInjection:      "label.warning.starttls-injection",
		detect.WarnHostNotFound:           "label.warning.host-not-found",
		detect.WarnConnectionRefused:      "label.warning.connection-refused",
		detect.WarnNetworkUnreachable:     "label.warning.network-unreachable",
		detect.WarnServerTimeout:          "label.warning.server-timeout",
		detect.WarnTLSFailed:              "label.warning.tls-failed",
		detect.WarnProbeFailed:            "label.warning.probe-failed",
		detect.WarnDNSSECBogus:            "label.warning.dnssec-bogus",
		detect.WarnDANEMismatch:           "label.warning.dane-mismatch",
		detect.WarnNoIncoming:             "label.warning.no-incoming",
		detect.WarnNoOutgoing:             "label.warning.no-outgoing",
		detect.WarnDNSFailed:              "label.warning.dns-failed",
		detect.WarnOAuth2Required:         "label.warning.oauth2-required",
		detect.WarnPACCDigestMismatch:     "label.warning.pacc-digest-mismatch",
	}
	if id, ok := ids[code]; ok {
		return p.T(id)
	}
	return code
}

// Error says err in p's language when it is an error a person meets (a
// malformed address, a server that is not verified TLS), else "" so that
// the caller can fall back to its own words.
func Error(p *i18n.Printer, err error) string {
	if ae, ok := asAddressError(err); ok {
		return ae.Localize(p)
	}
	if nv, ok := asNotVerified(err); ok {
		return nv.Localize(p)
	}
	return ""
}
