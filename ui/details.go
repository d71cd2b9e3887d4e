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
	summary := wrapped(fmt.Sprintf("%s — checked in %s. DNSSEC: %s.", rep.Address, millis(rep.ElapsedMS), dnssecWords(rep.DNSSEC)))
	copyBtn := &widget.Button{Text: "Copy report", Icon: theme.ContentCopyIcon(), OnTapped: t.onCopy}
	saveJSON := &widget.Button{Text: "Save JSON…", Icon: theme.DocumentSaveIcon(), OnTapped: func() { t.onSave(FormatJSON) }}
	saveHTML := &widget.Button{Text: "Save HTML…", Icon: theme.DocumentSaveIcon(), OnTapped: func() { t.onSave(FormatHTML) }}
	actions := container.NewGridWrap(fyne.NewSize(150, copyBtn.MinSize().Height), copyBtn, saveJSON, saveHTML)

	body := []fyne.CanvasObject{summary, actions, heading("Sources")}
	for i := range rep.Sources {
		body = append(body, sourceDetail(&rep.Sources[i]))
	}
	body = append(body, heading("Server checks"))
	for _, list := range [][]detect.Server{rep.Incoming, rep.Outgoing} {
		for i := range list {
			s := &list[i]
			icon, _ := probeIcon(s)
			box, toggle := expander(probeTitle(s), icon, func() fyne.CanvasObject { return probeDetail(s) })
			body = append(body, box)
			t.toggles = append(t.toggles, toggle)
			t.boxes = append(t.boxes, box)
		}
	}
	if len(t.boxes) == 0 {
		body = append(body, caption("No server was found, so none was checked."))
	}
	t.content = container.NewVScroll(centered(1200, container.NewPadded(container.NewVBox(body...))))
}

