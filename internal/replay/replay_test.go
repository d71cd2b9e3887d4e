package replay_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/batch"
	"github.com/mailsetup/mailsetup/internal/replay"
)

// corpusDir is Mozilla's ISP database beside the repository.
const corpusDir = "../../../shared/corpus/ispdb"

// corpusEntries is the number of domain entries in the corpus's 163 files
// (962 distinct domains: cty-net.ne.jp.xml lists cty-net.ne.jp twice).
const corpusEntries = 963

// benchLatency is the injected round trip of BenchmarkReplay, per DNS
// answer and per server response.
const benchLatency = 30 * time.Millisecond

// TestMain checks that no goroutine of the worlds (their servers) or of the
// detections outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func startWorld(tb testing.TB, latency time.Duration) *replay.World {
	tb.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		if os.Getenv("MAILSETUP_NO_SHARED") == "1" {
			tb.Skipf("MAILSETUP_NO_SHARED=1 and no ISP database corpus: %v", err)
		}
		tb.Fatalf("ISP database corpus missing: %v\n"+
			"tests read ../shared/corpus/ispdb beside the repository (set MAILSETUP_NO_SHARED=1 to skip)", err)
	}
	w, err := replay.Start(replay.Options{Latency: latency, CorpusDir: corpusDir})
	if err != nil {
		tb.Fatalf("replay.Start() error = %v", err)
	}
	tb.Cleanup(func() {
		if err := w.Close(); err != nil {
			tb.Errorf("World.Close() = %v", err)
		}
	})
	return w
}

// outcome is one detection of the batch.
type outcome struct {
	domain             string
	gotIn, gotOut      string
	wantIn, wantOut    string
	err                error
	incoming, outgoing []detect.Server
	sources            []detect.SourceReport
}

func (o outcome) ok() bool {
	return o.err == nil && o.gotIn == o.wantIn && o.gotOut == o.wantOut
}

func recommended(s *detect.Server) string {
	if s == nil {
		return ""
	}
	return replay.Format(s.Host, s.Port, s.Security)
}

// replayAll runs the batch runner of `mailprobe batch` (detect/batch: one
// detection per domain, one shared resolver) over replay.Address(d) of every
// domain, at most conc at a time, and returns the outcomes in the order of
// domains and the wall time.
func replayAll(w *replay.World, domains []string, conc int) ([]outcome, time.Duration) {
	addrs := make([]string, len(domains))
	index := make(map[string][]int, len(domains)) // an address may repeat (cty-net.ne.jp)
	for i, d := range domains {
		addrs[i] = replay.Address(d)
		index[addrs[i]] = append(index[addrs[i]], i)
	}
	out := make([]outcome, len(domains))
	for i, d := range domains {
		out[i].domain = d
		out[i].wantIn, out[i].wantOut = w.Expected(d)
		out[i].err = errors.New("no result from the batch runner")
	}
	runner := &batch.Runner{Options: w.DetectOptions(), Concurrency: conc}
	start := time.Now()
	err := runner.Run(context.Background(), addrs, func(r batch.Result) {
		for _, i := range index[r.Input] {
			o := &out[i]
			o.err = nil
			if r.Report == nil {
				o.err = fmt.Errorf("batch status %s: %v", r.Status, r.Err)
				continue
			}
			in, outg := r.Report.Recommended()
			o.gotIn, o.gotOut = recommended(in), recommended(outg)
			if o.gotIn != o.wantIn || o.gotOut != o.wantOut {
				// for the diagnosis only
				o.incoming, o.outgoing, o.sources = r.Report.Incoming, r.Report.Outgoing, r.Report.Sources
			}
		}
	})
	if err != nil {
		for i := range out {
			out[i].err = err
		}
	}
	return out, time.Since(start)
}

