package autoconfig_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smallstep/pkcs7"
	"howett.net/plist"
	gopkcs12 "software.sslmate.com/src/go-pkcs12"

	"github.com/mailsetup/mailsetup/autoconfig"
)

var updateApple = flag.Bool("update-apple", false, "rewrite the golden files of testdata/apple")

// appleSpecDir is Apple's device-management schema in the shared reference
// folder beside the repository. The YAML files are read in place, never
// copied into the repository.
var appleSpecDir = filepath.Join("..", "..", "shared", "specs", "apple")

// appleSeqUUIDs returns a NewUUID that counts: 00000000-0000-4000-8000-000000000001, ...
func appleSeqUUIDs() func() string {
	n := 0
	return func() string {
		n++
		return fmt.Sprintf("00000000-0000-4000-8000-%012d", n)
	}
}

var appleFred = autoconfig.Account{Address: "fred@example.com", Name: "Fred Example"}

// appleIMAPConfig is an IMAP + SMTP provider with implicit TLS, as a provider's
// config-v1.1.xml read with a zero Vars describes it (placeholders kept).
func appleIMAPConfig() *autoconfig.Config {
	return &autoconfig.Config{
		ID:          "example.com",
		Domains:     []string{"example.com"},
		DisplayName: "Example Mail",
		Incoming: []autoconfig.Server{
			{Protocol: autoconfig.IMAP, Hostname: "imap.%EMAILDOMAIN%", Port: 993, Security: autoconfig.TLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"},
			{Protocol: autoconfig.POP3, Hostname: "pop.example.com", Port: 995, Security: autoconfig.TLS},
		},
		Outgoing: []autoconfig.Server{
			{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 465, Security: autoconfig.TLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"},
		},
	}
}

// appleDAVConfig is appleIMAPConfig with a calendar (whose principal the
// login check found), an address book and a JMAP server after the mail ones.
func appleDAVConfig() *autoconfig.Config {
	c := appleIMAPConfig()
	c.Incoming = append(c.Incoming, autoconfig.Server{Protocol: autoconfig.JMAP, URL: "https://jmap.example.com/.well-known/jmap"})
	c.Calendars = []autoconfig.Server{{Protocol: autoconfig.CalDAV, URL: "https://dav.example.com/caldav/",
		Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%",
		Principal: "https://dav.example.com/caldav/principals/fred/"}}
	c.AddressBooks = []autoconfig.Server{{Protocol: autoconfig.CardDAV, URL: "https://contacts.example.com:8443/dav/",
		Username: "%EMAILLOCALPART%"}}
	return c
}

// applePOP3Config is a POP3 + SMTP provider with STARTTLS on both, local-part
// user names and an encrypted password method listed after OAuth2.
func applePOP3Config() *autoconfig.Config {
	return &autoconfig.Config{
		Incoming: []autoconfig.Server{
			{Protocol: autoconfig.POP3, Hostname: "pop.example.net", Port: 110, Security: autoconfig.STARTTLS,
				Auth: []autoconfig.Auth{autoconfig.AuthOAuth2, autoconfig.AuthPasswordEncrypted}, Username: "%EMAILLOCALPART%"},
		},
		Outgoing: []autoconfig.Server{
			{Protocol: autoconfig.SMTP, Hostname: "SMTP.Example.NET", Port: 587, Security: autoconfig.STARTTLS,
				Auth: []autoconfig.Auth{autoconfig.AuthSMTPAfterPOP}},
		},
	}
}

func writeApple(t *testing.T, cfg *autoconfig.Config, acct autoconfig.Account, opts *autoconfig.AppleOptions) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := autoconfig.WriteAppleProfile(&buf, cfg, acct, opts); err != nil {
		t.Fatalf("WriteAppleProfile() = %v, want nil", err)
	}
	return buf.Bytes()
}

func TestWriteAppleProfileGolden(t *testing.T) {
	schema := loadAppleSchema(t)
	tests := []struct {
		name string
		cfg  *autoconfig.Config
		acct autoconfig.Account
		opts autoconfig.AppleOptions
	}{
		{"imap-smtp-tls", appleIMAPConfig(), appleFred, autoconfig.AppleOptions{}},
		{"pop3-smtp-starttls", applePOP3Config(),
			autoconfig.Account{Address: "wilma@example.net", Description: "Wilma at work"},
			autoconfig.AppleOptions{Identifier: "net.example.mail.wilma", Organization: "Example Net"}},
		{"imap-caldav-carddav", appleDAVConfig(), appleFred, autoconfig.AppleOptions{Organization: "Example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.NewUUID = appleSeqUUIDs()
			got := writeApple(t, tt.cfg, tt.acct, &tt.opts)
			for _, p := range schema.check(got) {
				t.Errorf("schema: %s", p)
			}
			golden := filepath.Join("testdata", "apple", tt.name+".mobileconfig")
			if *updateApple {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run Apple ./autoconfig -update-apple to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("WriteAppleProfile(%s) differs from %s:\n%s", tt.name, golden, appleDiff(got, want))
			}
		})
	}
}

// appleDiff shows the first line where got and want differ.
func appleDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d: got %q, want %q", i+1, gl, wl)
		}
	}
	return "(equal lines)"
}

// TestWriteAppleProfileMapping checks the settings decoded from the profile,
// so that the golden files' meaning is stated, not only their bytes.
func TestWriteAppleProfileMapping(t *testing.T) {
	var p struct {
		PayloadContent []map[string]any
	}
	data := writeApple(t, applePOP3Config(), autoconfig.Account{Address: "wilma@example.net"}, nil)
	if _, err := plist.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.PayloadContent) != 1 {
		t.Fatalf("PayloadContent has %d payloads, want 1", len(p.PayloadContent))
	}
	want := map[string]any{
		"EmailAccountType":                 "EmailTypePOP",
		"EmailAccountDescription":          "wilma@example.net", // Description empty: the address
		"EmailAddress":                     "wilma@example.net",
		"IncomingMailServerHostName":       "pop.example.net",
		"IncomingMailServerPortNumber":     uint64(110),
		"IncomingMailServerUseSSL":         true, // STARTTLS: Apple's "SSL" switch negotiates it
		"IncomingMailServerAuthentication": "EmailAuthCRAMMD5",
		"IncomingMailServerUsername":       "wilma",
		"OutgoingMailServerHostName":       "smtp.example.net", // lower-cased
		"OutgoingMailServerPortNumber":     uint64(587),
		"OutgoingMailServerUseSSL":         true,
		"OutgoingMailServerAuthentication": "EmailAuthNone", // SMTP after POP
		"PayloadType":                      "com.apple.mail.managed",
	}
	got := p.PayloadContent[0]
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	for _, k := range []string{"EmailAccountName", "OutgoingMailServerUsername", "IncomingPassword",
		"OutgoingPassword", "OutgoingPasswordSameAsIncomingPassword"} {
		if v, ok := got[k]; ok {
			t.Errorf("%s = %#v, want absent", k, v)
		}
	}

	// A plain-text server: UseSSL false, port left out when 0.
	cfg := appleIMAPConfig()
	cfg.Incoming[0].Security, cfg.Incoming[0].Port = autoconfig.Plain, 0
	data = writeApple(t, cfg, appleFred, nil)
	p.PayloadContent = nil
	if _, err := plist.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	got = p.PayloadContent[0]
	if got["IncomingMailServerUseSSL"] != false {
		t.Errorf("plain IncomingMailServerUseSSL = %#v, want false", got["IncomingMailServerUseSSL"])
	}
	if v, ok := got["IncomingMailServerPortNumber"]; ok {
		t.Errorf("port 0: IncomingMailServerPortNumber = %#v, want absent", v)
	}
}

