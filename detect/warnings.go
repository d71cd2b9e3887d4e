package detect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
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
	WarnUnreachable            = "unreachable"
	WarnProbeFailed            = "probe-failed"
	WarnDNSSECBogus            = "dnssec-bogus"
	WarnDANEMismatch           = "dane-mismatch"
	WarnNoIncoming             = "no-incoming"
	WarnNoOutgoing             = "no-outgoing"
)

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
				switch c.Problem {
				case "expired":
					code = WarnCertExpired
				case "name-mismatch":
					code = WarnCertNameMismatch
				}
				add(code, sev, s, fmt.Sprintf("%s presents a certificate that fails verification: %s.", s.HostPort(), c.Error),
					"Do not accept an exception in your mail client. The server's admin must install a valid certificate for this name from a trusted CA.")
			}
			if s.Security == autoconfig.STARTTLS && s.Probe.Status == ProbeProtocolError && !s.Probe.STARTTLSOffered ||
				s.Security == autoconfig.Plain && s.Probe.Status == ProbeOK && !s.Probe.STARTTLSOffered {
				evidence := "It answered in plaintext only"
				if s.Security == autoconfig.STARTTLS {
					evidence = "This is a STARTTLS port, yet the server's answer did not offer STARTTLS"
					if named := slices.DeleteFunc(slices.Clone(s.Sources), func(n SourceName) bool { return n == SourceGuess }); len(named) > 0 {
						evidence = fmt.Sprintf("The settings published by %s say this port uses STARTTLS, yet the server's answer did not offer it", sourceWords(named))
					}
				}
				instead := "Use an implicit-TLS port (993, 995, 465) or another network, and ask the admin to enable TLS."
				if alt := firstVerifiedTLS(list); alt != nil {
					instead = fmt.Sprintf("Use %s (%s), which was verified, instead.", alt.HostPort(), alt.Security)
				}
				add(WarnSTARTTLSMissing, sev, s,
					fmt.Sprintf("%s: %s. Either the server has no TLS, or someone between you and it removed STARTTLS from the answer (a stripping attack) so that a client falls back to sending your password and mail in the clear.", s.HostPort(), evidence),
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
			case explained, strings.Contains(top.Probe.Error, "failed DNSSEC validation"): // dnssec-bogus says it
			case top.Probe.Status == ProbeUnreachable || top.Probe.Status == ProbeTimeout || top.Probe.Status == ProbeNotProbed:
				add(WarnUnreachable, SeverityDanger, top,
					fmt.Sprintf("No %s server could be reached; the best candidate, %s, failed: %s", dir, top.HostPort(), top.Probe.Error),
					"Check the network (firewalls often block mail ports), then try again; helpdesk: compare with another network.")
			default:
				add(WarnProbeFailed, SeverityDanger, top,
					fmt.Sprintf("No %s server passed the checks; the best candidate, %s, failed: %s", dir, top.HostPort(), top.Probe.Error),
					"Do not use these settings until the server answers correctly over TLS.")
			}
		}
	}
	return ws
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
