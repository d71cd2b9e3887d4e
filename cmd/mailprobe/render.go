package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

func serverLabel(s *detect.Server) string {
	return fmt.Sprintf("%s %s:%d", s.Protocol, s.Host, s.Port)
}

// securityWords names a security the way mail clients' settings do.
func securityWords(p *i18n.Printer, s autoconfig.Security) string {
	switch s {
	case autoconfig.TLS:
		return p.T("cli.security.tls", "Label", s.Label())
	case autoconfig.STARTTLS:
		return p.T("cli.security.starttls", "Label", s.Label())
	default:
		return p.T("cli.security.plain", "Label", words.Security(p, s))
	}
}

// verdictWord names a verdict in capitals, for the first lines.
func verdictWord(p *i18n.Printer, v detect.Verdict) string {
	switch v {
	case detect.VerdictSecure:
		return p.T("cli.verdict.secure")
	case detect.VerdictCaveats:
		return p.T("cli.verdict.caveats")
	case detect.VerdictUnsafe:
		return p.T("cli.verdict.unsafe")
	case detect.VerdictNone:
		return p.T("cli.verdict.none")
	}
	return string(v)
}

// verdictLine is the report's verdict and the engine's reason for it.
func verdictLine(p *i18n.Printer, r *detect.Report) string {
	word := verdictWord(p, r.Verdict)
	if r.Offline() {
		word = p.T("cli.verdict.offline")
	}
	if r.Reason == "" {
		return word
	}
	return p.T("cli.label-value", "Label", word, "Value", r.Reason)
}

