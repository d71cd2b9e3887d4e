package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
)

// resultScreen shows a finished run: the verdict banner, then three tabs —
// the settings to use, the helpdesk details, the exports — and a bar with
// the password check and a new search.
type resultScreen struct {
	u *UI
	s *session

	tabs     *container.AppTabs
	top      *fyne.Container // the verdict banner, rebuilt on change
	settings *fyne.Container // the Settings tab's content, rebuilt on change
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
	r.top = container.NewStack()
	r.settings = container.NewStack()
	r.details = newDetailsTab(r)
	r.export = newExportTab(r)
	r.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon("Settings", theme.MailComposeIcon(), r.settings),
		container.NewTabItemWithIcon("Details for the helpdesk", theme.ListIcon(), r.details.content),
		container.NewTabItemWithIcon("Export", theme.DocumentSaveIcon(), r.export.content),
	)
	r.status = &widget.Label{Truncation: fyne.TextTruncateEllipsis}
	again := &widget.Button{Text: "New search", Icon: theme.NavigateBackIcon(), OnTapped: func() { r.u.showStart("") }}
	r.login = &widget.Button{Text: "Check password…", Icon: theme.LoginIcon(), OnTapped: r.onLogin}
	if in, out := rep.Recommended(); in == nil && out == nil {
		r.login.Disable()
	}
	actions := container.NewHBox(again, r.login)
	if rep.OAuth2Provider() != nil {
		r.oauth = &widget.Button{Text: "Check sign-in (OAuth2)…", Icon: theme.AccountIcon(), OnTapped: r.onOAuth}
		actions.Add(r.oauth)
	}
	bar := container.NewBorder(widget.NewSeparator(), nil, nil, actions, r.status)
	r.refresh()
	r.content = container.NewBorder(r.top, container.NewPadded(bar), nil, nil, r.tabs)
}

// banner is the verdict at the top, with the user's confirmations so far:
// colour, icon and words together.
func (r *resultScreen) banner() fyne.CanvasObject {
	rep := r.s.rep
	v, sentence := detect.JudgeReport(rep, r.s.confirmed)
	l := verdictLevel(v)
	title := verdictTitle(rep, v)
	icon := levelIcon(l)
	if rep.Offline() {
		l, icon = levelCaveats, theme.NewColoredResource(theme.WarningIcon(), theme.ColorNameWarning)
	}
	where := rep.Address
	if r.s.demo {
		where += " (demo world, on this computer only)"
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
	switch {
	case rep.Offline():
		return adviceCard("What you can do",
			"Check that this computer is connected to the network.",
			"If you set a DNS server in Settings, check that it is right and reachable.",
			"Try the demo on the start screen: it needs no network.",
			"The Details tab lists each error.")
	case rep.Verdict == detect.VerdictNone && !hasRecommended(rep):
		return adviceCard("What you can do",
			"Check the spelling of the part after the @ ("+displayDomain(rep)+").",
			"Ask your provider for the incoming (IMAP or POP3) and outgoing (SMTP) server names, ports and security.",
			"The Details tab lists every source that was asked and what it answered.")
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

// warningTitles name each warning code in a few words.
var warningTitles = map[string]string{
	detect.WarnImplicitTLSUnavailable: "STARTTLS only",
	detect.WarnSTARTTLSMissing:        "Encryption missing (no STARTTLS)",
	detect.WarnPlaintextOnly:          "Unencrypted servers only",
	detect.WarnCertInvalid:            "Untrusted certificate",
	detect.WarnCertNameMismatch:       "Certificate for another name",
	detect.WarnCertExpired:            "Expired certificate",
	detect.WarnNeedsConfirmation:      "Server name needs your confirmation",
	detect.WarnSRVOutsideDomain:       "DNS points outside the domain",
	detect.WarnSTARTTLSInjection:      "Data injected before encryption",
	detect.WarnHostNotFound:           "Server name does not exist",
	detect.WarnConnectionRefused:      "Server port closed",
	detect.WarnNetworkUnreachable:     "No route to the server",
	detect.WarnServerTimeout:          "Server did not answer",
	detect.WarnTLSFailed:              "Encryption (TLS) failed",
	detect.WarnProbeFailed:            "Server failed the checks",
	detect.WarnDNSSECBogus:            "DNSSEC signatures fail",
	detect.WarnDANEMismatch:           "Key does not match DANE (TLSA)",
	detect.WarnNoIncoming:             "No incoming server",
	detect.WarnNoOutgoing:             "No outgoing server",
	detect.WarnDNSFailed:              "DNS lookups failed",
}

// warningsCard lists every warning with what it means and how to fix it.
func (r *resultScreen) warningsCard() *widget.Card {
	var box []fyne.CanvasObject
	for i, w := range r.s.rep.Warnings {
		if i > 0 {
			box = append(box, widget.NewSeparator())
		}
		title := warningTitles[w.Code]
		if title == "" {
			title = w.Code
		}
		head := severityWords(w.Severity) + ": " + title
		if w.Server != "" {
			head += " (" + w.Server + ")"
		}
		msg := strings.TrimPrefix(w.Message, w.Server+": ") // the server is in the title
		lines := []fyne.CanvasObject{
			&widget.Label{Text: head, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
			wrapped(plainText(msg)),
		}
		if w.Fix != "" {
			lines = append(lines, &widget.Label{Text: "How to fix: " + w.Fix, Wrapping: fyne.TextWrapWord, TextStyle: fyne.TextStyle{Italic: true}})
		}
		box = append(box, iconLine(severityIcon(string(w.Severity)), container.NewVBox(lines...)))
	}
	return panel(fmt.Sprintf("Warnings and notes (%d)", len(r.s.rep.Warnings)), box...)
}

// alternativesCard lists every server found but not recommended, best
// first, with what its check gave; nil when there is none.
func (r *resultScreen) alternativesCard() *widget.Card {
	var box []fyne.CanvasObject
	for _, list := range [][]detect.Server{r.s.rep.Incoming, r.s.rep.Outgoing} {
		for i := range list {
			s := &list[i]
			if s.Recommended {
				continue
			}
			icon, _ := probeIcon(s)
			line := fmt.Sprintf("%s  %s:%d  %s — %s", protocolWords(s.Protocol), s.Host, s.Port, securityWords(s.Security), probeStatusWords(&s.Probe))
			text := []fyne.CanvasObject{&widget.Label{Text: line, Wrapping: fyne.TextWrapWord}}
			if s.Probe.Error != "" {
				text = append(text, caption(plainText(s.Probe.Error)))
			}
			box = append(box, iconLine(icon, container.NewVBox(text...)))
		}
	}
	if len(box) == 0 {
		return nil
	}
	note := "Best first. Use them only if the recommended server does not work for you, and only those marked verified."
	if in, out := r.s.rep.Recommended(); in == nil && out == nil {
		note = "None of them passed the checks; they are listed so that you or your helpdesk can see why."
	}
	return panel("Other servers found", append([]fyne.CanvasObject{caption(note)}, box...)...)
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
	r.setStatus(fmt.Sprintf("Copied the %s: %s", what, value))
}

func (r *resultScreen) setStatus(msg string) { r.status.SetText(msg) }

// onConfirm records that the user vouches for host.
func (r *resultScreen) onConfirm(host string) {
	if !containsFold(r.s.confirmed, host) {
		r.s.confirmed = append(r.s.confirmed, host)
	}
	r.setStatus("Confirmed " + host + " as your provider's server.")
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
	r.setStatus("Took back the confirmation of " + host + ".")
	r.refresh()
}
