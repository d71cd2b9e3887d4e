package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/batch"
	"github.com/mailsetup/mailsetup/i18n"
)

// exitInterrupted is the exit code of a batch stopped by Ctrl-C (128+SIGINT).
const exitInterrupted = 130

// batchColumns are the columns of the CSV output, the flat fields of a JSONL
// row in the same order.
var batchColumns = []string{"address", "domain", "status", "verdict", "exit_code", "incoming", "outgoing", "warnings", "elapsed_ms", "reused_from", "error"}

// rowFields are the flat fields of one output row.
type rowFields struct {
	Address  string `json:"address"`
	Domain   string `json:"domain"`
	Status   string `json:"status"`
	Verdict  string `json:"verdict"`
	ExitCode int    `json:"exit_code"`
	// Incoming and Outgoing are the recommended servers as
	// "host:port/security", "" when none.
	Incoming string   `json:"incoming"`
	Outgoing string   `json:"outgoing"`
	Warnings []string `json:"warnings"`
	// ElapsedMS is the detection's time, 0 when reused or invalid.
	ElapsedMS  int64  `json:"elapsed_ms"`
	ReusedFrom string `json:"reused_from,omitempty"`
	Error      string `json:"error,omitempty"`
}

// batchRow is one line of `mailprobe batch` output.
type batchRow struct {
	rowFields
	// Report is the whole report, with --full only.
	Report *detect.Report `json:"report,omitempty"`
}

// batchJob is one `mailprobe batch` invocation, flags parsed.
type batchJob struct {
	input       string // a file, or "-" for stdin
	column      string // "" (one address a line), a header name or a 1-based number
	concurrency int
	format      string // jsonl or csv
	output      string // "" means stdout
	resume      bool
	force       bool
	full        bool
	ordered     bool

	resumedHeader bool // the resumed CSV output has its header row

	p *i18n.Printer // the language of the progress line, summary and errors; nil is English

	opts   *detect.Options
	detect batch.DetectFunc // nil: detect.Run; tests count detections with it

	stdin          io.Reader
	stdout, stderr io.Writer
	// progressEvery is the period of the plain progress lines when stderr
	// is not a terminal; zero means 10 s.
	progressEvery time.Duration
}

