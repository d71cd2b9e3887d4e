package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
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
// OAuth2, with its app-password page when there is one. The report's
// oauth2-required warning, the login check's "not-possible" answer and the
// front ends all use it.
func OAuth2Sentence(appPasswordURL string) string {
	s := "This provider signs you in on its own web page (OAuth2). Your mail client opens it when you add the account; a normal password will be refused unless you create an app password"
	if appPasswordURL != "" {
		return s + " (" + appPasswordURL + ")."
	}
	return s + "."
}

// noPasswordSentence answers a password check on a server that offers no
// password mechanism: how the user signs in there instead.
func noPasswordSentence(s *Server) string {
	if s.Signin == SigninOAuth2 || s.Signin == SigninPasswordOrOAuth2 || s.OffersOAuth2() {
		return OAuth2Sentence(s.AppPasswordURL())
	}
	return "This server does not accept a password. Ask your provider how your mail client should sign in."
}

// oauth2Fix is the fix of the oauth2-required warning.
func oauth2Fix(appPasswordURL string) string {
	s := "Add the account in a mail client that supports OAuth2 (Thunderbird, Thunderbird for Android, Apple Mail, Outlook) and sign in on the page it opens. A client that cannot do OAuth2 needs an app password from the provider"
	if appPasswordURL != "" {
		return s + ": " + appPasswordURL
	}
	return s + "."
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

// failureIs reports whether a probe failed with the kind k.
func failureIs(p ProbeReport, k *probe.Kind) bool { return p.Failure == k.Code() }

func direction(in bool) string {
	if in {
		return "incoming"
	}
	return "outgoing"
}

// warnings derives the report's warnings from its ranked lists.
func warnings(rep *Report) []Warning {
	ws := []Warning{}
	add := func(code string, sev Severity, s *Server, msg, fix string) {
		w := Warning{Code: code, Severity: sev, Message: msg, Fix: fix}
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
				fmt.Sprintf("No source named an %s mail server for %s.", dir, rep.Domain),
				"Ask the provider for the server settings; as the domain's admin, publish SRV records (RFC 6186, RFC 8314) or an autoconfig file.")
			continue
		}
		top := &list[0]
		if top.Recommended && top.Signin == SigninOAuth2 && !(!in && oauth2Said(ws, top.Host)) {
			add(WarnOAuth2Required, SeverityInfo, top, OAuth2Sentence(top.AppPasswordURL()), oauth2Fix(top.AppPasswordURL()))
		}
		if top.Recommended {
			if top.Security == autoconfig.STARTTLS {
				add(WarnImplicitTLSUnavailable, SeverityInfo, top,
					fmt.Sprintf("No %s server with implicit TLS could be verified; %s uses STARTTLS, which a mail client must require so that it cannot be stripped.", dir, top.HostPort()),
					"Set the client's security to STARTTLS (never \"if available\"). Providers: offer implicit TLS (IMAP 993, POP3 995, submission 465) as RFC 8314 §3 asks, and publish _imaps/_submissions SRV records.")
			}
			if NeedsConfirmation(top, rep.Domain) && !(!in && confirmed(ws, top.Host)) {
				if in && len(rep.Outgoing) > 0 && rep.Outgoing[0].Recommended && rep.Outgoing[0].Host == top.Host {
					dir = "incoming and outgoing"
				}
				add(WarnNeedsConfirmation, SeverityWarning, top,
					fmt.Sprintf("The %s settings point to %s and come only from a source of trust %q (%s): nothing proves they belong to %s.", dir, top.Host, top.Trust, joinSources(top.Sources), rep.Domain),
					fmt.Sprintf("Confirm that %s is really your provider's server before you send your password there. Admins: publish autoconfig over https or DNSSEC-signed SRV records.", top.Host))
			}
		}
		for i := range list {
			s := &list[i]
			first := i == 0 && !s.Recommended
			if s.Trust == TrustDNS && containsSource(s.Sources, SourceSRV) && !withinDomain(s.Host, rep.Domain) && (i == 0) {
				add(WarnSRVOutsideDomain, SeverityWarning, s,
					fmt.Sprintf("The SRV record of %s points outside the domain, to %s, and is not DNSSEC-signed: an attacker who can change DNS answers could redirect you (RFC 6186 §6).", rep.Domain, s.Host),
					"Confirm the server name with the provider. Admins: sign the zone with DNSSEC.")
			}
			sev := SeverityInfo
			if first {
				sev = SeverityDanger
			}
			if s.Probe.DANE == DANEMismatch {
				add(WarnDANEMismatch, SeverityDanger, s,
					fmt.Sprintf("%s presented a certificate that matches none of its DNSSEC-signed TLSA records: %s. Either the server's key changed without its TLSA records, or someone is intercepting the connection.", s.HostPort(), s.Probe.DANEDetail),
					"Do not use this server until it matches. Admins: publish a TLSA record for the new key (3 1 1 of the served key) before switching keys, as RFC 7671 §8.1 describes.")
			}
			if c := s.Probe.Cert; c != nil && !c.Valid {
				code := WarnCertInvalid
				switch probe.CertProblem(c.Problem) {
				case probe.ProblemExpired:
					code = WarnCertExpired
				case probe.ProblemNameMismatch:
					code = WarnCertNameMismatch
				}
				add(code, sev, s, fmt.Sprintf("%s presents a certificate that fails verification: %s.", s.HostPort(), c.Error),
					"Do not accept an exception in your mail client. The server's admin must install a valid certificate for this name from a trusted CA.")
			}
			if n := s.Probe.STARTTLSInjected; n > 0 {
				add(WarnSTARTTLSInjection, SeverityWarning, s,
					fmt.Sprintf("%s: %d bytes arrived after the server's answer to STARTTLS and before the TLS handshake. They were discarded and the checks went on over verified TLS, but a correct server sends nothing there: the server is broken, or someone on the path is injecting data (a STARTTLS response injection).", s.HostPort(), n),
					"Make sure your mail client is up to date (old clients took such bytes for the server's answer). Admins: check the server and anything in front of it (proxies, load balancers, filters); prefer implicit TLS (993, 995, 465), which has no plaintext phase.")
			}
			refused := s.Security == autoconfig.STARTTLS && failureIs(s.Probe, probe.ErrSTARTTLSRefused)
			missing := s.Security == autoconfig.STARTTLS && (failureIs(s.Probe, probe.ErrSTARTTLSMissing) ||
				s.Probe.Failure == "" && s.Probe.Status == ProbeProtocolError && !s.Probe.STARTTLSOffered) // a report without failure codes
			if refused || missing || s.Security == autoconfig.Plain && s.Probe.Status == ProbeOK && !s.Probe.STARTTLSOffered {
				evidence := "It answered in plaintext only"
				switch {
				case refused:
					evidence = "The server advertised STARTTLS, then refused it when asked"
				case missing:
					evidence = "This is a STARTTLS port, yet the server's answer did not offer STARTTLS"
					if named := slices.DeleteFunc(slices.Clone(s.Sources), func(n SourceName) bool { return n == SourceGuess }); len(named) > 0 {
						evidence = fmt.Sprintf("The settings published by %s say this port uses STARTTLS, yet the server's answer did not offer it", sourceWords(named))
					}
				}
				how := "removed STARTTLS from the answer"
				if refused {
					how = "answered the STARTTLS command with a refusal in the server's name"
				}
				instead := "Use an implicit-TLS port (993, 995, 465) or another network, and ask the admin to enable TLS."
				if alt := firstVerifiedTLS(list); alt != nil {
					instead = fmt.Sprintf("Use %s (%s), which was verified, instead.", alt.HostPort(), alt.Security)
				}
				add(WarnSTARTTLSMissing, sev, s,
					fmt.Sprintf("%s: %s. Either the server has no working TLS, or someone between you and it %s (a stripping attack) so that a client falls back to sending your password and mail in the clear.", s.HostPort(), evidence, how),
					"Never let the client fall back to an unencrypted connection (security \"STARTTLS\", not \"if available\"). "+instead)
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
					fmt.Sprintf("The only working %s servers are unencrypted: your password and mail would cross the network in the clear.", dir),
					"Do not use these settings. Ask the provider for TLS (RFC 8314), or use another provider.")
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
func failureWarning(top *Server, dir string) (code, msg, fix string) {
	p := top.Probe
	failed := fmt.Sprintf("the best candidate, %s, failed: %s", top.HostPort(), p.Error)
	switch {
	case failureIs(p, probe.ErrHostNotFound):
		return WarnHostNotFound,
			fmt.Sprintf("No %s server could be used: the host name %s, which %s gave, does not exist in the DNS (or has no address).", dir, top.Host, sourceWords(top.Sources)),
			"The settings name a server that does not exist: ask the provider for the right server name. Admins: publish the host's A/AAAA records, or correct the SRV record or autoconfig file that names it."
	case failureIs(p, probe.ErrLookupFailed):
		return WarnDNSFailed,
			fmt.Sprintf("No %s server could be used: the addresses of %s could not be looked up; %s", dir, top.Host, failed),
			"Check the DNS resolver (or try another one), then try again. Admins: check that the host's zone answers and, when signed, validates."
	case failureIs(p, probe.ErrConnectionRefused):
		return WarnConnectionRefused,
			fmt.Sprintf("No %s server could be used: %s answered, but nothing accepts connections on port %d, which %s gave.", dir, top.Host, top.Port, sourceWords(top.Sources)),
			"The port is closed on the server: the settings name the wrong port, or the service is down. Ask the provider for the right port; admins: start the service or open the port."
	case failureIs(p, probe.ErrNetworkUnreachable) || p.Failure == "" && p.Status == ProbeUnreachable:
		return WarnNetworkUnreachable,
			fmt.Sprintf("No %s server could be used: there is no route to %s from this network; %s", dir, top.Host, failed),
			"Check this computer's network connection (an IPv6-only or IPv4-only network cannot reach a host of the other kind), then try again; helpdesk: compare with another network."
	case failureIs(p, probe.ErrTimeout) || p.Failure == "" && (p.Status == ProbeTimeout || p.Status == ProbeNotProbed):
		return WarnServerTimeout,
			fmt.Sprintf("No %s server could be used: %s did not answer in time (%s).", dir, top.HostPort(), p.Error),
			"A firewall or filter may be dropping the connection (networks of hotels, schools and companies often block mail ports): try again, or from another network. Admins: check that the server is up and the port open to the world."
	case failureIs(p, probe.ErrTLS) || p.Failure == "" && p.Status == ProbeTLSError && p.Cert == nil:
		return WarnTLSFailed,
			fmt.Sprintf("No %s server could be used: the TLS handshake with %s failed; %s", dir, top.HostPort(), failed),
			"Do not use these settings: the server offers no TLS a mail client can accept (TLS 1.2 or later, RFC 8997). Admins: enable TLS 1.2 or 1.3 with current cipher suites."
	default:
		return WarnProbeFailed,
			fmt.Sprintf("No %s server passed the checks; %s", dir, failed),
			"Do not use these settings until the server answers correctly over TLS."
	}
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
func sourceWords(s []SourceName) string {
	words := map[SourceName]string{SourceLocal: "your local settings folder", SourceSRV: "DNS SRV records",
		SourceAutoconfig: "the provider's autoconfig", SourceWellKnown: "the domain's autoconfig",
		SourceAutoconfigHTTP: "autoconfig over plain http", SourceISPDB: "the ISP database", SourceMX: "the MX provider's autoconfig",
		SourceAutodiscover: "Autodiscover", SourceGuess: "a guess"}
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = words[n]
	}
	if len(parts) > 1 {
		return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
	}
	return strings.Join(parts, "")
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
