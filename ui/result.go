package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// resultScreen shows a finished run: the verdict banner, then three tabs —
// the settings to use, the helpdesk details, the exports — and a bar with
// the password check and a new search.
type resultScreen struct {
	u *UI
	s *session

	tabs     *container.AppTabs
	top      *fyne.Container   // the verdict banner, rebuilt on change
	settings *fyne.Container   // the Settings tab's content, rebuilt on change
	services fyne.CanvasObject // the service cards in it; nil when none was found
	details  *detailsTab
	export   *exportTab
	status   *widget.Label
	login    *widget.Button
	content  fyne.CanvasObject

	lastLogin *loginDialog // the password dialog opened last
	oauth     *widget.Button
	lastOAuth *oauthDialog // the OAuth2 dialog opened last
}

func newResultScreen(u *UI, s *session) *resultScreen {
	r := &resultScreen{u: u, s: s}
	r.buildUI()
	return r
}

func (r *resultScreen) buildUI() {
	rep := r.s.rep
	p := r.u.p
	r.top = container.NewStack()
	r.settings = container.NewStack()
	r.details = newDetailsTab(r)
	r.export = newExportTab(r)
	r.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(p.T("ui.result.tab.settings"), theme.MailComposeIcon(), r.settings),
		container.NewTabItemWithIcon(p.T("ui.result.tab.details"), theme.ListIcon(), r.details.content),
		container.NewTabItemWithIcon(p.T("ui.result.tab.export"), theme.DocumentSaveIcon(), r.export.content),
	)
	r.status = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	again := &widget.Button{Text: p.T("ui.result.new-search"), Icon: theme.NavigateBackIcon(), OnTapped: func() { r.u.showStart("") }}
	r.login = &widget.Button{Text: p.T("ui.result.check-password"), Icon: theme.LoginIcon(), OnTapped: r.onLogin}
	if in, out := rep.Recommended(); in == nil && out == nil {
		r.login.Disable()
	}
	actions := container.NewHBox(again, r.login)
	if rep.OAuth2Provider() != nil {
		r.oauth = &widget.Button{Text: p.T("ui.oauth.button"), Icon: theme.AccountIcon(), OnTapped: r.onOAuth}
		actions.Add(r.oauth)
	}
	// Beside three actions the status line has no room left at 800 px (in
	// French it was cut to "Vérification d…"): it takes a row of its own.
	bar := container.NewBorder(widget.NewSeparator(), nil, nil, actions, r.status)
	if r.oauth != nil {
		bar = container.NewBorder(container.NewVBox(widget.NewSeparator(), r.status), nil, nil, nil, container.NewHBox(layout.NewSpacer(), actions))
	}
	r.refresh()
	r.content = container.NewBorder(r.top, container.NewPadded(bar), nil, nil, r.tabs)
}

