package detect

import (
	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/i18n"
)

// ReportVersion is the version of the JSON contract of [Report]. It changes
// only when a field changes meaning or disappears; new fields keep it.
//
// Version 2: dnssec is the status of the answers the recommended settings
// rest on (was: of the domain's SRV answers); incoming_verdict,
// outgoing_verdict, reason, incoming_reason and outgoing_reason are new.
const ReportVersion = 2

// Trust is how far a source can be believed about where a domain's mail is.
type Trust string

// Trust levels, DESIGN.md "Sources and the trust each earns".
const (
	TrustLocal    Trust = "local"    // the user's or helpdesk's own files
	TrustDNSSEC   Trust = "dnssec"   // a DNSSEC-validated DNS answer
	TrustHTTPS    Trust = "https"    // fetched over verified https from the domain itself
	TrustISPDB    Trust = "ispdb"    // the ISP database, over https
	TrustDNS      Trust = "dns"      // an unsigned DNS answer
	TrustMX       Trust = "mx"       // derived from the domain's MX host's provider
	TrustRedirect Trust = "redirect" // reached through a redirect out of the domain
	TrustInsecure Trust = "insecure" // fetched over plain http
	TrustGuess    Trust = "guess"    // a guessed host name
)

// Level orders trusts: higher is better. local = dnssec > https = ispdb > dns
// > mx = redirect = insecure = guess.
func (t Trust) Level() int {
	switch t {
	case TrustLocal, TrustDNSSEC:
		return 3
	case TrustHTTPS, TrustISPDB:
		return 2
	case TrustDNS:
		return 1
	default:
		return 0
	}
}

// NeedsConfirmation reports whether settings of this trust need the user's
// confirmation before a password goes to them (anything below https), before
// the exception of DESIGN.md's trust rule: the function [NeedsConfirmation]
// decides for a server.
func (t Trust) NeedsConfirmation() bool { return t.Level() < TrustHTTPS.Level() }

// SourceName names a discovery source in the report.
type SourceName string

// The discovery sources, in the order of DESIGN.md's table.
const (
	SourceLocal          SourceName = "local"
	SourceSRV            SourceName = "srv"
	SourceAutoconfig     SourceName = "autoconfig"
	SourceWellKnown      SourceName = "autoconfig-wellknown"
	SourceAutoconfigHTTP SourceName = "autoconfig-http"
	SourceISPDB          SourceName = "ispdb"
	SourceMX             SourceName = "mx"
	SourceAutodiscover   SourceName = "autodiscover"
	SourceGuess          SourceName = "guess"
	// SourcePACC is draft-ietf-mailmaint-pacc's JSON document, checked
	// against the digest of its _ua-auto-config TXT record (issue 16).
	SourcePACC SourceName = "pacc"
	// SourceServiceSRV is the SRV records of JMAP (RFC 8620 §2.2), CalDAV
	// and CardDAV (RFC 6764 §3) with their TXT path (RFC 6764 §4): trust
	// dnssec or dns like the mail SRV records. It names services only.
	SourceServiceSRV SourceName = "service-srv"
	// SourceServiceWellKnown is the well-known URIs of JMAP (RFC 8620
	// §2.2), CalDAV and CardDAV (RFC 6764 §5) on the email domain over
	// https: trust https, or redirect when a redirect left the domain. It
	// names services only.
	SourceServiceWellKnown SourceName = "service-wellknown"
)

// SourceStatus is what a source came to.
type SourceStatus string

// Source statuses.
const (
	StatusRunning SourceStatus = "running" // only in progress events
	StatusFound   SourceStatus = "found"
	StatusNone    SourceStatus = "none"
	StatusError   SourceStatus = "error"
	StatusSkipped SourceStatus = "skipped"
)

// SourceReport is one source's outcome.
type SourceReport struct {
	Name      SourceName   `json:"name"`
	Status    SourceStatus `json:"status"`
	Trust     Trust        `json:"trust,omitempty"`
	ElapsedMS int64        `json:"elapsed_ms"`
	// Detail says in one line what was asked and what came back.
	Detail string `json:"detail,omitempty"`
	// Queries are the URLs fetched or DNS names asked.
	Queries []string `json:"queries,omitempty"`
	// Servers is how many servers the source named.
	Servers int `json:"servers"`
}

// ProbeStatus is the outcome of a probe.
type ProbeStatus string

// Probe statuses of the JSON contract.
const (
	ProbeOK            ProbeStatus = "ok"
	ProbeTLSError      ProbeStatus = "tls-error"
	ProbeProtocolError ProbeStatus = "protocol-error"
	ProbeUnreachable   ProbeStatus = "unreachable"
	ProbeTimeout       ProbeStatus = "timeout"
	ProbeNotProbed     ProbeStatus = "not-probed"
)

