package davprobe

import (
	"context"
	"fmt"
	"net"
	"net/http"

	"github.com/emersion/go-webdav/caldav"
	"github.com/emersion/go-webdav/carddav"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// Login returns the [probe.ServiceFunc] of a login check: it signs in at
// t.URL with HTTP Basic (RFC 7617), which package probe lets happen only
// over TLS whose certificate verified. For CalDAV and CardDAV it finds the
// principal (current-user-principal, RFC 5397) into info.Principal, which
// [HomeSets] then asks on a connection of its own (servers may close the
// connection after each answer); for JMAP it reads the session object (RFC
// 8620 §2), whose apiUrl goes into info.Principal. It returns an error
// wrapping [ErrRejected] when the server refuses the credentials (401).
func Login(user, password string) probe.ServiceFunc {
	return func(ctx context.Context, t probe.Target, conn net.Conn, say func(from, text string), info *probe.HTTPInfo) error {
		s := newSession(t, conn, say)
		defer s.close()
		s.auth = func(req *http.Request) { req.SetBasicAuth(user, password) }
		if t.Protocol == autoconfig.JMAP {
			js, err := s.jmapSession(ctx, t.URL, info)
			if err == nil && js == nil {
				return fmt.Errorf("%w: GET %s: 401", ErrRejected, t.URL)
			}
			if js != nil {
				say(probe.FromNote, fmt.Sprintf("JMAP session: apiUrl %s, %d accounts", js.APIURL, len(js.Accounts)))
			}
			return err
		}
		if err := s.propfind(ctx, t.URL, info); err != nil {
			return err
		}
		if info.Status == http.StatusUnauthorized {
			return fmt.Errorf("%w: PROPFIND %s: 401", ErrRejected, t.URL)
		}
		if info.Principal == "" {
			return fmt.Errorf("%w: PROPFIND %s: no current-user-principal (RFC 5397)", ErrNotService, t.URL)
		}
		return nil
	}
}

// HomeSets returns the [probe.ServiceFunc] that asks, signed in as
// [Login] does, the calendar-home-set (RFC 4791 §6.2.1) or
// addressbook-home-set (RFC 6352 §7.1.1) of principal into info.HomeSets.
func HomeSets(user, password, principal string) probe.ServiceFunc {
	return func(ctx context.Context, t probe.Target, conn net.Conn, say func(from, text string), info *probe.HTTPInfo) error {
		s := newSession(t, conn, say)
		defer s.close()
		s.auth = func(req *http.Request) { req.SetBasicAuth(user, password) }
		var home string
		var err error
		if t.Protocol == autoconfig.CalDAV {
			var c *caldav.Client
			if c, err = caldav.NewClient(s, t.URL); err == nil {
				home, err = c.FindCalendarHomeSet(ctx, principal) // RFC 4791 §6.2.1
			}
		} else {
			var c *carddav.Client
			if c, err = carddav.NewClient(s, t.URL); err == nil {
				home, err = c.FindAddressBookHomeSet(ctx, principal) // RFC 6352 §7.1.1
			}
		}
		s.record(info)
		if err != nil {
			return fmt.Errorf("davprobe: home set of %s: %w", principal, err)
		}
		info.Principal, info.HomeSets = principal, []string{home}
		return nil
	}
}
