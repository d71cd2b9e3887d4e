package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// TestOAuthDemo: the OAuth2-only demo provider, as a person sees it: the
// sign-in sentence instead of "Password: OAuth2", --oauth signing in at the
// lab's provider, --login answered "not possible", and no Apple profile.
func TestOAuthDemo(t *testing.T) {
	addr := lab.User("oauth.test")
	code, stdout, stderr := runCLI(t, "demo", addr)
	if code != exitOK || !strings.Contains(stdout, "Sign-in:   on the provider's web page (OAuth2)") ||
		!strings.Contains(stdout, "[oauth2-required]") || strings.Contains(stdout, "Password:  OAuth2") {
		t.Errorf("mailprobe demo %s = exit %d:\n%s%s", addr, code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, "demo", "--oauth", "--json", addr)
	var rep detect.Report
	if err := json.Unmarshal([]byte(stdout), &rep); code != exitOK || err != nil {
		t.Fatalf("mailprobe demo --oauth --json = exit %d, %v; stderr %s", code, err, stderr)
	}
	in, out := rep.Recommended()
	if in.Login.Status != detect.LoginOAuth2OK || out.Login.Status != detect.LoginOAuth2OK || in.Signin != detect.SigninOAuth2 {
		t.Errorf("login = %+v / %+v, want oauth2-ok for both", in.Login, out.Login)
	}

	t.Setenv("MAILPROBE_PASSWORD", lab.Password)
	if code, stdout, _ = runCLI(t, "demo", "--login", addr); !strings.Contains(stdout, "Login:     not possible with a password. This provider signs you in") || strings.Contains(stdout, "FAILED") {
		t.Errorf("mailprobe demo --login %s = exit %d:\n%s\nwant not possible, never FAILED", addr, code, stdout)
	}

	for _, args := range [][]string{
		{"demo", "--login", "--oauth", addr},
		{"demo", "--oauth-client-id", "x", addr},
	} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("mailprobe %v = exit %d (%s), want %d", args, code, stderr, exitUsage)
		}
	}

	saved := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(saved, []byte(mustJSON(t, &rep)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "export", "--from", saved, "--format", "apple", "-o", filepath.Join(t.TempDir(), "x.mobileconfig"))
	if code != exitNothing || !strings.Contains(stderr, "Add the account from the device's own account list") {
		t.Errorf("mailprobe export --format apple = exit %d, %s; want %d and what to do instead", code, stderr, exitNothing)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOAuthDemoFrench: the OAuth2 lines of mailprobe in French: the
// Connexion row, the sign-in check, --login "impossible", the usage errors
// and the Apple refusal, with no English left.
func TestOAuthDemoFrench(t *testing.T) {
	t.Setenv("MAILSETUP_LANG", "fr")
	addr := lab.User("oauth.test")
	code, stdout, stderr := runCLI(t, "demo", "--oauth", addr)
	if code != exitOK || !strings.Contains(stdout, "sur la page web du fournisseur (OAuth2)") ||
		!strings.Contains(stdout, "Vérification de la connexion\u00a0: fonctionne avec OAuth2, en tant que "+addr) {
		t.Errorf("mailprobe demo --oauth %s = exit %d:\n%s%s", addr, code, stdout, stderr)
	}
	code, js, _ := runCLI(t, "demo", "--oauth", "--json", addr)
	var rep detect.Report
	if err := json.Unmarshal([]byte(js), &rep); code != exitOK || err != nil {
		t.Fatalf("--json: exit %d, %v", code, err)
	}
	var technical []string // the two runs have their own local folders
	for _, s := range i18ntest.Technical(&rep) {
		technical = append(technical, demoDir.ReplaceAllString(s, "DIR"))
	}
	if left := i18ntest.EnglishLeft(demoDir.ReplaceAllString(stdout, "DIR"), technical); len(left) > 0 {
		t.Errorf("English left:\n  %s\n%s", strings.Join(left, "\n  "), stdout)
	}

	t.Setenv("MAILPROBE_PASSWORD", lab.Password)
	if _, stdout, _ = runCLI(t, "demo", "--login", addr); !strings.Contains(stdout, "impossible avec un mot de passe. Ce fournisseur vous connecte") {
		t.Errorf("mailprobe demo --login %s:\n%s\nwant « impossible avec un mot de passe »", addr, stdout)
	}
	if _, _, stderr = runCLI(t, "demo", "--login", "--oauth", addr); !strings.Contains(stderr, "utilisez-en un seul à la fois") {
		t.Errorf("--login --oauth: stderr %q, want the French usage error", stderr)
	}

	saved := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(saved, []byte(js), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "export", "--from", saved, "--format", "apple", "-o", filepath.Join(t.TempDir(), "x.mobileconfig"))
	if code != exitNothing || !strings.Contains(stderr, "aucun profil Apple\u00a0: Ce fournisseur vous connecte") || len(i18ntest.EnglishLeft(stderr, nil)) > 0 {
		t.Errorf("mailprobe export --format apple = exit %d, %s; want %d and the French refusal", code, stderr, exitNothing)
	}
}
