package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/assets"
	"github.com/mailsetup/mailsetup/detect"
)

// startScreen asks for the address: one field (Enter starts), an optional
// name, the Settings drawer and the demo.
type startScreen struct {
	u *UI

	address  *entry
	name     *entry
	problem  *widget.Label // inline error under the address
	problemC fyne.CanvasObject
	note     *widget.Label // e.g. "Search cancelled."
	find     *widget.Button
	drawer   *widget.Accordion
	demo     *demoCard
	content  fyne.CanvasObject
}

func newStartScreen(u *UI) *startScreen {
	s := &startScreen{u: u}
	s.buildUI()
	return s
}

func (s *startScreen) buildUI() {
	p := s.u.p
	icon := canvas.NewImageFromResource(assets.Icon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(64))
	title := &widget.Label{Text: "Mailsetup", SizeName: theme.SizeNameHeadingText, TextStyle: fyne.TextStyle{Bold: true}}
	tagline := &widget.Label{Text: p.T("ui.start.tagline"),
		Wrapping: fyne.TextWrapWord}
	header := container.NewBorder(nil, nil, icon, nil, container.NewVBox(title, tagline))

	s.address = newEntry(p.T("ui.start.address.placeholder"))
	s.address.OnSubmitted = func(string) { s.onFind() }
	s.address.OnChanged = func(string) { s.problemC.Hide() }
	s.problem = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	s.problemC = container.NewBorder(nil, nil, widget.NewIcon(levelIcon(levelUnsafe)), nil, s.problem)
	s.problemC.Hide()

	s.name = newEntry(p.T("ui.start.name.placeholder"))
	s.name.OnSubmitted = func(string) { s.onFind() }

	s.find = &widget.Button{Text: p.T("ui.start.find"), Icon: theme.SearchIcon(), Importance: widget.HighImportance, OnTapped: s.onFind}
	s.note = &widget.Label{Importance: widget.MediumImportance, Wrapping: fyne.TextWrapWord}
	s.note.Hide()

	s.drawer = widget.NewAccordion(widget.NewAccordionItem(p.T("ui.start.settings"), s.u.settings.content))
	s.demo = newDemoCard(s.u)

	form := container.NewVBox(
		bold(p.T("ui.start.address")),
		s.address,
		s.problemC,
		bold(p.T("ui.start.name")),
		s.name,
		caption(p.T("ui.start.name.caption")),
		container.NewHBox(s.find),
		s.note,
	)
	body := container.NewVBox(header, widget.NewSeparator(), form, s.drawer, s.demo.card)
	s.content = container.NewVScroll(centered(720, container.NewPadded(body)))
}

// onFind checks the address and the settings, then starts the detection.
// A malformed address is an inline error, and nothing is sent anywhere.
func (s *startScreen) onFind() {
	addr := strings.TrimSpace(s.address.Text)
	if _, err := detect.ParseAddress(addr); err != nil {
		s.showProblem(plainError(s.u.p, err))
		s.u.win.Canvas().Focus(s.address)
		return
	}
	var prepare prepareFunc
	if f := s.u.cfg.OptionsFor; f != nil {
		prepare = func(*session) (*detect.Options, error) { return f(addr) }
	} else {
		o, err := s.u.settings.options()
		if err != nil {
			s.showProblem(s.u.p.T("ui.start.settings-problem", "Detail", plainError(s.u.p, err)))
			s.drawer.Open(0)
			return
		}
		prepare = func(*session) (*detect.Options, error) { return o, nil }
	}
	s.problemC.Hide()
	s.u.startRun(addr, strings.TrimSpace(s.name.Text), false, prepare)
}

// showProblem shows msg under the address field.
func (s *startScreen) showProblem(msg string) {
	s.problem.SetText(msg)
	s.problemC.Show()
}

func (s *startScreen) setNote(note string) {
	s.note.SetText(note)
	if note == "" {
		s.note.Hide()
	} else {
		s.note.Show()
	}
}

// bold is a label in bold.
func bold(text string) *widget.Label {
	return &widget.Label{Text: text, TextStyle: fyne.TextStyle{Bold: true}}
}

// caption is a small, wrapping label for explanations.
func caption(text string) *widget.Label {
	return &widget.Label{Text: text, SizeName: theme.SizeNameCaptionText, Wrapping: fyne.TextWrapWord}
}
