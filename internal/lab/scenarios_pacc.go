package lab

import (
	"fmt"
	"strings"

	"github.com/mailsetup/mailsetup/pacc"
)

// paccPath is where a PACC document is served (draft-ietf-mailmaint-pacc-02).
const paccPath = "/.well-known/user-agent-configuration.json"

// PACCDocument is the PACC document (draft-ietf-mailmaint-pacc-02) the
// pacc scenarios serve for domain d: IMAP and SMTP on mail.D (implicit TLS,
// the default ports), JMAP, CalDAV and CardDAV on dav.D, a password, and the
// provider's name and help page. mailHost names the IMAP and SMTP host.
func PACCDocument(d, mailHost string) string {
	return fmt.Sprintf(`{
  "protocols": {
    "imap": {"host": %[2]q},
    "smtp": {"host": %[2]q, "port": 465},
    "jmap": {"url": "https://dav.%[1]s/.well-known/jmap"},
    "caldav": {"url": "https://dav.%[1]s/dav/calendars/"},
    "carddav": {"url": "https://dav.%[1]s/dav/addressbooks/"}
  },
  "authentication": {"password": true},
  "info": {
    "provider": {"name": "Lab %[1]s", "shortName": "Lab"},
    "help": {"documentation": "https://help.%[1]s/mail"}
  }
}
`, d, mailHost)
}

// pacc serves p at https://ua-auto-config.D (over http when p.scheme says
// so; p.body defaults to digestOf) and publishes, in D's zone, the
// _ua-auto-config TXT record of digestOf's SHA-256 as the strings txt makes
// of it (nil: the record in one string).
func (l *Lab) pacc(d string, p page, digestOf string, txt func(string) []string) error {
	if p.body == "" && p.status == 0 {
		p.body = digestOf
	}
	scheme := "https"
	if p.scheme != "" {
		scheme = p.scheme
	}
	l.web(scheme, pacc.Host(d), paccPath, p)
	value := pacc.NewRecord([]byte(digestOf)).String()
	strs := []string{value}
	if txt != nil {
		strs = txt(value)
	}
	for i, s := range strs {
		strs[i] = `"` + s + `"`
	}
	return l.zones.add(fmt.Sprintf("%s. 300 IN TXT %s", pacc.RecordName(d), strings.Join(strs, " ")))
}

// paccProvider publishes [PACCDocument] for d with its digest record (txt
// as in pacc), and serves IMAP and SMTP on mail.D.
func (l *Lab) paccProvider(d string, txt func(string) []string) error {
	if err := l.pacc(d, page{}, PACCDocument(d, "mail."+d), txt); err != nil {
		return err
	}
	if err := l.davHost("dav." + d); err != nil {
		return err
	}
	return l.mailHost("mail."+d, fault{}, imaps, submissions)
}

// paccFault publishes a PACC document that must not be used (p and
// digestOf as in pacc) and, besides it, an https autoconfig naming mail.D,
// which serves IMAP and SMTP, and evil.D, the host the untrusted documents
// name, serving them too (were such a document used, its host would answer).
func (l *Lab) paccFault(d string, p page, digestOf string) error {
	if err := l.pacc(d, p, digestOf, nil); err != nil {
		return err
	}
	l.autoconfig(d, xs{"imap", "mail." + d, 993, "SSL"}, xs{"smtp", "mail." + d, 465, "SSL"})
	if err := l.mailHost("evil."+d, fault{}, imaps, submissions); err != nil {
		return err
	}
	return l.mailHost("mail."+d, fault{}, imaps, submissions)
}

