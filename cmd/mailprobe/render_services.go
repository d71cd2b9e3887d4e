package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// printServices writes one list of calendar, contacts or JMAP services,
// nothing when it is empty: the recommended service's settings as the mail
// servers' are shown (URL, security, user name, verification, what the
// server answered, how it was reached and found, the login check's
// principal and home sets), then the others one per line, best first.
func printServices(w io.Writer, p *i18n.Printer, list []detect.Service) {
	if len(list) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", words.ServiceTitle(p, list[0].Protocol))
	rest := list
	if s := &list[0]; s.Recommended {
		rest = list[1:]
		tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
		row := func(label, value string) {
			if value != "" {
				fmt.Fprintf(tw, "  %s\t%s\n", p.T("cli.label", "Label", label), value)
			}
		}
		row(p.T("field.url"), s.URL+"  ("+p.T("service.recommended")+")")
		row(p.T("field.security"), securityWords(p, s.Security))
		row(p.T("field.username"), s.Username)
		row(p.T("field.verified"), verifiedWords(p, &s.Probe))
		row(p.T("field.answer"), words.HTTPAnswer(p, &s.Probe))
		row(p.T("field.redirects"), strings.Join(s.Probe.Redirects, " → "))
		row(p.T("field.found-by"), p.T("cli.trust", "Trust", string(s.Trust), "Sources", joinNames(s.Sources)))
		if label, value := loginRow(p, &s.Login); label != "" {
			row(label, value)
		}
		row(p.T("field.principal"), s.Login.Principal)
		for _, h := range s.Login.HomeSets {
			row(words.HomeSetField(p, s.Protocol), h)
		}
		tw.Flush()
	}
	if len(rest) == 0 {
		return
	}
	if len(rest) < len(list) {
		fmt.Fprintf(w, "  %s\n", p.T("cli.label", "Label", p.T("service.others")))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range rest {
		detail := words.ProbeStatus(p, &s.Probe)
		if a := words.HTTPAnswer(p, &s.Probe); a != "" {
			detail += ", " + a
		}
		if s.Probe.Error != "" {
			detail = p.T("cli.label-value", "Label", detail, "Value", oneLine(s.Probe.Error))
		}
		fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", s.URL, s.Security,
			p.T("cli.trust", "Trust", string(s.Trust), "Sources", joinNames(s.Sources)), detail)
	}
	tw.Flush()
}
