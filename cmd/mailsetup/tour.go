//go:build screenshots

package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2"

	"github.com/mailsetup/mailsetup/ui"
)

// With the screenshots tag the app runs ui's screenshot tour on start:
// scripts/screenshots builds it so, the product binary never has it.
func init() {
	tour = func(a fyne.App, u *ui.UI) func() error {
		dir := os.Getenv("MAILSETUP_SCREENSHOT_DIR")
		if dir == "" {
			dir = "screenshots"
		}
		done := make(chan error, 1)
		go func() {
			files, err := u.Tour(dir)
			for _, f := range files {
				fmt.Println(f)
			}
			done <- err
			fyne.DoAndWait(a.Quit)
		}()
		return func() error {
			select {
			case err := <-done:
				return err
			default:
				return nil // the window was closed before the tour ended
			}
		}
	}
}
