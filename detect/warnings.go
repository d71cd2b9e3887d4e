package detect

import (
	"slices"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/i18n"
)

// Warning codes of the report contract. Each is documented, with its
// meaning and fix, in the README.
const (
	WarnImplicitTLSUnavailable = "implicit-tls-unavailable"
	WarnSTARTTLSMissing        = "starttls-missing"
	WarnPlaintextOnly          = "plaintext-only"
	WarnCertInvalid            = "cert-invalid"
	WarnCertNameMismatch       = "cert-name-mismatch"
	WarnCertExpired            = "cert-expired"
	WarnNeedsConfirmation      = "needs-confirmation"
	WarnSRVOutsideDomain       = "srv-target-outside-domain"
	WarnProbeFailed            = "probe-failed"
	WarnDNSSECBogus            = "dnssec-bogus"
	WarnDANEMismatch           = "dane-mismatch"
	WarnNoIncoming             = "no-incoming"
	WarnNoOutgoing             = "no-outgoing"
	// WarnOAuth2Required (info): the recommended server of a direction
	// signs the user in on the provider's web page (OAuth2): it offers no
	// password mechanism, or the config lists only OAuth2.
	WarnOAuth2Required = "oauth2-required"
)

// OAuth2Sentence says, for people, how they sign in to a provider that uses
// OAuth2, with its app-password page when there is one, in English; see
// [OAuth2Message] for the other languages.
func OAuth2Sentence(appPasswordURL string) string { return OAuth2Message(appPasswordURL).Text(nil) }

// OAuth2Message is [OAuth2Sentence] as a catalogue message, said in any
// language. The report's oauth2-required warning, the login check's
// "not-possible" answer and the front ends all use it.
func OAuth2Message(appPasswordURL string) i18n.Msg {
	if appPasswordURL != "" {
		return i18n.M("warn.oauth2-required.message-url", "URL", appPasswordURL)
	}
	return i18n.M("warn.oauth2-required.message")
}

// noPasswordSentence answers a password check on a server that offers no
// password mechanism: how the user signs in there instead.
func noPasswordSentence(s *Server) i18n.Msg {
	if s.Signin == SigninOAuth2 || s.Signin == SigninPasswordOrOAuth2 || s.OffersOAuth2() {
		return OAuth2Message(s.AppPasswordURL())
	}
	return i18n.M("login.no-password-mechanism")
}

// oauth2Fix is the fix of the oauth2-required warning.
func oauth2Fix(appPasswordURL string) i18n.Msg {
	if appPasswordURL != "" {
		return i18n.M("warn.oauth2-required.fix-url", "URL", appPasswordURL)
	}
	return i18n.M("warn.oauth2-required.fix")
}

// Warning codes that say what stopped the best server of a direction, and
// what a probe saw on the way. Each is documented in the README.
const (
	// WarnSTARTTLSInjection: bytes arrived after the STARTTLS answer and
	// before the TLS handshake; they were discarded.
	WarnSTARTTLSInjection = "starttls-injection"
	// WarnHostNotFound: the host name a source gave does not exist.
	WarnHostNotFound = "host-not-found"
	// WarnDNSFailed: DNS lookups failed. With a server, that server's
	// addresses could not be looked up; without one, every DNS query of
	// the run failed (offline, or a resolver that does not answer), see
	// [Report.Offline].
	WarnDNSFailed = "dns-failed"
	// WarnConnectionRefused: the host answered, the port is closed.
	WarnConnectionRefused = "connection-refused"
	// WarnNetworkUnreachable: no route to the host.
	WarnNetworkUnreachable = "network-unreachable"
	// WarnServerTimeout: no answer in time (a firewall or filter is plausible).
	WarnServerTimeout = "server-timeout"
	// WarnTLSFailed: the TLS handshake failed.
	WarnTLSFailed = "tls-failed"
)

