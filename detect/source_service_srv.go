package detect

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/dnssec"
)

// serviceKind is one service protocol's discovery names.
type serviceKind struct {
	protocol autoconfig.Protocol
	// srv are the SRV labels, TLS first: _jmap._tcp (RFC 8620 §2.2),
	// _caldavs._tcp and _caldav._tcp (RFC 6764 §3).
	srv []string
	// wellKnown is the well-known path (RFC 8620 §2.2, RFC 6764 §5).
	wellKnown string
	// method asks the well-known URI: PROPFIND for DAV (RFC 6764 §6),
	// GET for the JMAP session resource.
	method string
}

// serviceKinds are the services discovered beside mail (issue 16).
var serviceKinds = []serviceKind{
	{autoconfig.JMAP, []string{"_jmap._tcp"}, "/.well-known/jmap", http.MethodGet},
	{autoconfig.CalDAV, []string{"_caldavs._tcp", "_caldav._tcp"}, "/.well-known/caldav", "PROPFIND"},
	{autoconfig.CardDAV, []string{"_carddavs._tcp", "_carddav._tcp"}, "/.well-known/carddav", "PROPFIND"},
}

func kindOf(p autoconfig.Protocol) serviceKind {
	for _, k := range serviceKinds {
		if k.protocol == p {
			return k
		}
	}
	return serviceKind{}
}

// serviceFromURL completes a service a source named by its URL: host,
// port and security from the URL (https: tls; http: plain, RFC 6764 §3's
// non-TLS names). false for a URL that is neither.
func serviceFromURL(s autoconfig.Server) (autoconfig.Server, bool) {
	u, err := url.Parse(s.URL)
	if err != nil || u.Hostname() == "" || u.User != nil {
		return s, false
	}
	switch u.Scheme {
	case "https":
		s.Security, s.Port = autoconfig.TLS, 443
	case "http":
		s.Security, s.Port = autoconfig.Plain, 80
	default:
		return s, false
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return s, false
		}
		s.Port = n
	}
	host, ok := asciiName(u.Hostname())
	if !ok {
		return s, false
	}
	s.Hostname = host
	u.Fragment, u.RawFragment = "", ""
	s.URL = u.String()
	return s, true
}

// serviceURL is the URL of a service at host:port with path.
func serviceURL(sec autoconfig.Security, host string, port int, path string) string {
	u := url.URL{Scheme: "https", Host: host, Path: path}
	if sec == autoconfig.Plain {
		u.Scheme = "http"
		if port != 80 {
			u.Host = joinHostPort(host, port)
		}
	} else if port != 443 {
		u.Host = joinHostPort(host, port)
	}
	return u.String()
}

// ParseTXTPath returns the context path of a service from the strings of
// its TXT record (RFC 6764 §4): one "path=/..." key/value pair per string,
// keys case-insensitive. ok is false when no string is a path or the path
// is not absolute.
func ParseTXTPath(txt []string) (path string, ok bool) {
	for _, s := range txt {
		k, v, found := strings.Cut(s, "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "path") {
			continue
		}
		// RFC 6764 §4: the value is the context path, an absolute path.
		if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
			return "", false
		}
		u, err := url.Parse(v)
		if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" {
			return "", false
		}
		return u.EscapedPath(), true
	}
	return "", false
}

// serviceSRVSource asks the SRV records of JMAP, CalDAV and CardDAV at
// once, and the TXT path of each DAV one that exists (RFC 6764 §4). A service
// with a TXT path is at that path on the target; without one, at the
// well-known URI of the target (RFC 6764 §6, RFC 8620 §2.2), whose
// redirects are followed over https. The non-TLS names (_caldav._tcp,
// _carddav._tcp) give plain http services: listed, never fetched.
func serviceSRVSource(ctx context.Context, e *env) sourceOutput {
	ctx, cancel := context.WithTimeout(ctx, e.o.ProbeTimeout)
	defer cancel()
	type job struct {
		kind  serviceKind
		label string
	}
	var jobs []job
	for _, k := range serviceKinds {
		for _, l := range k.srv {
			jobs = append(jobs, job{k, l})
		}
	}
	outs := make([][]found, len(jobs))
	notes := make([]string, len(jobs))
	verdicts := make([]dnssec.Verdict, len(jobs))
	bogus := make([][]string, len(jobs))
	txtAsked := make([]bool, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], notes[i], verdicts[i], bogus[i], txtAsked[i] = serviceSRV(ctx, e, j.kind, j.label)
		}()
	}
	wg.Wait()
	var out []found
	var queries, ns, bg []string
	verdict := dnssec.Secure
	for i, j := range jobs {
		queries = append(queries, j.label+"."+e.addr.Domain+" SRV")
		if txtAsked[i] {
			queries = append(queries, j.label+"."+e.addr.Domain+" TXT")
		}
		out = append(out, outs[i]...)
		if notes[i] != "" {
			ns = append(ns, notes[i])
		}
		verdict = worse(verdict, verdicts[i])
		bg = append(bg, bogus[i]...)
	}
	detail := strings.Join(append(ns, "DNSSEC "+string(verdict)), "; ")
	if len(out) == 0 {
		o := none("no JMAP, CalDAV or CardDAV SRV records; "+detail, queries...)
		o.bogus = bg
		return o
	}
	best := TrustDNS
	for _, f := range out {
		if f.trust.Level() > best.Level() {
			best = f.trust
		}
	}
	return sourceOutput{status: StatusFound, trust: best, detail: detail, queries: queries, servers: out, bogus: bg}
}

