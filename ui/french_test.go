package ui_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// allTexts is every text the window shows, and the texts its widgets hold
// without showing them yet: the choices of a Select or a RadioGroup, the
// placeholder of an empty field.
func (h *harness) allTexts() []string {
	out := h.texts()
	for _, o := range h.objects() {
		switch v := o.(type) {
		case *widget.Select:
			out = append(out, v.PlaceHolder)
			out = append(out, v.Options...)
		case *widget.RadioGroup:
			out = append(out, v.Options...)
		case *widget.Check:
			out = append(out, v.Text)
		}
		if e := asEntry(o); e != nil {
			out = append(out, e.PlaceHolder)
		}
	}
	return out
}

// asEntry returns the widget.Entry of o: a *widget.Entry, or the app's
// entry type that embeds one; nil for anything else.
func asEntry(o fyne.CanvasObject) *widget.Entry {
	if e, ok := o.(*widget.Entry); ok {
		return e
	}
	v := reflect.ValueOf(o)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil
	}
	f := v.Elem().FieldByName("Entry")
	if !f.IsValid() || f.Type() != reflect.TypeOf(widget.Entry{}) {
		return nil
	}
	return f.Addr().Interface().(*widget.Entry)
}

// expectFrench fails on any English in what the window shows now, the
// report's diagnostics (quoted as they came) excepted.
func (h *harness) expectFrench(screen string, technical []string) {
	h.t.Helper()
	text := strings.Join(h.allTexts(), "\n")
	if left := i18ntest.EnglishLeft(text, technical); len(left) > 0 {
		h.t.Errorf("%s: English left on screen:\n  %s\n--- screen ---\n%s", screen, strings.Join(left, "\n  "), text)
	}
}

// frenchReport copies the report (Détails → Copier le rapport) and returns
// it with its diagnostics.
func (h *harness) frenchReport() (*detect.Report, []string) {
	h.t.Helper()
	h.tabs().SelectIndex(1)
	test.Tap(h.button("Copier le rapport"))
	rep := new(detect.Report)
	if err := json.Unmarshal([]byte(fyne.CurrentApp().Clipboard().Content()), rep); err != nil {
		h.t.Fatalf("the copied report: %v", err)
	}
	if rep.Lang != "fr" {
		h.t.Errorf("the report's lang = %q, want fr", rep.Lang)
	}
	return rep, i18ntest.Technical(rep)
}

// TestFrenchEveryScreen walks every screen of the app in French — start
// with the Settings drawer open, a malformed address, progress, the result
// of a secure, a caveats, an unsafe, a nothing-found and a silent
// scenario with each tab (every server's details open, the signing
// options open), the password dialog before and after a check, and a
// confirmation — and fails on any English sentence left.
func TestFrenchEveryScreen(t *testing.T) {
	l := startLab(t, lab.Options{})
	h := newHarnessIn(t, l, i18n.French)

	// Start screen, Settings drawer open.
	test.Tap(h.button("Réglages"))
	h.expectFrench("start", nil)

	// A malformed address.
	h.clearAddress()
	h.typeAddress("alice@example")
	h.q.drain()
	if !h.has("n’a pas de point") {
		t.Errorf("no French inline error: %q", h.texts())
	}
	h.expectFrench("malformed address", nil)
	test.Type(h.w.Canvas().Focused(), "x") // clears the error

	for _, domain := range []string{"demo.test", "srvout.test", "nostarttls.test", "nothing.test", "plain.test", "badcert.test", "oauth.test", "oauthboth.test"} {
		h.clearAddress()
		h.typeAddress(lab.User(domain))
		h.stepwise = true
		h.waitFor("a server check", func() bool { return h.has("Contrôle des serveurs") })
		h.expectFrench(domain+" progress", nil)
		h.stepwise = false
		h.waitText("Détails pour l’assistance")
		rep, technical := h.frenchReport()
		_ = rep
		for i, tab := range []string{"Paramètres", "Détails", "Exporter"} {
			h.tabs().SelectIndex(i)
			if i == 1 { // open every server's details
				for _, o := range h.objects() {
					if b, ok := o.(*widget.Button); ok && strings.Contains(b.Text, ":") && b.Importance == widget.LowImportance && b.Icon != nil {
						b.OnTapped()
					}
				}
			}
			if i == 2 {
				for _, o := range h.objects() {
					if a, ok := o.(*widget.Accordion); ok {
						a.OpenAll()
					}
				}
			}
			h.expectFrench(domain+" "+tab, technical)
		}
		h.tabs().SelectIndex(0)
		if b := h.button("Vérifier le mot de passe"); !b.Disabled() {
			test.Tap(b)
			f := h.w.Canvas().Focused()
			if f == nil {
				t.Fatal("the password field does not have the focus")
			}
			h.expectFrench(domain+" password dialog", technical)
			test.Type(f, "pas le mot de passe")
			f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
			h.waitFor("the password check", func() bool { return h.has("Vérifier à nouveau") })
			h.expectFrench(domain+" password dialog", technical)
			h.button("Fermer").OnTapped()
			h.q.drain()
			h.expectFrench(domain+" after the password check", technical)
		}
		if strings.HasPrefix(domain, "oauth") { // the OAuth2 sign-in check
			test.Tap(h.button("Vérifier la connexion (OAuth2)…"))
			h.expectFrench(domain+" sign-in dialog", technical)
			test.Tap(h.button("Ouvrir la page de connexion"))
			h.waitFor("the sign-in check", func() bool { return h.has("Se reconnecter") })
			if !h.has("Serveur entrant (IMAP mail." + domain + ")\u00a0: fonctionne avec la connexion de votre fournisseur (OAuth2), en tant que " + lab.User(domain)) {
				t.Errorf("%s: the sign-in check does not say it works: %q", domain, h.texts())
			}
			h.expectFrench(domain+" sign-in dialog", technical)
			h.button("Fermer").OnTapped()
			h.q.drain()
			h.expectFrench(domain+" after the sign-in check", technical)
		}
		if domain == "srvout.test" {
			test.Tap(h.button("Oui, mail.provider.test est le serveur de mon fournisseur"))
			h.expectFrench(domain+" confirmed", technical)
		}
		test.Tap(h.button("Nouvelle recherche"))
		h.q.drain()
	}
}

