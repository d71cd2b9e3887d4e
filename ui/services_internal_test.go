package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
	"github.com/mailsetup/mailsetup/internal/servicefixture"
)

// serviceReport is a secure mail report of example.org built in code, with
// the services of package servicefixture when with is set.
func serviceReport(with bool) *detect.Report {
	probe := detect.ProbeReport{Status: detect.ProbeOK, TLSVersion: "TLS 1.3",
		Cert: &detect.CertReport{Valid: true, MatchedName: "mail.example.org"}}
	server := func(proto autoconfig.Protocol, port int) detect.Server {
		return detect.Server{Recommended: true, Protocol: proto, Host: "mail.example.org", Port: port, Security: autoconfig.TLS,
			Username: "alice@example.org", Sources: []detect.SourceName{detect.SourceAutoconfig}, Trust: detect.TrustHTTPS, Probe: probe}
	}
	rep := &detect.Report{Version: detect.ReportVersion, Address: "alice@example.org", Domain: "example.org",
		Verdict: detect.VerdictSecure, IncomingVerdict: detect.VerdictSecure, OutgoingVerdict: detect.VerdictSecure,
		Incoming: []detect.Server{server(autoconfig.IMAP, 993)}, Outgoing: []detect.Server{server(autoconfig.SMTP, 465)}}
	if with {
		servicefixture.Add(rep)
	}
	return rep
}

// showReport builds the result screen of rep in lang on Fyne's test app.
func showReport(t *testing.T, rep *detect.Report, lang i18n.Lang) *resultScreen {
	t.Helper()
	a := test.NewTempApp(t)
	u := New(a, Config{Lang: lang, Do: func(f func()) { f() }, DemoLatency: -1})
	t.Cleanup(func() { u.Close(); u.Window().Close() })
	s := &session{address: rep.Address, rep: rep, cancel: func() {}}
	u.sess = s
	u.result = newResultScreen(u, s)
	u.setContent(u.result.content)
	u.Window().Resize(fyne.NewSize(1000, 800))
	return u.result
}

// walkVisible calls f for every visible object under o, down to labels,
// rich texts and buttons, whose parts it does not enter.
func walkVisible(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	if o == nil || !o.Visible() {
		return
	}
	f(o)
	switch v := o.(type) {
	case *widget.Label, *widget.RichText, *widget.Button:
	case *fyne.Container:
		for _, c := range v.Objects {
			walkVisible(c, f)
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(v).Objects() {
			walkVisible(c, f)
		}
	}
}

// visibleTexts is every label, rich text and button text under o.
func visibleTexts(o fyne.CanvasObject) []string {
	var out []string
	walkVisible(o, func(o fyne.CanvasObject) {
		switch v := o.(type) {
		case *widget.Label:
			out = append(out, v.Text)
		case *widget.RichText:
			out = append(out, v.String())
		case *widget.Button:
			out = append(out, v.Text)
		}
	})
	return out
}

func hasText(texts []string, s string) bool {
	for _, t := range texts {
		if strings.Contains(t, s) {
			return true
		}
	}
	return false
}

// TestServiceCards: the Calendar, Contacts and JMAP cards appear under the
// mail settings only when services were found, with the URL to copy, and
// the Details tab lists their checks.
func TestServiceCards(t *testing.T) {
	titles := []string{"Calendar (CalDAV)", "Contacts (CardDAV)", "JMAP"}
	without := showReport(t, serviceReport(false), i18n.English)
	texts := visibleTexts(without.settings)
	for _, title := range titles {
		if hasText(texts, title) {
			t.Errorf("card %q shown without services", title)
		}
	}
	mailBoxes := len(without.details.boxes)

	r := showReport(t, serviceReport(true), i18n.English)
	texts = visibleTexts(r.settings)
	for _, want := range append(titles, "https://dav.example.org/caldav/", "https://dav.example.org/carddav/",
		"https://jmap.example.org/.well-known/jmap", "Verified: TLS and certificate",
		"https://dav.example.org/caldav/principals/alice@example.org/", "1 more address found: see Details.") {
		if !hasText(texts, want) {
			t.Errorf("settings lack %q; they show:\n%s", want, strings.Join(texts, "\n"))
		}
	}
	// The calendar's URL is copied by the button beside it.
	cards := r.serviceCards().(*fyne.Container)
	if len(cards.Objects) != 3 {
		t.Fatalf("%d service cards, want 3", len(cards.Objects))
	}
	var copied bool
	for _, b := range buttonsUnder(cards.Objects[0]) {
		if b.Text == "" && b.OnTapped != nil {
			test.Tap(b)
			copied = r.u.app.Clipboard().Content() == "https://dav.example.org/caldav/"
			break
		}
	}
	if !copied {
		t.Errorf("the first copy button of the calendar card did not copy its URL (clipboard %q)", r.u.app.Clipboard().Content())
	}
	if n := len(r.details.boxes) - mailBoxes; n != 4 {
		t.Errorf("Details lists %d service checks, want 4 (2 calendars, contacts, JMAP)", n)
	}
	r.tabs.SelectIndex(1)
	r.details.toggles[mailBoxes]()
	if d := visibleTexts(r.details.content); !hasText(d, "https://example.org/.well-known/caldav") || !hasText(d, "PROPFIND /caldav/") ||
		!hasText(d, "HTTP 207 — sign-in Basic — DAV 1, 2, 3, calendar-access") {
		t.Errorf("the calendar's details lack its redirect, HTTP answer or conversation:\n%s", strings.Join(d, "\n"))
	}
}

// buttonsUnder is every visible button under o.
func buttonsUnder(o fyne.CanvasObject) []*widget.Button {
	var out []*widget.Button
	walkVisible(o, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok {
			out = append(out, b)
		}
	})
	return out
}

// TestServiceCardsFrench: the cards speak French, with no English left.
func TestServiceCardsFrench(t *testing.T) {
	rep := serviceReport(true)
	r := showReport(t, rep, i18n.French)
	texts := visibleTexts(r.settings)
	for _, want := range []string{"Agenda (CalDAV)", "Contacts (CardDAV)", "Vérifié\u00a0: TLS et certificat", "Dossier des agendas"} {
		if !hasText(texts, want) {
			t.Errorf("settings lack %q; they show:\n%s", want, strings.Join(texts, "\n"))
		}
	}
	// The mail cards' reasons come from the engine (in English for a report
	// built in code): only the service cards are checked.
	cards := visibleTexts(r.serviceCards())
	if left := i18ntest.EnglishLeft(strings.Join(cards, "\n"), i18ntest.Technical(rep)); len(left) > 0 {
		t.Errorf("English left in the French cards: %q\n%s", left, strings.Join(cards, "\n"))
	}
}
