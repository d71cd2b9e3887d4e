package ui

import (
	"net/url"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/assets"
	"github.com/mailsetup/mailsetup/internal/version"
)

// mainMenu is the window's menu: File (Quit) and Help (About). macOS shows
// it in the system menu bar, the other desktops at the top of the window.
func (u *UI) mainMenu() *fyne.MainMenu {
	quit := &fyne.MenuItem{Label: "Quit", IsQuit: true, Action: u.app.Quit}
	about := &fyne.MenuItem{Label: "About Mailsetup", Icon: theme.InfoIcon(), Action: u.showAbout}
	return fyne.NewMainMenu(
		fyne.NewMenu("File", quit),
		fyne.NewMenu("Help", about),
	)
}

// showAbout shows the name, the release (package internal/version) and the
// web site of the app.
func (u *UI) showAbout() {
	icon := canvas.NewImageFromResource(assets.Icon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(64))
	site, _ := url.Parse(version.URL) // a constant that parses
	body := container.NewVBox(
		container.NewCenter(icon),
		&widget.Label{Text: version.Name, Alignment: fyne.TextAlignCenter, TextStyle: fyne.TextStyle{Bold: true}},
		&widget.Label{Text: "Version " + version.String(), Alignment: fyne.TextAlignCenter},
		&widget.Label{Text: "Find mail settings you can trust for any email address.", Alignment: fyne.TextAlignCenter},
		container.NewCenter(widget.NewHyperlink(version.URL, site)),
	)
	u.showDialog(dialog.NewCustom("About Mailsetup", "Close", body, u.win))
}
