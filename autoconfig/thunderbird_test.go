package autoconfig_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// prefLine is a user_pref line: a string literal name and a value.
var prefLine = regexp.MustCompile(`^user_pref\(("(?:[^"\\]|\\.)*"), (.*)\);$`)

// parsePrefs reads every line of a user.js as Mozilla's prefs parser would
// (modules/libpref/parser/src/lib.rs): comments, blank lines and
// user_pref("name", value); with a string, integer or boolean value. Any
// other line fails the test, as does a name set twice.
func parsePrefs(t *testing.T, data []byte) map[string]any {
	t.Helper()
	prefs := map[string]any{}
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		m := prefLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("user.js line %d %q is not user_pref(\"name\", value);", i+1, line)
		}
		name, err := unquotePref(m[1])
		if err != nil {
			t.Fatalf("user.js line %d: name: %v", i+1, err)
		}
		var val any
		switch v := m[2]; {
		case v == "true" || v == "false":
			val = v == "true"
		case regexp.MustCompile(`^-?[0-9]+$`).MatchString(v):
			n, err := strconv.ParseInt(v, 10, 32)
			if err != nil {
				t.Fatalf("user.js line %d: integer %s: %v", i+1, v, err)
			}
			val = int(n)
		case strings.HasPrefix(v, `"`):
			if val, err = unquotePref(v); err != nil {
				t.Fatalf("user.js line %d: value: %v", i+1, err)
			}
		default:
			t.Fatalf("user.js line %d: value %q is not a string, integer or boolean", i+1, v)
		}
		if _, dup := prefs[name]; dup {
			t.Errorf("user.js sets %q twice", name)
		}
		prefs[name] = val
	}
	return prefs
}

// unquotePref decodes a double-quoted prefs string literal, with the escapes
// the prefs parser knows: \" \' \\ \n \r \xNN \uNNNN (surrogate pairs
// combined). Raw control characters, U+2028 and U+2029 are refused: the
// writer must escape them.
func unquotePref(lit string) (string, error) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", fmt.Errorf("%q is not a double-quoted string", lit)
	}
	s := lit[1 : len(lit)-1]
	var units []uint16
	flush := func(r rune) { units = utf16.AppendRune(units, r) }
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= 0x80 {
			r, size = []rune(s[i:])[0], len(string([]rune(s[i:])[0]))
		}
		if r < 0x20 || r == 0x2028 || r == 0x2029 {
			return "", fmt.Errorf("raw %U in %q", r, lit)
		}
		if r != '\\' {
			flush(r)
			i += size
			continue
		}
		if i+1 >= len(s) {
			return "", fmt.Errorf("trailing backslash in %q", lit)
		}
		switch c := s[i+1]; c {
		case '"', '\'', '\\':
			flush(rune(c))
			i += 2
		case 'n':
			flush('\n')
			i += 2
		case 'r':
			flush('\r')
			i += 2
		case 'x', 'u':
			n := 2
			if c == 'u' {
				n = 4
			}
			if i+2+n > len(s) {
				return "", fmt.Errorf("short \\%c escape in %q", c, lit)
			}
			v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 16)
			if err != nil || v == 0 {
				return "", fmt.Errorf("bad \\%c escape in %q", c, lit)
			}
			units = append(units, uint16(v))
			i += 2 + n
		default:
			return "", fmt.Errorf("unknown escape \\%c in %q", c, lit)
		}
	}
	return string(utf16.Decode(units)), nil
}

func writePrefs(t *testing.T, cfg *autoconfig.Config, acct autoconfig.Account, opts *autoconfig.PrefsOptions) ([]byte, map[string]any) {
	t.Helper()
	var b bytes.Buffer
	if err := autoconfig.WriteThunderbirdPrefs(&b, cfg, acct, opts); err != nil {
		t.Fatalf("WriteThunderbirdPrefs() error = %v, want nil", err)
	}
	return b.Bytes(), parsePrefs(t, b.Bytes())
}

