package lab

// probeScenarios are the domains whose servers fail (or survive) in the
// ways a probe tells apart: each failure has its own warning code.
var probeScenarios = []Scenario{
	{
		Domain: "injection.test",
		About:  "the only servers use STARTTLS and send a line of plain text after their answer to it, before the TLS handshake (EAST response injection)",
		Expect: Expect{Verdict: "caveats", DNSSEC: "secure", In: "mail.injection.test:143/starttls", Out: "mail.injection.test:587/starttls", Trust: "https",
			Warnings: []string{"starttls-injection"}},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "mail." + d, 143, "STARTTLS"}, xs{"smtp", "mail." + d, 587, "STARTTLS"})
			return l.mailHost("mail."+d, fault{inject: "* OK [ALERT] injected before TLS\r\n"}, imapSTARTTLS, submission)
		},
	},
	{
		Domain: "refused.test",
		About:  "the only servers advertise STARTTLS and refuse it when asked (IMAP NO, SMTP 454): the stripping signature",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "secure", Warnings: []string{"starttls-missing"}, Absent: []string{"probe-failed"}},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "mail." + d, 143, "STARTTLS"}, xs{"smtp", "mail." + d, 587, "STARTTLS"})
			return l.mailHost("mail."+d, fault{refuseSTARTTLS: true}, imapSTARTTLS, submission)
		},
	},
	{
		Domain: "nxhost.test",
		About:  "the autoconfig file names servers whose host names do not exist",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "secure", Warnings: []string{"host-not-found"}},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "gone." + d, 993, "SSL"}, xs{"smtp", "gone." + d, 465, "SSL"})
			return nil
		},
	},
	{
		Domain: "closed.test",
		About:  "the autoconfig file names a host that exists but listens on no mail port",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "secure", Warnings: []string{"connection-refused"}},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "mail." + d, 993, "SSL"}, xs{"smtp", "mail." + d, 465, "SSL"})
			return l.mailHost("mail."+d, fault{})
		},
	},
}

// The service scenarios (scenarios_dav.go) come last, so that the hosts of
// the scenarios before them keep their lab addresses, which golden files
// quote (an init function of scenarios_dav.go would run before this one).
func init() { Scenarios = append(append(Scenarios, probeScenarios...), davScenarios...) }
