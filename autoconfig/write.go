package autoconfig

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Errors returned by the writers (WriteMozilla, WriteThunderbirdPrefs,
// WriteAutodiscover, QRPayload, QRPNG, WriteZone), wrapped with what failed
// and where; test them with [errors.Is]. A writer that fails has written
// nothing: every writer builds its whole output in memory first.
var (
	// ErrExportInvalid means an input value cannot be written: a nil
	// Config, a server with port 0, an empty or malformed host name, an
	// unknown Security or authentication, a user name with control
	// characters, an account address that is not local@domain, a malformed
	// profile key in PrefsOptions, a TLSA digest that is not 32 bytes, ...
	ErrExportInvalid = errors.New("autoconfig: invalid input for export")
	// ErrExportMissing means the format needs something the Config lacks:
	// no IMAP or POP3 incoming server, no SMTP outgoing server, no domain.
	ErrExportMissing = errors.New("autoconfig: missing server or domain for export")
	// ErrExportUnsupported means the format cannot express the settings:
	// an authentication method it has no value for, a placeholder the
	// account cannot fill, a non-ASCII address where ASCII is required.
	ErrExportUnsupported = errors.New("autoconfig: settings not expressible in this format")
)

// checkExportServer checks a server for writing and returns it in canonical
// form: host name lower-case A-labels (placeholders kept), authentication
// values in their config-v1.1.xml spelling without duplicates. outgoing says
// which list of the Config the server is in. The error text names the field
// but not the server; the caller adds where.
func checkExportServer(s Server, outgoing bool) (Server, error) {
	switch {
	case outgoing && s.Protocol != SMTP:
		return s, fmt.Errorf("outgoing server of type %q, want smtp", clip(string(s.Protocol), 32))
	case !outgoing && s.Protocol == SMTP:
		return s, errors.New("incoming server of type smtp")
	case !isProtocolToken(string(s.Protocol)):
		return s, fmt.Errorf("type %q is not a protocol name", clip(string(s.Protocol), 32))
	}
	if !isMailProtocol(s.Protocol) {
		return checkExportOther(s)
	}
	h, err := normHost(s.Hostname)
	if err != nil {
		return s, err
	}
	s.Hostname = h
	if s.Port < 1 || s.Port > 65535 {
		return s, fmt.Errorf("port %d out of range 1-65535", s.Port)
	}
	switch s.Security {
	case TLS, STARTTLS, Plain:
	default:
		return s, fmt.Errorf("unknown security %q (want tls, starttls or plain)", clip(string(s.Security), 32))
	}
	if len(s.Auth) == 0 {
		return s, errors.New("no authentication")
	}
	auths := make([]Auth, 0, len(s.Auth))
	for _, a := range s.Auth {
		c, ok := authNames[strings.ToLower(string(a))]
		if !ok {
			return s, fmt.Errorf("unknown authentication %q", clip(string(a), 32))
		}
		if s.Protocol != SMTP && (c == AuthClientIP || c == AuthSMTPAfterPOP) {
			return s, fmt.Errorf("authentication %q is for SMTP only", c)
		}
		auths = appendAuth(auths, c)
	}
	s.Auth = auths
	if err := checkUsername(s.Username); err != nil {
		return s, err
	}
	if err := checkExportLine("username", s.Username); err != nil {
		return s, err
	}
	s.URL = "" // only HTTP-based types have one
	return s, nil
}

// checkExportOther checks a server of a type the engine does not probe (ews,
// owa, graph, ...): every field is optional, those present must be valid.
func checkExportOther(s Server) (Server, error) {
	if s.Hostname != "" {
		h, err := normHost(s.Hostname)
		if err != nil {
			return s, err
		}
		s.Hostname = h
	}
	if s.Port != 0 && (s.Port < 1 || s.Port > 65535) {
		return s, fmt.Errorf("port %d out of range 1-65535", s.Port)
	}
	switch s.Security {
	case "", TLS, STARTTLS, Plain:
	default:
		return s, fmt.Errorf("unknown security %q (want tls, starttls or plain)", clip(string(s.Security), 32))
	}
	if s.URL != "" {
		u, err := checkURL(s.URL, false)
		if err != nil {
			return s, fmt.Errorf("url: %w", err)
		}
		s.URL = u
	}
	auths := make([]Auth, 0, len(s.Auth))
	for _, a := range s.Auth {
		if strings.TrimSpace(string(a)) == "" {
			return s, errors.New("empty authentication value")
		}
		if err := checkExportLine("authentication", string(a)); err != nil {
			return s, err
		}
		if c, ok := authNames[strings.ToLower(string(a))]; ok {
			a = c
		}
		auths = appendAuth(auths, Auth(strings.TrimSpace(string(a))))
	}
	s.Auth = auths
	if err := checkExportLine("username", s.Username); err != nil {
		return s, err
	}
	return s, nil
}

// checkExportLine refuses text that no format here can carry on one line:
// invalid UTF-8, control characters (C0, DEL, C1), U+2028 and U+2029 (line
// breaks to JavaScript and JSON readers), and the non-characters U+FFFE and
// U+FFFF (not XML characters, XML 1.0 §2.2).
func checkExportLine(field, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == 0x2028 || r == 0x2029 || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("%s %q has the control character %U", field, clip(s, 64), r)
		}
	}
	return nil
}