// paccScenarios are the domains that publish a PACC document.
var paccScenarios = []Scenario{
	{
		Domain: "pacc.test",
		About:  "a signed domain that publishes only a PACC document (mail, JMAP, calendars and contacts), its digest in a validated _ua-auto-config TXT record",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.pacc.test:993/tls", Out: "mail.pacc.test:465/tls", Trust: "dnssec",
			Absent: []string{"needs-confirmation", "pacc-digest-mismatch"}, Sources: map[string]string{"pacc": "found"},
			Services: map[string]string{"caldav": "https://dav.pacc.test/dav/calendars/", "carddav": "https://dav.pacc.test/dav/addressbooks/", "jmap": "https://dav.pacc.test/.well-known/jmap"}},
		setup: func(l *Lab, d string) error { return l.paccProvider(d, nil) },
	},
	{
		Domain: "paccunsigned.test",
		About:  "a PACC document whose digest is in an unsigned zone's TXT record: trusted as much as https",
		Expect: Expect{Verdict: "secure", DNSSEC: "insecure", In: "mail.paccunsigned.test:993/tls", Out: "mail.paccunsigned.test:465/tls", Trust: "https",
			Absent: []string{"needs-confirmation"}, Sources: map[string]string{"pacc": "found"},
			Services: map[string]string{"caldav": "https://dav.paccunsigned.test/dav/calendars/", "carddav": "https://dav.paccunsigned.test/dav/addressbooks/", "jmap": "https://dav.paccunsigned.test/.well-known/jmap"}},
		setup: func(l *Lab, d string) error { return l.paccProvider(d, nil) },
	},
	{
		Domain: "pacclong.test",
		About:  "a PACC digest record longer than 255 bytes (an extension tag), published as several TXT strings that join into one value",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.pacclong.test:993/tls", Out: "mail.pacclong.test:465/tls", Trust: "dnssec",
			Sources:  map[string]string{"pacc": "found"},
			Services: map[string]string{"caldav": "https://dav.pacclong.test/dav/calendars/", "carddav": "https://dav.pacclong.test/dav/addressbooks/", "jmap": "https://dav.pacclong.test/.well-known/jmap"}},
		setup: func(l *Lab, d string) error {
			return l.paccProvider(d, func(v string) []string { return pacc.SplitTXT(v + "; x-lab=" + strings.Repeat("z", 300)) })
		},
	},
	{
		Domain: "paccbad.test",
		About:  "the PACC document (naming evil.D) does not match its TXT digest: never used, warned about; https autoconfig names mail.D",
		Expect: Expect{Verdict: "caveats", DNSSEC: "secure", In: "mail.paccbad.test:993/tls", Out: "mail.paccbad.test:465/tls", Trust: "https",
			Warnings: []string{"pacc-digest-mismatch"}, Sources: map[string]string{"pacc": "error", "autoconfig": "found"}},
		setup: func(l *Lab, d string) error {
			served := PACCDocument(d, "evil."+d)
			return l.paccFault(d, page{body: served}, PACCDocument(d, "mail."+d))
		},
	},
	{
		Domain: "paccredirect.test",
		About:  "ua-auto-config.D redirects to pacc.test's document, whose digest D's TXT record publishes: a redirect off the host is refused",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.paccredirect.test:993/tls", Out: "mail.paccredirect.test:465/tls", Trust: "https",
			Sources: map[string]string{"pacc": "error"}},
		setup: func(l *Lab, d string) error {
			to := page{status: 302, location: pacc.URL("pacc.test")}
			return l.paccFault(d, to, PACCDocument("pacc.test", "mail.pacc.test"))
		},
	},
	{
		Domain: "pacchttp.test",
		About:  "the PACC document only over plain http (its digest published): never fetched, since PACC is https only",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.pacchttp.test:993/tls", Out: "mail.pacchttp.test:465/tls", Trust: "https",
			Sources: map[string]string{"pacc": "none"}},
		setup: func(l *Lab, d string) error {
			return l.paccFault(d, page{scheme: "http"}, PACCDocument(d, "evil."+d))
		},
	},
	{
		Domain: "pacccert.test",
		About:  "ua-auto-config.D presents a certificate for another name: the document (digest published) is never read",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.pacccert.test:993/tls", Out: "mail.pacccert.test:465/tls", Trust: "https",
			Sources: map[string]string{"pacc": "error"}},
		setup: func(l *Lab, d string) error {
			return l.paccFault(d, page{certFor: "other.test"}, PACCDocument(d, "evil."+d))
		},
	},
	{
		Domain: "pacchuge.test",
		About:  "a PACC document of 100 KB (digest published), over the size bound: rejected with a clear error",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.pacchuge.test:993/tls", Out: "mail.pacchuge.test:465/tls", Trust: "https",
			Sources: map[string]string{"pacc": "error"}},
		setup: func(l *Lab, d string) error {
			doc := strings.Replace(PACCDocument(d, "evil."+d), `"Lab"`, fmt.Sprintf("%q", strings.Repeat("x", 100<<10)), 1)
			return l.paccFault(d, page{}, doc)
		},
	},
	{
		Domain: "paccbogus.test",
		About:  "every DNSSEC signature of the domain has expired: its PACC TXT record is bogus and never used, though the document matches it",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "bogus", Warnings: []string{"dnssec-bogus"}, Sources: map[string]string{"pacc": "error"}},
		setup: func(l *Lab, d string) error {
			if err := l.pacc(d, page{}, PACCDocument(d, "mail."+d), nil); err != nil {
				return err
			}
			return l.mailHost("mail."+d, fault{}, imaps, submissions)
		},
	},
}

func init() { Scenarios = append(Scenarios, paccScenarios...) }
