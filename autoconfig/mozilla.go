package autoconfig

import (
	"fmt"
	"io"
	"net/url"
	"strings"
)

// ReadMozilla reads a Mozilla config-v1.1.xml document (clientConfig /
// emailProvider, draft-ietf-mailmaint-autoconfig) into a [Config], following
// the rules of Thunderbird's reader (readFromXML.sys.mjs):
//
//   - The placeholders %EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN% and
//     %REALNAME% are substituted with v in hostname, username and url.
//   - An IMAP, POP3 or SMTP server needs a valid host name, a port from 1 to
//     65535, a socketType ("plain", "SSL" or "STARTTLS", in any letter case;
//     the first supported one of several counts) and at least one supported
//     authentication. Unknown authentication values are skipped, the aliases
//     "plain" and "secure" read as password-cleartext and password-encrypted;
//     "client-IP-address" and "smtp-after-pop" count only for SMTP.
//   - outgoingServer must be of type smtp, incomingServer must not be.
//   - Other incoming types (exchange, ews, owa, graph, jmap, ...) are kept
//     as servers whose Protocol is the type, with whatever of hostname, port,
//     socketType, url, authentication and username they have valid.
//   - A user name with control characters makes a server invalid.
//   - <calendar type="caldav"> and <addressbook type="carddav"> under
//     clientConfig go to Calendars and AddressBooks (see readDAVSections).
//   - Unknown elements and attributes are ignored anywhere.
//
// A server with an invalid value is left out and the reason added to
// [Config.Problems]; domains are lower-cased and kept in document order.
//
// ReadMozilla fails only when the document cannot be trusted or used at all:
// [ErrTooLarge], [ErrMalformed], [ErrDTD], [ErrCharset], [ErrNoEmailProvider]
// (no clientConfig root or no emailProvider), or [ErrNoServers] when no
// IMAP, POP3 or SMTP server remains; the error text then lists the reasons.
func ReadMozilla(r io.Reader, v Vars) (*Config, error) {
	// clientConfig / emailProvider / incomingServer / hostname
	root, err := parseXML(r, 4)
	if err != nil {
		return nil, err
	}
	if root.name != "clientConfig" {
		return nil, fmt.Errorf("%w: root element is <%s>, want <clientConfig>", ErrNoEmailProvider, clip(root.name, 40))
	}
	providers := root.children("emailProvider")
	if len(providers) == 0 {
		return nil, fmt.Errorf("%w: <clientConfig> has no <emailProvider>", ErrNoEmailProvider)
	}
	ep := providers[0]

	c := &Config{}
	if len(providers) > 1 {
		c.problem("clientConfig has %d emailProvider elements; only the first (line %d) is read", len(providers), ep.line)
	}
	id, _ := ep.attr("id")
	c.ID = strings.TrimSpace(id)
	c.DisplayName, _ = ep.childValue("displayName")
	c.ShortName, _ = ep.childValue("displayShortName")

	mail := 0
	for _, n := range ep.kids {
		switch n.name {
		case "domain":
			d, err := normHost(n.value())
			if err != nil || hasPlaceholder(d) {
				if err == nil {
					err = fmt.Errorf("placeholder in %q", clip(d, 64))
				}
				c.problem("domain at line %d ignored: %v", n.line, err)
				continue
			}
			c.Domains = append(c.Domains, d)
		case "incomingServer", "outgoingServer":
			s, ok := c.readMozillaServer(n, v)
			if !ok {
				continue
			}
			if isMailProtocol(s.Protocol) {
				mail++
			}
			if n.name == "outgoingServer" {
				c.Outgoing = append(c.Outgoing, s)
			} else {
				c.Incoming = append(c.Incoming, s)
			}
		}
	}
	if mail == 0 {
		return nil, noServers(fmt.Sprintf("emailProvider %q", clip(c.ID, 64)), c.Problems)
	}
	c.readDAVSections(root, v)
	// The draft puts <oAuth2> under clientConfig; some files of the ISP
	// database put it under emailProvider.
	for _, parent := range []*xnode{root, ep} {
		if n := parent.child("oAuth2"); n != nil && c.OAuth2 == nil {
			c.OAuth2 = c.readOAuth2(n)
		}
	}
	c.Help = c.readHelp(ep, root)
	c.attachSignIn()
	return c, nil
}

// noServers builds the ErrNoServers error, with the first problems as its
// reasons.
func noServers(where string, problems []string) error {
	if len(problems) == 0 {
		return fmt.Errorf("%w in %s", ErrNoServers, where)
	}
	const max = 10
	more := ""
	if len(problems) > max {
		more = fmt.Sprintf("; and %d more", len(problems)-max)
		problems = problems[:max]
	}
	return fmt.Errorf("%w in %s: %s%s", ErrNoServers, where, strings.Join(problems, "; "), more)
}

