//go:build screenshots

// The screenshot tour is a development helper: it is built only with the
// screenshots tag (scripts/screenshots, `make screenshots`), never into the
// product binary.

package ui

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// TourSizes are the window sizes the screenshot tour captures.
var TourSizes = []fyne.Size{{Width: 800, Height: 600}, {Width: 1440, Height: 900}}

// Tour drives the window, in English then in French, through its main
// states against the demo lab —
// start, a malformed address, progress, a secure result, the details, the
// export tab with the QR code, the password check, a result with caveats,
// a provider that signs in with OAuth2 (its sign-in check), the About
// dialog, a result with calendar, contacts and JMAP services (and their
// checks in Details) and a result with a danger warning, some of them in the dark theme
// too — and
// saves a PNG of the window's canvas for each into dir, at every size of
// [TourSizes]. It must run on its own goroutine while the app runs (it
// waits for the window), and it does not persist any setting. It returns
// the files written.
func (u *UI) Tour(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	t := &tour{u: u, dir: dir}
	fyne.DoAndWait(func() { u.cfg.DemoLatency = 250 * time.Millisecond })
	time.Sleep(time.Second) // the window maps and paints
	start := u.p.Lang()
	defer fyne.DoAndWait(func() { u.useLang(start) })
	for _, size := range TourSizes {
		for _, l := range i18n.Langs {
			t.size, t.prefix = size, ""
			if l != i18n.English {
				t.prefix = string(l) + "-" // fr-01-start-800x600.png
			}
			fyne.DoAndWait(func() { u.useLang(l) })
			if err := t.run(); err != nil {
				return t.files, err
			}
		}
	}
	return t.files, nil
}

type tour struct {
	u      *UI
	dir    string
	size   fyne.Size
	prefix string // of the file names: "" in English, "fr-" in French
	files  []string
}

func (t *tour) ui(f func()) { fyne.DoAndWait(f) }

// shot waits for the window to repaint and saves it as name.
func (t *tour) shot(name string) error { return t.shotAfter(name, 700*time.Millisecond) }