// sourceDetail is one source: status, time, trust, what was asked and
// what came back.
func sourceDetail(s *detect.SourceReport) fyne.CanvasObject {
	icon, imp := sourceIcon(s.Status)
	caption := widget.RichTextStyle{SizeName: theme.SizeNameCaptionText, ColorName: theme.ColorNameForeground}
	text := widget.NewRichText(
		&widget.TextSegment{Text: sourceWords(s.Name), Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
		&widget.TextSegment{Text: "   " + sourceStatusWords(s), Style: widget.RichTextStyle{Inline: true, ColorName: importanceColor(imp)}},
		&widget.TextSegment{Text: "   (trust: " + string(s.Trust) + ")", Style: widget.RichTextStyle{ColorName: theme.ColorNameForeground}},
	)
	if s.Detail != "" {
		text.Segments = append(text.Segments, &widget.TextSegment{Text: s.Detail, Style: caption})
	}
	for _, q := range s.Queries {
		text.Segments = append(text.Segments, &widget.TextSegment{Text: "asked: " + q, Style: caption})
	}
	text.Wrapping = fyne.TextWrapWord
	return container.NewBorder(nil, nil, leadIcon(widget.NewIcon(icon)), &widget.Label{Text: millis(s.ElapsedMS)}, text)
}

// probeTitle is the one-line summary of a server check.
func probeTitle(s *detect.Server) string {
	t := fmt.Sprintf("%s %s:%d (%s): %s, %s", protocolWords(s.Protocol), s.Host, s.Port, securityWords(s.Security),
		probeStatusWords(&s.Probe), millis(s.Probe.ElapsedMS))
	if s.Recommended {
		t = "Recommended — " + t
	}
	return t
}

// probeDetail is everything the check of one server saw.
func probeDetail(s *detect.Server) fyne.CanvasObject {
	p := &s.Probe
	var rows []fyne.CanvasObject
	add := func(name, value string) {
		if value != "" {
			rows = append(rows, fieldName(name),
				&widget.Label{Text: value, Wrapping: fyne.TextWrapBreak, Selectable: true})
		}
	}
	add("Result", probeStatusWords(p)+errorSuffix(p.Error))
	add("Found by", strings.Join(sourceNames(s.Sources), ", ")+" (trust: "+string(s.Trust)+")")
	add("Connected to", p.Address)
	add("TLS", strings.TrimSpace(p.TLSVersion+" "+p.CipherSuite))
	if c := p.Cert; c != nil {
		valid := "valid"
		if !c.Valid {
			valid = "NOT valid"
			if c.Problem != "" {
				valid += " (" + c.Problem + ")"
			}
		}
		if c.MatchedName != "" {
			valid += " for " + c.MatchedName
		}
		add("Certificate", valid+errorSuffix(c.Error))
		add("Subject", c.Subject)
		add("Issuer", c.Issuer)
		add("Names", strings.Join(c.DNSNames, ", "))
		add("Valid", fmt.Sprintf("from %s to %s", friendlyTime(c.NotBefore), friendlyTime(c.NotAfter)))
		add("Key (SHA-256)", c.SPKISHA256)
	}
	add("DANE", daneWords(p.DANE))
	add("Capabilities", strings.Join(p.Capabilities, " "))
	add("SASL", strings.Join(p.SASL, " "))
	var tried []string
	for _, a := range p.Tried {
		t := fmt.Sprintf("%s (%s) in %s", a.Address, a.Network, millis(a.ElapsedMS))
		if a.Error != "" {
			t += ": " + a.Error
		}
		tried = append(tried, t)
	}
	add("Addresses tried", strings.Join(tried, "\n"))
	if words, _ := loginWords(&s.Login); words != "" {
		add("Password check", words)
	}
	box := []fyne.CanvasObject{container.New(layout.NewFormLayout(), rows...)}
	if len(p.Transcript) > 0 {
		box = append(box, bold("Conversation (passwords are never shown)"), transcript(p.Transcript))
	}
	if len(s.Login.Transcript) > 0 {
		box = append(box, bold("Password check conversation (password removed)"), transcript(s.Login.Transcript))
	}
	return container.NewVBox(box...)
}

// daneWords explains a probe's DANE status (RFC 7672 §2.2).
func daneWords(s string) string {
	switch s {
	case "verified":
		return "verified: the key matches the domain's signed TLSA record"
	case "mismatch":
		return "MISMATCH: the key is not the one the signed TLSA record names"
	case "none":
		return "no TLSA record"
	case "insecure":
		return "not checked: the host's DNS is not signed"
	case "bogus":
		return "FAILED: the TLSA answer's signatures do not check out"
	case "indeterminate":
		return "not checked: DNSSEC validation could not be completed (a DNS lookup failed)"
	}
	return s
}

// friendlyTime shows an RFC 3339 time as "2 Jan 2027 15:04 UTC".
func friendlyTime(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2 Jan 2006 15:04 UTC")
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

func errorSuffix(e string) string {
	if e == "" {
		return ""
	}
	return ": " + e
}

func sourceNames(s []detect.SourceName) []string {
	out := make([]string, len(s))
	for i, n := range s {
		out[i] = string(n)
	}
	return out
}

// untrustedMark flags transcript lines from before the TLS handshake.
const untrustedMark = "  [before TLS: untrusted]"

// transcript renders a protocol exchange in monospace. Lines from before
// the TLS handshake are marked in words and in the warning colour: anyone
// on the path could have written them (EAST: plaintext UI spoofing).
func transcript(lines []detect.TranscriptLine) fyne.CanvasObject {
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
		caption("Lines marked [before TLS: untrusted] were exchanged before encryption started: anyone on the network could have written or changed them."),
		rt)
}

func (t *detailsTab) onCopy() {
	data, err := export.Write(t.r.s.rep, FormatJSON, nil)
	if err != nil {
		t.r.setStatus("Could not copy the report: " + plainError(err))
		return
	}
	t.r.u.app.Clipboard().SetContent(string(data))
	t.r.setStatus(fmt.Sprintf("Copied the report (JSON, %d bytes) to the clipboard.", len(data)))
}

func (t *detailsTab) onSave(f Format) {
	for _, fi := range Formats {
		if fi.Format == f {
			t.r.export.onSave(fi)
		}
	}
}
