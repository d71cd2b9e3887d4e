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

// mainMenu is the window's menu, in the app's language: File (Quit) and
// Help (About). macOS shows it in the system menu bar, the other desktops
// at the top of the window.
func (u *UI) mainMenu() *fyne.MainMenu {
	p := u.p
	quit := &fyne.MenuItem{Label: p.T("ui.menu.quit"), IsQuit: true, Action: u.app.Quit}
	about := &fyne.MenuItem{Label: p.T("ui.menu.about"), Icon: theme.InfoIcon(), Action: u.showAbout}
	return fyne.NewMainMenu(
		fyne.NewMenu(p.T("ui.menu.file"), quit),
		fyne.NewMenu(p.T("ui.menu.help"), about),
	)
}

// showAbout shows the name, the release (package internal/version) and the
// web site of the app.
func (u *UI) showAbout() {
	p := u.p
	icon := canvas.NewImageFromResource(assets.Icon)
	icon.FillMode = canvas.ImageFillContain
	icon.SetMinSize(fyne.NewSquareSize(64))
	site, _ := url.Parse(version.URL) // a constant that parses
	body := container.NewVBox(
		container.NewCenter(icon),
		&widget.Label{Text: version.Name, Alignment: fyne.TextAlignCenter, TextStyle: fyne.TextStyle{Bold: true}},
		&widget.Label{Text: p.T("ui.about.version", "Version", version.String()), Alignment: fyne.TextAlignCenter},
		&widget.Label{Text: p.T("ui.about.tagline"), Alignment: fyne.TextAlignCenter, Wrapping: fyne.TextWrapWord},
		container.NewCenter(widget.NewHyperlink(version.URL, site)),
	)
	u.showDialog(dialog.NewCustom(p.T("ui.menu.about"), p.T("ui.button.close"), atLeast(360, body), u.win))
}
