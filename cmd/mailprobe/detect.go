package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// detectFlags are the flags of `mailprobe detect` (and `demo`).
type detectFlags struct {
	json        bool
	resolver    string
	caFile      string
	ispdb       string
	local       string
	timeout     time.Duration
	noGuess     bool
	trustAnchor string
	exhaustive  bool
	name        string
	verbose     bool
	login       bool
	pwStdin     bool
	confirm     []string
	transcript  bool
	// oauth runs the OAuth2 sign-in check; oauthClientID replaces the
	// provider's client ID; oauthEnv is set by the command.
	oauth         bool
	oauthClientID string
	oauthEnv      oauthEnv
}

func (f *detectFlags) register(cmd *cobra.Command, network bool) {
	fl := cmd.Flags()
	fl.BoolVar(&f.json, "json", false, fmt.Sprintf("print the report as JSON (the documented contract, version %d)", detect.ReportVersion))
	fl.DurationVar(&f.timeout, "timeout", detect.DefaultTimeout, "overall deadline of the detection")
	fl.BoolVar(&f.noGuess, "no-guess", false, "do not guess host names (imap.D, smtp.D, ...)")
	fl.BoolVar(&f.exhaustive, "all", false, "wait for every source and probe instead of stopping once the answer is certain")
	fl.StringVar(&f.name, "name", "", "your name, for %REALNAME% in settings")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "log diagnostics to stderr")
	fl.BoolVar(&f.login, "login", false, "after detection, check that your password works on the recommended servers (only over verified TLS, only to trusted or confirmed hosts)")
	fl.BoolVar(&f.pwStdin, "password-stdin", false, "with --login: read the password from the first line of standard input (else $MAILPROBE_PASSWORD, else a prompt on a terminal)")
	fl.StringArrayVar(&f.confirm, "confirm", nil, "with --login: HOST is your provider's server; may be repeated (settings of trust below https need it)")
	fl.BoolVar(&f.oauth, "oauth", false, "after detection, sign in on your provider's web page (OAuth2) in your browser and check that the sign-in works on the recommended servers")
	fl.StringVar(&f.oauthClientID, "oauth-client-id", "", "with --oauth: the client ID your organisation registered with the provider (default: the provider's, or a dynamic registration)")
	fl.BoolVar(&f.transcript, "transcript", false, "print each probe's protocol exchange (credentials redacted)")
	if network {
		fl.StringVar(&f.resolver, "resolver", "", "DNS server HOST:PORT for every lookup (default: first nameserver of /etc/resolv.conf)")
		fl.StringVar(&f.caFile, "ca-file", "", "extra trusted CA certificates (PEM) for probes and https fetches")
		fl.StringVar(&f.ispdb, "ispdb", detect.DefaultISPDB, "ISP database base URL, or \"off\" to never ask it")
		fl.StringVar(&f.local, "local", "", "folder of config-v1.1.xml files to trust")
		fl.StringVar(&f.trustAnchor, "trust-anchor", "", "file of DNSSEC trust anchors, DS or DNSKEY records in zone-file text, that every DNS answer is validated from, replacing IANA's root KSKs")
	}
}

// options turns the flags into engine options.
func (f *detectFlags) options(p *i18n.Printer, stderr io.Writer) (*detect.Options, error) {
	o := &detect.Options{
		Printer:    p,
		Timeout:    f.timeout,
		NoGuess:    f.noGuess,
		Exhaustive: f.exhaustive,
		RealName:   f.name,
		LocalDir:   f.local,
		Confirmed:  f.confirm,
	}
	if f.timeout <= 0 {
		return nil, usageError{say(p, fmt.Errorf("--timeout must be positive, not %s", f.timeout), "cli.error.timeout", "Value", f.timeout.String())}
	}
	if f.verbose {
		o.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if f.resolver != "" {
		if err := checkResolver(f.resolver); err != nil {
			return nil, usageError{say(p, err, "cli.error.resolver", "Value", f.resolver)}
		}
		o.Resolver = resolver.New(f.resolver)
	}
	switch f.ispdb {
	case "off":
		o.NoISPDB = true
	case "":
	default:
		if !strings.HasPrefix(f.ispdb, "https://") && !strings.HasPrefix(f.ispdb, "http://") {
			return nil, usageError{say(p, fmt.Errorf("--ispdb must be an http(s) URL or \"off\", not %q", f.ispdb), "cli.error.ispdb", "Value", f.ispdb)}
		}
		o.ISPDB = f.ispdb
	}
	if f.caFile != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, usageError{say(p, fmt.Errorf("--ca-file: %w", err), "cli.error.ca-file-read", "File", f.caFile)}
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageError{say(p, fmt.Errorf("--ca-file: %s holds no PEM certificate", f.caFile), "cli.error.ca-file-pem", "File", f.caFile)}
		}
		o.RootCAs = pool
	}
	if f.local != "" {
		if st, err := os.Stat(f.local); err != nil || !st.IsDir() {
			return nil, usageError{say(p, fmt.Errorf("--local: %s is not a folder", f.local), "cli.error.local", "Dir", f.local)}
		}
	}
	if f.trustAnchor != "" {
		anchors, err := readTrustAnchors(f.trustAnchor)
		if err != nil {
			return nil, usageError{say(p, err, "cli.error.trust-anchor", "File", f.trustAnchor, "Detail", err.Error())}
		}
		o.TrustAnchors = anchors
	}
	return o, nil
}

