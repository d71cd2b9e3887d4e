package lab

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/internal/lab/certs"
)

// DNSSECScenario is one name of the lab's signed hierarchy and what a
// validator, anchored at [Lab.TrustAnchor], must conclude about it. Every
// mail scenario domain is signed and securely delegated as well, except
// those whose Expect.DNSSEC is "insecure".
type DNSSECScenario struct {
	// Name is the queried name, an FQDN with the trailing dot.
	Name string
	// Type is the queried type ("A", "TXT", "DS", "TLSA").
	Type string
	// Want is the validation outcome (RFC 4035 §4.3): "secure",
	// "insecure", "bogus" or "indeterminate".
	Want string
	// Rcode is the answer's response code (dns.RcodeSuccess, also for
	// NODATA, or dns.RcodeNameError).
	Rcode int
	// About says what the zone does.
	About string
}

// DNSSECScenarios are the DNSSEC cases of the lab: secure answers and
// denials under NSEC and NSEC3, insecure delegations (NSEC and NSEC3
// opt-out), wildcards, CNAMEs across zones, and bogus zones. They are not
// mail domains; [Scenarios] are.
var DNSSECScenarios = []DNSSECScenario{
	{"mail.demo.test.", "A", "secure", dns.RcodeSuccess, "a mail scenario domain: signed (KSK + ZSK, ECDSA P-256), DS in test."},
	{"_993._tcp.mail.demo.test.", "TLSA", "secure", dns.RcodeSuccess, "TLSA 3 1 1 of the key mail.demo.test serves"},
	{"_imaps._tcp.srv.test.", "SRV", "insecure", dns.RcodeSuccess, "a mail scenario about unsigned DNS: unsigned zone, test.'s NSEC proves no DS"},
	{"www.unsigned.test.", "A", "insecure", dns.RcodeSuccess, "insecure delegation: unsigned zone, test.'s NSEC proves no DS"},
	{"www.nsec.test.", "A", "secure", dns.RcodeSuccess, "signed zone with NSEC"},
	{"nosuch.nsec.test.", "A", "secure", dns.RcodeNameError, "NXDOMAIN: NSEC covering the name and NSEC covering the wildcard"},
	{"www.nsec.test.", "TXT", "secure", dns.RcodeSuccess, "NODATA: the NSEC at the name, without TXT in its bitmap"},
	{"sub.nsec.test.", "A", "secure", dns.RcodeSuccess, "NODATA at an empty non-terminal (host.sub.nsec.test exists): the covering NSEC"},
	{"www.nsec3.test.", "A", "secure", dns.RcodeSuccess, "signed zone with NSEC3 (SHA-1, 0 iterations, no salt)"},
	{"nosuch.nsec3.test.", "A", "secure", dns.RcodeNameError, "NXDOMAIN: closest encloser proof and NSEC3 covering the wildcard (RFC 5155 §7.2.2)"},
	{"www.nsec3.test.", "TXT", "secure", dns.RcodeSuccess, "NODATA: the matching NSEC3 (RFC 5155 §7.2.3)"},
	{"sub.nsec3.test.", "A", "secure", dns.RcodeSuccess, "NODATA at an empty non-terminal, which has its own NSEC3"},
	{"host.wild.nsec3.test.", "A", "secure", dns.RcodeSuccess, "wildcard *.wild.nsec3.test expanded: NSEC3 covering the next closer name (RFC 5155 §7.2.6)"},
	{"www.unsigned.nsec3.test.", "A", "insecure", dns.RcodeSuccess, "insecure delegation from an NSEC3 zone: the delegation's NSEC3 has NS and no DS"},
	{"www.signed.optout.test.", "A", "secure", dns.RcodeSuccess, "signed child (DS) of an NSEC3 opt-out zone (salt c0ffee)"},
	{"www.unsigned.optout.test.", "A", "insecure", dns.RcodeSuccess, "unsigned child of an NSEC3 opt-out zone: no NSEC3 of its own, an opt-out NSEC3 covers it (RFC 5155 §6)"},
	{"unsigned.optout.test.", "DS", "insecure", dns.RcodeSuccess, "the DS denial itself: closest encloser proof with opt-out (RFC 5155 §7.2.4)"},
	{"host.wild.test.", "A", "secure", dns.RcodeSuccess, "wildcard *.wild.test expanded: RRSIG labels 2, NSEC covering the name (RFC 4035 §3.1.3.3)"},
	{"a.b.wild.test.", "A", "secure", dns.RcodeSuccess, "wildcard expanded two labels deep"},
	{"www.wild.test.", "A", "secure", dns.RcodeSuccess, "an existing name beside the wildcard: its own record, not the wildcard's"},
	{"host.wild.test.", "MX", "secure", dns.RcodeSuccess, "wildcard NODATA: NSEC covering the name and the wildcard's NSEC (RFC 4035 §3.1.3.4)"},
	{"to-signed.cname.test.", "A", "secure", dns.RcodeSuccess, "CNAME into another signed zone (www.nsec3.test)"},
	{"to-unsigned.cname.test.", "A", "insecure", dns.RcodeSuccess, "CNAME into an unsigned zone (www.unsigned.test)"},
	{"to-nxdomain.cname.test.", "A", "secure", dns.RcodeNameError, "CNAME to a name that does not exist in another signed zone"},
	{"to-bogus.cname.test.", "A", "bogus", dns.RcodeSuccess, "CNAME into the bad signature of www.badsig.test"},
	{"www.badsig.test.", "A", "bogus", dns.RcodeSuccess, "a byte of the RRSIG over the A RRset flipped"},
	{"www.sigexpired.test.", "A", "bogus", dns.RcodeSuccess, "every signature of the zone expired a day ago"},
	{"www.wrongds.test.", "A", "bogus", dns.RcodeSuccess, "the DS in test. matches no key of the zone"},
	{"www.nodnskey.test.", "A", "bogus", dns.RcodeSuccess, "signed, DS in test., but no DNSKEY RRset"},
	{"www.ed25519.test.", "A", "secure", dns.RcodeSuccess, "signed with Ed25519 (algorithm 15, RFC 8080)"},
	// Shapes of issue 11 an authoritative server can serve.
	{"to-child.island.test.", "A", "insecure", dns.RcodeSuccess, "CNAME from a signed NSEC zone into its own unsigned child: the NSEC at the delegation proves no DS (RFC 4035 §5.2)"},
	{"to-child.optout.test.", "A", "insecure", dns.RcodeSuccess, "CNAME from an NSEC3 opt-out zone into its unsigned child, covered by an opt-out NSEC3 (RFC 5155 §8.9)"},
	{"ent.optout.test.", "A", "insecure", dns.RcodeSuccess, "NODATA at an empty non-terminal made only by an unsigned delegation below it: no NSEC3 of its own, an opt-out NSEC3 covers the next closer name (RFC 5155 §8.6, erratum 3441)"},
	{"host.wild.nsec3.test.", "TXT", "secure", dns.RcodeSuccess, "wildcard NODATA under NSEC3: closest encloser, next closer covered, the wildcard's NSEC3 without TXT (RFC 5155 §8.7)"},
	{"host.wild.test.", "TXT", "secure", dns.RcodeSuccess, "wildcard-expanded TXT: RRSIG labels 2 and the NSEC proving no exact match (RFC 4035 §5.3.4)"},
	{"www.dn.cname.test.", "A", "secure", dns.RcodeSuccess, "DNAME dn.cname.test → nsec3.test: the signed DNAME vouches for the synthesised, unsigned CNAME (RFC 6672 §5.3.1)"},
	{"www.dn.cname.test.", "CNAME", "secure", dns.RcodeSuccess, "a CNAME query under a DNAME: the synthesised CNAME, validated through the signed DNAME (RFC 6672 §5.3.1)"},
}

