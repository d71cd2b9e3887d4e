package detect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/dnssec"
)

// srvServices are the SRV services of RFC 6186 §3 and RFC 8314 §5.1, and
// what each one means.
var srvServices = []struct {
	label    string
	protocol autoconfig.Protocol
	security autoconfig.Security
}{
	{"_submissions._tcp", autoconfig.SMTP, autoconfig.TLS},     // RFC 8314 §5.1
	{"_submission._tcp", autoconfig.SMTP, autoconfig.STARTTLS}, // RFC 6186 §3.1
	{"_imaps._tcp", autoconfig.IMAP, autoconfig.TLS},           // RFC 6186 §3.2
	{"_imap._tcp", autoconfig.IMAP, autoconfig.STARTTLS},       // RFC 6186 §3.2
	{"_pop3s._tcp", autoconfig.POP3, autoconfig.TLS},           // RFC 6186 §3.3
	{"_pop3._tcp", autoconfig.POP3, autoconfig.STARTTLS},       // RFC 6186 §3.3
}

// srvSource asks the six mail SRV services of the domain at once.
func srvSource(ctx context.Context, e *env) sourceOutput {
	type result struct {
		i   int
		ans []*dns.SRV
		err error
		val dnssec.Result
	}
	ch := make(chan result, len(srvServices))
	queries := make([]string, len(srvServices))
	for i, svc := range srvServices {
		queries[i] = svc.label + "." + e.addr.Domain + " SRV"
		go func() {
			a, val, err := e.v.Lookup(ctx, svc.label+"."+e.addr.Domain+".", dns.TypeSRV)
			r := result{i: i, err: err, val: val}
			if err == nil && val.Verdict == dnssec.Bogus {
				r.err = val.Err() // RFC 4035 §4.3: bogus data is never used
			}
			if err == nil && r.err == nil {
				for _, rr := range a.Records {
					if s, ok := rr.(*dns.SRV); ok {
						r.ans = append(r.ans, s)
					}
				}
			}
			ch <- r
		}()
	}
	results := make([]result, len(srvServices))
	for range srvServices {
		r := <-ch
		results[r.i] = r
	}

	var out []found
	var absent, errs, bogus []string
	var errList []error
	order := map[bool]int{} // per direction
	verdict := dnssec.Secure
	for i, r := range results {
		svc := srvServices[i]
		verdict = worse(verdict, r.val.Verdict)
		if r.val.Verdict == dnssec.Bogus {
			bogus = append(bogus, fmt.Sprintf("%s.%s SRV: %s", svc.label, e.addr.Domain, r.val.Reason))
		}
		if r.err != nil {
			errs = append(errs, svc.label)
			errList = append(errList, r.err)
			continue
		}
		trust := TrustDNS
		if r.val.Verdict == dnssec.Secure {
			trust = TrustDNSSEC // DESIGN.md: a validated SRV answer
		}
		// RFC 2782: lowest priority first, then highest weight.
		sort.SliceStable(r.ans, func(a, b int) bool {
			if r.ans[a].Priority != r.ans[b].Priority {
				return r.ans[a].Priority < r.ans[b].Priority
			}
			return r.ans[a].Weight > r.ans[b].Weight
		})
		for _, s := range r.ans {
			target := strings.TrimSuffix(strings.ToLower(s.Target), ".")
			if target == "" { // RFC 6186 §3.4: "." means the service is not offered
				absent = append(absent, svc.label)
				break
			}
			if s.Port == 0 {
				continue
			}
			in := svc.protocol != autoconfig.SMTP
			out = append(out, found{
				server: autoconfig.Server{Protocol: svc.protocol, Hostname: target, Port: int(s.Port),
					Security: svc.security, Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext},
					Username: e.addr.String()},
				trust:  trust,
				order:  order[in],
				srv:    &srvOrder{priority: int(s.Priority), weight: int(s.Weight)},
				dnssec: r.val.Verdict,
			})
			order[in]++
		}
	}
	var notes []string
	notes = append(notes, "DNSSEC "+string(verdict))
	if len(absent) > 0 {
		notes = append(notes, "explicitly absent: "+strings.Join(absent, ", "))
	}
	if len(errs) > 0 {
		notes = append(notes, "failed: "+strings.Join(errs, ", "))
	}
	switch {
	case len(out) > 0:
		var names []string
		for _, f := range out {
			names = append(names, fmt.Sprintf("%s %s:%d", f.server.Protocol, f.server.Hostname, f.server.Port))
		}
		detail := strings.Join(names, ", ")
		if len(notes) > 0 {
			detail += "; " + strings.Join(notes, "; ")
		}
		best := TrustDNS
		for _, f := range out {
			if f.trust == TrustDNSSEC {
				best = TrustDNSSEC
			}
		}
		return sourceOutput{status: StatusFound, trust: best, detail: detail, queries: queries, servers: out, dnssec: verdict, bogus: bogus}
	case len(errs) == len(srvServices):
		o := failed(fmt.Errorf("every SRV query failed: %w", errors.Join(errList...)), queries...)
		o.dnssec, o.bogus = verdict, bogus
		return o
	default:
		detail := "no SRV records"
		if len(notes) > 0 {
			detail += "; " + strings.Join(notes, "; ")
		}
		o := none(detail, queries...)
		o.dnssec, o.bogus = verdict, bogus
		return o
	}
}

// worse returns the weaker of two verdicts: bogus, then indeterminate,
// then insecure, then secure. An empty verdict (no answer) counts as
// indeterminate.
func worse(a, b dnssec.Verdict) dnssec.Verdict {
	rank := func(v dnssec.Verdict) int {
		switch v {
		case dnssec.Bogus:
			return 0
		case dnssec.Secure:
			return 3
		case dnssec.Insecure:
			return 2
		default:
			return 1
		}
	}
	if rank(b) < rank(a) {
		return b
	}
	return a
}
