package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// batchLab is a lab for batch tests, with its local folder.
type batchLab struct {
	*lab.Lab
	local string
}

func startBatchLab(t *testing.T) *batchLab {
	t.Helper()
	l, err := lab.Start(lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	local := t.TempDir()
	if err := lab.WriteLocalDir(local); err != nil {
		t.Fatal(err)
	}
	return &batchLab{l, local}
}

// detections counts detections per domain.
type detections struct {
	mu sync.Mutex
	n  map[string]int
}

func (d *detections) run(ctx context.Context, address string, o *detect.Options) (*detect.Report, error) {
	a, _ := detect.ParseAddress(address)
	d.mu.Lock()
	if d.n == nil {
		d.n = make(map[string]int)
	}
	d.n[a.Domain]++
	d.mu.Unlock()
	return detect.Run(ctx, address, o)
}

// job returns a batch job pointed at the lab, reading input from stdin.
func (l *batchLab) job(input string, d *detections) (*batchJob, *bytes.Buffer, *bytes.Buffer) {
	o := l.DetectOptions()
	o.LocalDir = l.local
	var out, errb bytes.Buffer
	return &batchJob{input: "-", concurrency: 8, format: "jsonl", opts: o, detect: d.run,
		stdin: strings.NewReader(input), stdout: &out, stderr: &errb}, &out, &errb
}

// exitCode maps a command's error to its exit code, as run does.
func exitCode(err error) int {
	var ee exitError
	var ue usageError
	var ce *codedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ce):
		return ce.code
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitNothing
}

// parseOutput reads JSONL or CSV rows back.
func parseOutput(t *testing.T, format string, data []byte) []rowFields {
	t.Helper()
	if format == "csv" {
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("CSV output does not parse: %v\n%s", err, data)
		}
		if len(recs) == 0 || !slices.Equal(recs[0], batchColumns) {
			t.Fatalf("CSV header = %v, want %v", recs, batchColumns)
		}
	}
	rows, _, err := parseRows(data, format)
	if err != nil {
		t.Fatalf("%s output does not parse: %v\n%s", format, err, data)
	}
	return rows
}

// someScenarios are the lab scenarios the batch tests use, one or more of
// each verdict: every detection costs the lab up to 2 s of CPU under the race
// detector (detect's own tests run every scenario).
var someScenarios = []string{"demo.test", "srvout.test", "nothing.test", "badcert.test", "guess.test", "local.test", "mx.test", "bogus.test", "starttls.test", "huge.test"}

// scenarioInput is a list of addresses: the user of each lab scenario (of
// only those named, if any), and for every third one two more users.
func scenarioInput(only ...string) (addrs []string, scenarios map[string]lab.Scenario) {
	scenarios = make(map[string]lab.Scenario)
	for _, s := range lab.Scenarios {
		if len(only) > 0 && !slices.Contains(only, s.Domain) {
			continue
		}
		i := len(scenarios)
		scenarios[s.Domain] = s
		addrs = append(addrs, lab.User(s.Domain))
		if i%3 == 0 {
			addrs = append(addrs, "bob@"+s.Domain, lab.LocalOnlyUser+"@"+strings.ToUpper(s.Domain))
		}
	}
	return addrs, scenarios
}

var malformed = []string{"not-an-address", "two@@ats.test", "nodot@localhost", "=cmd|' /C calc'!A0"}