func TestWriteThunderbirdPrefsGolden(t *testing.T) {
	opts := &autoconfig.PrefsOptions{
		ExistingAccounts:   []string{"account1", "account2"},
		ExistingServers:    []string{"server1", "server2"},
		ExistingIdentities: []string{"id1"},
		ExistingSMTP:       []string{"smtp1"},
	}
	data, got := writePrefs(t, exportConfig(), exportAcct, opts)
	writerGolden(t, "thunderbird/user.js", data)

	want := map[string]any{
		"mail.account.account3.server":                "server3",
		"mail.account.account3.identities":            "id2",
		"mail.server.server3.type":                    "imap",
		"mail.server.server3.hostname":                "imap.example.com",
		"mail.server.server3.port":                    993,
		"mail.server.server3.socketType":              3,
		"mail.server.server3.authMethod":              3,
		"mail.server.server3.userName":                "fred@example.com",
		"mail.server.server3.name":                    "fred@example.com",
		"mail.server.server3.login_at_startup":        true,
		"mail.server.server3.check_new_mail":          true,
		"mail.server.server3.trash_folder_name":       "Trash",
		"mail.identity.id2.fullName":                  "Fred Example",
		"mail.identity.id2.useremail":                 "fred@example.com",
		"mail.identity.id2.smtpServer":                "smtp2",
		"mail.identity.id2.valid":                     true,
		"mail.identity.id2.fcc_folder":                "imap://fred%40example.com@imap.example.com/Sent",
		"mail.identity.id2.draft_folder":              "imap://fred%40example.com@imap.example.com/Drafts",
		"mail.identity.id2.stationery_folder":         "imap://fred%40example.com@imap.example.com/Templates",
		"mail.identity.id2.fcc_folder_picker_mode":    "0",
		"mail.identity.id2.drafts_folder_picker_mode": "0",
		"mail.identity.id2.tmpl_folder_picker_mode":   "0",
		"mail.smtpserver.smtp2.hostname":              "smtp.example.com",
		"mail.smtpserver.smtp2.port":                  465,
		"mail.smtpserver.smtp2.try_ssl":               3,
		"mail.smtpserver.smtp2.authMethod":            3,
		"mail.smtpserver.smtp2.username":              "fred@example.com",
		"mail.smtpserver.smtp2.description":           "fred@example.com",
		"mail.accountmanager.accounts":                "account1,account2,account3",
		"mail.smtpservers":                            "smtp1,smtp2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WriteThunderbirdPrefs() prefs =\n%v\nwant\n%v", got, want)
	}
}

// TestWriteThunderbirdPrefsKeys checks that the new account takes the first
// free keys and that the list prefs keep the profile's entries first.
func TestWriteThunderbirdPrefsKeys(t *testing.T) {
	tests := []struct {
		name                      string
		opts                      *autoconfig.PrefsOptions
		account, server, id, smtp string
		accountsPref, smtpsPref   string
	}{
		{name: "nil options", opts: nil,
			account: "account1", server: "server1", id: "id1", smtp: "smtp1",
			accountsPref: "account1", smtpsPref: "smtp1"},
		{name: "empty profile", opts: &autoconfig.PrefsOptions{},
			account: "account1", server: "server1", id: "id1", smtp: "smtp1",
			accountsPref: "account1", smtpsPref: "smtp1"},
		{name: "local folders only", opts: &autoconfig.PrefsOptions{
			ExistingAccounts: []string{"account1"}, ExistingServers: []string{"server1"}},
			account: "account2", server: "server2", id: "id1", smtp: "smtp1",
			accountsPref: "account1,account2", smtpsPref: "smtp1"},
		{name: "gaps are filled", opts: &autoconfig.PrefsOptions{
			ExistingAccounts:   []string{"account2", "account1", "account4"},
			ExistingServers:    []string{"server1", "server3"},
			ExistingIdentities: []string{"id2"},
			ExistingSMTP:       []string{"smtp3", "smtp1"}},
			account: "account3", server: "server2", id: "id1", smtp: "smtp2",
			accountsPref: "account2,account1,account4,account3", smtpsPref: "smtp3,smtp1,smtp2"},
		{name: "duplicates and spaces dropped", opts: &autoconfig.PrefsOptions{
			ExistingAccounts: []string{"account1", " account2", "account1"},
			ExistingSMTP:     []string{"smtp1", "smtp1"}},
			account: "account3", server: "server1", id: "id1", smtp: "smtp2",
			accountsPref: "account1,account2,account3", smtpsPref: "smtp1,smtp2"},
		{name: "foreign key names kept", opts: &autoconfig.PrefsOptions{
			ExistingAccounts: []string{"account_work", "account-1"},
			ExistingServers:  []string{"server10"}},
			account: "account1", server: "server1", id: "id1", smtp: "smtp1",
			accountsPref: "account_work,account-1,account1", smtpsPref: "smtp1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := writePrefs(t, exportConfig(), exportAcct, tt.opts)
			checks := map[string]any{
				"mail.account." + tt.account + ".server":     tt.server,
				"mail.account." + tt.account + ".identities": tt.id,
				"mail.server." + tt.server + ".type":         "imap",
				"mail.identity." + tt.id + ".smtpServer":     tt.smtp,
				"mail.smtpserver." + tt.smtp + ".hostname":   "smtp.example.com",
				"mail.accountmanager.accounts":               tt.accountsPref,
				"mail.smtpservers":                           tt.smtpsPref,
			}
			for name, want := range checks {
				if got[name] != want {
					t.Errorf("WriteThunderbirdPrefs(%+v) %s = %#v, want %#v", tt.opts, name, got[name], want)
				}
			}
		})
	}
}

