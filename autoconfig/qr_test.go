package autoconfig_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqrcode "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// qrAccount is one account of a payload, read as Thunderbird for Android's
// QrCodePayloadAdapter.kt reads it and checked as QrCodePayloadValidator.kt
// and IntValueMapper.kt check it.
type qrAccount struct {
	Incoming   []any   // protocol, host, port, security, auth, user[, account name[, password]]
	Outgoing   []any   // protocol, host, port, security, auth, user[, password]
	Identities [][]any // email, display name
}

// parseQR reads a payload the way the Android app does and fails the test
// where the app would reject it.
func parseQR(t *testing.T, payload []byte) []qrAccount {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	var root []any
	if err := d.Decode(&root); err != nil {
		t.Fatalf("payload %s is not a JSON array: %v", payload, err)
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("payload %s: %s", payload, fmt.Sprintf(format, args...))
	}
	intIn := func(v any, what string, allowed ...int) int {
		t.Helper()
		n, ok := v.(json.Number)
		if !ok {
			fail("%s = %#v, want an integer", what, v)
		}
		i, err := n.Int64()
		if err != nil {
			fail("%s = %s, want an integer", what, n)
		}
		if len(allowed) > 0 {
			for _, a := range allowed {
				if int(i) == a {
					return int(i)
				}
			}
			fail("%s = %d, want one of %v", what, i, allowed)
		}
		return int(i)
	}
	str := func(v any, what string) string {
		t.Helper()
		s, ok := v.(string)
		if !ok {
			fail("%s = %#v, want a string (Moshi nextString refuses null)", what, v)
		}
		if strings.ContainsAny(s, "\r\n") {
			fail("%s %q has a line break", what, s)
		}
		return s
	}
	arr := func(v any, what string, min int) []any {
		t.Helper()
		a, ok := v.([]any)
		if !ok || len(a) < min {
			fail("%s = %#v, want an array of at least %d elements", what, v, min)
		}
		return a
	}
	if len(root) < 4 || (len(root)-2)%2 != 0 {
		fail("root has %d elements, want 2 + pairs of incoming server and outgoing groups", len(root))
	}
	intIn(root[0], "FormatVersion", 1)
	misc := arr(root[1], "MiscellaneousData", 2)
	seq, end := intIn(misc[0], "SequenceNumber"), intIn(misc[1], "SequenceEnd")
	if seq < 1 || seq > end {
		fail("sequence %d of %d", seq, end)
	}
	var accounts []qrAccount
	for i := 2; i < len(root); i += 2 {
		var a qrAccount
		a.Incoming = arr(root[i], "IncomingServer", 6)
		intIn(a.Incoming[0], "IncomingProtocol", 0, 1)
		str(a.Incoming[1], "Hostname")
		if p := intIn(a.Incoming[2], "Port"); p < 1 || p > 65535 {
			fail("Port %d", p)
		}
		intIn(a.Incoming[3], "ConnectionSecurity", 0, 1, 2, 3)
		intIn(a.Incoming[4], "AuthenticationType", 0, 1, 2, 5, 6) // 3, 4 rejected
		for j := 5; j < len(a.Incoming); j++ {
			str(a.Incoming[j], "incoming string")
		}
		groups := arr(root[i+1], "OutgoingServerGroups", 1)
		for _, g := range groups {
			group := arr(g, "OutgoingServerGroup", 2)
			a.Outgoing = arr(group[0], "OutgoingServer", 6)
			intIn(a.Outgoing[0], "OutgoingProtocol", 0)
			str(a.Outgoing[1], "Hostname")
			if p := intIn(a.Outgoing[2], "Port"); p < 1 || p > 65535 {
				fail("Port %d", p)
			}
			intIn(a.Outgoing[3], "ConnectionSecurity", 0, 1, 2, 3)
			intIn(a.Outgoing[4], "AuthenticationType", 0, 1, 2, 5, 6)
			for j := 5; j < len(a.Outgoing); j++ {
				str(a.Outgoing[j], "outgoing string")
			}
			for _, id := range group[1:] {
				ident := arr(id, "Identity", 2)
				email := str(ident[0], "EmailAddress")
				if !strings.Contains(email, "@") {
					fail("EmailAddress %q", email)
				}
				str(ident[1], "DisplayName")
				a.Identities = append(a.Identities, ident)
			}
		}
		accounts = append(accounts, a)
	}
	return accounts
}

