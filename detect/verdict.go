package detect

import (
	"context"
	"slices"
	"strings"
	"sync"

	"golang.org/x/net/publicsuffix"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/i18n"
)

// This file holds the one judgement of a report: which servers need the
// user's confirmation (DESIGN.md "Sources and the trust each earns"), the
// verdict of each direction and of the whole report with its one-sentence
// reason, the report's DNSSEC status, and the difference between a domain
// that publishes nothing and a resolver that does not answer. The front
// ends only render what is decided here.

// InDomain reports whether host is domain or a name under it. Both are
// compared in their ASCII (A-label) form, after IDNA, without case or a
// trailing dot; a name that is not a valid domain name is in no domain.
func InDomain(host, domain string) bool {
	h, ok1 := asciiName(host)
	d, ok2 := asciiName(domain)
	if !ok1 || !ok2 || d == "" {
		return false
	}
	return h == d || strings.HasSuffix(h, "."+d)
}

// asciiName is name in lower-case A-labels without a trailing dot.
func asciiName(name string) (string, bool) {
	name = strings.TrimSuffix(strings.TrimSpace(name), ".")
	a, err := idnaProfile.ToASCII(name)
	if err != nil {
		return "", false
	}
	return strings.ToLower(a), true
}

// RegisteredDomain returns the domain host belongs to: its registrable
// domain by the public suffix list (mail.example.co.uk belongs to
// example.co.uk), or the host itself when the list names none (a public
// suffix, a single label, an IP literal).
func RegisteredDomain(host string) string {
	h, ok := asciiName(host)
	if !ok {
		return host
	}
	if d, err := publicsuffix.EffectiveTLDPlusOne(h); err == nil {
		return d
	}
	return h
}

// verifiedTLS reports whether the probe of s verified TLS: implicit TLS or
// STARTTLS with a valid certificate.
func verifiedTLS(s *Server) bool {
	return s.Security != autoconfig.Plain && s.Probe.Status == ProbeOK && s.Probe.Cert != nil && s.Probe.Cert.Valid
}

// tiedByCertificate reports whether the certificate of s ties it to the
// email domain although its source is an unsigned SRV answer: the target is
// the email domain or a name under it, and TLS verified a certificate valid
// for a name in the domain (RFC 6186 §6, RFC 8314 §5.1; DESIGN.md).
func tiedByCertificate(s *Server, domain string) bool {
	if s.Trust != TrustDNS || !slices.Contains(s.Sources, SourceSRV) || !InDomain(s.Host, domain) || !verifiedTLS(s) {
		return false
	}
	return InDomain(s.Probe.Cert.MatchedName, domain)
}

// NeedsConfirmation reports whether the user must confirm the host of s as
// their provider's server before a password goes there (DESIGN.md): every
// server whose trust is below https, except one named by unsigned SRV
// inside the email domain whose verified certificate is valid for that
// host.
func NeedsConfirmation(s *Server, domain string) bool {
	return s.Trust.NeedsConfirmation() && !tiedByCertificate(s, domain)
}

// Direction is the judgement of one direction (incoming or outgoing).
type Direction struct {
	Verdict Verdict
	// Reason says why, in one sentence for a person.
	Reason string
	// Server is the recommended server, nil when there is none.
	Server *Server
}

