// Package autoconfig reads and writes the file formats mail clients use to
// describe an account's servers: Mozilla's config-v1.1.xml (the "autoconfig"
// format of Thunderbird and the ISP database, draft-ietf-mailmaint-autoconfig)
// and Microsoft's Autodiscover POX response. It holds formats only: it never
// touches the network, and it imports nothing of the detection engine.
//
// Every reader converts its input into the neutral model of this file,
// [Config] and [Server], which the engine ranks and the writers export.
package autoconfig

import "strings"

// Protocol names the protocol a server speaks. The values are those of the
// config-v1.1.xml "type" attribute; only [IMAP], [POP3] and [SMTP] are probed
// by the engine, the others are kept so that a file round-trips.
type Protocol string

// The protocols of config-v1.1.xml.
const (
	IMAP Protocol = "imap"
	POP3 Protocol = "pop3"
	SMTP Protocol = "smtp"
)

// The URL-based services the engine also discovers and probes beside mail
// (issue 16): JMAP (RFC 8620, an incomingServer type="jmap" of the draft),
// CalDAV (RFC 4791, the draft's <calendar type="caldav">) and CardDAV
// (RFC 6352, <addressbook type="carddav">). Their [Server] has URL set.
const (
	JMAP    Protocol = "jmap"
	CalDAV  Protocol = "caldav"
	CardDAV Protocol = "carddav"
)

// Security is the transport security of a server.
type Security string

// The three transport securities (RFC 8314 terms).
const (
	// TLS is implicit TLS: TLS from the first byte (993, 995, 465).
	TLS Security = "tls"
	// STARTTLS upgrades a plaintext connection (143, 110, 587).
	STARTTLS Security = "starttls"
	// Plain is no transport security at all.
	Plain Security = "plain"
)

// Rank orders securities best first, as RFC 8314 §3 prefers: implicit TLS,
// then STARTTLS, then plain.
func (s Security) Rank() int {
	switch s {
	case TLS:
		return 0
	case STARTTLS:
		return 1
	default:
		return 2
	}
}

// Auth is an authentication method, named as config-v1.1.xml names them
// ("password-cleartext", "OAuth2", ...).
type Auth string

// The authentication methods of config-v1.1.xml.
const (
	AuthPasswordCleartext Auth = "password-cleartext"
	AuthPasswordEncrypted Auth = "password-encrypted"
	AuthNTLM              Auth = "NTLM"
	AuthGSSAPI            Auth = "GSSAPI"
	AuthClientIP          Auth = "client-IP-address"
	AuthTLSClientCert     Auth = "TLS-client-cert"
	AuthOAuth2            Auth = "OAuth2"
	AuthNone              Auth = "none"
	AuthSMTPAfterPOP      Auth = "smtp-after-pop"
)

// Server is one server of an account: where to connect and how to log in.
type Server struct {
	Protocol Protocol
	// Hostname is the ASCII (A-label) host name, lower case, no trailing
	// dot. A placeholder the reader's Vars had no value for (for example
	// "mail.%EMAILDOMAIN%" read with a zero Vars) is kept as written.
	Hostname string
	Port     int
	Security Security
	// Auth lists the methods in the file's order of preference.
	Auth []Auth
	// Username is the user name with placeholders already substituted; empty
	// when the source did not say.
	Username string
	// URL is the endpoint of an HTTP-based server type (ews, owa, graph,
	// jmap, ...), as the source gave it with placeholders substituted; empty
	// for IMAP, POP3 and SMTP.
	URL string
	// Principal is, for a CalDAV or CardDAV server, the user's principal URL
	// (current-user-principal, RFC 5397) when a login check found it; the
	// Apple profile gives it as CalDAVPrincipalURL / CardDAVPrincipalURL.
	// No file format of config-v1.1.xml has it: readers leave it empty.
	Principal string
	// OAuth2 is the config's <oAuth2> element when the server lists the
	// OAuth2 authentication; nil otherwise. Shared by the config's servers.
	OAuth2 *OAuth2
	// Help are the provider's help pages (see [Link]); shared by the
	// config's servers.
	Help []Link
}

// Incoming reports whether the server receives mail for the user (IMAP, POP3
// and the other non-SMTP types).
func (s Server) Incoming() bool { return s.Protocol != SMTP }

