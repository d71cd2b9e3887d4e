package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
)

func serverLabel(s *detect.Server) string {
	return fmt.Sprintf("%s %s:%d", s.Protocol, s.Host, s.Port)
}

// securityWords names a security the way mail clients' settings do.
func securityWords(s autoconfig.Security) string {
	switch s {
	case autoconfig.TLS:
		return s.Label() + " (implicit TLS)"
	case autoconfig.STARTTLS:
		return s.Label() + " (required, never \"if available\")"
	default:
		return s.Label() + " (unencrypted)"
	}
}

func authWords(a []autoconfig.Auth) string { return autoconfig.AuthLabel(a) }

// verdictWords names a verdict in capitals, for the first lines.
var verdictWords = map[detect.Verdict]string{
	detect.VerdictSecure:  "SECURE",
	detect.VerdictCaveats: "WORKS, WITH CAVEATS",
	detect.VerdictUnsafe:  "UNSAFE",
	detect.VerdictNone:    "NOTHING FOUND",
}

// verdictLine is the report's verdict and the engine's reason for it.
func verdictLine(r *detect.Report) string {
	word := verdictWords[r.Verdict]
	if r.Offline() {
		word = "DNS FAILED"
	}
	if r.Reason == "" {
		return word
	}
	return word + ": " + r.Reason
}

// oneLine folds a text onto one line, for a table cell.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// printReport writes the report for a person: the settings to copy, the
// verdict, warnings with their fix, alternatives and sources.
func printReport(w io.Writer, r *detect.Report, transcripts bool) {
	fmt.Fprintf(w, "%s\n%s\n", r.Address, verdictLine(r))
	in, out := r.Recommended()
	printServer(w, "Incoming mail", in, r.Incoming, r.IncomingVerdict, r.IncomingReason)
	printServer(w, "Outgoing mail", out, r.Outgoing, r.OutgoingVerdict, r.OutgoingReason)

	if len(r.Warnings) > 0 {
		fmt.Fprintln(w, "\nWarnings")
		for _, wn := range r.Warnings {
			mark := map[detect.Severity]string{detect.SeverityInfo: "i", detect.SeverityWarning: "!", detect.SeverityDanger: "!!"}[wn.Severity]
			fmt.Fprintf(w, "  %-2s %s [%s]: %s\n", mark, wn.Severity, wn.Code, wn.Message)
			if wn.Fix != "" {
				fmt.Fprintf(w, "     Fix: %s\n", wn.Fix)
			}
		}
	}

	fmt.Fprintln(w, "\nEvery server found (best first)")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, list := range [][]detect.Server{r.Incoming, r.Outgoing} {
		for _, s := range list {
			mark := " "
			if s.Recommended {
				mark = "*"
			}
			detail := string(s.Probe.Status)
			if s.Probe.Failure != "" && s.Probe.Failure != string(s.Probe.Status) {
				detail += " (" + s.Probe.Failure + ")"
			}
			if n := s.Probe.STARTTLSInjected; n > 0 {
				detail += fmt.Sprintf(", %d bytes injected before TLS discarded", n)
			}
			if s.Probe.TLSVersion != "" {
				detail += ", " + s.Probe.TLSVersion
			}
			if s.Probe.Error != "" {
				detail += ": " + oneLine(s.Probe.Error)
			}
			fmt.Fprintf(tw, "  %s %s\t%s:%d\t%s\t%s\t%s\n", mark, s.Protocol, s.Host, s.Port, s.Security,
				"trust "+string(s.Trust)+" ("+joinNames(s.Sources)+")", detail)
		}
	}
	tw.Flush()

	fmt.Fprintln(w, "\nSources")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range r.Sources {
		fmt.Fprintf(tw, "  %s\t%s\t%dms\t%s\n", s.Name, s.Status, s.ElapsedMS, oneLine(s.Detail))
	}
	tw.Flush()
	if transcripts {
		printTranscripts(w, r)
	}
	fmt.Fprintf(w, "\nDone in %dms. DNSSEC: %s.\n", r.ElapsedMS, r.DNSSEC)
}

