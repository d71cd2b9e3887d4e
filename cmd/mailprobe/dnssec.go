package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// hostLike accepts DNS names of letters, digits, hyphens and underscores
// (for _993._tcp.host and SRV names), and the root.
var hostLike = regexp.MustCompile(`^(\.|([a-z0-9_*]([a-z0-9_-]*[a-z0-9_])?\.)+)$`)

// dnssecExit maps a verdict to the exit code: secure or insecure are
// answers (0), bogus is a danger (1), indeterminate means no answer (2).
var dnssecExit = map[dnssec.Verdict]int{dnssec.Secure: exitOK, dnssec.Insecure: exitOK, dnssec.Bogus: exitDanger, dnssec.Indeterminate: exitNothing}

func newDNSSECCmd() *cobra.Command {
	var server, anchorFile string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "dnssec NAME [TYPE]",
		Short: "Validate a DNS answer from the root and print the chain of trust",
		Long: `Look up NAME (type A unless TYPE is given: A, AAAA, MX, SRV, TLSA, TXT, ...) through the resolver,
validate the answer or its proof of non-existence with our own DNSSEC validator from the trust
anchors (IANA's root keys unless --trust-anchor), and print every zone of the chain and the verdict:
secure, insecure, bogus (with the reason) or indeterminate. The resolver's AD bit is not trusted.

Exit codes: 0 secure or insecure, 1 bogus, 2 indeterminate, 64 usage.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{say(printer(cmd), fmt.Errorf("dnssec takes NAME and an optional TYPE, got %d arguments", len(args)), "cli.dnssec.error.args", "Count", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			p := printer(cmd)
			name := dns.Fqdn(strings.ToLower(args[0]))
			if _, ok := dns.IsDomainName(name); !ok || !hostLike.MatchString(name) {
				return usageError{say(p, fmt.Errorf("%q is not a domain name", args[0]), "cli.dnssec.error.name", "Name", args[0])}
			}
			qtype := dns.TypeA
			if len(args) == 2 {
				t, ok := dns.StringToType[strings.ToUpper(args[1])]
				if !ok {
					return usageError{say(p, fmt.Errorf("unknown record type %q", args[1]), "cli.dnssec.error.type", "Type", args[1])}
				}
				qtype = t
			}
			if server == "" {
				s, err := resolver.SystemServer("/etc/resolv.conf")
				if err != nil {
					return err
				}
				server = s
			}
			var anchors []dns.RR
			if anchorFile != "" {
				a, err := readTrustAnchors(anchorFile)
				if err != nil {
					return usageError{err}
				}
				anchors = a
			}
			v := dnssec.New(resolver.New(server), anchors, nil)
			ans, res, err := v.Lookup(cmd.Context(), name, qtype)
			out := cmd.OutOrStdout()
			if asJSON {
				type jsonResult struct {
					Name    string        `json:"name"`
					Type    string        `json:"type"`
					Rcode   string        `json:"rcode,omitempty"`
					Records []string      `json:"records,omitempty"`
					Verdict string        `json:"verdict"`
					Reason  string        `json:"reason,omitempty"`
					Chain   []dnssec.Link `json:"chain"`
					Error   string        `json:"error,omitempty"`
				}
				j := jsonResult{Name: name, Type: dns.TypeToString[qtype], Verdict: string(res.Verdict), Reason: res.Reason, Chain: res.Chain}
				if err != nil {
					j.Error, j.Verdict = err.Error(), string(dnssec.Indeterminate)
				} else {
					j.Rcode = dns.RcodeToString[ans.Rcode]
					for _, rr := range ans.Records {
						j.Records = append(j.Records, rr.String())
					}
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(j); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(out, p.T("cli.dnssec.query", "Name", name, "Type", dns.TypeToString[qtype], "Server", server))
				if err != nil {
					fmt.Fprintf(out, "\n%s\n%s\n", p.T("cli.dnssec.no-answer", "Detail", err.Error()), p.T("cli.dnssec.verdict", "Verdict", string(dnssec.Indeterminate)))
					return exitError{exitNothing}
				}
				fmt.Fprintf(out, "\n%s\n", p.T("cli.dnssec.answer", "Rcode", dns.RcodeToString[ans.Rcode]))
				if len(ans.Records) == 0 {
					fmt.Fprintf(out, "  %s\n", p.T("cli.dnssec.no-records"))
				}
				for _, rr := range ans.Records {
					fmt.Fprintf(out, "  %s\n", rr)
				}
				fmt.Fprintf(out, "\n%s\n", p.T("cli.dnssec.chain"))
				for _, l := range res.Chain {
					fmt.Fprintf(out, "  %-28s %-13s %s\n", l.Zone, l.Verdict, l.Detail)
				}
				fmt.Fprintf(out, "\n%s\n", p.T("cli.dnssec.verdict", "Verdict", strings.ToUpper(string(res.Verdict))))
				if res.Reason != "" {
					fmt.Fprintln(out, p.T("cli.dnssec.reason", "Reason", res.Reason))
				}
			}
			if err != nil {
				return exitError{exitNothing}
			}
			if code := dnssecExit[res.Verdict]; code != exitOK {
				return exitError{code}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "resolver", "", "DNS server HOST:PORT (default: first nameserver of /etc/resolv.conf)")
	cmd.Flags().StringVar(&anchorFile, "trust-anchor", "", "trust anchors (DS or DNSKEY records in zone-file text) replacing IANA's root keys")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