// dnssecZone is a zone made for DNSSECScenarios.
type dnssecZone struct {
	apex    string
	spec    zoneSpec
	records []string
}

var dnssecZones = []dnssecZone{
	{"unsigned.test.", zoneSpec{unsigned: true}, []string{"www.unsigned.test. 300 IN A 127.0.0.1"}},
	{"nsec.test.", zoneSpec{}, []string{
		"www.nsec.test. 300 IN A 127.0.0.1",
		"host.sub.nsec.test. 300 IN A 127.0.0.1",
	}},
	{"nsec3.test.", zoneSpec{nsec3: true}, []string{
		"www.nsec3.test. 300 IN A 127.0.0.1",
		"host.sub.nsec3.test. 300 IN A 127.0.0.1",
		"*.wild.nsec3.test. 300 IN A 127.0.0.1",
	}},
	{"unsigned.nsec3.test.", zoneSpec{unsigned: true}, []string{"www.unsigned.nsec3.test. 300 IN A 127.0.0.1"}},
	{"optout.test.", zoneSpec{nsec3: true, optOut: true, salt: "c0ffee"}, []string{
		"www.optout.test. 300 IN A 127.0.0.1",
		"to-child.optout.test. 300 IN CNAME www.unsigned.optout.test.",
	}},
	{"child.ent.optout.test.", zoneSpec{unsigned: true}, []string{"www.child.ent.optout.test. 300 IN A 127.0.0.1"}},
	{"island.test.", zoneSpec{}, []string{
		"www.island.test. 300 IN A 127.0.0.1",
		"to-child.island.test. 300 IN CNAME www.unsigned.island.test.",
	}},
	{"unsigned.island.test.", zoneSpec{unsigned: true}, []string{"www.unsigned.island.test. 300 IN A 127.0.0.1"}},
	{"signed.optout.test.", zoneSpec{}, []string{"www.signed.optout.test. 300 IN A 127.0.0.1"}},
	{"unsigned.optout.test.", zoneSpec{unsigned: true}, []string{"www.unsigned.optout.test. 300 IN A 127.0.0.1"}},
	{"wild.test.", zoneSpec{}, []string{
		"www.wild.test. 300 IN A 127.0.0.1",
		"*.wild.test. 300 IN A 127.0.0.2",
		"*.wild.test. 300 IN TXT \"wildcard\"",
	}},
	{"cname.test.", zoneSpec{}, []string{
		"to-signed.cname.test. 300 IN CNAME www.nsec3.test.",
		"to-unsigned.cname.test. 300 IN CNAME www.unsigned.test.",
		"to-nxdomain.cname.test. 300 IN CNAME nosuch.nsec.test.",
		"to-bogus.cname.test. 300 IN CNAME www.badsig.test.",
		"dn.cname.test. 300 IN DNAME nsec3.test.",
	}},
	{"badsig.test.", zoneSpec{fault: faultBadSig, faultName: "www.badsig.test."}, []string{"www.badsig.test. 300 IN A 127.0.0.1"}},
	{"sigexpired.test.", zoneSpec{fault: faultExpired}, []string{"www.sigexpired.test. 300 IN A 127.0.0.1"}},
	{"wrongds.test.", zoneSpec{fault: faultWrongDS}, []string{"www.wrongds.test. 300 IN A 127.0.0.1"}},
	{"nodnskey.test.", zoneSpec{fault: faultNoDNSKEY}, []string{"www.nodnskey.test. 300 IN A 127.0.0.1"}},
	{"ed25519.test.", zoneSpec{alg: dns.ED25519}, []string{"www.ed25519.test. 300 IN A 127.0.0.1"}},
	{daneDomain + ".", zoneSpec{}, nil},
}

