package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
	"github.com/mailsetup/mailsetup/pacc"
)

type exportFlags struct {
	detectFlags
	format     string
	from       string
	out        string
	allServers bool
	forUser    bool
	includePW  bool
	signCert   string
	signKey    string
	signP12    string
	webHost    string
}

func newExportCmd() *cobra.Command {
	var f exportFlags
	var names []string
	for _, e := range export.Formats {
		names = append(names, string(e.Format))
	}
	cmd := &cobra.Command{
		Use:   "export --format FORMAT (ADDRESS | --from report.json)",
		Short: "Export verified settings for a mail client, a web server, DNS or a ticket",
		Long: "Export the verified settings of a fresh detection of ADDRESS, or of a saved JSON report (--from).\n" +
			"Only servers whose probe verified TLS are exported: each one is checked again from the report's own\n" +
			"fields, so a report edited to recommend an unverified server exports nothing (exit 2). Formats:\n\n" + formatList(nil) +
			"\nPasswords are never written unless --include-password is given, and then only into a signed\n" +
			"Apple profile or the QR code, with a warning.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usageError{say(printer(cmd), fmt.Errorf("export takes at most one address, got %d", len(args)), "cli.error.export-args", "Count", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, ok := export.Lookup(export.Format(f.format)); !ok {
				return usageError{say(printer(cmd), fmt.Errorf("--format must be one of %s", strings.Join(names, ", ")), "cli.error.format", "Formats", strings.Join(names, ", "))}
			}
			rep, err := f.report(cmd, args)
			if err != nil {
				return err
			}
			data, err := f.export(cmd, rep)
			if err != nil {
				return err
			}
			return f.write(cmd, data)
		},
	}
	f.detectFlags.register(cmd, true)
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "", "one of: "+strings.Join(names, ", "))
	fl.StringVar(&f.from, "from", "", "export from this saved JSON report instead of detecting again")
	fl.StringVarP(&f.out, "output", "o", "", "write to FILE instead of standard output")
	fl.BoolVar(&f.allServers, "all-servers", false, "include the verified alternatives, not only the recommended servers (autoconfig, autodiscover, zone)")
	fl.BoolVar(&f.forUser, "for-user", false, "autoconfig/autodiscover: write this user's name instead of %EMAILADDRESS% placeholders")
	fl.BoolVar(&f.includePW, "include-password", false, "apple (signed only) and qr: put the password in (read as --login reads it)")
	fl.StringVar(&f.signCert, "sign-cert", "", "apple: sign with this certificate (PEM, chain allowed)")
	fl.StringVar(&f.signKey, "sign-key", "", "apple: the signing key (PEM)")
	fl.StringVar(&f.signP12, "sign-p12", "", "apple: sign with this PKCS#12 file (its password from $MAILPROBE_P12_PASSWORD)")
	fl.StringVar(&f.webHost, "web-host", "", "zone: the web server hosting autoconfig and Autodiscover (adds CNAME and SRV records)")
	return cmd
}

func formatList(p *i18n.Printer) string {
	titles := map[export.Format]string{
		export.Autoconfig: "ui.format.autoconfig.title", export.Thunderbird: "ui.format.thunderbird.title",
		export.Apple: "ui.format.apple.title", export.Autodiscover: "ui.format.autodiscover.title",
		export.QR: "ui.format.qr.title", export.JSON: "ui.format.json.title", export.HTML: "ui.format.html.title",
		export.Zone: "ui.format.zone.title", export.PACC: "ui.format.pacc.title",
	}
	var b strings.Builder
	for _, e := range export.Formats {
		about := e.About
		if id, ok := titles[e.Format]; ok {
			about = p.T(id)
		}
		fmt.Fprintf(&b, "  %-13s %s\n", e.Format, about)
	}
	return b.String()
}

// report returns the report to export: a saved one or a fresh detection.
func (f *exportFlags) report(cmd *cobra.Command, args []string) (*detect.Report, error) {
	switch {
	case f.from != "" && len(args) == 1:
		return nil, usageError{say(printer(cmd), errors.New("give an address or --from, not both"), "cli.error.from-and-address")}
	case f.from != "":
		return readReport(f.from)
	case len(args) == 0:
		return nil, usageError{say(printer(cmd), errors.New("give the address to detect, or --from report.json"), "cli.error.no-address")}
	}
	o, err := f.options(printer(cmd), cmd.ErrOrStderr())
	if err != nil {
		return nil, err
	}
	rep, err := runDetection(cmd, args[0], o)
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// readReport reads a saved JSON report and checks it is one we can read.
func readReport(path string) (*detect.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{fmt.Errorf("--from: %w", err)}
	}
	var rep detect.Report
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&rep); err != nil {
		return nil, usageError{fmt.Errorf("--from: %s is not a JSON report: %w", path, err)}
	}
	if rep.Version != detect.ReportVersion {
		return nil, usageError{fmt.Errorf("--from: %s has report version %d; this mailprobe reads version %d", path, rep.Version, detect.ReportVersion)}
	}
	if _, err := detect.ParseAddress(rep.Address); err != nil {
		return nil, usageError{fmt.Errorf("--from: %s: %w", path, err)}
	}
	return &rep, nil
}