// newWarning is a warning whose message and fix are said in the report's
// language, and kept as catalogue messages for [Report.Localize].
func newWarning(rep *Report, code string, sev Severity, msg, fix i18n.Text) Warning {
	p := rep.printer()
	return Warning{Code: code, Severity: sev, Message: msg.Text(p), Fix: fix.Text(p), msg: msg, fix: fix}
}

// failureIs reports whether a probe failed with the kind k.
func failureIs(p ProbeReport, k *probe.Kind) bool { return p.Failure == k.Code() }

// direction names a direction inside a warning's sentence ("incoming").
func direction(in bool) i18n.Msg {
	if in {
		return i18n.M("dir.incoming")
	}
	return i18n.M("dir.outgoing")
}

// warnings derives the report's warnings from its ranked lists.
func warnings(rep *Report) []Warning {
	ws := []Warning{}
	add := func(code string, sev Severity, s *Server, msg, fix i18n.Text) {
		w := newWarning(rep, code, sev, msg, fix)
		if s != nil {
			w.Server = s.HostPort()
		}
		ws = append(ws, w)
	}
	for _, in := range []bool{true, false} {
		list := rep.Outgoing
		if in {
			list = rep.Incoming
		}
		dir := direction(in)
		if len(list) == 0 {
			code := WarnNoOutgoing
			if in {
				code = WarnNoIncoming
			}
			add(code, SeverityWarning, nil,
				i18n.M("warn.no-server.message", "Dir", dir, "Domain", rep.Domain),
				i18n.M("warn.no-server.fix"))
			continue
		}
		top := &list[0]
		if top.Recommended && top.Signin == SigninOAuth2 && !(!in && oauth2Said(ws, top.Host)) {
			add(WarnOAuth2Required, SeverityInfo, top, OAuth2Message(top.AppPasswordURL()), oauth2Fix(top.AppPasswordURL()))
		}
		if top.Recommended {
			if top.Security == autoconfig.STARTTLS {
				add(WarnImplicitTLSUnavailable, SeverityInfo, top,
					i18n.M("warn.implicit-tls-unavailable.message", "Dir", dir, "Server", top.HostPort()),
					i18n.M("warn.implicit-tls-unavailable.fix"))
			}
			if NeedsConfirmation(top, rep.Domain) && !(!in && confirmed(ws, top.Host)) {
				if in && len(rep.Outgoing) > 0 && rep.Outgoing[0].Recommended && rep.Outgoing[0].Host == top.Host {
					dir = i18n.M("dir.both")
				}
				add(WarnNeedsConfirmation, SeverityWarning, top,
					i18n.M("warn.needs-confirmation.message", "Dir", dir, "Host", top.Host, "Trust", string(top.Trust), "Sources", joinSources(top.Sources), "Domain", rep.Domain),
					i18n.M("warn.needs-confirmation.fix", "Host", top.Host))
			}
		}
		for i := range list {
			s := &list[i]
			first := i == 0 && !s.Recommended
			if s.Trust == TrustDNS && containsSource(s.Sources, SourceSRV) && !withinDomain(s.Host, rep.Domain) && (i == 0) {
				add(WarnSRVOutsideDomain, SeverityWarning, s,
					i18n.M("warn.srv-target-outside-domain.message", "Domain", rep.Domain, "Host", s.Host),
					i18n.M("warn.srv-target-outside-domain.fix"))
			}
			sev := SeverityInfo
			if first {
				sev = SeverityDanger
			}
			if s.Probe.DANE == DANEMismatch {
				add(WarnDANEMismatch, SeverityDanger, s,
					i18n.M("warn.dane-mismatch.message", "Server", s.HostPort(), "Detail", s.Probe.DANEDetail),
					i18n.M("warn.dane-mismatch.fix"))
			}
			if c := s.Probe.Cert; c != nil && !c.Valid {
				code := WarnCertInvalid
				switch probe.CertProblem(c.Problem) {
				case probe.ProblemExpired:
					code = WarnCertExpired
				case probe.ProblemNameMismatch:
					code = WarnCertNameMismatch
				}
				add(code, sev, s, i18n.M("warn.cert-invalid.message", "Server", s.HostPort(), "Problem", certProblem(c), "Detail", c.Error),
					i18n.M("warn.cert-invalid.fix"))
			}
			if n := s.Probe.STARTTLSInjected; n > 0 {
				add(WarnSTARTTLSInjection, SeverityWarning, s,
					i18n.MN("warn.starttls-injection.message", n, "Server", s.HostPort()),
					i18n.M("warn.starttls-injection.fix"))
			}
			refused := s.Security == autoconfig.STARTTLS && failureIs(s.Probe, probe.ErrSTARTTLSRefused)
			missing := s.Security == autoconfig.STARTTLS && (failureIs(s.Probe, probe.ErrSTARTTLSMissing) ||
				s.Probe.Failure == "" && s.Probe.Status == ProbeProtocolError && !s.Probe.STARTTLSOffered) // a report without failure codes
			if refused || missing || s.Security == autoconfig.Plain && s.Probe.Status == ProbeOK && !s.Probe.STARTTLSOffered {
				evidence := i18n.M("warn.starttls-missing.plaintext")
				switch {
				case refused:
					evidence = i18n.M("warn.starttls-missing.refused")
				case missing:
					evidence = i18n.M("warn.starttls-missing.missing")
					if named := slices.DeleteFunc(slices.Clone(s.Sources), func(n SourceName) bool { return n == SourceGuess }); len(named) > 0 {
						evidence = i18n.M("warn.starttls-missing.published", "Sources", sourceWords(named))
					}
				}
				how := i18n.M("warn.starttls-missing.how-removed")
				if refused {
					how = i18n.M("warn.starttls-missing.how-refused")
				}
				instead := i18n.M("warn.starttls-missing.instead")
				if alt := firstVerifiedTLS(list); alt != nil {
					instead = i18n.M("warn.starttls-missing.instead-alt", "Server", alt.HostPort(), "Security", alt.Security.Label())
				}
				add(WarnSTARTTLSMissing, sev, s,
					i18n.M("warn.starttls-missing.message", "Server", s.HostPort(), "Evidence", evidence, "How", how),
					i18n.M("warn.starttls-missing.fix", "Instead", instead))
			}
		}
		if !top.Recommended {
			reachablePlain, anyTLSReachable := false, false
			for _, s := range list {
				if s.Probe.Status == ProbeOK {
					if s.Security == autoconfig.Plain {
						reachablePlain = true
					} else {
						anyTLSReachable = true
					}
				}
			}
			explained := false // a danger warning already names the top server's problem
			for _, w := range ws {
				explained = explained || w.Severity == SeverityDanger && w.Server == top.HostPort()
			}
			switch {
			case reachablePlain && !anyTLSReachable:
				add(WarnPlaintextOnly, SeverityDanger, top,
					i18n.M("warn.plaintext-only.message", "Dir", dir),
					i18n.M("warn.plaintext-only.fix"))
			case explained, failureIs(top.Probe, probe.ErrDNSSECBogus): // dnssec-bogus says it
			default:
				code, msg, fix := failureWarning(top, dir)
				add(code, SeverityDanger, top, msg, fix)
			}
		}
	}
	return ws
}