func TestBatchLab(t *testing.T) {
	some, scen := scenarioInput(someScenarios...)
	lines := func(addrs []string) string {
		return "# helpdesk list\n\n" + strings.Join(addrs, "\n") + "\n" + strings.Join(malformed, "\n") + "\n"
	}
	var csvIn strings.Builder
	cw := csv.NewWriter(&csvIn)
	cw.Write([]string{"Name", "E-Mail", "Team"})
	for i, a := range append(slices.Clone(some), malformed...) {
		cw.Write([]string{fmt.Sprint("user ", i), a, "sales"})
	}
	cw.Write([]string{"nobody", "", "sales"}) // no address: skipped
	cw.Flush()
	for _, tc := range []struct {
		name, input, column, format string
		addrs                       []string
		ordered, full               bool
	}{
		{"lines to jsonl, --full", lines(some), "", "jsonl", some, false, true},
		{"csv column by name to csv, --ordered", csvIn.String(), "e-mail", "csv", some, true, false},
		{"csv column by number to jsonl", csvIn.String(), "2", "jsonl", some, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addrs := tc.addrs
			l := startBatchLab(t)
			var d detections
			j, out, errb := l.job(tc.input, &d)
			j.column, j.format, j.ordered, j.full = tc.column, tc.format, tc.ordered, tc.full
			if err := j.run(context.Background()); err != nil {
				t.Fatalf("batch = %v (exit %d)\n%s", err, exitCode(err), errb)
			}
			rows := parseOutput(t, tc.format, out.Bytes())
			if tc.full {
				checkFullReports(t, out.Bytes())
			}
			if len(rows) != len(addrs)+len(malformed) {
				t.Fatalf("%d rows, want %d", len(rows), len(addrs)+len(malformed))
			}
			counts := map[string]int{}
			for i, r := range rows {
				if tc.ordered {
					if want := append(slices.Clone(addrs), malformed...)[i]; r.Address != want {
						t.Errorf("--ordered: row %d is %s, want %s", i, r.Address, want)
					}
				}
				if slices.Contains(malformed, r.Address) {
					if r.Status != "invalid" || r.Error == "" || r.ExitCode != exitUsage {
						t.Errorf("%s: %+v, want status invalid with a reason", r.Address, r)
					}
					counts["invalid"]++
					continue
				}
				a, _ := detect.ParseAddress(r.Address)
				s := scen[a.Domain]
				if r.Status != "done" || r.Verdict != s.Expect.Verdict || r.Incoming != s.Expect.In || r.Outgoing != s.Expect.Out {
					t.Errorf("%s: %s %s in %q out %q, want done %s in %q out %q", r.Address, r.Status, r.Verdict, r.Incoming, r.Outgoing,
						s.Expect.Verdict, s.Expect.In, s.Expect.Out)
				}
				for _, w := range s.Expect.Warnings {
					if !slices.Contains(r.Warnings, w) {
						t.Errorf("%s: warnings %v, want %s", r.Address, r.Warnings, w)
					}
				}
				if (r.ReusedFrom != "") != !strings.HasPrefix(r.Address, "alice@") {
					t.Errorf("%s: reused_from %q", r.Address, r.ReusedFrom)
				}
				counts[r.Verdict]++
			}
			// One detection, and one SRV question, per domain.
			domains := map[string]bool{}
			for _, a := range addrs {
				p, _ := detect.ParseAddress(a)
				domains[p.Domain] = true
			}
			asked := map[string]int{}
			for _, q := range l.Queries() {
				if q.Type == "SRV" && strings.HasPrefix(q.Name, "_imaps._tcp.") {
					asked[strings.TrimSuffix(strings.TrimPrefix(q.Name, "_imaps._tcp."), ".")]++
				}
			}
			if len(d.n) != len(domains) {
				t.Errorf("detections %v, want one for each of the %d domains", d.n, len(domains))
			}
			for dom := range domains {
				if d.n[dom] != 1 || asked[dom] != 1 {
					t.Errorf("%s: %d detections, _imaps._tcp SRV asked %d times; want 1 and 1", dom, d.n[dom], asked[dom])
				}
			}
			checkSummary(t, errb.String(), counts, len(rows))
		})
	}
}

// checkFullReports checks the reports of --full are each address's own,
// reused ones rewritten: address and user names.
func checkFullReports(t *testing.T, data []byte) {
	t.Helper()
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r batchRow
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatal(err)
		}
		if r.Status != "done" {
			if r.Report != nil {
				t.Errorf("%s: a report on a %s row", r.Address, r.Status)
			}
			continue
		}
		a, _ := detect.ParseAddress(r.Address)
		if r.Report == nil || r.Report.Address != a.String() {
			t.Fatalf("%s: --full report %+v, want the report of %s", r.Address, r.Report, a)
		}
		for _, s := range append(r.Report.Incoming, r.Report.Outgoing...) {
			if s.Username != a.String() {
				t.Errorf("%s: user name on %s is %q, want %s", r.Address, s.HostPort(), s.Username, a)
			}
		}
	}
}