// CertReport describes the certificate a server presented.
type CertReport struct {
	Valid bool `json:"valid"`
	// Problem is "", "expired", "not-yet-valid", "name-mismatch", "untrusted" or "invalid".
	Problem     string   `json:"problem,omitempty"`
	Error       string   `json:"error,omitempty"`
	Subject     string   `json:"subject,omitempty"`
	Issuer      string   `json:"issuer,omitempty"`
	DNSNames    []string `json:"dns_names,omitempty"`
	MatchedName string   `json:"matched_name,omitempty"`
	NotBefore   string   `json:"not_before,omitempty"`
	NotAfter    string   `json:"not_after,omitempty"`
	// SPKISHA256 is the hex SHA-256 of the leaf's public key, the data of a
	// DANE-EE "3 1 1" TLSA record.
	SPKISHA256 string `json:"spki_sha256,omitempty"`
}

// ProbeReport is what the live probe of a server saw.
type ProbeReport struct {
	Status      ProbeStatus `json:"status"`
	Error       string      `json:"error,omitempty"`
	Address     string      `json:"address,omitempty"`
	TLSVersion  string      `json:"tls_version,omitempty"`
	CipherSuite string      `json:"cipher_suite,omitempty"`
	Cert        *CertReport `json:"cert,omitempty"`
	// DANE is verified, mismatch, none, insecure, bogus or indeterminate
	// (RFC 7672 §2.2; indeterminate: DNSSEC validation could not be
	// completed, never to be read as insecure); DANEDetail says why.
	DANE         string   `json:"dane,omitempty"`
	DANEDetail   string   `json:"dane_detail,omitempty"`
	Capabilities []string `json:"capabilities,omitempty"`
	// HTTPStatus is the status code of an HTTP-based service's probe (a
	// [Service]: 401 or 207 to a PROPFIND, 401 or 200 to a JMAP session
	// request); Authenticate lists the WWW-Authenticate challenges' schemes
	// it offered ("Basic", "Bearer", ...), and DAV the classes of its DAV
	// header ("1", "calendar-access", "addressbook", ...).
	HTTPStatus   int      `json:"http_status,omitempty"`
	Authenticate []string `json:"authenticate,omitempty"`
	DAV          []string `json:"dav,omitempty"`
	// Redirects are the URLs a well-known URI led through before the
	// service's context URL, in order (bounded).
	Redirects []string `json:"redirects,omitempty"`
	SASL      []string `json:"sasl,omitempty"`
	// STARTTLSOffered tells, for a plain server, whether it offered STARTTLS.
	STARTTLSOffered bool `json:"starttls_offered,omitempty"`
	// Failure names what stopped the probe, empty when it did not fail
	// (nor when it was cut off by the run's deadline): the code of a
	// probe.Kind, such as host-not-found, connection-refused, timeout,
	// tls-failed, cert-invalid, starttls-missing, starttls-refused.
	Failure string `json:"failure,omitempty"`
	// STARTTLSInjected counts the bytes sent after the STARTTLS answer and
	// before the TLS handshake, which the probe discarded before going on
	// over verified TLS (warning starttls-injection).
	STARTTLSInjected int `json:"starttls_injected_bytes,omitempty"`
	// Tried lists every address connected to and how it went.
	Tried     []AddrReport `json:"tried,omitempty"`
	ElapsedMS int64        `json:"elapsed_ms"`
	// Transcript is the exchange, credentials redacted.
	Transcript []TranscriptLine `json:"transcript,omitempty"`
}

// AddrReport is one TCP connection attempt.
type AddrReport struct {
	Address   string `json:"address"`
	Network   string `json:"network"`
	Error     string `json:"error,omitempty"`
	ElapsedMS int64  `json:"elapsed_ms"`
}

// LoginReport is the outcome of the opt-in login check.
type LoginReport struct {
	// Status is "ok", "failed" (every user name was refused), "not-tried"
	// (a rule kept the password back; Error says which), "not-possible"
	// (the server offers no password mechanism; Error says how to sign in
	// instead), "error", or, for the OAuth2 check, "oauth2-ok" and
	// "oauth2-failed" (Error has the server's reason).
	Status string `json:"status"`
	// Username is the user name that worked.
	Username  string   `json:"username,omitempty"`
	Mechanism string   `json:"mechanism,omitempty"`
	Tried     []string `json:"tried,omitempty"`
	Error     string   `json:"error,omitempty"`
	ElapsedMS int64    `json:"elapsed_ms,omitempty"`
	// Principal and HomeSets are what the login check of a CalDAV or
	// CardDAV service found: the user's principal URL
	// (current-user-principal, RFC 5397) and its calendar-home-set
	// (RFC 4791 §6.2.1) or addressbook-home-set (RFC 6352 §7.1.1).
	Principal string   `json:"principal,omitempty"`
	HomeSets  []string `json:"home_sets,omitempty"`
	// Transcript is the exchange, credentials redacted.
	Transcript []TranscriptLine `json:"transcript,omitempty"`
}

