// Package davprobe speaks to the HTTP-based services a mail provider
// publishes beside its mail servers: JMAP (RFC 8620), CalDAV (RFC 4791) and
// CardDAV (RFC 6352). Its functions are [probe.ServiceFunc]s: package probe
// connects, negotiates TLS 1.2 or later and verifies the certificate (and
// sends nothing when it does not verify); davprobe then runs HTTP/1.1 over
// that one connection and never opens another, so no request can go
// anywhere but the verified host, and never over plain http.
//
// [Check] proves a service without credentials: an unauthenticated PROPFIND
// Depth 0 for current-user-principal (RFC 5397) that a DAV server answers
// with 401 or 207 Multi-Status, or, for JMAP, a GET of the session resource
// answered with 401 and a WWW-Authenticate challenge, or 200 and a JMAP
// session object (RFC 8620 §2). [Login] signs in with HTTP Basic (RFC 7617)
// and finds the principal and its home sets (RFC 4791 §6.2.1, RFC 6352
// §7.1.1) with github.com/emersion/go-webdav's clients.
//
// Every request and response line goes into the probe's transcript, without
// bodies; an Authorization header shows only its scheme. Response bodies
// are read up to [MaxBody] bytes.
package davprobe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/mailsetup/mailsetup/detect/probe"
)

// MaxBody bounds what is read of a response body.
const MaxBody = 1 << 20

// Errors of the exchanges.
var (
	// ErrNotService: the server answered, but not as the service does.
	ErrNotService = errors.New("davprobe: not a service of this protocol")
	// ErrOtherHost: a request would have gone to another host than the
	// verified one; it was not sent.
	ErrOtherHost = errors.New("davprobe: request for another host refused")
	// ErrRejected: the server refused the credentials (401 to an
	// authenticated request).
	ErrRejected = errors.New("davprobe: credentials rejected")
	// ErrTooLarge: a response body was larger than MaxBody.
	ErrTooLarge = errors.New("davprobe: response body too large")
)

// session is the HTTP client of one verified connection.
type session struct {
	t    probe.Target
	say  func(from, text string)
	tr   *http.Transport
	hc   *http.Client
	last *http.Response
	// auth, when set, adds the credentials to every request.
	auth func(*http.Request)
}

// newSession makes an HTTP client whose only connection is conn.
func newSession(t probe.Target, conn net.Conn, say func(from, text string)) *session {
	var used atomic.Bool
	s := &session{t: t, say: say}
	s.tr = &http.Transport{
		Proxy: nil,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if used.Swap(true) {
				return nil, errors.New("davprobe: the server closed the connection")
			}
			return conn, nil
		},
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	// Redirects are reported, never followed: the service's URL is the
	// context path a client is given (RFC 6764 §5 redirects are the
	// discovery's, before the probe).
	s.hc = &http.Client{Transport: s, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return s
}

// Do sends req; it makes session a webdav.HTTPClient.
func (s *session) Do(req *http.Request) (*http.Response, error) { return s.hc.Do(req) }

// close ends the transport's goroutines.
func (s *session) close() { s.tr.CloseIdleConnections() }

// RoundTrip sends req over the verified connection and writes the request
// and response lines to the transcript.
func (s *session) RoundTrip(req *http.Request) (*http.Response, error) {
	if want := net.JoinHostPort(s.t.Host, fmt.Sprint(s.t.Port)); req.URL.Scheme != "https" || hostPort(req.URL) != want {
		return nil, fmt.Errorf("%w: %s (verified: %s)", ErrOtherHost, req.URL.Redacted(), want)
	}
	if ctx, err := url.Parse(s.t.URL); err == nil && req.URL.Path+"/" == ctx.Path {
		// go-webdav's client joins "" to its endpoint with path.Join,
		// which drops the context path's trailing slash: ask the URL as
		// given (RFC 6764 §5: the context path).
		req.URL.Path, req.URL.RawPath = ctx.Path, ctx.RawPath
	}
	if s.auth != nil {
		s.auth(req) // only here: over the connection whose TLS verified
	}
	req.Header.Set("User-Agent", "mailprobe/1 (+https://github.com/mailsetup/mailsetup)")
	s.say(probe.FromClient, req.Method+" "+req.URL.RequestURI()+" HTTP/1.1")
	for _, h := range []string{"Depth", "Accept", "Content-Type"} {
		if v := req.Header.Get(h); v != "" {
			s.say(probe.FromClient, h+": "+v)
		}
	}
	if a := req.Header.Get("Authorization"); a != "" {
		scheme, _, _ := strings.Cut(a, " ")
		s.say(probe.FromClient, "Authorization: "+scheme+" [redacted]") // never the credentials
	}
	resp, err := s.tr.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	s.say(probe.FromServer, resp.Proto+" "+resp.Status)
	for _, h := range []string{"DAV", "WWW-Authenticate", "Location", "Content-Type"} {
		for _, v := range resp.Header.Values(h) {
			s.say(probe.FromServer, h+": "+v)
		}
	}
	resp.Body = &limitedBody{rc: resp.Body, left: MaxBody}
	s.last = resp
	return resp, nil
}

// hostPort is u's host and port, the default https port when u has none.
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "443")
}

// record fills info from the last response.
func (s *session) record(info *probe.HTTPInfo) {
	if s.last == nil {
		return
	}
	info.Status = s.last.StatusCode
	info.Authenticate = Schemes(s.last.Header.Values("WWW-Authenticate"))
	info.DAV = nil
	for _, v := range s.last.Header.Values("DAV") {
		for _, c := range strings.Split(v, ",") {
			if c = strings.TrimSpace(c); c != "" {
				info.DAV = append(info.DAV, c)
			}
		}
	}
}

// limitedBody fails a read past its limit.
type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// Schemes returns the auth-schemes of WWW-Authenticate header values (RFC
// 9110 §11.6.1: challenges separated by commas, each a scheme then
// parameters), in order, without repeats, each as the server spelled it.
func Schemes(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		for _, part := range splitChallenges(v) {
			if !seen[strings.ToLower(part)] {
				seen[strings.ToLower(part)] = true
				out = append(out, part)
			}
		}
	}
	return out
}

// splitChallenges returns the schemes of one header value: a token at the
// start or right after a comma, followed by a space or the end or a comma,
// and not itself a parameter (no "=" right after it).
func splitChallenges(v string) []string {
	var out []string
	inQuote := false
	start := true
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
			}
			i++
		case c == '"':
			inQuote = true
			i++
		case c == ',':
			start = true
			i++
		case c == ' ' || c == '\t':
			i++
		case start:
			j := i
			for j < len(v) && isTokenChar(v[j]) {
				j++
			}
			if j == i {
				i++
				start = false
				continue
			}
			rest := strings.TrimLeft(v[j:], " \t")
			if !strings.HasPrefix(rest, "=") {
				out = append(out, v[i:j])
			}
			i, start = j, false
		default:
			i++
		}
	}
	return out
}

// isTokenChar reports whether c is a tchar (RFC 9110 §5.6.2).
func isTokenChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