// failureWarning says what stopped top, the best server of direction dir,
// when nothing was usable: the code, the message and the fix.
func failureWarning(top *Server, dir i18n.Msg) (code string, msg, fix i18n.Msg) {
	p := top.Probe
	args := []any{"Dir", dir, "Host", top.Host, "Server", top.HostPort(), "Port", top.Port, "Sources", sourceWords(top.Sources), "Detail", p.Error}
	switch {
	case failureIs(p, probe.ErrHostNotFound):
		return WarnHostNotFound, i18n.M("warn.host-not-found.message", args...), i18n.M("warn.host-not-found.fix")
	case failureIs(p, probe.ErrLookupFailed):
		return WarnDNSFailed, i18n.M("warn.dns-failed.server-message", args...), i18n.M("warn.dns-failed.server-fix")
	case failureIs(p, probe.ErrConnectionRefused):
		return WarnConnectionRefused, i18n.M("warn.connection-refused.message", args...), i18n.M("warn.connection-refused.fix")
	case failureIs(p, probe.ErrNetworkUnreachable) || p.Failure == "" && p.Status == ProbeUnreachable:
		return WarnNetworkUnreachable, i18n.M("warn.network-unreachable.message", args...), i18n.M("warn.network-unreachable.fix")
	case failureIs(p, probe.ErrTimeout) || p.Failure == "" && (p.Status == ProbeTimeout || p.Status == ProbeNotProbed):
		return WarnServerTimeout, i18n.M("warn.server-timeout.message", args...), i18n.M("warn.server-timeout.fix")
	case failureIs(p, probe.ErrTLS) || p.Failure == "" && p.Status == ProbeTLSError && p.Cert == nil:
		return WarnTLSFailed, i18n.M("warn.tls-failed.message", args...), i18n.M("warn.tls-failed.fix")
	default:
		return WarnProbeFailed, i18n.M("warn.probe-failed.message", args...), i18n.M("warn.probe-failed.fix")
	}
}