func TestQRPayload(t *testing.T) {
	oauth := exportConfig()
	oauth.Incoming[0].Auth = []autoconfig.Auth{autoconfig.AuthGSSAPI, autoconfig.AuthOAuth2}
	oauth.Outgoing[0].Auth = []autoconfig.Auth{autoconfig.AuthNTLM, autoconfig.AuthOAuth2}
	pop := &autoconfig.Config{
		Incoming: []autoconfig.Server{
			{Protocol: "ews", URL: "https://mail.example.com/ews"},
			{Protocol: autoconfig.POP3, Hostname: "pop.%EMAILDOMAIN%", Port: 110, Security: autoconfig.STARTTLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordEncrypted}},
		},
		Outgoing: []autoconfig.Server{{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 25,
			Security: autoconfig.Plain, Auth: []autoconfig.Auth{autoconfig.AuthClientIP}, Username: "ignored"}},
	}
	cert := exportConfig()
	cert.Incoming[0].Auth = []autoconfig.Auth{autoconfig.AuthTLSClientCert}
	tests := []struct {
		name   string
		cfg    *autoconfig.Config
		acct   autoconfig.Account
		opts   *autoconfig.QROptions
		want   string
		golden string
	}{
		{name: "IMAP TLS, SMTP TLS", cfg: exportConfig(), acct: exportAcct, golden: "qr/example.com.json",
			want: `[1,[1,1],[0,"imap.example.com",993,3,1,"fred@example.com","fred@example.com",""],` +
				`[[[0,"smtp.example.com",465,3,1,"fred@example.com",""],["fred@example.com","Fred Example"]]]]`},
		{name: "password set but not asked for", cfg: exportConfig(), acct: exportAcct,
			opts: &autoconfig.QROptions{Password: "hunter2"},
			want: `[1,[1,1],[0,"imap.example.com",993,3,1,"fred@example.com","fred@example.com",""],` +
				`[[[0,"smtp.example.com",465,3,1,"fred@example.com",""],["fred@example.com","Fred Example"]]]]`},
		{name: "password included", cfg: exportConfig(), acct: exportAcct,
			opts: &autoconfig.QROptions{IncludePassword: true, Password: `p"ä\ss`},
			want: `[1,[1,1],[0,"imap.example.com",993,3,1,"fred@example.com","fred@example.com","p\"ä\\ss"],` +
				`[[[0,"smtp.example.com",465,3,1,"fred@example.com","p\"ä\\ss"],["fred@example.com","Fred Example"]]]]`},
		{name: "GSSAPI and NTLM skipped for OAuth2", cfg: oauth,
			acct: autoconfig.Account{Address: "fred@example.com", Name: "Fred <Example>", Description: "Work"},
			want: `[1,[1,1],[0,"imap.example.com",993,3,6,"fred@example.com","Work",""],` +
				`[[[0,"smtp.example.com",465,3,6,"fred@example.com",""],["fred@example.com","Fred <Example>"]]]]`},
		{name: "first POP3 after another type, SMTP without auth", cfg: pop,
			acct: autoconfig.Account{Address: "fred@example.com"},
			opts: &autoconfig.QROptions{IncludePassword: true, Password: "secret"},
			want: `[1,[1,1],[1,"pop.example.com",110,2,2,"fred@example.com","fred@example.com","secret"],` +
				`[[[0,"smtp.example.com",25,0,0,"",""],["fred@example.com",""]]]]`},
		{name: "TLS client certificate", cfg: cert, acct: exportAcct,
			want: `[1,[1,1],[0,"imap.example.com",993,3,5,"fred@example.com","fred@example.com",""],` +
				`[[[0,"smtp.example.com",465,3,1,"fred@example.com",""],["fred@example.com","Fred Example"]]]]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := autoconfig.QRPayload(tt.cfg, tt.acct, tt.opts)
			if err != nil {
				t.Fatalf("QRPayload() error = %v, want nil", err)
			}
			if string(got) != tt.want {
				t.Errorf("QRPayload() =\n%s\nwant\n%s", got, tt.want)
			}
			if tt.golden != "" {
				writerGolden(t, tt.golden, got)
			}
			accounts := parseQR(t, got)
			if len(accounts) != 1 || len(accounts[0].Identities) != 1 {
				t.Errorf("QRPayload() has %d accounts, want 1 with 1 identity", len(accounts))
			}
			if (tt.opts == nil || !tt.opts.IncludePassword) && strings.Contains(string(got), "hunter2") {
				t.Errorf("QRPayload() = %s holds the password without IncludePassword", got)
			}
		})
	}
}

func TestQRPayloadErrors(t *testing.T) {
	gssapi := exportConfig()
	gssapi.Incoming[0].Auth = []autoconfig.Auth{autoconfig.AuthGSSAPI, autoconfig.AuthNTLM}
	noSMTP := exportConfig()
	noSMTP.Outgoing = nil
	placeholder := exportConfig()
	placeholder.Outgoing[0].Username = "%REALNAME%"
	badPort := exportConfig()
	badPort.Outgoing[0].Port = -1
	tests := []struct {
		name string
		cfg  *autoconfig.Config
		acct autoconfig.Account
		opts *autoconfig.QROptions
		want error
		text string
	}{
		{"nil config", nil, exportAcct, nil, autoconfig.ErrExportInvalid, "nil Config"},
		{"empty password", exportConfig(), exportAcct, &autoconfig.QROptions{IncludePassword: true}, autoconfig.ErrExportInvalid, "empty Password"},
		{"password with line break", exportConfig(), exportAcct, &autoconfig.QROptions{IncludePassword: true, Password: "a\nb"}, autoconfig.ErrExportUnsupported, "line break"},
		{"non-ASCII address", exportConfig(), autoconfig.Account{Address: "jürgen@example.com"}, nil, autoconfig.ErrExportUnsupported, "not ASCII"},
		{"GSSAPI and NTLM only", gssapi, exportAcct, nil, autoconfig.ErrExportUnsupported, "Incoming[0] (imap): Thunderbird for Android supports none of"},
		{"no SMTP", noSMTP, exportAcct, nil, autoconfig.ErrExportMissing, "no SMTP outgoing server"},
		{"unfillable placeholder", placeholder, autoconfig.Account{Address: "fred@example.com"}, nil, autoconfig.ErrExportUnsupported, "Outgoing[0] (smtp) user name"},
		{"bad port", badPort, exportAcct, nil, autoconfig.ErrExportInvalid, "Outgoing[0] (smtp): port -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := autoconfig.QRPayload(tt.cfg, tt.acct, tt.opts)
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("QRPayload() = %q, %v; want nil, %v", got, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("QRPayload() error = %q, want it to contain %q", err, tt.text)
			}
		})
	}
}

// decodeQR scans a PNG with gozxing's QR code reader, finder patterns and
// all, and returns the text decoded as UTF-8.
func decodeQR(t *testing.T, pngData []byte) *gozxing.Result {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		t.Fatalf("png.Decode(QRPNG()) error = %v", err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("NewBinaryBitmapFromImage() error = %v", err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"}
	res, err := zxqrcode.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("QR decode error = %v", err)
	}
	return res
}

func TestQRPNGDecodes(t *testing.T) {
	long := exportConfig()
	long.Incoming[0].Hostname = strings.Repeat("a", 60) + ".mail." + strings.Repeat("b", 60) + ".example.com"
	tests := []struct {
		name string
		cfg  *autoconfig.Config
		acct autoconfig.Account
		opts *autoconfig.QROptions
		size int
	}{
		{"ASCII", exportConfig(), exportAcct, nil, 400},
		{"UTF-8 names and password", exportConfig(),
			autoconfig.Account{Address: "fred@example.com", Name: "Frédéric Ñúñez ✉", Description: "Büro"},
			&autoconfig.QROptions{IncludePassword: true, Password: "pässwörd"}, 512},
		{"long host name", long, exportAcct, nil, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, err := autoconfig.QRPayload(tt.cfg, tt.acct, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			img, err := autoconfig.QRPNG(payload, tt.size)
			if err != nil {
				t.Fatalf("QRPNG() error = %v", err)
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(img))
			if err != nil || cfg.Width != tt.size || cfg.Height != tt.size {
				t.Errorf("QRPNG(%d) image %dx%d, %v; want %dx%d", tt.size, cfg.Width, cfg.Height, err, tt.size, tt.size)
			}
			res := decodeQR(t, img)
			if got := []byte(res.GetText()); !bytes.Equal(got, payload) {
				t.Errorf("decode(QRPNG(p)) =\n%q\nwant p =\n%q", got, payload)
			}
			var seg []byte
			if segs, ok := res.GetResultMetadata()[gozxing.ResultMetadataType_BYTE_SEGMENTS].([][]byte); ok {
				seg = bytes.Join(segs, nil)
			}
			if !bytes.Equal(seg, payload) {
				t.Errorf("byte segments of QRPNG(p) = %q, want p's UTF-8 bytes %q", seg, payload)
			}
			if ec, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string); ec != "L" {
				t.Errorf("error correction level = %q, want L as Thunderbird uses", ec)
			}
		})
	}
}

func TestQRPNGErrors(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		size    int
		want    error
	}{
		{"empty payload", nil, 256, autoconfig.ErrExportInvalid},
		{"size 0", []byte("[1]"), 0, autoconfig.ErrExportInvalid},
		{"negative size", []byte("[1]"), -4, autoconfig.ErrExportInvalid},
		{"too long", bytes.Repeat([]byte("x"), 3000), 256, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := autoconfig.QRPNG(tt.payload, tt.size)
			if err == nil || got != nil {
				t.Fatalf("QRPNG() = %d bytes, %v; want an error", len(got), err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("QRPNG() error = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "autoconfig: ") {
				t.Errorf("QRPNG() error = %q, want the package prefix", err)
			}
		})
	}
}
