package lab

// davScenarios are the domains that publish JMAP, CalDAV and CardDAV
// services beside their mail servers (issue 16), each with working mail
// (implicit TLS, https autoconfig) so that only the services differ.
// Expect.Services says what the calendar, contacts and jmap lists must
// recommend.
var davScenarios = []Scenario{
	{
		Domain: "dav.test",
		About:  "publishes CalDAV and CardDAV by SRV _caldavs/_carddavs with a TXT path, JMAP by SRV _jmap, and well-known URIs redirecting to dav.dav.test's context paths (RFC 6764, RFC 8620 §2.2)",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.dav.test:993/tls", Out: "mail.dav.test:465/tls", Trust: "https",
			Services: map[string]string{"caldav": "https://dav.dav.test/dav/calendars/", "carddav": "https://dav.dav.test/dav/addressbooks/",
				"jmap": "https://dav.dav.test/.well-known/jmap"},
			Sources: map[string]string{"service-srv": "found", "service-wellknown": "found"}},
		setup: func(l *Lab, d string) error {
			if err := davMail(l, d); err != nil {
				return err
			}
			davWellKnown(l, d, "https://dav."+d)
			return l.davRecords(d, "dav."+d, true,
				"_caldavs._tcp.%[1]s. 300 IN TXT \"path=/dav/calendars/\"", "_carddavs._tcp.%[1]s. 300 IN TXT \"path=/dav/addressbooks/\"")
		},
	},
	{
		Domain: "davloop.test",
		About:  "the CalDAV and JMAP well-known URIs redirect in a loop (RFC 6764 §5 redirects must end), the CardDAV one to plain http (never followed): no service",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.davloop.test:993/tls", Out: "mail.davloop.test:465/tls", Trust: "https",
			Services: map[string]string{"caldav": "-", "carddav": "-", "jmap": "-"}, Sources: map[string]string{"service-wellknown": "error"}},
		setup: func(l *Lab, d string) error {
			for i, next := range []string{"/a", "/b", "/.well-known/caldav"} {
				from := []string{"/.well-known/caldav", "/a", "/b"}[i]
				l.web("https", d, from, page{status: 302, location: "https://" + d + next})
			}
			l.web("https", d, "/.well-known/jmap", page{status: 302, location: "/.well-known/jmap"}) // a loop onto itself
			// Never followed: https to http (DESIGN.md).
			l.web("https", d, "/.well-known/carddav", page{status: 301, location: "http://" + d + CardDAVPath})
			l.web("http", d, CardDAVPath, page{status: 207})
			return davMail(l, d)
		},
	},
	{
		Domain: "davcross.test",
		About:  "the well-known URIs redirect to another domain's server (dav.davcross-provider.test): listed with trust redirect, to be confirmed, not recommended",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.davcross.test:993/tls", Out: "mail.davcross.test:465/tls", Trust: "https",
			Services: map[string]string{"caldav": "", "carddav": "", "jmap": ""}, Warnings: []string{"service-needs-confirmation"}},
		setup: func(l *Lab, d string) error {
			if err := davMail(l, d); err != nil {
				return err
			}
			davWellKnown(l, d, "https://dav.davcross.provider.test")
			return l.davHost("dav.davcross.provider.test")
		},
	},
	{
		Domain: "davplain.test",
		About:  "CalDAV only by the non-TLS SRV name _caldav._tcp (plain http, RFC 6764 §3): listed, never probed nor recommended, nothing sent over http",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.davplain.test:993/tls", Out: "mail.davplain.test:465/tls", Trust: "https",
			Services: map[string]string{"caldav": "", "carddav": "-", "jmap": "-"}, Warnings: []string{"service-plain-http"}},
		setup: func(l *Lab, d string) error {
			if err := davMail(l, d); err != nil {
				return err
			}
			return l.records(d, "_caldav._tcp.%[1]s. 300 IN SRV 0 1 80 dav.%[1]s.", "_caldav._tcp.%[1]s. 300 IN TXT \"path=/dav/calendars/\"",
				"dav.%[1]s. 300 IN A "+l.hostIP("dav."+d).String())
		},
	},
	{
		Domain: "davbadcert.test",
		About:  "the SRV records name a DAV server whose certificate is for another name: its probe fails, nothing recommended",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.davbadcert.test:993/tls", Out: "mail.davbadcert.test:465/tls", Trust: "https",
			Services: map[string]string{"caldav": "", "carddav": "", "jmap": ""}, Warnings: []string{"service-failed"}},
		setup: func(l *Lab, d string) error {
			if err := davMail(l, d); err != nil {
				return err
			}
			return l.davRecords(d, "dav."+d, false,
				"_caldavs._tcp.%[1]s. 300 IN TXT \"path=/dav/calendars/\"", "_carddavs._tcp.%[1]s. 300 IN TXT \"path=/dav/addressbooks/\"")
		},
	},
}

// davMail gives a DAV scenario working mail: https autoconfig naming
// mail.<d> over implicit TLS.
func davMail(l *Lab, d string) error {
	l.autoconfig(d, xs{"imap", "mail." + d, 993, "SSL"}, xs{"smtp", "mail." + d, 465, "SSL"})
	return l.mailHost("mail."+d, fault{}, imaps, submissions)
}

// davWellKnown redirects the well-known URIs of d (RFC 6764 §5, RFC 8620
// §2.2) to the context paths of a lab DAV host at base.
func davWellKnown(l *Lab, d, base string) {
	l.web("https", d, "/.well-known/caldav", page{status: 301, location: base + CalDAVPath})
	l.web("https", d, "/.well-known/carddav", page{status: 301, location: base + CardDAVPath})
	l.web("https", d, "/.well-known/jmap", page{status: 307, location: base + JMAPPath})
}

// davRecords publishes the SRV records of host's services at d (RFC 6764
// §3, RFC 8620 §2.2) and the extra records, and serves host (with a
// certificate for another name unless validCert).
func (l *Lab) davRecords(d, host string, validCert bool, records ...string) error {
	records = append(records, "_caldavs._tcp.%[1]s. 300 IN SRV 0 1 443 "+host+".",
		"_carddavs._tcp.%[1]s. 300 IN SRV 0 1 443 "+host+".", "_jmap._tcp.%[1]s. 300 IN SRV 0 1 443 "+host+".")
	if err := l.records(d, records...); err != nil {
		return err
	}
	if !validCert {
		return l.davHost(host, "other."+d)
	}
	return l.davHost(host)
}