// Config is an account description: the servers in the source's order of
// preference, and the provider's names.
type Config struct {
	// ID is the provider id (config-v1.1.xml emailProvider id).
	ID string
	// Domains are the email domains the provider serves, lower case.
	Domains     []string
	DisplayName string
	ShortName   string
	// OAuth2 is the <oAuth2> element: where the user signs in when a server
	// lists the OAuth2 authentication; nil when the document has none.
	OAuth2 *OAuth2
	// Help are the provider's help pages (<documentation>, <enable>).
	Help     []Link
	Incoming []Server
	Outgoing []Server
	// Calendars and AddressBooks are the draft's <calendar type="caldav">
	// and <addressbook type="carddav"> elements (and PACC's caldav and
	// carddav): servers of Protocol [CalDAV] or [CardDAV] whose URL is set,
	// in the source's order. A JMAP server is in Incoming (type="jmap").
	Calendars    []Server
	AddressBooks []Server
	// Problems lists, in document order, what a reader rejected or dropped
	// and why (a server with an invalid port, an unsupported socketType, a
	// malformed domain, ...). The servers that remain are valid; Problems
	// explains why a server of the source is missing from them. A reader
	// lists at most 100, then one entry saying that more were left out.
	Problems []string
}

// Vars are the values substituted for the placeholders of config-v1.1.xml
// (%EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%, %REALNAME%).
// A zero Vars leaves placeholders as they are, which is how a file is read for
// export or round trip.
type Vars struct {
	Address   string // the whole address, local@domain
	LocalPart string
	Domain    string
	RealName  string
}

// Expand substitutes the placeholders in s. Placeholders whose value is empty
// are left in place. Placeholder names are matched case-sensitively, as
// Thunderbird does.
func (v Vars) Expand(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	pairs := make([]string, 0, 8)
	add := func(name, val string) {
		if val != "" {
			pairs = append(pairs, name, val)
		}
	}
	add("%EMAILADDRESS%", v.Address)
	add("%EMAILLOCALPART%", v.LocalPart)
	add("%EMAILDOMAIN%", v.Domain)
	add("%REALNAME%", v.RealName)
	return strings.NewReplacer(pairs...).Replace(s)
}

// Account says whom settings are for, for the formats that describe a whole
// account (Thunderbird prefs, Apple profiles, the QR payload) rather than a
// provider.
type Account struct {
	// Address is the email address.
	Address string
	// Name is the person's name shown to recipients; may be empty.
	Name string
	// Description names the account in the client's list; empty means the
	// address.
	Description string
}

// TLSA is the DANE-EE record data of one served key: the SHA-256 of a
// server's SubjectPublicKeyInfo, for "3 1 1" records (RFC 7671 §5.1).
type TLSA struct {
	Host       string
	Port       int
	SPKISHA256 []byte
}

// Label names a security the way mail clients' settings do: "SSL/TLS"
// (implicit TLS), "STARTTLS" or "None".
func (s Security) Label() string {
	switch s {
	case TLS:
		return "SSL/TLS"
	case STARTTLS:
		return "STARTTLS"
	case Plain:
		return "None"
	default:
		return string(s)
	}
}

// Label names an authentication method the way mail clients' settings do
// ("Normal password", "Encrypted password", "OAuth2", ...).
func (a Auth) Label() string {
	switch a {
	case AuthPasswordCleartext:
		return "Normal password"
	case AuthPasswordEncrypted:
		return "Encrypted password"
	case AuthOAuth2:
		return "OAuth2"
	case AuthNTLM:
		return "NTLM"
	case AuthGSSAPI:
		return "Kerberos / GSSAPI"
	case AuthTLSClientCert:
		return "TLS client certificate"
	case AuthClientIP:
		return "None (by client IP address)"
	case AuthSMTPAfterPOP:
		return "SMTP after POP"
	case AuthNone:
		return "No authentication"
	default:
		return string(a)
	}
}

// AuthLabel names the preferred (first) of a server's methods with
// [Auth.Label]; no method means a normal password.
func AuthLabel(a []Auth) string {
	if len(a) == 0 {
		return AuthPasswordCleartext.Label()
	}
	return a[0].Label()
}
