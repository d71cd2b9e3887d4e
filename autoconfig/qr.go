package autoconfig

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/mailsetup/mailsetup/internal/version"
)

// The QR code of Thunderbird's "Export for Mobile" (Thunderbird desktop,
// comm-central mail/modules/QRExport.sys.mjs), which Thunderbird for Android
// scans to set up accounts (thunderbird-android
// feature/migration/qrcode: qr-code-format.md "Thunderbird 'Export for
// Mobile' QR code format (version 1)", QrCodePayloadAdapter.kt,
// IntValueMapper.kt, QrCodePayloadValidator.kt). The payload is a JSON
// array:
//
//	[FormatVersion, [SequenceNumber, SequenceEnd],
//	 [IncomingProtocol, Hostname, Port, ConnectionSecurity, AuthenticationType, Username, AccountName, Password],
//	 [[[OutgoingProtocol, Hostname, Port, ConnectionSecurity, AuthenticationType, Username, Password],
//	   [EmailAddress, DisplayName]]]]
//
// with one account (incoming server and its outgoing server groups) per
// pair of elements after the second. The integer codes are below.
const (
	qrFormatVersion = 1 // qr-code-format.md "FormatVersion"; QRExport.sys.mjs QR_DATA_FORMAT_VERSION

	// qr-code-format.md "IncomingProtocol"; IntValueMapper.kt toIncomingServerProtocol.
	qrIncomingIMAP = 0
	qrIncomingPOP3 = 1
	// qr-code-format.md "OutgoingProtocol"; QRExport.sys.mjs OUTGOING_PROTOCOL_SMTP.
	qrOutgoingSMTP = 0
)

// qrSecurity are the ConnectionSecurity codes (qr-code-format.md
// "ConnectionSecurity": 0 Plain, 1 legacy and reserved, 2 AlwaysStartTls,
// 3 Tls; QRExport.sys.mjs SOCKET_TYPES; IntValueMapper.kt
// toConnectionSecurity).
var qrSecurity = map[Security]int{Plain: 0, STARTTLS: 2, TLS: 3}

// qrAuth are the AuthenticationType codes Thunderbird for Android accepts
// (qr-code-format.md "AuthenticationType"; QRExport.sys.mjs AUTH_METHODS;
// IntValueMapper.kt toAuthenticationType). 3 (GSSAPI) and 4 (NTLM) exist in
// the format, but the Android reader rejects the whole account for them and
// Thunderbird desktop does not export such accounts, so they are not used.
// client-IP-address and smtp-after-pop are nsMsgAuthMethod.none in
// Thunderbird (readFromXML.sys.mjs), hence 0.
var qrAuth = map[Auth]int{
	AuthNone:              0, // None
	AuthClientIP:          0,
	AuthSMTPAfterPOP:      0,
	AuthPasswordCleartext: 1, // PasswordCleartext
	AuthPasswordEncrypted: 2, // PasswordEncrypted
	AuthTLSClientCert:     5, // TlsCertificate (nsMsgAuthMethod.External)
	AuthOAuth2:            6, // OAuth2
}

// QROptions are the options of [QRPayload]. A nil *QROptions leaves the
// password out.
type QROptions struct {
	// IncludePassword puts Password into the payload, for the incoming
	// server and, when it authenticates, the outgoing one. The QR code then
	// holds the password in clear text: anyone who sees it, a photograph or
	// a screenshot of it can log in. Without it the app asks for the
	// password.
	IncludePassword bool
	// Password is the account's password, used only with IncludePassword.
	Password string
}