// Judge judges one direction of rep: secure (verified, nothing to read
// first), caveats (verified; read the reason), unsafe (found, but nothing
// passed the checks, or a danger applies), none (nothing found). confirmed
// are the hosts the user vouched for; the report's own incoming_verdict and
// outgoing_verdict are Judge with the run's Options.Confirmed.
func Judge(rep *Report, incoming bool, confirmed []string) Direction {
	p := rep.printer()
	list, dir := rep.Outgoing, p.T("dir.for.outgoing")
	if incoming {
		list, dir = rep.Incoming, p.T("dir.for.incoming")
	}
	hostports := map[string]bool{}
	for i := range list {
		hostports[list[i].HostPort()] = true
	}
	switch {
	case rep.Offline():
		return Direction{Verdict: VerdictNone, Reason: p.T("reason.dir.offline")}
	case len(list) == 0:
		return Direction{Verdict: VerdictNone, Reason: p.T("reason.dir.none", "Dir", dir)}
	case guessedOnly(list):
		return Direction{Verdict: VerdictNone, Reason: p.T("reason.dir.guessed-only", "Dir", dir)}
	case !list[0].Recommended:
		d := Direction{Verdict: VerdictUnsafe, Reason: p.T("reason.dir.unsafe")}
		for _, w := range rep.Warnings {
			if w.Severity == SeverityDanger && hostports[w.Server] {
				d.Reason = warningSummary(p, w)
				break
			}
		}
		return d
	}
	s := &list[0]
	d := Direction{Verdict: VerdictSecure, Server: s}
	var note string
	for _, w := range rep.Warnings {
		if w.Server != s.HostPort() {
			continue
		}
		switch {
		case w.Code == WarnNeedsConfirmation || w.Code == WarnSRVOutsideDomain:
			// judged below from the trust rule and the user's confirmation
		case w.Severity == SeverityDanger:
			return Direction{Verdict: VerdictUnsafe, Reason: warningSummary(p, w), Server: s}
		case w.Severity == SeverityWarning && d.Verdict == VerdictSecure:
			d.Verdict, d.Reason = VerdictCaveats, warningSummary(p, w)
		case w.Severity == SeverityInfo && note == "":
			note = warningSummary(p, w)
		}
	}
	confirmedHost := slices.ContainsFunc(confirmed, func(h string) bool { return strings.EqualFold(strings.TrimSuffix(h, "."), s.Host) })
	switch {
	case NeedsConfirmation(s, rep.Domain) && !confirmedHost:
		d.Verdict = VerdictCaveats
		d.Reason = p.T("reason.dir.confirm", "Host", s.Host, "Trust", TrustFrom(s.Trust))
	case d.Verdict == VerdictSecure:
		d.Reason = verifiedSentence(p, s)
		if NeedsConfirmation(s, rep.Domain) {
			d.Reason = p.T("reason.dir.confirmed", "TLS", tlsName(s), "Host", s.Host)
		}
		if note != "" {
			d.Reason += " " + note
		}
	}
	return d
}

// Offline reports whether the run could not use DNS at all (a dns-failed
// warning about the run, not about one server's addresses): the network or
// the resolver is the problem, not the domain.
func (r *Report) Offline() bool {
	return slices.ContainsFunc(r.Warnings, func(w Warning) bool { return w.Code == WarnDNSFailed && w.Server == "" })
}

// guessedOnly reports whether every server of list comes only from
// guessing and none is recommended: nothing was published for the
// direction, and the guesses failed.
func guessedOnly(list []Server) bool {
	if len(list) == 0 || list[0].Recommended {
		return false
	}
	for _, s := range list {
		if !slices.Equal(s.Sources, []SourceName{SourceGuess}) {
			return false
		}
	}
	return true
}

// judge sets the report's verdicts and reason, after its warnings.
func judge(rep *Report, confirmed []string) {
	in, out := Judge(rep, true, confirmed), Judge(rep, false, confirmed)
	rep.IncomingVerdict, rep.IncomingReason = in.Verdict, in.Reason
	rep.OutgoingVerdict, rep.OutgoingReason = out.Verdict, out.Reason
	rep.Verdict, rep.Reason = JudgeReport(rep, confirmed)
}

