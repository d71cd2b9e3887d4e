package pacc

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// defaultPorts are the implicit-TLS ports of RFC 8314 §7, used when a host
// server names no port: PACC servers speak implicit TLS.
var defaultPorts = map[autoconfig.Protocol]int{autoconfig.IMAP: 993, autoconfig.POP3: 995, autoconfig.SMTP: 465}

// Config turns the document into the neutral model: imap and pop3 (then
// jmap) are incoming servers, smtp outgoing, caldav and carddav Calendars
// and AddressBooks; every server speaks implicit TLS (https for the URL
// ones). The user name is the email address (vars' %EMAILADDRESS%, kept as
// the placeholder when vars is zero). The authentication member gives every
// server its methods (OAuth2 first when offered, then the password) and
// Config.OAuth2; info gives the provider's names and help pages. What Parse
// dropped is in Config.Problems.
func (d *Document) Config(vars autoconfig.Vars) *autoconfig.Config {
	cfg := &autoconfig.Config{
		ID:          vars.Domain,
		DisplayName: d.Info.Provider.Name,
		ShortName:   d.Info.Provider.ShortName,
		Problems:    append([]string(nil), d.Problems...),
	}
	if vars.Domain != "" {
		cfg.Domains = []string{vars.Domain}
	}
	var auth []autoconfig.Auth
	if o := d.Authentication.OAuthPublic; o != nil {
		cfg.OAuth2 = &autoconfig.OAuth2{Issuer: o.Issuer, Scope: strings.Join(o.Scopes, " "),
			AuthURL: o.AuthorizationEndpoint, TokenURL: o.TokenEndpoint}
		auth = append(auth, autoconfig.AuthOAuth2)
	}
	if p := d.Authentication.Password; p == nil && cfg.OAuth2 == nil || p != nil && *p {
		auth = append(auth, autoconfig.AuthPasswordCleartext) // over implicit TLS only
	}
	if h := d.Info.Help; h != nil {
		if h.Documentation != "" {
			cfg.Help = append(cfg.Help, autoconfig.Link{URL: h.Documentation, Descr: "documentation"})
		}
		if h.Developer != "" {
			cfg.Help = append(cfg.Help, autoconfig.Link{URL: h.Developer, Descr: "developer"})
		}
		for _, c := range h.Contact {
			cfg.Help = append(cfg.Help, autoconfig.Link{URL: c, Descr: "contact"})
		}
	}
	user := vars.Expand("%EMAILADDRESS%")
	server := func(p autoconfig.Protocol) autoconfig.Server {
		s := autoconfig.Server{Protocol: p, Security: autoconfig.TLS, Auth: auth, Username: user, Help: cfg.Help}
		if cfg.OAuth2 != nil {
			s.OAuth2 = cfg.OAuth2
		}
		return s
	}
	host := func(p autoconfig.Protocol, h *HostServer) autoconfig.Server {
		s := server(p)
		s.Hostname, s.Port = h.Host, h.Port
		if s.Port == 0 {
			s.Port = defaultPorts[p]
		}
		return s
	}
	web := func(p autoconfig.Protocol, w *URLServer) autoconfig.Server {
		s := server(p)
		s.URL = w.URL
		if u, err := url.Parse(w.URL); err == nil {
			s.Hostname = u.Hostname()
			s.Port, _ = strconv.Atoi(u.Port())
		}
		if s.Port == 0 {
			s.Port = 443
		}
		return s
	}
	p := d.Protocols
	if p.IMAP != nil {
		cfg.Incoming = append(cfg.Incoming, host(autoconfig.IMAP, p.IMAP))
	}
	if p.POP3 != nil {
		cfg.Incoming = append(cfg.Incoming, host(autoconfig.POP3, p.POP3))
	}
	if p.JMAP != nil {
		cfg.Incoming = append(cfg.Incoming, web(autoconfig.JMAP, p.JMAP))
	}
	if p.SMTP != nil {
		cfg.Outgoing = append(cfg.Outgoing, host(autoconfig.SMTP, p.SMTP))
	}
	if p.CalDAV != nil {
		cfg.Calendars = append(cfg.Calendars, web(autoconfig.CalDAV, p.CalDAV))
	}
	if p.CardDAV != nil {
		cfg.AddressBooks = append(cfg.AddressBooks, web(autoconfig.CardDAV, p.CardDAV))
	}
	return cfg
}