func TestWriteAppleProfileIdentifier(t *testing.T) {
	ident := func(addr string, opts *autoconfig.AppleOptions) (string, string) {
		t.Helper()
		var p struct{ PayloadIdentifier, PayloadUUID string }
		if _, err := plist.Unmarshal(writeApple(t, appleIMAPConfig(), autoconfig.Account{Address: addr}, opts), &p); err != nil {
			t.Fatal(err)
		}
		return p.PayloadIdentifier, p.PayloadUUID
	}
	id1, uuid1 := ident("fred@example.com", nil)
	id2, uuid2 := ident("fred@example.com", nil)
	if id1 != id2 {
		t.Errorf("PayloadIdentifier not stable: %q, then %q", id1, id2)
	}
	if !regexp.MustCompile(`^org\.mailsetup\.example\.com\.[0-9a-f]{16}$`).MatchString(id1) {
		t.Errorf("PayloadIdentifier = %q, want org.mailsetup.example.com.<16 hex digits>", id1)
	}
	if id3, _ := ident("Fred@EXAMPLE.com", nil); id3 != id1 {
		t.Errorf("PayloadIdentifier(Fred@EXAMPLE.com) = %q, want %q as for fred@example.com", id3, id1)
	}
	if id4, _ := ident("barney@example.com", nil); id4 == id1 {
		t.Errorf("PayloadIdentifier same for two addresses: %q", id4)
	}
	if id5, _ := ident("fred@bücher.example", nil); !strings.HasPrefix(id5, "org.mailsetup.xn--bcher-kva.example.") {
		t.Errorf("PayloadIdentifier(fred@bücher.example) = %q, want the A-label domain", id5)
	}
	v4 := regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$`)
	if !v4.MatchString(uuid1) || !v4.MatchString(uuid2) || uuid1 == uuid2 {
		t.Errorf("PayloadUUIDs %q, %q: want two different upper-case v4 UUIDs", uuid1, uuid2)
	}
	if id, _ := ident("fred@example.com", &autoconfig.AppleOptions{Identifier: "com.example.fred"}); id != "com.example.fred" {
		t.Errorf("PayloadIdentifier with Identifier set = %q, want com.example.fred", id)
	}
}

func TestWriteAppleProfileErrors(t *testing.T) {
	signer := appleSigner(t, "ecdsa", "pkcs8")
	noIncoming := appleIMAPConfig()
	noIncoming.Incoming = nil
	exchangeFirst := appleIMAPConfig()
	exchangeFirst.Incoming = append([]autoconfig.Server{{Protocol: "exchange", Hostname: "outlook.example.com", URL: "https://outlook.example.com/EWS"}}, exchangeFirst.Incoming...)
	noOutgoing := appleIMAPConfig()
	noOutgoing.Outgoing = nil
	oauthOnly := appleIMAPConfig()
	oauthOnly.Incoming[0].Auth = []autoconfig.Auth{autoconfig.AuthOAuth2}
	realName := appleIMAPConfig()
	realName.Incoming[0].Username = "%REALNAME%"
	badHost := appleIMAPConfig()
	badHost.Outgoing[0].Hostname = "smtp example com"
	badPort := appleIMAPConfig()
	badPort.Incoming[0].Port = 70000

	tests := []struct {
		name string
		cfg  *autoconfig.Config
		acct autoconfig.Account
		opts *autoconfig.AppleOptions
		want error
	}{
		{"nil config", nil, appleFred, nil, autoconfig.ErrAppleInput},
		{"no incoming server", noIncoming, appleFred, nil, autoconfig.ErrAppleUnsupported},
		{"non-mail protocol first", exchangeFirst, appleFred, nil, autoconfig.ErrAppleUnsupported},
		{"no outgoing server", noOutgoing, appleFred, nil, autoconfig.ErrAppleUnsupported},
		{"OAuth2 only", oauthOnly, appleFred, nil, autoconfig.ErrAppleUnsupported},
		{"unfillable placeholder", realName, autoconfig.Account{Address: "fred@example.com"}, nil, autoconfig.ErrAppleUnsupported},
		{"invalid host", badHost, appleFred, nil, autoconfig.ErrAppleUnsupported},
		{"invalid port", badPort, appleFred, nil, autoconfig.ErrAppleUnsupported},
		{"password without signer", appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{IncludePassword: true, Password: "hunter2"}, autoconfig.ErrUnsignedPassword},
		{"empty password", appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{IncludePassword: true, Signer: signer}, autoconfig.ErrAppleInput},
		{"no address", appleIMAPConfig(), autoconfig.Account{}, nil, autoconfig.ErrAppleInput},
		{"address without domain", appleIMAPConfig(), autoconfig.Account{Address: "fred@localhost"}, nil, autoconfig.ErrAppleInput},
		{"address with space", appleIMAPConfig(), autoconfig.Account{Address: "appleFred smith@example.com"}, nil, autoconfig.ErrAppleInput},
		{"bad identifier", appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{Identifier: "my profile"}, autoconfig.ErrAppleInput},
		{"bad UUID", appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{NewUUID: func() string { return "1" }}, autoconfig.ErrAppleInput},
		{"repeated UUID", appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{NewUUID: func() string { return "5F4A2B8E-3C1D-4E6F-9A7B-0C1D2E3F4A5B" }}, autoconfig.ErrAppleInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := autoconfig.WriteAppleProfile(&buf, tt.cfg, tt.acct, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("WriteAppleProfile() = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "autoconfig: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
			if buf.Len() != 0 {
				t.Errorf("WriteAppleProfile() wrote %d bytes on failure, want none", buf.Len())
			}
		})
	}
}

func TestWriteAppleProfileWriterError(t *testing.T) {
	want := errors.New("disk full")
	err := autoconfig.WriteAppleProfile(appleFailWriter{want}, appleIMAPConfig(), appleFred, nil)
	if !errors.Is(err, want) {
		t.Errorf("WriteAppleProfile(failing writer) = %v, want it wrapped", err)
	}
}

type appleFailWriter struct{ err error }

func (f appleFailWriter) Write([]byte) (int, error) { return 0, f.err }

func TestAppleContentType(t *testing.T) {
	if autoconfig.AppleContentType != "application/x-apple-aspen-config" {
		t.Errorf("AppleContentType = %q", autoconfig.AppleContentType)
	}
}

// ---- Schema check against Apple's device-management YAML ----

// TestAppleProfileSchema checks every profile the writer makes, unsigned
// and with a password (signed), against Apple's schema.
func TestAppleProfileSchema(t *testing.T) {
	schema := loadAppleSchema(t)
	signer := appleSigner(t, "ecdsa", "sec1")
	profiles := map[string][]byte{
		"imap":     writeApple(t, appleIMAPConfig(), appleFred, nil),
		"pop3":     writeApple(t, applePOP3Config(), appleFred, &autoconfig.AppleOptions{Organization: "Example"}),
		"password": appleSignedContent(t, writeApple(t, appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{IncludePassword: true, Password: "s3cret", Signer: signer})),
		"dav":      writeApple(t, appleDAVConfig(), appleFred, nil),
		"dav-password": appleSignedContent(t, writeApple(t, appleDAVConfig(), appleFred,
			&autoconfig.AppleOptions{IncludePassword: true, Password: "s3cret", Signer: signer})),
	}
	for name, data := range profiles {
		if problems := schema.check(data); len(problems) > 0 {
			t.Errorf("%s profile: %s", name, strings.Join(problems, "; "))
		}
	}
	var p struct{ PayloadContent []map[string]any }
	if _, err := plist.Unmarshal(profiles["password"], &p); err != nil {
		t.Fatal(err)
	}
	if got := p.PayloadContent[0]; got["IncomingPassword"] != "s3cret" || got["OutgoingPassword"] != "s3cret" {
		t.Errorf("IncludePassword: IncomingPassword = %#v, OutgoingPassword = %#v, want s3cret", got["IncomingPassword"], got["OutgoingPassword"])
	}
	var d struct{ PayloadContent []map[string]any }
	if _, err := plist.Unmarshal(profiles["dav-password"], &d); err != nil {
		t.Fatal(err)
	}
	if len(d.PayloadContent) != 3 || d.PayloadContent[1]["CalDAVPassword"] != "s3cret" || d.PayloadContent[2]["CardDAVPassword"] != "s3cret" {
		t.Errorf("IncludePassword with calendars: payloads %v, want mail, CalDAV and CardDAV with the password", d.PayloadContent)
	}
	for name, data := range profiles {
		if !strings.Contains(name, "password") && bytes.Contains(data, []byte("Password</key>\n\t\t\t\t<string>")) {
			t.Errorf("%s profile holds a password", name)
		}
	}
}

// TestAppleSchemaCheckerRejects proves the checker: each tampered profile
// must be reported, with the offending key named.
func TestAppleSchemaCheckerRejects(t *testing.T) {
	schema := loadAppleSchema(t)
	good := writeApple(t, appleIMAPConfig(), appleFred, nil)
	if p := schema.check(good); len(p) > 0 {
		t.Fatalf("untampered profile: %v", p)
	}
	payload := func(m map[string]any) map[string]any { return m["PayloadContent"].([]any)[0].(map[string]any) }
	tests := []struct {
		name   string
		tamper func(top map[string]any)
		want   string // in a reported problem
	}{
		{"unknown top-level key", func(m map[string]any) { m["PayloadFlavour"] = "x" }, "PayloadFlavour"},
		{"unknown payload key", func(m map[string]any) { payload(m)["IncomingMailServerUseTLS"] = true }, "IncomingMailServerUseTLS"},
		{"port as string", func(m map[string]any) { payload(m)["IncomingMailServerPortNumber"] = "993" }, "IncomingMailServerPortNumber"},
		{"boolean as integer", func(m map[string]any) { payload(m)["OutgoingMailServerUseSSL"] = 1 }, "OutgoingMailServerUseSSL"},
		{"version as string", func(m map[string]any) { m["PayloadVersion"] = "1" }, "PayloadVersion"},
		{"missing required payload key", func(m map[string]any) { delete(payload(m), "OutgoingMailServerHostName") }, "OutgoingMailServerHostName"},
		{"missing required top-level key", func(m map[string]any) { delete(m, "PayloadUUID") }, "PayloadUUID"},
		{"account type out of range", func(m map[string]any) { payload(m)["EmailAccountType"] = "EmailTypeExchange" }, "EmailAccountType"},
		{"auth out of range", func(m map[string]any) { payload(m)["IncomingMailServerAuthentication"] = "EmailAuthOAuth" }, "IncomingMailServerAuthentication"},
		{"profile version out of range", func(m map[string]any) { m["PayloadVersion"] = 2 }, "PayloadVersion"},
		{"profile type out of range", func(m map[string]any) { m["PayloadType"] = "Profile" }, "PayloadType"},
		{"iOS-only key", func(m map[string]any) { payload(m)["PreventMove"] = true }, "PreventMove"},
		{"wrong payload type", func(m map[string]any) { payload(m)["PayloadType"] = "com.apple.eas.account" }, "PayloadType"},
		{"content not an array", func(m map[string]any) { m["PayloadContent"] = map[string]any{} }, "PayloadContent"},
		{"no payload", func(m map[string]any) { m["PayloadContent"] = []any{} }, "PayloadContent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkTampered(t, schema, good, tt.tamper, tt.want) })
	}
	if p := schema.check([]byte("not a plist")); len(p) == 0 {
		t.Error("check(garbage) reported nothing")
	}
}

// checkTampered changes the profile good with tamper and checks that the
// schema checker reports a problem naming want.
func checkTampered(t *testing.T, schema *appleSchema, good []byte, tamper func(top map[string]any), want string) {
	t.Helper()
	var m map[string]any
	if _, err := plist.Unmarshal(good, &m); err != nil {
		t.Fatal(err)
	}
	tamper(m)
	data, err := plist.MarshalIndent(m, plist.XMLFormat, "\t")
	if err != nil {
		t.Fatal(err)
	}
	problems := schema.check(data)
	if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, want) }) {
		t.Errorf("check(tampered) = %q, want a problem naming %s", problems, want)
	}
}

// appleKeySpec is one payload key of Apple's schema (schema.md, "Payload/
// Response Keys Array Object").
type appleKeySpec struct {
	Key, Type, Presence, Format string
	Range                       []string
	Unsupported                 []string // OSes among iOS and macOS where introduced is n/a
	Deprecated                  bool
}

type appleSchemaFile struct {
	PayloadType string
	Keys        map[string]appleKeySpec
}

// appleSchema is the part of Apple's schema a profile of ours touches: the
// top level, the common payload keys, and each payload type's own keys.
type appleSchema struct {
	top, common appleSchemaFile
	payloads    map[string]appleSchemaFile // by PayloadType
}

func loadAppleSchema(t *testing.T) *appleSchema {
	t.Helper()
	check := func(name string, data []byte) appleSchemaFile {
		f, err := parseAppleSchema(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Guard against a silently lossy YAML reading: every "- key:" line
		// at the top of payloadkeys must have become a key.
		if n := len(regexp.MustCompile(`(?m)^- key: `).FindAll(data, -1)); n != len(f.Keys) || n == 0 {
			t.Fatalf("%s: read %d payload keys, the file has %d", name, len(f.Keys), n)
		}
		return f
	}
	load := func(name string) appleSchemaFile {
		path := filepath.Join(appleSpecDir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			if os.Getenv("MAILSETUP_NO_SHARED") == "1" {
				t.Skipf("MAILSETUP_NO_SHARED=1 and no Apple schema: %v", err)
			}
			t.Fatalf("Apple schema missing: %v (tests read ../shared/specs/apple beside the repository)", err)
		}
		return check(path, data)
	}
	s := &appleSchema{top: load("TopLevel.yaml"), common: load("CommonPayloadKeys.yaml"), payloads: map[string]appleSchemaFile{}}
	for _, f := range []appleSchemaFile{
		load("com.apple.mail.managed.yaml"),
		check("com.apple.caldav.account.yaml (embedded)", []byte(appleCalDAVYAML)),
		check("com.apple.carddav.account.yaml (embedded)", []byte(appleCardDAVYAML)),
	} {
		s.payloads[f.PayloadType] = f
	}
	return s
}

// parseAppleSchema extracts the payload type and keys of one schema file.
func parseAppleSchema(data []byte) (appleSchemaFile, error) {
	doc, err := appleParseYAML(data)
	if err != nil {
		return appleSchemaFile{}, err
	}
	root, ok := doc.(map[string]any)
	if !ok {
		return appleSchemaFile{}, errors.New("top level is not a mapping")
	}
	f := appleSchemaFile{Keys: map[string]appleKeySpec{}}
	if p, ok := root["payload"].(map[string]any); ok {
		f.PayloadType, _ = p["payloadtype"].(string)
	}
	if f.PayloadType == "" {
		return f, errors.New("no payload.payloadtype")
	}
	items, ok := root["payloadkeys"].([]any)
	if !ok {
		return f, errors.New("payloadkeys is not a list")
	}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return f, fmt.Errorf("payloadkeys[%d] is not a mapping", i)
		}
		k := appleKeySpec{}
		k.Key, _ = m["key"].(string)
		k.Type, _ = m["type"].(string)
		k.Presence, _ = m["presence"].(string)
		k.Format, _ = m["format"].(string)
		if k.Key == "" || k.Type == "" {
			return f, fmt.Errorf("payloadkeys[%d]: no key or type", i)
		}
		if k.Presence != "" && k.Presence != "required" && k.Presence != "optional" {
			return f, fmt.Errorf("%s: presence %q", k.Key, k.Presence)
		}
		if r, ok := m["rangelist"]; ok {
			list, ok := r.([]any)
			if !ok {
				return f, fmt.Errorf("%s: rangelist is not a list", k.Key)
			}
			for _, v := range list {
				s, ok := v.(string)
				if !ok {
					return f, fmt.Errorf("%s: rangelist entry %v is not a scalar", k.Key, v)
				}
				k.Range = append(k.Range, s)
			}
		}
		if os, ok := m["supportedOS"].(map[string]any); ok {
			for _, name := range []string{"iOS", "macOS"} {
				if o, ok := os[name].(map[string]any); ok {
					if o["introduced"] == "n/a" {
						k.Unsupported = append(k.Unsupported, name)
					}
					if _, dep := o["deprecated"]; dep {
						k.Deprecated = true
					}
				}
			}
		}
		if _, dup := f.Keys[k.Key]; dup {
			return f, fmt.Errorf("key %s twice", k.Key)
		}
		f.Keys[k.Key] = k
	}
	return f, nil
}

// check returns what in profile (an XML property list) breaks the schema:
// unknown keys, wrong types, missing required keys, values outside a
// rangelist or format, keys iOS or macOS do not support, deprecated keys.
func (s *appleSchema) check(profile []byte) []string {
	var top map[string]any
	format, err := plist.Unmarshal(profile, &top)
	if err != nil {
		return []string{fmt.Sprintf("not a property list: %v", err)}
	}
	if format != plist.XMLFormat {
		return []string{fmt.Sprintf("property list format %s, want XML", plist.FormatNames[format])}
	}
	problems := checkAppleDict("profile", top, s.top.Keys)
	content, ok := top["PayloadContent"].([]any)
	if !ok {
		return problems // reported as a wrong type or missing
	}
	if len(content) == 0 {
		problems = append(problems, "profile: PayloadContent is empty")
	}
	for i, item := range content {
		where := fmt.Sprintf("payload %d", i)
		d, ok := item.(map[string]any)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: PayloadContent item is %T, want dictionary", where, item))
			continue
		}
		pt, _ := d["PayloadType"].(string)
		own, ok := s.payloads[pt]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: PayloadType %v, want one of %v", where, d["PayloadType"], slices.Sorted(maps.Keys(s.payloads))))
			continue
		}
		keys := maps.Clone(s.common.Keys)
		maps.Copy(keys, own.Keys)
		problems = append(problems, checkAppleDict(where+" ("+pt+")", d, keys)...)
	}
	return problems
}

func checkAppleDict(where string, d map[string]any, specs map[string]appleKeySpec) []string {
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, where+": "+fmt.Sprintf(format, args...))
	}
	for _, k := range slices.Sorted(maps.Keys(d)) {
		v := d[k]
		spec, ok := specs[k]
		if !ok {
			bad("unknown key %s", k)
			continue
		}
		if !appleTypeOK(spec.Type, v) {
			bad("%s is %T, want %s", k, v, spec.Type)
			continue
		}
		if len(spec.Range) > 0 && !slices.Contains(spec.Range, fmt.Sprint(v)) {
			bad("%s = %v, not among %v", k, v, spec.Range)
		}
		if s, ok := v.(string); ok && spec.Format != "" {
			if re, err := regexp.Compile(spec.Format); err != nil || !re.MatchString(s) {
				bad("%s = %q does not match %s", k, s, spec.Format)
			}
		}
		if len(spec.Unsupported) > 0 {
			bad("%s is not supported on %v", k, spec.Unsupported)
		}
		if spec.Deprecated {
			bad("%s is deprecated", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(specs)) {
		if _, ok := d[k]; !ok && specs[k].Presence == "required" {
			bad("required key %s missing", k)
		}
	}
	return problems
}

// appleTypeOK reports whether a decoded plist value has the schema's type.
func appleTypeOK(typ string, v any) bool {
	switch typ {
	case "<string>":
		_, ok := v.(string)
		return ok
	case "<integer>":
		switch v.(type) {
		case uint64, int64:
			return true
		}
	case "<real>":
		switch v.(type) {
		case float64, float32:
			return true
		}
	case "<boolean>":
		_, ok := v.(bool)
		return ok
	case "<array>":
		_, ok := v.([]any)
		return ok
	case "<dictionary>":
		_, ok := v.(map[string]any)
		return ok
	case "<data>":
		_, ok := v.([]byte)
		return ok
	case "<date>":
		_, ok := v.(interface{ Unix() int64 })
		return ok
	case "<any>":
		return true
	}
	return false
}

// ---- A YAML-subset reader, enough for Apple's schema files ----
//
// It reads block mappings and sequences by indentation (a sequence may sit at
// its key's indentation), plain scalars folded over continuation lines,
// single- and double-quoted scalars, and literal (|) and folded (>) block
// scalars with their chomping indicators. Scalars stay strings; an empty
// value is "". Flow collections, anchors, tags and multiple documents are
// refused or not expected. The go.mod has no YAML library on purpose.

type yamlLine struct {
	n      int // 1-based line number
	indent int // -1 for a blank line
	text   string
	raw    string
}

type yamlReader struct {
	lines []yamlLine
	i     int
}

func appleParseYAML(data []byte) (any, error) {
	r := &yamlReader{}
	for i, raw := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		text := strings.TrimLeft(raw, " ")
		if strings.HasPrefix(text, "\t") {
			return nil, fmt.Errorf("line %d: tab in indentation", i+1)
		}
		l := yamlLine{n: i + 1, indent: len(raw) - len(text), text: strings.TrimRight(text, " \t"), raw: raw}
		switch {
		case l.indent == 0 && (l.text == "---" || l.text == "..."):
			continue
		case strings.HasPrefix(l.text, "#"):
			l.text = "" // a comment line is blank outside block scalars
			fallthrough
		case l.text == "":
			l.indent = -1
		}
		r.lines = append(r.lines, l)
	}
	if !r.skipBlank() {
		return nil, nil
	}
	v, err := r.node(r.lines[r.i].indent)
	if err != nil {
		return nil, err
	}
	if r.skipBlank() {
		return nil, fmt.Errorf("line %d: unexpected text %q", r.lines[r.i].n, r.lines[r.i].text)
	}
	return v, nil
}

// skipBlank moves past blank lines and reports whether a line remains.
func (r *yamlReader) skipBlank() bool {
	for r.i < len(r.lines) && r.lines[r.i].indent < 0 {
		r.i++
	}
	return r.i < len(r.lines)
}

func yamlSeqItem(text string) bool { return text == "-" || strings.HasPrefix(text, "- ") }

var yamlKey = regexp.MustCompile(`^([A-Za-z0-9_][A-Za-z0-9_./ -]*|'[^']*'|"[^"]*"):(?:[ ]+(.*))?$`)

// yamlSplitKey splits "key: rest" into key and rest.
func yamlSplitKey(text string) (key, rest string, ok bool) {
	m := yamlKey.FindStringSubmatch(text)
	if m == nil {
		return "", "", false
	}
	key = m[1]
	if key[0] == '\'' || key[0] == '"' {
		key = key[1 : len(key)-1]
	}
	return key, m[2], true
}

func (r *yamlReader) node(indent int) (any, error) {
	if yamlSeqItem(r.lines[r.i].text) {
		return r.sequence(indent)
	}
	return r.mapping(indent)
}

func (r *yamlReader) mapping(indent int) (map[string]any, error) {
	m := map[string]any{}
	for r.skipBlank() {
		l := r.lines[r.i]
		if l.indent < indent {
			break
		}
		if l.indent > indent || yamlSeqItem(l.text) {
			return nil, fmt.Errorf("line %d: unexpected %q in a mapping at indentation %d", l.n, l.text, indent)
		}
		key, rest, ok := yamlSplitKey(l.text)
		if !ok {
			return nil, fmt.Errorf("line %d: %q is not key: value", l.n, l.text)
		}
		if _, dup := m[key]; dup {
			return nil, fmt.Errorf("line %d: key %q twice", l.n, key)
		}
		r.i++
		v, err := r.value(indent, rest, l.n)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	return m, nil
}

// value reads what follows "key:" or "- " on a line of the given
// indentation: a nested block, a block scalar or an inline scalar.
func (r *yamlReader) value(indent int, rest string, n int) (any, error) {
	switch {
	case rest == "":
		if r.skipBlank() {
			next := r.lines[r.i]
			if next.indent > indent || next.indent == indent && yamlSeqItem(next.text) {
				return r.node(next.indent)
			}
		}
		return "", nil
	case rest[0] == '|' || rest[0] == '>':
		return r.block(indent, rest, n)
	case rest[0] == '[' || rest[0] == '{' || rest[0] == '&' || rest[0] == '*' || rest[0] == '!':
		return nil, fmt.Errorf("line %d: flow collections, anchors and tags are not supported", n)
	}
	return r.scalar(indent, rest, n)
}

func (r *yamlReader) sequence(indent int) ([]any, error) {
	var list []any
	for r.skipBlank() {
		l := r.lines[r.i]
		if l.indent < indent || l.indent == indent && !yamlSeqItem(l.text) {
			break
		}
		if l.indent > indent {
			return nil, fmt.Errorf("line %d: unexpected %q in a sequence at indentation %d", l.n, l.text, indent)
		}
		content := strings.TrimLeft(strings.TrimPrefix(l.text, "-"), " ")
		if _, _, isMap := yamlSplitKey(content); isMap {
			// "- key: v" starts a mapping indented by the dash and its spaces.
			inner := l.indent + len(l.text) - len(content)
			r.lines[r.i].indent, r.lines[r.i].text = inner, content
			m, err := r.mapping(inner)
			if err != nil {
				return nil, err
			}
			list = append(list, m)
			continue
		}
		r.i++
		v, err := r.value(indent, content, l.n)
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return list, nil
}

// scalar reads an inline scalar and its continuation lines (indented deeper
// than the key), folding line breaks into spaces.
func (r *yamlReader) scalar(indent int, first string, n int) (string, error) {
	parts := []string{first}
	for r.i < len(r.lines) && r.lines[r.i].indent > indent {
		parts = append(parts, r.lines[r.i].text)
		r.i++
	}
	s := strings.Join(parts, " ")
	switch s[0] {
	case '\'':
		if len(s) < 2 || s[len(s)-1] != '\'' {
			return "", fmt.Errorf("line %d: unterminated single-quoted scalar", n)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case '"':
		u, err := strconv.Unquote(s)
		if err != nil {
			return "", fmt.Errorf("line %d: double-quoted scalar: %v", n, err)
		}
		return u, nil
	}
	if i := strings.Index(s, " #"); i >= 0 {
		s = strings.TrimRight(s[:i], " ")
	}
	return s, nil
}

// block reads a literal (|) or folded (>) block scalar whose header is hdr.
func (r *yamlReader) block(indent int, hdr string, n int) (string, error) {
	chomp := strings.TrimLeft(hdr[1:], "0123456789")
	if chomp != "" && chomp != "-" && chomp != "+" {
		return "", fmt.Errorf("line %d: block scalar header %q", n, hdr)
	}
	var lines []string
	blockIndent := -1
	for r.i < len(r.lines) {
		l := r.lines[r.i]
		if l.indent >= 0 && l.indent <= indent {
			break
		}
		if l.indent >= 0 && blockIndent < 0 {
			blockIndent = l.indent
		}
		if l.indent < 0 || blockIndent < 0 {
			lines = append(lines, "")
		} else {
			if l.indent < blockIndent {
				return "", fmt.Errorf("line %d: less indented than its block scalar", l.n)
			}
			lines = append(lines, strings.TrimRight(l.raw[blockIndent:], " \t"))
		}
		r.i++
	}
	trailing := 0
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
		trailing++
	}
	sep := "\n"
	if hdr[0] == '>' {
		sep = " " // folding, enough for prose without blank lines
	}
	s := strings.Join(lines, sep)
	switch chomp {
	case "":
		s += "\n"
	case "+":
		s += strings.Repeat("\n", trailing+1)
	}
	return s, nil
}

func TestAppleYAMLReader(t *testing.T) {
	const doc = `---
title: Sample
# a comment
payload:
  payloadtype: 'com.example.x'
  supportedOS:
    iOS:
      introduced: '4.0'
list:
- a
- 'b c'
- "d\te"
keys:
- key: One
  type: <string>
  rangelist:
  - 1
  - 2
  content: A plain scalar
    folded over: two lines.
- key: Two
  content: |-
    Literal text:
      indented line

    after a blank.
  note: >
    folded
    text
  empty:
`
	got, err := appleParseYAML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"title":   "Sample",
		"payload": map[string]any{"payloadtype": "com.example.x", "supportedOS": map[string]any{"iOS": map[string]any{"introduced": "4.0"}}},
		"list":    []any{"a", "b c", "d\te"},
		"keys": []any{
			map[string]any{"key": "One", "type": "<string>", "rangelist": []any{"1", "2"}, "content": "A plain scalar folded over: two lines."},
			map[string]any{"key": "Two", "content": "Literal text:\n  indented line\n\nafter a blank.", "note": "folded text\n", "empty": ""},
		},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("appleParseYAML() =\n%v\nwant\n%v", got, want)
	}
	for _, bad := range []string{"a:\n  b: 1\n c: 2\n", "a: [1, 2]\n", "- a\nb: 1\n", "a: 'open\n", "\tx: 1\n", "a: 1\na: 2\n"} {
		if v, err := appleParseYAML([]byte(bad)); err == nil {
			t.Errorf("appleParseYAML(%q) = %v, want an error", bad, v)
		}
	}

	// The real files: a multi-line block and a folded plain scalar survive.
	schema := loadAppleSchema(t)
	mail := schema.payloads["com.apple.mail.managed"]
	if r := mail.Keys["IncomingMailServerAuthentication"].Range; len(r) != 5 || r[0] != "EmailAuthNone" {
		t.Errorf("IncomingMailServerAuthentication rangelist = %q, want the 5 EmailAuth values", r)
	}
	if k := mail.Keys["PreventMove"]; !slices.Equal(k.Unsupported, []string{"macOS"}) {
		t.Errorf("PreventMove unsupported on %v, want [macOS]", k.Unsupported)
	}
	if k := schema.top.Keys["PayloadVersion"]; k.Type != "<integer>" || !slices.Equal(k.Range, []string{"1"}) || k.Presence != "required" {
		t.Errorf("TopLevel PayloadVersion = %+v", k)
	}
	if mail.PayloadType != "com.apple.mail.managed" {
		t.Errorf("mail payloadtype = %q", mail.PayloadType)
	}
	if k := schema.payloads["com.apple.carddav.account"].Keys["CardDAVPrincipalURL"]; !slices.Equal(k.Unsupported, []string{"macOS"}) {
		t.Errorf("CardDAVPrincipalURL unsupported on %v, want [macOS]", k.Unsupported)
	}
}

// ---- Example ----

func ExampleWriteAppleProfile() {
	cfg := &autoconfig.Config{
		Incoming: []autoconfig.Server{{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 993,
			Security: autoconfig.TLS, Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"}},
		Outgoing: []autoconfig.Server{{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 587,
			Security: autoconfig.STARTTLS, Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"}},
	}
	var buf bytes.Buffer
	// Serve the result as autoconfig.AppleContentType; NewUUID is set only
	// to make this example's output reproducible.
	err := autoconfig.WriteAppleProfile(&buf, cfg, autoconfig.Account{Address: "fred@example.com"},
		&autoconfig.AppleOptions{NewUUID: appleSeqUUIDs()})
	if err != nil {
		fmt.Println(err)
		return
	}
	var p struct {
		PayloadIdentifier string
		PayloadContent    []map[string]any
	}
	if _, err := plist.Unmarshal(buf.Bytes(), &p); err != nil {
		fmt.Println(err)
		return
	}
	mail := p.PayloadContent[0]
	fmt.Println(p.PayloadIdentifier)
	for _, k := range []string{"EmailAccountType", "IncomingMailServerHostName", "IncomingMailServerUseSSL",
		"OutgoingMailServerPortNumber", "OutgoingMailServerUseSSL", "OutgoingMailServerUsername"} {
		fmt.Printf("%s: %v\n", k, mail[k])
	}
	// Output:
	// org.mailsetup.example.com.2f72cd84e238657a
	// EmailAccountType: EmailTypeIMAP
	// IncomingMailServerHostName: imap.example.com
	// IncomingMailServerUseSSL: true
	// OutgoingMailServerPortNumber: 587
	// OutgoingMailServerUseSSL: true
	// OutgoingMailServerUsername: fred@example.com
}

// ---- Signing ----

// applePKIs is a root CA and an intermediate, made once per test binary.
type applePKIs struct {
	root, inter       *x509.Certificate
	rootKey, interKey *ecdsa.PrivateKey
	rootPEM, interPEM []byte
	rsaKey            *rsa.PrivateKey
	ecKey             *ecdsa.PrivateKey
}

var (
	applePKIOnce sync.Once
	applePKI     applePKIs
	applePKIErr  error
)

func appleECKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func appleIssueCert(tmpl, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func appleCertPEM(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

var appleSerial atomic.Int64

func appleCertTemplate(cn string, ca bool, notBefore, notAfter time.Time) *x509.Certificate {
	t := &x509.Certificate{
		SerialNumber: big.NewInt(appleSerial.Add(1)),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Mailsetup test"}},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
	}
	if ca {
		t.IsCA, t.BasicConstraintsValid = true, true
		t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		// A TLS server certificate, the kind people sign profiles with.
		t.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		t.DNSNames = []string{cn}
	}
	return t
}

func appleTestPKI(t *testing.T) *applePKIs {
	t.Helper()
	applePKIOnce.Do(func() {
		now := time.Now()
		p := &applePKI
		if p.rootKey, applePKIErr = appleECKey(); applePKIErr != nil {
			return
		}
		rootT := appleCertTemplate("Mailsetup Test Root", true, now.Add(-time.Hour), now.Add(48*time.Hour))
		if p.root, applePKIErr = appleIssueCert(rootT, rootT, p.rootKey.Public(), p.rootKey); applePKIErr != nil {
			return
		}
		if p.interKey, applePKIErr = appleECKey(); applePKIErr != nil {
			return
		}
		interT := appleCertTemplate("Mailsetup Test Intermediate", true, now.Add(-time.Hour), now.Add(48*time.Hour))
		if p.inter, applePKIErr = appleIssueCert(interT, p.root, p.interKey.Public(), p.rootKey); applePKIErr != nil {
			return
		}
		p.rootPEM, p.interPEM = appleCertPEM(p.root), appleCertPEM(p.inter)
		if p.rsaKey, applePKIErr = rsa.GenerateKey(rand.Reader, 2048); applePKIErr != nil {
			return
		}
		p.ecKey, applePKIErr = appleECKey()
	})
	if applePKIErr != nil {
		t.Fatal(applePKIErr)
	}
	return &applePKI
}

// appleLeafPEM returns a leaf certificate issued by the intermediate, followed by
// the intermediate, and its key (kind rsa or ecdsa) in the encoding enc
// (pkcs1, pkcs8 or sec1).
func appleLeafPEM(t *testing.T, kind, enc string) (certs, key []byte, leaf *x509.Certificate) {
	t.Helper()
	p := appleTestPKI(t)
	var k crypto.Signer = p.ecKey
	if kind == "rsa" {
		k = p.rsaKey
	}
	now := time.Now()
	leaf, err := appleIssueCert(appleCertTemplate("mail.example.com", false, now.Add(-time.Hour), now.Add(24*time.Hour)), p.inter, k.Public(), p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	return append(appleCertPEM(leaf), p.interPEM...), appleKeyPEM(t, k, enc), leaf
}

func appleKeyPEM(t *testing.T, k crypto.Signer, enc string) []byte {
	t.Helper()
	var b *pem.Block
	var err error
	switch enc {
	case "pkcs1":
		b = &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey))}
	case "sec1":
		b = &pem.Block{Type: "EC PRIVATE KEY"}
		b.Bytes, err = x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
	default:
		b = &pem.Block{Type: "PRIVATE KEY"}
		b.Bytes, err = x509.MarshalPKCS8PrivateKey(k)
	}
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(b)
}

func appleSigner(t *testing.T, kind, enc string) *autoconfig.Signer {
	t.Helper()
	certs, key, _ := appleLeafPEM(t, kind, enc)
	s, err := autoconfig.LoadSignerPEM(certs, key)
	if err != nil {
		t.Fatalf("LoadSignerPEM() = %v", err)
	}
	return s
}

// appleSignedContent verifies a signed profile in Go against the test root and
// returns the profile inside.
func appleSignedContent(t *testing.T, der []byte) []byte {
	t.Helper()
	p7, err := pkcs7.Parse(der)
	if err != nil {
		t.Fatalf("pkcs7.Parse(signed profile) = %v", err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(appleTestPKI(t).root)
	if err := p7.VerifyWithChain(roots); err != nil {
		t.Fatalf("VerifyWithChain(signed profile) = %v", err)
	}
	return p7.Content
}

func appleNeedOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		t.Fatalf("openssl not found (%v): the signature tests verify with Debian's openssl; install it with apt-get install openssl (the Makefile does)", err)
	}
	return path
}

// appleOpenSSLVerify runs openssl cms -verify on a DER file with the test root as
// the only trust anchor, and returns the content it prints, or an error with
// openssl's output. -purpose any because the signer holds a TLS server
// certificate (extended key usage serverAuth), as profile signers usually
// do; Apple's clients accept those, openssl's default S/MIME purpose does not.
func appleOpenSSLVerify(t *testing.T, openssl, dir string, der []byte) ([]byte, error) {
	t.Helper()
	in, ca, out := filepath.Join(dir, "signed.mobileconfig"), filepath.Join(dir, "ca.pem"), filepath.Join(dir, "content.plist")
	_ = os.Remove(out)
	if err := os.WriteFile(in, der, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, appleTestPKI(t).rootPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(openssl, "cms", "-verify", "-inform", "DER", "-in", in, "-CAfile", ca,
		"-purpose", "any", "-binary", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, msg)
	}
	return os.ReadFile(out)
}

func TestSignProfileOpenSSL(t *testing.T) {
	openssl := appleNeedOpenSSL(t)
	profile := writeApple(t, appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{NewUUID: appleSeqUUIDs()})
	for _, tc := range []struct{ kind, enc string }{
		{"rsa", "pkcs1"}, {"rsa", "pkcs8"}, {"ecdsa", "sec1"}, {"ecdsa", "pkcs8"},
	} {
		t.Run(tc.kind+"-"+tc.enc, func(t *testing.T) {
			dir := t.TempDir()
			certs, key, leaf := appleLeafPEM(t, tc.kind, tc.enc)
			s, err := autoconfig.LoadSignerPEM(certs, key)
			if err != nil {
				t.Fatalf("LoadSignerPEM() = %v", err)
			}
			if !s.Certificate().Equal(leaf) {
				t.Errorf("Signer.Certificate() = %q, want the leaf", s.Certificate().Subject)
			}
			der, err := autoconfig.SignProfile(profile, s)
			if err != nil {
				t.Fatalf("SignProfile() = %v", err)
			}

			got, err := appleOpenSSLVerify(t, openssl, dir, der)
			if err != nil {
				t.Fatalf("openssl cms -verify: %v", err)
			}
			if !bytes.Equal(got, profile) {
				t.Errorf("openssl's content differs from the profile:\n%s", appleDiff(got, profile))
			}

			// In Go: content, chain embedded, SHA-256.
			p7, err := pkcs7.Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p7.Content, profile) {
				t.Error("pkcs7 content differs from the profile")
			}
			if err := p7.Verify(); err != nil {
				t.Errorf("Verify() = %v", err)
			}
			if got := appleSignedContent(t, der); !bytes.Equal(got, profile) {
				t.Error("verified content differs from the profile")
			}
			if len(p7.Certificates) != 2 {
				t.Errorf("%d certificates embedded, want leaf and intermediate", len(p7.Certificates))
			}
			if alg := p7.Signers[0].DigestAlgorithm.Algorithm; !alg.Equal(pkcs7.OIDDigestAlgorithmSHA256) {
				t.Errorf("digest algorithm %v, want SHA-256", alg)
			}

			// Tampering breaks verification, in openssl and in Go.
			badSig := bytes.Clone(der)
			badSig[len(badSig)-1] ^= 0x01 // the signature value ends the DER
			badContent := bytes.Replace(der, []byte("<integer>993</integer>"), []byte("<integer>994</integer>"), 1)
			if bytes.Equal(badContent, der) {
				t.Fatal("profile not found in the DER")
			}
			for name, bad := range map[string][]byte{"signature": badSig, "content": badContent} {
				if _, err := appleOpenSSLVerify(t, openssl, dir, bad); err == nil {
					t.Errorf("openssl cms -verify accepted a tampered %s", name)
				}
				if p7, err := pkcs7.Parse(bad); err == nil && p7.Verify() == nil {
					t.Errorf("pkcs7 Verify accepted a tampered %s", name)
				}
			}
		})
	}
}

// TestWriteAppleProfileSigned: with a Signer the writer's output is the
// signed form of exactly what it writes without one.
func TestWriteAppleProfileSigned(t *testing.T) {
	s := appleSigner(t, "rsa", "pkcs8")
	plain := writeApple(t, appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{NewUUID: appleSeqUUIDs()})
	signed := writeApple(t, appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{NewUUID: appleSeqUUIDs(), Signer: s})
	if bytes.HasPrefix(signed, []byte("<?xml")) {
		t.Fatal("WriteAppleProfile with a Signer wrote XML, want CMS DER")
	}
	if got := appleSignedContent(t, signed); !bytes.Equal(got, plain) {
		t.Errorf("signed content differs from the unsigned profile:\n%s", appleDiff(got, plain))
	}
	withPass := appleSignedContent(t, writeApple(t, appleIMAPConfig(), appleFred,
		&autoconfig.AppleOptions{Signer: s, IncludePassword: true, Password: "pa<ss>&"}))
	if !bytes.Contains(withPass, []byte("<key>IncomingPassword</key>")) || !bytes.Contains(withPass, []byte("pa&lt;ss&gt;&amp;")) {
		t.Error("signed profile with IncludePassword lacks the escaped password")
	}
	if !bytes.Contains(withPass, []byte("The password is included")) {
		t.Error("PayloadDescription does not warn that the password is included")
	}
}

func TestLoadSignerPEMVariants(t *testing.T) {
	certs, key, leaf := appleLeafPEM(t, "ecdsa", "sec1")
	p := appleTestPKI(t)
	combined := append(bytes.Clone(certs), key...)
	// openssl ecparam -genkey writes EC PARAMETERS before the key.
	withParams := append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}}), key...)
	for name, in := range map[string][2][]byte{
		"combined file twice":    {combined, combined},
		"combined file, no key":  {combined, nil},
		"intermediate first":     {append(bytes.Clone(p.interPEM), appleCertPEM(leaf)...), key},
		"with root":              {append(bytes.Clone(certs), p.rootPEM...), key},
		"EC PARAMETERS with key": {certs, withParams},
	} {
		s, err := autoconfig.LoadSignerPEM(in[0], in[1])
		if err != nil {
			t.Errorf("%s: LoadSignerPEM() = %v", name, err)
			continue
		}
		der, err := autoconfig.SignProfile([]byte("<plist/>"), s)
		if err != nil {
			t.Errorf("%s: SignProfile() = %v", name, err)
			continue
		}
		appleSignedContent(t, der)
	}
}

func TestLoadSignerPEMErrors(t *testing.T) {
	certs, key, _ := appleLeafPEM(t, "ecdsa", "pkcs8")
	p := appleTestPKI(t)
	otherKey := appleKeyPEM(t, p.rsaKey, "pkcs8")
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	smallCert, err := appleIssueCert(appleCertTemplate("small", false, now.Add(-time.Hour), now.Add(time.Hour)), p.inter, small.Public(), p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edCert, err := appleIssueCert(appleCertTemplate("ed", false, now.Add(-time.Hour), now.Add(time.Hour)), p.inter, edKey.Public(), p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	caOnlyT := appleCertTemplate("no signatures", false, now.Add(-time.Hour), now.Add(time.Hour))
	caOnlyT.KeyUsage = x509.KeyUsageKeyEncipherment
	caOnly, err := appleIssueCert(caOnlyT, p.inter, p.rsaKey.Public(), p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0}})
	legacy := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{0x30, 0}})

	for name, in := range map[string][2][]byte{
		"no certificate":       {nil, key},
		"no key":               {certs, nil},
		"key of no cert":       {certs, otherKey},
		"two different keys":   {certs, append(bytes.Clone(key), otherKey...)},
		"encrypted PKCS#8":     {certs, encrypted},
		"encrypted legacy PEM": {certs, legacy},
		"garbage key":          {certs, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("junk")})},
		"garbage certificate":  {pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")}), key},
		"RSA 1024":             {appleCertPEM(smallCert), appleKeyPEM(t, small, "pkcs1")},
		"Ed25519":              {appleCertPEM(edCert), appleKeyPEM(t, edKey, "pkcs8")},
		"no digitalSignature":  {appleCertPEM(caOnly), otherKey},
	} {
		if _, err := autoconfig.LoadSignerPEM(in[0], in[1]); !errors.Is(err, autoconfig.ErrSigner) {
			t.Errorf("%s: LoadSignerPEM() = %v, want ErrSigner", name, err)
		}
	}
}

