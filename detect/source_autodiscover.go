package detect

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// ErrTooManyRedirects ends an Autodiscover chain longer than [MaxRedirects].
var ErrTooManyRedirects = errors.New("detect: too many redirects")

// autodiscoverRequest is the POX request body (MS-OXDSCLI §2.2.3): the
// address and the response schema wanted. It carries no credentials.
func autodiscoverRequest(address string) []byte {
	var esc bytes.Buffer
	_ = xml.EscapeText(&esc, []byte(address))
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress>` + esc.String() + `</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>`)
}

// autodiscoverURLs are the endpoints for a domain, best first. It never
// names autodiscover.<public suffix>.
func autodiscoverURLs(domain string) []string {
	if isPublicSuffix(domain) {
		return nil
	}
	return []string{
		"https://autodiscover." + domain + "/autodiscover/autodiscover.xml",
		"https://" + domain + "/autodiscover/autodiscover.xml",
	}
}

// autodiscoverSource posts the POX request, without credentials, to the
// domain's Autodiscover endpoints (and the one SRV _autodiscover._tcp names),
// following redirectAddr, redirectUrl and HTTP redirects up to MaxRedirects
// steps in all.
func autodiscoverSource(ctx context.Context, e *env) sourceOutput {
	st := &adState{e: e, address: e.addr.String(), domain: e.addr.Domain}
	return st.discover(ctx)
}

type adState struct {
	e       *env
	address string // may change with redirectAddr
	domain  string
	steps   int
	left    bool // the chain left the email domain
	queries []string
	// keys waits for the key fetches of prefetchKeys.
	keys sync.WaitGroup
}

// prefetchKeys validates the keys of domain, the mail domain a
// redirectAddr names, while its Autodiscover is asked: the hosts its
// answer names are usually in that zone, and their probes then find the
// keys in the validator's cache (as the MX source does for a provider's
// zone). Only a secure or insecure outcome is cached, so a cut-off fetch
// spoils nothing.
func (st *adState) prefetchKeys(ctx context.Context, domain string) {
	st.keys.Add(1)
	go func() {
		defer st.keys.Done()
		_, _, _ = st.e.v.Lookup(ctx, domain+".", dns.TypeDNSKEY)
	}()
}

func (st *adState) discover(ctx context.Context) sourceOutput {
	urls := autodiscoverURLs(st.domain)
	if len(urls) == 0 {
		return skipped(st.domain + " is a public suffix: no Autodiscover lookup")
	}
	defer st.keys.Wait() // no goroutine outlives the source
	// The SRV record (RFC 2782, as Outlook and Thunderbird use it), asked
	// beside the POSTs to the domain's own endpoints: its target is tried
	// only after them, so its answer need not hold them up. Its URL takes
	// its place in the queries after the SRV question, as if asked first.
	srvName := "_autodiscover._tcp." + st.domain
	st.queries = append(st.queries, urls...)
	st.queries = append(st.queries, srvName+" SRV")
	srvAt := len(st.queries)
	srvCh := make(chan string, 1)
	go func() { srvCh <- st.srvTarget(ctx, srvName) }()
	srvURL, srvIn := "", false
	takeSRV := func() {
		if srvIn {
			return
		}
		srvIn = true
		if srvURL = <-srvCh; srvURL != "" {
			st.queries = slices.Insert(st.queries, srvAt, srvURL)
		}
	}
	var errs []error
	for i := 0; i < len(urls); i++ {
		out, err := st.post(ctx, urls[i])
		if err == nil {
			takeSRV()
			out.queries = st.queries
			return out
		}
		errs = append(errs, err)
		if errors.Is(err, ErrTooManyRedirects) || ctx.Err() != nil {
			break
		}
		if i == len(urls)-1 && !srvIn {
			if takeSRV(); srvURL != "" {
				urls = append(urls, srvURL)
			}
		}
	}
	takeSRV() // no goroutine outlives the source
	o := noneOrError(errs, st.queries...)
	return o
}

// srvTarget is the Autodiscover URL the SRV record srvName names, or "".
func (st *adState) srvTarget(ctx context.Context, srvName string) string {
	a, err := st.e.o.Resolver.Query(ctx, srvName+".", dns.TypeSRV)
	if err != nil {
		return ""
	}
	for _, rr := range a.Records {
		if s, ok := rr.(*dns.SRV); ok && s.Target != "." && s.Port != 0 {
			host := strings.TrimSuffix(strings.ToLower(s.Target), ".")
			if isPublicSuffix(host) {
				continue
			}
			u := "https://" + host
			if s.Port != 443 {
				u += ":" + strconv.Itoa(int(s.Port))
			}
			return u + "/autodiscover/autodiscover.xml"
		}
	}
	return ""
}

// post sends the request to u and follows what comes back.
func (st *adState) post(ctx context.Context, u string) (sourceOutput, error) {
	for {
		st.steps++
		if st.steps > MaxRedirects+1 {
			return sourceOutput{}, fmt.Errorf("%w: more than %d Autodiscover redirects", ErrTooManyRedirects, MaxRedirects)
		}
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "https" {
			return sourceOutput{}, fmt.Errorf("detect: refused Autodiscover URL %q: only https is used", u)
		}
		if !withinDomain(pu.Hostname(), st.e.addr.Domain) {
			st.left = true
		}
		body, next, err := st.postOnce(ctx, u)
		if err != nil {
			return sourceOutput{}, err
		}
		if next != "" { // an HTTP redirect
			u = next
			continue
		}
		res, err := autoconfig.ReadAutodiscover(bytes.NewReader(body), st.e.vars)
		if err != nil {
			return sourceOutput{}, fmt.Errorf("%s: %w", u, err)
		}
		switch {
		case res.RedirectURL != "":
			u = res.RedirectURL
			st.queries = append(st.queries, u)
			continue
		case res.RedirectAddr != "":
			na, err := ParseAddress(res.RedirectAddr)
			if err != nil {
				return sourceOutput{}, fmt.Errorf("%s: redirectAddr: %w", u, err)
			}
			if na.Domain != st.e.addr.Domain {
				st.left = true
			}
			st.address, st.domain = na.String(), na.Domain
			st.prefetchKeys(ctx, na.Domain)
			urls := autodiscoverURLs(na.Domain)
			if len(urls) == 0 {
				return sourceOutput{}, fmt.Errorf("%s: redirectAddr to public suffix %s refused", u, na.Domain)
			}
			u = urls[0]
			st.queries = append(st.queries, u)
			continue
		}
		t := TrustHTTPS
		if st.left {
			t = TrustRedirect
		}
		final, _ := url.Parse(u)
		if res.Config == nil {
			return none(u+" sent no settings", st.queries...), nil
		}
		o := configOutput(st.e, res.Config, final, t, st.queries)
		return o, nil
	}
}

// postOnce posts the request to u. It returns the body of a 200 answer, or
// the target of a redirect.
func (st *adState) postOnce(ctx context.Context, u string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(autodiscoverRequest(st.address)))
	if err != nil {
		return nil, "", fmt.Errorf("detect: POST %s: %w", u, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("User-Agent", "mailprobe/1")
	c := *st.e.o.HTTPClient
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "", fmt.Errorf("POST %s: %w", u, err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		data, err := readBody(resp)
		return data, "", err
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		loc, err := resp.Location()
		if err != nil {
			return nil, "", fmt.Errorf("detect: %s: redirect without location", u)
		}
		if loc.Scheme != "https" { // DESIGN.md: https→http redirects are refused
			return nil, "", fmt.Errorf("%w: %s to %s", ErrInsecureRedirect, u, loc)
		}
		st.queries = append(st.queries, loc.String())
		return nil, loc.String(), nil
	default:
		return nil, "", fmt.Errorf("%w %s from POST %s", ErrHTTPStatus, resp.Status, u)
	}
}