// checkSummary checks the summary table's counts.
func checkSummary(t *testing.T, stderr string, counts map[string]int, total int) {
	t.Helper()
	for _, k := range append(summaryKinds, "total") {
		want := counts[k]
		if k == "total" {
			want = total
		}
		re := regexp.MustCompile(`(?m)^  ` + k + ` +(\d+)$`)
		m := re.FindStringSubmatch(stderr)
		if m == nil || m[1] != strconv.Itoa(want) {
			t.Errorf("summary %s = %v, want %d\n%s", k, m, want, stderr)
		}
	}
	if !regexp.MustCompile(`done now in \S+ \(\d+\.\d/s\)`).MatchString(stderr) {
		t.Errorf("summary has no rate and time:\n%s", stderr)
	}
}

func TestBatchResume(t *testing.T) {
	addrs, _ := scenarioInput(someScenarios...)
	input := strings.Join(append(slices.Clone(addrs), malformed...), "\n")
	for _, format := range []string{"jsonl", "csv"} {
		t.Run(format, func(t *testing.T) {
			l := startBatchLab(t)
			path := filepath.Join(t.TempDir(), "out."+format)
			var d1 detections
			j, _, errb := l.job(input, &d1)
			j.format, j.output = format, path
			if err := j.run(context.Background()); err != nil {
				t.Fatalf("first run = %v\n%s", err, errb)
			}
			full, _ := os.ReadFile(path)
			if err := os.WriteFile(path, full[:len(full)/2], 0o600); err != nil { // cut mid-line
				t.Fatal(err)
			}
			kept := parseOutput(t, format, full[:bytes.LastIndexByte(full[:len(full)/2], '\n')+1])

			// Without --resume or --force the file is refused.
			j, _, _ = l.job(input, &d1)
			j.format, j.output = format, path
			if err := j.run(context.Background()); exitCode(err) != exitUsage {
				t.Errorf("existing -o without --resume = %v, want a usage error", err)
			}

			var d2 detections
			j, _, errb = l.job(input, &d2)
			j.format, j.output, j.resume = format, path, true
			if err := j.run(context.Background()); err != nil {
				t.Fatalf("resume = %v\n%s", err, errb)
			}
			data, _ := os.ReadFile(path)
			rows := parseOutput(t, format, data)
			seen := map[string]int{}
			for _, r := range rows {
				seen[r.Address]++
			}
			for _, a := range append(slices.Clone(addrs), malformed...) {
				if seen[a] != 1 {
					t.Errorf("%s: %d rows, want 1", a, seen[a])
				}
			}
			if len(rows) != len(addrs)+len(malformed) {
				t.Errorf("%d rows after resume, want %d", len(rows), len(addrs)+len(malformed))
			}
			var redone int
			for _, n := range d2.n {
				redone += n
			}
			if redone == 0 || redone >= len(someScenarios) {
				t.Errorf("resume ran %d detections, want some but fewer than %d (%d rows were kept)", redone, len(someScenarios), len(kept))
			}
			if !strings.Contains(errb.String(), fmt.Sprintf("%d already in the output", len(kept))) {
				t.Errorf("summary does not count the %d rows kept:\n%s", len(kept), errb)
			}
		})
	}
}

func TestBatchInterrupt(t *testing.T) {
	l := startBatchLab(t)
	path := filepath.Join(t.TempDir(), "out.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var d detections
	j, _, errb := l.job("alice@demo.test\nbob@demo.test\nalice@silent.test\nalice@srv.test\nalice@guess.test\n", &d)
	j.output, j.concurrency, j.ordered = path, 1, true
	j.detect = func(ctx context.Context, address string, o *detect.Options) (*detect.Report, error) {
		if address == "alice@silent.test" {
			cancel() // Ctrl-C during this detection
		}
		return d.run(ctx, address, o)
	}
	err := j.run(ctx)
	if code := exitCode(err); code != exitInterrupted {
		t.Fatalf("interrupted batch = %v (exit %d), want exit %d\n%s", err, code, exitInterrupted, errb)
	}
	data, _ := os.ReadFile(path)
	rows := parseOutput(t, "jsonl", data)
	if len(rows) != 2 || rows[0].Address != "alice@demo.test" || rows[1].Address != "bob@demo.test" {
		t.Errorf("rows after Ctrl-C = %+v, want the two demo.test rows only", rows)
	}
	if !strings.Contains(errb.String(), "3 not done") || !strings.Contains(errb.String(), "total") {
		t.Errorf("no summary after Ctrl-C:\n%s", errb)
	}
}

func TestBatchErrorRows(t *testing.T) {
	l := startBatchLab(t)
	var d detections
	j, out, _ := l.job("a@x.test\nb@x.test\nbad\n", &d)
	j.detect = func(context.Context, string, *detect.Options) (*detect.Report, error) {
		return nil, errors.New("engine refused its options")
	}
	if code := exitCode(j.run(context.Background())); code != exitNothing {
		t.Errorf("batch with error rows = exit %d, want %d", code, exitNothing)
	}
	rows := parseOutput(t, "jsonl", out.Bytes())
	statuses := map[string]string{}
	for _, r := range rows {
		statuses[r.Address] = r.Status
	}
	if want := map[string]string{"a@x.test": "error", "b@x.test": "error", "bad": "invalid"}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("statuses = %v, want %v", statuses, want)
	}
}

