package ui_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/ui"

	"github.com/mailsetup/mailsetup/internal/lab"
)

func TestSecureResult(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.typeAddress(lab.User("demo.test"))
	if !h.has("Looking up the mail settings of alice@demo.test") {
		t.Errorf("no progress screen right after Enter; the window shows %q", h.texts())
	}
	h.stepwise = true
	h.waitFor("a running source", func() bool { return h.has("DNS SRV records") && h.has("asking…") })
	h.waitFor("a server check", func() bool { return h.has("IMAP mail.demo.test:993") })
	h.stepwise = false
	h.waitText("Details for the helpdesk")
	for _, want := range []string{
		"Secure — verified settings found",
		"Incoming mail (receiving)", "Outgoing mail (sending)",
		"IMAP", "SMTP", "mail.demo.test", "993", "465", "SSL/TLS", "alice@demo.test",
	} {
		if !h.has(want) {
			t.Errorf("secure result lacks %q; it shows %q", want, h.texts())
		}
	}
	for _, bad := range []string{"Unsafe", "Works, with caveats", "Is mail.demo.test your provider's server?"} {
		if h.has(bad) {
			t.Errorf("secure result shows %q", bad)
		}
	}
}

func TestDangerResult(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("nostarttls.test"))
	for _, want := range []string{
		"Unsafe — do not use these servers",
		"Unsafe — do not use",
		"Encryption missing (no STARTTLS)",
		"How to fix:",
		"Other servers found",
	} {
		if !h.has(want) {
			t.Errorf("danger result lacks %q; it shows %q", want, h.texts())
		}
	}
	if h.has("Secure") {
		t.Error("danger result shows Secure")
	}
	if b := h.button("Check password"); !b.Disabled() {
		t.Error("the password check is offered though no server is safe")
	}
}

func TestCaveatsConfirmThenLogin(t *testing.T) {
	l := startLab(t, lab.Options{})
	h := newHarness(t, l)
	h.detect(lab.User("srvout.test"))
	for _, want := range []string{"Works, with caveats", "Is mail.provider.test your provider's server?", "a server of provider.test, not of srvout.test"} {
		if !h.has(want) {
			t.Errorf("caveats result lacks %q; it shows %q", want, h.texts())
		}
	}

	// Unconfirmed: the engine keeps the password back.
	h.login(lab.Password)
	h.waitText("Incoming (IMAP mail.provider.test): not tried")
	if !h.has("Outgoing (SMTP mail.provider.test): not tried") {
		t.Errorf("unconfirmed outgoing server was tried: %q", h.texts())
	}
	h.button("Close").OnTapped()
	h.q.drain()
	if n := len(l.Credentials()); n != 0 {
		t.Fatalf("the lab received %d credentials before the user confirmed the host", n)
	}

	test.Tap(h.button("Yes, mail.provider.test is my provider's server"))
	if !h.has("You confirmed that mail.provider.test is your provider's server") {
		t.Fatalf("no confirmation shown: %q", h.texts())
	}
	if h.has("Works, with caveats") || !h.has("Secure — verified settings found") || !h.has("you confirmed they are your provider's") {
		t.Errorf("the banner and the cards did not take the confirmation into account: %q", h.texts())
	}
	h.login(lab.Password)
	h.waitText("Incoming (IMAP mail.provider.test): works, with user name alice@srvout.test")
	if !h.has("Outgoing (SMTP mail.provider.test): works, with user name alice@srvout.test") {
		t.Errorf("outgoing login not ok after confirmation: %q", h.texts())
	}
}

func TestLoginBothOK(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("demo.test"))
	h.login(lab.Password)
	h.waitText("Incoming (IMAP mail.demo.test): works, with user name alice@demo.test")
	if !h.has("Outgoing (SMTP mail.demo.test): works, with user name alice@demo.test") {
		t.Errorf("outgoing login not ok: %q", h.texts())
	}
	// The cards show it too once the dialog is closed.
	h.button("Close").OnTapped()
	h.q.drain()
	if !h.has("works, with user name alice@demo.test") {
		t.Errorf("cards do not show the password check: %q", h.texts())
	}
}

func TestLoginWrongPassword(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("demo.test"))
	h.login("not the password")
	h.waitText("Incoming (IMAP mail.demo.test): refused for")
}

// login opens the password dialog, types pw and presses Enter.
func (h *harness) login(pw string) {
	h.t.Helper()
	test.Tap(h.button("Check password"))
	f := h.w.Canvas().Focused()
	if f == nil {
		h.t.Fatal("the password field does not have the focus")
	}
	test.Type(f, pw)
	f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
}

func TestMalformedAddress(t *testing.T) {
	l := startLab(t, lab.Options{})
	h := newHarness(t, l)
	before := len(l.Queries())
	h.typeAddress("alice@example")
	h.q.drain()
	if !h.has(`The domain "example" has no dot`) {
		t.Errorf("no inline error under the field: %q", h.texts())
	}
	if h.has("Looking up") {
		t.Error("a malformed address started a detection")
	}
	if n := h.detections(); n != 0 {
		t.Errorf("OptionsFor called %d times for a malformed address", n)
	}
	if got := len(l.Queries()); got != before {
		t.Errorf("%d DNS queries for a malformed address", got-before)
	}
	// Typing again clears the error.
	test.Type(h.w.Canvas().Focused(), "x")
	if h.has("has no dot") {
		t.Error("the error stays after the address changed")
	}
}

