package detect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/pacc"
)

// WarnPACCDigestMismatch (warning): the domain publishes a PACC document
// and a _ua-auto-config TXT record, but the document's SHA-256 is not the
// record's digest, so none of its settings were used. The other sources
// still answer; the warning says someone may have altered the document, or
// the provider forgot to update the record.
const WarnPACCDigestMismatch = "pacc-digest-mismatch"

// ErrPACCRedirect is a redirect of the PACC fetch away from
// https://ua-auto-config.D, which is refused: the document's origin is part
// of what its digest vouches for.
var ErrPACCRedirect = errors.New("detect: refused PACC redirect away from ua-auto-config host")

// sourceWarning is a warning a source itself raises (not one about a
// server), said when the report is made.
type sourceWarning struct {
	code     string
	severity Severity
	msg, fix i18n.Msg
}

// paccSource fetches the domain's PACC document
// (draft-ietf-mailmaint-pacc-02) and checks it against the digest of the
// _ua-auto-config TXT record, both at once. The request carries neither the
// address nor its local part. Trust: dnssec when the TXT answer validates,
// https when it is unsigned; a document that matches no record is never
// used (pacc-digest-mismatch), and a bogus TXT answer is discarded. With no
// v=UAAC1 record at all the source answers "none" at once, without waiting
// for the fetch: nothing could vouch for a document.
func paccSource(ctx context.Context, e *env) sourceOutput {
	u := pacc.URL(e.addr.Domain)
	name := pacc.RecordName(e.addr.Domain)
	queries := []string{name + " TXT", u}

	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type got struct {
		f   *fetched
		err error
	}
	fch := make(chan got, 1)
	go func() {
		f, err := fetch(fctx, paccClient(e.o.HTTPClient, pacc.Host(e.addr.Domain)), "GET", u, nil)
		fch <- got{f, err}
	}()
	stop := func(out sourceOutput) sourceOutput {
		cancel()
		<-fch // no goroutine outlives the source
		return out
	}

	a, val, err := e.v.Lookup(ctx, name+".", dns.TypeTXT)
	if err != nil {
		return stop(failed(err, queries...))
	}
	if val.Verdict == dnssec.Bogus { // RFC 4035 §4.3: bogus data is never used
		out := failed(fmt.Errorf("%s TXT: %w", name, val.Err()), queries...)
		out.bogus = []string{name + " TXT: " + val.Reason}
		return stop(out)
	}
	var recs []pacc.Record
	var bad []string
	for _, rr := range a.Records {
		t, ok := rr.(*dns.TXT)
		if !ok {
			continue
		}
		rec, err := pacc.ParseRecord(pacc.JoinTXT(t.Txt)) // a long value is its strings joined
		switch {
		case errors.Is(err, pacc.ErrNotUAAC1):
		case err != nil:
			bad = append(bad, err.Error())
		default:
			recs = append(recs, rec)
		}
	}
	if len(recs) == 0 {
		detail := "no v=UAAC1 record at " + name + ": nothing vouches for a document"
		if len(bad) > 0 {
			return stop(failed(fmt.Errorf("%s: %s", name, strings.Join(bad, "; ")), queries...))
		}
		return stop(none(detail, queries...))
	}

	g := <-fch
	if g.err != nil {
		return noneOrError([]error{g.err}, queries...)
	}
	if err := pacc.Verify(g.f.body, recs...); err != nil {
		out := failed(fmt.Errorf("%s: %w; not used", u, err), queries...)
		out.warnings = []sourceWarning{{code: WarnPACCDigestMismatch, severity: SeverityWarning,
			msg: i18n.M("warn.pacc-digest-mismatch.message", "URL", u, "Name", name),
			fix: i18n.M("warn.pacc-digest-mismatch.fix", "Name", name)}}
		return out
	}
	doc, err := pacc.Parse(g.f.body)
	if err != nil {
		return failed(fmt.Errorf("%s: %w", u, err), queries...)
	}
	trust := TrustHTTPS
	if val.Verdict == dnssec.Secure {
		trust = TrustDNSSEC // DESIGN.md: the TXT validates and the digest matches
	}
	out := configOutput(e, doc.Config(e.vars), g.f.final, trust, queries)
	if out.status == StatusFound {
		out.dnssec = val.Verdict
		for i := range out.servers {
			out.servers[i].dnssec = val.Verdict // they rest on the TXT answer
		}
	}
	return out
}

// paccClient is c refusing any redirect that leaves https://host.
func paccClient(c *http.Client, host string) *http.Client {
	cc := *c
	next := c.CheckRedirect
	cc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != "https" || !strings.EqualFold(req.URL.Host, host) {
			return fmt.Errorf("%w: %s to %s", ErrPACCRedirect, via[len(via)-1].URL, req.URL.Redacted())
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &cc
}
