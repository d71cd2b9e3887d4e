package autoconfig

import (
	"fmt"
	"io"
	"strings"
)

// The namespaces of an Autodiscover POX response ([MS-OXDSCLI]): the outer
// Autodiscover element, and the Outlook "2006a" schema of Response/Account.
// The reader matches element names without their namespace, as Thunderbird
// does, so a response that declares them differently still reads.
const (
	AutodiscoverNS        = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
	AutodiscoverOutlookNS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
)

const (
	autodiscoverMaxDepth   = 5   // Autodiscover / Response / Account / Protocol / Server
	autodiscoverMessageMax = 200 // runes of an error message kept in the error text
)

// AutodiscoverResult is what an Autodiscover response says: either settings
// (Config set, both redirects empty) or a redirect to follow (Config nil and
// exactly one of RedirectAddr, RedirectURL set).
type AutodiscoverResult struct {
	// Config holds the IMAP, POP3 and SMTP servers of an Action "settings"
	// response.
	Config *Config
	// RedirectAddr is the email address to run Autodiscover for instead
	// (Action "redirectAddr"), its domain lower-case ASCII.
	RedirectAddr string
	// RedirectURL is the https URL to POST the request to instead (Action
	// "redirectUrl").
	RedirectURL string
}

// ReadAutodiscover reads an Autodiscover POX response (Outlook schema 2006a:
// Autodiscover/Response/Account). It interprets each Protocol as
// Thunderbird's Autodiscover reader and Outlook do:
//
//   - Type IMAP and POP3 become incoming servers, SMTP outgoing ones; other
//     types (EXCH, EXPR, WEB, ...) are ignored.
//   - Server must be a valid host name and Port a number from 1 to 65535.
//   - Encryption, when present, decides the security: "None" is plain,
//     "SSL" implicit TLS, "TLS" STARTTLS, "Auto" implicit TLS on 993, 995
//     and 465 and STARTTLS elsewhere. Without it, SSL "off" is plain and SSL
//     "on" (the default) is STARTTLS on the plain ports 143, 110, 25 and 587
//     and implicit TLS on any other port. So STARTTLS is SSL on plus
//     Encryption TLS (DESIGN.md).
//   - SPA "on" means password-encrypted, otherwise password-cleartext; for
//     SMTP, AuthRequired "off" means no authentication (smtp-after-pop with
//     SMTPLast "on").
//   - LoginName, placeholders substituted with v, is the user name; without
//     it Username is empty. Control characters in it make the server
//     invalid.
//
// A Protocol with an invalid value is left out and the reason added to
// Config.Problems.
//
// ReadAutodiscover fails with [ErrTooLarge], [ErrMalformed], [ErrDTD] or
// [ErrCharset] as [ReadMozilla] does; with [ErrNotAutodiscover] when there is
// no Autodiscover/Response; with [ErrAutodiscoverError] for an error
// response, its code and message in the error text; with [ErrBadRedirect]
// for an invalid redirect address or a redirect URL that is not https; and
// with [ErrNoServers] when a settings response has no valid IMAP, POP3 or
// SMTP server.
func ReadAutodiscover(r io.Reader, v Vars) (*AutodiscoverResult, error) {
	root, err := parseXML(r, autodiscoverMaxDepth)
	if err != nil {
		return nil, err
	}
	if root.name != "Autodiscover" {
		return nil, fmt.Errorf("%w: root element is <%s>, want <Autodiscover>", ErrNotAutodiscover, clip(root.name, 40))
	}
	resp := root.child("Response")
	if resp == nil {
		return nil, fmt.Errorf("%w: <Autodiscover> has no <Response>", ErrNotAutodiscover)
	}
	if e := resp.child("Error"); e != nil {
		code, _ := e.childValue("ErrorCode")
		msg, _ := e.childValue("Message")
		return nil, fmt.Errorf("%w at line %d: code %q: %q", ErrAutodiscoverError, e.line,
			clip(code, 16), clip(msg, autodiscoverMessageMax))
	}
	acc := resp.child("Account")
	if acc == nil {
		return nil, noServers("Autodiscover response (no Account)", nil)
	}

	c := &Config{}
	action, _ := acc.childValue("Action")
	addr, hasAddr := acc.childValue("RedirectAddr")
	rurl, hasURL := acc.childValue("RedirectUrl")
	switch strings.ToLower(action) {
	case "redirectaddr":
		return redirectAddr(addr)
	case "redirecturl":
		return redirectURL(rurl)
	case "settings":
	case "":
		// No Action: Thunderbird follows a RedirectAddr wherever it is.
		if hasAddr {
			return redirectAddr(addr)
		}
		if hasURL {
			return redirectURL(rurl)
		}
	default:
		c.problem("Account Action %q is not settings, redirectAddr or redirectUrl; read as settings", clip(action, 32))
	}

	mail := 0
	for _, p := range acc.children("Protocol") {
		s, ok := c.readAutodiscoverProtocol(p, v)
		if !ok {
			continue
		}
		mail++
		if s.Protocol == SMTP {
			c.Outgoing = append(c.Outgoing, s)
		} else {
			c.Incoming = append(c.Incoming, s)
		}
	}
	if mail == 0 {
		return nil, noServers("Autodiscover response", c.Problems)
	}
	return &AutodiscoverResult{Config: c}, nil
}