func TestNothingFound(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("nothing.test"))
	for _, want := range []string{"No mail settings found for nothing.test", "What you can do"} {
		if !h.has(want) {
			t.Errorf("nothing-found result lacks %q: %q", want, h.texts())
		}
	}
}

func TestCancelWithEscape(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{Latency: 150 * time.Millisecond}))
	h.typeAddress(lab.User("demo.test"))
	h.waitFor("the progress screen", func() bool { return h.has("Looking up") })
	h.w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	h.q.drain()
	if !h.has("Search cancelled.") {
		t.Fatalf("Escape did not cancel: %q", h.texts())
	}
	// Late events of the cancelled run change nothing.
	time.Sleep(500 * time.Millisecond)
	h.q.drain()
	if h.has("Details for the helpdesk") || h.has("Looking up") {
		t.Errorf("the cancelled run still shows: %q", h.texts())
	}
}

func TestDemo(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	test.Tap(h.button("Run demo"))
	h.waitText("Details for the helpdesk")
	if !h.has("demo world") || !h.has("Secure — verified settings found") {
		t.Errorf("demo of alice@demo.test: %q", h.texts())
	}
	if h.detections() != 0 {
		t.Error("the demo used OptionsFor instead of its own lab")
	}
}

func TestOffline(t *testing.T) {
	a := test.NewTempApp(t)
	q := &queue{}
	u := ui.New(a, ui.Config{Lang: i18n.English, Do: q.do, OptionsFor: func(string) (*detect.Options, error) {
		// A DNS server that is not there, and no network beyond it.
		return &detect.Options{Resolver: resolver.New("127.0.0.1:9"), NoISPDB: true, Timeout: 5 * time.Second,
			Dial: func(context.Context, string, string) (net.Conn, error) {
				return nil, errors.New("network is unreachable")
			}}, nil
	}})
	t.Cleanup(u.Close)
	h := &harness{t: t, u: u, w: u.Window(), q: q}
	h.detect("alice@example.org")
	for _, want := range []string{"Could not reach the network", "Check that this computer is connected"} {
		if !h.has(want) {
			t.Errorf("offline result lacks %q: %q", want, h.texts())
		}
	}
}

func TestEscapeClosesDialog(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("demo.test"))
	test.Tap(h.button("Check password"))
	if !h.has("Check that your password works") {
		t.Fatalf("no password dialog: %q", h.texts())
	}
	// Escape typed in the password field closes the dialog.
	h.w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyEscape})
	if h.has("Check that your password works") {
		t.Error("Escape did not close the password dialog")
	}
}

func TestKeyboardOrder(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	c := h.w.Canvas()
	address := c.Focused()
	c.FocusNext()
	name := c.Focused()
	c.FocusNext()
	find, ok := c.Focused().(*widget.Button)
	if address == nil || name == nil || name == address || !ok || find.Text != "Find settings" {
		t.Errorf("Tab order: address %v, name %v, then %v; want the Find settings button third", address, name, c.Focused())
	}
}

func TestDetailsTab(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("demo.test"))
	h.tabs().SelectIndex(1)
	for _, want := range []string{"DNSSEC: secure", "DNS SRV records", "asked: _imaps._tcp.demo.test", "Provider autoconfig (https)", "Copy report"} {
		if !h.has(want) {
			t.Errorf("details lack %q: %q", want, h.texts())
		}
	}
	// A STARTTLS server's conversation marks what came before TLS.
	test.Tap(h.button("IMAP mail.demo.test:143"))
	for _, want := range []string{"TLS 1.3", "IMAP4rev2", "Addresses tried", "[before TLS: untrusted]"} {
		if !h.has(want) {
			t.Errorf("server details lack %q: %q", want, h.texts())
		}
	}
	test.Tap(h.button("Copy report"))
	if got := fyne.CurrentApp().Clipboard().Content(); !strings.Contains(got, `"version": 2`) || !strings.Contains(got, `"address": "alice@demo.test"`) {
		t.Errorf("Copy report put %.200q on the clipboard", got)
	}
}

func TestStartScreenMarkup(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.w.Resize(fyne.NewSize(800, 600))
	test.AssertRendersToMarkup(t, "start.xml", h.w.Canvas())
}

// TestAnswerShownWhileChecksFinish: the progress screen shows the final
// recommendation as soon as the engine proves it (issue 12), while the
// remaining checks finish, before the result screen.
func TestAnswerShownWhileChecksFinish(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{Latency: 50 * time.Millisecond}))
	h.stepwise = true
	h.typeAddress(lab.User("demo.test"))
	h.waitText("Found: IMAP mail.demo.test:993")
	if !h.has("Looking up") || h.has("Details for the helpdesk") {
		t.Errorf("the answer is not shown on the progress screen: %q", h.texts())
	}
	h.stepwise = false
	h.waitText("Details for the helpdesk")
}
