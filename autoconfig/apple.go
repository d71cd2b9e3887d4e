package autoconfig

// Apple configuration profiles (.mobileconfig): an XML property list whose
// top level (Apple's device-management schema, TopLevel.yaml) carries an array
// of payloads, here one "com.apple.mail.managed" payload
// (com.apple.mail.managed.yaml) that creates a mail account on iOS, iPadOS,
// macOS and visionOS, and, when the settings have them, a
// "com.apple.caldav.account" and a "com.apple.carddav.account" payload
// (apple_dav.go). The key names and allowed values in this file are those
// of Apple's schema; apple_test.go checks every emitted key against it.

import (
	"github.com/mailsetup/mailsetup/i18n"

	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"unicode"

	"howett.net/plist"

	"github.com/mailsetup/mailsetup/internal/version"
)

// AppleContentType is the media type to serve a .mobileconfig file with,
// signed or not. Safari on iOS and macOS offers to install a profile served
// with it; served as anything else the file is merely downloaded.
const AppleContentType = "application/x-apple-aspen-config"

// Errors returned by [WriteAppleProfile], wrapped with the detail of what
// failed; test them with [errors.Is]. The signing errors are in apple_sign.go.
var (
	// ErrUnsignedPassword means AppleOptions.IncludePassword was set without
	// an AppleOptions.Signer. DESIGN.md allows a password only in a signed or
	// otherwise protected export, so none is written into a plain profile.
	ErrUnsignedPassword = errors.New("autoconfig: password refused in an unsigned Apple profile")
	// ErrAppleUnsupported means the settings cannot be expressed in a
	// com.apple.mail.managed payload: no incoming server, a first incoming
	// server that is neither IMAP nor POP3, no SMTP server, an invalid host
	// name or port, or only authentication methods Apple Mail cannot be
	// told about (OAuth2, GSSAPI, TLS client certificates).
	ErrAppleUnsupported = errors.New("autoconfig: settings not expressible in an Apple profile")
	// ErrAppleInput means an argument is unusable: a nil Config, an account
	// address that is not local@domain, an invalid AppleOptions.Identifier,
	// an empty password to include, or a malformed or repeated UUID from
	// AppleOptions.NewUUID.
	ErrAppleInput = errors.New("autoconfig: invalid input for an Apple profile")
)

// AppleOptions tune [WriteAppleProfile]. A nil *AppleOptions is the zero
// value: an unsigned profile without password, a derived identifier and
// random UUIDs.
type AppleOptions struct {
	// Identifier is the profile's PayloadIdentifier (TopLevel.yaml), a
	// reverse-DNS string such as "com.example.mail.fred". Installing a
	// profile whose PayloadIdentifier matches an installed one replaces it,
	// so the identifier must be stable for an account. Empty means one
	// derived from the address: "org.mailsetup.<domain>.<hash>", where hash
	// is 16 hex digits of the SHA-256 of the lower-cased address (the same
	// account always gets the same identifier). The mail payload's
	// identifier is this one followed by ".mail".
	Identifier string
	// Organization is the PayloadOrganization shown on the profile's
	// Detail screen; empty leaves the key out.
	Organization string
	// Printer says the profile's description (PayloadDescription, shown
	// on the device before installation) in its language; nil is English.
	Printer *i18n.Printer
	// IncludePassword writes Password as IncomingPassword and
	// OutgoingPassword (and CalDAVPassword, CardDAVPassword), so the device
	// does not ask for it. It requires
	// Signer, otherwise WriteAppleProfile fails with [ErrUnsignedPassword].
	//
	// Security: signing proves who made the profile and that it was not
	// altered; it does not hide the password, which anyone holding the
	// file can read. Apple's schema asks for an encrypted profile
	// (EncryptedPayloadContent, encrypted to one device's certificate,
	// which only an MDM server knows), so tell the user to delete the
	// file once it is installed.
	IncludePassword bool
	// Password is the account's password; ignored unless IncludePassword.
	// It is never logged or put in an error.
	Password string
	// Signer, when set, makes WriteAppleProfile write the profile
	// CMS-signed (DER, the profile embedded, see [SignProfile]) instead of
	// as a plain XML property list.
	Signer *Signer
	// NewUUID returns each PayloadUUID (called for the profile, then for
	// the mail payload, then for the calendar and contacts payloads). Nil means random version 4 UUIDs from crypto/rand,
	// upper case as uuidgen writes them. Tests set it for reproducible
	// output.
	NewUUID func() string
}

