package autoconfig

// The calendar and contacts payloads of an Apple profile:
// com.apple.caldav.account and com.apple.carddav.account (Apple's
// device-management schema, mdm/profiles/com.apple.caldav.account.yaml and
// com.apple.carddav.account.yaml). Both have the same keys under the
// prefixes "CalDAV" and "CardDAV"; apple_test.go checks them against the
// schema.

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/mailsetup/mailsetup/i18n"
)

// appleDAVKinds are the two payloads, the Config list each is made from and
// the key prefix of its schema.
var appleDAVKinds = []struct {
	proto       Protocol
	payloadType string
	prefix      string
	suffix      string // of the payload identifier
}{
	{CalDAV, "com.apple.caldav.account", "CalDAV", ".caldav"},
	{CardDAV, "com.apple.carddav.account", "CardDAV", ".carddav"},
}

// appleDAVServers returns the first calendar and address book of cfg that
// Apple's accounts can sign in to (a password: the payloads have no OAuth2),
// in the order of appleDAVKinds; a kind without one is left out.
func appleDAVServers(cfg *Config) []Server {
	var out []Server
	for _, list := range [][]Server{cfg.Calendars, cfg.AddressBooks} {
		for _, s := range list {
			if s.PasswordAuth() {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

// appleDAVPayload builds the payload of one calendar or address book
// server s (Protocol CalDAV or CardDAV) with its UUID:
//   - <Prefix>HostName and <Prefix>Port: the host and port of s.URL (443
//     when the URL names none); <Prefix>UseSSL: true, s.URL being https
//     (an http URL is [ErrAppleUnsupported]).
//   - CalDAVPrincipalURL: s.Principal when the login check found it,
//     else s.URL when it has a path, from which the device discovers the
//     principal (RFC 6764 §6); left out for a bare host. Never
//     CardDAVPrincipalURL, which macOS does not support.
//   - <Prefix>Username: the server's user name, placeholders expanded
//     from v; <Prefix>AccountDescription: desc.
//   - <Prefix>Password: password, only when the caller includes it (the
//     policy of the mail payload: signed profiles only).
//
// A map, not a struct: the plist encoder sorts its keys, as it does a
// struct's, and the two payloads differ only by the prefix.
func appleDAVPayload(s Server, v Vars, ident, uuid, org, desc, password string) (map[string]any, error) {
	var kind = appleDAVKinds[0]
	for _, k := range appleDAVKinds {
		if k.proto == s.Protocol {
			kind = k
		}
	}
	where := strings.ToUpper(string(s.Protocol)) + " server"
	u, err := url.Parse(v.Expand(s.URL))
	if err != nil || u.Scheme != "https" || u.User != nil {
		return nil, fmt.Errorf("%w: %s URL %q is not an https URL", ErrAppleUnsupported, where, clip(s.URL, 64))
	}
	host, err := normHost(u.Hostname())
	if err == nil && hasPlaceholder(host) {
		err = fmt.Errorf("host name %q has a placeholder the account cannot fill", clip(host, 64))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrAppleUnsupported, where, err)
	}
	port := 443
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("%w: %s port %q out of range 1-65535", ErrAppleUnsupported, where, clip(p, 16))
		}
	}
	user := v.Expand(s.Username)
	if hasPlaceholder(user) {
		return nil, fmt.Errorf("%w: %s user name %q has a placeholder the account cannot fill", ErrAppleUnsupported, where, clip(user, 64))
	}
	principal := s.Principal
	if principal == "" && strings.Trim(u.Path, "/") != "" {
		principal = u.String()
	}
	k := kind.prefix
	if s.Protocol == CardDAV {
		// The schema marks CardDAVPrincipalURL "macOS: n/a": the profile is
		// for Macs too, and the device finds the principal from the host
		// and the well-known URI (RFC 6764 §6).
		principal = ""
	}
	m := map[string]any{
		"PayloadType":            kind.payloadType,
		"PayloadVersion":         1,
		"PayloadIdentifier":      ident + kind.suffix,
		"PayloadUUID":            uuid,
		"PayloadDisplayName":     desc,
		k + "HostName":           host,
		k + "Port":               port,
		k + "UseSSL":             true,
		k + "AccountDescription": desc,
	}
	for key, val := range map[string]string{"PayloadOrganization": org, k + "PrincipalURL": principal,
		k + "Username": user, k + "Password": password} {
		if val != "" {
			m[key] = val
		}
	}
	return m, nil
}

// appleDAVDescription is the sentence of the profile's description that
// names the calendar and contacts accounts it also sets up ("" for none).
func appleDAVDescription(p *i18n.Printer, dav []Server) string {
	var parts []string
	for _, s := range dav {
		id := "apple.calendar"
		if s.Protocol == CardDAV {
			id = "apple.contacts"
		}
		parts = append(parts, p.T(id, "URL", s.URL))
	}
	return strings.Join(parts, " ")
}