// QRPayload builds the payload of the QR code that Thunderbird desktop shows
// under "Export for Mobile" for acct's account, for Thunderbird for Android
// (and K-9 Mail) to scan: format version 1, sequence 1 of 1, the first IMAP
// or POP3 server of cfg.Incoming, the first SMTP server of cfg.Outgoing and
// one identity (acct.Address, acct.Name), serialised as compact JSON like
// JSON.stringify does. Placeholders are filled from acct; a server without
// a user name logs in with the address; the account is named
// acct.Description or the address. Authentication is the first of the
// server's methods the Android app accepts.
//
// No password is written unless opts.IncludePassword is set; the password
// elements are then "" as Thunderbird writes them.
//
// Errors: [ErrExportInvalid] (nil cfg, an invalid server or account,
// IncludePassword with an empty Password), [ErrExportMissing] (no IMAP/POP3
// or SMTP server), [ErrExportUnsupported] (a non-ASCII address, which the
// format does not allow yet, an unfillable placeholder, or only GSSAPI or
// NTLM authentication).
func QRPayload(cfg *Config, acct Account, opts *QROptions) ([]byte, error) {
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil Config", ErrExportInvalid)
	}
	if opts == nil {
		opts = &QROptions{}
	}
	password := ""
	if opts.IncludePassword {
		if opts.Password == "" {
			return nil, fmt.Errorf("%w: IncludePassword with an empty Password", ErrExportInvalid)
		}
		// QrCodePayloadValidator.kt: no line breaks in a password.
		if strings.ContainsAny(opts.Password, "\r\n") {
			return nil, fmt.Errorf("%w: the password has a line break, which the Android app refuses", ErrExportUnsupported)
		}
		password = opts.Password
	}
	v, err := exportVars(acct)
	if err != nil {
		return nil, err
	}
	if !isASCII(v.Address) {
		// qr-code-format.md "EmailAddress": only ASCII addresses for now;
		// QRExport.sys.mjs skips the others.
		return nil, fmt.Errorf("%w: address %q is not ASCII, which the QR format does not allow", ErrExportUnsupported, clip(v.Address, 64))
	}
	in, inWhere, err := firstExportServer(cfg.Incoming, false, IMAP, POP3)
	if err != nil {
		return nil, err
	}
	out, outWhere, err := firstExportServer(cfg.Outgoing, true, SMTP)
	if err != nil {
		return nil, err
	}
	if in, err = expandExportServer(in, v, inWhere); err != nil {
		return nil, err
	}
	if out, err = expandExportServer(out, v, outWhere); err != nil {
		return nil, err
	}
	inAuth, err := qrAuthFor(in, inWhere)
	if err != nil {
		return nil, err
	}
	outAuth, err := qrAuthFor(out, outWhere)
	if err != nil {
		return nil, err
	}

	proto := qrIncomingIMAP
	if in.Protocol == POP3 {
		proto = qrIncomingPOP3
	}
	inUser := in.Username
	if inUser == "" {
		inUser = v.Address
	}
	outUser, outPassword := out.Username, password
	if outAuth == qrAuth[AuthNone] {
		outUser, outPassword = "", ""
	} else if outUser == "" {
		outUser = v.Address
	}
	name := strings.TrimSpace(acct.Description)
	if name == "" {
		name = v.Address
	}

	payload := []any{
		qrFormatVersion,
		[]any{1, 1}, // SequenceNumber, SequenceEnd: one code holds it all
		[]any{proto, in.Hostname, in.Port, qrSecurity[in.Security], inAuth, inUser, name, password},
		[]any{ // OutgoingServerGroups
			[]any{ // OutgoingServerGroup
				[]any{qrOutgoingSMTP, out.Hostname, out.Port, qrSecurity[out.Security], outAuth, outUser, outPassword},
				[]any{v.Address, v.RealName}, // Identity
			},
		},
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as JSON.stringify: "<" stays "<"
	if err := enc.Encode(payload); err != nil {
		return nil, fmt.Errorf("autoconfig: encoding QR payload: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// qrAuthFor picks the first of the server's methods the Android app accepts.
func qrAuthFor(s Server, where string) (int, error) {
	for _, a := range s.Auth {
		if code, ok := qrAuth[a]; ok {
			return code, nil
		}
	}
	return 0, fmt.Errorf("%w: %s: Thunderbird for Android supports none of %v", ErrExportUnsupported, where, s.Auth)
}

// QRPNG renders payload as a QR code PNG of size × size pixels (a larger
// image when size is too small for the code), with the quiet zone around
// it. The error correction level is L, as Thunderbird's
// QRExport.sys.mjs renderQR uses: the payload is long, and a lower level
// keeps the modules large enough to scan from a screen. The bytes are
// encoded as they are (UTF-8), as Thunderbird encodes them.
//
// A tEXt chunk "Software" names the generator and its release.
//
// Errors: [ErrExportInvalid] for an empty payload or a size below 1, and
// the encoder's error for a payload too long for any QR code version.
func QRPNG(payload []byte, size int) ([]byte, error) {
	if len(payload) == 0 {
		return nil, fmt.Errorf("%w: empty QR payload", ErrExportInvalid)
	}
	if size < 1 {
		return nil, fmt.Errorf("%w: QR image size %d, want at least 1 pixel", ErrExportInvalid, size)
	}
	q, err := qrcode.New(string(payload), qrcode.Low)
	if err != nil {
		return nil, fmt.Errorf("autoconfig: QR code of %d bytes: %w", len(payload), err)
	}
	png, err := q.PNG(size)
	if err != nil {
		return nil, fmt.Errorf("autoconfig: QR code PNG: %w", err)
	}
	return pngWithSoftware(png, version.Generator())
}

// pngSignatureIHDR is the length of a PNG's signature and IHDR chunk, which
// every PNG starts with (PNG spec §5.2, §11.2.2: IHDR is first, 13 bytes of
// data plus length, type and CRC).
const pngSignatureIHDR = 8 + 4 + 4 + 13 + 4

// pngWithSoftware returns png with a tEXt chunk "Software" (PNG spec
// §11.3.4.2, a predefined keyword: the program that made the image) after
// its IHDR chunk, which is where the generator of a QR code is recorded.
func pngWithSoftware(png []byte, software string) ([]byte, error) {
	if len(png) < pngSignatureIHDR || string(png[12:16]) != "IHDR" {
		return nil, fmt.Errorf("autoconfig: QR code PNG has no IHDR chunk first")
	}
	data := append([]byte("Software\x00"), software...)
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, "tEXt"...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := make([]byte, 0, len(png)+len(chunk))
	out = append(out, png[:pngSignatureIHDR]...)
	out = append(out, chunk...)
	return append(out, png[pngSignatureIHDR:]...), nil
}
