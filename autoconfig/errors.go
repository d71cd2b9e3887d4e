package autoconfig

import "errors"

// MaxXMLSize is the largest document, in bytes, that the readers accept
// (DESIGN.md, "Security rules": response size limits). A larger input is
// refused with [ErrTooLarge] before anything of it is parsed.
const MaxXMLSize = 1 << 20

// Errors returned by the readers, wrapped with the detail of what failed and
// where; test them with [errors.Is].
var (
	// ErrTooLarge means the input is larger than [MaxXMLSize].
	ErrTooLarge = errors.New("autoconfig: document larger than 1 MiB")
	// ErrMalformed means the input is not well-formed XML (syntax error,
	// truncated document, undefined entity, a second root element, text
	// outside the root). The wrapped chain includes the *xml.SyntaxError
	// when there is one.
	ErrMalformed = errors.New("autoconfig: malformed XML")
	// ErrDTD means the document has a DTD, an entity declaration or another
	// <!...> directive. The readers never process DTDs, so no custom entity
	// is ever expanded ("billion laughs", external entities).
	ErrDTD = errors.New("autoconfig: DTD or entity declaration refused")
	// ErrCharset means the XML declaration names an encoding other than
	// UTF-8, US-ASCII or ISO-8859-1, or the bytes do not fit the declared
	// US-ASCII.
	ErrCharset = errors.New("autoconfig: unsupported character encoding")
	// ErrNoEmailProvider means a config-v1.1.xml document has no
	// clientConfig root or no emailProvider in it.
	ErrNoEmailProvider = errors.New("autoconfig: no emailProvider")
	// ErrNoServers means that no valid IMAP, POP3 or SMTP server remains
	// once invalid ones were rejected; the error text gives the reasons.
	ErrNoServers = errors.New("autoconfig: no valid server")
	// ErrNotAutodiscover means the document is not an Autodiscover
	// response (no Autodiscover root or no Response in it).
	ErrNotAutodiscover = errors.New("autoconfig: not an Autodiscover response")
	// ErrAutodiscoverError means the Autodiscover response is an error
	// response (Response/Error); the error text carries its code and message.
	ErrAutodiscoverError = errors.New("autoconfig: Autodiscover error response")
	// ErrBadRedirect means an Autodiscover redirect names an invalid email
	// address, or a URL that is not https or has an invalid host.
	ErrBadRedirect = errors.New("autoconfig: invalid Autodiscover redirect")
)
