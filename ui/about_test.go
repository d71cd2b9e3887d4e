package ui_test

import (
	"testing"

	"github.com/mailsetup/mailsetup/internal/version"
)

// TestAbout opens Help → About Mailsetup from the window's menu and looks
// for the release the binary was built as.
func TestAbout(t *testing.T) {
	h := newHarness(t, nil) // no detection: the lab is never asked
	m := h.w.MainMenu()
	if m == nil {
		t.Fatal("the window has no menu")
	}
	var action func()
	for _, menu := range m.Items {
		for _, it := range menu.Items {
			if it.Label == "About Mailsetup" && menu.Label == "Help" {
				action = it.Action
			}
		}
	}
	if action == nil {
		t.Fatal("no Help → About Mailsetup in the menu")
	}
	action()
	for _, want := range []string{"About Mailsetup", "Version " + version.String(), version.URL} {
		if !h.has(want) {
			t.Errorf("the About dialog lacks %q; the window shows %q", want, h.texts())
		}
	}
}