// DANECase is one TLSA record of dane.test: the TLS server at Host:Port
// (IMAP over TLS on 993, SMTP submission over TLS on 465, both serving the
// same chain [leaf, lab CA]) has a TLSA record at _Port._tcp.Host with these
// parameters (RFC 6698 §2.1), whose data matches the served chain or not.
// Usages 0 and 2 name the lab CA, 1 and 3 the leaf; a mismatch carries the
// data of an unrelated self-signed certificate.
type DANECase struct {
	Host     string
	Port     int
	Usage    uint8 // 0 PKIX-TA, 1 PKIX-EE, 2 DANE-TA, 3 DANE-EE
	Selector uint8 // 0 whole certificate, 1 SubjectPublicKeyInfo
	Matching uint8 // 0 full data, 1 SHA-256, 2 SHA-512
	Match    bool
}

// daneDomain is the zone of DANECases.
const daneDomain = "dane.test"

// DANECases are every usage × selector × matching type, each once matching
// (match-USM.dane.test:993) and once not (mismatch-USM.dane.test:465).
// All the hosts share one address and one certificate that names them all.
var DANECases = func() []DANECase {
	var cs []DANECase
	for _, match := range []bool{true, false} {
		for u := range uint8(4) {
			for s := range uint8(2) {
				for m := range uint8(3) {
					c := DANECase{Host: fmt.Sprintf("match-%d%d%d.%s", u, s, m, daneDomain), Port: 993,
						Usage: u, Selector: s, Matching: m, Match: match}
					if !match {
						c.Host, c.Port = "mismatch-"+c.Host[len("match-"):], 465
					}
					cs = append(cs, c)
				}
			}
		}
	}
	return cs
}()

