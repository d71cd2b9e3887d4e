package ui_test

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// TestOAuth2Provider: the cards of a provider that signs in only with
// OAuth2 say so in words (never "Password: OAuth2"), the password check
// answers "not possible" with that sentence, and the OAuth2 check signs in
// at the lab's provider and works on both servers.
func TestOAuth2Provider(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("oauth.test"))
	sentence := detect.OAuth2Sentence(lab.AppPasswordPage)
	if !h.has(sentence) {
		t.Fatalf("the cards do not say how to sign in: %q", h.texts())
	}
	for _, s := range h.texts() {
		if s == "OAuth2" || strings.Contains(s, "Password: OAuth2") {
			t.Errorf("the cards show the mechanics %q", s)
		}
	}
	h.login(lab.Password)
	h.waitText("Incoming (IMAP mail.oauth.test): not possible with a password. " + sentence)
	h.button("Close").OnTapped()
	h.q.drain()

	test.Tap(h.button("Check sign-in (OAuth2)…"))
	test.Tap(h.button("Open sign-in page"))
	h.waitText("Incoming (IMAP mail.oauth.test): works with your provider's sign-in (OAuth2), as alice@oauth.test")
	if !h.has("Outgoing (SMTP mail.oauth.test): works with your provider's sign-in (OAuth2), as alice@oauth.test") {
		t.Errorf("outgoing sign-in not ok: %q", h.texts())
	}
}
