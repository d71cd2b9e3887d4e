package detect

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/dnssec"
)

// found is one server a source named.
type found struct {
	server autoconfig.Server
	trust  Trust
	// order is the server's place in the source's own list (per direction).
	order int
	// srv is set for servers from SRV records (RFC 6186 §3.4 ordering).
	srv *srvOrder
	// dnssec is the verdict on the DNS answer that named the server (its
	// SRV RRset, the MX answer), empty when no DNS answer did (https, files).
	dnssec dnssec.Verdict
	// redirects are the URLs a service's well-known URI led through.
	redirects []string
}

type srvOrder struct{ priority, weight int }

// sourceOutput is what a source came to.
type sourceOutput struct {
	status  SourceStatus
	trust   Trust
	detail  string
	queries []string
	servers []found
	// dnssec is the weakest verdict on the domain's own DNS answers the
	// source used (SRV, MX); empty when the source asked none.
	dnssec dnssec.Verdict
	// bogus are the reasons of DNSSEC-bogus answers that were discarded.
	bogus []string
	// warnings are what the source itself warns about (pacc-digest-mismatch).
	warnings []sourceWarning
}

func none(detail string, queries ...string) sourceOutput {
	return sourceOutput{status: StatusNone, detail: detail, queries: queries}
}

func failed(err error, queries ...string) sourceOutput {
	return sourceOutput{status: StatusError, detail: err.Error(), queries: queries}
}

func skipped(detail string) sourceOutput {
	return sourceOutput{status: StatusSkipped, detail: detail}
}

// env is what every source needs of the run.
type env struct {
	addr Address
	o    Options
	vars autoconfig.Vars
	// v validates every DNS answer the engine relies on.
	v *dnssec.Validator
}

// source is a discovery source: it runs once and reports what it found.
type source struct {
	name SourceName
	// trusts are every trust the source's answers can carry, best first.
	trusts []Trust
	run    func(ctx context.Context, e *env) sourceOutput
}

// ceiling is the best trust the source can earn, for deciding whether a
// pending answer can still change the recommendation.
func (s source) ceiling() Trust {
	best := s.trusts[0]
	for _, t := range s.trusts[1:] {
		if t.Level() > best.Level() {
			best = t
		}
	}
	return best
}

// precedence orders sources of equal trust, best first.
func (n SourceName) precedence() int {
	for i, s := range []SourceName{SourceLocal, SourceSRV, SourcePACC, SourceServiceSRV, SourceAutoconfig, SourceWellKnown,
		SourceServiceWellKnown, SourceISPDB, SourceAutodiscover, SourceMX, SourceAutoconfigHTTP, SourceGuess} {
		if s == n {
			return i
		}
	}
	return 99
}

// servicesOnly reports whether the source names JMAP, CalDAV and CardDAV
// services only, never a mail server: it can neither hold back nor change
// the mail answer (settled, quiet), and the run waits for it on its own
// budget (see finished).
func (n SourceName) servicesOnly() bool {
	return n == SourceServiceSRV || n == SourceServiceWellKnown
}

// fromConfig turns the mail servers of cfg into found servers of trust t,
// and the services it names (Calendars, AddressBooks, Incoming servers of
// Protocol JMAP with a URL) into found services, each list in the
// config's order.
func fromConfig(cfg *autoconfig.Config, t Trust) []found {
	var out []found
	for _, list := range [][]autoconfig.Server{cfg.Incoming, cfg.Outgoing} {
		i := 0
		for _, s := range list {
			switch s.Protocol {
			case autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP:
				out = append(out, found{server: s, trust: t, order: i})
				i++
			}
		}
	}
	var jmap []autoconfig.Server
	for _, s := range cfg.Incoming {
		if s.Protocol == autoconfig.JMAP {
			jmap = append(jmap, s)
		}
	}
	for _, list := range [][]autoconfig.Server{jmap, cfg.Calendars, cfg.AddressBooks} {
		i := 0
		for _, s := range list {
			if s, ok := serviceFromURL(s); ok {
				out = append(out, found{server: s, trust: t, order: i})
				i++
			}
		}
	}
	return out
}

// withinDomain reports whether host is domain or a name under it, after
// IDNA (see InDomain).
func withinDomain(host, domain string) bool { return InDomain(host, domain) }

// isPublicSuffix reports whether name is a public suffix (a TLD, co.uk, ...),
// under which no provider's settings may be looked for.
func isPublicSuffix(name string) bool {
	ps, _ := publicsuffix.PublicSuffix(name)
	return ps == name
}

// fetchConfig fetches and reads a config-v1.1.xml document.
func fetchConfig(ctx context.Context, e *env, u string) (*autoconfig.Config, *url.URL, error) {
	f, err := fetch(ctx, e.o.HTTPClient, "GET", u, nil)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := autoconfig.ReadMozilla(bytes.NewReader(f.body), e.vars)
	if err != nil {
		return nil, f.final, fmt.Errorf("%s: %w", f.final.Redacted(), err)
	}
	return cfg, f.final, nil
}

// configOutput builds a source's output from a fetched config: trust t if the
// document came from within the domain (or t is not https), else redirect.
func configOutput(e *env, cfg *autoconfig.Config, final *url.URL, t Trust, queries []string) sourceOutput {
	switch {
	case final.Scheme == "http":
		t = TrustInsecure // whatever crossed plain http, anyone on the path could have written
	case t == TrustHTTPS && !withinDomain(final.Hostname(), e.addr.Domain):
		t = TrustRedirect // DESIGN.md: cross-domain redirects lower trust
	}
	servers := fromConfig(cfg, t)
	if len(servers) == 0 {
		return none(fmt.Sprintf("%s names no IMAP, POP3 or SMTP server", final.Redacted()), queries...)
	}
	detail := fmt.Sprintf("%d servers from %s", len(servers), final.Redacted())
	if len(cfg.Problems) > 0 {
		detail += "; ignored: " + strings.Join(cfg.Problems, "; ")
	}
	return sourceOutput{status: StatusFound, trust: t, detail: detail, queries: queries, servers: servers}
}
