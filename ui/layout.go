package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// centerLayout gives its objects at most max width, centred, so that lines
// of text stay readable on a wide window and nothing needs a wide one.
type centerLayout struct{ max float32 }

// centered wraps objects in a column of at most max width.
func centered(max float32, objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(&centerLayout{max: max}, objects...)
}

func (l *centerLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	w := min(size.Width, l.max)
	for _, o := range objects {
		o.Move(fyne.NewPos((size.Width-w)/2, 0))
		o.Resize(fyne.NewSize(w, size.Height))
	}
}

func (l *centerLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	var s fyne.Size
	for _, o := range objects {
		if o.Visible() {
			s = s.Max(o.MinSize())
		}
	}
	return s
}

// columnsLayout puts its objects side by side in two columns when there is
// room for two of at least minCol each, and stacks them otherwise. Its
// minimum width is that of one column, so the window can always shrink; its
// minimum height follows the columns chosen at the last layout (Fyne
// re-lays out the parents when it changes).
type columnsLayout struct {
	minCol float32
	cols   int
}

// columns lays objects out in responsive columns.
func columns(minCol float32, objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(&columnsLayout{minCol: minCol, cols: 1}, objects...)
}

func visibleObjects(objects []fyne.CanvasObject) []fyne.CanvasObject {
	var out []fyne.CanvasObject
	for _, o := range objects {
		if o.Visible() {
			out = append(out, o)
		}
	}
	return out
}

func (l *columnsLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	l.cols = 1
	if size.Width >= 2*l.minCol+pad {
		l.cols = 2
	}
	objs := visibleObjects(objects)
	w := (size.Width - float32(l.cols-1)*pad) / float32(l.cols)
	y := float32(0)
	for i := 0; i < len(objs); i += l.cols {
		row := objs[i:min(i+l.cols, len(objs))]
		h := float32(0)
		for _, o := range row {
			h = max(h, o.MinSize().Height)
		}
		for j, o := range row {
			o.Move(fyne.NewPos(float32(j)*(w+pad), y))
			o.Resize(fyne.NewSize(w, h))
		}
		y += h + pad
	}
}

func (l *columnsLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	objs := visibleObjects(objects)
	var s fyne.Size
	rows := 0
	for i := 0; i < len(objs); i += l.cols {
		h := float32(0)
		for _, o := range objs[i:min(i+l.cols, len(objs))] {
			m := o.MinSize()
			s.Width = max(s.Width, m.Width)
			h = max(h, m.Height)
		}
		s.Height += h
		rows++
	}
	if rows > 1 {
		s.Height += float32(rows-1) * pad
	}
	return s
}

// minWidthLayout stretches its objects over its size and asks for at
// least w of width, so that a dialog does not shrink to its widest word.
type minWidthLayout struct{ w float32 }

// atLeast wraps objects in a container at least w wide.
func atLeast(w float32, objects ...fyne.CanvasObject) *fyne.Container {
	return container.New(&minWidthLayout{w: w}, objects...)
}

func (l *minWidthLayout) Layout(objects []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objects {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

func (l *minWidthLayout) MinSize(objects []fyne.CanvasObject) fyne.Size {
	s := fyne.NewSize(l.w, 0)
	for _, o := range objects {
		s = s.Max(o.MinSize())
	}
	return s
}
