package pacc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// Errors of [Parse].
var (
	// ErrTooLarge is a document larger than [MaxSize].
	ErrTooLarge = errors.New("pacc: document too large")
	// ErrTooDeep is a document nested deeper than [MaxDepth].
	ErrTooDeep = errors.New("pacc: document nested too deep")
	// ErrSyntax is a document that is not one JSON object of the draft's
	// shape: broken JSON, trailing data, or a member of the wrong type.
	ErrSyntax = errors.New("pacc: malformed document")
)

// MaxSize bounds the document read: a provider's configuration is a few
// hundred bytes; 64 KiB leaves room for logos' URLs and later members.
const MaxSize = 64 << 10

// MaxDepth bounds the nesting of objects and arrays (the draft's document
// is four levels deep).
const MaxDepth = 16

// Document is a PACC configuration document (draft-ietf-mailmaint-pacc-02).
// Members this package does not know are ignored when read.
type Document struct {
	Protocols      Protocols      `json:"protocols"`
	Authentication Authentication `json:"authentication"`
	Info           Info           `json:"info"`
	// Problems lists what [Parse] dropped and why (a host name that is not
	// an A-label, a port out of range, a URL that is not https); the
	// members that remain are valid.
	Problems []string `json:"-"`
}

// Protocols are the document's servers, at most one per protocol.
type Protocols struct {
	IMAP    *HostServer `json:"imap,omitempty"`
	POP3    *HostServer `json:"pop3,omitempty"`
	SMTP    *HostServer `json:"smtp,omitempty"`
	JMAP    *URLServer  `json:"jmap,omitempty"`
	CalDAV  *URLServer  `json:"caldav,omitempty"`
	CardDAV *URLServer  `json:"carddav,omitempty"`
}

// HostServer is an IMAP, POP3 or SMTP server: implicit TLS on Port, or on
// the protocol's port (993, 995, 465; RFC 8314 §7) when Port is zero.
type HostServer struct {
	// Host is the ASCII (A-label) host name, lower case, no trailing dot.
	Host string `json:"host"`
	Port int    `json:"port,omitempty"`
}

// URLServer is a JMAP session resource or a CalDAV or CardDAV context URL,
// always https.
type URLServer struct {
	URL string `json:"url"`
}

// Authentication says how the user signs in.
type Authentication struct {
	// Password is true when the servers take the user's password.
	Password *bool `json:"password,omitempty"`
	// OAuthPublic is the OAuth 2.0 public-client profile: the client signs
	// the user in at Issuer, whose RFC 8414 metadata names the endpoints.
	OAuthPublic *OAuthPublic `json:"oauth-public,omitempty"`
}

// OAuthPublic is the oauth-public member. The draft defines Issuer; the
// scopes and the RFC 8414 endpoint names are read when a provider adds them.
type OAuthPublic struct {
	Issuer                string   `json:"issuer"`
	Scopes                []string `json:"scopes,omitempty"`
	AuthorizationEndpoint string   `json:"authorization_endpoint,omitempty"`
	TokenEndpoint         string   `json:"token_endpoint,omitempty"`
}

// Info names the provider and its help pages.
type Info struct {
	Provider Provider `json:"provider"`
	Help     *Help    `json:"help,omitempty"`
}

// Provider is the provider's name, short name and logos.
type Provider struct {
	Name      string `json:"name"`
	ShortName string `json:"shortName,omitempty"`
	Logo      []Logo `json:"logo,omitempty"`
}

// Logo is one logo of the provider.
type Logo struct {
	URL         string `json:"url"`
	ContentType string `json:"content-type,omitempty"`
}

// Help are the provider's help pages: for users, for developers, and ways
// to contact support (https or mailto URLs).
type Help struct {
	Documentation string   `json:"documentation,omitempty"`
	Developer     string   `json:"developer,omitempty"`
	Contact       []string `json:"contact,omitempty"`
}

// Parse reads a document. It returns an error wrapping [ErrTooLarge],
// [ErrTooDeep] or [ErrSyntax] when the document cannot be read at all; a
// member whose value is invalid (host, port, URL) is dropped and explained
// in Problems.
func Parse(data []byte) (*Document, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, len(data), MaxSize)
	}
	if err := checkDepth(data); err != nil {
		return nil, err
	}
	var d Document
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&d); err != nil {
		return nil, syntaxError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the document", ErrSyntax)
	}
	d.validate()
	return &d, nil
}