// redirectAddr checks the address of an Action redirectAddr response.
func redirectAddr(addr string) (*AutodiscoverResult, error) {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || strings.ContainsAny(domain, "@") || strings.ContainsAny(local, " \t\r\n<>\"") {
		return nil, fmt.Errorf("%w: RedirectAddr %q is not an email address", ErrBadRedirect, clip(addr, 64))
	}
	d, err := normHost(domain)
	if err != nil || hasPlaceholder(d) {
		return nil, fmt.Errorf("%w: RedirectAddr %q: invalid domain", ErrBadRedirect, clip(addr, 64))
	}
	return &AutodiscoverResult{RedirectAddr: local + "@" + d}, nil
}

// redirectURL checks the URL of an Action redirectUrl response: https only,
// so that a response cannot downgrade the next request to http.
func redirectURL(raw string) (*AutodiscoverResult, error) {
	u, err := checkURL(raw, true)
	if err != nil || hasPlaceholder(u) {
		if err == nil {
			err = fmt.Errorf("%q has a placeholder", clip(u, 64))
		}
		return nil, fmt.Errorf("%w: RedirectUrl %w", ErrBadRedirect, err)
	}
	return &AutodiscoverResult{RedirectURL: u}, nil
}

// readAutodiscoverProtocol reads one Protocol element. It reports false for
// a type other than IMAP, POP3 and SMTP (silently) and for an invalid server
// (after recording the reason).
func (c *Config) readAutodiscoverProtocol(n *xnode, v Vars) (Server, bool) {
	typ, _ := n.childValue("Type")
	var s Server
	switch strings.ToUpper(typ) {
	case "IMAP":
		s.Protocol = IMAP
	case "POP3":
		s.Protocol = POP3
	case "SMTP":
		s.Protocol = SMTP
	default:
		return s, false // EXCH, EXPR, WEB, EXHTTP, ... are not ours to probe
	}
	where := fmt.Sprintf("Protocol %s at line %d", s.Protocol, n.line)
	reject := func(format string, args ...any) (Server, bool) {
		c.problem("%s rejected: %s", where, fmt.Sprintf(format, args...))
		return Server{}, false
	}
	onOff := func(name string, def bool) (bool, error) {
		val, ok := n.childValue(name)
		if !ok || val == "" {
			return def, nil
		}
		switch strings.ToLower(val) {
		case "on":
			return true, nil
		case "off":
			return false, nil
		}
		return def, fmt.Errorf("%s %q is neither on nor off", name, clip(val, 32))
	}

	host, ok := n.childValue("Server")
	if !ok {
		return reject("no Server")
	}
	h, err := normHost(v.Expand(host))
	if err != nil {
		return reject("%v", err)
	}
	s.Hostname = h

	port, ok := n.childValue("Port")
	if !ok {
		return reject("no Port")
	}
	if s.Port, err = parsePort(port); err != nil {
		return reject("%v", err)
	}

	ssl, err := onOff("SSL", true)
	if err != nil {
		return reject("%v", err)
	}
	if enc, ok := n.childValue("Encryption"); ok && enc != "" {
		switch strings.ToLower(enc) {
		case "none":
			s.Security = Plain
		case "ssl":
			s.Security = TLS
		case "tls":
			s.Security = STARTTLS
		case "auto":
			s.Security = securityForPort(s.Port, STARTTLS)
		default:
			return reject("Encryption %q is not None, SSL, TLS or Auto", clip(enc, 32))
		}
	} else if !ssl {
		s.Security = Plain
	} else {
		// SSL on says only "encrypted". Thunderbird reads it as STARTTLS on
		// the standard plain ports and implicit TLS elsewhere.
		switch s.Port {
		case 143, 110, 25, 587:
			s.Security = STARTTLS
		default:
			s.Security = TLS
		}
	}

	spa, err := onOff("SPA", false)
	if err != nil {
		return reject("%v", err)
	}
	s.Auth = []Auth{AuthPasswordCleartext}
	if spa {
		s.Auth = []Auth{AuthPasswordEncrypted}
	}
	if s.Protocol == SMTP {
		authRequired, err := onOff("AuthRequired", true)
		if err != nil {
			return reject("%v", err)
		}
		smtpLast, err := onOff("SMTPLast", false)
		if err != nil {
			return reject("%v", err)
		}
		switch {
		case !authRequired && smtpLast:
			s.Auth = []Auth{AuthSMTPAfterPOP}
		case !authRequired:
			s.Auth = []Auth{AuthNone}
		}
		// UsePOPAuth "on" means: log in with the incoming server's
		// credentials, which is what the engine does anyway.
		if _, err := onOff("UsePOPAuth", false); err != nil {
			return reject("%v", err)
		}
	}

	if login, ok := n.childValue("LoginName"); ok {
		s.Username = v.Expand(login)
		if err := checkUsername(s.Username); err != nil {
			return reject("%v", err)
		}
	}
	return s, true
}

// securityForPort guesses implicit TLS on the implicit-TLS ports of RFC 8314
// (993, 995, 465) and returns other otherwise.
func securityForPort(port int, other Security) Security {
	switch port {
	case 993, 995, 465:
		return TLS
	}
	return other
}