// exportVars checks an account and returns the Vars that fill the
// placeholders of its servers. The domain of the address is converted to
// lower-case A-labels; Vars.Address is local@a-label-domain.
func exportVars(acct Account) (Vars, error) {
	addr := strings.TrimSpace(acct.Address)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return Vars{}, fmt.Errorf("%w: account address %q is not local@domain", ErrExportInvalid, clip(addr, 64))
	}
	local, domain := addr[:at], addr[at+1:]
	if err := checkExportLine("account address", local); err != nil {
		return Vars{}, fmt.Errorf("%w: %w", ErrExportInvalid, err)
	}
	if strings.ContainsAny(local, " \t<>\"(),;:\\[]") {
		return Vars{}, fmt.Errorf("%w: account address %q: local part needs quoting", ErrExportInvalid, clip(addr, 64))
	}
	d, err := normHost(domain)
	if err == nil && hasPlaceholder(d) {
		err = errors.New("placeholder in the domain")
	}
	if err != nil {
		return Vars{}, fmt.Errorf("%w: account address %q: %w", ErrExportInvalid, clip(addr, 64), err)
	}
	if err := checkExportLine("account name", acct.Name); err != nil {
		return Vars{}, fmt.Errorf("%w: %w", ErrExportInvalid, err)
	}
	if err := checkExportLine("account description", acct.Description); err != nil {
		return Vars{}, fmt.Errorf("%w: %w", ErrExportInvalid, err)
	}
	return Vars{Address: local + "@" + d, LocalPart: local, Domain: d, RealName: strings.TrimSpace(acct.Name)}, nil
}

// expandExportServer substitutes the account's values for the placeholders
// of a checked mail server's host and user names. A placeholder left over
// (%REALNAME% without a name, say) is [ErrExportUnsupported].
func expandExportServer(s Server, v Vars, where string) (Server, error) {
	raw := s.Hostname
	h, err := normHost(v.Expand(raw))
	if err != nil {
		return s, fmt.Errorf("%w: %s: %w", ErrExportInvalid, where, err)
	}
	if hasPlaceholder(h) {
		return s, fmt.Errorf("%w: %s host name %q has a placeholder the account cannot fill", ErrExportUnsupported, where, clip(raw, 64))
	}
	s.Hostname = h
	u := v.Expand(s.Username)
	if hasPlaceholder(u) {
		return s, fmt.Errorf("%w: %s user name %q has a placeholder the account cannot fill", ErrExportUnsupported, where, clip(s.Username, 64))
	}
	if err := checkUsername(u); err != nil {
		return s, fmt.Errorf("%w: %s: %w", ErrExportInvalid, where, err)
	}
	s.Username = u
	return s, nil
}

// firstExportServer returns the first server of list whose protocol is one of
// protos, checked, with where naming it for messages ("Incoming[2] (imap)").
// A server that fails the check is [ErrExportInvalid]; none of the protocols
// is [ErrExportMissing].
func firstExportServer(list []Server, outgoing bool, protos ...Protocol) (Server, string, error) {
	for i, s := range list {
		for _, p := range protos {
			if s.Protocol != p {
				continue
			}
			where := serverWhere(outgoing, i, s)
			c, err := checkExportServer(s, outgoing)
			if err != nil {
				return s, where, fmt.Errorf("%w: %s: %w", ErrExportInvalid, where, err)
			}
			return c, where, nil
		}
	}
	names := make([]string, len(protos))
	for i, p := range protos {
		names[i] = strings.ToUpper(string(p))
	}
	dir := "incoming"
	if outgoing {
		dir = "outgoing"
	}
	return Server{}, "", fmt.Errorf("%w: no %s %s server", ErrExportMissing, strings.Join(names, " or "), dir)
}

// serverWhere names a server of a Config for messages: Incoming[0] (imap).
func serverWhere(outgoing bool, i int, s Server) string {
	list := "Incoming"
	if outgoing {
		list = "Outgoing"
	}
	return fmt.Sprintf("%s[%d] (%s)", list, i, clip(string(s.Protocol), 32))
}

// checkExportServers checks the servers of a Config a writer writes: all of
// them, or with mailOnly only the IMAP, POP3 and SMTP ones (the others are
// then returned unchecked, for the writer to skip, so that indexes match the
// Config's).
func checkExportServers(cfg *Config, mailOnly bool) (in, out []Server, err error) {
	for i, s := range cfg.Incoming {
		if mailOnly && !isMailProtocol(s.Protocol) {
			in = append(in, s)
			continue
		}
		c, err := checkExportServer(s, false)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrExportInvalid, serverWhere(false, i, s), err)
		}
		in = append(in, c)
	}
	for i, s := range cfg.Outgoing {
		if mailOnly && !isMailProtocol(s.Protocol) {
			out = append(out, s)
			continue
		}
		c, err := checkExportServer(s, true)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrExportInvalid, serverWhere(true, i, s), err)
		}
		out = append(out, c)
	}
	return in, out, nil
}
