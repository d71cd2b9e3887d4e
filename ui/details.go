package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// detailsTab is the helpdesk view: every source with its query, status,
// time and answer; every server check with TLS, certificate, capabilities,
// addresses tried and the transcript; DNSSEC; copy and save the report.
type detailsTab struct {
	r       *resultScreen
	toggles []func()            // open or close each server's details
	boxes   []fyne.CanvasObject // each server's block, for scrolling to it
	content fyne.CanvasObject
}

func newDetailsTab(r *resultScreen) *detailsTab {
	t := &detailsTab{r: r}
	t.buildUI()
	return t
}

func (t *detailsTab) buildUI() {
	rep := t.r.s.rep
	p := t.r.u.p
	summary := wrapped(p.T("ui.details.summary", "Address", rep.Address, "Elapsed", millis(p, rep.ElapsedMS), "DNSSEC", words.DNSSEC(p, rep.DNSSEC)))
	copyBtn := &widget.Button{Text: p.T("ui.details.copy"), Icon: theme.ContentCopyIcon(), OnTapped: t.onCopy}
	saveJSON := &widget.Button{Text: p.T("ui.details.save-json"), Icon: theme.DocumentSaveIcon(), OnTapped: func() { t.onSave(FormatJSON) }}
	saveHTML := &widget.Button{Text: p.T("ui.details.save-html"), Icon: theme.DocumentSaveIcon(), OnTapped: func() { t.onSave(FormatHTML) }}
	// As wide as the widest label (French runs longer), the same for all three.
	w := max(copyBtn.MinSize().Width, saveJSON.MinSize().Width, saveHTML.MinSize().Width)
	actions := container.NewGridWrap(fyne.NewSize(w, copyBtn.MinSize().Height), copyBtn, saveJSON, saveHTML)

	body := []fyne.CanvasObject{summary, actions, heading(p.T("ui.progress.sources"))}
	for i := range rep.Sources {
		body = append(body, sourceDetail(p, &rep.Sources[i]))
	}
	body = append(body, heading(p.T("ui.progress.probes")))
	for _, list := range [][]detect.Server{rep.Incoming, rep.Outgoing} {
		for i := range list {
			s := &list[i]
			icon, _ := probeIcon(s)
			box, toggle := expander(probeTitle(p, s), icon, func() fyne.CanvasObject { return probeDetail(p, s) })
			body = append(body, box)
			t.toggles = append(t.toggles, toggle)
			t.boxes = append(t.boxes, box)
		}
	}
	body = append(body, t.serviceProbes()...)
	if len(t.boxes) == 0 {
		body = append(body, caption(p.T("ui.details.no-server")))
	}
	t.content = container.NewVScroll(centered(1200, container.NewPadded(container.NewVBox(body...))))
}

// sourceDetail is one source: status, time, trust, what was asked and
// what came back.
func sourceDetail(p *i18n.Printer, s *detect.SourceReport) fyne.CanvasObject {
	icon, imp := sourceIcon(s.Status)
	caption := widget.RichTextStyle{SizeName: theme.SizeNameCaptionText, ColorName: theme.ColorNameForeground}
	text := widget.NewRichText(
		&widget.TextSegment{Text: words.Source(p, s.Name), Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: "   " + words.SourceStatus(p, s), Style: widget.RichTextStyle{Inline: true, ColorName: importanceColor(imp)}},
		&widget.TextSegment{Text: "   (" + p.T("ui.label-value", "Label", p.T("report.trust"), "Value", string(s.Trust)) + ")", Style: widget.RichTextStyle{ColorName: theme.ColorNameForeground}},
	)
	if s.Detail != "" {
		text.Segments = append(text.Segments, &widget.TextSegment{Text: s.Detail, Style: caption})
	}
	for _, q := range s.Queries {
		text.Segments = append(text.Segments, &widget.TextSegment{Text: p.T("ui.label-value", "Label", p.T("ui.details.asked"), "Value", q), Style: caption})
	}
	text.Wrapping = fyne.TextWrapWord
	return container.NewBorder(nil, nil, leadIcon(widget.NewIcon(icon)), &widget.Label{Text: millis(p, s.ElapsedMS)}, text)
}

// probeTitle is the one-line summary of a server check.
func probeTitle(p *i18n.Printer, s *detect.Server) string {
	t := p.T("ui.label-value", "Label", fmt.Sprintf("%s %s:%d (%s)", protocolWords(s.Protocol), s.Host, s.Port, securityWords(p, s.Security)),
		"Value", words.ProbeStatus(p, &s.Probe)+", "+millis(p, s.Probe.ElapsedMS))
	if s.Recommended {
		t = p.T("report.recommended") + " — " + t
	}
	return t
}

