// Command mailprobe finds, verifies and explains the mail settings of an
// email address from the command line: the same engine as the Mailsetup
// desktop app, without a display.
//
//	mailprobe detect alice@example.org
//	mailprobe detect --json alice@example.org
//	mailprobe demo
//	mailprobe --version
//	mailprobe completion bash|zsh|fish|powershell
//
// Exit codes: 0 verified settings found, 1 found with danger warnings,
// 2 nothing usable, 64 usage error.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
	"github.com/mailsetup/mailsetup/internal/version"
)

// Exit codes (DESIGN.md).
const (
	exitOK      = 0
	exitDanger  = 1
	exitNothing = 2
	exitUsage   = 64
)

// usageError marks errors that are the user's input, exit code 64.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitError carries the exit code of a finished detection.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the exit code. The language
// of every text is chosen first (--lang, MAILSETUP_LANG, LC_ALL,
// LC_MESSAGES, LANG; i18n.Choose) and its printer travels in the context
// of every command ([printer]).
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	lang, err := i18n.Choose(langArg(args), os.Getenv, "")
	if err != nil {
		fmt.Fprintln(stderr, "mailprobe:", i18n.New(i18n.English).T("cli.error.lang", "Lang", langArg(args)))
		return exitUsage
	}
	p := i18n.New(lang)
	root := newRoot(stdin, stdout, stderr)
	localizeHelp(p, root)
	root.SetArgs(args)
	err = root.ExecuteContext(i18n.NewContext(ctx, p))
	var ee exitError
	var ue usageError
	var ce *codedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "mailprobe:", errorText(p, err))
		return ce.code
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "mailprobe:", errorText(p, err))
		return exitUsage
	default:
		fmt.Fprintln(stderr, "mailprobe:", errorText(p, err))
		return exitNothing
	}
}

// printer is the printer of the command's language, chosen by [run].
func printer(cmd *cobra.Command) *i18n.Printer { return i18n.FromContext(cmd.Context()) }

// langArg is the value of --lang in args ("" when absent), read before
// cobra parses them so that every text, help included, is in that language.
func langArg(args []string) string {
	for i, a := range args {
		switch {
		case a == "--":
			return ""
		case a == "--lang" && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "--lang="):
			return strings.TrimPrefix(a, "--lang=")
		}
	}
	return ""
}

// localized is an error with a text for people in the command's language;
// Error stays the English developer text.
type localized struct {
	err  error
	text string
}

func (e localized) Error() string { return e.err.Error() }
func (e localized) Unwrap() error { return e.err }

// say wraps err with msg said in p's language, for [errorText].
func say(p *i18n.Printer, err error, id string, kv ...any) error {
	return localized{err: err, text: p.T(id, kv...)}
}

// errorText is err for a person: the localized text when there is one,
// an engine error a person meets in their language, else the error.
func errorText(p *i18n.Printer, err error) string {
	var l localized
	if errors.As(err, &l) {
		return l.text
	}
	if s := words.Error(p, err); s != "" {
		return s
	}
	return err.Error()
}

// devCommands adds development helpers to the command tree, in builds with
// their build tag only (man.go: the man page generator, tag mangen); the
// product binary has none.
var devCommands []func(root *cobra.Command) *cobra.Command

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "mailprobe",
		Short: "Find, verify and explain the mail settings of an email address",
		// --version prints "mailprobe v1.2.3" (package internal/version).
		Version:       version.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// An unknown command is a usage error (exit 64), not cobra's plain
		// error; no command prints the help.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{say(printer(cmd), fmt.Errorf("unknown command %q; run mailprobe --help for the commands", args[0]), "cli.error.unknown-command", "Command", args[0])}
			}
			return cmd.Help()
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().String("lang", "", "language of the output: en or fr (default: MAILSETUP_LANG, then LC_ALL, LC_MESSAGES, LANG)")
	root.AddCommand(newDetectCmd(), newDemoCmd(), newExportCmd(), newRecordsCmd(), newDNSSECCmd())
	root.AddCommand(newBatchCmd())
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	for _, f := range devCommands {
		root.AddCommand(f(root))
	}
	return root
}