// TestWriteThunderbirdPrefsValues checks the numbers Thunderbird reads:
// socketType and try_ssl (nsMsgSocketType) and authMethod (nsMsgAuthMethod).
func TestWriteThunderbirdPrefsValues(t *testing.T) {
	tests := []struct {
		name    string
		in, out autoconfig.Server
		want    map[string]any
		notSet  []string
	}{
		{name: "POP3 STARTTLS, SMTP plain without auth",
			in: autoconfig.Server{Protocol: autoconfig.POP3, Hostname: "pop.example.com", Port: 110, Security: autoconfig.STARTTLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordEncrypted}, Username: "%EMAILLOCALPART%"},
			out: autoconfig.Server{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 25, Security: autoconfig.Plain,
				Auth: []autoconfig.Auth{autoconfig.AuthClientIP}},
			want: map[string]any{
				"mail.server.server1.type": "pop3", "mail.server.server1.port": 110,
				"mail.server.server1.socketType": 2, "mail.server.server1.authMethod": 4,
				"mail.server.server1.userName": "fred",
				"mail.smtpserver.smtp1.port":   25, "mail.smtpserver.smtp1.try_ssl": 0, "mail.smtpserver.smtp1.authMethod": 1,
			},
			notSet: []string{"mail.smtpserver.smtp1.username"}},
		{name: "plain IMAP, OAuth2 first",
			in: autoconfig.Server{Protocol: autoconfig.IMAP, Hostname: "imap.%EMAILDOMAIN%", Port: 143, Security: autoconfig.Plain,
				Auth: []autoconfig.Auth{autoconfig.AuthOAuth2, autoconfig.AuthPasswordCleartext}},
			out: autoconfig.Server{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 587, Security: autoconfig.STARTTLS,
				Auth: []autoconfig.Auth{autoconfig.AuthNTLM}, Username: "%EMAILLOCALPART%"},
			want: map[string]any{
				"mail.server.server1.hostname": "imap.example.com", "mail.server.server1.socketType": 0,
				"mail.server.server1.authMethod": 10, "mail.server.server1.userName": "fred@example.com",
				"mail.smtpserver.smtp1.try_ssl": 2, "mail.smtpserver.smtp1.authMethod": 6,
				"mail.smtpserver.smtp1.username": "fred",
			}},
		{name: "GSSAPI, TLS client certificate",
			in: autoconfig.Server{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 993, Security: autoconfig.TLS,
				Auth: []autoconfig.Auth{autoconfig.AuthGSSAPI}, Username: "fred"},
			out: autoconfig.Server{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 465, Security: autoconfig.TLS,
				Auth: []autoconfig.Auth{autoconfig.AuthTLSClientCert}},
			want: map[string]any{
				"mail.server.server1.authMethod": 5, "mail.smtpserver.smtp1.authMethod": 7,
				"mail.smtpserver.smtp1.username": "fred@example.com",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &autoconfig.Config{Incoming: []autoconfig.Server{tt.in}, Outgoing: []autoconfig.Server{tt.out}}
			_, got := writePrefs(t, cfg, exportAcct, nil)
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s = %#v, want %#v", name, got[name], want)
				}
			}
			for _, name := range tt.notSet {
				if v, ok := got[name]; ok {
					t.Errorf("%s = %#v, want it not set", name, v)
				}
			}
			if d := got["mail.smtpserver.smtp1.description"]; d != "fred@example.com" {
				t.Errorf("mail.smtpserver.smtp1.description = %#v, want the address", d)
			}
		})
	}
}

