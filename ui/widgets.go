package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// tint is a rounded background in a theme colour at low opacity, with a
// solid bar on its left edge; it follows theme changes.
type tint struct {
	widget.BaseWidget
	color fyne.ThemeColorName
}

func newTint(c fyne.ThemeColorName) *tint {
	t := &tint{color: c}
	t.ExtendBaseWidget(t)
	return t
}

// CreateRenderer is part of fyne.Widget.
func (t *tint) CreateRenderer() fyne.WidgetRenderer {
	r := &tintRenderer{t: t, bg: canvas.NewRectangle(color.Transparent), bar: canvas.NewRectangle(color.Transparent)}
	r.Refresh()
	return r
}

type tintRenderer struct {
	t       *tint
	bg, bar *canvas.Rectangle
}

func (r *tintRenderer) Layout(s fyne.Size) {
	r.bg.Resize(s)
	r.bar.Move(fyne.NewPos(0, 0))
	r.bar.Resize(fyne.NewSize(theme.Padding(), s.Height))
}

func (r *tintRenderer) MinSize() fyne.Size { return fyne.NewSize(0, 0) }

func (r *tintRenderer) Refresh() {
	th := r.t.Theme()
	v := fyne.CurrentApp().Settings().ThemeVariant()
	c := color.NRGBAModel.Convert(th.Color(r.t.color, v)).(color.NRGBA)
	r.bar.FillColor = c
	c.A = 0x2a
	r.bg.FillColor = c
	r.bg.CornerRadius = theme.InputRadiusSize()
	r.bg.Refresh()
	r.bar.Refresh()
}

func (r *tintRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.bg, r.bar} }
func (r *tintRenderer) Destroy()                     {}

// tinted puts content on a tint of c, padded.
func tinted(c fyne.ThemeColorName, content fyne.CanvasObject) fyne.CanvasObject {
	return container.NewStack(newTint(c), container.NewPadded(container.NewPadded(content)))
}

// iconLine is an icon left of a text block, level with its first line.
func iconLine(icon fyne.Resource, content fyne.CanvasObject) *fyne.Container {
	return container.NewBorder(nil, nil, leadIcon(widget.NewIcon(icon)), nil, content)
}

// leadIcon sizes an icon (or a spinner) to one line of label text and
// centres it there, so that it sits level with the line it leads.
func leadIcon(o fyne.CanvasObject) fyne.CanvasObject {
	line := widget.NewLabel("M").MinSize().Height
	return container.New(layout.NewGridWrapLayout(fyne.NewSize(theme.IconInlineSize(), line)), container.NewCenter(o))
}

// panel is a bordered block with a bold title line: a lighter card than
// widget.Card, whose heading-size title would outweigh the content.
func panel(title string, content ...fyne.CanvasObject) *widget.Card {
	head := &widget.Label{Text: title, SizeName: theme.SizeNameSubHeadingText, TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord}
	return &widget.Card{Content: container.NewVBox(append([]fyne.CanvasObject{head}, content...)...)}
}

// wrapped is a label that wraps at word boundaries.
func wrapped(text string) *widget.Label {
	return &widget.Label{Text: text, Wrapping: fyne.TextWrapWord}
}

// levelImportance is the text importance of a verdict level.
func levelImportance(l level) widget.Importance {
	switch l {
	case levelSecure:
		return widget.SuccessImportance
	case levelCaveats:
		return widget.WarningImportance
	case levelUnsafe:
		return widget.DangerImportance
	default:
		return widget.MediumImportance
	}
}
