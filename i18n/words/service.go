package words

import (
	"strconv"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
)

// ServiceTitle names the list of a service protocol: "Calendar (CalDAV)",
// "Contacts (CardDAV)", "JMAP".
func ServiceTitle(p *i18n.Printer, proto autoconfig.Protocol) string {
	switch proto {
	case autoconfig.CalDAV:
		return p.T("service.title.caldav")
	case autoconfig.CardDAV:
		return p.T("service.title.carddav")
	}
	return p.T("service.title.jmap")
}

// HomeSetField names the home sets a CalDAV or CardDAV login check found:
// "Calendar home", "Address book home".
func HomeSetField(p *i18n.Printer, proto autoconfig.Protocol) string {
	if proto == autoconfig.CardDAV {
		return p.T("field.home-set.carddav")
	}
	return p.T("field.home-set.caldav")
}

// HTTPAnswer says what an HTTP-based service's probe was answered:
// "HTTP 207 — sign-in Basic — DAV 1, 2, calendar-access"; "" when it got no
// HTTP status.
func HTTPAnswer(p *i18n.Printer, pr *detect.ProbeReport) string {
	if pr.HTTPStatus == 0 {
		return ""
	}
	parts := []string{p.T("service.answer.status", "Status", strconv.Itoa(pr.HTTPStatus))}
	if len(pr.Authenticate) > 0 {
		parts = append(parts, p.T("service.answer.auth", "Schemes", strings.Join(pr.Authenticate, ", ")))
	}
	if len(pr.DAV) > 0 {
		parts = append(parts, p.T("service.answer.dav", "Classes", strings.Join(pr.DAV, ", ")))
	}
	return strings.Join(parts, " — ")
}