// TestWriteThunderbirdPrefsChoice checks that only the first IMAP or POP3
// and the first SMTP server are written, skipping other types.
func TestWriteThunderbirdPrefsChoice(t *testing.T) {
	cfg := exportConfig()
	cfg.Incoming = append([]autoconfig.Server{{Protocol: "ews", URL: "https://mail.example.com/ews"}}, cfg.Incoming...)
	_, got := writePrefs(t, cfg, exportAcct, nil)
	if got["mail.server.server1.port"] != 993 || got["mail.smtpserver.smtp1.port"] != 465 {
		t.Errorf("ports = %v, %v; want 993 and 465 (the first IMAP and SMTP servers)",
			got["mail.server.server1.port"], got["mail.smtpserver.smtp1.port"])
	}
	for name := range got {
		if strings.Contains(name, "server2") || strings.Contains(name, "smtp2") {
			t.Errorf("pref %s written, want one incoming and one outgoing server", name)
		}
	}
}

// TestWriteThunderbirdPrefsStrings writes names that need escaping and
// reads them back.
func TestWriteThunderbirdPrefsStrings(t *testing.T) {
	acct := autoconfig.Account{
		Address:     "o'brien@Bücher.Example",
		Name:        `Seán "Bull" O'Brien \ Sons`,
		Description: "Work ✉ </script>",
	}
	cfg := exportConfig()
	cfg.DisplayName = `C:\Mail "Pro"`
	data, got := writePrefs(t, cfg, acct, nil)
	want := map[string]any{
		"mail.identity.id1.fullName":        `Seán "Bull" O'Brien \ Sons`,
		"mail.identity.id1.useremail":       "o'brien@xn--bcher-kva.example",
		"mail.server.server1.name":          "Work ✉ </script>",
		"mail.smtpserver.smtp1.description": "o'brien@xn--bcher-kva.example",
		"mail.identity.id1.fcc_folder":      "imap://o%27brien%40xn--bcher-kva.example@imap.example.com/Sent",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %#v, want %#v\n%s", name, got[name], w, data)
		}
	}
}

// TestWriteThunderbirdPrefsAccountSetup checks the prefs Thunderbird's own
// account setup writes besides the servers (CreateInBackend.sys.mjs): the
// Sent, Drafts and Templates folders of the identity on the account's
// server, IMAP's Trash, no fullName without a name, and the address as the
// outgoing server's description whatever the provider's display name.
func TestWriteThunderbirdPrefsAccountSetup(t *testing.T) {
	pop := exportConfig()
	pop.Incoming = pop.Incoming[2:] // pop.%EMAILDOMAIN%, %EMAILLOCALPART%
	tests := []struct {
		name   string
		cfg    *autoconfig.Config
		acct   autoconfig.Account
		want   map[string]any
		notSet []string
	}{
		{name: "IMAP with a name", cfg: exportConfig(), acct: exportAcct,
			want: map[string]any{
				"mail.identity.id1.fullName":                  "Fred Example",
				"mail.identity.id1.fcc_folder":                "imap://fred%40example.com@imap.example.com/Sent",
				"mail.identity.id1.draft_folder":              "imap://fred%40example.com@imap.example.com/Drafts",
				"mail.identity.id1.stationery_folder":         "imap://fred%40example.com@imap.example.com/Templates",
				"mail.identity.id1.fcc_folder_picker_mode":    "0",
				"mail.identity.id1.drafts_folder_picker_mode": "0",
				"mail.identity.id1.tmpl_folder_picker_mode":   "0",
				"mail.server.server1.trash_folder_name":       "Trash",
				"mail.smtpserver.smtp1.description":           "fred@example.com",
			}},
		{name: "POP3 without a name", cfg: pop, acct: autoconfig.Account{Address: "fred+mail@example.com", Description: "Work"},
			want: map[string]any{
				"mail.server.server1.name":            "Work",
				"mail.identity.id1.fcc_folder":        "mailbox://fred%2Bmail@pop.example.com/Sent",
				"mail.identity.id1.draft_folder":      "mailbox://fred%2Bmail@pop.example.com/Drafts",
				"mail.identity.id1.stationery_folder": "mailbox://fred%2Bmail@pop.example.com/Templates",
				"mail.smtpserver.smtp1.description":   "fred+mail@example.com",
			},
			notSet: []string{"mail.identity.id1.fullName", "mail.server.server1.trash_folder_name"}},
		{name: "blank name", cfg: exportConfig(), acct: autoconfig.Account{Address: "fred@example.com", Name: "  "},
			notSet: []string{"mail.identity.id1.fullName"}},
		{name: "user name with unsafe bytes", cfg: func() *autoconfig.Config {
			c := exportConfig()
			c.Incoming[0].Username = "dom\\fred smith_1*-.x/ü"
			return c
		}(), acct: exportAcct,
			want: map[string]any{
				"mail.identity.id1.fcc_folder": "imap://dom%5Cfred%20smith_1*-.x%2F%C3%BC@imap.example.com/Sent",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, got := writePrefs(t, tt.cfg, tt.acct, nil)
			for name, want := range tt.want {
				if got[name] != want {
					t.Errorf("%s = %#v, want %#v\n%s", name, got[name], want, data)
				}
			}
			for _, name := range tt.notSet {
				if v, ok := got[name]; ok {
					t.Errorf("%s = %#v, want it not set", name, v)
				}
			}
		})
	}
}

