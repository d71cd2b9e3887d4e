package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

func newDemoCmd() *cobra.Command {
	var f detectFlags
	var latency time.Duration
	var list bool
	cmd := &cobra.Command{
		Use:   "demo [ADDRESS]",
		Short: "Run a detection against the built-in loopback lab, offline",
		Long: `Start the in-process lab (DNS, https, IMAP, POP3 and SMTP servers on 127.0.0.0/8 only)
and run the same detection as "detect" on a lab address (default alice@demo.test),
so the whole flow can be seen working without any network. --list shows every lab
scenario (e.g. alice@nostarttls.test, alice@silent.test, alice@mx.test).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				for _, s := range lab.Scenarios {
					fmt.Fprintf(cmd.OutOrStdout(), "%-24s %s\n", lab.User(s.Domain), s.About)
				}
				return nil
			}
			address := lab.User("demo.test")
			if len(args) == 1 {
				address = args[0]
			}
			o, err := f.options(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			l, err := lab.Start(lab.Options{Latency: latency})
			if err != nil {
				return fmt.Errorf("starting the lab: %w", err)
			}
			defer l.Close()
			if o.LocalDir == "" { // the local.test scenario reads the lab's local folder
				dir, err := os.MkdirTemp("", "mailprobe-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				if err := lab.WriteLocalDir(dir); err != nil {
					return err
				}
				o.LocalDir = dir
			}
			f.oauthEnv = oauthEnv{client: l.HTTPClient(), browser: l.Browser()} // the lab's provider approves its user
			lo := l.DetectOptions()
			o.Resolver, o.Dial, o.RootCAs, o.ISPDB, o.TrustAnchors = lo.Resolver, lo.Dial, lo.RootCAs, lo.ISPDB, lo.TrustAnchors
			if o.Timeout == detect.DefaultTimeout {
				o.Timeout = 10 * time.Second
			}
			return detectAndPrint(cmd, address, o, &f)
		},
	}
	f.register(cmd, false)
	cmd.Flags().DurationVar(&latency, "latency", 0, "add this much delay to every DNS answer and server response")
	cmd.Flags().BoolVar(&list, "list", false, "list the lab's scenario addresses")
	return cmd
}
