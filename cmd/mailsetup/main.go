// Command mailsetup is the Mailsetup desktop app: type an email address,
// get mail settings you can trust. The screens live in package ui; this is
// wiring only.
//
// With MAILSETUP_SCREENSHOT_SCRIPT=1 in the environment it runs a scripted
// tour against the built-in lab instead, saves screenshots into
// $MAILSETUP_SCREENSHOT_DIR (default ./screenshots) and quits; see
// scripts/screenshots.
package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/mailsetup/mailsetup/assets"
	"github.com/mailsetup/mailsetup/ui"
)

func main() {
	a := app.NewWithID("org.mailsetup.app")
	a.SetIcon(assets.Icon)
	u := ui.New(a, ui.Config{})
	defer u.Close()

	tourErr := make(chan error, 1)
	if os.Getenv("MAILSETUP_SCREENSHOT_SCRIPT") != "" {
		dir := os.Getenv("MAILSETUP_SCREENSHOT_DIR")
		if dir == "" {
			dir = "screenshots"
		}
		go func() {
			files, err := u.Tour(dir)
			for _, f := range files {
				fmt.Println(f)
			}
			tourErr <- err
			fyne.DoAndWait(a.Quit)
		}()
	}
	u.Window().ShowAndRun()

	select {
	case err := <-tourErr:
		if err != nil {
			u.Close()
			fmt.Fprintln(os.Stderr, "mailsetup: screenshot tour:", err)
			os.Exit(1)
		}
	default:
	}
}
