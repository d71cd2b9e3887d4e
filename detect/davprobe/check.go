package davprobe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/emersion/go-webdav"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// Check is the [probe.ServiceFunc] of a probe: it proves the service at
// t.URL without credentials. For CalDAV and CardDAV it sends a PROPFIND
// Depth 0 for current-user-principal (RFC 5397 §3, RFC 6764 §6), which a
// DAV server answers with 401 (credentials needed) or 207 Multi-Status; for
// JMAP a GET of the session resource (RFC 8620 §2), answered with 401 and
// a WWW-Authenticate challenge or 200 and a session object. Anything else
// is an error wrapping [ErrNotService] that says what came back.
func Check(ctx context.Context, t probe.Target, conn net.Conn, say func(from, text string), info *probe.HTTPInfo) error {
	s := newSession(t, conn, say)
	defer s.close()
	if t.Protocol == autoconfig.JMAP {
		_, err := s.jmapSession(ctx, t.URL, info)
		return err
	}
	return s.propfind(ctx, t.URL, info)
}

// propfind asks current-user-principal at u and checks the answer is a DAV
// server's; it returns the principal, empty on a 401.
func (s *session) propfind(ctx context.Context, u string, info *probe.HTTPInfo) error {
	c, err := webdav.NewClient(s, u)
	if err != nil {
		return fmt.Errorf("davprobe: %s: %w", u, err)
	}
	principal, err := c.FindCurrentUserPrincipal(ctx)
	s.record(info)
	if s.last == nil {
		return fmt.Errorf("davprobe: PROPFIND %s: %w", u, err)
	}
	switch info.Status {
	case http.StatusUnauthorized:
		return nil // RFC 4918 §9.1, RFC 7235 §3.1: the service asks for credentials
	case http.StatusMultiStatus:
		if err != nil {
			return fmt.Errorf("%w: PROPFIND %s: 207 Multi-Status without a readable current-user-principal: %v", ErrNotService, u, err)
		}
		info.Principal = principal
		return nil
	}
	return fmt.Errorf("%w: PROPFIND %s answered %s, not 207 Multi-Status nor 401 (RFC 4918 §9.1)%s", ErrNotService, u, s.last.Status, located(s.last))
}

// jmapSession GETs the JMAP session resource u and reads it: nil and no
// error on a 401 with a challenge.
func (s *session) jmapSession(ctx context.Context, u string, info *probe.HTTPInfo) (*Session, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("davprobe: %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.Do(req)
	if err != nil {
		return nil, fmt.Errorf("davprobe: GET %s: %w", u, err)
	}
	defer resp.Body.Close()
	s.record(info)
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		if len(info.Authenticate) == 0 {
			return nil, fmt.Errorf("%w: GET %s answered 401 without a WWW-Authenticate challenge (RFC 9110 §11.6.1)", ErrNotService, u)
		}
		return nil, nil
	case http.StatusOK:
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("davprobe: reading %s: %w", u, err)
		}
		js, err := ParseSession(body)
		if err != nil {
			return nil, fmt.Errorf("%w: GET %s: %w", ErrNotService, u, err)
		}
		info.Principal = js.APIURL
		return js, nil
	}
	return nil, fmt.Errorf("%w: GET %s answered %s, not 200 nor 401 (RFC 8620 §2)%s", ErrNotService, u, resp.Status, located(resp))
}

// located says where a redirect pointed.
func located(resp *http.Response) string {
	if l := resp.Header.Get("Location"); l != "" && resp.StatusCode/100 == 3 {
		return "; redirect to " + l + " not followed"
	}
	return ""
}

// Session is what a probe reads of a JMAP session object (RFC 8620 §2).
type Session struct {
	Capabilities map[string]json.RawMessage `json:"capabilities"`
	Accounts     map[string]json.RawMessage `json:"accounts"`
	APIURL       string                     `json:"apiUrl"`
	Username     string                     `json:"username"`
}

// coreCapability is the capability every JMAP session has (RFC 8620 §2).
const coreCapability = "urn:ietf:params:jmap:core"

// ParseSession reads a JMAP session object; it must have the core
// capability and an apiUrl (RFC 8620 §2). Unknown members are ignored.
func ParseSession(data []byte) (*Session, error) {
	var js Session
	if err := json.Unmarshal(data, &js); err != nil {
		return nil, fmt.Errorf("not a JMAP session object: %w", err)
	}
	if _, ok := js.Capabilities[coreCapability]; !ok {
		return nil, fmt.Errorf("not a JMAP session object: no %s capability (RFC 8620 §2)", coreCapability)
	}
	if js.APIURL == "" {
		return nil, fmt.Errorf("not a JMAP session object: no apiUrl (RFC 8620 §2)")
	}
	return &js, nil
}
