package detect

import (
	"slices"
	"strings"

	"sort"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/version"
)

// ranked returns the candidates of one direction, best first. Deferred
// guesses that were never probed are left out.
func (r *run) ranked(in bool) []*candidate {
	var out []*candidate
	for _, c := range r.list {
		if c.incoming() == in && c.state != probeDeferred {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j], false) })
	return out
}

// less orders candidates as DESIGN.md "Ranking (RFC 8314)" says. With
// assumeVerified, a is compared as if its probe had verified it, to ask
// whether it could still outrank b.
func less(a, b *candidate, assumeVerified bool) bool {
	return lessRank(a.rank(), b.rank(), assumeVerified)
}

// rankKey is what ranking compares of a mail server or a service.
type rankKey struct {
	verdict      int // verdictRankOf
	daneVerified bool
	security     autoconfig.Security
	trust        Trust
	srv          *srvOrder
	protocol     autoconfig.Protocol
	source       SourceName
	order, seq   int
}

func (c *candidate) rank() rankKey {
	return rankKey{c.verdictRank(), c.dane.status == DANEVerified, c.key.security, c.trust(), c.best.f.srv,
		c.key.protocol, c.best.name, c.best.f.order, c.seq}
}

// lessRank orders as DESIGN.md "Ranking (RFC 8314)" says, mail servers and
// services alike (see less for assumeVerified).
func lessRank(a, b rankKey, assumeVerified bool) bool {
	va, vb := a.verdict, b.verdict
	if assumeVerified {
		va = 0
	}
	if va != vb { // 1. probe verdict
		return va < vb
	}
	// A verified DANE match ranks above a PKIX-only server.
	if da, db := a.daneVerified, b.daneVerified; da != db && !assumeVerified {
		return da
	}
	// 2. implicit TLS > STARTTLS > plain (RFC 8314 §3.3, §3.1)
	if sa, sb := a.security.Rank(), b.security.Rank(); sa != sb {
		return sa < sb
	}
	// 3. trust of the best source that named it
	if ta, tb := a.trust.Level(), b.trust.Level(); ta != tb {
		return ta > tb
	}
	// IMAP before POP3, unless SRV priorities say otherwise (RFC 6186 §3.4).
	sa, sb := a.srv, b.srv
	if sa != nil && sb != nil && sa.priority != sb.priority {
		return sa.priority < sb.priority
	}
	if pa, pb := protoRank(a.protocol), protoRank(b.protocol); pa != pb {
		return pa < pb
	}
	// 4. the source's own order
	if pa, pb := a.source.precedence(), b.source.precedence(); pa != pb {
		return pa < pb
	}
	if a.order != b.order {
		return a.order < b.order
	}
	if sa != nil && sb != nil && sa.weight != sb.weight {
		return sa.weight > sb.weight
	}
	return a.seq < b.seq
}

func protoRank(p autoconfig.Protocol) int {
	switch p {
	case autoconfig.IMAP:
		return 0
	case autoconfig.POP3:
		return 1
	default:
		return 2
	}
}

// probeStatus maps a probe result onto the report's statuses.
func probeStatus(res probe.Result) ProbeStatus {
	switch res.Status {
	case probe.StatusOK:
		return ProbeOK
	case probe.StatusTLSError:
		return ProbeTLSError
	case probe.StatusProtocolError:
		return ProbeProtocolError
	case probe.StatusUnreachable:
		return ProbeUnreachable
	case probe.StatusTimeout:
		return ProbeTimeout
	default:
		return ProbeNotProbed
	}
}

// server renders a candidate for the report.
func (r *run) server(c *candidate) Server {
	s := Server{
		Protocol: c.key.protocol, Host: c.key.host, Port: c.key.port, Security: c.key.security,
		Username: c.best.f.server.Username,
		Auth:     c.best.f.server.Auth,
		Trust:    c.trust(),
		Login:    LoginReport{Status: "not-tried"},
		Probe:    ProbeReport{Status: ProbeNotProbed},
	}
	if s.Username == "" {
		for _, o := range c.origins {
			if o.f.server.Username != "" {
				s.Username = o.f.server.Username
				break
			}
		}
	}
	if s.Username == "" {
		s.Username = r.addr.String()
	}
	for _, o := range c.origins {
		if !slices.Contains(s.Sources, o.name) {
			s.Sources = append(s.Sources, o.name)
		}
	}
	slices.SortFunc(s.Sources, func(a, b SourceName) int { return a.precedence() - b.precedence() })
	if c.state == probeDone {
		s.Probe = probeReport(c.result)
		s.Probe.DANE, s.Probe.DANEDetail = c.dane.status, c.dane.reason
	}
	setSignin(&s, c)
	return s
}