// checkDepth walks the tokens of data, refusing nesting deeper than
// MaxDepth before anything is decoded, and a document that is not an object.
func checkDepth(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	for first := true; ; first = false {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return syntaxError(err)
		}
		if first && tok != json.Delim('{') {
			return fmt.Errorf("%w: not a JSON object", ErrSyntax)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > MaxDepth {
				return fmt.Errorf("%w: more than %d levels", ErrTooDeep, MaxDepth)
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// syntaxError says where a decoding error is, without the decoder's Go type
// names.
func syntaxError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Errorf("%w: %s is a JSON %s, not the expected %s", ErrSyntax, te.Field, te.Value, jsonKind(te.Type.Kind().String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: at byte %d: %w", ErrSyntax, se.Offset, err)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated", ErrSyntax)
	}
	return fmt.Errorf("%w: %w", ErrSyntax, err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "int", "int64":
		return "number"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	default:
		return "object"
	}
}

// validate drops the members whose values are invalid, saying why.
func (d *Document) validate() {
	p := &d.Protocols
	for _, h := range []struct {
		name string
		s    **HostServer
	}{{"imap", &p.IMAP}, {"pop3", &p.POP3}, {"smtp", &p.SMTP}} {
		if *h.s == nil {
			continue
		}
		if err := (*h.s).check(); err != nil {
			d.problem("protocols.%s: %v", h.name, err)
			*h.s = nil
		}
	}
	for _, u := range []struct {
		name string
		s    **URLServer
	}{{"jmap", &p.JMAP}, {"caldav", &p.CalDAV}, {"carddav", &p.CardDAV}} {
		if *u.s == nil {
			continue
		}
		if err := checkHTTPS((*u.s).URL); err != nil {
			d.problem("protocols.%s.url: %v", u.name, err)
			*u.s = nil
		}
	}
	if o := d.Authentication.OAuthPublic; o != nil {
		for _, f := range []*string{&o.Issuer, &o.AuthorizationEndpoint, &o.TokenEndpoint} {
			if *f != "" {
				if err := checkHTTPS(*f); err != nil { // RFC 8414 §2: the issuer is an https URL
					d.problem("authentication.oauth-public: %v", err)
					*f = ""
				}
			}
		}
		if o.Issuer == "" && (o.AuthorizationEndpoint == "" || o.TokenEndpoint == "") {
			d.problem("authentication.oauth-public: no issuer")
			d.Authentication.OAuthPublic = nil
		}
	}
	if h := d.Info.Help; h != nil {
		for _, f := range []*string{&h.Documentation, &h.Developer} {
			if *f != "" {
				if err := checkHTTPS(*f); err != nil {
					d.problem("info.help: %v", err)
					*f = ""
				}
			}
		}
		var kept []string
		for _, c := range h.Contact {
			if strings.HasPrefix(c, "mailto:") && len(c) > len("mailto:") && len(c) <= 320 {
				kept = append(kept, c)
			} else if err := checkHTTPS(c); err != nil {
				d.problem("info.help.contact: %v", err)
			} else {
				kept = append(kept, c)
			}
		}
		h.Contact = kept
	}
	var logos []Logo
	for _, l := range d.Info.Provider.Logo {
		if err := checkHTTPS(l.URL); err != nil {
			d.problem("info.provider.logo: %v", err)
			continue
		}
		logos = append(logos, l)
	}
	d.Info.Provider.Logo = logos
}

// maxProblems bounds Problems, as autoconfig's readers do.
const maxProblems = 100

func (d *Document) problem(format string, args ...any) {
	switch {
	case len(d.Problems) < maxProblems:
		d.Problems = append(d.Problems, fmt.Sprintf(format, args...))
	case len(d.Problems) == maxProblems:
		d.Problems = append(d.Problems, "more problems left out")
	}
}

// check validates a host server: an A-label host name in lower case and a
// port in 1–65535 (or none: the protocol's own).
func (s *HostServer) check() error {
	if err := checkHost(s.Host); err != nil {
		return err
	}
	if s.Port < 0 || s.Port > 65535 {
		return fmt.Errorf("port %d out of range 1-65535", s.Port)
	}
	return nil
}

// checkHost accepts only a host name already in its canonical ASCII form:
// A-labels (RFC 5891 §5), lower case, no trailing dot, not an IP address.
func checkHost(h string) error {
	if h == "" {
		return errors.New("empty host name")
	}
	a, err := idna.Lookup.ToASCII(h)
	if err != nil {
		return fmt.Errorf("host name %q: %w", clip(h, 64), err)
	}
	if a != h || strings.ToLower(h) != h {
		return fmt.Errorf("host name %q is not in lower-case A-label form (%q)", clip(h, 64), clip(strings.ToLower(a), 64))
	}
	if !strings.Contains(h, ".") || strings.Trim(h, "0123456789.") == "" {
		return fmt.Errorf("host name %q is not a domain name", clip(h, 64))
	}
	return nil
}

// checkHTTPS accepts an absolute https URL with a valid host and no user
// information.
func checkHTTPS(raw string) error {
	if len(raw) > 2048 {
		return errors.New("URL longer than 2048 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("URL %q: %w", clip(raw, 64), err)
	}
	if u.Scheme != "https" { // draft-ietf-mailmaint-pacc-02: every URL is https
		return fmt.Errorf("URL %q is not https", clip(raw, 64))
	}
	if u.User != nil {
		return fmt.Errorf("URL %q carries user information", clip(raw, 64))
	}
	if err := checkHost(u.Hostname()); err != nil {
		return fmt.Errorf("URL %q: %w", clip(raw, 64), err)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("URL %q: port out of range 1-65535", clip(raw, 64))
		}
	}
	return nil
}