func TestSignProfileErrors(t *testing.T) {
	p := appleTestPKI(t)
	now := time.Now()
	expired, err := appleIssueCert(appleCertTemplate("expired", false, now.Add(-48*time.Hour), now.Add(-24*time.Hour)), p.inter, p.ecKey.Public(), p.interKey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := autoconfig.LoadSignerPEM(appleCertPEM(expired, p.inter), appleKeyPEM(t, p.ecKey, "sec1"))
	if err != nil {
		t.Fatalf("LoadSignerPEM(expired) = %v; loading does not check the time", err)
	}
	if _, err := autoconfig.SignProfile([]byte("<plist/>"), s); !errors.Is(err, autoconfig.ErrSigner) {
		t.Errorf("SignProfile(expired) = %v, want ErrSigner", err)
	}
	var buf bytes.Buffer
	if err := autoconfig.WriteAppleProfile(&buf, appleIMAPConfig(), appleFred, &autoconfig.AppleOptions{Signer: s}); !errors.Is(err, autoconfig.ErrSigner) || buf.Len() != 0 {
		t.Errorf("WriteAppleProfile(expired signer) = %v, %d bytes; want ErrSigner, nothing written", err, buf.Len())
	}
	for name, s := range map[string]*autoconfig.Signer{"nil": nil, "zero": {}} {
		if _, err := autoconfig.SignProfile([]byte("<plist/>"), s); !errors.Is(err, autoconfig.ErrSigner) {
			t.Errorf("SignProfile(%s Signer) = %v, want ErrSigner", name, err)
		}
	}
	if _, err := autoconfig.NewSigner(nil, []*x509.Certificate{p.inter}); !errors.Is(err, autoconfig.ErrSigner) {
		t.Errorf("NewSigner(nil key) = %v, want ErrSigner", err)
	}
}

func TestLoadSignerP12(t *testing.T) {
	openssl := appleNeedOpenSSL(t)
	dir := t.TempDir()
	certs, key, leaf := appleLeafPEM(t, "rsa", "pkcs8")
	p := appleTestPKI(t)
	files := map[string][]byte{"leaf.pem": appleCertPEM(leaf), "inter.pem": p.interPEM, "key.pem": key}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "id.p12")
	cmd := exec.Command(openssl, "pkcs12", "-export", "-inkey", filepath.Join(dir, "key.pem"),
		"-in", filepath.Join(dir, "leaf.pem"), "-certfile", filepath.Join(dir, "inter.pem"),
		"-passout", "pass:s3cret", "-out", out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl pkcs12 -export: %v: %s", err, msg)
	}
	fromOpenSSL, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := gopkcs12.LegacyDES.Encode(p.rsaKey, leaf, []*x509.Certificate{p.inter}, "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"openssl (AES, PBKDF2)": fromOpenSSL, "legacy 3DES": legacy} {
		s, err := autoconfig.LoadSignerP12(data, "s3cret")
		if err != nil {
			t.Errorf("%s: LoadSignerP12() = %v", name, err)
			continue
		}
		der, err := autoconfig.SignProfile([]byte("<plist/>"), s)
		if err != nil {
			t.Fatalf("%s: SignProfile() = %v", name, err)
		}
		if p7, _ := pkcs7.Parse(der); p7 == nil || len(p7.Certificates) != 2 {
			t.Errorf("%s: want leaf and intermediate embedded", name)
		}
		appleSignedContent(t, der)
		if _, err := autoconfig.LoadSignerP12(data, "wrong"); !errors.Is(err, autoconfig.ErrSigner) || !strings.Contains(err.Error(), "wrong password") {
			t.Errorf("%s: LoadSignerP12(wrong password) = %v, want ErrSigner saying wrong password", name, err)
		}
	}
	if _, err := autoconfig.LoadSignerP12(certs, "s3cret"); !errors.Is(err, autoconfig.ErrSigner) {
		t.Errorf("LoadSignerP12(PEM) = %v, want ErrSigner", err)
	}
}
