package east_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/internal/east"
)

// TestLoadCorpus counts the corpus: 188 files, of which 179 are cases, 8
// setups (baseline servers, played as positive controls) and 1 the
// configuration of the oracle experiments.
func TestLoadCorpus(t *testing.T) {
	cases := loadCorpus(t)
	roles := map[east.Role]int{}
	protocols := map[autoconfig.Protocol]int{}
	for _, c := range cases {
		roles[c.Role]++
		protocols[c.Protocol]++
	}
	if len(cases) != 188 {
		t.Errorf("LoadCorpus: %d files, want 188", len(cases))
	}
	if want := map[east.Role]int{east.RoleCase: 179, east.RoleSetup: 8, east.RoleConfig: 1}; !reflect.DeepEqual(roles, want) {
		t.Errorf("LoadCorpus roles = %v, want %v", roles, want)
	}
	if want := map[autoconfig.Protocol]int{autoconfig.IMAP: 78, autoconfig.POP3: 47, autoconfig.SMTP: 63}; !reflect.DeepEqual(protocols, want) {
		t.Errorf("LoadCorpus protocols = %v, want %v", protocols, want)
	}
}

func loadCase(t *testing.T, name string) *east.Case {
	t.Helper()
	requireCorpus(t)
	c, err := east.LoadCase(corpusDir, filepath.Join(corpusDir, filepath.FromSlash(name)+".ron"))
	if err != nil {
		t.Fatalf("LoadCase(%s) = %v", name, err)
	}
	return c
}

