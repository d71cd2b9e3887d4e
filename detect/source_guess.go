package detect

import (
	"context"
	"fmt"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// guessPorts are the standard ports tried on a guessed host, implicit TLS
// first (RFC 8314 §3.3, §3.1).
var guessPorts = map[autoconfig.Protocol][]struct {
	port     int
	security autoconfig.Security
}{
	autoconfig.IMAP: {{993, autoconfig.TLS}, {143, autoconfig.STARTTLS}},
	autoconfig.POP3: {{995, autoconfig.TLS}, {110, autoconfig.STARTTLS}},
	autoconfig.SMTP: {{465, autoconfig.TLS}, {587, autoconfig.STARTTLS}},
}

// guessHosts are the host names tried per protocol, as Thunderbird does.
func guessHosts(p autoconfig.Protocol, d string) []string {
	switch p {
	case autoconfig.IMAP:
		return []string{"imap." + d, "mail." + d, d}
	case autoconfig.POP3:
		return []string{"pop." + d, "pop3." + d, "mail." + d, d}
	default:
		return []string{"smtp." + d, "mail." + d, d}
	}
}

// guessSource looks up the usual host names and names, for each that
// exists, the standard ports. The engine probes these only when no other
// source gave a working server for that direction.
func guessSource(ctx context.Context, e *env) sourceOutput {
	if e.o.NoGuess {
		return skipped("guessing is turned off")
	}
	d := e.addr.Domain
	names := []string{"imap." + d, "mail." + d, d, "pop." + d, "pop3." + d, "smtp." + d}
	exists := make(map[string]bool)
	ch := make(chan string, len(names))
	for _, n := range names {
		go func() {
			if _, err := resolver.LookupIP(ctx, e.o.Resolver, n); err == nil {
				ch <- n
				return
			}
			ch <- ""
		}()
	}
	for range names {
		if n := <-ch; n != "" {
			exists[n] = true
		}
	}
	queries := make([]string, len(names))
	for i, n := range names {
		queries[i] = n + " A/AAAA"
	}
	var out []found
	var hosts []string
	order := map[bool]int{}
	for _, p := range []autoconfig.Protocol{autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP} {
		for _, h := range guessHosts(p, d) {
			if !exists[h] {
				continue
			}
			for _, gp := range guessPorts[p] {
				in := p != autoconfig.SMTP
				out = append(out, found{
					server: autoconfig.Server{Protocol: p, Hostname: h, Port: gp.port, Security: gp.security,
						Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: e.addr.String()},
					trust: TrustGuess, order: order[in],
				})
				order[in]++
			}
		}
	}
	for _, n := range names {
		if exists[n] {
			hosts = append(hosts, n)
		}
	}
	if len(out) == 0 {
		return none("none of the usual host names exists", queries...)
	}
	return sourceOutput{status: StatusFound, trust: TrustGuess, queries: queries, servers: out,
		detail: fmt.Sprintf("hosts that exist: %s", strings.Join(hosts, ", "))}
}