// serviceSRV asks one SRV name, and its TXT path when the SRV record
// exists: the services it names, a note for the detail, the weakest DNSSEC
// verdict, bogus answers, and whether the TXT record was asked.
func serviceSRV(ctx context.Context, e *env, k serviceKind, label string) ([]found, string, dnssec.Verdict, []string, bool) {
	name := label + "." + e.addr.Domain + "."
	sec := autoconfig.TLS
	if label == "_caldav._tcp" || label == "_carddav._tcp" {
		sec = autoconfig.Plain // RFC 6764 §3: the non-TLS service names
	}
	a, val, err := e.v.Lookup(ctx, name, dns.TypeSRV)
	verdict := val.Verdict
	var bogus []string
	if val.Verdict == dnssec.Bogus {
		bogus = append(bogus, fmt.Sprintf("%s SRV: %s", strings.TrimSuffix(name, "."), val.Reason))
		return nil, "", verdict, bogus, false // RFC 4035 §4.3: bogus data is never used
	}
	if err != nil {
		return nil, label + " failed", verdict, nil, false
	}
	var recs []*dns.SRV
	for _, rr := range a.Records {
		if s, ok := rr.(*dns.SRV); ok {
			recs = append(recs, s)
		}
	}
	if len(recs) == 0 {
		return nil, "", verdict, nil, false
	}
	// RFC 2782: lowest priority first, then highest weight.
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Priority != recs[j].Priority {
			return recs[i].Priority < recs[j].Priority
		}
		return recs[i].Weight > recs[j].Weight
	})
	// RFC 6764 §4: the TXT record at the SRV name holds the context path of
	// the service the SRV record locates; asked only once there is one (a
	// name without a service has no path), which spares every domain
	// without CalDAV or CardDAV four queries.
	path, txtAsked := "", false
	if k.protocol != autoconfig.JMAP && recs[0].Target != "." {
		txtAsked = true
		ta, tval, terr := e.v.Lookup(ctx, name, dns.TypeTXT)
		switch {
		case terr != nil:
		case tval.Verdict == dnssec.Bogus:
			bogus = append(bogus, fmt.Sprintf("%s TXT: %s", strings.TrimSuffix(name, "."), tval.Reason))
		default:
			for _, rr := range ta.Records {
				if txt, ok := rr.(*dns.TXT); ok && path == "" {
					if p, ok := ParseTXTPath(txt.Txt); ok {
						path = p
						verdict = worse(verdict, tval.Verdict) // the URL rests on both answers
					}
				}
			}
		}
	}
	trust := TrustDNS
	if verdict == dnssec.Secure {
		trust = TrustDNSSEC // DESIGN.md: a validated SRV answer
	}
	var out []found
	for i, s := range recs {
		target := strings.TrimSuffix(strings.ToLower(s.Target), ".")
		if target == "" { // RFC 6764 §3 (RFC 2782): "." means the service is not offered
			return nil, label + " explicitly absent", verdict, bogus, txtAsked
		}
		if s.Port == 0 {
			continue
		}
		srv := autoconfig.Server{Protocol: k.protocol, Hostname: target, Port: int(s.Port), Security: sec,
			Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: e.addr.String()}
		f := found{server: srv, trust: trust, order: i, srv: &srvOrder{int(s.Priority), int(s.Weight)}, dnssec: verdict}
		switch {
		case path != "":
			f.server.URL = serviceURL(sec, target, int(s.Port), path)
		case sec == autoconfig.Plain:
			// Never fetched over http (DESIGN.md): the well-known URI as is.
			f.server.URL = serviceURL(sec, target, int(s.Port), k.wellKnown)
		default:
			// RFC 6764 §6, RFC 8620 §2.2: no path, the target's well-known URI.
			start := serviceURL(sec, target, int(s.Port), k.wellKnown)
			final, chain, err := followWellKnown(ctx, e, k, start)
			f.server.URL = start
			if err == nil {
				f.server.URL, f.redirects = final.String(), chain
				if final.Hostname() != target && !withinDomain(final.Hostname(), e.addr.Domain) {
					f.trust = TrustRedirect // DESIGN.md: cross-domain redirects lower trust
				}
			}
		}
		if s, ok := serviceFromURL(f.server); ok {
			f.server = s
			out = append(out, f)
		}
	}
	return out, fmt.Sprintf("%s: %d", label, len(out)), verdict, bogus, txtAsked
}
