// Command mailsetup is the Mailsetup desktop app: type an email address,
// get mail settings you can trust. The screens live in package ui; this is
// wiring only.
//
// Built with the screenshots tag (scripts/screenshots does), it instead
// tours its screens against the built-in lab, saves screenshots into
// $MAILSETUP_SCREENSHOT_DIR (default ./screenshots) and quits; see tour.go.
// The product binary has no tour in it.
//
// `mailsetup --version` prints the release and exits without opening a
// window; `mailsetup --help` says so.
package main

import (
	"fmt"
	"io"
	"os"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/mailsetup/mailsetup/assets"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/version"
	"github.com/mailsetup/mailsetup/ui"
)

// tour, set only in a build with the screenshots tag (tour.go), drives the
// running app through its screens and quits it; it returns the error to
// exit with once the window has closed.
var tour func(a fyne.App, u *ui.UI) (wait func() error)

func main() {
	if code, done := handleArgs(os.Args[1:], os.Stdout); done {
		os.Exit(code)
	}
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

// handleArgs answers the command-line options that need no window:
// --version (also -version, -v) and --help (-help, -h), the help in the
// language of MAILSETUP_LANG, LC_ALL, LC_MESSAGES or LANG. done is false for
// anything else, which the app ignores (a desktop may pass arguments of its
// own, such as macOS's -psn_...), and the window opens.
func handleArgs(args []string, stdout io.Writer) (code int, done bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "--version", "-version", "-v":
		fmt.Fprintln(stdout, "mailsetup", version.String())
		return 0, true
	case "--help", "-help", "-h":
		lang, err := i18n.Choose("", os.Getenv, "")
		if err != nil {
			lang = i18n.English
		}
		p := i18n.New(lang)
		fmt.Fprintln(stdout, p.T("app.usage"))
		fmt.Fprintln(stdout, p.T("app.opens"))
		fmt.Fprintln(stdout, p.T("app.cli"))
		return 0, true
	}
	return 0, false
}