// Apple's values for EmailAccountType (com.apple.mail.managed.yaml).
const (
	appleTypeIMAP = "EmailTypeIMAP"
	appleTypePOP  = "EmailTypePOP"
)

// Apple's values for Incoming/OutgoingMailServerAuthentication
// (com.apple.mail.managed.yaml). EmailAuthHTTPMD5 has no counterpart in
// config-v1.1.xml and is never written.
const (
	appleAuthNone     = "EmailAuthNone"
	appleAuthPassword = "EmailAuthPassword"
	appleAuthCRAMMD5  = "EmailAuthCRAMMD5"
	appleAuthNTLM     = "EmailAuthNTLM"
)

// appleProfile is the top level of a configuration profile (TopLevel.yaml).
// The plist encoder sorts dictionary keys, so the output is deterministic.
type appleProfile struct {
	PayloadContent      []any  `plist:"PayloadContent"` // appleMail, then the DAV payloads
	PayloadDescription  string `plist:"PayloadDescription,omitempty"`
	PayloadDisplayName  string `plist:"PayloadDisplayName,omitempty"`
	PayloadIdentifier   string `plist:"PayloadIdentifier"`
	PayloadOrganization string `plist:"PayloadOrganization,omitempty"`
	PayloadType         string `plist:"PayloadType"`
	PayloadUUID         string `plist:"PayloadUUID"`
	PayloadVersion      int    `plist:"PayloadVersion"`
}

// appleMail is a com.apple.mail.managed payload: the common payload keys
// (CommonPayloadKeys.yaml) and the mail keys (com.apple.mail.managed.yaml).
type appleMail struct {
	PayloadType         string `plist:"PayloadType"`
	PayloadVersion      int    `plist:"PayloadVersion"`
	PayloadIdentifier   string `plist:"PayloadIdentifier"`
	PayloadUUID         string `plist:"PayloadUUID"`
	PayloadDisplayName  string `plist:"PayloadDisplayName,omitempty"`
	PayloadOrganization string `plist:"PayloadOrganization,omitempty"`

	EmailAccountType        string `plist:"EmailAccountType"`
	EmailAccountDescription string `plist:"EmailAccountDescription,omitempty"`
	EmailAccountName        string `plist:"EmailAccountName,omitempty"`
	EmailAddress            string `plist:"EmailAddress"`

	IncomingMailServerHostName       string `plist:"IncomingMailServerHostName"`
	IncomingMailServerPortNumber     int    `plist:"IncomingMailServerPortNumber,omitempty"`
	IncomingMailServerUseSSL         bool   `plist:"IncomingMailServerUseSSL"`
	IncomingMailServerAuthentication string `plist:"IncomingMailServerAuthentication"`
	IncomingMailServerUsername       string `plist:"IncomingMailServerUsername,omitempty"`
	IncomingPassword                 string `plist:"IncomingPassword,omitempty"`

	OutgoingMailServerHostName             string `plist:"OutgoingMailServerHostName"`
	OutgoingMailServerPortNumber           int    `plist:"OutgoingMailServerPortNumber,omitempty"`
	OutgoingMailServerUseSSL               bool   `plist:"OutgoingMailServerUseSSL"`
	OutgoingMailServerAuthentication       string `plist:"OutgoingMailServerAuthentication"`
	OutgoingMailServerUsername             string `plist:"OutgoingMailServerUsername,omitempty"`
	OutgoingPassword                       string `plist:"OutgoingPassword,omitempty"`
	OutgoingPasswordSameAsIncomingPassword bool   `plist:"OutgoingPasswordSameAsIncomingPassword,omitempty"`
}