func TestJSString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"line\nbreak\r", `"line\nbreak\r"`},
		{"tab\tnul\x01", `"tab\u0009nul\u0001"`},
		{"ls\u2028ps\u2029", `"ls\u2028ps\u2029"`},
		{"del\x7f c1\u0085", `"del\u007F c1\u0085"`},
		{"ümlaut ✉ 😀", `"ümlaut ✉ 😀"`},
	}
	for _, tt := range tests {
		got := autoconfig.JSString(tt.in)
		if got != tt.want {
			t.Errorf("jsString(%q) = %s, want %s", tt.in, got, tt.want)
		}
		back, err := unquotePref(got)
		if err != nil || back != tt.in {
			t.Errorf("unquote(jsString(%q)) = %q, %v; want the input", tt.in, back, err)
		}
	}
}

func TestWriteThunderbirdPrefsNoPassword(t *testing.T) {
	data, got := writePrefs(t, exportConfig(), exportAcct, nil)
	for name := range got {
		if strings.Contains(strings.ToLower(name), "password") {
			t.Errorf("pref %s written, want no password pref", name)
		}
	}
	if !bytes.Contains(data, []byte("No password is stored here")) {
		t.Errorf("user.js header does not say that no password is stored")
	}
}

func TestWriteThunderbirdPrefsErrors(t *testing.T) {
	noOut := exportConfig()
	noOut.Outgoing = nil
	ewsOnly := exportConfig()
	ewsOnly.Incoming = []autoconfig.Server{{Protocol: "ews", URL: "https://mail.example.com/ews"}}
	realName := exportConfig()
	realName.Incoming[0].Username = "%REALNAME%"
	badPort := exportConfig()
	badPort.Incoming[0].Port = 0
	tests := []struct {
		name string
		cfg  *autoconfig.Config
		acct autoconfig.Account
		opts *autoconfig.PrefsOptions
		want error
		text string
	}{
		{"nil config", nil, exportAcct, nil, autoconfig.ErrExportInvalid, "nil Config"},
		{"no outgoing server", noOut, exportAcct, nil, autoconfig.ErrExportMissing, "no SMTP outgoing server"},
		{"no IMAP or POP3", ewsOnly, exportAcct, nil, autoconfig.ErrExportMissing, "no IMAP or POP3 incoming server"},
		{"unfillable placeholder", realName, autoconfig.Account{Address: "fred@example.com"}, nil, autoconfig.ErrExportUnsupported, "Incoming[0] (imap) user name"},
		{"port 0", badPort, exportAcct, nil, autoconfig.ErrExportInvalid, "Incoming[0] (imap): port 0"},
		{"address without domain", exportConfig(), autoconfig.Account{Address: "fred"}, nil, autoconfig.ErrExportInvalid, "not local@domain"},
		{"name with newline", exportConfig(), autoconfig.Account{Address: "fred@example.com", Name: "Fred\nuser_pref(\"x\", 1);"}, nil, autoconfig.ErrExportInvalid, "account name"},
		{"key with comma", exportConfig(), exportAcct, &autoconfig.PrefsOptions{ExistingAccounts: []string{"account1,account2"}}, autoconfig.ErrExportInvalid, "ExistingAccounts[0]"},
		{"empty key", exportConfig(), exportAcct, &autoconfig.PrefsOptions{ExistingSMTP: []string{""}}, autoconfig.ErrExportInvalid, "ExistingSMTP[0]"},
		{"key with quote", exportConfig(), exportAcct, &autoconfig.PrefsOptions{ExistingServers: []string{`server1"`}}, autoconfig.ErrExportInvalid, "ExistingServers[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w countingWriter
			err := autoconfig.WriteThunderbirdPrefs(&w, tt.cfg, tt.acct, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("WriteThunderbirdPrefs() error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("WriteThunderbirdPrefs() error = %q, want it to contain %q", err, tt.text)
			}
			if w.n != 0 {
				t.Errorf("WriteThunderbirdPrefs() wrote %d bytes before failing, want 0", w.n)
			}
		})
	}
}
