package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"
	"github.com/emersion/go-webdav/carddav"
)

// The paths of a lab DAV host (davHost): the CalDAV and CardDAV context
// paths and the JMAP session resource.
const (
	CalDAVPath  = "/dav/calendars/"
	CardDAVPath = "/dav/addressbooks/"
	JMAPPath    = "/.well-known/jmap"
)

// davHost serves host over https with a real CalDAV and CardDAV server
// (github.com/emersion/go-webdav, in-memory, empty) at CalDAVPath and
// CardDAVPath, and a JMAP session resource (RFC 8620 §2) at JMAPPath and
// /jmap/session, every one behind HTTP Basic against the lab's accounts:
// 401 with a Basic challenge without credentials (or with wrong ones). A
// scenario serves dav.<domain> with one line: l.davHost("dav." + d). The
// certificate is for host, or for certNames when given (a wrong name).
func (l *Lab) davHost(host string, certNames ...string) error {
	if err := l.zones.add(fmt.Sprintf("%s. 300 IN A %s", host, l.hostIP(host))); err != nil {
		return err
	}
	if len(certNames) == 0 {
		certNames = []string{host}
	}
	cert, err := l.CA.Leaf(certNames...)
	if err != nil {
		return fmt.Errorf("lab: certificate for %s: %w", host, err)
	}
	mux := http.NewServeMux() // any other path: 404
	mux.Handle(CalDAVPath, l.basicAuth(&caldav.Handler{Backend: davBackend{prefix: CalDAVPath}, Prefix: strings.TrimSuffix(CalDAVPath, "/")}))
	mux.Handle(CardDAVPath, l.basicAuth(&carddav.Handler{Backend: davBackend{prefix: CardDAVPath}, Prefix: strings.TrimSuffix(CardDAVPath, "/")}))
	jmap := l.basicAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { jmapSession(w, r, host) }))
	mux.Handle(JMAPPath, jmap)
	mux.Handle("/jmap/session", jmap)
	return l.startServer(host, 443, &cert, l.record("https", mux))
}

// userKey carries the signed-in user in a request's context.
type userKey struct{}

// basicAuth lets through requests with a lab account's user name and
// password (HTTP Basic, RFC 7617) and answers 401 to the others.
func (l *Lab) basicAuth(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		l.mu.Lock()
		want, known := l.Users[u]
		l.mu.Unlock()
		if !ok || !known || p != want {
			w.Header().Set("WWW-Authenticate", `Basic realm="lab", charset="UTF-8"`)
			if strings.HasPrefix(r.URL.Path, "/dav/") {
				w.Header().Set("DAV", "1, 3, calendar-access, addressbook")
			}
			http.Error(w, "sign in", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, u)))
	})
}

// jmapSession answers the JMAP session resource of the signed-in user.
func jmapSession(w http.ResponseWriter, r *http.Request, host string) {
	user, _ := r.Context().Value(userKey{}).(string)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"capabilities":    map[string]any{"urn:ietf:params:jmap:core": map[string]any{"maxSizeUpload": 50000000}, "urn:ietf:params:jmap:mail": map[string]any{}},
		"accounts":        map[string]any{"a1": map[string]any{"name": user, "isPersonal": true, "accountCapabilities": map[string]any{}}},
		"primaryAccounts": map[string]any{"urn:ietf:params:jmap:mail": "a1"},
		"username":        user,
		"apiUrl":          "https://" + host + "/jmap/api/",
		"downloadUrl":     "https://" + host + "/jmap/download/{accountId}/{blobId}/{name}?type={type}",
		"uploadUrl":       "https://" + host + "/jmap/upload/{accountId}/",
		"eventSourceUrl":  "https://" + host + "/jmap/eventsource/",
		"state":           "1",
	})
}

// davBackend is an empty in-memory CalDAV and CardDAV backend: every user
// has a principal and a home set with one empty collection.
type davBackend struct{ prefix string }

var errNotFound = webdav.NewHTTPError(http.StatusNotFound, fmt.Errorf("lab: not found"))

func (b davBackend) principal(ctx context.Context) string {
	user, _ := ctx.Value(userKey{}).(string)
	return b.prefix + user + "/"
}

// CurrentUserPrincipal is the signed-in user's principal (RFC 5397).
func (b davBackend) CurrentUserPrincipal(ctx context.Context) (string, error) {
	return b.principal(ctx), nil
}

// CalendarHomeSetPath is the user's calendar-home-set (RFC 4791 §6.2.1).
func (b davBackend) CalendarHomeSetPath(ctx context.Context) (string, error) {
	return b.principal(ctx) + "calendars/", nil
}