// certProblem names what is wrong with a certificate, in words.
func certProblem(c *CertReport) i18n.Msg {
	switch probe.CertProblem(c.Problem) {
	case probe.ProblemExpired:
		return i18n.M("cert.problem.expired")
	case probe.ProblemNotYetValid:
		return i18n.M("cert.problem.not-yet-valid")
	case probe.ProblemNameMismatch:
		return i18n.M("cert.problem.name-mismatch")
	case probe.ProblemUntrusted:
		return i18n.M("cert.problem.untrusted")
	}
	return i18n.M("cert.problem.invalid")
}

// firstVerifiedTLS returns the first server of list whose probe verified
// implicit TLS or STARTTLS.
func firstVerifiedTLS(list []Server) *Server {
	for i := range list {
		s := &list[i]
		if s.Security != autoconfig.Plain && s.Probe.Status == ProbeOK && s.Probe.Cert != nil && s.Probe.Cert.Valid {
			return s
		}
	}
	return nil
}

// oauth2Said reports whether an oauth2-required warning already names
// host (the incoming server of the same provider): one sentence is enough.
func oauth2Said(ws []Warning, host string) bool {
	return slices.ContainsFunc(ws, func(w Warning) bool {
		return w.Code == WarnOAuth2Required && strings.HasPrefix(w.Server, host+":")
	})
}

// confirmed reports whether a needs-confirmation warning already names host.
func confirmed(ws []Warning, host string) bool {
	for _, w := range ws {
		if w.Code == WarnNeedsConfirmation && strings.HasPrefix(w.Server, host+":") {
			return true
		}
	}
	return false
}

// sourceWords names sources for a sentence: "DNS SRV records and autoconfig".
func sourceWords(s []SourceName) i18n.List {
	ids := map[SourceName]string{SourceLocal: "source.phrase.local", SourceSRV: "source.phrase.srv",
		SourceAutoconfig: "source.phrase.autoconfig", SourceWellKnown: "source.phrase.autoconfig-wellknown",
		SourceAutoconfigHTTP: "source.phrase.autoconfig-http", SourceISPDB: "source.phrase.ispdb", SourceMX: "source.phrase.mx",
		SourceAutodiscover: "source.phrase.autodiscover", SourceGuess: "source.phrase.guess", SourcePACC: "source.phrase.pacc"}
	parts := make(i18n.List, len(s))
	for i, n := range s {
		if id, ok := ids[n]; ok {
			parts[i] = i18n.M(id)
		} else {
			parts[i] = i18n.Plain(n)
		}
	}
	return parts
}

func joinSources(s []SourceName) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = string(n)
	}
	return strings.Join(parts, ", ")
}

func containsSource(s []SourceName, n SourceName) bool {
	for _, x := range s {
		if x == n {
			return true
		}
	}
	return false
}