// export renders the report in the chosen format through export.Write, the
// one export path of the app and the command line. Flags that do not fit the
// format are usage errors, checked before a password is asked for; a report
// with nothing verified, or whose recommended server is not verified TLS (a
// report edited by hand), exports nothing and exits 2.
func (f *exportFlags) export(cmd *cobra.Command, rep *detect.Report) ([]byte, error) {
	stderr := cmd.ErrOrStderr()
	p := printer(cmd)
	format := export.Format(f.format)
	info, _ := export.Lookup(format)
	if f.includePW && !info.Password {
		return nil, usageError{say(p, fmt.Errorf("--include-password: the %s format never carries a password", f.format), "cli.error.password-format", "Format", f.format)}
	}
	if (f.signCert != "" || f.signKey != "" || f.signP12 != "") && format != export.Apple {
		return nil, usageError{say(p, errors.New("--sign-cert, --sign-key and --sign-p12 go with --format apple"), "cli.error.sign-apple")}
	}
	opts := &export.Options{Name: f.name, AllServers: f.allServers, ForUser: f.forUser, WebHost: f.webHost}
	var err error
	if format == export.Apple {
		if opts.Signer, err = f.signer(); err != nil {
			return nil, err
		}
		if f.includePW && opts.Signer == nil {
			return nil, usageError{say(p, errors.New("--include-password: an Apple profile carries a password only when signed (--sign-cert/--sign-key or --sign-p12)"), "cli.error.password-unsigned")}
		}
	}
	if info.Settings {
		// Refuse before asking for a password.
		if _, err := rep.Config(nil); err != nil {
			return nil, exportRefused(p, rep, err)
		}
	}
	if f.includePW {
		if opts.Password, err = readPassword(cmd, rep.Address, f.pwStdin); err != nil {
			return nil, err
		}
		opts.IncludePassword = true
	}
	data, err := export.Write(rep, format, opts)
	if err != nil {
		if errors.Is(err, detect.ErrNothingVerified) || errors.Is(err, detect.ErrNotVerified) {
			return nil, exportRefused(p, rep, err)
		}
		if errors.Is(err, export.ErrPasswordRefused) {
			return nil, usageError{err}
		}
		if errors.Is(err, export.ErrAppleOAuth2) {
			return nil, &codedError{code: exitNothing, err: say(p, fmt.Errorf("no Apple profile: %w", err), "cli.error.no-apple-profile", "Reason", export.AppleOAuth2Message(p))}
		}
		return nil, err
	}
	for _, n := range export.Notes(rep, format) {
		fmt.Fprintf(stderr, "mailprobe: %s\n", p.T("cli.export.note-warning", "Note", n))
	}
	if info.Settings {
		for _, w := range rep.Warnings {
			if w.Severity != detect.SeverityInfo {
				fmt.Fprintf(stderr, "mailprobe: %s\n", p.T("cli.export.note", "Severity", words.Severity(p, w.Severity), "Code", w.Code, "Message", w.Message))
			}
		}
	}
	if format == export.PACC {
		line, err := export.PACCRecord(rep)
		if err != nil {
			return nil, err
		}
		fmt.Fprintln(stderr, "mailprobe:", p.T("cli.export.pacc-record", "URL", pacc.URL(rep.Domain), "Record", line))
	}
	switch {
	case f.includePW && format == export.Apple:
		fmt.Fprintln(stderr, "mailprobe:", p.T("cli.export.password-apple"))
	case f.includePW && format == export.QR:
		fmt.Fprintln(stderr, "mailprobe:", p.T("cli.export.password-qr"))
	}
	return data, nil
}

// exportRefused is the exit-2 error of an export with nothing verified to
// write: nothing recommended (detect.ErrNothingVerified), or a recommended
// server that is not verified TLS (detect.NotVerifiedError).
func exportRefused(p *i18n.Printer, rep *detect.Report, err error) error {
	if nv, ok := errors.AsType[*detect.NotVerifiedError](err); ok {
		return &codedError{code: exitNothing, err: say(p, fmt.Errorf("nothing exported: the report recommends %s server %s, but %s (was the report edited?)",
			nv.Protocol, nv.Server, nv.Why()), "cli.export.not-verified", "Why", nv.Localize(p))}
	}
	return &codedError{code: exitNothing, err: say(p, fmt.Errorf("nothing to export: no server of %s was verified (verdict %s)", rep.Address, rep.Verdict),
		"cli.export.nothing", "Address", rep.Address, "Verdict", string(rep.Verdict))}
}