// oneLine folds a text onto one line, for a table cell.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// printReport writes the report for a person in p's language: the settings
// to copy, the verdict, warnings with their fix, alternatives and sources.
func printReport(w io.Writer, p *i18n.Printer, r *detect.Report, transcripts bool) {
	fmt.Fprintf(w, "%s\n%s\n", r.Address, verdictLine(p, r))
	in, out := r.Recommended()
	printServer(w, p, p.T("cli.incoming"), in, r.Incoming, r.IncomingVerdict, r.IncomingReason)
	printServer(w, p, p.T("cli.outgoing"), out, r.Outgoing, r.OutgoingVerdict, r.OutgoingReason)
	for _, list := range [][]detect.Service{r.Calendar, r.Contacts, r.JMAP} {
		printServices(w, p, list)
	}

	if len(r.Warnings) > 0 {
		fmt.Fprintf(w, "\n%s\n", p.T("cli.warnings"))
		for _, wn := range r.Warnings {
			mark := map[detect.Severity]string{detect.SeverityInfo: "i", detect.SeverityWarning: "!", detect.SeverityDanger: "!!"}[wn.Severity]
			head := fmt.Sprintf("%s [%s]", words.Severity(p, wn.Severity), wn.Code)
			fmt.Fprintf(w, "  %-2s %s\n", mark, p.T("cli.label-value", "Label", head, "Value", wn.Message))
			if wn.Fix != "" {
				fmt.Fprintf(w, "     %s\n", p.T("cli.label-value", "Label", p.T("cli.fix"), "Value", wn.Fix))
			}
		}
	}

	fmt.Fprintf(w, "\n%s\n", p.T("cli.servers"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, list := range [][]detect.Server{r.Incoming, r.Outgoing} {
		for _, s := range list {
			mark := " "
			if s.Recommended {
				mark = "*"
			}
			detail := words.ProbeStatus(p, &s.Probe)
			if n := s.Probe.STARTTLSInjected; n > 0 {
				detail += ", " + p.N("cli.injected", n)
			}
			if s.Probe.TLSVersion != "" {
				detail += ", " + s.Probe.TLSVersion
			}
			if s.Probe.Error != "" {
				detail = p.T("cli.label-value", "Label", detail, "Value", oneLine(s.Probe.Error))
			}
			fmt.Fprintf(tw, "  %s %s\t%s:%d\t%s\t%s\t%s\n", mark, s.Protocol, s.Host, s.Port, s.Security,
				p.T("cli.trust", "Trust", string(s.Trust), "Sources", joinNames(s.Sources)), detail)
		}
	}
	tw.Flush()

	fmt.Fprintf(w, "\n%s\n", p.T("cli.sources"))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range r.Sources {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", s.Name, words.SourceStatus(p, &s), p.Millis(s.ElapsedMS), oneLine(s.Detail))
	}
	tw.Flush()
	if transcripts {
		printTranscripts(w, p, r)
	}
	fmt.Fprintf(w, "\n%s\n", p.T("cli.done", "Elapsed", p.Millis(r.ElapsedMS), "DNSSEC", words.DNSSECShort(p, r.DNSSEC)))
}

// printTranscripts writes every probe's and login's exchange. Lines from
// the plaintext part of a STARTTLS connection are marked: anyone on the path
// could have written them.
func printTranscripts(w io.Writer, p *i18n.Printer, r *detect.Report) {
	type endpoint struct {
		name         string
		probe, login []detect.TranscriptLine
	}
	var all []endpoint
	for _, list := range [][]detect.Server{r.Incoming, r.Outgoing} {
		for _, s := range list {
			all = append(all, endpoint{fmt.Sprintf("%s %s:%d (%s)", s.Protocol, s.Host, s.Port, s.Security), s.Probe.Transcript, s.Login.Transcript})
		}
	}
	for _, list := range [][]detect.Service{r.Calendar, r.Contacts, r.JMAP} {
		for _, s := range list {
			all = append(all, endpoint{fmt.Sprintf("%s %s (%s)", s.Protocol, s.URL, s.Security), s.Probe.Transcript, s.Login.Transcript})
		}
	}
	for _, e := range all {
		for _, t := range []struct {
			what  string
			lines []detect.TranscriptLine
		}{{p.T("cli.transcript.probe"), e.probe}, {p.T("cli.transcript.login"), e.login}} {
			if len(t.lines) == 0 {
				continue
			}
			fmt.Fprintf(w, "\n%s\n", p.T("cli.transcript", "Server", e.name, "What", t.what))
			for _, l := range t.lines {
				dir := map[string]string{"client": "C:", "server": "S:", "note": "--"}[l.From]
				mark := ""
				if l.BeforeTLS {
					mark = " " + p.T("cli.transcript.untrusted")
				}
				fmt.Fprintf(w, "  %5dms %s %s%s\n", l.AtMS, dir, l.Text, mark)
			}
		}
	}
}

func printServer(w io.Writer, p *i18n.Printer, title string, s *detect.Server, list []detect.Server, v detect.Verdict, reason string) {
	fmt.Fprintf(w, "\n%s\n", p.T("cli.label-value", "Label", title, "Value", verdictWord(p, v)))
	if reason != "" {
		fmt.Fprintf(w, "  %s\n", reason)
	}
	if s == nil {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	row := func(label, value string) {
		fmt.Fprintf(tw, "  %s\t%s\n", p.T("cli.label", "Label", label), value)
	}
	row(p.T("field.protocol"), words.Protocol(s.Protocol))
	row(p.T("field.server"), s.Host)
	row(p.T("field.port"), fmt.Sprint(s.Port))
	row(p.T("field.security"), securityWords(p, s.Security))
	row(p.T("field.username"), s.Username)
	switch s.Signin {
	case detect.SigninOAuth2:
		row(p.T("field.signin"), p.T("cli.signin.oauth2"))
	case detect.SigninPasswordOrOAuth2:
		row(p.T("field.signin"), p.T("cli.signin.password-or-oauth2"))
	default:
		row(p.T("field.password"), words.Auth(p, s.Auth))
	}
	row(p.T("field.verified"), verifiedWords(p, &s.Probe))
	if s.Probe.DANE != "" {
		dane := words.DANE(p, s.Probe.DANE)
		if s.Probe.DANEDetail != "" {
			dane += " (" + s.Probe.DANEDetail + ")"
		}
		row("DANE", dane)
	}
	row(p.T("field.found-by"), p.T("cli.trust", "Trust", string(s.Trust), "Sources", joinNames(s.Sources)))
	if label, value := loginRow(p, &s.Login); label != "" {
		row(label, value)
	}
	tw.Flush()
}

// verifiedWords says how the probe verified an endpoint: "TLS 1.3,
// certificate valid for mail.example.org until 1 January 2027 in 12 ms".
func verifiedWords(p *i18n.Printer, pr *detect.ProbeReport) string {
	verified := pr.TLSVersion
	if c := pr.Cert; c != nil && c.Valid {
		until := c.NotAfter
		if t, err := time.Parse(time.RFC3339, c.NotAfter); err == nil {
			until = p.Date(t)
		}
		verified = p.T("cli.verified.cert", "TLS", verified, "Name", c.MatchedName, "Until", until)
	}
	return p.T("cli.verified.in", "What", verified, "Elapsed", p.Millis(pr.ElapsedMS))
}

// loginRow is the row of the login check's outcome; label is "" when no
// check ran.
func loginRow(p *i18n.Printer, l *detect.LoginReport) (label, value string) {
	switch l.Status {
	case detect.LoginOK:
		return p.T("field.login"), p.T("cli.login.ok", "User", l.Username, "Mechanism", l.Mechanism)
	case detect.LoginFailed:
		return p.T("field.login"), p.T("cli.login.failed", "Users", strings.Join(l.Tried, ", "), "Detail", l.Error)
	case detect.LoginError:
		return p.T("field.login"), p.T("cli.login.error", "Detail", l.Error)
	case detect.LoginNotTried:
		if l.Error != "" {
			return p.T("field.login"), p.T("cli.login.not-tried", "Detail", l.Error)
		}
	case detect.LoginNotPossible:
		return p.T("field.login"), p.T("cli.login.not-possible", "Detail", l.Error)
	case detect.LoginOAuth2OK:
		return p.T("field.signin-check"), p.T("cli.login.oauth2-ok", "User", l.Username, "Mechanism", l.Mechanism)
	case detect.LoginOAuth2Failed:
		return p.T("field.signin-check"), p.T("cli.login.oauth2-failed", "Detail", l.Error)
	}
	return "", ""
}

func joinNames(s []detect.SourceName) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = string(n)
	}
	return strings.Join(parts, ", ")
}