// buildDNSSEC adds the zones of DNSSECScenarios and the DANE cases.
func (l *Lab) buildDNSSEC() error {
	for _, z := range dnssecZones {
		l.zones.declare(z.apex, z.spec)
		if err := l.zones.add(z.records...); err != nil {
			return err
		}
	}
	host := "mail." + daneDomain
	var names []string
	for _, c := range DANECases {
		names = append(names, c.Host)
	}
	if err := l.mailHost(host, fault{altNames: names}, imaps, submissions); err != nil {
		return err
	}
	decoy, err := certs.SelfSigned("decoy." + daneDomain)
	if err != nil {
		return fmt.Errorf("lab: DANE decoy certificate: %w", err)
	}
	ip := l.hosts[host]
	for _, c := range DANECases {
		if err := l.zones.add(fmt.Sprintf("%s. 300 IN A %s", c.Host, ip)); err != nil {
			return err
		}
		cert := l.leaves[host]
		if c.Usage == 0 || c.Usage == 2 { // trust-anchor usages name the CA
			cert = l.CA.Cert
		}
		if !c.Match {
			cert = decoy.Leaf
		}
		if err := l.tlsa(c.Host, cert, c.Usage, c.Selector, c.Matching, c.Port); err != nil {
			return err
		}
	}
	return nil
}

// tlsa adds TLSA records for cert at _PORT._tcp.host (RFC 6698 §3) for each
// port.
func (l *Lab) tlsa(host string, cert *x509.Certificate, usage, selector, matching uint8, ports ...int) error {
	data, err := tlsaData(cert, selector, matching)
	if err != nil {
		return fmt.Errorf("lab: TLSA for %s: %w", host, err)
	}
	for _, p := range ports {
		if err := l.zones.add(fmt.Sprintf("_%d._tcp.%s. 300 IN TLSA %d %d %d %s", p, host, usage, selector, matching, data)); err != nil {
			return err
		}
	}
	return nil
}

// tlsaData is the certificate association data of RFC 6698 §2.1: the
// whole certificate (selector 0) or its SubjectPublicKeyInfo (1), in full
// (matching type 0) or as its SHA-256 (1) or SHA-512 (2) digest, in hex.
func tlsaData(cert *x509.Certificate, selector, matching uint8) (string, error) {
	if cert == nil {
		return "", errors.New("no certificate")
	}
	var b []byte
	switch selector {
	case 0:
		b = cert.Raw
	case 1:
		b = cert.RawSubjectPublicKeyInfo
	default:
		return "", fmt.Errorf("selector %d", selector)
	}
	switch matching {
	case 0:
	case 1:
		sum := sha256.Sum256(b)
		b = sum[:]
	case 2:
		sum := sha512.Sum512(b)
		b = sum[:]
	default:
		return "", fmt.Errorf("matching type %d", matching)
	}
	return hex.EncodeToString(b), nil
}
