package ui_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/ui"
)

// queue stands in for fyne.Do. Fyne's test driver runs fyne.Do's function
// at once on the calling goroutine (the engine's), which would race with
// the test reading the widgets; the queue instead runs every update on the
// test goroutine, in order, when the test drains it.
type queue struct {
	mu  sync.Mutex
	fns []func()
}

func (q *queue) do(f func()) {
	q.mu.Lock()
	q.fns = append(q.fns, f)
	q.mu.Unlock()
}

func (q *queue) drain() {
	for q.step() {
	}
}

// step runs the oldest queued update; false means there was none.
func (q *queue) step() bool {
	q.mu.Lock()
	if len(q.fns) == 0 {
		q.mu.Unlock()
		return false
	}
	f := q.fns[0]
	q.fns = q.fns[1:]
	q.mu.Unlock()
	f()
	return true
}

// harness is the app on Fyne's test driver, pointed at a lab.
type harness struct {
	t    *testing.T
	u    *ui.UI
	w    fyne.Window
	q    *queue
	lab  *lab.Lab
	runs int       // calls of OptionsFor, i.e. detections started
	lang i18n.Lang // the app's language; English unless set before newHarness
	// stepwise makes waitFor check its condition after every single
	// update, to see states that later updates replace.
	stepwise bool
	mu       sync.Mutex
}

// startLab starts a lab for the test, closed at its end.
func startLab(t *testing.T, o lab.Options) *lab.Lab {
	t.Helper()
	l, err := lab.Start(o)
	if err != nil {
		t.Fatalf("lab.Start: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func newHarness(t *testing.T, l *lab.Lab) *harness {
	t.Helper()
	return newHarnessIn(t, l, i18n.English)
}

// newHarnessIn is newHarness with the app in lang.
func newHarnessIn(t *testing.T, l *lab.Lab, lang i18n.Lang) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	h := &harness{t: t, q: &queue{}, lab: l, lang: lang}
	cfg := ui.Config{
		Lang:        h.lang,
		Do:          h.q.do,
		DemoLatency: -1,
		OptionsFor: func(string) (*detect.Options, error) {
			h.mu.Lock()
			h.runs++
			h.mu.Unlock()
			o := l.DetectOptions()
			o.Timeout = 15 * time.Second
			return o, nil
		},
	}
	if l != nil { // TestAbout runs no detection, with no lab
		cfg.OpenBrowser, cfg.OAuthHTTPClient = l.Browser(), l.HTTPClient()
	}
	h.u = ui.New(a, cfg)
	h.w = h.u.Window()
	h.w.Resize(fyne.NewSize(1000, 800))
	t.Cleanup(func() {
		h.u.Close()
		h.w.Close()
	})
	return h
}

// detections is how many detections the app started.
func (h *harness) detections() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.runs
}

// typeAddress types into the focused field (the address, on the start
// screen) and presses Enter.
func (h *harness) typeAddress(addr string) {
	h.t.Helper()
	f := h.w.Canvas().Focused()
	if f == nil {
		h.t.Fatal("no field has the focus on the start screen")
	}
	test.Type(f, addr)
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

// waitFor runs the queued updates until cond holds, or fails after 30 s.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if h.stepwise {
			for h.q.step() && !cond() { // check after every update, to catch passing states
			}
		} else {
			h.q.drain()
		}
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; the window shows:\n%s", what, strings.Join(h.texts(), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitText waits until the window shows text.
func (h *harness) waitText(text string) {
	h.t.Helper()
	h.waitFor("the text "+text, func() bool { return h.has(text) })
}

// objects is every visible object of the window, overlays (dialogs) too.
func (h *harness) objects() []fyne.CanvasObject {
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch v := o.(type) {
		case *widget.Label, *widget.RichText, *widget.Button:
			// their texts are read from them, not from their parts
		case *fyne.Container:
			for _, c := range v.Objects {
				walk(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(v).Objects() {
				walk(c)
			}
		}
	}
	c := h.w.Canvas()
	walk(c.Content())
	for _, o := range c.Overlays().List() {
		walk(o)
	}
	return out
}

// texts is every text the window shows.
func (h *harness) texts() []string {
	var out []string
	for _, o := range h.objects() {
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *widget.RichText:
			out = append(out, v.String())
		case *widget.Button:
			out = append(out, v.Text)
		case *canvas.Text:
			out = append(out, v.Text)
		}
	}
	return out
}

// has reports whether some text of the window contains s.
func (h *harness) has(s string) bool {
	for _, t := range h.texts() {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// button returns the visible button whose text starts with text.
func (h *harness) button(text string) *widget.Button {
	h.t.Helper()
	for _, o := range h.objects() {
		if b, ok := o.(*widget.Button); ok && strings.HasPrefix(b.Text, text) {
			return b
		}
	}
	h.t.Fatalf("no button %q; the window shows:\n%s", text, strings.Join(h.texts(), "\n"))
	return nil
}

// tabs returns the result screen's tabs.
func (h *harness) tabs() *container.AppTabs {
	h.t.Helper()
	for _, o := range h.objects() {
		if t, ok := o.(*container.AppTabs); ok {
			return t
		}
	}
	h.t.Fatal("no tabs on screen")
	return nil
}

// detect types address, presses Enter and waits for the result screen.
func (h *harness) detect(addr string) {
	h.t.Helper()
	h.typeAddress(addr)
	h.waitFor("the result of "+addr, func() bool { return h.has("Details for the helpdesk") })
}
