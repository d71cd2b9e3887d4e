package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// entry is a widget.Entry that also reports Escape. Fyne gives key presses
// to the focused widget only, so without this Escape typed in a field (the
// password field of a dialog, say) would be lost instead of closing it.
type entry struct {
	widget.Entry
	onEscape func()
}

// newEntry returns a one-line entry showing placeholder when empty.
func newEntry(placeholder string) *entry {
	e := &entry{}
	e.PlaceHolder = placeholder
	e.ExtendBaseWidget(e)
	return e
}

// newPasswordEntry returns an entry that hides what is typed, with a button
// to show it, like widget.NewPasswordEntry, and that reports Escape.
func newPasswordEntry(placeholder string) *entry {
	e := newEntry(placeholder)
	e.Password = true
	reveal := &widget.Button{Icon: theme.VisibilityOffIcon(), Importance: widget.LowImportance}
	reveal.OnTapped = func() {
		e.Password = !e.Password
		if e.Password {
			reveal.SetIcon(theme.VisibilityOffIcon())
		} else {
			reveal.SetIcon(theme.VisibilityIcon())
		}
		e.Refresh()
	}
	e.ActionItem = reveal
	return e
}

// TypedKey handles Escape, and leaves every other key to the entry.
func (e *entry) TypedKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape && e.onEscape != nil {
		e.onEscape()
		return
	}
	e.Entry.TypedKey(k)
}
