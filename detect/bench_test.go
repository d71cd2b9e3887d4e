package detect_test

import (
	"context"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// benchLatency is the injected delay per DNS answer and per server response.
const benchLatency = 30 * time.Millisecond

// criticalPath is the part of a detection that must be sequential, measured
// in the run itself: the recommended server's probe (address lookup, connect,
// TLS handshake, greeting, capabilities) can start only once the first source
// naming it has answered, and the recommendation is final only once a source
// of the server's trust has answered. The slower direction counts.
func criticalPath(rep *detect.Report) time.Duration {
	srcTime := map[detect.SourceName]int64{}
	for _, s := range rep.Sources {
		srcTime[s.Name] = s.ElapsedMS
	}
	var worst int64
	in, out := rep.Recommended()
	for _, s := range []*detect.Server{in, out} {
		if s == nil {
			continue
		}
		first, trusted := int64(-1), int64(-1)
		for _, n := range s.Sources {
			if n == detect.SourceGuess && s.Trust != detect.TrustGuess {
				continue // guesses are probed only when nothing else works
			}
			if t := srcTime[n]; first < 0 || t < first {
				first = t
			}
			if t := srcTime[n]; sourceTrust(rep, n) == s.Trust && (trusted < 0 || t < trusted) {
				trusted = t
			}
		}
		worst = max(worst, first+s.Probe.ElapsedMS, trusted)
	}
	return time.Duration(worst) * time.Millisecond
}

func sourceTrust(rep *detect.Report, n detect.SourceName) detect.Trust {
	for _, s := range rep.Sources {
		if s.Name == n {
			return s.Trust
		}
	}
	return ""
}

func benchDetect(b *testing.B, l *lab.Lab, domain string) {
	var total, cp time.Duration
	for i := 0; i < b.N; i++ {
		o := l.DetectOptions()
		start := time.Now()
		rep, err := detect.Run(context.Background(), lab.User(domain), o)
		if err != nil {
			b.Fatal(err)
		}
		total += time.Since(start)
		cp += criticalPath(rep)
		if in, _ := rep.Recommended(); in == nil {
			b.Fatalf("Run(%s): nothing recommended", domain)
		}
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((total / n).Milliseconds()), "ms/detect")
	b.ReportMetric(float64((cp / n).Milliseconds()), "ms-critical-path")
	b.ReportMetric(float64(total)/float64(cp), "x-critical-path")
}

// BenchmarkDetect measures the time to the final recommendation against
// the critical path, with 30 ms added to every DNS answer and every server
// response. Target: at most 1.2x.
func BenchmarkDetect(b *testing.B) {
	l := startLab(b, lab.Options{Latency: benchLatency})
	for _, d := range []string{"demo.test", "srv.test", "autoconfig.test", "wellknown.test", "ispdb.test",
		"mx.test", "autodiscover.test", "starttls.test", "conflict.test"} {
		b.Run(d, func(b *testing.B) { benchDetect(b, l, d) })
	}
}

// BenchmarkSilentFirst measures what a silent host ranked first costs: the
// per-probe budget (4 s by default), not the overall deadline (15 s).
func BenchmarkSilentFirst(b *testing.B) {
	l := startLab(b, lab.Options{Latency: benchLatency})
	var total, cost time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rep, err := detect.Run(context.Background(), lab.User("silent.test"), l.DetectOptions())
		if err != nil {
			b.Fatal(err)
		}
		el := time.Since(start)
		total += el
		// What the silent host added: the run's time beyond the critical
		// path of the server that was recommended instead.
		cost += el - criticalPath(rep)
		if in, _ := rep.Recommended(); in == nil || in.Host != "mail.silent.test" {
			b.Fatalf("Run(silent.test) incoming = %+v, want mail.silent.test", in)
		}
	}
	n := time.Duration(b.N)
	b.ReportMetric(float64((total / n).Milliseconds()), "ms/detect")
	b.ReportMetric(float64((cost / n).Milliseconds()), "ms-silent-cost")
	b.ReportMetric(float64(detect.DefaultProbeTimeout.Milliseconds()), "ms-probe-budget")
}