// banner is the verdict at the top, with the user's confirmations so far:
// colour, icon and words together.
func (r *resultScreen) banner() fyne.CanvasObject {
	rep := r.s.rep
	v, sentence := detect.JudgeReport(rep, r.s.confirmed)
	l := verdictLevel(v)
	title := verdictTitle(r.u.p, rep, v)
	icon := levelIcon(l)
	if rep.Offline() {
		l, icon = levelCaveats, theme.NewColoredResource(theme.WarningIcon(), theme.ColorNameWarning)
	}
	where := rep.Address
	if r.s.demo {
		where = r.u.p.T("ui.result.demo-address", "Address", rep.Address)
	}
	text := widget.NewRichText(
		&widget.TextSegment{Text: title, Style: widget.RichTextStyle{SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: sentence, Style: widget.RichTextStyleParagraph},
		&widget.TextSegment{Text: where, Style: widget.RichTextStyle{SizeName: theme.SizeNameCaptionText}},
	)
	text.Wrapping = fyne.TextWrapWord
	iconBox := container.NewCenter(container.NewGridWrap(fyne.NewSquareSize(40), widget.NewIcon(icon)))
	return centered(1200, container.NewPadded(tinted(levelColor(l), container.NewBorder(nil, nil, iconBox, nil, text))))
}

// refresh rebuilds the banner and the Settings tab, after a confirmation or
// a password check changed what they show.
func (r *resultScreen) refresh() {
	r.top.Objects = []fyne.CanvasObject{r.banner()}
	r.top.Refresh()
	r.settings.Objects = []fyne.CanvasObject{container.NewVScroll(centered(1200, container.NewPadded(r.settingsBody())))}
	r.settings.Refresh()
}

func (r *resultScreen) settingsBody() fyne.CanvasObject {
	rep := r.s.rep
	p := r.u.p
	switch {
	case rep.Offline():
		return adviceCard(p.T("ui.advice.title"),
			p.T("ui.advice.offline.network"),
			p.T("ui.advice.offline.dns"),
			p.T("ui.advice.offline.demo"),
			p.T("ui.advice.offline.details"))
	case rep.Verdict == detect.VerdictNone && !hasRecommended(rep):
		return adviceCard(p.T("ui.advice.title"),
			p.T("ui.advice.none.spelling", "Domain", displayDomain(rep)),
			p.T("ui.advice.none.provider"),
			p.T("ui.advice.none.details"))
	}
	var body []fyne.CanvasObject
	seen := map[string]bool{}
	in, out := rep.Recommended()
	for _, s := range []*detect.Server{in, out} {
		if s != nil && detect.NeedsConfirmation(s, rep.Domain) && !seen[s.Host] {
			seen[s.Host] = true
			body = append(body, r.confirmPanel(s))
		}
	}
	body = append(body, columns(340, r.serverCard(true), r.serverCard(false)))
	if r.services = r.serviceCards(); r.services != nil {
		body = append(body, r.services)
	}
	if len(rep.Warnings) > 0 {
		body = append(body, r.warningsCard())
	}
	if alt := r.alternativesCard(); alt != nil {
		body = append(body, alt)
	}
	return container.NewVBox(body...)
}

// hasRecommended reports whether rep recommends a server in either
// direction.
func hasRecommended(rep *detect.Report) bool {
	in, out := rep.Recommended()
	return in != nil || out != nil
}

// adviceCard is a card of short advice lines.
func adviceCard(title string, lines ...string) *widget.Card {
	var rows []fyne.CanvasObject
	for _, l := range lines {
		rows = append(rows, iconLine(theme.NewColoredResource(theme.NavigateNextIcon(), theme.ColorNamePrimary), wrapped(l)))
	}
	return panel(title, rows...)
}

// warningsCard lists every warning with what it means and how to fix it.
func (r *resultScreen) warningsCard() *widget.Card {
	var box []fyne.CanvasObject
	p := r.u.p
	for i, w := range r.s.rep.Warnings {
		if i > 0 {
			box = append(box, widget.NewSeparator())
		}
		head := p.T("ui.label-value", "Label", words.Severity(p, w.Severity), "Value", words.WarningTitle(p, w.Code))
		if w.Server != "" {
			head += " (" + w.Server + ")"
		}
		msg := strings.TrimPrefix(strings.TrimPrefix(w.Message, w.Server+": "), w.Server+i18n.NBSP+": ") // the server is in the title
		lines := []fyne.CanvasObject{
			&widget.Label{Text: head, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
			wrapped(plainText(msg)),
		}
		if w.Fix != "" {
			lines = append(lines, &widget.Label{Text: p.T("ui.warnings.fix", "Fix", w.Fix), Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}})
		}
		box = append(box, iconLine(severityIcon(string(w.Severity)), container.NewVBox(lines...)))
	}
	return panel(p.T("ui.warnings.title", "Count", len(r.s.rep.Warnings)), box...)
}

// alternativesCard lists every server found but not recommended, best
// first, with what its check gave; nil when there is none.
func (r *resultScreen) alternativesCard() *widget.Card {
	var box []fyne.CanvasObject
	p := r.u.p
	for _, list := range [][]detect.Server{r.s.rep.Incoming, r.s.rep.Outgoing} {
		for i := range list {
			s := &list[i]
			if s.Recommended {
				continue
			}
			icon, _ := probeIcon(s)
			line := fmt.Sprintf("%s  %s:%d  %s — %s", protocolWords(s.Protocol), s.Host, s.Port, securityWords(p, s.Security), words.ProbeStatus(p, &s.Probe))
			text := []fyne.CanvasObject{&widget.Label{Text: line, Wrapping: fyne.TextWrapWord}}
			if s.Probe.Error != "" {
				text = append(text, caption(p.T("ui.technical", "Detail", s.Probe.Error)))
			}
			box = append(box, iconLine(icon, container.NewVBox(text...)))
		}
	}
	if len(box) == 0 {
		return nil
	}
	note := p.T("ui.alternatives.note")
	if in, out := r.s.rep.Recommended(); in == nil && out == nil {
		note = p.T("ui.alternatives.note.none")
	}
	return panel(p.T("ui.alternatives.title"), append([]fyne.CanvasObject{caption(note)}, box...)...)
}

// onReportChanged shows a report that the password check added to.
func (r *resultScreen) onReportChanged() {
	r.refresh()
	r.details = newDetailsTab(r)
	r.tabs.Items[1].Content = r.details.content
	r.tabs.Refresh()
}

// copy puts value on the clipboard and says so in the status bar.
func (r *resultScreen) copy(what, value string) {
	r.u.app.Clipboard().SetContent(value)
	r.setStatus(r.u.p.T("ui.status.copied", "What", what, "Value", value))
}

func (r *resultScreen) setStatus(msg string) { r.status.SetText(msg) }

// onConfirm records that the user vouches for host.
func (r *resultScreen) onConfirm(host string) {
	if !containsFold(r.s.confirmed, host) {
		r.s.confirmed = append(r.s.confirmed, host)
	}
	r.setStatus(r.u.p.T("ui.status.confirmed", "Host", host))
	r.refresh()
}

// onUnconfirm takes a confirmation back.
func (r *resultScreen) onUnconfirm(host string) {
	var keep []string
	for _, h := range r.s.confirmed {
		if !containsFold([]string{h}, host) {
			keep = append(keep, h)
		}
	}
	r.s.confirmed = keep
	r.setStatus(r.u.p.T("ui.status.unconfirmed", "Host", host))
	r.refresh()
}
