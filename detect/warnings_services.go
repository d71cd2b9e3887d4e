package detect

import (
	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/i18n"
)

// Warning codes about services (issue 16). They concern the calendar,
// contacts and JMAP lists only and never change a mail verdict
// (JudgeReport leaves them out); the README documents each.
const (
	// WarnServicePlainHTTP: a service is published only over plain http;
	// it is listed, never probed nor recommended.
	WarnServicePlainHTTP = "service-plain-http"
	// WarnServiceFailed: a service is published over https but no server
	// of it passed the checks (the first one's probe says why).
	WarnServiceFailed = "service-failed"
	// WarnServiceNeedsConfirmation: the best service passed the checks,
	// but its name comes only from a source below https (an unsigned SRV
	// target outside the domain, a cross-domain redirect): the user must
	// confirm it before a password goes there.
	WarnServiceNeedsConfirmation = "service-needs-confirmation"
)

// isServiceWarning reports whether code is about services only.
func isServiceWarning(code string) bool {
	return code == WarnServicePlainHTTP || code == WarnServiceFailed || code == WarnServiceNeedsConfirmation
}

// serviceName names a service protocol in a sentence.
func serviceName(p autoconfig.Protocol) i18n.Msg {
	switch p {
	case autoconfig.CalDAV:
		return i18n.M("service.name.caldav")
	case autoconfig.CardDAV:
		return i18n.M("service.name.carddav")
	}
	return i18n.M("service.name.jmap")
}

// serviceWarnings are the warnings about the report's services: the
// server of each is the service's URL, never a mail server's host:port.
func serviceWarnings(rep *Report) []Warning {
	var ws []Warning
	for _, list := range [][]Service{rep.Calendar, rep.Contacts, rep.JMAP} {
		if len(list) == 0 {
			continue
		}
		top := &list[0]
		name := serviceName(top.Protocol)
		var w Warning
		switch {
		case top.Security != autoconfig.TLS:
			// Ranked by security: a plain first entry means no https one.
			w = newWarning(rep, WarnServicePlainHTTP, SeverityWarning,
				i18n.M("warn.service-plain-http.message", "Service", name, "Domain", rep.Domain, "URL", top.URL),
				i18n.M("warn.service-plain-http.fix"))
		case top.Recommended:
			continue
		case top.Probe.Status == ProbeOK && top.Probe.Cert != nil && top.Probe.Cert.Valid:
			w = newWarning(rep, WarnServiceNeedsConfirmation, SeverityWarning,
				i18n.M("warn.service-needs-confirmation.message", "Service", name, "Host", top.Host, "Trust", string(top.Trust),
					"Sources", joinSources(top.Sources), "Domain", rep.Domain),
				i18n.M("warn.service-needs-confirmation.fix", "Host", top.Host))
		default:
			w = newWarning(rep, WarnServiceFailed, SeverityWarning,
				i18n.M("warn.service-failed.message", "Service", name, "URL", top.URL, "Detail", top.Probe.Error),
				i18n.M("warn.service-failed.fix"))
		}
		w.Server = top.URL
		ws = append(ws, w)
	}
	return ws
}