// WriteAppleProfile writes to w an Apple configuration profile
// (.mobileconfig) that creates the mail account acct with the settings of
// cfg: one com.apple.mail.managed payload built from the first incoming
// server, which must be IMAP or POP3, and the first outgoing server, which
// must be SMTP (the recommendations of a ranked Config). Placeholders left in
// host names and user names (%EMAILADDRESS%, %EMAILLOCALPART%,
// %EMAILDOMAIN%, %REALNAME%) are expanded from acct.
//
// Mapping to Apple's keys (com.apple.mail.managed.yaml):
//   - EmailAccountType: EmailTypeIMAP or EmailTypePOP.
//   - EmailAccountDescription: acct.Description, else acct.Address;
//     EmailAccountName: acct.Name when set; EmailAddress: acct.Address.
//   - Incoming/OutgoingMailServerHostName and PortNumber: the server's
//     (a port of 0 is left out, and the device uses its default).
//   - Incoming/OutgoingMailServerUseSSL: true for implicit TLS and for
//     STARTTLS alike. Apple Mail has no separate STARTTLS switch: with
//     "Use SSL" on it speaks TLS from the first byte on the implicit-TLS
//     ports (993, 995, 465) and upgrades with STARTTLS on the others (143,
//     110, 587), and with it off it may send the password in clear text.
//     False only for a server with no transport security.
//   - Incoming/OutgoingMailServerAuthentication: the first of the server's
//     methods Apple knows: password-cleartext → EmailAuthPassword,
//     password-encrypted → EmailAuthCRAMMD5, NTLM → EmailAuthNTLM, none,
//     client-IP-address and (outgoing) smtp-after-pop → EmailAuthNone; no
//     method listed → EmailAuthPassword. OAuth2, GSSAPI and
//     TLS-client-cert are skipped.
//   - Incoming/OutgoingMailServerUsername: the server's user name when
//     known; left out otherwise, and the device asks for it.
//   - OutgoingPasswordSameAsIncomingPassword: true when both servers take
//     a password for the same user name, so the device asks only once.
//   - IncomingPassword/OutgoingPassword: only with opts.IncludePassword,
//     which requires opts.Signer.
//
// The first of cfg.Calendars and of cfg.AddressBooks that takes a password
// adds a com.apple.caldav.account or com.apple.carddav.account payload
// (identifier suffix ".caldav", ".carddav"; see appleDAVPayload for the
// keys), with the password under the same rule as mail. A calendar or
// address book that signs in only with OAuth2 is left out: these payloads
// cannot carry it. JMAP servers are not written (Apple's profiles have no
// JMAP account).
//
// The iOS-only restrictions (PreventMove, PreventAppSheet, S/MIME, ...) are
// not written: they are policy for managed devices, not settings.
//
// The profile's PayloadUUIDs are fresh on every call (see
// AppleOptions.NewUUID); its PayloadIdentifier is stable (see
// AppleOptions.Identifier), so installing a newer export replaces the older
// one. With opts.Signer the output is the CMS-signed profile (DER), without
// it the XML property list; serve either as [AppleContentType].
//
// On failure nothing is written to w, and the error wraps
// [ErrUnsignedPassword], [ErrAppleUnsupported], [ErrAppleInput], [ErrSigner]
// or the writer's error.
func WriteAppleProfile(w io.Writer, cfg *Config, acct Account, opts *AppleOptions) error {
	profile, err := buildAppleProfile(cfg, acct, opts)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := plist.NewEncoderForFormat(&buf, plist.XMLFormat)
	enc.Indent("\t")
	if err := enc.Encode(profile); err != nil {
		return fmt.Errorf("autoconfig: encoding Apple profile: %w", err)
	}
	buf.WriteByte('\n')
	out := buf.Bytes()
	if opts != nil && opts.Signer != nil {
		if out, err = SignProfile(out, opts.Signer); err != nil {
			return err
		}
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("autoconfig: writing Apple profile: %w", err)
	}
	return nil
}

