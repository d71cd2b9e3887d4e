package detect

import (
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// Verify checks, from the service's own fields, that it was reached over
// verified TLS, by the rule of [Server.Verify]: security tls, probe ok, a
// valid certificate, no DANE mismatch (or bogus TLSA). It does not trust
// [Service.Recommended]. It returns nil or a [*NotVerifiedError] naming
// the service by its URL.
func (s *Service) Verify() error {
	return verifyTLS(s.URL, s.Protocol, s.Security, &s.Probe, s.Recommended)
}

// services adds to cfg the report's recommended services: the first of
// Calendar and of Contacts as cfg.Calendars and cfg.AddressBooks, the first
// of JMAP appended to cfg.Incoming (the draft's incomingServer
// type="jmap", after the mail servers so that the first incoming server
// stays the IMAP or POP3 one every mail writer needs). A list whose first
// entry is not recommended adds nothing; a recommended one that is not
// verified fails the whole export with a [*NotVerifiedError], as mail does.
// A principal found by the login check is kept in Server.Principal (for
// the Apple profile), unless o.Placeholders asks for a file for everyone.
func (r *Report) services(cfg *autoconfig.Config, o *ConfigOptions) error {
	local, _, _ := strings.Cut(r.Address, "@")
	pick := func(list []Service) ([]autoconfig.Server, error) {
		if len(list) == 0 || !list[0].Recommended {
			return nil, nil
		}
		s := &list[0]
		if err := s.Verify(); err != nil {
			return nil, err
		}
		// A URL-based server: the URL says host, port and https.
		out := autoconfig.Server{Protocol: s.Protocol, URL: s.URL, Auth: exportAuth(s.Auth, s.Signin), Username: s.Username, OAuth2: s.OAuth2}
		if o.Placeholders {
			switch out.Username {
			case r.Address:
				out.Username = "%EMAILADDRESS%"
			case local:
				out.Username = "%EMAILLOCALPART%"
			}
		} else {
			out.Principal = s.Login.Principal
		}
		return []autoconfig.Server{out}, nil
	}
	var err error
	if cfg.Calendars, err = pick(r.Calendar); err != nil {
		return err
	}
	if cfg.AddressBooks, err = pick(r.Contacts); err != nil {
		return err
	}
	jmap, err := pick(r.JMAP)
	if err != nil {
		return err
	}
	cfg.Incoming = append(cfg.Incoming, jmap...)
	return nil
}

// AsServer is the service seen as a [Server] (its host, port, security,
// sources, probe, sign-in and login), for the front ends that show a
// service's checks as they show a mail server's. The URL is not in it.
func (s *Service) AsServer() Server {
	return Server{Recommended: s.Recommended, Protocol: s.Protocol, Host: s.Host, Port: s.Port,
		Security: s.Security, Username: s.Username, Auth: s.Auth, Sources: s.Sources, Trust: s.Trust,
		Probe: s.Probe, Signin: s.Signin, OAuth2: s.OAuth2, Login: s.Login}
}
