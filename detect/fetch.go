package detect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Errors of the http(s) fetches.
var (
	// ErrInsecureRedirect is a redirect from https to plain http, which is
	// always refused.
	ErrInsecureRedirect = errors.New("detect: refused redirect from https to http")
	// ErrTooLarge is a response larger than [MaxResponseSize].
	ErrTooLarge = errors.New("detect: response too large")
	// ErrHTTPStatus is a response whose status is not 200.
	ErrHTTPStatus = errors.New("detect: unexpected HTTP status")
)

// fetched is a document fetched over http(s).
type fetched struct {
	body []byte
	// final is the URL the document came from, after redirects.
	final *url.URL
}

// fetch GETs (or POSTs body to) u and returns at most MaxResponseSize bytes
// of a 200 response.
func fetch(ctx context.Context, c *http.Client, method, u string, body []byte) (*fetched, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("detect: %s %s: %w", method, u, err)
	}
	req.Header.Set("User-Agent", "mailprobe/1 (+https://github.com/mailsetup/mailsetup)")
	if body != nil {
		req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	}
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w %s from %s %s", ErrHTTPStatus, resp.Status, method, resp.Request.URL)
	}
	data, err := readBody(resp)
	if err != nil {
		return nil, err
	}
	return &fetched{body: data, final: resp.Request.URL}, nil
}

// readBody reads at most MaxResponseSize bytes of resp's body. A body that
// declares a larger Content-Length is refused before any of it is read (a
// static file served whole); one sent in chunks is refused once the limit
// is passed.
func readBody(resp *http.Response) ([]byte, error) {
	u := resp.Request.URL
	if resp.ContentLength > MaxResponseSize {
		return nil, fmt.Errorf("%w: %s declares %d bytes, more than %d", ErrTooLarge, u, resp.ContentLength, MaxResponseSize)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("detect: reading %s: %w", u, err)
	}
	if len(data) > MaxResponseSize {
		return nil, fmt.Errorf("%w: %s sent more than %d bytes", ErrTooLarge, u, MaxResponseSize)
	}
	return data, nil
}