// buildAppleProfile checks the input and fills in the profile.
func buildAppleProfile(cfg *Config, acct Account, opts *AppleOptions) (*appleProfile, error) {
	var o AppleOptions
	if opts != nil {
		o = *opts
	}
	if cfg == nil {
		return nil, fmt.Errorf("%w: nil Config", ErrAppleInput)
	}
	if o.IncludePassword {
		if o.Signer == nil {
			return nil, fmt.Errorf("%w: IncludePassword needs a Signer", ErrUnsignedPassword)
		}
		if o.Password == "" {
			return nil, fmt.Errorf("%w: IncludePassword with an empty Password", ErrAppleInput)
		}
	}
	vars, asciiDomain, err := appleAccountVars(acct)
	if err != nil {
		return nil, err
	}
	ident := o.Identifier
	if ident == "" {
		sum := sha256.Sum256([]byte(strings.ToLower(vars.LocalPart) + "@" + asciiDomain))
		ident = "org.mailsetup." + asciiDomain + "." + hex.EncodeToString(sum[:8])
	} else if !appleIdentRE.MatchString(ident) || len(ident) > 255 {
		return nil, fmt.Errorf("%w: Identifier %q is not a reverse-DNS name", ErrAppleInput, clip(ident, 64))
	}

	in, out, err := appleServers(cfg)
	if err != nil {
		return nil, err
	}
	m := appleMail{
		PayloadType:             "com.apple.mail.managed",
		PayloadVersion:          1,
		PayloadIdentifier:       ident + ".mail",
		PayloadOrganization:     o.Organization,
		EmailAccountDescription: acct.Description,
		EmailAccountName:        acct.Name,
		EmailAddress:            acct.Address,
		EmailAccountType:        appleTypeIMAP,
	}
	if in.Protocol == POP3 {
		m.EmailAccountType = appleTypePOP
	}
	if m.EmailAccountDescription == "" {
		m.EmailAccountDescription = acct.Address
	}
	m.PayloadDisplayName = m.EmailAccountDescription

	var inUser, outUser string
	if m.IncomingMailServerHostName, m.IncomingMailServerPortNumber, inUser, err = appleEndpoint(in, vars); err != nil {
		return nil, err
	}
	if m.OutgoingMailServerHostName, m.OutgoingMailServerPortNumber, outUser, err = appleEndpoint(out, vars); err != nil {
		return nil, err
	}
	m.IncomingMailServerUsername, m.OutgoingMailServerUsername = inUser, outUser
	in.Hostname, out.Hostname = m.IncomingMailServerHostName, m.OutgoingMailServerHostName
	m.IncomingMailServerUseSSL = in.Security == TLS || in.Security == STARTTLS
	m.OutgoingMailServerUseSSL = out.Security == TLS || out.Security == STARTTLS
	if m.IncomingMailServerAuthentication, err = appleAuth(in); err != nil {
		return nil, err
	}
	if m.OutgoingMailServerAuthentication, err = appleAuth(out); err != nil {
		return nil, err
	}
	inPass := m.IncomingMailServerAuthentication != appleAuthNone
	outPass := m.OutgoingMailServerAuthentication != appleAuthNone
	m.OutgoingPasswordSameAsIncomingPassword = inPass && outPass && inUser == outUser
	if o.IncludePassword {
		if inPass {
			m.IncomingPassword = o.Password
		}
		if outPass {
			m.OutgoingPassword = o.Password
		}
	}

	newUUID := o.NewUUID
	if newUUID == nil {
		newUUID = appleRandomUUID
	}
	dav := appleDAVServers(cfg)
	uuids := make([]string, 2+len(dav)) // the profile, mail, then each DAV payload
	for i := range uuids {
		u := newUUID()
		if !appleUUIDRE.MatchString(u) {
			return nil, fmt.Errorf("%w: NewUUID returned %q, not a UUID", ErrAppleInput, clip(u, 64))
		}
		for _, prev := range uuids[:i] {
			if strings.EqualFold(prev, u) {
				return nil, fmt.Errorf("%w: NewUUID returned %q twice", ErrAppleInput, u)
			}
		}
		uuids[i] = u
	}
	topUUID := uuids[0]
	m.PayloadUUID = uuids[1]
	content := []any{m}
	for i, s := range dav {
		pass := ""
		if o.IncludePassword {
			pass = o.Password
		}
		d, err := appleDAVPayload(s, vars, ident, uuids[2+i], o.Organization, m.EmailAccountDescription, pass)
		if err != nil {
			return nil, err
		}
		content = append(content, d)
	}
	desc := appleDescription(o.Printer, cfg, acct, in, out, dav, o.IncludePassword)

	return &appleProfile{
		PayloadContent:      content,
		PayloadDescription:  desc,
		PayloadDisplayName:  m.EmailAccountDescription,
		PayloadIdentifier:   ident,
		PayloadOrganization: o.Organization,
		PayloadType:         "Configuration", // TopLevel.yaml: the only value
		PayloadUUID:         topUUID,
		PayloadVersion:      1, // TopLevel.yaml: must be 1
	}, nil
}