// printTranscripts writes every probe's and login's exchange. Lines from
// the plaintext part of a STARTTLS connection are marked: anyone on the path
// could have written them.
func printTranscripts(w io.Writer, r *detect.Report) {
	for _, list := range [][]detect.Server{r.Incoming, r.Outgoing} {
		for _, s := range list {
			for _, t := range []struct {
				what  string
				lines []detect.TranscriptLine
			}{{"probe", s.Probe.Transcript}, {"login", s.Login.Transcript}} {
				if len(t.lines) == 0 {
					continue
				}
				fmt.Fprintf(w, "\nTranscript: %s %s:%d (%s) %s\n", s.Protocol, s.Host, s.Port, s.Security, t.what)
				for _, l := range t.lines {
					dir := map[string]string{"client": "C:", "server": "S:", "note": "--"}[l.From]
					mark := ""
					if l.BeforeTLS {
						mark = " (before TLS, untrusted)"
					}
					fmt.Fprintf(w, "  %5dms %s %s%s\n", l.AtMS, dir, l.Text, mark)
				}
			}
		}
	}
}

func printServer(w io.Writer, title string, s *detect.Server, list []detect.Server, v detect.Verdict, reason string) {
	fmt.Fprintf(w, "\n%s: %s\n", title, verdictWords[v])
	if reason != "" {
		fmt.Fprintf(w, "  %s\n", reason)
	}
	if s == nil {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "  Protocol:\t%s\n", strings.ToUpper(string(s.Protocol)))
	fmt.Fprintf(tw, "  Server:\t%s\n", s.Host)
	fmt.Fprintf(tw, "  Port:\t%d\n", s.Port)
	fmt.Fprintf(tw, "  Security:\t%s\n", securityWords(s.Security))
	fmt.Fprintf(tw, "  User name:\t%s\n", s.Username)
	switch s.Signin {
	case detect.SigninOAuth2:
		fmt.Fprintf(tw, "  Sign-in:\t%s\n", "on the provider's web page (OAuth2)")
	case detect.SigninPasswordOrOAuth2:
		fmt.Fprintf(tw, "  Sign-in:\t%s\n", "a password, or the provider's web page (OAuth2)")
	default:
		fmt.Fprintf(tw, "  Password:\t%s\n", authWords(s.Auth))
	}
	verified := s.Probe.TLSVersion
	if c := s.Probe.Cert; c != nil && c.Valid {
		verified += fmt.Sprintf(", certificate valid for %s until %s", c.MatchedName, c.NotAfter)
	}
	fmt.Fprintf(tw, "  Verified:\t%s in %dms\n", verified, s.Probe.ElapsedMS)
	if s.Probe.DANE != "" {
		fmt.Fprintf(tw, "  DANE:\t%s (%s)\n", s.Probe.DANE, s.Probe.DANEDetail)
	}
	fmt.Fprintf(tw, "  Found by:\t%s (trust: %s)\n", joinNames(s.Sources), s.Trust)
	switch l := s.Login; l.Status {
	case detect.LoginOK:
		fmt.Fprintf(tw, "  Login:\tworks, with user name %s (%s)\n", l.Username, l.Mechanism)
	case detect.LoginFailed:
		fmt.Fprintf(tw, "  Login:\tFAILED with user names %s: %s\n", strings.Join(l.Tried, ", "), l.Error)
	case detect.LoginError:
		fmt.Fprintf(tw, "  Login:\tcould not be checked: %s\n", l.Error)
	case detect.LoginNotTried:
		if l.Error != "" {
			fmt.Fprintf(tw, "  Login:\tnot tried: %s\n", l.Error)
		}
	case detect.LoginNotPossible:
		fmt.Fprintf(tw, "  Login:\tnot possible with a password. %s\n", l.Error)
	case detect.LoginOAuth2OK:
		fmt.Fprintf(tw, "  Sign-in check:\tworks with OAuth2, as %s (%s)\n", l.Username, l.Mechanism)
	case detect.LoginOAuth2Failed:
		fmt.Fprintf(tw, "  Sign-in check:\tFAILED with OAuth2: %s\n", l.Error)
	}
	tw.Flush()
}

func joinNames(s []detect.SourceName) string {
	parts := make([]string, len(s))
	for i, n := range s {
		parts[i] = string(n)
	}
	return strings.Join(parts, ", ")
}
