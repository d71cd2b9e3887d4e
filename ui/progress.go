package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// progressScreen shows a run live: a row for every source and every server
// check from the moment it starts, with its state and time, and Cancel.
// It is updated only on the UI goroutine (onEvent, tick).
type progressScreen struct {
	u *UI
	s *session

	elapsed  *widget.Label
	answer   *widget.Label // the final recommendation, shown once proven
	busy     *widget.Activity
	sources  *fyne.Container
	probes   *fyne.Container
	noProbes *widget.Label
	cancel   *widget.Button
	rows     map[string]*progressRow
	started  time.Time // when the screen appeared
	zero     time.Time // when the engine started, known from the first event
	content  fyne.CanvasObject
}

// progressRow is one source or server check: a spinner or an outcome
// icon, the name with its state in words (coloured when it matters), one
// line of detail, and the time.
type progressRow struct {
	spinner *widget.Activity
	icon    *widget.Icon
	text    *widget.RichText
	name    *widget.TextSegment
	state   *widget.TextSegment
	detail  *widget.TextSegment
	time    *widget.Label
	at      time.Duration // when it started, since the run's start
	running bool
	box     fyne.CanvasObject
}

func newProgressScreen(u *UI, s *session) *progressScreen {
	p := &progressScreen{u: u, s: s, rows: map[string]*progressRow{}, started: time.Now()}
	p.buildUI()
	return p
}

func (p *progressScreen) buildUI() {
	pr := p.u.p
	where := pr.T("ui.progress.title", "Address", p.s.address)
	if p.s.demo {
		where = pr.T("ui.progress.title.demo", "Address", p.s.address)
	}
	title := &widget.Label{Text: where, SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true},
		Wrapping: fyne.TextWrapWord}
	explain := caption(pr.T("ui.progress.explain"))
	p.elapsed = &widget.Label{Text: pr.T("ui.progress.starting")}
	if p.s.demo {
		p.elapsed.Text = pr.T("ui.progress.starting.demo")
	}
	p.answer = &widget.Label{Importance: widget.SuccessImportance, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	p.answer.Hide()
	p.busy = widget.NewActivity()
	p.busy.Start()
	p.cancel = &widget.Button{Text: pr.T("ui.progress.cancel"), Icon: theme.CancelIcon(), OnTapped: p.u.onCancel}
	p.sources = container.NewVBox()
	p.probes = container.NewVBox()
	p.noProbes = caption(pr.T("ui.progress.no-probes"))
	p.probes.Add(p.noProbes)

	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, p.cancel, title),
		container.NewBorder(nil, nil, nil, container.NewHBox(p.busy, p.elapsed), explain),
		p.answer,
	)
	lists := container.NewVBox(
		heading(pr.T("ui.progress.sources")), p.sources,
		heading(pr.T("ui.progress.probes")), p.probes,
	)
	p.content = container.NewBorder(
		centered(960, container.NewPadded(top)), nil, nil, nil,
		container.NewVScroll(centered(960, container.NewPadded(lists))))
}

// heading is a bold section title.
func heading(text string) *widget.Label {
	return &widget.Label{Text: text, SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true}}
}

