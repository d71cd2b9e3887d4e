package export_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
)

var labOAuth2 = &autoconfig.OAuth2{Issuer: "https://login.example.org", Scope: "mail",
	AuthURL: "https://login.example.org/authorize", TokenURL: "https://login.example.org/token"}

// oauthReport is secureReport whose servers sign in as signin says.
func oauthReport(signin detect.Signin) *detect.Report {
	rep := secureReport()
	auth := []autoconfig.Auth{autoconfig.AuthOAuth2}
	if signin == detect.SigninPasswordOrOAuth2 {
		auth = append(auth, autoconfig.AuthPasswordCleartext)
	}
	for _, list := range [][]detect.Server{rep.Incoming, rep.Outgoing} {
		for i := range list {
			list[i].Auth, list[i].Signin, list[i].OAuth2 = auth, signin, labOAuth2
		}
	}
	return rep
}

func TestExportOAuth2(t *testing.T) {
	rep := oauthReport(detect.SigninOAuth2)
	for _, tc := range []struct {
		f    export.Format
		want []string
	}{
		{export.Autoconfig, []string{"<authentication>OAuth2</authentication>", "<oAuth2>", "<issuer>https://login.example.org</issuer>", "<tokenURL>https://login.example.org/token</tokenURL>"}},
		// nsMsgAuthMethod.OAuth2 is 10, for the incoming and the outgoing server.
		{export.Thunderbird, []string{`"mail.server.server1.authMethod", 10`, `"mail.smtpserver.smtp1.authMethod", 10`, `"mail.server.server1.oauth2.issuer", "login.example.org"`}},
	} {
		out, err := export.Write(rep, tc.f, nil)
		if err != nil {
			t.Fatalf("Write(%s) error = %v", tc.f, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("Write(%s) lacks %s:\n%s", tc.f, w, out)
			}
		}
	}
	// Thunderbird for Android's QR payload: AuthenticationType 6 (OAuth2).
	cfg, err := rep.Config(nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := autoconfig.QRPayload(cfg, rep.Account(""), nil)
	if err != nil || !bytes.Contains(payload, []byte(`993,3,6,`)) || !bytes.Contains(payload, []byte(`465,3,6,`)) {
		t.Errorf("QRPayload() = %s, %v; want the incoming server with authentication type 6", payload, err)
	}
}

// TestExportAppleOAuth2: an Apple profile cannot sign in with OAuth2: an
// OAuth2-only provider is refused with what to do instead; a provider
// that also takes a password gets a password profile and a note.
func TestExportAppleOAuth2(t *testing.T) {
	_, err := export.Write(oauthReport(detect.SigninOAuth2), export.Apple, nil)
	if !errors.Is(err, export.ErrAppleOAuth2) || !strings.Contains(err.Error(), "Add the account from the device's own account list") {
		t.Errorf("Write(apple, oauth2 only) = %v, want ErrAppleOAuth2 saying what to do", err)
	}
	if n := export.Notes(oauthReport(detect.SigninOAuth2), export.Apple); n != nil {
		t.Errorf("Notes(apple, oauth2 only) = %q, want none (the export is refused)", n)
	}
	both := oauthReport(detect.SigninPasswordOrOAuth2)
	out, err := export.Write(both, export.Apple, nil)
	if err != nil || !strings.Contains(string(out), "EmailAuthPassword") {
		t.Fatalf("Write(apple, password or oauth2) = %v; want a password profile", err)
	}
	if n := export.Notes(both, export.Apple); len(n) != 1 || !strings.Contains(n[0], "password") {
		t.Errorf("Notes(apple, password or oauth2) = %q, want the password note", n)
	}
	if n := export.Notes(secureReport(), export.Apple); n != nil {
		t.Errorf("Notes(apple, password) = %q, want none", n)
	}
}
