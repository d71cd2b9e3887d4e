package detect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/autoconfig"
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
	}
	ch := make(chan result, len(srvServices))
	queries := make([]string, len(srvServices))
	for i, svc := range srvServices {
		queries[i] = svc.label + "." + e.addr.Domain + " SRV"
		go func() {
			a, err := e.o.Resolver.Query(ctx, svc.label+"."+e.addr.Domain+".", dns.TypeSRV)
			r := result{i: i, err: err}
			if err == nil {
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
	var absent, errs []string
	var errList []error
	order := map[bool]int{} // per direction
	for i, r := range results {
		svc := srvServices[i]
		if r.err != nil {
			errs = append(errs, svc.label)
			errList = append(errList, r.err)
			continue
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
				trust: TrustDNS,
				order: order[in],
				srv:   &srvOrder{priority: int(s.Priority), weight: int(s.Weight)},
			})
			order[in]++
		}
	}
	var notes []string
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
		return sourceOutput{status: StatusFound, trust: TrustDNS, detail: detail, queries: queries, servers: out}
	case len(errs) == len(srvServices):
		return failed(fmt.Errorf("every SRV query failed: %w", errors.Join(errList...)), queries...)
	default:
		detail := "no SRV records"
		if len(notes) > 0 {
			detail += "; " + strings.Join(notes, "; ")
		}
		return none(detail, queries...)
	}
}