func newBatchCmd() *cobra.Command {
	var f detectFlags
	j := &batchJob{}
	cmd := &cobra.Command{
		Use:   "batch FILE",
		Short: "Detect the mail settings of a list of addresses (one a line, or a CSV column)",
		Long: `Detect the settings of every address of FILE ("-" for standard input) and write
one row per address, as JSON lines or CSV, as each completes. FILE holds one address
a line (blank lines and lines starting with # are skipped), or, with --column, is a
CSV file (comma or semicolon separated) whose column NAME (found in the header row)
or N (1-based; a first row without an @ in it is taken as the header) holds them.

Rows: address, domain, status (done, invalid, error), verdict, exit_code (that of
"mailprobe detect"), incoming and outgoing (the recommended servers as
host:port/security, "" when none), warnings (codes; space separated in CSV),
elapsed_ms, reused_from, error, and with --full the whole report (JSONL only).
A malformed address is a row of status invalid with the reason; nothing is sent
for it. CSV cells that a spreadsheet would take for a formula (=, +, -, @) are
written with a leading ' (read back without it by --resume).

One detection per domain: the other addresses of a domain reuse the first one's
report (reused_from names it), with the address and the user names equal to the
first address or its local part rewritten for them. User names built otherwise
from the local part are not rewritten. All detections share one DNS cache.

Progress (rate and ETA) goes to stderr, and at the end a summary: counts by verdict
and by warning code, the rate and the time taken. Ctrl-C stops starting detections,
drops those running, keeps every row written, prints the summary and exits 130;
--resume then carries on where it stopped: addresses already in -o FILE are skipped
(a last line cut short is removed first).

Exit codes: 0 every address has a row (whatever the verdicts; invalid addresses
included), 2 some rows have status error or the output failed, 64 usage error,
130 interrupted.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{say(printer(cmd), fmt.Errorf("batch takes one file of addresses (or - for standard input), got %d arguments", len(args)), "cli.batch.error.args", "Count", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, name := range []string{"json", "login", "password-stdin", "confirm", "transcript"} {
				if cmd.Flags().Changed(name) {
					return usageError{say(printer(cmd), fmt.Errorf("--%s does not apply to batch", name), "cli.batch.error.flag", "Flag", name)}
				}
			}
			o, err := f.options(printer(cmd), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			j.input, j.opts = args[0], o
			j.stdin, j.stdout, j.stderr = cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr()
			j.p = printer(cmd)
			return j.run(cmd.Context())
		},
	}
	f.register(cmd, true)
	for _, name := range []string{"json", "login", "password-stdin", "confirm", "transcript"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	fl := cmd.Flags()
	fl.StringVar(&j.column, "column", "", "read a CSV file: the column NAME (from the header row) or N (1-based) holds the addresses")
	fl.IntVar(&j.concurrency, "concurrency", 8, "detections running at once (1 to 64)")
	fl.StringVar(&j.format, "format", "jsonl", "output format: jsonl or csv")
	fl.StringVarP(&j.output, "output", "o", "", "write the rows to FILE (default: standard output)")
	fl.BoolVar(&j.resume, "resume", false, "append to -o FILE, skipping the addresses it already has")
	fl.BoolVar(&j.force, "force", false, "overwrite an existing -o FILE")
	fl.BoolVar(&j.full, "full", false, "add the whole report to each row (JSONL only)")
	fl.BoolVar(&j.ordered, "ordered", false, "write rows in input order instead of as they complete")
	return cmd
}

// check validates the flags that need no file.
func (j *batchJob) check() error {
	switch {
	case j.format != "jsonl" && j.format != "csv":
		return usageError{say(j.p, fmt.Errorf("--format must be jsonl or csv, not %q", j.format), "cli.batch.error.format", "Value", j.format)}
	case j.full && j.format != "jsonl":
		return usageError{say(j.p, errors.New("--full needs --format jsonl"), "cli.batch.error.full")}
	case j.concurrency < 1 || j.concurrency > 64:
		return usageError{say(j.p, fmt.Errorf("--concurrency must be between 1 and 64, not %d", j.concurrency), "cli.batch.error.concurrency", "Value", j.concurrency)}
	case j.resume && j.force:
		return usageError{say(j.p, errors.New("--resume and --force cannot go together"), "cli.batch.error.resume-force")}
	case j.resume && j.output == "":
		return usageError{say(j.p, errors.New("--resume needs -o FILE"), "cli.batch.error.resume-output")}
	case j.force && j.output == "":
		return usageError{say(j.p, errors.New("--force goes with -o FILE"), "cli.batch.error.force-output")}
	}
	if j.column != "" {
		if n, err := strconv.Atoi(j.column); err == nil && n < 1 {
			return usageError{say(j.p, fmt.Errorf("--column %d: columns are numbered from 1", n), "cli.batch.error.column-number", "Value", n)}
		}
	}
	return nil
}

// run reads the input, opens (or resumes) the output, runs the batch and
// prints the summary.
func (j *batchJob) run(ctx context.Context) error {
	if err := j.check(); err != nil {
		return err
	}
	addrs, empty, err := j.readInput()
	if err != nil {
		return err
	}
	sum := newBatchSummary()
	out, done, err := j.openOutput(sum)
	if err != nil {
		return err
	}
	if c, ok := out.(io.Closer); ok {
		defer c.Close()
	}
	// Skip what the output has, and repeats of one address in the input.
	var todo []string
	dups := 0
	seen := make(map[string]bool)
	for _, a := range addrs {
		switch k := addressKey(a); {
		case done[k]:
		case seen[k]:
			dups++
		default:
			seen[k] = true
			todo = append(todo, a)
		}
	}
	var w rowWriter = jsonlWriter{out}
	if j.format == "csv" {
		cw := csvWriter{out}
		if !j.resumedHeader {
			if err := cw.header(); err != nil {
				return fmt.Errorf("writing %s: %w", j.outName(), err)
			}
		}
		w = cw
	}

	prog := newBatchProgress(j.stderr, len(todo), isTerminal(j.stderr), j.progressEvery)
	prog.p = j.p
	sharedTerminal := prog.tty && j.output == "" && isTerminal(j.stdout)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var werr error
	r := &batch.Runner{Options: j.opts, Concurrency: j.concurrency, Ordered: j.ordered, Detect: j.detect}
	start := time.Now()
	rerr := r.Run(runCtx, todo, func(res batch.Result) {
		if werr != nil {
			return
		}
		row := rowOf(res, j.full)
		if sharedTerminal {
			prog.clear()
		}
		if err := w.write(row); err != nil {
			werr = err
			cancel()
			return
		}
		sum.add(row.rowFields)
		sum.fresh++
		prog.add(row.Status == string(batch.StatusError))
	})
	prog.finish()
	sum.elapsed = time.Since(start)
	sum.left = len(todo) - sum.fresh
	sum.empty, sum.dups = empty, dups
	sum.print(j.stderr, j.p)
	switch {
	case werr != nil:
		return fmt.Errorf("writing %s: %w", j.outName(), werr)
	case rerr != nil && ctx.Err() != nil:
		err := fmt.Errorf("interrupted: %d addresses left", sum.left)
		id := "cli.batch.interrupted"
		if j.output != "" {
			err = fmt.Errorf("interrupted: %d addresses left; run the same command with --resume to finish", sum.left)
			id = "cli.batch.interrupted.resume"
		}
		return &codedError{code: exitInterrupted, err: say(j.p, err, id, "Left", addresses(j.p, sum.left))}
	case rerr != nil:
		return rerr
	case sum.counts["error"] > 0:
		return exitError{exitNothing}
	}
	return nil
}

func (j *batchJob) outName() string {
	if j.output == "" {
		return "standard output"
	}
	return j.output
}

// readInput returns the addresses of the input, and how many CSV rows had
// no address.
func (j *batchJob) readInput() (addrs []string, empty int, err error) {
	var data []byte
	if j.input == "-" {
		data, err = io.ReadAll(j.stdin)
	} else {
		data, err = os.ReadFile(j.input)
	}
	if err != nil {
		return nil, 0, usageError{err}
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a spreadsheet's byte order mark
	if j.column == "" {
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			addrs = append(addrs, line)
		}
		if err := sc.Err(); err != nil {
			return nil, 0, usageError{fmt.Errorf("%s: %w", j.input, err)}
		}
		return addrs, 0, nil
	}
	return readCSVColumn(j.p, data, j.column, j.input)
}

// readCSVColumn returns the cells of column (a header name or a 1-based
// number) of a comma- or semicolon-separated file.
func readCSVColumn(p *i18n.Printer, data []byte, column, name string) (addrs []string, empty int, err error) {
	rd := csv.NewReader(bytes.NewReader(data))
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		rd.Comma = ';' // spreadsheets in many locales
	}
	rd.Comment = '#'
	rd.FieldsPerRecord = -1
	rd.TrimLeadingSpace = true
	records, err := rd.ReadAll()
	if err != nil {
		return nil, 0, usageError{fmt.Errorf("%s: %w", name, err)}
	}
	if len(records) == 0 {
		return nil, 0, nil
	}
	idx := -1
	if n, err := strconv.Atoi(column); err == nil {
		idx = n - 1
		if idx < len(records[0]) && !strings.Contains(records[0][idx], "@") {
			records = records[1:] // a header row
		}
	} else {
		for i, h := range records[0] {
			if strings.EqualFold(strings.TrimSpace(h), strings.TrimSpace(column)) {
				idx = i
				break
			}
		}
		if idx < 0 {
			return nil, 0, usageError{say(p, fmt.Errorf("%s: no column %q in the header row (%s)", name, column, strings.Join(records[0], ", ")),
				"cli.batch.error.no-column", "File", name, "Column", column, "Header", strings.Join(records[0], ", "))}
		}
		records = records[1:]
	}
	for _, rec := range records {
		if idx >= len(rec) || strings.TrimSpace(rec[idx]) == "" {
			empty++
			continue
		}
		addrs = append(addrs, unescapeCell(strings.TrimSpace(rec[idx])))
	}
	return addrs, empty, nil
}

// openOutput opens the output: stdout, a new file, or (--resume) the
// existing file, whose rows are counted in sum and whose addresses are
// returned. A last line cut short is removed.
func (j *batchJob) openOutput(sum *batchSummary) (io.Writer, map[string]bool, error) {
	done := make(map[string]bool)
	if j.output == "" {
		return j.stdout, done, nil
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	switch {
	case j.resume:
		flag = os.O_RDWR | os.O_CREATE
	case j.force:
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	fh, err := os.OpenFile(j.output, flag, 0o600) // addresses are personal data
	if errors.Is(err, fs.ErrExist) {
		return nil, nil, usageError{say(j.p, fmt.Errorf("%s exists: --resume to carry on with it, --force to overwrite it", j.output), "cli.batch.error.exists", "File", j.output)}
	}
	if err != nil {
		return nil, nil, usageError{err}
	}
	if !j.resume {
		return fh, done, nil
	}
	data, err := io.ReadAll(fh)
	if err != nil {
		fh.Close()
		return nil, nil, err
	}
	keep := bytes.LastIndexByte(data, '\n') + 1 // drop a line cut short
	rows, header, err := parseRows(data[:keep], j.format)
	if err != nil {
		fh.Close()
		return nil, nil, usageError{fmt.Errorf("--resume: %s: %w", j.output, err)}
	}
	j.resumedHeader = header
	if err := fh.Truncate(int64(keep)); err != nil {
		fh.Close()
		return nil, nil, err
	}
	if _, err := fh.Seek(int64(keep), io.SeekStart); err != nil {
		fh.Close()
		return nil, nil, err
	}
	for _, r := range rows {
		done[addressKey(r.Address)] = true
		sum.add(r)
		sum.previous++
	}
	return fh, done, nil
}

// parseRows reads rows written by batch in format; header reports whether a
// CSV header row was there.
func parseRows(data []byte, format string) (rows []rowFields, header bool, err error) {
	if format == "jsonl" {
		for n, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var r rowFields
			if err := json.Unmarshal(line, &r); err != nil || r.Status == "" {
				return nil, false, fmt.Errorf("line %d is not a row of mailprobe batch --format jsonl", n+1)
			}
			rows = append(rows, r)
		}
		return rows, false, nil
	}
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, false, fmt.Errorf("not a CSV file: %w", err)
	}
	if len(records) == 0 {
		return nil, false, nil
	}
	if !slices.Equal(records[0], batchColumns) {
		return nil, false, errors.New("the first line is not the header of mailprobe batch --format csv")
	}
	for _, rec := range records[1:] {
		if len(rec) != len(batchColumns) {
			return nil, true, fmt.Errorf("a row has %d columns, not %d", len(rec), len(batchColumns))
		}
		code, _ := strconv.Atoi(rec[4])
		ms, _ := strconv.ParseInt(rec[8], 10, 64)
		rows = append(rows, rowFields{
			Address: unescapeCell(rec[0]), Domain: rec[1], Status: rec[2], Verdict: rec[3], ExitCode: code,
			Incoming: rec[5], Outgoing: rec[6], Warnings: strings.Fields(rec[7]), ElapsedMS: ms,
			ReusedFrom: unescapeCell(rec[9]), Error: unescapeCell(rec[10]),
		})
	}
	return rows, true, nil
}

// addressKey is what makes two addresses the same for de-duplication and
// resuming: the normalised address, or the trimmed text of a malformed one.
func addressKey(s string) string {
	if a, err := detect.ParseAddress(s); err == nil {
		return a.String()
	}
	return strings.TrimSpace(s)
}

// rowOf turns a result into an output row.
func rowOf(res batch.Result, full bool) batchRow {
	r := batchRow{rowFields: rowFields{Address: strings.TrimSpace(res.Input), Domain: res.Address.Domain, Status: string(res.Status),
		Warnings: []string{}, ElapsedMS: res.Elapsed.Milliseconds(), ReusedFrom: strings.TrimSpace(res.ReusedFrom)}}
	switch res.Status {
	case batch.StatusInvalid:
		r.ExitCode = exitUsage
		r.Error = res.Err.Error()
		if ae := (*detect.AddressError)(nil); errors.As(res.Err, &ae) {
			r.Error = ae.Reason
		}
	case batch.StatusError:
		r.ExitCode = exitNothing
		r.Error = res.Err.Error()
	case batch.StatusDone:
		rep := res.Report
		r.Domain, r.Verdict, r.ExitCode = rep.Domain, string(rep.Verdict), rep.ExitCode()
		in, out := rep.Recommended()
		r.Incoming, r.Outgoing = serverSpec(in), serverSpec(out)
		for _, w := range rep.Warnings {
			if !slices.Contains(r.Warnings, w.Code) {
				r.Warnings = append(r.Warnings, w.Code)
			}
		}
		if full {
			r.Report = rep
		}
	}
	return r
}

// serverSpec is "host:port/security", "" for nil.
func serverSpec(s *detect.Server) string {
	if s == nil {
		return ""
	}
	return s.HostPort() + "/" + string(s.Security)
}

// rowWriter writes one row with a single Write, so a row is whole or absent.
type rowWriter interface{ write(batchRow) error }

type jsonlWriter struct{ w io.Writer }

func (jw jsonlWriter) write(r batchRow) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = jw.w.Write(append(b, '\n'))
	return err
}

type csvWriter struct{ w io.Writer }

func (cw csvWriter) header() error { return cw.record(batchColumns) }

func (cw csvWriter) write(r batchRow) error {
	return cw.record([]string{escapeCell(r.Address), r.Domain, r.Status, r.Verdict, strconv.Itoa(r.ExitCode),
		r.Incoming, r.Outgoing, strings.Join(r.Warnings, " "), strconv.FormatInt(r.ElapsedMS, 10),
		escapeCell(r.ReusedFrom), escapeCell(r.Error)})
}

func (cw csvWriter) record(rec []string) error {
	var buf bytes.Buffer
	c := csv.NewWriter(&buf)
	line := make([]string, len(rec))
	for i, s := range rec { // one record, one line: --resume cuts at newlines
		line[i] = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	}
	if err := c.Write(line); err != nil {
		return err
	}
	c.Flush()
	_, err := cw.w.Write(buf.Bytes())
	return err
}

// escapeCell keeps a spreadsheet from reading a cell as a formula (CSV
// injection): a cell starting with = + - @ or a tab gets a leading '.
func escapeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t'", rune(s[0])) {
		return "'" + s
	}
	return s
}

// unescapeCell undoes escapeCell.
func unescapeCell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@\t'", rune(s[1])) {
		return s[1:]
	}
	return s
}

// batchSummary counts the rows of the output.
type batchSummary struct {
	counts   map[string]int // by verdict, or status when not done
	warnings map[string]int // addresses per warning code
	previous int            // rows already in the output (--resume)
	fresh    int            // rows written now
	left     int            // addresses not done (interrupted)
	empty    int            // CSV rows without an address
	dups     int            // repeats of an address in the input
	elapsed  time.Duration
}

// summaryKinds are the rows of the summary table, in order.
var summaryKinds = []string{"secure", "caveats", "unsafe", "none", "invalid", "error"}

func newBatchSummary() *batchSummary {
	return &batchSummary{counts: map[string]int{}, warnings: map[string]int{}}
}

func (s *batchSummary) add(r rowFields) {
	kind := r.Status
	if r.Status == string(batch.StatusDone) {
		kind = r.Verdict
	}
	s.counts[kind]++
	for _, c := range r.Warnings {
		s.warnings[c]++
	}
}

func (s *batchSummary) print(w io.Writer, p *i18n.Printer) {
	total := s.previous + s.fresh
	rate := 0.0
	if secs := s.elapsed.Seconds(); secs > 0 {
		rate = float64(s.fresh) / secs
	}
	fmt.Fprintf(w, "\nmailprobe batch: %s", p.T("cli.batch.done", "Addresses", addresses(p, s.fresh), "Elapsed", batchDuration(p, s.elapsed.Round(time.Millisecond)), "Rate", p.Decimal(rate, 1)))
	if s.previous > 0 {
		fmt.Fprint(w, p.T("cli.batch.already", "Count", s.previous))
	}
	fmt.Fprintln(w)
	for _, note := range []struct {
		n  int
		id string
	}{{s.left, "cli.batch.note.left"}, {s.dups, "cli.batch.note.dups"}, {s.empty, "cli.batch.note.empty"}} {
		if note.n > 0 {
			fmt.Fprintf(w, "  %s\n", p.N(note.id, note.n))
		}
	}
	colVerdict, colAddresses, colTotal, colWarning := p.T("cli.batch.col.verdict"), p.T("cli.batch.col.addresses"), p.T("cli.batch.col.total"), p.T("cli.batch.col.warning")
	width := max(utf8.RuneCountInString(colVerdict), utf8.RuneCountInString(colWarning), utf8.RuneCountInString(colTotal))
	for c := range s.warnings {
		width = max(width, len(c))
	}
	line := func(name string, n any) {
		fmt.Fprintf(w, "  %s%s %9v\n", name, strings.Repeat(" ", width-utf8.RuneCountInString(name)), n)
	}
	line(colVerdict, colAddresses)
	for _, k := range summaryKinds {
		line(k, s.counts[k])
	}
	for k, n := range s.counts { // a verdict this version does not know
		if !slices.Contains(summaryKinds, k) {
			line(k, n)
		}
	}
	line(colTotal, total)
	if len(s.warnings) > 0 {
		codes := make([]string, 0, len(s.warnings))
		for c := range s.warnings {
			codes = append(codes, c)
		}
		slices.SortFunc(codes, func(a, b string) int {
			if d := s.warnings[b] - s.warnings[a]; d != 0 {
				return d
			}
			return strings.Compare(a, b)
		})
		fmt.Fprintln(w)
		line(colWarning, colAddresses)
		for _, c := range codes {
			line(c, s.warnings[c])
		}
	}
}

// addresses is "1 address" or "N addresses", in p's language.
func addresses(p *i18n.Printer, n int) string { return p.N("cli.batch.addresses", n) }

// batchDuration says a duration: Go's form in English ("1.234s"), with a
// decimal comma and a unit in French ("1,2 s").
func batchDuration(p *i18n.Printer, d time.Duration) string {
	if p.Lang() == i18n.English {
		return d.String()
	}
	return p.Seconds(d.Seconds())
}

// batchProgress is the progress line on stderr: redrawn in place with \r on
// a terminal, a plain line every period otherwise.
type batchProgress struct {
	p      *i18n.Printer // nil is English
	w      io.Writer
	tty    bool
	total  int
	start  time.Time
	mu     sync.Mutex
	done   int
	errors int
	stop   chan struct{}
	wg     sync.WaitGroup
}

func newBatchProgress(w io.Writer, total int, tty bool, every time.Duration) *batchProgress {
	p := &batchProgress{w: w, tty: tty, total: total, start: time.Now(), stop: make(chan struct{})}
	if every <= 0 {
		every = 10 * time.Second
	}
	if tty {
		every = 250 * time.Millisecond
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		last := -1
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.mu.Lock()
				if p.tty || p.done != last {
					last = p.done
					p.draw()
				}
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// add counts one row written.
func (p *batchProgress) add(isError bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if isError {
		p.errors++
	}
}

// clear erases the line on a terminal, before a row goes to the same
// terminal; the next tick draws it again.
func (p *batchProgress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
}

// finish stops the redraws and clears the line on a terminal.
func (p *batchProgress) finish() {
	close(p.stop)
	p.wg.Wait()
	if p.tty {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

// draw writes the progress line; p.mu is held.
func (p *batchProgress) draw() {
	elapsed := time.Since(p.start)
	rate := float64(p.done) / elapsed.Seconds()
	eta := "--"
	if p.done > 0 && rate > 0 {
		eta = time.Duration(float64(p.total-p.done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(p.done) / float64(p.total)
	}
	line := p.p.T("cli.batch.progress", "Done", p.done, "Total", p.total, "Percent", fmt.Sprintf("%.0f", pct),
		"Rate", p.p.Decimal(rate, 1), "ETA", eta, "Elapsed", elapsed.Round(time.Second).String())
	if p.errors > 0 {
		line += "  " + p.p.N("cli.batch.errors", p.errors)
	}
	if p.tty {
		const width = 24
		n := int(pct / 100 * width)
		fmt.Fprintf(p.w, "\r[%s%s] %s\x1b[K", strings.Repeat("=", n), strings.Repeat(" ", width-n), line)
		return
	}
	fmt.Fprintf(p.w, "mailprobe batch: %s\n", line)
}
