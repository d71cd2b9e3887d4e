package detect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// Errors of the well-known lookups of services.
var (
	// ErrRedirectLoop is a chain of redirects that came back to a URL it
	// had already visited (RFC 6764 §5 asks clients to follow redirects,
	// which must end).
	ErrRedirectLoop = errors.New("detect: redirect loop")
)

// serviceWellKnownSource asks the well-known URIs of JMAP, CalDAV and
// CardDAV on the email domain over https (RFC 8620 §2.2, RFC 6764 §5),
// without credentials, following redirects over https only.
func serviceWellKnownSource(ctx context.Context, e *env) sourceOutput {
	ctx, cancel := context.WithTimeout(ctx, e.o.ProbeTimeout)
	defer cancel()
	type result struct {
		f     found
		err   error
		found bool
	}
	results := make([]result, len(serviceKinds))
	var queries []string
	var wg sync.WaitGroup
	for i, k := range serviceKinds {
		start := "https://" + e.addr.Domain + k.wellKnown
		queries = append(queries, start)
		wg.Add(1)
		go func() {
			defer wg.Done()
			final, chain, err := followWellKnown(ctx, e, k, start)
			if err != nil {
				results[i].err = err
				return
			}
			srv, ok := serviceFromURL(autoconfig.Server{Protocol: k.protocol, URL: final.String(),
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: e.addr.String()})
			if !ok {
				results[i].err = fmt.Errorf("%s: unusable URL %s", start, final.Redacted())
				return
			}
			t := TrustHTTPS
			if !withinDomain(final.Hostname(), e.addr.Domain) {
				t = TrustRedirect // DESIGN.md: cross-domain redirects lower trust
			}
			results[i] = result{f: found{server: srv, trust: t, redirects: chain}, found: true}
		}()
	}
	wg.Wait()
	var out []found
	var notes []string
	var errs []error
	for i, r := range results {
		k := serviceKinds[i]
		switch {
		case r.found:
			out = append(out, r.f)
			notes = append(notes, fmt.Sprintf("%s %s", k.protocol, r.f.server.URL))
		case errors.Is(r.err, errNotPublished):
			notes = append(notes, fmt.Sprintf("%s: %v", k.protocol, r.err))
		default:
			errs = append(errs, r.err)
			notes = append(notes, fmt.Sprintf("%s: %v", k.protocol, r.err))
		}
	}
	detail := strings.Join(notes, "; ")
	switch {
	case len(out) > 0:
		t := TrustRedirect
		for _, f := range out {
			if f.trust == TrustHTTPS {
				t = TrustHTTPS
			}
		}
		return sourceOutput{status: StatusFound, trust: t, detail: detail, queries: queries, servers: out}
	case len(errs) == len(serviceKinds):
		return failed(errors.New(detail), queries...)
	}
	return none(detail, queries...)
}

// errNotPublished is a well-known URI that answered 404 or 405: the
// service is not published there.
var errNotPublished = errors.New("not published")

// followWellKnown asks start with k's method, no credentials and no body,
// and follows redirects (RFC 6764 §5) up to MaxRedirects, over https only
// (ErrInsecureRedirect; never to http), failing on a loop
// (ErrRedirectLoop). It returns the URL that answered as a service does
// (2xx, 207 or 401) and the redirects that led there.
func followWellKnown(ctx context.Context, e *env, k serviceKind, start string) (*url.URL, []string, error) {
	c := *e.o.HTTPClient
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cur, err := url.Parse(start)
	if err != nil {
		return nil, nil, fmt.Errorf("detect: %s: %w", start, err)
	}
	seen := map[string]bool{cur.String(): true}
	var chain []string
	for {
		status, loc, err := ask(ctx, &c, k.method, cur)
		if err != nil {
			return nil, chain, err
		}
		switch {
		case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
			return nil, chain, fmt.Errorf("%s %s: %d %w", k.method, cur.Redacted(), status, errNotPublished)
		case status >= 300 && status < 400:
		case status/100 == 2 || status == http.StatusUnauthorized:
			return cur, chain, nil
		default:
			return nil, chain, fmt.Errorf("%w %d from %s %s", ErrHTTPStatus, status, k.method, cur.Redacted())
		}
		if loc == "" {
			return nil, chain, fmt.Errorf("%w %d without Location from %s", ErrHTTPStatus, status, cur.Redacted())
		}
		next, err := cur.Parse(loc)
		if err != nil {
			return nil, chain, fmt.Errorf("detect: redirect from %s to %q: %w", cur.Redacted(), loc, err)
		}
		next.Fragment, next.RawFragment = "", ""
		switch {
		case next.Scheme != "https":
			// DESIGN.md: https→http redirects are refused, never followed.
			return nil, chain, fmt.Errorf("%w: %s to %s", ErrInsecureRedirect, cur.Redacted(), next.Redacted())
		case seen[next.String()]:
			return nil, chain, fmt.Errorf("%w: %s leads back to %s after %d redirects", ErrRedirectLoop, start, next.Redacted(), len(chain)+1)
		case len(chain) >= MaxRedirects:
			return nil, chain, fmt.Errorf("%w: more than %d from %s", ErrTooManyRedirects, MaxRedirects, start)
		}
		seen[next.String()] = true
		chain = append(chain, next.String())
		cur = next
	}
}

// ask sends one bodiless request and returns its status and Location.
func ask(ctx context.Context, c *http.Client, method string, u *url.URL) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return 0, "", fmt.Errorf("detect: %s %s: %w", method, u.Redacted(), err)
	}
	req.Header.Set("User-Agent", "mailprobe/1 (+https://github.com/mailsetup/mailsetup)")
	if method == "PROPFIND" {
		req.Header.Set("Depth", "0") // RFC 4918 §9.1
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var dnsErr *net.DNSError
		if errors.Is(err, resolver.ErrNotFound) || errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return 0, "", fmt.Errorf("%s %s: %w", method, u.Redacted(), errNotPublished)
		}
		return 0, "", fmt.Errorf("%s %s: %w", method, u.Redacted(), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponseSize))
	return resp.StatusCode, resp.Header.Get("Location"), nil
}
