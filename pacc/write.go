package pacc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// ErrNothingToWrite is a config with no server PACC can describe.
var ErrNothingToWrite = errors.New("pacc: no implicit-TLS IMAP, POP3 or SMTP server and no JMAP, CalDAV or CardDAV URL to write")

// Write returns the document a provider publishes for cfg: the first
// implicit-TLS IMAP, POP3 and SMTP servers (PACC lists one per protocol and
// only implicit TLS; the port is written only when it is not the
// protocol's own), the first JMAP, CalDAV and CardDAV URLs, the
// authentication the servers list (a password unless they list only
// OAuth2; oauth-public when cfg.OAuth2 names an issuer) and the provider's
// names and help pages. Servers whose host name is not a plain A-label (a
// placeholder left in) are left out. It returns [ErrNothingToWrite] when no
// server remains. Publish [NewRecord] of the exact bytes returned, see
// [TXTLine].
func Write(cfg *autoconfig.Config) ([]byte, error) {
	var d Document
	p := &d.Protocols
	var auths []autoconfig.Auth
	pick := func(list []autoconfig.Server, proto autoconfig.Protocol) *autoconfig.Server {
		for i, s := range list {
			if s.Protocol != proto {
				continue
			}
			if s.URL != "" {
				if checkHTTPS(s.URL) == nil {
					return &list[i]
				}
				continue
			}
			if s.Security == autoconfig.TLS && checkHost(s.Hostname) == nil && s.Port > 0 && s.Port <= 65535 {
				return &list[i]
			}
		}
		return nil
	}
	host := func(list []autoconfig.Server, proto autoconfig.Protocol) *HostServer {
		s := pick(list, proto)
		if s == nil {
			return nil
		}
		auths = append(auths, s.Auth...)
		h := &HostServer{Host: s.Hostname}
		if s.Port != defaultPorts[proto] {
			h.Port = s.Port
		}
		return h
	}
	web := func(list []autoconfig.Server, proto autoconfig.Protocol) *URLServer {
		s := pick(list, proto)
		if s == nil || s.URL == "" {
			return nil
		}
		auths = append(auths, s.Auth...)
		return &URLServer{URL: s.URL}
	}
	p.IMAP = host(cfg.Incoming, autoconfig.IMAP)
	p.POP3 = host(cfg.Incoming, autoconfig.POP3)
	p.SMTP = host(cfg.Outgoing, autoconfig.SMTP)
	p.JMAP = web(cfg.Incoming, autoconfig.JMAP)
	p.CalDAV = web(cfg.Calendars, autoconfig.CalDAV)
	p.CardDAV = web(cfg.AddressBooks, autoconfig.CardDAV)
	if *p == (Protocols{}) {
		return nil, ErrNothingToWrite
	}
	oauthOnly := len(auths) > 0 && !slices.ContainsFunc(auths, func(a autoconfig.Auth) bool {
		return a == autoconfig.AuthPasswordCleartext || a == autoconfig.AuthPasswordEncrypted
	})
	if o := cfg.OAuth2; o != nil && o.Issuer != "" && checkHTTPS(o.Issuer) == nil {
		d.Authentication.OAuthPublic = &OAuthPublic{Issuer: o.Issuer, Scopes: strings.Fields(o.Scope)}
	} else {
		oauthOnly = false // nothing else to sign in with
	}
	pw := !oauthOnly
	d.Authentication.Password = &pw
	d.Info.Provider = Provider{Name: cfg.DisplayName, ShortName: cfg.ShortName}
	if d.Info.Provider.Name == "" && len(cfg.Domains) > 0 {
		d.Info.Provider.Name = cfg.Domains[0]
	}
	var help Help
	for _, l := range cfg.Help {
		switch {
		case checkHTTPS(l.URL) != nil && !strings.HasPrefix(l.URL, "mailto:"):
		case l.Descr == "developer" && help.Developer == "":
			help.Developer = l.URL
		case l.Descr == "contact" || strings.HasPrefix(l.URL, "mailto:"):
			help.Contact = append(help.Contact, l.URL)
		case help.Documentation == "":
			help.Documentation = l.URL
		default:
			help.Contact = append(help.Contact, l.URL)
		}
	}
	if help.Documentation != "" || help.Developer != "" || len(help.Contact) > 0 {
		d.Info.Help = &help
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(&d); err != nil {
		return nil, fmt.Errorf("pacc: encoding the document: %w", err)
	}
	return b.Bytes(), nil
}
