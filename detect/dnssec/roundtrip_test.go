package dnssec_test

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dnssec"
)

// TestRoundTrips measures, without flaky wall-clock timing, how many
// sequential round trips validation adds to a lookup. Inside a synctest
// bubble the clock only moves when every goroutine is blocked, so with a
// resolver that takes exactly delay per query, elapsed time is exactly
// delay times the number of sequential waves of queries.
func TestRoundTrips(t *testing.T) {
	w := getWorld(t)
	const delay = 20 * time.Millisecond
	tests := []struct {
		qname string
		want  dnssec.Verdict
	}{
		{"www.demo.test", dnssec.Secure}, // three-level chain: ., test., demo.test.
		{"alias.demo.test", dnssec.Secure},
		{"out.demo.test", dnssec.Insecure},
		{"www.child.oo.test", dnssec.Insecure},
		{"nx.n3.test", dnssec.Secure},
		{"foo.wild.demo.test", dnssec.Secure},
		{"badsig.demo.test", dnssec.Bogus},
	}
	for _, tt := range tests {
		t.Run(tt.qname, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mr := &memResolver{world: w, delay: delay}
				v := newValidator(t, mr, nil)
				ctx := context.Background()

				start := time.Now()
				if _, err := mr.Query(ctx, tt.qname, dns.TypeA); err != nil {
					t.Fatalf("Query(%s) = %v", tt.qname, err)
				}
				plain := time.Since(start)

				start = time.Now()
				before := mr.count()
				ans, res, err := v.Lookup(ctx, tt.qname, dns.TypeA)
				cold := time.Since(start)
				if err != nil || res.Verdict != tt.want {
					t.Fatalf("Lookup(%s) = %s (%s), %v, want %s", tt.qname, res.Verdict, res.Reason, err, tt.want)
				}
				extra := cold - plain
				if extra%delay != 0 || extra/delay > 2 {
					t.Errorf("cold Lookup(%s) took %v, plain lookup %v: %d extra round trips, want at most 2", tt.qname, cold, plain, extra/delay)
				}
				t.Logf("%s: cold: %d DS/DNSKEY queries, %d extra round trips (%v over the plain %v)", tt.qname, mr.count()-before-1, extra/delay, extra, plain)

				before = mr.count()
				start = time.Now()
				res2 := v.Validate(ctx, ans)
				if n, d := mr.count()-before, time.Since(start); n != 0 || d != 0 || res2.Verdict != res.Verdict {
					t.Errorf("warm Validate(%s) = %s, %d queries, %v, want %s, 0 queries, 0s", tt.qname, res2.Verdict, n, d, res.Verdict)
				}
			})
		})
	}
}