// AddressBookHomeSetPath is the user's addressbook-home-set (RFC 6352 §7.1.1).
func (b davBackend) AddressBookHomeSetPath(ctx context.Context) (string, error) {
	return b.principal(ctx) + "contacts/", nil
}

func (b davBackend) calendar(ctx context.Context) caldav.Calendar {
	home, _ := b.CalendarHomeSetPath(ctx)
	return caldav.Calendar{Path: home + "default/", Name: "Lab", SupportedComponentSet: []string{"VEVENT"}}
}

func (b davBackend) addressBook(ctx context.Context) carddav.AddressBook {
	home, _ := b.AddressBookHomeSetPath(ctx)
	return carddav.AddressBook{Path: home + "default/", Name: "Lab"}
}

// CreateCalendar is refused: the lab's calendars are fixed.
func (b davBackend) CreateCalendar(ctx context.Context, c *caldav.Calendar) error {
	return webdav.NewHTTPError(http.StatusForbidden, fmt.Errorf("lab: read-only"))
}

// ListCalendars lists the user's one calendar.
func (b davBackend) ListCalendars(ctx context.Context) ([]caldav.Calendar, error) {
	return []caldav.Calendar{b.calendar(ctx)}, nil
}

// GetCalendar returns the user's calendar.
func (b davBackend) GetCalendar(ctx context.Context, path string) (*caldav.Calendar, error) {
	if c := b.calendar(ctx); c.Path == path {
		return &c, nil
	}
	return nil, errNotFound
}

// GetCalendarObject finds nothing: the calendar is empty.
func (b davBackend) GetCalendarObject(ctx context.Context, path string, req *caldav.CalendarCompRequest) (*caldav.CalendarObject, error) {
	return nil, errNotFound
}

// ListCalendarObjects lists nothing.
func (b davBackend) ListCalendarObjects(ctx context.Context, path string, req *caldav.CalendarCompRequest) ([]caldav.CalendarObject, error) {
	return nil, nil
}

// QueryCalendarObjects finds nothing.
func (b davBackend) QueryCalendarObjects(ctx context.Context, path string, q *caldav.CalendarQuery) ([]caldav.CalendarObject, error) {
	return nil, nil
}

// PutCalendarObject is refused.
func (b davBackend) PutCalendarObject(ctx context.Context, path string, c *ical.Calendar, o *caldav.PutCalendarObjectOptions) (*caldav.CalendarObject, error) {
	return nil, webdav.NewHTTPError(http.StatusForbidden, fmt.Errorf("lab: read-only"))
}

// DeleteCalendarObject finds nothing to delete.
func (b davBackend) DeleteCalendarObject(ctx context.Context, path string) error { return errNotFound }

// ListAddressBooks lists the user's one address book.
func (b davBackend) ListAddressBooks(ctx context.Context) ([]carddav.AddressBook, error) {
	return []carddav.AddressBook{b.addressBook(ctx)}, nil
}

// GetAddressBook returns the user's address book.
func (b davBackend) GetAddressBook(ctx context.Context, path string) (*carddav.AddressBook, error) {
	if a := b.addressBook(ctx); a.Path == path {
		return &a, nil
	}
	return nil, errNotFound
}

// CreateAddressBook is refused.
func (b davBackend) CreateAddressBook(ctx context.Context, a *carddav.AddressBook) error {
	return webdav.NewHTTPError(http.StatusForbidden, fmt.Errorf("lab: read-only"))
}

// DeleteAddressBook is refused.
func (b davBackend) DeleteAddressBook(ctx context.Context, path string) error {
	return webdav.NewHTTPError(http.StatusForbidden, fmt.Errorf("lab: read-only"))
}

// GetAddressObject finds nothing: the address book is empty.
func (b davBackend) GetAddressObject(ctx context.Context, path string, req *carddav.AddressDataRequest) (*carddav.AddressObject, error) {
	return nil, errNotFound
}

// ListAddressObjects lists nothing.
func (b davBackend) ListAddressObjects(ctx context.Context, path string, req *carddav.AddressDataRequest) ([]carddav.AddressObject, error) {
	return nil, nil
}

// QueryAddressObjects finds nothing.
func (b davBackend) QueryAddressObjects(ctx context.Context, path string, q *carddav.AddressBookQuery) ([]carddav.AddressObject, error) {
	return nil, nil
}

// PutAddressObject is refused.
func (b davBackend) PutAddressObject(ctx context.Context, path string, card vcard.Card, o *carddav.PutAddressObjectOptions) (*carddav.AddressObject, error) {
	return nil, webdav.NewHTTPError(http.StatusForbidden, fmt.Errorf("lab: read-only"))
}

// DeleteAddressObject finds nothing to delete.
func (b davBackend) DeleteAddressObject(ctx context.Context, path string) error { return errNotFound }