// checkResolver checks that --resolver is HOST:PORT with a port number and
// a host that is an IP address or a name that resolves now, so that a typo
// is a usage error instead of a run in which every DNS query fails.
func checkResolver(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--resolver %q: want HOST:PORT, like 127.0.0.1:53 or [::1]:53", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("--resolver %q: the port must be a number from 1 to 65535, like 53", addr)
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil
	}
	if host == "" {
		return fmt.Errorf("--resolver %q: the host is missing; want HOST:PORT, like 127.0.0.1:53", addr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		return fmt.Errorf("--resolver %q: the name %s does not resolve (%w); give the DNS server's IP address", addr, host, err)
	}
	return nil
}

// readTrustAnchors reads DS and DNSKEY records in zone-file text.
func readTrustAnchors(path string) ([]dns.RR, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--trust-anchor: %w", err)
	}
	defer fh.Close()
	zp := dns.NewZoneParser(fh, ".", path)
	var out []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		switch rr.(type) {
		case *dns.DS, *dns.DNSKEY:
			out = append(out, rr)
		default:
			return nil, fmt.Errorf("--trust-anchor: %s: %s record where only DS or DNSKEY may be", path, dns.TypeToString[rr.Header().Rrtype])
		}
	}
	if err := zp.Err(); err != nil {
		return nil, fmt.Errorf("--trust-anchor: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--trust-anchor: %s holds no DS or DNSKEY record", path)
	}
	return out, nil
}