// shotAfter waits for delay and saves the window as name. It reads
// the window with Canvas().Capture(); where the GL front buffer cannot be
// read back (Mesa under Xvfb returns an empty image), it asks ImageMagick's
// import for the window instead.
func (t *tour) shotAfter(name string, delay time.Duration) error {
	time.Sleep(delay)
	var img image.Image
	var title string
	t.ui(func() { img, title = t.u.win.Canvas().Capture(), t.u.win.Title() })
	path := filepath.Join(t.dir, fmt.Sprintf("%s%s-%.0fx%.0f.png", t.prefix, name, t.size.Width, t.size.Height))
	t.files = append(t.files, path)
	if blank(img) {
		out, err := exec.Command("import", "-window", title, path).CombinedOutput()
		if err != nil {
			return fmt.Errorf("tour: the window cannot be read back, and import failed: %v: %s", err, out)
		}
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// blank reports whether img is nil or fully transparent.
func blank(img image.Image) bool {
	if img == nil {
		return true
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			if _, _, _, a := img.At(x, y).RGBA(); a != 0 {
				return false
			}
		}
	}
	return true
}

func (t *tour) theme(a Appearance) {
	t.ui(func() { t.u.app.Settings().SetTheme(newTheme(a)) })
}

// demo runs a lab address and waits for its result; with progress set, it
// captures the progress screen on the way.
func (t *tour) demo(domain, progress string) error {
	t.ui(func() {
		t.u.showStart("")
		t.u.start.address.SetText(lab.User(domain))
		t.u.startDemo(lab.User(domain), "Alice Example")
	})
	if progress != "" {
		for range 100 { // until a few rows show
			n := 0
			t.ui(func() {
				if t.u.progress != nil {
					n = len(t.u.progress.rows)
				}
			})
			if n >= 6 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err := t.shotAfter(progress, 100*time.Millisecond); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		done := false
		t.ui(func() { done = t.u.result != nil })
		if done {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("tour: no result for %s", lab.User(domain))
}

// services shows a real run of the lab's pacc.test: mail, calendar,
// contacts and JMAP found from a PACC document (issue 16).
func (t *tour) services() error { return t.demo("pacc.test", "") }

// scrollToServices scrolls the Settings tab to the service cards.
func (t *tour) scrollToServices() {
	t.ui(func() {
		r := t.u.result
		if len(r.settings.Objects) == 0 || r.services == nil {
			return
		}
		if sc, ok := r.settings.Objects[0].(*container.Scroll); ok {
			drv := fyne.CurrentApp().Driver()
			y := drv.AbsolutePositionForObject(r.services).Y - drv.AbsolutePositionForObject(sc.Content).Y
			sc.ScrollToOffset(fyne.NewPos(0, y))
		}
	})
}

func (t *tour) tab(i int) {
	t.ui(func() { t.u.result.tabs.SelectIndex(i) })
}

func (t *tour) run() error {
	t.theme(AppearanceLight)
	t.ui(func() {
		t.u.win.Resize(t.size)
		t.u.showStart("")
		t.u.start.address.SetText("")
	})
	steps := []func() error{
		func() error { return t.shot("01-start") },
		func() error {
			t.ui(func() { t.u.start.drawer.Open(0) })
			err := t.shot("01b-start-settings")
			t.ui(func() { t.u.start.drawer.Close(0) })
			return err
		},
		func() error {
			t.ui(func() {
				t.u.start.address.SetText("alice@example")
				t.u.start.onFind()
			})
			return t.shot("02-start-error")
		},
		func() error { return t.demo("demo.test", "03-progress") },
		func() error { return t.shot("04-result-secure") },
		func() error { t.tab(1); return t.shot("05-details") },
		func() error {
			t.ui(func() {
				d := t.u.result.details
				if len(d.toggles) == 0 {
					return
				}
				d.toggles[0]()
				if sc, ok := d.content.(*container.Scroll); ok {
					drv := fyne.CurrentApp().Driver()
					// the end of the first server's block: its conversation
					box := d.boxes[0]
					y := drv.AbsolutePositionForObject(box).Y - drv.AbsolutePositionForObject(sc.Content).Y
					sc.ScrollToOffset(fyne.NewPos(0, y+box.MinSize().Height-sc.Size().Height))
				}
			})
			return t.shot("06-details-transcript")
		},
		func() error { t.tab(2); return t.shot("07-export-qr") },
		func() error {
			t.tab(0)
			var l *loginDialog
			t.ui(func() {
				t.u.result.onLogin()
				l = t.u.result.lastLogin
				l.password.SetText(lab.Password)
				l.onCheck()
			})
			time.Sleep(2 * time.Second)
			if err := t.shot("08-login"); err != nil {
				return err
			}
			t.ui(func() { l.onClose() })
			return nil
		},
		func() error { return t.demo("srvout.test", "") },
		func() error { return t.shot("09-result-caveats-confirm") },
		func() error {
			t.ui(func() { t.u.result.onConfirm("mail.provider.test") })
			return t.shot("09b-result-caveats-confirmed")
		},
		func() error { return t.demo("oauth.test", "") },
		func() error { return t.shot("09c-result-oauth2") },
		func() error {
			var o *oauthDialog
			t.ui(func() {
				t.u.result.onOAuth()
				o = t.u.result.lastOAuth
				o.onStart()
			})
			for range 200 { // the demo world answers slowly on purpose
				n := 0
				t.ui(func() { n = len(o.results.Objects) })
				if n > 0 {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err := t.shot("09d-oauth2-signin-check"); err != nil {
				return err
			}
			t.ui(func() { o.d.Hide() })
			return nil
		},
		func() error { // Help → About Mailsetup
			t.ui(t.u.showAbout)
			err := t.shot("09e-about")
			t.ui(func() {
				if t.u.dialog != nil {
					t.u.dialog.Hide()
				}
			})
			return err
		},
		func() error { return t.services() },
		func() error { return t.shot("09f-result-services") },
		func() error { t.scrollToServices(); return t.shot("09g-result-services-cards") },
		func() error {
			t.tab(1)
			time.Sleep(300 * time.Millisecond) // the tab lays out before it scrolls
			// Open the calendar's check, the first after the mail servers.
			t.ui(func() {
				d, rep := t.u.result.details, t.u.sess.rep
				i := len(rep.Incoming) + len(rep.Outgoing)
				if i >= len(d.toggles) {
					return
				}
				d.toggles[i]()
				if sc, ok := d.content.(*container.Scroll); ok {
					drv := fyne.CurrentApp().Driver()
					y := drv.AbsolutePositionForObject(d.boxes[i]).Y - drv.AbsolutePositionForObject(sc.Content).Y
					sc.ScrollToOffset(fyne.NewPos(0, y))
				}
			})
			return t.shot("09h-details-services")
		},
		func() error { return t.demo("nostarttls.test", "") },
		func() error { return t.shot("10-result-danger") },
		func() error { t.theme(AppearanceDark); return t.shot("11-result-danger-dark") },
		func() error { return t.demo("demo.test", "") },
		func() error { return t.shot("12-result-secure-dark") },
		func() error { t.tab(2); return t.shot("13-export-qr-dark") },
		func() error {
			t.ui(func() { t.u.showStart("") })
			return t.shot("14-start-dark")
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	t.theme(t.u.appearance())
	return nil
}