func TestBatchCLI(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("bad\n"), 0o644)
	existing := filepath.Join(dir, "existing.jsonl")
	os.WriteFile(existing, nil, 0o644)
	csvIn := filepath.Join(dir, "in.csv")
	os.WriteFile(csvIn, []byte("name;mail\nA;=evil\nB;bad@@x.test\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"batch"}, exitUsage},
		{[]string{"batch", list, list}, exitUsage},
		{[]string{"batch", "/nonexistent/list"}, exitUsage},
		{[]string{"batch", "--format", "xml", list}, exitUsage},
		{[]string{"batch", "--full", "--format", "csv", list}, exitUsage},
		{[]string{"batch", "--concurrency", "0", list}, exitUsage},
		{[]string{"batch", "--resume", list}, exitUsage},
		{[]string{"batch", "--resume", "--force", "-o", existing, list}, exitUsage},
		{[]string{"batch", "-o", existing, list}, exitUsage},
		{[]string{"batch", "--column", "email", csvIn}, exitUsage},
		{[]string{"batch", "--column", "0", csvIn}, exitUsage},
		{[]string{"batch", "--login", list}, exitUsage},
		{[]string{"batch", "--timeout", "-1s", list}, exitUsage},
		// Only malformed addresses: no network, exit 0.
		{[]string{"batch", "--resolver", "127.0.0.1:1", list}, exitOK},
		{[]string{"batch", "--resolver", "127.0.0.1:1", "--column", "mail", "--format", "csv", "-o", filepath.Join(dir, "new.csv"), csvIn}, exitOK},
		{[]string{"batch", "--resolver", "127.0.0.1:1", "--force", "-o", existing, list}, exitOK},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != tc.code {
			t.Errorf("mailprobe %v = exit %d, want %d\n%s", tc.args, code, tc.code, stderr)
		}
	}
	data, _ := os.ReadFile(filepath.Join(dir, "new.csv"))
	if want := "'=evil,,invalid,"; !strings.Contains(string(data), want) {
		t.Errorf("CSV output:\n%s\nwant the formula-like address escaped as %q", data, want)
	}
	rows := parseOutput(t, "csv", data)
	if len(rows) != 2 || rows[0].Address != "=evil" || rows[1].Address != "bad@@x.test" {
		t.Errorf("CSV rows read back = %+v", rows)
	}
	code, stdout, _ := runCLIInput(t, "bad\n", "batch", "--resolver", "127.0.0.1:1", "-")
	if code != exitOK || !strings.Contains(stdout, `"status":"invalid"`) {
		t.Errorf("batch - = exit %d, %s", code, stdout)
	}
}

func TestBatchProgress(t *testing.T) {
	var buf syncBuffer
	p := newBatchProgress(&buf, 4, false, 20*time.Millisecond)
	p.add(false)
	p.add(true)
	for deadline := time.Now().Add(5 * time.Second); buf.String() == "" && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(60 * time.Millisecond) // more ticks, nothing new to say
	p.finish()
	out := buf.String()
	if !regexp.MustCompile(`mailprobe batch: 2/4 \(50%\)  \d+\.\d/s  ETA \S+  elapsed \S+  1 errors\n`).MatchString(out) {
		t.Errorf("progress lines = %q", out)
	}
	if strings.Count(out, "\n") != 1 || strings.Contains(out, "\r") {
		t.Errorf("progress off a terminal = %q, want one plain line (printed only when it changes)", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the progress goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