// TranscriptLine is one line of a protocol exchange, for the helpdesk view.
// Credentials and SASL payloads are always redacted.
type TranscriptLine struct {
	AtMS int64 `json:"at_ms"`
	// From is "client", "server" or "note".
	From string `json:"from"`
	Text string `json:"text"`
	// BeforeTLS marks the plaintext part of a STARTTLS connection: anyone on
	// the path could have written or changed it.
	BeforeTLS bool `json:"before_tls,omitempty"`
}

// Server is one ranked server of the report.
type Server struct {
	// Recommended is true only for the first entry of a list, and only when
	// it is safe to use.
	Recommended bool                `json:"recommended"`
	Protocol    autoconfig.Protocol `json:"protocol"`
	Host        string              `json:"host"`
	Port        int                 `json:"port"`
	Security    autoconfig.Security `json:"security"`
	Username    string              `json:"username,omitempty"`
	Auth        []autoconfig.Auth   `json:"auth,omitempty"`
	Sources     []SourceName        `json:"sources"`
	Trust       Trust               `json:"trust"`
	Probe       ProbeReport         `json:"probe"`
	// Signin says how the user signs in here (see [Signin]), decided from
	// Auth and the SASL mechanisms the probe saw (Probe.SASL).
	Signin Signin `json:"signin"`
	// OAuth2 is where the provider signs the user in (the config's
	// <oAuth2> element), when the config that named the server has one.
	OAuth2 *autoconfig.OAuth2 `json:"oauth2,omitempty"`
	// Help are the provider's help pages from that config; an app-password
	// page among them is marked.
	Help  []autoconfig.Link `json:"help,omitempty"`
	Login LoginReport       `json:"login"`
}

// Service is one ranked JMAP, CalDAV or CardDAV endpoint of the report
// (issue 16): found, ranked and probed like the mail servers, under the same
// trust and security rules.
type Service struct {
	// Recommended is true only for the first entry of a list, and only when
	// it is safe to use.
	Recommended bool `json:"recommended"`
	// Protocol is jmap, caldav or carddav.
	Protocol autoconfig.Protocol `json:"protocol"`
	// URL is what a client is given: the JMAP session resource, or the
	// CalDAV/CardDAV context URL a well-known URI or SRV/TXT led to.
	URL  string `json:"url"`
	Host string `json:"host"`
	Port int    `json:"port"`
	// Security is tls (https), or plain for a service named only over
	// http (non-TLS SRV names, RFC 6764 §3): listed, never recommended.
	Security autoconfig.Security `json:"security"`
	Username string              `json:"username,omitempty"`
	Auth     []autoconfig.Auth   `json:"auth,omitempty"`
	Sources  []SourceName        `json:"sources"`
	Trust    Trust               `json:"trust"`
	Probe    ProbeReport         `json:"probe"`
	Signin   Signin              `json:"signin"`
	// OAuth2 is where the provider signs the user in, when the source that
	// named the service has it.
	OAuth2 *autoconfig.OAuth2 `json:"oauth2,omitempty"`
	Login  LoginReport        `json:"login"`
}

// HostPort returns "host:port".
func (s *Server) HostPort() string { return joinHostPort(s.Host, s.Port) }

// Verdict sums up a report.
type Verdict string

// Verdicts of the report.
const (
	// VerdictSecure: recommended settings verified, no warning above info.
	VerdictSecure Verdict = "secure"
	// VerdictCaveats: recommended settings verified, with warnings.
	VerdictCaveats Verdict = "caveats"
	// VerdictUnsafe: something was found but a danger warning applies, or a
	// direction has nothing safe to use.
	VerdictUnsafe Verdict = "unsafe"
	// VerdictNone: nothing was found (or only guessed names that failed),
	// or the resolver did not answer at all (a dns-failed warning).
	VerdictNone Verdict = "none"
)

// Severity grades a warning.
type Severity string

// Severities, mildest first.
const (
	SeverityInfo    Severity = "info"
	SeverityWarning Severity = "warning"
	SeverityDanger  Severity = "danger"
)