func TestLoadCase(t *testing.T) {
	tests := []struct {
		name string
		want east.Case // the fields compared; Name, Protocol always
	}{
		{"testcases/imap/setup", east.Case{
			Role: east.RoleSetup, Cert: east.CertValid, CertPath: "certs/example.org.pem", Transition: true,
			Greeting:    "* OK [CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED] IMAP server ready.\r\n",
			Caps:        []string{"IMAP4REV1", "STARTTLS", "LOGINDISABLED"},
			CapsTLS:     []string{"IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"},
			CapsAuth:    []string{"IMAP4REV1"},
			CapsTLSAuth: []string{"IMAP4REV1"},
		}},
		{"testcases/imap/Negotiation/O_1", east.Case{
			Role: east.RoleCase, Cert: east.CertValid, CertPath: "certs/example.org.pem",
			Greeting:         "* OK [CAPABILITY IMAP4REV1 AUTH=PLAIN AUTH=LOGIN] IMAP server ready.\r\n",
			Caps:             []string{"IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"},
			CapsTLS:          []string{"IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"},
			CapsAuth:         []string{"IMAP4REV1"},
			CapsTLSAuth:      []string{"IMAP4REV1"},
			STARTTLSResponse: "<tag> BAD STARTTLS not supported.\r\n",
		}},
		{"testcases/imap/Negotiation/M_1_A", east.Case{
			Role: east.RoleCase, Cert: east.CertValid, CertPath: "certs/example.org.pem", Transition: true, Authenticated: true,
			Greeting: "* PREAUTH [CAPABILITY IMAP4REV1 MAILBOX-REFERRALS] IMAP server ready.\r\n",
			Caps:     []string{"IMAP4REV1", "MAILBOX-REFERRALS"}, CapsTLS: []string{}, CapsAuth: []string{}, CapsTLSAuth: []string{},
		}},
		{"testcases/imap/UI Spoofing/greeting/ok/02_badcharset", east.Case{
			Role: east.RoleCase, Cert: east.CertNone, CertPath: "<not needed>", Transition: true,
			Greeting: "* OK [BADCHARSET (kkgIhdNV)] MyF21bpV\r\n",
			Caps:     []string{}, CapsTLS: []string{}, CapsAuth: []string{}, CapsTLSAuth: []string{},
		}},
		{"testcases/imap/others/protocol/construction/reorder", east.Case{
			Role: east.RoleCase, Cert: east.CertValid, CertPath: "certs/example.org.pem", Transition: true,
			Greeting:    "* OK z7fkPNEe\r\n",
			Caps:        []string{"IMAP4REV1", "STARTTLS", "LOGINDISABLED"},
			CapsTLS:     []string{"IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN"},
			CapsAuth:    []string{"IMAP4REV1"},
			CapsTLSAuth: []string{"IMAP4REV1"},
			Ignore:      []string{"starttls"},
			Override: map[string]string{"capability": "2 OK begin TLS now (CsOKx3Fj)\r\n* CAPABILITY IMAP4REV1 STARTTLS LOGINDISABLED\r\n" +
				"<tag> OK capability done (x0SLC4wJ)\r\n"},
		}},
		{"testcases/imap/others/protocol/construction/01_greeting_invalid", east.Case{
			Role: east.RoleCase, Cert: east.CertNone, CertPath: "<not needed>", Transition: true,
			Greeting: "1Gdo00V4 wFaIW2WP\r\n",
			Caps:     []string{}, CapsTLS: []string{}, CapsAuth: []string{}, CapsTLSAuth: []string{},
			Override: map[string]string{"greeting": "1Gdo00V4 wFaIW2WP\r\n"},
		}},
		{"testcases/imap/tls_setup", east.Case{
			Role: east.RoleSetup, Cert: east.CertValid, CertPath: "certs/example.org.pem", Transition: true, ImplicitTLS: true,
			Greeting:    "* OK [CAPABILITY IMAP4REV1 AUTH=PLAIN AUTH=LOGIN IDLE] setup greeting done.\r\n",
			Caps:        []string{"IMAP4REV1", "STARTTLS", "LOGINDISABLED", "IDLE"},
			CapsTLS:     []string{"IMAP4REV1", "AUTH=PLAIN", "AUTH=LOGIN", "IDLE"},
			CapsAuth:    []string{"IMAP4REV1", "IDLE"},
			CapsTLSAuth: []string{"IMAP4REV1", "IDLE"},
		}},
		{"testcases/pop3/Buffering/B_2", east.Case{
			Role: east.RoleCase, Cert: east.CertValid, CertPath: "certs/example.org.pem", Transition: true,
			Greeting:         "+OK POP3 server ready.\r\n",
			Caps:             []string{"STLS", "TOP", "USER", "SASL CRAM-MD5 KERBEROS_V4", "RESP-CODES", "LOGIN-DELAY 900", "PIPELINING", "EXPIRE 60", "UIDL", "IMPLEMENTATION fake_mail_server"},
			CapsTLS:          []string{"TOP", "USER", "SASL CRAM-MD5 KERBEROS_V4", "RESP-CODES", "LOGIN-DELAY 900", "PIPELINING", "EXPIRE 60", "UIDL", "IMPLEMENTATION fake_mail_server"},
			CapsAuth:         []string{"TOP", "USER", "SASL CRAM-MD5 KERBEROS_V4", "RESP-CODES", "LOGIN-DELAY 900", "PIPELINING", "EXPIRE 60", "UIDL", "IMPLEMENTATION fake_mail_server"},
			CapsTLSAuth:      []string{"TOP", "USER", "SASL CRAM-MD5 KERBEROS_V4", "RESP-CODES", "LOGIN-DELAY 900", "PIPELINING", "EXPIRE 60", "UIDL", "IMPLEMENTATION fake_mail_server"},
			STARTTLSResponse: "+OK Begin fake TLS negotiation now.\r\n¹³¹²³¹²³¹²³¹²³²¹³¹²³¹²³²¹³¹²³¹²³¹²³¹²³",
		}},
		{"testcases/pop3/others/greeting/ok_escape", east.Case{
			Role: east.RoleCase, Cert: east.CertNone, CertPath: "<not needed>", Transition: true,
			Greeting: "+OK \x1b[31;1;4mPOP3\x1b[0m server ready.\r\n",
			Caps:     []string{}, CapsTLS: []string{}, CapsAuth: []string{}, CapsTLSAuth: []string{},
			STARTTLSResponse: "+OK Begin fake TLS negotiation now.\r\n",
		}},
		{"testcases/smtp/Negotiation/O_1", east.Case{
			Role: east.RoleCase, Cert: east.CertValid, CertPath: "certs/example.org.pem",
			Greeting:         "220 smtp.example.com ESMTP fake\r\n",
			Caps:             []string{"AUTH PLAIN LOGIN"},
			CapsTLS:          []string{"AUTH PLAIN LOGIN"},
			STARTTLSResponse: "502 Command not implemented\r\n",
		}},
		{"testcases/smtp/Negotiation/D_1", east.Case{
			Role: east.RoleCase, Cert: east.CertNone, Transition: true,
			Greeting:         "220 smtp.example.com ESMTP fake\r\n",
			Caps:             []string{},
			CapsTLS:          []string{},
			STARTTLSResponse: "220 Ready to start TLS\r\n",
			Hide:             []string{"ehlo", "starttls"},
		}},
		{"testcases/smtp/others/starttls/454", east.Case{
			Role: east.RoleCase, Cert: east.CertValid, CertPath: "certs/example.org.pem", Transition: true,
			Greeting:         "220 smtp.example.com ESMTP fake\r\n",
			Caps:             []string{"STARTTLS"},
			CapsTLS:          []string{"AUTH PLAIN"},
			STARTTLSResponse: "220 Ready to start TLS\r\n",
			Override:         map[string]string{"starttls": "454 TLS not available due to temporary reason\r\n"},
			Hooks:            map[string]east.Hook{"data": {Action: "Pass", Message: "Allow email to be send."}},
		}},
		{"testcases_extra/Certificate Validation/smtp/T_2", east.Case{
			Role: east.RoleCase, Cert: east.CertUnknownRoot, CertPath: "certs/example.org-unknown-root.pem", Transition: true,
			Greeting:         "220 smtp.example.com ESMTP fake\r\n",
			Caps:             []string{"STARTTLS"},
			CapsTLS:          []string{"AUTH PLAIN"},
			STARTTLSResponse: "220 Ready to start TLS\r\n",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := loadCase(t, tt.name)
			if c.Name != tt.name {
				t.Errorf("Name = %q, want %q", c.Name, tt.name)
			}
			if why := c.NotApplicable(); why != "" {
				t.Errorf("NotApplicable() = %q, want applicable", why)
			}
			got := *c
			// Compare the behaviour only.
			got.Name, got.File, got.Protocol, got.Fields, got.Value = "", "", "", nil, east.Value{}
			got = withoutSource(got)
			want := tt.want
			if want.Override == nil {
				want.Override = map[string]string{}
			}
			if want.Hooks == nil {
				want.Hooks = map[string]east.Hook{}
			}
			if want.Statuses == nil && c.Protocol == autoconfig.IMAP {
				want.Statuses = map[string]east.Status{}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("LoadCase(%s) =\n%#v\nwant\n%#v", tt.name, got, want)
			}
		})
	}
}

