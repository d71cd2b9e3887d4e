package lab

import (
	"crypto/tls"
	"fmt"
	"html"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/internal/lab/certs"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

// Password is the password of every lab account.
const Password = "correct horse battery staple"

// LocalOnlyUser is a lab account whose servers know it only by its local
// part: carol@D fails, carol works.
const LocalOnlyUser = "carol"

// User is the lab account of a scenario domain.
func User(domain string) string { return "alice@" + domain }

// Expect is what a correct engine reports for a scenario, as the standards
// and DESIGN.md say it must — not what the engine happened to return.
type Expect struct {
	Verdict string
	// In and Out are the recommended servers as "host:port/security", or ""
	// when nothing may be recommended.
	In, Out string
	// Trust of the recommended incoming server.
	Trust string
	// Warnings are codes that must appear.
	Warnings []string
	// Absent are codes that must not appear.
	Absent []string
	// Sources maps source names to the status they must end with.
	Sources map[string]string
	// Services maps a service protocol (caldav, carddav, jmap) to the URL
	// its list must recommend: "" when the list must exist with nothing
	// recommended, "-" when it must be absent. A scenario that leaves it
	// nil publishes no service: every list must be absent.
	Services map[string]string
	// DNSSEC is the report's dnssec status for the domain. It also makes
	// the lab world: "secure" scenario domains are signed zones with a DS
	// in test.; "insecure" ones are unsigned zones, their DS proven absent
	// (for scenarios whose point is unsigned DNS, trust "dns").
	DNSSEC string
}

// Scenario is one domain of the lab world.
type Scenario struct {
	Domain string
	// What the domain publishes and what is wrong with it.
	About  string
	Expect Expect
	// Local, if set, needs the lab's local folder (see WriteLocalDir).
	Local bool
	setup func(l *Lab, d string) error
}

// svc is one mail service of a lab host.
type svc struct {
	proto mailserver.Protocol
	port  int
	sec   mailserver.Security
}

var (
	imaps        = svc{mailserver.IMAP, 993, mailserver.TLS}
	imapSTARTTLS = svc{mailserver.IMAP, 143, mailserver.StartTLS}
	pop3s        = svc{mailserver.POP3, 995, mailserver.TLS}
	pop3STARTTLS = svc{mailserver.POP3, 110, mailserver.StartTLS}
	submissions  = svc{mailserver.SMTP, 465, mailserver.TLS}
	submission   = svc{mailserver.SMTP, 587, mailserver.StartTLS}
	allServices  = []svc{imaps, imapSTARTTLS, pop3s, pop3STARTTLS, submissions, submission}
)

// fault changes how a lab host's mail services behave.
type fault struct {
	noSTARTTLS bool
	silent     bool
	plain      bool   // no TLS at all
	certFor    string // certificate for another name
	expired    bool
	ipv6Only   bool // the host has only an AAAA record, ::1
	// refuseSTARTTLS and inject: see mailserver.Config.RefuseSTARTTLS and
	// InjectAfterSTARTTLS.
	refuseSTARTTLS bool
	inject         string
	// altNames are more names the certificate is for (hosts sharing the
	// server, as dane.test's cases do).
	altNames []string
	// oauth makes the services take the lab OAuth2 provider's tokens
	// (OAUTHBEARER, XOAUTH2); noPassword turns password mechanisms off.
	oauth, noPassword bool
}

// mailHost gives host an address record and starts its mail services.
func (l *Lab) mailHost(host string, f fault, services ...svc) error {
	ip := l.hostIP(host)
	rr := fmt.Sprintf("%s. 300 IN A %s", host, ip)
	if f.ipv6Only {
		ip = netip.IPv6Loopback()
		rr = fmt.Sprintf("%s. 300 IN AAAA %s", host, ip)
	}
	if err := l.zones.add(rr); err != nil {
		return err
	}
	names := []string{host}
	if f.certFor != "" {
		names = []string{f.certFor}
	}
	names = append(names, f.altNames...)
	var cert tls.Certificate
	var err error
	if f.expired {
		cert, err = l.CA.Expired(names...)
	} else {
		cert, err = l.CA.Leaf(names...)
	}
	if err != nil {
		return fmt.Errorf("lab: certificate for %s: %w", host, err)
	}
	l.leaves[host] = cert.Leaf
	for _, s := range services {
		ln, err := l.listen(ip, s.port)
		if err != nil {
			return err
		}
		sec := s.sec
		if f.plain {
			sec = mailserver.Plain
		}
		cfg := mailserver.Config{
			Protocol: s.proto, Security: sec, Cert: &cert, Hostname: host, Users: l.Users,
			NoSTARTTLS: f.noSTARTTLS, Silent: f.silent, Latency: l.opts.Latency, Logger: l.log,
			RefuseSTARTTLS: f.refuseSTARTTLS, InjectAfterSTARTTLS: f.inject,
			NoPassword: f.noPassword,
		}
		if f.oauth {
			cfg.OAuth2 = l.OAuth.Check
		}
		srv, err := mailserver.Serve(ln, cfg)
		if err != nil {
			ln.Close()
			return fmt.Errorf("lab: %s:%d: %w", host, s.port, err)
		}
		l.mu.Lock()
		l.mail[fmt.Sprintf("%s:%d", host, s.port)] = srv
		l.mu.Unlock()
		l.closers = append(l.closers, srv.Close)
	}
	return nil
}

// xs is a server line of a lab autoconfig file.
type xs = ConfigServer

// mozillaXML writes the config-v1.1.xml of a lab domain.
func mozillaXML(domain string, servers ...xs) string {
	return MozillaXML("Lab "+domain, domain, servers...)
}

func autodiscoverRedirectXML(action, target string) string {
	el := "RedirectAddr"
	if action == "redirectUrl" {
		el = "RedirectUrl"
	}
	return fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <Action>%s</Action>
      <%s>%s</%s>
    </Account>
  </Response>
</Autodiscover>
`, action, el, html.EscapeString(target), el)
}

// web adds a page; the servers start once the world is built.
// autoconfig serves the provider autoconfig of domain d over https, naming
// servers.
func (l *Lab) autoconfig(d string, servers ...xs) {
	l.web("https", "autoconfig."+d, autoconfigPath, page{body: mozillaXML(d, servers...)})
}

func (l *Lab) web(scheme, host, path string, p page) {
	if l.pages == nil {
		l.pages = make(map[string]map[string]page)
	}
	key := scheme + "://" + host
	if l.pages[key] == nil {
		l.pages[key] = make(map[string]page)
	}
	p.scheme = scheme
	l.pages[key][path] = p
}

const (
	autoconfigPath   = "/mail/config-v1.1.xml"
	wellKnownPath    = "/.well-known/autoconfig/mail/config-v1.1.xml"
	autodiscoverPath = "/autodiscover/autodiscover.xml"
	ispdbHost        = "ispdb.lab.test"
)

// fullConfig lists every service of host, implicit TLS first.
func fullConfig(domain, host string) string {
	return mozillaXML(domain,
		xs{"imap", host, 993, "SSL"}, xs{"imap", host, 143, "STARTTLS"},
		xs{"pop3", host, 995, "SSL"}, xs{"pop3", host, 110, "STARTTLS"},
		xs{"smtp", host, 465, "SSL"}, xs{"smtp", host, 587, "STARTTLS"})
}

// Scenarios is every domain of the lab world.
var Scenarios = []Scenario{
	{
		Domain: "demo.test",
		About:  "a well-run, DNSSEC-signed domain: SRV, https autoconfig, the ISP database and Autodiscover all name mail.demo.test, whose TLSA 3 1 1 records (ports 993, 465) match its key",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.demo.test:993/tls", Out: "mail.demo.test:465/tls", Trust: "dnssec",
			Absent: []string{"needs-confirmation", "implicit-tls-unavailable"}},
		setup: func(l *Lab, d string) error {
			host := "mail." + d
			l.web("https", "autoconfig."+d, autoconfigPath, page{body: fullConfig(d, host)})
			l.web("https", ispdbHost, "/v1.1/"+d, page{body: fullConfig(d, host)})
			l.web("https", "autodiscover."+d, autodiscoverPath, page{method: "POST",
				body: AutodiscoverXML([4]string{"IMAP", host, "993", ""}, [4]string{"SMTP", host, "465", ""})})
			err := l.all(d, host, allServices,
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 mail.%[1]s.", "_imap._tcp.%[1]s. 300 IN SRV 10 1 143 mail.%[1]s.",
				"_pop3s._tcp.%[1]s. 300 IN SRV 20 1 995 mail.%[1]s.", "_pop3._tcp.%[1]s. 300 IN SRV 30 1 110 mail.%[1]s.",
				"_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 mail.%[1]s.", "_submission._tcp.%[1]s. 300 IN SRV 10 1 587 mail.%[1]s.",
				"%[1]s. 300 IN MX 10 mail.%[1]s.")
			if err != nil {
				return err
			}
			// DANE-EE SPKI SHA-256 of the served key (RFC 7671 §5.1, RFC 7672 §3.1.1).
			return l.tlsa(host, l.leaves[host], 3, 1, 1, 993, 465)
		},
	},
	{
		Domain: "danebad.test",
		About:  "a signed domain whose TLSA records (3 1 1) match another key than the one its servers present: DANE says someone may be intercepting",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "secure", Warnings: []string{"dane-mismatch"}},
		setup: func(l *Lab, d string) error {
			host := "mail." + d
			err := l.all(d, host, []svc{imaps, submissions},
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 mail.%[1]s.", "_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 mail.%[1]s.")
			if err != nil {
				return err
			}
			decoy, err := certs.SelfSigned("decoy." + d)
			if err != nil {
				return err
			}
			return l.tlsa(host, decoy.Leaf, 3, 1, 1, 993, 465)
		},
	},
	{
		Domain: "bogus.test",
		About:  "every DNSSEC signature of the domain has expired: its SRV and address answers are bogus and never used",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "bogus", Warnings: []string{"dnssec-bogus"}},
		setup: func(l *Lab, d string) error {
			return l.all(d, "mail."+d, []svc{imaps, submissions},
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 mail.%[1]s.", "_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 mail.%[1]s.")
		},
	},
	{
		Domain: "srv.test",
		About:  "only SRV records (RFC 6186, RFC 8314) in an unsigned zone, POP3 explicitly absent with a \".\" target; the target is inside the domain, so its certificate ties it to the domain (RFC 6186 §6)",
		Expect: Expect{Verdict: "secure", DNSSEC: "insecure", In: "mail.srv.test:993/tls", Out: "mail.srv.test:465/tls", Trust: "dns",
			Absent: []string{"needs-confirmation", "srv-target-outside-domain"}},
		setup: func(l *Lab, d string) error {
			return l.all(d, "mail."+d, []svc{imaps, imapSTARTTLS, submissions, submission},
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 mail.%[1]s.", "_imap._tcp.%[1]s. 300 IN SRV 10 1 143 mail.%[1]s.",
				"_pop3s._tcp.%[1]s. 300 IN SRV 0 0 0 .", "_pop3._tcp.%[1]s. 300 IN SRV 0 0 0 .",
				"_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 mail.%[1]s.", "_submission._tcp.%[1]s. 300 IN SRV 10 1 587 mail.%[1]s.")
		},
	},
	{
		Domain: "srvout.test",
		About:  "only unsigned SRV records, pointing outside the domain (mail.provider.test): nothing ties the target to the domain (RFC 6186 §6)",
		Expect: Expect{Verdict: "caveats", DNSSEC: "insecure", In: "mail.provider.test:993/tls", Out: "mail.provider.test:465/tls", Trust: "dns",
			Warnings: []string{"needs-confirmation", "srv-target-outside-domain"}},
		setup: func(l *Lab, d string) error {
			return l.all(d, "mail.provider.test", []svc{imaps, submissions},
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 mail.provider.test.", "_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 mail.provider.test.")
		},
	},
	{
		Domain: "srvwins.test",
		About:  "signed SRV records name mail.D, https autoconfig names imap.D and smtp.D: the DNSSEC-signed answer wins, whichever arrives first",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.srvwins.test:993/tls", Out: "mail.srvwins.test:465/tls", Trust: "dnssec"},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "imap." + d, 993, "SSL"}, xs{"smtp", "smtp." + d, 465, "SSL"})
			if err := l.mailHost("imap."+d, fault{}, imaps); err != nil {
				return err
			}
			if err := l.mailHost("smtp."+d, fault{}, submissions); err != nil {
				return err
			}
			return l.all(d, "mail."+d, []svc{imaps, submissions},
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 mail.%[1]s.", "_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 mail.%[1]s.")
		},
	},
	{
		Domain: "autoconfig.test",
		About:  "only https://autoconfig.D/mail/config-v1.1.xml, listing STARTTLS before implicit TLS",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "imap.autoconfig.test:993/tls", Out: "smtp.autoconfig.test:465/tls", Trust: "https"},
		setup: func(l *Lab, d string) error {
			// STARTTLS listed first: RFC 8314 §3.3 still ranks implicit TLS first.
			l.autoconfig(d, xs{"imap", "imap." + d, 143, "STARTTLS"}, xs{"imap", "imap." + d, 993, "SSL"},
				xs{"smtp", "smtp." + d, 587, "STARTTLS"}, xs{"smtp", "smtp." + d, 465, "SSL"})
			if err := l.mailHost("imap."+d, fault{}, imaps, imapSTARTTLS); err != nil {
				return err
			}
			return l.mailHost("smtp."+d, fault{}, submissions, submission)
		},
	},
	{
		Domain: "wellknown.test",
		About:  "only https://D/.well-known/autoconfig/mail/config-v1.1.xml",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.wellknown.test:993/tls", Out: "mail.wellknown.test:465/tls", Trust: "https"},
		setup: func(l *Lab, d string) error {
			l.web("https", d, wellKnownPath, page{body: fullConfig(d, "mail."+d)})
			return l.all(d, "mail."+d, allServices)
		},
	},
	{
		Domain: "http.test",
		About:  "autoconfig only over plain http: insecure, and the address must not be sent",
		Expect: Expect{Verdict: "caveats", DNSSEC: "secure", In: "mail.http.test:993/tls", Out: "mail.http.test:465/tls", Trust: "insecure",
			Warnings: []string{"needs-confirmation"}},
		setup: func(l *Lab, d string) error {
			l.web("http", "autoconfig."+d, autoconfigPath, page{body: fullConfig(d, "mail."+d)})
			return l.all(d, "mail."+d, allServices)
		},
	},
	{
		Domain: "ispdb.test",
		About:  "only an entry in the ISP database",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.ispdb.test:993/tls", Out: "mail.ispdb.test:465/tls", Trust: "ispdb"},
		setup: func(l *Lab, d string) error {
			l.web("https", ispdbHost, "/v1.1/"+d, page{body: fullConfig(d, "mail."+d)})
			return l.all(d, "mail."+d, allServices)
		},
	},
	{
		Domain: "mx.test",
		About:  "only an MX record pointing at a provider (provider.test) that publishes autoconfig",
		Expect: Expect{Verdict: "caveats", DNSSEC: "secure", In: "imap.provider.test:993/tls", Out: "smtp.provider.test:465/tls", Trust: "mx",
			Warnings: []string{"needs-confirmation"}},
		setup: func(l *Lab, d string) error {
			p := "provider.test"
			l.web("https", "autoconfig."+p, autoconfigPath, page{body: mozillaXML(p,
				xs{"imap", "imap." + p, 993, "SSL"}, xs{"smtp", "smtp." + p, 465, "SSL"})})
			if err := l.zones.add(fmt.Sprintf("%s. 300 IN MX 10 mx1.%s.", d, p), fmt.Sprintf("mx1.%s. 300 IN A 127.0.0.1", p)); err != nil {
				return err
			}
			if err := l.mailHost("imap."+p, fault{}, imaps); err != nil {
				return err
			}
			return l.mailHost("smtp."+p, fault{}, submissions)
		},
	},
	{
		Domain: "autodiscover.test",
		About:  "only Autodiscover POX (SMTP as STARTTLS: SSL on + Encryption TLS)",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.autodiscover.test:993/tls", Out: "mail.autodiscover.test:587/starttls", Trust: "https",
			Warnings: []string{"implicit-tls-unavailable"}},
		setup: func(l *Lab, d string) error {
			host := "mail." + d
			l.web("https", "autodiscover."+d, autodiscoverPath, page{method: "POST",
				body: AutodiscoverXML([4]string{"IMAP", host, "993", ""}, [4]string{"SMTP", host, "587", "TLS"})})
			return l.mailHost(host, fault{}, imaps, submission)
		},
	},
	{
		Domain: "adredirect.test",
		About:  "Autodiscover answers redirectAddr to autodiscover.test: out of the domain, so trust is lowered",
		Expect: Expect{Verdict: "caveats", DNSSEC: "secure", In: "mail.autodiscover.test:993/tls", Out: "mail.autodiscover.test:587/starttls", Trust: "redirect",
			Warnings: []string{"needs-confirmation"}},
		setup: func(l *Lab, d string) error {
			l.web("https", "autodiscover."+d, autodiscoverPath, page{method: "POST",
				body: autodiscoverRedirectXML("redirectAddr", "alice@autodiscover.test")})
			return nil
		},
	},
	{
		Domain: "adsrv.test",
		About:  "Autodiscover found only through SRV _autodiscover._tcp, pointing at a host inside the domain",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.adsrv.test:993/tls", Out: "mail.adsrv.test:465/tls", Trust: "https",
			Sources: map[string]string{"autodiscover": "found"}},
		setup: func(l *Lab, d string) error {
			host := "mail." + d
			l.web("https", "exchange."+d, autodiscoverPath, page{method: "POST",
				body: AutodiscoverXML([4]string{"IMAP", host, "993", "SSL"}, [4]string{"SMTP", host, "465", "SSL"})})
			return l.all(d, host, []svc{imaps, submissions}, "_autodiscover._tcp.%[1]s. 300 IN SRV 0 0 443 exchange.%[1]s.")
		},
	},
	{
		Domain: "guess.test",
		About:  "nothing published; imap.D and smtp.D exist and answer on the standard ports",
		Expect: Expect{Verdict: "caveats", DNSSEC: "secure", In: "imap.guess.test:993/tls", Out: "smtp.guess.test:465/tls", Trust: "guess",
			Warnings: []string{"needs-confirmation"}},
		setup: func(l *Lab, d string) error {
			if err := l.mailHost("imap."+d, fault{}, imaps, imapSTARTTLS); err != nil {
				return err
			}
			return l.mailHost("smtp."+d, fault{}, submissions, submission)
		},
	},
	{
		Domain: "local.test",
		About:  "only a file in the user's local folder (see WriteLocalDir)",
		Local:  true,
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.local.test:993/tls", Out: "mail.local.test:465/tls", Trust: "local"},
		setup: func(l *Lab, d string) error {
			return l.all(d, "mail."+d, allServices)
		},
	},
	{
		Domain: "conflict.test",
		About:  "SRV (unsigned) names srv.conflict.test, https autoconfig names imap.conflict.test: the better-trusted https wins",
		Expect: Expect{Verdict: "secure", DNSSEC: "insecure", In: "imap.conflict.test:993/tls", Out: "imap.conflict.test:465/tls", Trust: "https"},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "imap." + d, 993, "SSL"}, xs{"smtp", "imap." + d, 465, "SSL"})
			if err := l.mailHost("imap."+d, fault{}, imaps, submissions); err != nil {
				return err
			}
			return l.all(d, "srv."+d, []svc{imaps, submissions},
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 srv.%[1]s.", "_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 srv.%[1]s.")
		},
	},
	{
		Domain: "starttls.test",
		About:  "only STARTTLS ports (143, 587), implicit TLS closed",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.starttls.test:143/starttls", Out: "mail.starttls.test:587/starttls", Trust: "https",
			Warnings: []string{"implicit-tls-unavailable"}},
		setup: func(l *Lab, d string) error {
			l.web("https", "autoconfig."+d, autoconfigPath, page{body: fullConfig(d, "mail."+d)})
			return l.mailHost("mail."+d, fault{}, imapSTARTTLS, pop3STARTTLS, submission)
		},
	},
	{
		Domain: "nostarttls.test",
		About:  "STARTTLS ports that do not offer STARTTLS (stripped or broken): nothing may be recommended",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "secure", Warnings: []string{"starttls-missing"}},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "mail." + d, 143, "STARTTLS"}, xs{"smtp", "mail." + d, 587, "STARTTLS"})
			return l.mailHost("mail."+d, fault{noSTARTTLS: true}, imapSTARTTLS, submission)
		},
	},
	{
		Domain: "badcert.test",
		About:  "servers present a certificate for another name",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "secure", Warnings: []string{"cert-name-mismatch"}},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "mail." + d, 993, "SSL"}, xs{"smtp", "mail." + d, 465, "SSL"})
			return l.mailHost("mail."+d, fault{certFor: "elsewhere.example"}, imaps, submissions)
		},
	},
	{
		Domain: "expired.test",
		About:  "servers present an expired certificate",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "secure", Warnings: []string{"cert-expired"}},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "mail." + d, 993, "SSL"}, xs{"smtp", "mail." + d, 465, "SSL"})
			return l.mailHost("mail."+d, fault{expired: true}, imaps, submissions)
		},
	},
	{
		Domain: "silent.test",
		About:  "the (unsigned) SRV record ranked first points at a host that accepts connections and never speaks",
		Expect: Expect{Verdict: "secure", DNSSEC: "insecure", In: "mail.silent.test:993/tls", Out: "mail.silent.test:465/tls", Trust: "dns"},
		setup: func(l *Lab, d string) error {
			if err := l.mailHost("hang."+d, fault{silent: true}, imaps, submissions); err != nil {
				return err
			}
			return l.all(d, "mail."+d, []svc{imaps, submissions},
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 hang.%[1]s.", "_imaps._tcp.%[1]s. 300 IN SRV 10 1 993 mail.%[1]s.",
				"_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 hang.%[1]s.", "_submissions._tcp.%[1]s. 300 IN SRV 10 1 465 mail.%[1]s.")
		},
	},
	{
		Domain: "plain.test",
		About:  "the only servers speak plaintext, without STARTTLS",
		Expect: Expect{Verdict: "unsafe", DNSSEC: "secure", Warnings: []string{"plaintext-only"}},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "mail." + d, 143, "plain"}, xs{"smtp", "mail." + d, 587, "plain"})
			return l.mailHost("mail."+d, fault{plain: true}, imapSTARTTLS, submission)
		},
	},
	{
		Domain: "v6.test",
		About:  "the mail host has only an IPv6 address (AAAA ::1)",
		Expect: Expect{Verdict: "secure", DNSSEC: "secure", In: "mail.v6.test:993/tls", Out: "mail.v6.test:465/tls", Trust: "https"},
		setup: func(l *Lab, d string) error {
			l.autoconfig(d, xs{"imap", "mail." + d, 993, "SSL"}, xs{"smtp", "mail." + d, 465, "SSL"})
			return l.mailHost("mail."+d, fault{ipv6Only: true}, imaps, submissions)
		},
	},
	{
		Domain: "redirect.test",
		About:  "https autoconfig redirects to plain http: the redirect is refused, the http fallback is insecure and never carries the address",
		Expect: Expect{Verdict: "caveats", DNSSEC: "secure", In: "mail.redirect.test:993/tls", Out: "mail.redirect.test:465/tls", Trust: "insecure",
			Warnings: []string{"needs-confirmation"}, Sources: map[string]string{"autoconfig": "error", "autoconfig-http": "found"}},
		setup: func(l *Lab, d string) error {
			l.web("https", "autoconfig."+d, autoconfigPath, page{status: 302, location: "http://autoconfig." + d + autoconfigPath + "?moved=1"})
			l.web("http", "autoconfig."+d, autoconfigPath, page{body: fullConfig(d, "mail."+d)})
			return l.all(d, "mail."+d, allServices)
		},
	},
	{
		Domain: "xredirect.test",
		About:  "https autoconfig redirects to another domain's https autoconfig: trust drops to redirect",
		Expect: Expect{Verdict: "caveats", DNSSEC: "secure", In: "imap.provider.test:993/tls", Out: "smtp.provider.test:465/tls", Trust: "redirect",
			Warnings: []string{"needs-confirmation"}},
		setup: func(l *Lab, d string) error {
			l.web("https", "autoconfig."+d, autoconfigPath, page{status: 302, location: "https://autoconfig.provider.test" + autoconfigPath})
			return nil
		},
	},
	{
		Domain: "huge.test",
		About:  "autoconfig is a 2 MiB file: refused from its Content-Length, over the 1 MiB limit, before its body is read",
		Expect: Expect{Verdict: "none", DNSSEC: "secure", Sources: map[string]string{"autoconfig": "error"}},
		setup: func(l *Lab, d string) error {
			l.web("https", "autoconfig."+d, autoconfigPath, page{body: "<clientConfig>" + strings.Repeat("<x/>", 512<<10) + "</clientConfig>"})
			return nil
		},
	},
	{
		Domain: "hostile.test",
		About:  "autoconfig is hostile XML (entity expansion); unsigned SRV records still lead to a server",
		Expect: Expect{Verdict: "secure", DNSSEC: "insecure", In: "mail.hostile.test:993/tls", Out: "mail.hostile.test:465/tls", Trust: "dns",
			Sources: map[string]string{"autoconfig": "error", "srv": "found"}},
		setup: func(l *Lab, d string) error {
			l.web("https", "autoconfig."+d, autoconfigPath, page{body: `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<clientConfig version="1.1"><emailProvider id="x"><domain>&lol2;</domain>
<incomingServer type="imap"><hostname>evil.example</hostname><port>993</port><socketType>SSL</socketType></incomingServer>
</emailProvider></clientConfig>`})
			return l.all(d, "mail."+d, []svc{imaps, submissions},
				"_imaps._tcp.%[1]s. 300 IN SRV 0 1 993 mail.%[1]s.", "_submissions._tcp.%[1]s. 300 IN SRV 0 1 465 mail.%[1]s.")
		},
	},
	{
		Domain: "adloop.test",
		About:  "Autodiscover redirects to itself forever: the chain stops after 5 steps",
		Expect: Expect{Verdict: "none", DNSSEC: "secure", Sources: map[string]string{"autodiscover": "error"}},
		setup: func(l *Lab, d string) error {
			l.web("https", "autodiscover."+d, autodiscoverPath, page{method: "POST",
				body: autodiscoverRedirectXML("redirectUrl", "https://autodiscover."+d+autodiscoverPath)})
			return nil
		},
	},
	{
		Domain: "guessfail.test",
		About:  "nothing published; mail.D exists but serves no mail: guessed candidates that fail are \"nothing found\", not danger",
		Expect: Expect{Verdict: "none", DNSSEC: "secure", Warnings: []string{"no-incoming", "no-outgoing"},
			Absent: []string{"unreachable", "probe-failed", "connection-refused", "server-timeout", "host-not-found", "tls-failed"}},
		setup: func(l *Lab, d string) error {
			return l.zones.add(fmt.Sprintf("mail.%s. 300 IN A %s", d, l.hostIP("mail."+d)))
		},
	},
	{
		Domain: "nothing.test",
		About:  "the domain publishes nothing and has no hosts",
		Expect: Expect{Verdict: "none", DNSSEC: "secure", Warnings: []string{"no-incoming", "no-outgoing"}},
		setup:  func(l *Lab, d string) error { return nil },
	},
}

// all starts host with services and adds the records (format strings with
// the domain as %[1]s).
func (l *Lab) all(d, host string, services []svc, records ...string) error {
	if err := l.records(d, records...); err != nil {
		return err
	}
	return l.mailHost(host, fault{}, services...)
}

// records adds DNS records (format strings with the domain as %[1]s).
func (l *Lab) records(d string, records ...string) error {
	for _, r := range records {
		if err := l.zones.add(fmt.Sprintf(r, d)); err != nil {
			return err
		}
	}
	return nil
}

// build creates every scenario, starts the web servers and signs the DNS
// zones.
func (l *Lab) build() error {
	l.ISPDB = "https://" + ispdbHost + "/v1.1/"
	l.zones.declare(".", zoneSpec{})
	l.zones.declare(labTLD, zoneSpec{})
	l.zones.declare("lab."+labTLD, zoneSpec{})
	l.zones.declare("provider."+labTLD, zoneSpec{})
	for _, s := range Scenarios {
		spec := zoneSpec{unsigned: s.Expect.DNSSEC == "insecure"}
		if s.Expect.DNSSEC == "bogus" {
			spec.fault = faultExpired // every signature of the zone expired
		}
		l.zones.declare(s.Domain+".", spec)
	}
	for _, s := range Scenarios {
		l.Users[User(s.Domain)] = Password
	}
	l.Users["alice"] = Password
	l.Users[LocalOnlyUser] = Password // known only by its local part
	l.startOAuth()
	for _, s := range Scenarios {
		if err := s.setup(l, s.Domain); err != nil {
			return fmt.Errorf("lab: scenario %s: %w", s.Domain, err)
		}
	}
	if err := l.buildDNSSEC(); err != nil {
		return err
	}
	for key, pages := range l.pages {
		scheme, host, _ := strings.Cut(key, "://")
		if _, ok := l.hosts[host]; !ok {
			if err := l.zones.add(fmt.Sprintf("%s. 300 IN A %s", host, l.hostIP(host))); err != nil {
				return err
			}
		}
		var cert *tls.Certificate
		port := 80
		if scheme == "https" {
			name := host
			for _, p := range pages {
				if p.certFor != "" {
					name = p.certFor
				}
			}
			c, err := l.CA.Leaf(name)
			if err != nil {
				return err
			}
			cert, port = &c, 443
		}
		if err := l.startWeb(host, port, cert, pages); err != nil {
			return err
		}
	}
	if err := l.zones.add(fmt.Sprintf("%s. 300 IN A %s", oauthHost, l.hostIP(oauthHost))); err != nil {
		return err
	}
	oc, err := l.CA.Leaf(oauthHost)
	if err != nil {
		return err
	}
	if err := l.startServer(oauthHost, 443, &oc, l.record("https", l.OAuth.Handler())); err != nil {
		return err
	}
	ns := l.opts.NSAddr
	if !ns.IsValid() {
		ns = netip.AddrFrom4([4]byte{127, 0, 0, 1})
	}
	return l.zones.build(time.Now(), ns)
}

// LocalConfig is the file the local.test scenario expects in the user's
// local folder.
func LocalConfig() string { return fullConfig("local.test", "mail.local.test") }

// WriteLocalDir writes the local folder of the local.test scenario into dir.
func WriteLocalDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "local.test.xml"), []byte(LocalConfig()), 0o644)
}