// probeDetail is everything the check of one server saw; extra are more
// rows (name, value, name, value...) shown after the sources, for a
// service's URL, HTTP answer, redirects and principal.
func probeDetail(p *i18n.Printer, s *detect.Server, extra ...string) fyne.CanvasObject {
	pr := &s.Probe
	var rows []fyne.CanvasObject
	add := func(name, value string) {
		if value != "" {
			rows = append(rows, fieldName(name),
				&widget.Label{Text: value, Wrapping: fyne.TextWrapBreak, Selectable: true})
		}
	}
	suffix := func(e string) string {
		if e == "" {
			return ""
		}
		return p.T("report.colon") + " " + e
	}
	add(p.T("ui.details.result"), words.ProbeStatus(p, pr)+suffix(pr.Error))
	add(p.T("field.found-by"), strings.Join(sourceNames(s.Sources), ", ")+" ("+p.T("ui.label-value", "Label", p.T("report.trust"), "Value", string(s.Trust))+")")
	for i := 0; i+1 < len(extra); i += 2 {
		add(extra[i], extra[i+1])
	}
	add(p.T("ui.details.connected-to"), pr.Address)
	add("TLS", strings.TrimSpace(pr.TLSVersion+" "+pr.CipherSuite))
	if c := pr.Cert; c != nil {
		valid := p.T("ui.details.cert.valid")
		if !c.Valid {
			valid = p.T("ui.details.cert.invalid")
			if c.Problem != "" {
				valid += " (" + words.CertProblem(p, c.Problem) + ")"
			}
		}
		if c.MatchedName != "" {
			valid = p.T("ui.details.cert.for", "Status", valid, "Name", c.MatchedName)
		}
		add(p.T("report.certificate"), valid+suffix(c.Error))
		add(p.T("report.cert.subject"), c.Subject)
		add(p.T("report.cert.issuer"), c.Issuer)
		add(p.T("report.cert.names"), strings.Join(c.DNSNames, ", "))
		add(p.T("ui.details.cert.validity"), p.T("ui.details.cert.from-to", "From", friendlyTime(p, c.NotBefore), "To", friendlyTime(p, c.NotAfter)))
		add(p.T("ui.details.cert.key"), c.SPKISHA256)
	}
	add("DANE", words.DANE(p, pr.DANE))
	add(p.T("report.capabilities"), strings.Join(pr.Capabilities, " "))
	add("SASL", strings.Join(pr.SASL, " "))
	var tried []string
	for _, a := range pr.Tried {
		t := p.T("ui.details.tried", "Address", a.Address, "Network", a.Network, "Elapsed", millis(p, a.ElapsedMS))
		if a.Error != "" {
			t += suffix(a.Error)
		}
		tried = append(tried, t)
	}
	add(p.T("report.addresses-tried"), strings.Join(tried, "\n"))
	if said, _ := loginWords(p, &s.Login); said != "" {
		add(p.T("ui.card.password-check"), said)
	}
	box := []fyne.CanvasObject{container.New(layout.NewFormLayout(), rows...)}
	if len(pr.Transcript) > 0 {
		box = append(box, bold(p.T("ui.details.conversation")), transcript(p, pr.Transcript))
	}
	if len(s.Login.Transcript) > 0 {
		box = append(box, bold(p.T("ui.details.login-conversation")), transcript(p, s.Login.Transcript))
	}
	return container.NewVBox(box...)
}

func friendlyTime(p *i18n.Printer, s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return p.DateTime(t)
}

// expander is a title that shows or hides content when tapped; toggle does
// the same from code. The content is built when first shown.
func expander(title string, icon fyne.Resource, build func() fyne.CanvasObject) (box fyne.CanvasObject, toggle func()) {
	holder := container.NewStack()
	indented := container.NewBorder(nil, nil, leadIcon(widget.NewIcon(nil)), nil, holder)
	indented.Hide()
	b := &widget.Button{Text: title, Icon: theme.MenuExpandIcon(), Alignment: widget.ButtonAlignLeading, Importance: widget.LowImportance}
	toggle = func() {
		if indented.Visible() {
			indented.Hide()
			b.SetIcon(theme.MenuExpandIcon())
			return
		}
		if len(holder.Objects) == 0 {
			holder.Objects = []fyne.CanvasObject{build()}
		}
		indented.Show()
		b.SetIcon(theme.MenuDropDownIcon())
	}
	b.OnTapped = toggle
	return container.NewVBox(container.NewBorder(nil, nil, leadIcon(widget.NewIcon(icon)), nil, b), indented), toggle
}

func sourceNames(s []detect.SourceName) []string {
	out := make([]string, len(s))
	for i, n := range s {
		out[i] = string(n)
	}
	return out
}

// transcript renders a protocol exchange in monospace. Lines from before
// the TLS handshake are marked in words and in the warning colour: anyone
// on the path could have written them (EAST: plaintext UI spoofing).
func transcript(p *i18n.Printer, lines []detect.TranscriptLine) fyne.CanvasObject {
	untrustedMark := "  [" + p.T("ui.details.untrusted-mark") + "]"
	rt := widget.NewRichText() // not a struct literal: that would scroll inside itself
	rt.Wrapping = fyne.TextWrapBreak
	anyBefore := false
	for _, l := range lines {
		dir := map[string]string{"client": "C:", "server": "S:", "note": "--"}[l.From]
		text := fmt.Sprintf("%6d ms %s %s", l.AtMS, dir, l.Text)
		style := widget.RichTextStyleCodeInline
		style.Inline = false
		if l.BeforeTLS {
			anyBefore = true
			text += untrustedMark
			style.ColorName = theme.ColorNameWarning
		}
		rt.Segments = append(rt.Segments, &widget.TextSegment{Text: text, Style: style})
	}
	if !anyBefore {
		return rt
	}
	return container.NewVBox(
		caption(p.T("ui.details.untrusted-note", "Mark", "["+p.T("ui.details.untrusted-mark")+"]")),
		rt)
}

func (t *detailsTab) onCopy() {
	data, err := export.Write(t.r.s.rep, FormatJSON, nil)
	if err != nil {
		t.r.setStatus(t.r.u.p.T("ui.details.copy-failed", "Detail", plainError(t.r.u.p, err)))
		return
	}
	t.r.u.app.Clipboard().SetContent(string(data))
	t.r.setStatus(t.r.u.p.N("ui.details.copied", len(data)))
}

func (t *detailsTab) onSave(f Format) {
	for _, fi := range Formats {
		if fi.Format == f {
			t.r.export.onSave(fi)
		}
	}
}
