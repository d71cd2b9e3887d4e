// Command mailsetup is the Mailsetup desktop app: type an email address,
// get mail settings you can trust. The screens live in package ui; this is
// wiring only.
//
// Built with the screenshots tag (scripts/screenshots does), it instead
// tours its screens against the built-in lab, saves screenshots into
// $MAILSETUP_SCREENSHOT_DIR (default ./screenshots) and quits; see tour.go.
// The product binary has no tour in it.
package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/mailsetup/mailsetup/assets"
	"github.com/mailsetup/mailsetup/ui"
)

// tour, set only in a build with the screenshots tag (tour.go), drives the
// running app through its screens and quits it; it returns the error to
// exit with once the window has closed.
var tour func(a fyne.App, u *ui.UI) (wait func() error)

func main() {
	a := app.NewWithID("org.mailsetup.app")
	a.SetIcon(assets.Icon)
	u := ui.New(a, ui.Config{})
	defer u.Close()

	wait := func() error { return nil }
	if tour != nil {
		wait = tour(a, u)
	}
	u.Window().ShowAndRun()
	if err := wait(); err != nil {
		u.Close()
		fmt.Fprintln(os.Stderr, "mailsetup: screenshot tour:", err)
		os.Exit(1)
	}
}