// clearAddress empties the address field of the start screen.
func (h *harness) clearAddress() {
	h.t.Helper()
	for _, o := range h.objects() {
		if e := asEntry(o); e != nil && strings.Contains(e.PlaceHolder, "@") {
			e.SetText("")
			h.w.Canvas().Focus(o.(fyne.Focusable))
			return
		}
	}
	h.t.Fatal("no address field")
}

// TestSwitchLanguage switches the running app from English to French and
// back in the Settings drawer: the start screen changes at once, and what
// was typed stays.
func TestSwitchLanguage(t *testing.T) {
	a := test.NewTempApp(t)
	a.Preferences().SetString("language", "")
	h := newHarness(t, startLab(t, lab.Options{}))
	test.Type(h.w.Canvas().Focused(), "alice@demo.test")
	test.Tap(h.button("Settings"))
	find := func() *widget.RadioGroup {
		for _, o := range h.objects() {
			if r, ok := o.(*widget.RadioGroup); ok && len(r.Options) == 3 && r.Options[2] == "Français" {
				return r
			}
		}
		return nil
	}
	radio := func() *widget.RadioGroup {
		if r := find(); r != nil {
			return r
		}
		t.Fatalf("no language choice: %q", h.allTexts())
		return nil
	}
	radio().SetSelected("Français")
	h.q.drain()
	if !h.has("Trouver les paramètres") || h.has("Find settings") {
		t.Fatalf("the start screen did not switch to French: %q", h.texts())
	}
	h.expectFrench("switched to French", nil)
	found := false
	for _, o := range h.objects() {
		if e := asEntry(o); e != nil && e.Text == "alice@demo.test" {
			found = true
		}
	}
	if !found {
		t.Error("the typed address was lost in the switch")
	}
	// A detection now runs in French.
	h.clearAddress()
	h.typeAddress(lab.User("demo.test"))
	h.waitText("Détails pour l’assistance")
	if !h.has("Sûr — paramètres vérifiés trouvés") {
		t.Errorf("the result is not in French: %q", h.texts())
	}
	test.Tap(h.button("Nouvelle recherche"))
	if find() == nil {
		test.Tap(h.button("Réglages"))
	}
	radio().SetSelected("English")
	h.q.drain()
	if !h.has("Find settings") {
		t.Errorf("the start screen did not switch back to English: %q", h.texts())
	}
	_ = time.Second
}

// TestFrenchAbout opens Aide → À propos de Mailsetup in French.
func TestFrenchAbout(t *testing.T) {
	h := newHarnessIn(t, nil, i18n.French)
	var action func()
	for _, menu := range h.w.MainMenu().Items {
		for _, it := range menu.Items {
			if menu.Label == "Aide" && it.Label == "À propos de Mailsetup" {
				action = it.Action
			}
		}
	}
	if action == nil {
		t.Fatal("no Aide → À propos de Mailsetup in the French menu")
	}
	action()
	if !h.has("À propos de Mailsetup") || !h.has("Fermer") {
		t.Errorf("the About dialog is not in French: %q", h.texts())
	}
	h.expectFrench("about", nil)
}