// signer loads the Apple profile signing identity, if one was given.
func (f *exportFlags) signer() (*autoconfig.Signer, error) {
	switch {
	case f.signP12 != "" && (f.signCert != "" || f.signKey != ""):
		return nil, usageError{errors.New("give --sign-p12 or --sign-cert/--sign-key, not both")}
	case f.signP12 != "":
		data, err := os.ReadFile(f.signP12)
		if err != nil {
			return nil, usageError{fmt.Errorf("--sign-p12: %w", err)}
		}
		s, err := autoconfig.LoadSignerP12(data, os.Getenv("MAILPROBE_P12_PASSWORD"))
		if err != nil {
			return nil, usageError{fmt.Errorf("--sign-p12: %w", err)}
		}
		return s, nil
	case f.signCert != "" || f.signKey != "":
		if f.signCert == "" || f.signKey == "" {
			return nil, usageError{errors.New("--sign-cert and --sign-key go together")}
		}
		certPEM, err := os.ReadFile(f.signCert)
		if err != nil {
			return nil, usageError{fmt.Errorf("--sign-cert: %w", err)}
		}
		keyPEM, err := os.ReadFile(f.signKey)
		if err != nil {
			return nil, usageError{fmt.Errorf("--sign-key: %w", err)}
		}
		s, err := autoconfig.LoadSignerPEM(certPEM, keyPEM)
		if err != nil {
			return nil, usageError{fmt.Errorf("--sign-cert/--sign-key: %w", err)}
		}
		return s, nil
	}
	return nil, nil
}

// write sends the export to -o FILE or standard output. Binary output is
// not written to a terminal.
func (f *exportFlags) write(cmd *cobra.Command, data []byte) error {
	if f.out == "" {
		out := cmd.OutOrStdout()
		if info, _ := export.Lookup(export.Format(f.format)); info.Binary && isTerminal(out) {
			return usageError{say(printer(cmd), fmt.Errorf("the %s format is binary: use -o FILE", f.format), "cli.error.binary", "Format", f.format)}
		}
		_, err := out.Write(data)
		return err
	}
	mode := os.FileMode(0o644)
	if f.includePW {
		mode = 0o600
	}
	if err := os.WriteFile(f.out, data, mode); err != nil {
		return err
	}
	fmt.Fprintln(cmd.ErrOrStderr(), "mailprobe:", printer(cmd).N("cli.export.wrote", len(data), "File", f.out))
	return nil
}

// codedError is an error with its own exit code, printed by run.
type codedError struct {
	code int
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

func newRecordsCmd() *cobra.Command {
	var f detectFlags
	var webHost, address string
	cmd := &cobra.Command{
		Use:   "records DOMAIN",
		Short: "Print the DNS records a domain should publish, from what was verified",
		Long: `Detect and verify the mail servers of DOMAIN (as postmaster@DOMAIN, or --address), then print,
as zone-file text, the records that make mail clients find them: SRV records of RFC 6186 and
RFC 8314 (implicit TLS first, "." for services not offered), TLSA 3 1 1 records of the keys the
servers presented, the autoconfig/autodiscover host names, and the _ua-auto-config TXT record
holding the digest of the PACC document that ` + "`mailprobe export --format pacc`" + ` writes.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{say(printer(cmd), fmt.Errorf("records takes one domain, got %d arguments", len(args)), "cli.error.records-args", "Count", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if address == "" {
				domain, _, err := detect.ParseDomain(args[0])
				if err != nil {
					return usageError{err}
				}
				address = "postmaster@" + domain
			}
			o, err := f.options(printer(cmd), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			rep, err := runDetection(cmd, address, o)
			if err != nil {
				return err
			}
			data, err := export.Write(rep, export.Zone, &export.Options{WebHost: webHost})
			if errors.Is(err, detect.ErrNothingVerified) || errors.Is(err, detect.ErrNotVerified) {
				return &codedError{code: exitNothing, err: say(printer(cmd), fmt.Errorf("no server of %s was verified: nothing to publish yet (verdict %s)", rep.Domain, rep.Verdict),
					"cli.records.nothing", "Domain", rep.Domain, "Verdict", string(rep.Verdict))}
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
	f.register(cmd, true)
	cmd.Flags().StringVar(&webHost, "web-host", "", "the web server hosting autoconfig and Autodiscover (adds CNAME and SRV records)")
	cmd.Flags().StringVar(&address, "address", "", "the address to detect with (default postmaster@DOMAIN)")
	return cmd
}
