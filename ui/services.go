package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// serviceLists are the report's calendar, contacts and JMAP lists that
// are not empty, in that order.
func serviceLists(rep *detect.Report) [][]detect.Service {
	var out [][]detect.Service
	for _, l := range [][]detect.Service{rep.Calendar, rep.Contacts, rep.JMAP} {
		if len(l) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// serviceCards are the cards of the services found, shown under the mail
// settings; nil when the report has none.
func (r *resultScreen) serviceCards() fyne.CanvasObject {
	lists := serviceLists(r.s.rep)
	if len(lists) == 0 {
		return nil
	}
	cards := make([]fyne.CanvasObject, len(lists))
	for i, l := range lists {
		cards[i] = r.serviceCard(l)
	}
	return columns(340, cards...)
}

// serviceCard shows the first service of a list, as a server card shows
// the recommended mail server: whether it is verified, the URL to give the
// app and the user name (copyable), and, after the password check, its
// outcome and the principal and home sets found.
func (r *resultScreen) serviceCard(list []detect.Service) *widget.Card {
	p := r.u.p
	s := &list[0]
	as := s.AsServer()
	icon, imp := probeIcon(&as)
	status := words.ProbeStatus(p, &s.Probe)
	if s.Recommended {
		status = p.T("ui.service.verified")
	}
	hint := p.T(map[autoconfig.Protocol]string{autoconfig.CalDAV: "ui.service.hint.caldav",
		autoconfig.CardDAV: "ui.service.hint.carddav", autoconfig.JMAP: "ui.service.hint.jmap"}[s.Protocol])
	card := panel(words.ServiceTitle(p, s.Protocol),
		container.NewHBox(widget.NewIcon(icon), &widget.Label{Text: status, TextStyle: fyne.TextStyle{Bold: true}, Importance: imp}),
		wrapped(hint))
	// The URL says https; the security, the HTTP answer and the rest of
	// the check are in Details.
	rows := []fyne.CanvasObject{fieldName(p.T("field.url")), r.copyableURL(p.T("ui.copy.url"), s.URL)}
	if s.Username != "" {
		rows = append(rows, fieldName(p.T("field.username")), r.copyable(p.T("ui.copy.username"), s.Username))
	}
	if said, l := loginWords(p, &s.Login); said != "" {
		rows = append(rows, fieldName(p.T("ui.card.password-check")), iconLine(levelIcon(l), wrapped(said)))
	}
	if s.Login.Principal != "" {
		rows = append(rows, fieldName(p.T("field.principal")), r.copyableURL(p.T("ui.copy.url"), s.Login.Principal))
	}
	for _, h := range s.Login.HomeSets {
		rows = append(rows, fieldName(words.HomeSetField(p, s.Protocol)), r.copyableURL(p.T("ui.copy.url"), h))
	}
	content := card.Content.(*fyne.Container)
	content.Add(widget.NewSeparator())
	content.Add(container.New(layout.NewFormLayout(), rows...))
	if n := len(list) - 1; n > 0 {
		content.Add(caption(p.N("ui.service.more", n)))
	}
	return card
}

// serviceProbes are the Details tab's expanders of every service check.
func (t *detailsTab) serviceProbes() []fyne.CanvasObject {
	p := t.r.u.p
	var out []fyne.CanvasObject
	for _, list := range serviceLists(t.r.s.rep) {
		for i := range list {
			s := &list[i]
			as := s.AsServer()
			icon, _ := probeIcon(&as)
			title := p.T("ui.label-value", "Label", fmt.Sprintf("%s %s (%s)", protocolWords(s.Protocol), s.URL, securityWords(p, s.Security)),
				"Value", words.ProbeStatus(p, &s.Probe)+", "+millis(p, s.Probe.ElapsedMS))
			if s.Recommended {
				title = p.T("report.recommended") + " — " + title
			}
			box, toggle := expander(title, icon, func() fyne.CanvasObject {
				extra := []string{p.T("field.url"), s.URL, p.T("field.answer"), words.HTTPAnswer(p, &s.Probe),
					p.T("field.redirects"), strings.Join(s.Probe.Redirects, "\n"), p.T("field.principal"), s.Login.Principal}
				if len(s.Login.HomeSets) > 0 {
					extra = append(extra, words.HomeSetField(p, s.Protocol), strings.Join(s.Login.HomeSets, "\n"))
				}
				return probeDetail(p, &as, extra...)
			})
			out = append(out, box)
			t.toggles = append(t.toggles, toggle)
			t.boxes = append(t.boxes, box)
		}
	}
	return out
}