func newDetectCmd() *cobra.Command {
	var f detectFlags
	cmd := &cobra.Command{
		Use:   "detect ADDRESS",
		Short: "Discover, probe and rank the mail settings of ADDRESS",
		Long: `Discover the IMAP, POP3 and SMTP settings of ADDRESS from every public source
(DNS SRV, PACC, autoconfig, the ISP database, MX, Autodiscover, guessing, a local folder),
prove them with live TLS probes, and print the recommended settings, the verdict,
warnings with their fix, and which source said what.

Exit codes: 0 verified settings found, 1 found with danger warnings,
2 nothing usable, 64 usage error.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{say(printer(cmd), fmt.Errorf("detect takes one email address, got %d arguments", len(args)), "cli.error.detect-args", "Count", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.options(printer(cmd), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return detectAndPrint(cmd, args[0], o, &f)
		},
	}
	f.register(cmd, true)
	return cmd
}

// detectAndPrint runs a detection with live progress on a terminal, the
// login check if asked, and prints the report.
func detectAndPrint(cmd *cobra.Command, address string, o *detect.Options, f *detectFlags) error {
	if _, err := detect.ParseAddress(address); err != nil {
		return usageError{err}
	}
	if !f.login && !f.oauth && (f.pwStdin || len(f.confirm) > 0) {
		return usageError{say(printer(cmd), errors.New("--password-stdin and --confirm go with --login"), "cli.error.login-flags")}
	}
	if f.login && f.oauth {
		return usageError{say(printer(cmd), errors.New("--login checks a password and --oauth the OAuth2 sign-in: use one at a time"), "cli.error.login-and-oauth")}
	}
	if f.oauthClientID != "" && !f.oauth {
		return usageError{say(printer(cmd), errors.New("--oauth-client-id goes with --oauth"), "cli.error.oauth-client-id")}
	}
	var password string
	if f.login {
		pw, err := readPassword(cmd, address, f.pwStdin)
		if err != nil {
			return err
		}
		password = pw
	}
	rep, err := runDetection(cmd, address, o)
	if err != nil {
		return err
	}
	if f.login {
		confirmed := append([]string(nil), f.confirm...)
		if !f.pwStdin && isTerminal(cmd.InOrStdin()) {
			confirmed = append(confirmed, askConfirmations(cmd, rep, f.confirm)...)
		}
		if err := detect.VerifyLogin(cmd.Context(), rep, detect.LoginRequest{Password: password, Confirmed: confirmed}, o); err != nil {
			return err
		}
	}
	if f.oauth {
		env := f.oauthEnv
		if env.client == nil {
			env.client = detect.NewHTTPClient(o.Resolver, o.Dial, o.RootCAs)
		}
		if env.browser == nil {
			env.browser = openBrowser(cmd)
		}
		if err := checkOAuth2(cmd, rep, o, f, env, f.confirm); err != nil {
			return err
		}
	}
	out := cmd.OutOrStdout()
	if f.json {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printReport(out, printer(cmd), rep, f.transcript)
	}
	if code := rep.ExitCode(); code != 0 {
		return exitError{code}
	}
	return nil
}

// runDetection runs a detection, with live progress on stderr when it is a
// terminal.
func runDetection(cmd *cobra.Command, address string, o *detect.Options) (*detect.Report, error) {
	if isTerminal(cmd.ErrOrStderr()) {
		o.OnEvent = progress(cmd.ErrOrStderr(), printer(cmd))
	}
	rep, err := detect.Run(cmd.Context(), address, o)
	if err != nil {
		return nil, usageError{err}
	}
	return rep, nil
}

func isTerminal(v any) bool {
	fh, ok := v.(*os.File)
	return ok && term.IsTerminal(int(fh.Fd()))
}

// readPassword gets the password from stdin's first line, the environment,
// or a prompt on the terminal — never from a flag, which other users of the
// machine could read in the process list.
func readPassword(cmd *cobra.Command, address string, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && line == "" {
			return "", usageError{say(printer(cmd), fmt.Errorf("--password-stdin: no password on standard input: %w", err), "cli.error.password-stdin")}
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	if pw := os.Getenv("MAILPROBE_PASSWORD"); pw != "" {
		return pw, nil
	}
	in := cmd.InOrStdin()
	if fh, ok := in.(*os.File); ok && term.IsTerminal(int(fh.Fd())) {
		fmt.Fprint(cmd.ErrOrStderr(), printer(cmd).T("cli.password-prompt", "Address", address)+" ")
		pw, err := term.ReadPassword(int(fh.Fd()))
		fmt.Fprintln(cmd.ErrOrStderr())
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		return string(pw), nil
	}
	return "", usageError{say(printer(cmd), errors.New("--login needs the password: use --password-stdin or MAILPROBE_PASSWORD"), "cli.error.login-password")}
}

// askConfirmations asks, on the terminal, about each recommended server that
// needs the user's confirmation (detect.NeedsConfirmation), naming the domain
// it belongs to.
func askConfirmations(cmd *cobra.Command, rep *detect.Report, already []string) []string {
	in, out := rep.Recommended()
	var yes []string
	rd := bufio.NewReader(cmd.InOrStdin())
	for _, s := range []*detect.Server{in, out} {
		if s == nil || !detect.NeedsConfirmation(s, rep.Domain) || slices.Contains(already, s.Host) || slices.Contains(yes, s.Host) {
			continue
		}
		p := printer(cmd)
		fmt.Fprintf(cmd.ErrOrStderr(), "\n%s ", p.T("cli.confirm", "Host", s.Host, "Owner", detect.RegisteredDomain(s.Host), "Sources", joinNames(s.Sources),
			"Trust", string(s.Trust), "Domain", rep.Domain))
		answer, _ := rd.ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a == "y" || a == "yes" || a == p.T("cli.confirm.yes-short") || a == p.T("cli.confirm.yes") {
			yes = append(yes, s.Host)
		}
	}
	return yes
}

// progress prints one line per finished source and probe, and the answer
// as soon as it is final.
func progress(w io.Writer, p *i18n.Printer) func(detect.Event) {
	source, check, answer := p.T("cli.progress.source"), p.T("cli.progress.probe"), p.T("cli.progress.answer")
	return func(ev detect.Event) {
		at := fmt.Sprintf("%5dms", ev.At.Milliseconds())
		switch ev.Kind {
		case detect.EventSourceFinished:
			fmt.Fprintf(w, "%s  %-8s %-21s %s\n", at, source, ev.Source.Name, words.SourceStatus(p, ev.Source))
		case detect.EventProbeStarted:
			fmt.Fprintf(w, "%s  %-8s %-21s …\n", at, check, serverLabel(ev.Server))
		case detect.EventProbeFinished:
			fmt.Fprintf(w, "%s  %-8s %-21s %s\n", at, check, serverLabel(ev.Server), words.ProbeStatus(p, &ev.Server.Probe))
		case detect.EventAnswer:
			var found []string
			for _, s := range []*detect.Server{ev.Answer.Incoming, ev.Answer.Outgoing} {
				if s != nil {
					found = append(found, serverLabel(s))
				}
			}
			if found == nil {
				found = []string{p.T("cli.progress.answer.none")}
			}
			fmt.Fprintf(w, "%s  %-8s %s\n", at, answer, strings.Join(found, ", "))
		}
	}
}
