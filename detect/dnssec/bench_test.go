package dnssec_test

import (
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dnssec"
)

// BenchmarkLookup reports what validation adds to a lookup of a name three
// zones deep (., test., demo.test.) when every query costs 30 ms at the
// server: extra round trips, extra milliseconds and queries, cold (a new
// Validator) and warm (a Validator that validated the zones before).
func BenchmarkLookup(b *testing.B) {
	w := getWorld(b)
	const delay = 30 * time.Millisecond
	srv := startServer(b, w, delay)
	c := srv.client()
	const qname = "www.demo.test"

	run := func(b *testing.B, v func() *dnssec.Validator) {
		var extra time.Duration
		var trips, queries, n int
		for b.Loop() {
			val := v()
			ans, err := c.Query(b.Context(), qname, dns.TypeA)
			if err != nil {
				b.Fatal(err)
			}
			before := srv.count()
			start := time.Now()
			if res := val.Validate(b.Context(), ans); res.Verdict != dnssec.Secure {
				b.Fatalf("Validate(%s) = %s (%s)", qname, res.Verdict, res.Reason)
			}
			d := time.Since(start)
			extra += d
			trips += int((d + delay/2) / delay)
			queries += srv.count() - before
			n++
		}
		b.ReportMetric(float64(extra.Milliseconds())/float64(n), "extra-ms/op")
		b.ReportMetric(float64(trips)/float64(n), "extra-roundtrips/op")
		b.ReportMetric(float64(queries)/float64(n), "queries/op")
	}
	b.Run("cold", func(b *testing.B) {
		run(b, func() *dnssec.Validator { return newValidator(b, c, nil) })
	})
	b.Run("warm", func(b *testing.B) {
		v := newValidator(b, c, nil)
		if _, res, err := v.Lookup(b.Context(), qname, dns.TypeA); err != nil || res.Verdict != dnssec.Secure {
			b.Fatalf("Lookup(%s) = %s, %v", qname, res.Verdict, err)
		}
		run(b, func() *dnssec.Validator { return v })
	})
}