// maxProblems bounds Config.Problems, so that a hostile document cannot make
// a reader build a long list of messages.
const maxProblems = 100

// problem records why something of the source was left out.
func (c *Config) problem(format string, args ...any) {
	switch {
	case len(c.Problems) < maxProblems:
		c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
	case len(c.Problems) == maxProblems:
		c.Problems = append(c.Problems, "further problems not listed")
	}
}

func isMailProtocol(p Protocol) bool { return p == IMAP || p == POP3 || p == SMTP }

// readMozillaServer reads an incomingServer or outgoingServer element. It
// reports false, after recording the reason, when the server is rejected.
func (c *Config) readMozillaServer(n *xnode, v Vars) (Server, bool) {
	typ, _ := n.attr("type")
	typ = strings.ToLower(strings.TrimSpace(typ))
	where := fmt.Sprintf("%s type %q at line %d", n.name, clip(typ, 32), n.line)
	reject := func(format string, args ...any) (Server, bool) {
		c.problem("%s rejected: %s", where, fmt.Sprintf(format, args...))
		return Server{}, false
	}
	switch {
	case typ == "":
		return reject("no type attribute")
	case n.name == "outgoingServer" && typ != string(SMTP):
		return reject("an outgoingServer must be of type smtp")
	case n.name == "incomingServer" && typ == string(SMTP):
		return reject("an incomingServer cannot be of type smtp")
	case !isProtocolToken(typ):
		return reject("type is not a protocol name")
	}
	s := Server{Protocol: Protocol(typ)}
	if !isMailProtocol(s.Protocol) {
		c.readOtherServer(&s, n, v, where, false)
		return s, true
	}

	host, ok := n.childValue("hostname")
	if !ok {
		return reject("no hostname")
	}
	h, err := normHost(v.Expand(host))
	if err != nil {
		return reject("%v", err)
	}
	s.Hostname = h

	port, ok := n.childValue("port")
	if !ok {
		return reject("no port")
	}
	if s.Port, err = parsePort(port); err != nil {
		return reject("%v", err)
	}

	sockets := n.children("socketType")
	if len(sockets) == 0 {
		return reject("no socketType")
	}
	var unknown []string
	for _, k := range sockets { // take the first supported, as Thunderbird does
		if sec, ok := parseSocketType(k.value()); ok {
			s.Security = sec
			break
		}
		unknown = append(unknown, k.value())
	}
	if s.Security == "" {
		return reject("unsupported socketType %s (want plain, SSL or STARTTLS)", quoteList(unknown))
	}

	auths := n.children("authentication")
	if len(auths) == 0 {
		return reject("no authentication")
	}
	unknown = unknown[:0]
	for _, k := range auths {
		a, ok := parseMozillaAuth(k, s.Protocol)
		if !ok {
			unknown = append(unknown, k.value())
			continue
		}
		s.Auth = appendAuth(s.Auth, a)
	}
	if len(s.Auth) == 0 {
		return reject("no supported authentication among %s", quoteList(unknown))
	}

	if u, ok := n.childValue("username"); ok {
		s.Username = v.Expand(u)
		if err := checkUsername(s.Username); err != nil {
			return reject("%v", err)
		}
	}
	return s, true
}

// checkUsername refuses a user name with control characters (CR, LF, NUL,
// ...), which have no place in a login and could smuggle protocol commands
// into a careless client.
func checkUsername(u string) error {
	for _, r := range u {
		if r < 0x20 || r == 0x7F {
			return fmt.Errorf("username %q has control characters", clip(u, 64))
		}
	}
	return nil
}

// readOtherServer fills a server of a type the engine does not probe
// (exchange, ews, owa, graph, jmap, ...). Such a server is kept whatever it
// lacks; an invalid value is dropped with a problem noted. httpsOnly drops
// a url that is not https.
func (c *Config) readOtherServer(s *Server, n *xnode, v Vars, where string, httpsOnly bool) {
	drop := func(format string, args ...any) {
		c.problem("%s: ignored %s", where, fmt.Sprintf(format, args...))
	}
	if host, ok := n.childValue("hostname"); ok {
		if h, err := normHost(v.Expand(host)); err != nil {
			drop("%v", err)
		} else {
			s.Hostname = h
		}
	}
	if port, ok := n.childValue("port"); ok {
		if p, err := parsePort(port); err != nil {
			drop("%v", err)
		} else {
			s.Port = p
		}
	}
	if st, ok := n.childValue("socketType"); ok {
		if sec, ok := parseSocketType(st); ok {
			s.Security = sec
		} else {
			drop("socketType %q", clip(st, 32))
		}
	}
	if raw, ok := n.childValue("url"); ok {
		if u, err := checkURL(v.Expand(raw), httpsOnly); err != nil {
			drop("url: %v", err)
		} else {
			s.URL = u
		}
	}
	for _, k := range n.children("authentication") {
		val := k.value()
		if len(s.Auth) == maxOtherAuth {
			drop("authentication %q and those after it", clip(val, 32))
			break
		}
		if a, ok := authNames[strings.ToLower(val)]; ok {
			s.Auth = appendAuth(s.Auth, a)
		} else if val != "" {
			// HTTP schemes of these types ("http-basic", ...), kept as written.
			s.Auth = appendAuth(s.Auth, Auth(clip(val, 64)))
		}
	}
	if u, ok := n.childValue("username"); ok {
		s.Username = v.Expand(u)
	}
}