// Warning is one finding, with what it means and how to fix it.
type Warning struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Server   string   `json:"server,omitempty"`
	// Message and Fix are in the report's language ([Report.Lang]).
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`

	// msg and fix are the catalogue messages Message and Fix are rendered
	// from, so that [Report.Localize] can say them in another language;
	// nil in a report read back from JSON.
	msg, fix i18n.Text
}

// Report is the result of a detection: what every front end and exporter
// reads. Its JSON form is the contract documented in the README.
type Report struct {
	Version int `json:"version"`
	// Lang is the language of the report's sentences (message, fix,
	// reason): "en" or "fr". The codes are English in every language.
	Lang string `json:"lang"`
	// Generator names the program and release that made the report; nil
	// in a report saved before it existed (added within version 2).
	Generator     *Generator `json:"generator,omitempty"`
	Address       string     `json:"address"`
	Domain        string     `json:"domain"`
	DomainUnicode string     `json:"domain_unicode,omitempty"`
	ElapsedMS     int64      `json:"elapsed_ms"`
	Verdict       Verdict    `json:"verdict"`
	// IncomingVerdict and OutgoingVerdict judge each direction, with
	// IncomingReason and OutgoingReason saying why in one sentence; Reason
	// says why of Verdict. They are decided by the engine (see [Judge]); the
	// front ends only render them.
	IncomingVerdict Verdict `json:"incoming_verdict"`
	OutgoingVerdict Verdict `json:"outgoing_verdict"`
	Reason          string  `json:"reason"`
	IncomingReason  string  `json:"incoming_reason"`
	OutgoingReason  string  `json:"outgoing_reason"`
	// DNSSEC is the status of the answers the recommended settings rest on:
	// the DNS answer of the source that named them (SRV, MX) and the
	// hosts' addresses; with nothing recommended, the weakest answer the
	// run used. "secure", "insecure", "bogus" or "indeterminate".
	DNSSEC   string         `json:"dnssec"`
	Sources  []SourceReport `json:"sources"`
	Incoming []Server       `json:"incoming"`
	Outgoing []Server       `json:"outgoing"`
	// Calendar, Contacts and JMAP are the CalDAV, CardDAV and JMAP
	// services found, ranked best first like Incoming; absent when none was
	// found (issue 16).
	Calendar []Service `json:"calendar,omitempty"`
	Contacts []Service `json:"contacts,omitempty"`
	JMAP     []Service `json:"jmap,omitempty"`
	Warnings []Warning `json:"warnings"`
}

// Quoted returns the diagnostics w's message quotes as they came (an
// error of the network or of a server, a DANE or DNSSEC detail): they are
// in the language they were written in, English, whatever the report's
// language. Empty for a warning read back from JSON.
func (w Warning) Quoted() []string {
	var out []string
	if m, ok := w.msg.(i18n.Msg); ok {
		if v, ok := m.Arg("Detail"); ok {
			if s, _ := v.(string); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// printer is the printer of the report's language.
func (r *Report) printer() *i18n.Printer { return i18n.New(i18n.Lang(r.Lang)) }

// Localize says the report's sentences in p's language (nil: English):
// every warning's message and fix, and the verdicts' reasons (judged
// again, with the hosts the user confirmed), and sets [Report.Lang]. The
// app calls it when the user switches language after a run. Warnings of a
// report read back from JSON keep their text.
func (r *Report) Localize(p *i18n.Printer, confirmed []string) {
	r.Lang = string(p.Lang())
	for i := range r.Warnings {
		w := &r.Warnings[i]
		if w.msg != nil {
			w.Message = w.msg.Text(p)
		}
		if w.fix != nil {
			w.Fix = w.fix.Text(p)
		}
	}
	judge(r, confirmed)
}

// Generator names the program that made a [Report]: its name
// ("mailsetup", for the app and mailprobe alike, which share the engine) and
// its release (package internal/version).
type Generator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Recommended returns the recommended incoming and outgoing servers, nil
// where there is none.
func (r *Report) Recommended() (in, out *Server) {
	if len(r.Incoming) > 0 && r.Incoming[0].Recommended {
		in = &r.Incoming[0]
	}
	if len(r.Outgoing) > 0 && r.Outgoing[0].Recommended {
		out = &r.Outgoing[0]
	}
	return in, out
}

// ExitCode is the command line's exit status for the report: 0 verified
// settings found, 1 found with danger warnings, 2 nothing usable.
func (r *Report) ExitCode() int {
	in, out := r.Recommended()
	switch {
	case in == nil && out == nil:
		return 2
	case r.Verdict == VerdictUnsafe:
		return 1
	default:
		return 0
	}
}
