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
					about := s.About
					if id, ok := scenarioAbout[s.Domain]; ok {
						about = printer(cmd).T(id)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%-24s %s\n", lab.User(s.Domain), about)
				}
				return nil
			}
			address := lab.User("demo.test")
			if len(args) == 1 {
				address = args[0]
			}
			o, err := f.options(printer(cmd), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			l, err := lab.Start(lab.Options{Latency: latency})
			if err != nil {
				return say(printer(cmd), fmt.Errorf("starting the lab: %w", err), "cli.demo.lab-failed", "Detail", err.Error())
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

// scenarioAbout are the catalogue ids of what each lab scenario shows, for
// demo --list.
var scenarioAbout = map[string]string{
	"demo.test":         "lab.about.demo",
	"dav.test":          "lab.about.dav",
	"davloop.test":      "lab.about.davloop",
	"davcross.test":     "lab.about.davcross",
	"davplain.test":     "lab.about.davplain",
	"davbadcert.test":   "lab.about.davbadcert",
	"oauth.test":        "lab.about.oauth",
	"oauthboth.test":    "lab.about.oauthboth",
	"danebad.test":      "lab.about.danebad",
	"bogus.test":        "lab.about.bogus",
	"srv.test":          "lab.about.srv",
	"srvout.test":       "lab.about.srvout",
	"srvwins.test":      "lab.about.srvwins",
	"autoconfig.test":   "lab.about.autoconfig",
	"wellknown.test":    "lab.about.wellknown",
	"http.test":         "lab.about.http",
	"ispdb.test":        "lab.about.ispdb",
	"mx.test":           "lab.about.mx",
	"autodiscover.test": "lab.about.autodiscover",
	"adredirect.test":   "lab.about.adredirect",
	"adsrv.test":        "lab.about.adsrv",
	"guess.test":        "lab.about.guess",
	"local.test":        "lab.about.local",
	"conflict.test":     "lab.about.conflict",
	"starttls.test":     "lab.about.starttls",
	"nostarttls.test":   "lab.about.nostarttls",
	"badcert.test":      "lab.about.badcert",
	"expired.test":      "lab.about.expired",
	"silent.test":       "lab.about.silent",
	"plain.test":        "lab.about.plain",
	"v6.test":           "lab.about.v6",
	"redirect.test":     "lab.about.redirect",
	"xredirect.test":    "lab.about.xredirect",
	"huge.test":         "lab.about.huge",
	"hostile.test":      "lab.about.hostile",
	"adloop.test":       "lab.about.adloop",
	"guessfail.test":    "lab.about.guessfail",
	"injection.test":    "lab.about.injection",
	"refused.test":      "lab.about.refused",
	"nxhost.test":       "lab.about.nxhost",
	"closed.test":       "lab.about.closed",
	"nothing.test":      "lab.about.nothing",
	"pacc.test":         "lab.about.pacc",
	"paccunsigned.test": "lab.about.paccunsigned",
	"pacclong.test":     "lab.about.pacclong",
	"paccbad.test":      "lab.about.paccbad",
	"paccredirect.test": "lab.about.paccredirect",
	"pacchttp.test":     "lab.about.pacchttp",
	"pacccert.test":     "lab.about.pacccert",
	"pacchuge.test":     "lab.about.pacchuge",
	"paccbogus.test":    "lab.about.paccbogus",
}