// maxOtherAuth bounds the authentication values kept for a server of
// another type, which are kept even when unknown.
const maxOtherAuth = 16

// quoteList quotes the first few values for a message.
func quoteList(vals []string) string {
	const max = 5
	q := make([]string, 0, max+1)
	for i, v := range vals {
		if i == max {
			q = append(q, fmt.Sprintf("and %d more", len(vals)-max))
			break
		}
		q = append(q, fmt.Sprintf("%q", clip(v, 32)))
	}
	return strings.Join(q, ", ")
}

// isProtocolToken reports whether a server type looks like a protocol name:
// 1 to 32 lower-case letters, digits, "-", "+" or ".".
func isProtocolToken(t string) bool {
	if len(t) == 0 || len(t) > 32 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.') {
			return false
		}
	}
	return true
}

// parseSocketType maps a socketType value, in any letter case.
func parseSocketType(s string) (Security, bool) {
	switch strings.ToLower(s) {
	case "plain":
		return Plain, true
	case "ssl":
		return TLS, true
	case "starttls":
		return STARTTLS, true
	}
	return "", false
}

// authNames maps the lower-cased authentication values of config-v1.1.xml,
// with Thunderbird's deprecated aliases "plain" and "secure".
var authNames = map[string]Auth{
	"password-cleartext": AuthPasswordCleartext,
	"plain":              AuthPasswordCleartext,
	"password-encrypted": AuthPasswordEncrypted,
	"secure":             AuthPasswordEncrypted,
	"ntlm":               AuthNTLM,
	"gssapi":             AuthGSSAPI,
	"client-ip-address":  AuthClientIP,
	"tls-client-cert":    AuthTLSClientCert,
	"oauth2":             AuthOAuth2,
	"none":               AuthNone,
	"smtp-after-pop":     AuthSMTPAfterPOP,
}

// parseMozillaAuth maps one authentication element of a mail server. HTTP
// schemes (system="http"), unknown values and the SMTP-only methods on an
// incoming server are not supported.
func parseMozillaAuth(k *xnode, p Protocol) (Auth, bool) {
	if sys, _ := k.attr("system"); strings.EqualFold(strings.TrimSpace(sys), "http") {
		return "", false
	}
	a, ok := authNames[strings.ToLower(k.value())]
	if !ok {
		return "", false
	}
	if p != SMTP && (a == AuthClientIP || a == AuthSMTPAfterPOP) {
		return "", false
	}
	return a, true
}

// appendAuth appends a unless the list already has it.
func appendAuth(list []Auth, a Auth) []Auth {
	for _, x := range list {
		if x == a {
			return list
		}
	}
	return append(list, a)
}

// checkURL checks an absolute http(s) URL with a valid host, and returns it
// trimmed; httpsOnly refuses http. Placeholders left in it are checked with
// typical values put in.
func checkURL(raw string, httpsOnly bool) (string, error) {
	raw = strings.TrimSpace(raw)
	q := fmt.Sprintf("%q", clip(raw, 64))
	u, err := url.Parse(placeholderProbe.Replace(raw))
	if err != nil {
		return "", fmt.Errorf("%s is not a URL", q)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && !httpsOnly:
	case httpsOnly:
		return "", fmt.Errorf("%s is not an https URL", q)
	default:
		return "", fmt.Errorf("%s is not an http or https URL", q)
	}
	if u.User != nil {
		return "", fmt.Errorf("%s has user information", q)
	}
	if _, err := normHost(u.Hostname()); err != nil {
		return "", fmt.Errorf("%s: %w", q, err)
	}
	if p := u.Port(); p != "" {
		if _, err := parsePort(p); err != nil {
			return "", fmt.Errorf("%s: %w", q, err)
		}
	}
	return raw, nil
}
