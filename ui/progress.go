package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
)

// progressScreen shows a run live: a row for every source and every server
// check from the moment it starts, with its state and time, and Cancel.
// It is updated only on the UI goroutine (onEvent, tick).
type progressScreen struct {
	u *UI
	s *session

	elapsed  *widget.Label
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
	where := "Looking up the mail settings of " + p.s.address
	if p.s.demo {
		where += " in the demo world"
	}
	title := &widget.Label{Text: where, SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true},
		Wrapping: fyne.TextWrapWord}
	explain := caption("Every source is asked at once; every server found is then checked over TLS before it can be recommended.")
	p.elapsed = &widget.Label{Text: "Starting…"}
	if p.s.demo {
		p.elapsed.Text = "Starting the demo world…"
	}
	p.busy = widget.NewActivity()
	p.busy.Start()
	p.cancel = &widget.Button{Text: "Cancel (Esc)", Icon: theme.CancelIcon(), OnTapped: p.u.onCancel}
	p.sources = container.NewVBox()
	p.probes = container.NewVBox()
	p.noProbes = caption("No server to check yet.")
	p.probes.Add(p.noProbes)

	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, p.cancel, title),
		container.NewBorder(nil, nil, nil, container.NewHBox(p.busy, p.elapsed), explain),
	)
	lists := container.NewVBox(
		heading("Sources"), p.sources,
		heading("Server checks"), p.probes,
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
func (r *progressRow) finish(icon fyne.Resource, state, detail string, ms int64, importance widget.Importance) {
	r.running = false
	r.spinner.Stop()
	r.spinner.Hide()
	r.icon.SetResource(icon)
	r.icon.Show()
	r.set(state, detail, importanceColor(importance))
	r.time.SetText(millis(ms))
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
	switch {
	case ev.Source != nil:
		s := ev.Source
		r := p.row("source "+string(s.Name), sourceWords(s.Name), ev.At, p.sources)
		if ev.Kind == detect.EventSourceStarted {
			r.set(sourceStatusWords(s), "trust if found: "+trustWords(s.Trust), theme.ColorNameForeground)
			return
		}
		icon, imp := sourceIcon(s.Status)
		r.finish(icon, sourceStatusWords(s), s.Detail, s.ElapsedMS, imp)
	case ev.Server != nil:
		s := ev.Server
		name := fmt.Sprintf("%s %s:%d", protocolWords(s.Protocol), s.Host, s.Port)
		r := p.row("probe "+name+" "+string(s.Security), name, ev.At, p.probes)
		if ev.Kind == detect.EventProbeStarted {
			r.set("checking…", securityWords(s.Security)+", named by "+trustWords(s.Trust), theme.ColorNameForeground)
			return
		}
		icon, imp := probeIcon(s)
		detail := securityWords(s.Security)
		if s.Probe.TLSVersion != "" {
			detail += ", " + s.Probe.TLSVersion
		}
		if s.Probe.Error != "" {
			detail += ": " + plainText(s.Probe.Error)
		}
		r.finish(icon, probeStatusWords(&s.Probe), detail, s.Probe.ElapsedMS, imp)
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
	p.elapsed.SetText(fmt.Sprintf("%.1f s", time.Since(p.started).Seconds()))
	if p.zero.IsZero() {
		return
	}
	now := time.Since(p.zero)
	for _, r := range p.rows {
		if r.running {
			r.time.SetText(fmt.Sprintf("%.1f s…", max(0, (now-r.at).Seconds())))
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