// JudgeReport is the overall verdict of rep and its reason, with the hosts
// the user vouched for (confirmed): the report's own verdict and reason are
// JudgeReport with the run's Options.Confirmed. A front end that takes a
// confirmation after the run calls it again, so that the banner and the
// directions ([Judge]) never disagree.
func JudgeReport(rep *Report, confirmed []string) (Verdict, string) {
	in, out := Judge(rep, true, confirmed), Judge(rep, false, confirmed)
	recIn, recOut := rep.Recommended()
	recommended := map[string]bool{}
	for _, s := range []*Server{recIn, recOut} {
		if s != nil {
			recommended[s.HostPort()] = true
		}
	}
	worst := SeverityInfo
	for _, w := range rep.Warnings {
		if (w.Code == WarnNeedsConfirmation || w.Code == WarnSRVOutsideDomain) && recommended[w.Server] {
			continue // judged per direction, with the user's confirmation
		}
		if isServiceWarning(w.Code) {
			continue // services change no mail verdict (services.go)
		}
		switch {
		case w.Severity == SeverityDanger:
			worst = SeverityDanger
		case w.Severity == SeverityWarning && worst == SeverityInfo:
			worst = SeverityWarning
		}
	}
	domain := rep.DomainUnicode
	if domain == "" {
		domain = rep.Domain
	}
	p := rep.printer()
	switch {
	case rep.Offline():
		return VerdictNone, p.T("reason.offline")
	case worst == SeverityDanger || in.Verdict == VerdictUnsafe || out.Verdict == VerdictUnsafe:
		switch {
		case in.Verdict == VerdictNone && out.Verdict == VerdictNone:
			return VerdictUnsafe, p.T("reason.unsafe.nothing-usable", "Domain", domain)
		case recIn == nil && recOut == nil:
			return VerdictUnsafe, p.T("reason.unsafe.none-passed", "Domain", domain)
		}
		return VerdictUnsafe, p.T("reason.unsafe.part")
	case in.Verdict == VerdictNone && out.Verdict == VerdictNone:
		return VerdictNone, p.T("reason.none", "Domain", domain)
	case worst == SeverityWarning || in.Verdict != VerdictSecure || out.Verdict != VerdictSecure:
		return VerdictCaveats, p.T("reason.caveats")
	}
	if needs := func(s *Server) bool { return s != nil && NeedsConfirmation(s, rep.Domain) }; needs(recIn) || needs(recOut) {
		return VerdictSecure, p.T("reason.secure.confirmed")
	}
	return VerdictSecure, p.T("reason.secure", "Domain", domain)
}

// nothingFound rewrites the warnings of a direction whose only candidates
// were guessed and failed: nothing was published, so their failures are
// not warnings about the network or dangers (the server list keeps each
// probe's outcome), and the direction gets its no-incoming/no-outgoing
// warning (DESIGN.md: guessed candidates that fail are "nothing found").
func nothingFound(rep *Report) {
	for _, in := range []bool{true, false} {
		list, code, dir := rep.Outgoing, WarnNoOutgoing, direction(false)
		if in {
			list, code, dir = rep.Incoming, WarnNoIncoming, direction(true)
		}
		if !guessedOnly(list) {
			continue
		}
		var hosts []string
		guessed := map[string]bool{}
		for i := range list {
			hosts = append(hosts, list[i].HostPort())
			guessed[list[i].HostPort()] = true
		}
		// Their probe outcomes stay in the server list, for the helpdesk.
		rep.Warnings = slices.DeleteFunc(rep.Warnings, func(w Warning) bool { return guessed[w.Server] })
		rep.Warnings = append(rep.Warnings, newWarning(rep, code, SeverityWarning,
			i18n.M("warn.no-server.guessed-message", "Dir", dir, "Domain", rep.Domain, "Hosts", strings.Join(hosts, ", ")),
			i18n.M("warn.no-server.fix")))
	}
}

// offline rewrites the warnings of a run in which every DNS query failed:
// no-incoming and no-outgoing would blame the domain, dns-failed says what
// happened.
func offline(rep *Report, resolverErr error) {
	rep.Warnings = slices.DeleteFunc(rep.Warnings, func(w Warning) bool { return w.Code == WarnNoIncoming || w.Code == WarnNoOutgoing })
	msg := i18n.M("warn.dns-failed.message")
	if resolverErr != nil {
		msg = i18n.M("warn.dns-failed.message-detail", "Detail", resolverErr.Error())
	}
	rep.Warnings = append(rep.Warnings, newWarning(rep, WarnDNSFailed, SeverityWarning, msg, i18n.M("warn.dns-failed.fix")))
}

// warningSummary is a warning in one sentence, for a verdict's reason.
func warningSummary(p *i18n.Printer, w Warning) string {
	ids := map[string]string{
		WarnSTARTTLSMissing:        "summary.starttls-missing",
		WarnPlaintextOnly:          "summary.plaintext-only",
		WarnCertNameMismatch:       "summary.cert-name-mismatch",
		WarnCertExpired:            "summary.cert-expired",
		WarnCertInvalid:            "summary.cert-invalid",
		WarnDNSSECBogus:            "summary.dnssec-bogus",
		WarnDANEMismatch:           "summary.dane-mismatch",
		WarnImplicitTLSUnavailable: "summary.implicit-tls-unavailable",
	}
	if id, ok := ids[w.Code]; ok {
		return p.T(id)
	}
	// The first sentence of the message.
	msg := w.Message
	if w.msg != nil {
		msg = w.msg.Text(p)
	}
	if i := strings.Index(msg, ". "); i >= 0 {
		msg = msg[:i+1]
	}
	return msg
}

