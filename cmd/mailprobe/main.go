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

	"github.com/spf13/cobra"

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

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ee exitError
	var ue usageError
	var ce *codedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, "mailprobe:", err)
		return ce.code
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "mailprobe:", err)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "mailprobe:", err)
		return exitNothing
	}
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
				return usageError{fmt.Errorf("unknown command %q; run mailprobe --help for the commands", args[0])}
			}
			return cmd.Help()
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newDetectCmd(), newDemoCmd(), newExportCmd(), newRecordsCmd(), newDNSSECCmd())
	root.AddCommand(newBatchCmd())
	root.SetVersionTemplate("{{.Name}} {{.Version}}\n")
	for _, f := range devCommands {
		root.AddCommand(f(root))
	}
	return root
}