// appleIdentRE matches a reverse-DNS identifier: dot-separated labels of
// letters, digits, hyphens and underscores.
var appleIdentRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$`)

// appleUUIDRE matches a UUID in its 8-4-4-4-12 hex form, as the schema's
// SMIME*CertificateUUID format requires of payload UUIDs.
var appleUUIDRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// appleAccountVars checks the account's address and returns the Vars that
// expand placeholders, and the address's domain in ASCII (A-labels).
func appleAccountVars(acct Account) (Vars, string, error) {
	addr := acct.Address
	local, domain, ok := strings.Cut(addr, "@")
	bad := !ok || local == "" || strings.Contains(domain, "@") || !strings.Contains(domain, ".") ||
		strings.IndexFunc(addr, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0
	asciiDomain, err := hostToASCII(domain)
	if bad || err != nil {
		return Vars{}, "", fmt.Errorf("%w: account address %q is not local@domain", ErrAppleInput, clip(addr, 64))
	}
	return Vars{Address: addr, LocalPart: local, Domain: domain, RealName: acct.Name}, asciiDomain, nil
}

// appleServers returns the first incoming server, which must be IMAP or
// POP3, and the first outgoing one, which must be SMTP.
func appleServers(cfg *Config) (in, out Server, err error) {
	if len(cfg.Incoming) == 0 {
		return in, out, fmt.Errorf("%w: no incoming server", ErrAppleUnsupported)
	}
	if in = cfg.Incoming[0]; in.Protocol != IMAP && in.Protocol != POP3 {
		return in, out, fmt.Errorf("%w: first incoming server is %q, not IMAP or POP3", ErrAppleUnsupported, clip(string(in.Protocol), 32))
	}
	if len(cfg.Outgoing) == 0 {
		return in, out, fmt.Errorf("%w: no outgoing server", ErrAppleUnsupported)
	}
	if out = cfg.Outgoing[0]; out.Protocol != SMTP {
		return in, out, fmt.Errorf("%w: first outgoing server is %q, not SMTP", ErrAppleUnsupported, clip(string(out.Protocol), 32))
	}
	return in, out, nil
}

// appleEndpoint returns a server's host name (placeholders expanded, A-labels),
// port and user name, checked.
func appleEndpoint(s Server, v Vars) (host string, port int, user string, err error) {
	where := strings.ToUpper(string(s.Protocol)) + " server"
	raw := v.Expand(s.Hostname)
	if hasPlaceholder(raw) {
		return "", 0, "", fmt.Errorf("%w: %s host name %q has a placeholder the account cannot fill", ErrAppleUnsupported, where, clip(raw, 64))
	}
	if host, err = normHost(raw); err != nil {
		return "", 0, "", fmt.Errorf("%w: %s: %w", ErrAppleUnsupported, where, err)
	}
	if s.Port < 0 || s.Port > 65535 {
		return "", 0, "", fmt.Errorf("%w: %s port %d out of range 1-65535", ErrAppleUnsupported, where, s.Port)
	}
	if s.Security != TLS && s.Security != STARTTLS && s.Security != Plain {
		return "", 0, "", fmt.Errorf("%w: %s security %q unknown", ErrAppleUnsupported, where, clip(string(s.Security), 32))
	}
	user = v.Expand(s.Username)
	if hasPlaceholder(user) {
		return "", 0, "", fmt.Errorf("%w: %s user name %q has a placeholder the account cannot fill", ErrAppleUnsupported, where, clip(user, 64))
	}
	return host, s.Port, user, nil
}

// appleAuth maps the first of a server's authentication methods that Apple
// Mail can be configured with to its EmailAuth value.
func appleAuth(s Server) (string, error) {
	if len(s.Auth) == 0 {
		return appleAuthPassword, nil
	}
	for _, a := range s.Auth {
		switch a {
		case AuthPasswordCleartext:
			return appleAuthPassword, nil
		case AuthPasswordEncrypted:
			return appleAuthCRAMMD5, nil
		case AuthNTLM:
			return appleAuthNTLM, nil
		case AuthNone, AuthClientIP:
			return appleAuthNone, nil
		case AuthSMTPAfterPOP:
			if s.Protocol == SMTP { // the POP login authorises sending
				return appleAuthNone, nil
			}
		}
	}
	return "", fmt.Errorf("%w: %s server: none of the authentication methods %q is available in Apple Mail",
		ErrAppleUnsupported, strings.ToUpper(string(s.Protocol)), s.Auth)
}

// appleDescription is the profile's PayloadDescription, shown on the Detail
// screen before installation: what the profile sets up, so that the user can
// decide (TopLevel.yaml), the calendar and contacts accounts it adds, and a
// warning when it holds the password, in p's
// language, with Apple Mail's words for the servers.
func appleDescription(p *i18n.Printer, cfg *Config, acct Account, in, out Server, dav []Server, password bool) string {
	account := acct.Address
	if cfg.DisplayName != "" {
		account = p.T("apple.account-named", "Address", acct.Address, "Name", cfg.DisplayName)
	}
	d := p.T("apple.summary", "Account", account, "Incoming", appleServerText(p, in), "Outgoing", appleServerText(p, out))
	if len(dav) > 0 {
		d += " " + appleDAVDescription(p, dav)
	}
	if password {
		d += " " + p.T("apple.password-included")
	}
	// A property list has no place for comments that survives signing and
	// installation: the description, which the Detail screen shows, names
	// the generator.
	d += " " + p.T("apple.made-with", "Generator", version.Generator())
	return d
}

// appleServerText describes a server in words: "IMAP imap.example.com port
// 993 with TLS".
func appleServerText(p *i18n.Printer, s Server) string {
	ids := map[Security]string{TLS: "apple.security.tls", STARTTLS: "apple.security.starttls", Plain: "apple.security.plain"}
	sec := ""
	if id, ok := ids[s.Security]; ok {
		sec = p.T(id)
	}
	name := strings.ToUpper(string(s.Protocol))
	if s.Port == 0 {
		return p.T("apple.server", "Protocol", name, "Host", s.Hostname, "Security", sec)
	}
	return p.T("apple.server.port", "Protocol", name, "Host", s.Hostname, "Port", s.Port, "Security", sec)
}

// appleRandomUUID returns a random (version 4) UUID, upper case as uuidgen
// writes it (RFC 9562 §5.4).
func appleRandomUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails (Go 1.24+)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	h := strings.ToUpper(hex.EncodeToString(u[:]))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