// summary prints the accuracy line and returns the mismatches, described.
func summary(w *replay.World, outs []outcome, elapsed time.Duration) (correct int, mismatches []string) {
	for _, o := range outs {
		if o.ok() {
			correct++
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s (%s): in %q out %q, want in %q out %q", o.domain, w.File(o.domain), o.gotIn, o.gotOut, o.wantIn, o.wantOut)
		if o.err != nil {
			fmt.Fprintf(&b, "; error %v", o.err)
		}
		for _, s := range o.sources {
			if s.Name == detect.SourceAutoconfig {
				fmt.Fprintf(&b, "\n\tsource %s %s after %d ms: %s", s.Name, s.Status, s.ElapsedMS, s.Detail)
			}
		}
		for _, s := range append(o.incoming, o.outgoing...) {
			fmt.Fprintf(&b, "\n\t%s %s:%d/%s probe %s %s", s.Protocol, s.Host, s.Port, s.Security, s.Probe.Status, s.Probe.Error)
		}
		mismatches = append(mismatches, b.String())
	}
	n := len(outs)
	fmt.Printf("replay: %d/%d correct (%.1f%%), %d addresses in %.2f s = %.0f addr/s\n",
		correct, n, 100*float64(correct)/float64(n), n, elapsed.Seconds(), float64(n)/elapsed.Seconds())
	return correct, mismatches
}

// TestReplayAccuracy detects every address of the corpus in the replay
// world and requires, for each, the recommendation the file describes
// (World.Expected: DESIGN.md's ranking, implicit TLS first, plain never).
func TestReplayAccuracy(t *testing.T) {
	w := startWorld(t, 0)
	domains := w.Domains()
	if len(domains) != corpusEntries {
		t.Errorf("len(World.Domains()) = %d, want %d", len(domains), corpusEntries)
	}
	conc := 32
	if raceEnabled {
		// The race detector multiplies the CPU cost ~4x: fewer detections
		// at once keep each within the engine's 4 s probe budget on a
		// loaded machine (~1.5 min in all).
		conc = 16
	}
	noIn, noOut := 0, 0
	for _, d := range domains {
		in, out := w.Expected(d)
		noIn, noOut = noIn+btoi(in == ""), noOut+btoi(out == "")
	}
	t.Logf("expected: %d addresses with no recommendable incoming server (plaintext only), %d with no outgoing", noIn, noOut)
	outs, elapsed := replayAll(w, domains, conc)
	_, mismatches := summary(w, outs, elapsed)
	for _, m := range mismatches {
		t.Errorf("detect.Run(%s)", m)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// BenchmarkReplay is the batch throughput and the peak memory of the whole
// corpus replay under benchLatency of injected round trip, 128 detections
// at a time. The targets (issue "ISPDB replay", 2 cores): at least 100
// addresses per second, at most 300 MB peak. Memory is the whole process:
// the world's servers run in it too, so the figure is an upper bound for
// the engine's side alone.
func BenchmarkReplay(b *testing.B) {
	w := startWorld(b, benchLatency)
	domains := w.Domains()
	resetPeakRSS()
	var peakSys, peakHeap uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peakSys, peakHeap = max(peakSys, ms.Sys), max(peakHeap, ms.HeapInuse)
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	cpu0, wait0 := cpuTime(), runQueueWait()
	b.ResetTimer()
	var total, correct int
	var elapsed time.Duration
	for b.Loop() {
		outs, el := replayAll(w, domains, 128)
		c, mismatches := summary(w, outs, el)
		// TestReplayAccuracy is the gate on correctness; here a miss is
		// reported (a probe starved past its budget on a loaded machine)
		// and counted in %correct.
		for _, m := range mismatches {
			b.Logf("detect.Run(%s)", m)
		}
		total, correct, elapsed = total+len(outs), correct+c, elapsed+el
	}
	b.StopTimer()
	cpu, wait := cpuTime()-cpu0, runQueueWait()-wait0
	close(stop)
	<-sampled
	const mb = 1 << 20
	b.ReportMetric(float64(total)/elapsed.Seconds(), "addr/s")
	b.ReportMetric(100*float64(correct)/float64(total), "%correct")
	// The CPU time of the process (engine and world) per address, and the
	// throughput two cores could reach at that cost: figures that hold on
	// a machine shared with other work, where the wall clock does not.
	perAddr := cpu / time.Duration(total)
	b.ReportMetric(float64(perAddr)/float64(time.Millisecond), "cpu-ms/addr")
	b.ReportMetric(2*float64(time.Second)/float64(perAddr), "addr/s@2cpu")
	// Time the process's threads were runnable but waited for a CPU: well
	// above zero, other work on the machine held the wall clock back.
	b.ReportMetric(wait.Seconds(), "runq-wait-s")
	b.ReportMetric(float64(peakSys)/mb, "peak-sys-MB")
	b.ReportMetric(float64(peakHeap)/mb, "peak-heap-MB")
	if hwm, ok := peakRSS(); ok {
		b.ReportMetric(float64(hwm)/mb, "peak-RSS-MB")
	}
	b.ReportMetric(0, "ns/op") // one op is a whole batch; addr/s says it better
}

// cpuTime returns the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runQueueWait returns how long the threads of the process have waited,
// runnable, for a CPU (Linux schedstat; 0 elsewhere).
func runQueueWait() time.Duration {
	files, _ := filepath.Glob("/proc/self/task/*/schedstat")
	var sum time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread has exited
		}
		if fields := strings.Fields(string(b)); len(fields) >= 2 {
			ns, _ := strconv.ParseInt(fields[1], 10, 64)
			sum += time.Duration(ns)
		}
	}
	return sum
}

// resetPeakRSS resets the kernel's VmHWM of this process (Linux ≥ 4.0);
// where it cannot, VmHWM stays the peak since the process started.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS returns VmHWM, the peak resident set size, in bytes.
func peakRSS() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
