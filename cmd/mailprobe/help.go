package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/i18n"
)

// commandHelp are the catalogue ids of each command's use line (its
// arguments named in the language), short and long descriptions ("" for
// none).
var commandHelp = map[string]struct{ use, short, long string }{
	"mailprobe":  {"", "cli.help.root.short", ""},
	"help":       {"", "cli.help.help.short", "cli.help.help.long"},
	"completion": {"", "cli.help.completion.short", ""},
	"detect":     {"cli.help.detect.use", "cli.help.detect.short", "cli.help.detect.long"},
	"demo":       {"cli.help.demo.use", "cli.help.demo.short", "cli.help.demo.long"},
	"export":     {"cli.help.export.use", "cli.help.export.short", "cli.help.export.long"},
	"records":    {"cli.help.records.use", "cli.help.records.short", "cli.help.records.long"},
	"dnssec":     {"cli.help.dnssec.use", "cli.help.dnssec.short", "cli.help.dnssec.long"},
	"batch":      {"cli.help.batch.use", "cli.help.batch.short", "cli.help.batch.long"},
}

// flagHelp are the catalogue ids of each flag's usage, by "command flag",
// else by flag name.
var flagHelp = map[string]string{
	"lang":             "cli.flag.lang",
	"oauth":            "cli.flag.oauth",
	"oauth-client-id":  "cli.flag.oauth-client-id",
	"json":             "cli.flag.json",
	"dnssec json":      "cli.flag.dnssec-json",
	"timeout":          "cli.flag.timeout",
	"no-guess":         "cli.flag.no-guess",
	"all":              "cli.flag.all",
	"name":             "cli.flag.name",
	"verbose":          "cli.flag.verbose",
	"login":            "cli.flag.login",
	"password-stdin":   "cli.flag.password-stdin",
	"confirm":          "cli.flag.confirm",
	"transcript":       "cli.flag.transcript",
	"resolver":         "cli.flag.resolver",
	"ca-file":          "cli.flag.ca-file",
	"ispdb":            "cli.flag.ispdb",
	"local":            "cli.flag.local",
	"trust-anchor":     "cli.flag.trust-anchor",
	"latency":          "cli.flag.latency",
	"list":             "cli.flag.list",
	"format":           "cli.flag.format",
	"batch format":     "cli.flag.batch-format",
	"from":             "cli.flag.from",
	"output":           "cli.flag.output",
	"batch output":     "cli.flag.batch-output",
	"all-servers":      "cli.flag.all-servers",
	"for-user":         "cli.flag.for-user",
	"include-password": "cli.flag.include-password",
	"sign-cert":        "cli.flag.sign-cert",
	"sign-key":         "cli.flag.sign-key",
	"sign-p12":         "cli.flag.sign-p12",
	"web-host":         "cli.flag.web-host",
	"address":          "cli.flag.address",
	"column":           "cli.flag.column",
	"concurrency":      "cli.flag.concurrency",
	"resume":           "cli.flag.resume",
	"force":            "cli.flag.force",
	"full":             "cli.flag.full",
	"ordered":          "cli.flag.ordered",
	"help":             "cli.flag.help",
	"version":          "cli.flag.version",
}

// localizeHelp says the help of every command of root in p's language: the
// short and long descriptions and every flag's usage. It reports the flags
// and commands the catalogue has no words for (a test keeps it empty).
func localizeHelp(p *i18n.Printer, root *cobra.Command) (missing []string) {
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	root.InitDefaultVersionFlag()
	root.SetUsageTemplate(usageTemplate(p))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if h, ok := commandHelp[c.Name()]; ok {
			if h.use != "" {
				c.Use = p.T(h.use) // its first word, the command's name, stays
			}
			c.Short = p.T(h.short)
			if h.long != "" {
				c.Long = p.T(h.long, "Formats", formatList(p), "Version", detect.ReportVersion)
			}
		} else if c.Parent() != nil && c.Parent().Name() == "completion" {
			return // cobra's shell scripts: their help stays cobra's
		} else {
			missing = append(missing, "command "+c.Name())
		}
		c.InitDefaultHelpFlag()
		for _, fs := range []*pflag.FlagSet{c.LocalNonPersistentFlags(), c.PersistentFlags()} {
			fs.VisitAll(func(f *pflag.Flag) {
				id, ok := flagHelp[c.Name()+" "+f.Name]
				if !ok {
					id, ok = flagHelp[f.Name]
				}
				if !ok {
					missing = append(missing, "flag --"+f.Name+" of "+c.Name())
					return
				}
				f.Usage = p.T(id, "Version", detect.ReportVersion, "Formats", formatNames())
			})
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return missing
}

// usageTemplate is cobra's usage template with its words in p's language;
// "(default X)" after a flag is said in p's language too.
func usageTemplate(p *i18n.Printer) string {
	cobra.AddTemplateFunc("localDefaults", func(s string) string {
		return strings.ReplaceAll(s, "(default ", "("+p.T("cli.help.default")+" ")
	})
	return p.T("cli.label", "Label", p.T("cli.help.usage")) + `{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if .HasAvailableSubCommands}}

` + p.T("cli.label", "Label", p.T("cli.help.commands")) + `{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableLocalFlags}}

` + p.T("cli.label", "Label", p.T("cli.help.flags")) + `
{{.LocalFlags.FlagUsages | trimTrailingWhitespaces | localDefaults}}{{end}}{{if .HasAvailableInheritedFlags}}

` + p.T("cli.label", "Label", p.T("cli.help.global-flags")) + `
{{.InheritedFlags.FlagUsages | trimTrailingWhitespaces | localDefaults}}{{end}}{{if .HasAvailableSubCommands}}

` + p.T("cli.help.more", "Command", "{{.CommandPath}}") + `{{end}}
`
}

// formatNames lists the export formats' names: "autoconfig, thunderbird, ...".
func formatNames() string {
	var names []string
	for _, e := range export.Formats {
		names = append(names, string(e.Format))
	}
	return strings.Join(names, ", ")
}
