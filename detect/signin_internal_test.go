package detect

import (
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

func TestDecideSignin(t *testing.T) {
	oauth := []autoconfig.Auth{autoconfig.AuthOAuth2}
	both := []autoconfig.Auth{autoconfig.AuthOAuth2, autoconfig.AuthPasswordCleartext}
	pw := []autoconfig.Auth{autoconfig.AuthPasswordCleartext}
	probed := func(sasl []string, caps ...string) ProbeReport {
		return ProbeReport{Status: ProbeOK, SASL: sasl, Capabilities: caps}
	}
	for _, tc := range []struct {
		name  string
		proto autoconfig.Protocol
		auth  []autoconfig.Auth
		probe ProbeReport
		want  Signin
	}{
		{"IMAP offering only OAuth2 mechanisms", autoconfig.IMAP, nil, probed([]string{"XOAUTH2", "OAUTHBEARER"}, "IMAP4rev1", "AUTH=XOAUTH2", "AUTH=OAUTHBEARER"), SigninOAuth2},
		{"IMAP LOGINDISABLED, OAuth2", autoconfig.IMAP, pw, probed([]string{"XOAUTH2"}, "IMAP4rev1", "LOGINDISABLED", "AUTH=XOAUTH2"), SigninOAuth2},
		{"IMAP PLAIN and XOAUTH2, config both", autoconfig.IMAP, both, probed([]string{"PLAIN", "XOAUTH2"}), SigninPasswordOrOAuth2},
		{"config lists only OAuth2, server still says PLAIN (Microsoft)", autoconfig.IMAP, oauth, probed([]string{"PLAIN", "XOAUTH2"}), SigninOAuth2},
		{"IMAP LOGIN only, old server", autoconfig.IMAP, nil, probed(nil, "IMAP4rev1"), SigninPassword},
		{"SMTP PLAIN LOGIN", autoconfig.SMTP, pw, probed([]string{"PLAIN", "LOGIN"}), SigninPassword},
		{"SMTP SCRAM only", autoconfig.SMTP, pw, probed([]string{"SCRAM-SHA-256"}), SigninPassword},
		{"SMTP no AUTH", autoconfig.SMTP, pw, probed(nil), SigninUnknown},
		{"POP3 USER", autoconfig.POP3, nil, probed(nil, "USER", "TOP"), SigninPassword},
		{"POP3 SASL OAuth2 only", autoconfig.POP3, nil, probed([]string{"OAUTHBEARER"}, "SASL OAUTHBEARER", "TOP"), SigninOAuth2},
		{"not probed, config OAuth2", autoconfig.IMAP, oauth, ProbeReport{Status: ProbeTimeout}, SigninOAuth2},
		{"not probed, config both", autoconfig.IMAP, both, ProbeReport{Status: ProbeTimeout}, SigninPasswordOrOAuth2},
		{"not probed, nothing said", autoconfig.IMAP, nil, ProbeReport{Status: ProbeNotProbed}, SigninUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{Protocol: tc.proto, Auth: tc.auth, Probe: tc.probe}
			if got := decideSignin(s); got != tc.want {
				t.Errorf("decideSignin(%+v) = %s, want %s", s, got, tc.want)
			}
		})
	}
}