// withoutSource drops the unexported source text by copying the exported
// fields.
func withoutSource(c east.Case) east.Case {
	return east.Case{
		Role: c.Role, ImplicitTLS: c.ImplicitTLS, Cert: c.Cert, CertPath: c.CertPath, Authenticated: c.Authenticated,
		Greeting: c.Greeting, AfterGreeting: c.AfterGreeting, Caps: c.Caps, CapsTLS: c.CapsTLS, CapsAuth: c.CapsAuth,
		CapsTLSAuth: c.CapsTLSAuth, STARTTLSResponse: c.STARTTLSResponse, Transition: c.Transition, AfterTLS: c.AfterTLS,
		Ignore: c.Ignore, IgnoreTLS: c.IgnoreTLS, Hide: c.Hide, Override: c.Override, Hooks: c.Hooks, Statuses: c.Statuses,
		Unknown: c.Unknown, Unsupported: c.Unsupported, Uncommented: c.Uncommented,
	}
}

// TestNotApplicable: what the server cannot play is reported, never dropped.
func TestNotApplicable(t *testing.T) {
	const base = `cert: Cert(crt_path: "certs/example.org.pem", key_path: "k"), implicit_tls: false,`
	const imapBase = `state: NotAuthenticated, caps: [], caps_auth: [], caps_tls: [], caps_tls_auth: [], ` + base
	tests := []struct {
		name, file, src, why string
	}{
		{"unknown field", "imap/x.ron", `(` + imapBase + ` oracle: true)`, "field not implemented by the server: oracle"},
		{"override of a response", "imap/x.ron", `(` + imapBase + ` override_select: Some(Bye(code: None, text: Text("x"))))`, "override_select: status Bye"},
		{"pop3 field in imap", "imap/x.ron", `(` + imapBase + ` stls_response: "x")`, "stls_response"},
		{"unknown certificate", "smtp/x.ron", `(capabilities: [], capabilities_tls: [], cert: Cert(crt_path: "certs/x.pem", key_path: "k"), implicit_tls: false)`, `unknown certificate "certs/x.pem"`},
		{"unknown capability", "smtp/x.ron", `(capabilities: [Teleport], capabilities_tls: [], ` + base + `)`, "SMTP capability Teleport not known"},
		{"unknown IMAP capability", "imap/x.ron", `(state: NotAuthenticated, caps: [Telepathy], caps_auth: [], caps_tls: [], caps_tls_auth: [], ` + base + `)`, "IMAP capability Telepathy not known"},
		{"missing required field", "pop3/x.ron", `(greeting: "+OK\r\n", capa: [], capa_tls: [], capa_tls_auth: [], ` + base + `)`, "missing field capa_auth"},
		{"state", "imap/x.ron", `(state: Logout, caps: [], caps_auth: [], caps_tls: [], caps_tls_auth: [], ` + base + `)`, "IMAP state Logout"},
		{"bad hook", "smtp/x.ron", `(capabilities: [], capabilities_tls: [], hook_data: Explode, ` + base + `)`, "hook Explode"},
		{"wrong type", "pop3/x.ron", `(greeting: 1, capa: [], capa_auth: [], capa_tls: [], capa_tls_auth: [], ` + base + `)`, "greeting: 1 is not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			path := filepath.Join(root, filepath.FromSlash(tt.file))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
			c, err := east.LoadCase(root, path)
			if err != nil {
				t.Fatalf("LoadCase = %v", err)
			}
			if why := c.NotApplicable(); !strings.Contains(why, tt.why) {
				t.Errorf("NotApplicable() = %q, want it to say %q", why, tt.why)
			}
			if _, err := east.Serve(c, nil); !errors.Is(err, east.ErrNotApplicable) {
				t.Errorf("Serve = %v, want ErrNotApplicable", err)
			}
		})
	}
}

