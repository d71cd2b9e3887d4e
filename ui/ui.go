// Package ui is the desktop app of Mailsetup, built with Fyne v2: a wizard
// that takes an email address, shows the engine's progress live (every
// source and every server check as a row the moment it starts), and ends
// with the recommended settings as cards with a plain-words verdict, the
// helpdesk details, an opt-in password check, and every export format.
//
// The engine (package detect) runs on its own goroutines; every widget
// update it causes goes through [Config.Do] (fyne.Do by default). The
// package never touches the network itself, and "Try the demo" runs the
// whole flow against the in-process loopback lab (internal/lab).
package ui

import (
	"context"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// Config adapts the app to where it runs. The zero value is the real app.
type Config struct {
	// OptionsFor returns the engine options for a detection of address (a
	// checked, trimmed address). nil means options from the Settings
	// drawer: its DNS server (default: the system's), ISP database switch,
	// time limit and extra CA file. Tests point it at internal/lab. The UI
	// sets OnEvent, RealName and Confirmed itself.
	OptionsFor func(address string) (*detect.Options, error)
	// Do runs fn on Fyne's goroutine; nil means fyne.Do. Every update
	// caused by the engine's goroutines goes through it. Fyne's test driver
	// runs fyne.Do's function at once on the calling goroutine, so tests
	// pass a queue here and drain it on the test goroutine.
	Do func(fn func())
	// DemoLatency is added by the demo's lab to every DNS answer and
	// server response, so that the progress can be followed; zero means
	// 40 ms, a negative value none.
	DemoLatency time.Duration
	// Lang is the language of the app. Empty means the choice saved in
	// the Settings drawer, else MAILSETUP_LANG, LC_ALL, LC_MESSAGES, LANG,
	// else the user's preferred language as the system reports it (Fyne's
	// lang.SystemLocale: Windows and macOS settings), else English. The
	// Settings drawer changes it without a restart.
	Lang i18n.Lang
	// OpenBrowser shows the provider's sign-in page of the OAuth2 check;
	// nil means the user's browser (fyne.App.OpenURL). Tests pass the lab's
	// (lab.Lab.Browser).
	OpenBrowser func(ctx context.Context, url string) error
	// OAuthHTTPClient makes the OAuth2 check's requests to the provider;
	// nil means the engine's client for the run's options (its resolver
	// and trusted CAs).
	OAuthHTTPClient *http.Client
}

// UI is the Mailsetup window with its screens: start, progress, result.
type UI struct {
	app fyne.App
	win fyne.Window
	cfg Config
	do  func(func())
	p   *i18n.Printer // the language of every text; see setLang

	settings *settingsPanel
	start    *startScreen
	progress *progressScreen // while a run is under way
	result   *resultScreen   // once a run finished

	sess   *session      // the current or last run; nil before the first
	dialog dialog.Dialog // the open dialog that Escape closes
	closed bool
}

// New builds the window of the app on a. It does no network I/O; show it
// with Window().ShowAndRun().
func New(a fyne.App, cfg Config) *UI {
	u := &UI{app: a, cfg: cfg, do: cfg.Do}
	if u.do == nil {
		u.do = fyne.Do
	}
	u.p = i18n.New(u.chooseLang())
	a.Settings().SetTheme(newTheme(u.appearance()))
	u.win = a.NewWindow("Mailsetup")
	u.win.Resize(fyne.NewSize(960, 720))
	u.win.SetMaster()
	u.win.SetMainMenu(u.mainMenu())
	u.win.SetOnClosed(u.Close)
	u.win.Canvas().SetOnTypedKey(u.onKey)
	u.settings = newSettingsPanel(u)
	u.start = newStartScreen(u)
	u.showStart("")
	return u
}

// Window is the app's main window.
func (u *UI) Window() fyne.Window { return u.win }

// Close cancels a detection under way and stops the demo's lab. It is
// called when the window closes; calling it again does nothing.
func (u *UI) Close() {
	if u.closed {
		return
	}
	u.closed = true
	u.endSession()
}

// chooseLang is the app's language (see [Config.Lang]).
func (u *UI) chooseLang() i18n.Lang {
	if u.cfg.Lang != "" {
		return u.cfg.Lang
	}
	saved := u.app.Preferences().String(prefLanguage)
	system := ""
	if !slices.ContainsFunc([]string{"MAILSETUP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"}, func(v string) bool { return os.Getenv(v) != "" }) {
		system = lang.SystemLocale().LanguageString() // Windows, macOS: the user's preferred language
	}
	l, err := i18n.Choose(saved, os.Getenv, system)
	if err != nil { // a preference from another version
		l, _ = i18n.Choose("", os.Getenv, system)
	}
	return l
}

// setLang switches every text to lang ("" means automatic, as at start)
// without a restart: the choice is saved, and the start screen and the
// Settings drawer are built again in the new language, keeping what was
// typed. The last run's report is said again in lang (detect.Report.
// Localize), so that its result screen, when shown again, matches. Fyne's
// own texts (the buttons of its file dialogs) follow the system's
// language: Fyne keeps them in a global it sets at start.
func (u *UI) setLang(l i18n.Lang) {
	u.app.Preferences().SetString(prefLanguage, string(l))
	u.cfg.Lang = l
	u.useLang(u.chooseLang())
	u.start.drawer.Open(0) // where the choice was made
}

// useLang shows the app in l, without saving the choice (setLang does).
func (u *UI) useLang(l i18n.Lang) {
	u.p = i18n.New(l)
	u.win.SetMainMenu(u.mainMenu())
	if s := u.sess; s != nil && s.rep != nil {
		s.rep.Localize(u.p, s.confirmed)
	}
	address, name := u.start.address.Text, u.start.name.Text
	u.settings = newSettingsPanel(u)
	u.start = newStartScreen(u)
	u.start.address.SetText(address)
	u.start.name.SetText(name)
	u.showStart("") // the drawer is on the start screen
}

// appearance is the theme choice kept in the preferences.
func (u *UI) appearance() Appearance {
	switch a := Appearance(u.app.Preferences().StringWithFallback(prefAppearance, string(AppearanceSystem))); a {
	case AppearanceLight, AppearanceDark:
		return a
	default:
		return AppearanceSystem
	}
}

func (u *UI) setAppearance(a Appearance) {
	u.app.Preferences().SetString(prefAppearance, string(a))
	u.app.Settings().SetTheme(newTheme(a))
}

// setContent shows a screen at the window's current size. Fyne grows a
// window to the new content's minimum size, measured before the first
// layout, when word-wrapped text is still one word wide and so very tall;
// resizing back once it is laid out keeps the window as the user had it.
func (u *UI) setContent(o fyne.CanvasObject) {
	size := u.win.Canvas().Size()
	u.win.SetContent(o)
	if size.Width > 0 && size.Height > 0 {
		u.win.Resize(size)
	}
}

// showStart shows the start screen, with a note (e.g. "Search cancelled.")
// when not empty.
func (u *UI) showStart(note string) {
	u.stopProgress()
	u.start.setNote(note)
	u.setContent(u.start.content)
	u.win.Canvas().Focus(u.start.address)
}

// showDialog shows d and lets Escape close it.
func (u *UI) showDialog(d dialog.Dialog) {
	u.dialog = d
	d.SetOnClosed(func() {
		if u.dialog == d {
			u.dialog = nil
		}
	})
	d.Show()
}

// showInfo shows a message with one button, in the app's language (Fyne's
// dialog.NewInformation would take its button text from Fyne's own,
// system-wide language).
func (u *UI) showInfo(title, message string) {
	u.showDialog(dialog.NewCustom(title, u.p.T("ui.button.ok"), atLeast(420, wrapped(message)), u.win))
}

// onKey handles keys typed while no widget has the focus.
func (u *UI) onKey(k *fyne.KeyEvent) {
	if k.Name == fyne.KeyEscape {
		u.onEscape()
	}
}

// onEscape closes the open dialog, or cancels the run under way.
func (u *UI) onEscape() {
	switch {
	case u.dialog != nil:
		u.dialog.Hide()
	case u.progress != nil:
		u.onCancel()
	}
}

// onCancel stops the run under way and goes back to the start screen.
func (u *UI) onCancel() {
	if u.progress == nil {
		return
	}
	u.endSession()
	u.showStart(u.p.T("ui.start.cancelled"))
}

func (u *UI) stopProgress() {
	if u.progress != nil {
		u.progress.stop()
		u.progress = nil
	}
}

// endSession cancels the current run and frees what it holds.
func (u *UI) endSession() {
	if u.sess != nil {
		u.sess.close()
		u.sess = nil
	}
	u.stopProgress()
}

// session is one run: a detection, then the result it gave. Its fields are
// used on the UI goroutine only, except those under mu.
type session struct {
	address string // checked and trimmed
	name    string // the user's name, for exports
	demo    bool   // against the built-in lab
	cancel  context.CancelFunc

	opts      *detect.Options // for VerifyLogin, set when the run finished
	rep       *detect.Report
	confirmed []string // hosts the user confirmed as their provider's

	mu     sync.Mutex
	closed bool
	lab    *lab.Lab
	dir    string
}

// setLab hands the demo lab to the session; false means the session ended
// meanwhile and the caller must close it.
func (s *session) setLab(l *lab.Lab, dir string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.lab, s.dir = l, dir
	return true
}

// demoLab returns the demo world of the session, nil outside the demo.
func (s *session) demoLab() *lab.Lab {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lab
}

func (s *session) close() {
	s.cancel()
	s.mu.Lock()
	l, dir := s.lab, s.dir
	s.closed, s.lab, s.dir = true, nil, ""
	s.mu.Unlock()
	if l != nil {
		l.Close()
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
}

// prepareFunc returns the engine options of a run; it runs off the UI
// goroutine (the demo starts its lab there).
type prepareFunc func(s *session) (*detect.Options, error)

// startRun starts a detection of address and shows its progress.
func (u *UI) startRun(address, name string, demo bool, prepare prepareFunc) {
	u.endSession()
	u.result = nil
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{address: address, name: name, demo: demo, cancel: cancel}
	u.sess = s
	u.progress = newProgressScreen(u, s)
	u.setContent(u.progress.content)
	u.win.Canvas().Unfocus() // so that Escape reaches onKey
	go u.run(ctx, s, prepare)
}

// run is the goroutine of one detection. It touches no widget: events and
// the outcome go to the UI goroutine through u.do.
func (u *UI) run(ctx context.Context, s *session, prepare prepareFunc) {
	base, err := prepare(s)
	if err != nil {
		u.do(func() { u.onFinished(s, nil, err, nil) })
		return
	}
	o := *base
	o.RealName = s.name
	o.Printer = u.p
	o.OnEvent = func(ev detect.Event) {
		u.do(func() {
			if u.sess == s && u.progress != nil {
				u.progress.onEvent(ev)
			}
		})
	}
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				u.do(func() {
					if u.sess == s && u.progress != nil {
						u.progress.tick()
					}
				})
			}
		}
	}()
	rep, err := detect.Run(ctx, s.address, &o)
	close(stop)
	o.OnEvent = nil
	u.do(func() { u.onFinished(s, rep, err, &o) })
}

// onFinished shows the outcome of a run, unless the user moved on.
func (u *UI) onFinished(s *session, rep *detect.Report, err error, opts *detect.Options) {
	if u.sess != s || u.closed {
		return
	}
	if err != nil {
		u.endSession()
		u.showStart("")
		u.start.showProblem(plainError(u.p, err))
		return
	}
	s.rep, s.opts = rep, opts
	u.stopProgress()
	u.result = newResultScreen(u, s)
	u.setContent(u.result.content)
	u.win.Canvas().Unfocus()
}