func probeReport(res probe.Result) ProbeReport {
	p := ProbeReport{
		Status:          probeStatus(res),
		Error:           res.Error,
		Address:         res.Address,
		TLSVersion:      res.TLSVersion,
		CipherSuite:     res.CipherSuite,
		Capabilities:    res.Capabilities,
		SASL:            res.SASL,
		STARTTLSOffered: res.STARTTLSOffered,
		ElapsedMS:       res.Elapsed.Milliseconds(),
		Transcript:      transcript(res.Transcript),

		STARTTLSInjected: res.STARTTLSInjected,
	}
	if k := probe.KindOf(res.Err); k != nil {
		p.Failure = k.Code()
	}
	for _, a := range res.Addresses {
		p.Tried = append(p.Tried, AddrReport{Address: a.IP.String(), Network: a.Network, Error: a.Error, ElapsedMS: a.Connect.Milliseconds()})
	}
	if c := res.Cert; c != nil {
		p.Cert = &CertReport{Valid: c.Valid, Problem: string(c.Problem), Error: c.Error, Subject: c.Subject, Issuer: c.Issuer,
			DNSNames: c.DNSNames, MatchedName: c.MatchedName}
		if len(c.Chain) > 0 {
			p.Cert.SPKISHA256 = spkiSHA256(c.Chain[0])
		}
		if !c.NotBefore.IsZero() {
			p.Cert.NotBefore = c.NotBefore.UTC().Format(time.RFC3339)
		}
		if !c.NotAfter.IsZero() {
			p.Cert.NotAfter = c.NotAfter.UTC().Format(time.RFC3339)
		}
	}
	return p
}

// report builds the final Report.
func (r *run) report() *Report {
	rep := &Report{
		Version:       ReportVersion,
		Lang:          string(r.o.Printer.Lang()),
		Generator:     &Generator{Name: "mailsetup", Version: version.String()},
		Address:       r.addr.String(),
		Domain:        r.addr.Domain,
		DomainUnicode: r.addr.DomainUnicode,
		ElapsedMS:     r.since().Milliseconds(),
		DNSSEC:        string(r.dnssecStatus()),
		Incoming:      []Server{},
		Outgoing:      []Server{},
		Warnings:      []Warning{},
	}
	for _, s := range sources {
		rep.Sources = append(rep.Sources, r.srcs[s.name].report)
	}
	for _, in := range []bool{true, false} {
		var list []Server
		for i, c := range r.ranked(in) {
			s := r.server(c)
			s.Recommended = i == 0 && c.verified()
			list = append(list, s)
		}
		if list == nil {
			list = []Server{}
		}
		if in {
			rep.Incoming = list
		} else {
			rep.Outgoing = list
		}
	}
	rep.Calendar, rep.Contacts, rep.JMAP = r.services(autoconfig.CalDAV), r.services(autoconfig.CardDAV), r.services(autoconfig.JMAP)
	rep.Warnings = warnings(rep)
	for _, w := range r.srcWarnings {
		rep.Warnings = append(rep.Warnings, newWarning(rep, w.code, w.severity, w.msg, w.fix))
	}
	nothingFound(rep)
	rep.Warnings = append(rep.Warnings, serviceWarnings(rep)...)
	r.hostsMu.Lock()
	bogus := slices.Clone(r.bogus)
	r.hostsMu.Unlock()
	if len(bogus) > 0 {
		// Each entry is "NAME TYPE: reason"; the reasons usually repeat.
		var names, reasons []string
		for _, b := range bogus {
			n, why, _ := strings.Cut(b, ": ")
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
			if !slices.Contains(reasons, why) {
				reasons = append(reasons, why)
			}
		}
		slices.Sort(names)
		rep.Warnings = append(rep.Warnings, newWarning(rep, WarnDNSSECBogus, SeverityDanger,
			i18n.M("warn.dnssec-bogus.message", "Names", strings.Join(names, ", "), "Detail", strings.Join(reasons, "; ")),
			i18n.M("warn.dnssec-bogus.fix")))
	}
	if dead, err := r.dns.dead(); dead {
		if in, out := rep.Recommended(); in == nil && out == nil {
			offline(rep, err)
		}
	}
	rep.Localize(r.o.Printer, r.o.Confirmed)
	return rep
}

func transcript(lines []probe.Line) []TranscriptLine {
	var out []TranscriptLine
	for _, l := range lines {
		out = append(out, TranscriptLine{AtMS: l.At.Milliseconds(), From: l.From, Text: l.Text, BeforeTLS: l.BeforeTLS})
	}
	return out
}