func TestLoadCaseErrors(t *testing.T) {
	tests := []struct {
		file, src string
		want      error
	}{
		{"imap/x.ron", `(a: `, east.ErrSyntax},
		{"other/x.ron", `(a: 1)`, east.ErrNoProtocol},
		{"smtp/x.ron", `[1]`, east.ErrNotStruct},
	}
	for _, tt := range tests {
		root := t.TempDir()
		path := filepath.Join(root, filepath.FromSlash(tt.file))
		os.MkdirAll(filepath.Dir(path), 0o755)
		os.WriteFile(path, []byte(tt.src), 0o644)
		if _, err := east.LoadCase(root, path); !errors.Is(err, tt.want) {
			t.Errorf("LoadCase(%s, %q) = %v, want %v", tt.file, tt.src, err, tt.want)
		}
	}
}

func TestVariants(t *testing.T) {
	tests := []struct {
		name string
		want []string // variant names after the case's name
	}{
		{"testcases/imap/Buffering/B_1", []string{"~ignore_commands_tls", "~starttls_response", "~all"}},
		{"testcases/imap/Buffering/B_2", []string{"~starttls_response#1", "~starttls_response#2", "~starttls_response#3", "~response_after_tls"}},
		{"testcases/imap/Negotiation/L_1_A", []string{"~override_login", "~override_authenticate", "~all"}},
		{"testcases/imap/Negotiation/M_1_A", []string{"~override_select"}},
		{"testcases/smtp/Buffering/B_1", []string{"~ignore_commands_tls", "~stls_response", "~all"}},
		// A commented-out second greeting is no variant, nor are the
		// lines after it.
		{"testcases/imap/others/protocol/construction/greeting_tagged", nil},
		{"testcases/imap/setup", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, v := range loadCase(t, tt.name).Variants() {
				got = append(got, strings.TrimPrefix(v.Name, tt.name))
				if v.Role != east.RoleVariant || len(v.Uncommented) == 0 {
					t.Errorf("%s: Role, Uncommented = %s, %q; want a variant saying what it uncommented", v.Name, v.Role, v.Uncommented)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Variants() = %q, want %q", got, tt.want)
			}
		})
	}

	// L_1_A's login referral (RFC 2221) renders as imap-codec writes it.
	v0 := loadCase(t, "testcases/imap/Negotiation/L_1_A").Variants()[0]
	want := east.Status{Tag: "<tag>", Rest: " NO [REFERRAL IMAP://;AUTH=*@attacker.example.org:243/] try another server.\r\n"}
	if got := v0.Statuses["login"]; got != want || v0.NotApplicable() != "" {
		t.Errorf("L_1_A~override_login Statuses[login], NotApplicable = %+v, %q; want %+v, applicable", got, v0.NotApplicable(), want)
	}

	// The suffix injection of B_2, step 2, is what the variant plays.
	v := loadCase(t, "testcases/imap/Buffering/B_2").Variants()[1]
	if want := "<tag> OK begin STARTTLS now.\r\n* OK [ALERT] suffix.\r\n"; v.STARTTLSResponse != want {
		t.Errorf("B_2~starttls_response#2 STARTTLSResponse = %q, want %q", v.STARTTLSResponse, want)
	}
}
