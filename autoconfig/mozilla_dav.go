package autoconfig

import (
	"bytes"
	"fmt"
	"strings"
)

// davSections are the draft's server sections for calendars and address
// books and the one type of each this package reads
// (draft-ietf-mailmaint-autoconfig, "type": calendar caldav, addressbook
// carddav).
var davSections = []struct {
	elem  string
	proto Protocol
}{
	{"calendar", CalDAV},
	{"addressbook", CardDAV},
}

// readDAVSections reads the <calendar> and <addressbook> sections, which the
// draft puts under clientConfig, one level above emailProvider ("Server
// sections"), into c.Calendars and c.AddressBooks, in document order.
//
// A section needs an https url (the draft's "url": "the URL scheme will
// normally be HTTPS"; this package never hands a client a calendar over
// plain http); an http url or none makes it a Problem and it is dropped.
// Placeholders in url and username are expanded with v. Authentication
// values are kept as written, HTTP schemes ("Basic") included. Sections of
// other types (a calendar of type "ical", say) are ignored with a Problem,
// as the draft asks of unsupported types ("Multiple server sections": MUST
// be ignored, and the other sections still read).
func (c *Config) readDAVSections(root *xnode, v Vars) {
	for _, n := range root.kids {
		for _, d := range davSections {
			if n.name != d.elem {
				continue
			}
			if s, ok := c.readDAVSection(n, v, d.proto); ok {
				if d.proto == CalDAV {
					c.Calendars = append(c.Calendars, s)
				} else {
					c.AddressBooks = append(c.AddressBooks, s)
				}
			}
		}
	}
}

// readDAVSection reads one calendar or addressbook element whose type must
// be want. It reports false, after recording why, when the section is
// dropped.
func (c *Config) readDAVSection(n *xnode, v Vars, want Protocol) (Server, bool) {
	typ, _ := n.attr("type")
	where := fmt.Sprintf("%s type %q at line %d", n.name, clip(typ, 32), n.line)
	if Protocol(strings.ToLower(strings.TrimSpace(typ))) != want {
		c.problem("%s ignored: only type %q is read", where, want)
		return Server{}, false
	}
	s := Server{Protocol: want}
	c.readOtherServer(&s, n, v, where, true)
	if s.URL == "" {
		c.problem("%s rejected: no https url", where)
		return Server{}, false
	}
	if err := checkUsername(s.Username); err != nil {
		c.problem("%s rejected: %v", where, err)
		return Server{}, false
	}
	return s, true
}

// checkExportDAV checks the Calendars and AddressBooks of cfg for writing:
// each of its list's protocol (CalDAV, CardDAV), with an https URL, its
// other fields valid as for any server of another type.
func checkExportDAV(cfg *Config) (cals, books []Server, err error) {
	check := func(list []Server, name string, want Protocol) ([]Server, error) {
		var out []Server
		for i, s := range list {
			where := fmt.Sprintf("%s[%d] (%s)", name, i, clip(string(s.Protocol), 32))
			if s.Protocol != want {
				return nil, fmt.Errorf("%w: %s: type %q, want %s", ErrExportInvalid, where, clip(string(s.Protocol), 32), want)
			}
			if s.URL == "" {
				return nil, fmt.Errorf("%w: %s: no url", ErrExportInvalid, where)
			}
			if _, err := checkURL(s.URL, true); err != nil {
				return nil, fmt.Errorf("%w: %s: url: %w", ErrExportInvalid, where, err)
			}
			c, err := checkExportOther(s)
			if err == nil {
				err = checkUsername(c.Username)
			}
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %w", ErrExportInvalid, where, err)
			}
			out = append(out, c)
		}
		return out, nil
	}
	if cals, err = check(cfg.Calendars, "Calendars", CalDAV); err != nil {
		return nil, nil, err
	}
	if books, err = check(cfg.AddressBooks, "AddressBooks", CardDAV); err != nil {
		return nil, nil, err
	}
	return cals, books, nil
}

// writeMozillaDAV writes the checked calendars and address books as the
// draft's <calendar type="caldav"> and <addressbook type="carddav">
// sections, children of clientConfig ("Server sections").
func writeMozillaDAV(b *bytes.Buffer, cals, books []Server) {
	for _, s := range cals {
		writeMozillaSection(b, 2, "calendar", s)
	}
	for _, s := range books {
		writeMozillaSection(b, 2, "addressbook", s)
	}
}