// TrustFrom says where settings of a trust level come from, with its
// preposition, for a sentence: "from the provider's own web site (https)".
func TrustFrom(t Trust) i18n.Text {
	ids := map[Trust]string{
		TrustLocal: "trust.from.local", TrustDNSSEC: "trust.from.dnssec", TrustHTTPS: "trust.from.https",
		TrustISPDB: "trust.from.ispdb", TrustDNS: "trust.from.dns", TrustMX: "trust.from.mx",
		TrustRedirect: "trust.from.redirect", TrustInsecure: "trust.from.insecure", TrustGuess: "trust.from.guess",
	}
	if id, ok := ids[t]; ok {
		return i18n.M(id)
	}
	return i18n.Plain(t)
}

// TrustPhrase says where settings of a trust level come from, for a
// sentence: "the provider's own web site (https)".
func TrustPhrase(t Trust) i18n.Text {
	ids := map[Trust]string{
		TrustLocal: "trust.phrase.local", TrustDNSSEC: "trust.phrase.dnssec", TrustHTTPS: "trust.phrase.https",
		TrustISPDB: "trust.phrase.ispdb", TrustDNS: "trust.phrase.dns", TrustMX: "trust.phrase.mx",
		TrustRedirect: "trust.phrase.redirect", TrustInsecure: "trust.phrase.insecure", TrustGuess: "trust.phrase.guess",
	}
	if id, ok := ids[t]; ok {
		return i18n.M(id)
	}
	return i18n.Plain(t)
}

func tlsName(s *Server) string {
	if s.Probe.TLSVersion != "" {
		return s.Probe.TLSVersion
	}
	return "TLS"
}

// verifiedSentence says what was verified about a server.
func verifiedSentence(p *i18n.Printer, s *Server) string {
	name := s.Host
	if c := s.Probe.Cert; c != nil && c.MatchedName != "" {
		name = c.MatchedName
	}
	return p.T("reason.dir.verified", "TLS", tlsName(s), "Name", name, "Trust", TrustFrom(s.Trust))
}

// dnssecStatus is the report's dnssec field: the weakest verdict on the
// answers the recommended settings rest on (the DNS answer of the source
// that named them, if a DNS answer did, and the hosts' addresses); with
// nothing recommended, the weakest verdict on every answer the run used.
func (r *run) dnssecStatus() dnssec.Verdict {
	v, used := dnssec.Secure, false
	use := func(x dnssec.Verdict) {
		if x != "" {
			v, used = worse(v, x), true
		}
	}
	recommended := false
	for _, in := range []bool{true, false} {
		if ranked := r.ranked(in); len(ranked) > 0 && ranked[0].verified() {
			recommended = true
			use(ranked[0].best.f.dnssec)
			use(ranked[0].addrs)
		}
	}
	if !recommended {
		for _, a := range r.answers {
			use(a)
		}
		for _, c := range r.list {
			use(c.addrs)
		}
	}
	if !used {
		return dnssec.Indeterminate
	}
	return v
}

// countingResolver counts the queries of a run that got an answer and
// those that failed, to tell a dead resolver from a domain that publishes
// nothing. Queries cut off by the run's own end count as neither.
type countingResolver struct {
	resolver.Resolver
	mu        sync.Mutex
	answered  int
	failed    int
	lastError error
}

func (c *countingResolver) Query(ctx context.Context, name string, qtype uint16) (*resolver.Answer, error) {
	a, err := c.Resolver.Query(ctx, name, qtype)
	if ctx.Err() == nil {
		c.mu.Lock()
		if err != nil {
			c.failed++
			c.lastError = err
		} else {
			c.answered++
		}
		c.mu.Unlock()
	}
	return a, err
}

// dead reports whether every query failed, and the last error.
func (c *countingResolver) dead() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.answered == 0 && c.failed > 0, c.lastError
}