func newProgressRow(name string, at time.Duration) *progressRow {
	r := &progressRow{
		spinner: widget.NewActivity(),
		icon:    widget.NewIcon(nil),
		name:    &widget.TextSegment{Text: name, Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
		state:   &widget.TextSegment{Style: widget.RichTextStyle{ColorName: theme.ColorNameForeground}},
		detail:  &widget.TextSegment{Style: widget.RichTextStyle{SizeName: theme.SizeNameCaptionText, ColorName: theme.ColorNameForeground}},
		time:    &widget.Label{Alignment: fyne.TextAlignTrailing},
		at:      at,
		running: true,
	}
	r.text = widget.NewRichText(r.name, r.state, r.detail)
	r.text.Truncation = fyne.TextTruncateEllipsis
	r.icon.Hide()
	r.spinner.Start()
	r.box = container.NewBorder(nil, nil, leadIcon(container.NewStack(r.spinner, r.icon)), r.time, r.text)
	return r
}

// set shows a state and a detail; c colours the state.
func (r *progressRow) set(state, detail string, c fyne.ThemeColorName) {
	r.state.Text = "   " + state
	r.state.Style.ColorName = c
	r.detail.Text = detail
	r.text.Refresh()
}

// finish ends a row's running state with an outcome.
func (r *progressRow) finish(icon fyne.Resource, state, detail, took string, importance widget.Importance) {
	r.running = false
	r.spinner.Stop()
	r.spinner.Hide()
	r.icon.SetResource(icon)
	r.icon.Show()
	r.set(state, detail, importanceColor(importance))
	r.time.SetText(took)
}

// importanceColor is the theme colour of a text importance.
func importanceColor(i widget.Importance) fyne.ThemeColorName {
	switch i {
	case widget.SuccessImportance:
		return theme.ColorNameSuccess
	case widget.WarningImportance:
		return theme.ColorNameWarning
	case widget.DangerImportance:
		return theme.ColorNameError
	default:
		return theme.ColorNameForeground
	}
}

// row returns the row of key, adding it to list when new.
func (p *progressScreen) row(key, name string, at time.Duration, list *fyne.Container) *progressRow {
	if r, ok := p.rows[key]; ok {
		return r
	}
	r := newProgressRow(name, at)
	p.rows[key] = r
	if list == p.probes && p.noProbes.Visible() {
		p.noProbes.Hide()
		list.Remove(p.noProbes)
	}
	list.Add(r.box)
	return r
}

// onEvent shows one engine event.
func (p *progressScreen) onEvent(ev detect.Event) {
	if p.zero.IsZero() {
		p.zero = time.Now().Add(-ev.At)
		p.tick()
	}
	pr := p.u.p
	switch {
	case ev.Answer != nil:
		var found []string
		for _, s := range []*detect.Server{ev.Answer.Incoming, ev.Answer.Outgoing} {
			if s != nil {
				found = append(found, fmt.Sprintf("%s %s:%d (%s)", protocolWords(s.Protocol), s.Host, s.Port, securityWords(pr, s.Security)))
			}
		}
		if found != nil {
			p.answer.SetText(pr.T("ui.progress.answer", "Servers", strings.Join(found, ", ")))
			p.answer.Show()
			p.content.Refresh() // lay the title block out again with the new line
		}
	case ev.Source != nil:
		s := ev.Source
		r := p.row("source "+string(s.Name), words.Source(pr, s.Name), ev.At, p.sources)
		if ev.Kind == detect.EventSourceStarted {
			r.set(words.SourceStatus(pr, s), pr.T("ui.progress.trust-if-found", "Trust", words.Trust(pr, s.Trust)), theme.ColorNameForeground)
			return
		}
		icon, imp := sourceIcon(s.Status)
		r.finish(icon, words.SourceStatus(pr, s), s.Detail, millis(pr, s.ElapsedMS), imp)
	case ev.Server != nil:
		s := ev.Server
		name := fmt.Sprintf("%s %s:%d", protocolWords(s.Protocol), s.Host, s.Port)
		r := p.row("probe "+name+" "+string(s.Security), name, ev.At, p.probes)
		if ev.Kind == detect.EventProbeStarted {
			r.set(pr.T("label.probe.checking"), pr.T("ui.progress.named-by", "Security", securityWords(pr, s.Security), "Trust", words.Trust(pr, s.Trust)), theme.ColorNameForeground)
			return
		}
		icon, imp := probeIcon(s)
		detail := securityWords(pr, s.Security)
		if s.Probe.TLSVersion != "" {
			detail += ", " + s.Probe.TLSVersion
		}
		if s.Probe.Error != "" {
			detail = pr.T("ui.label-value", "Label", detail, "Value", s.Probe.Error) // a diagnostic, as it came
		}
		r.finish(icon, words.ProbeStatus(pr, &s.Probe), detail, millis(pr, s.Probe.ElapsedMS), imp)
	}
}

// sourceIcon is the icon and text importance of a source status: a tick
// (found), a dash (nothing there), a cross (failed), a skip sign.
func sourceIcon(st detect.SourceStatus) (fyne.Resource, widget.Importance) {
	switch st {
	case detect.StatusFound:
		return levelIcon(levelSecure), widget.SuccessImportance
	case detect.StatusError:
		return levelIcon(levelUnsafe), widget.DangerImportance
	case detect.StatusSkipped:
		return theme.NewColoredResource(theme.MediaSkipNextIcon(), theme.ColorNamePlaceHolder), widget.MediumImportance
	default:
		return theme.NewColoredResource(theme.ContentRemoveIcon(), theme.ColorNamePlaceHolder), widget.MediumImportance
	}
}

// probeIcon is the icon and text importance of a finished server check.
func probeIcon(s *detect.Server) (fyne.Resource, widget.Importance) {
	switch {
	case s.Probe.Status == detect.ProbeOK && s.Probe.Cert != nil && s.Probe.Cert.Valid:
		return levelIcon(levelSecure), widget.SuccessImportance
	case s.Probe.Status == detect.ProbeNotProbed:
		return theme.NewColoredResource(theme.MediaSkipNextIcon(), theme.ColorNamePlaceHolder), widget.MediumImportance
	case s.Probe.Status == detect.ProbeOK:
		return levelIcon(levelCaveats), widget.WarningImportance
	default:
		return levelIcon(levelUnsafe), widget.DangerImportance
	}
}

// tick updates the clock and the times of the rows still running.
func (p *progressScreen) tick() {
	p.elapsed.SetText(p.u.p.Seconds(time.Since(p.started).Seconds()))
	if p.zero.IsZero() {
		return
	}
	now := time.Since(p.zero)
	for _, r := range p.rows {
		if r.running {
			r.time.SetText(p.u.p.Seconds(max(0, (now-r.at).Seconds())) + "…")
		}
	}
}

// stop ends the animations when the screen goes away.
func (p *progressScreen) stop() {
	p.busy.Stop()
	for _, r := range p.rows {
		r.spinner.Stop()
	}
}
