package autoconfig

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/internal/version"
)

// ZoneOptions are the options of [WriteZone]. A nil *ZoneOptions is the zero
// value.
type ZoneOptions struct {
	// TTL of every record, in whole seconds; zero means one hour. At most
	// 2^31-1 seconds (RFC 2181 §8).
	TTL time.Duration
	// WebHost is the host name of the web server that serves the
	// autoconfig file and the Autodiscover response for the domain. When
	// set, WriteZone writes CNAME records for autoconfig.<domain> and
	// autodiscover.<domain> and an _autodiscover._tcp SRV record pointing
	// at it; when empty, it only suggests them in comments.
	WebHost string
}

// The SRV services of RFC 6186 §3 and RFC 8314 §5.1, in the order WriteZone
// writes them: the implicit TLS services first, as RFC 8314 §5.1 asks
// clients to prefer them, then the STARTTLS (or plain) ones.
var zoneServices = []struct {
	label    string // owner name prefix
	protocol Protocol
	implicit bool // implicit TLS service
}{
	{"_submissions._tcp", SMTP, true}, // RFC 8314 §5.1: port 465
	{"_imaps._tcp", IMAP, true},       // RFC 6186 §3.2: port 993
	{"_pop3s._tcp", POP3, true},       // RFC 6186 §3.3: port 995
	{"_submission._tcp", SMTP, false}, // RFC 6186 §3.1: port 587
	{"_imap._tcp", IMAP, false},       // RFC 6186 §3.2: port 143
	{"_pop3._tcp", POP3, false},       // RFC 6186 §3.3: port 110
}

// defaultZoneTTL is the TTL of the records when ZoneOptions.TTL is zero.
const defaultZoneTTL = time.Hour

// WriteZone writes, as zone file text (RFC 1035 §5.1, absolute owner names,
// one record a line with its TTL and class), the DNS records that domain
// should publish for the servers of cfg:
//
//   - One SRV record per IMAP, POP3 and SMTP server (RFC 6186, RFC 8314
//     §5.1): implicit TLS servers under _submissions._tcp, _imaps._tcp and
//     _pop3s._tcp, STARTTLS and plain ones under _submission._tcp,
//     _imap._tcp and _pop3._tcp, in that order. The priority is the server's
//     position among the incoming (IMAP and POP3) or outgoing servers of cfg,
//     so that a client comparing priorities across services, as RFC 6186
//     §3.4 says, picks the server cfg prefers; the weight is 0 (RFC 2782: no
//     choice among equals). A service with no server gets "0 0 0 .", which
//     says it is not offered (RFC 2782, RFC 6186 §3.4).
//   - One TLSA record "3 1 1" (DANE-EE, SubjectPublicKeyInfo, SHA-256;
//     RFC 6698 §2.1, RFC 7671 §5.1) per entry of tlsa, at
//     _<port>._tcp.<host> (RFC 6698 §3).
//   - The host names mail clients fetch settings from: autoconfig.<domain>
//     (config-v1.1.xml, draft-ietf-mailmaint-autoconfig "Configuration
//     location for single domain") and autodiscover.<domain> with an
//     _autodiscover._tcp SRV record on port 443 (Autodiscover, as Outlook and
//     Thunderbird's ExchangeAutoDiscover.sys.mjs look them up), as records
//     pointing at opts.WebHost or, without it, as commented suggestions.
//
// Servers of other types are left out. Placeholders in host names are
// filled with domain; one that remains (%EMAILLOCALPART%) makes the call
// fail, as a DNS record serves all users.
//
// Errors: [ErrExportInvalid] for a nil cfg, an invalid domain, server, TLSA
// entry, WebHost or TTL; [ErrExportMissing] when cfg has no IMAP, POP3 or
// SMTP server; [ErrExportUnsupported] for a placeholder domain cannot fill.
// Nothing is written on error.
func WriteZone(w io.Writer, domain string, cfg *Config, tlsa []TLSA, opts *ZoneOptions) error {
	var b bytes.Buffer
	if err := buildZone(&b, domain, cfg, tlsa, opts); err != nil {
		return err
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("autoconfig: writing zone records: %w", err)
	}
	return nil
}

// zoneSRV is one SRV record before it is written.
type zoneSRV struct {
	priority int
	port     int
	target   string // FQDN with the trailing dot
}

func buildZone(b *bytes.Buffer, domain string, cfg *Config, tlsa []TLSA, opts *ZoneOptions) error {
	if cfg == nil {
		return fmt.Errorf("%w: nil Config", ErrExportInvalid)
	}
	if opts == nil {
		opts = &ZoneOptions{}
	}
	d, err := normHost(domain)
	if err == nil && hasPlaceholder(d) {
		err = errors.New("placeholder in the domain")
	}
	if err != nil {
		return fmt.Errorf("%w: domain: %w", ErrExportInvalid, err)
	}
	ttl := opts.TTL
	if ttl == 0 {
		ttl = defaultZoneTTL
	}
	if ttl < time.Second || ttl/time.Second > math.MaxInt32 {
		return fmt.Errorf("%w: TTL %v out of range 1s to 2^31-1 s (RFC 2181 §8)", ErrExportInvalid, opts.TTL)
	}
	secs := int64(ttl / time.Second)
	webHost := ""
	if opts.WebHost != "" {
		webHost, err = normHost(opts.WebHost)
		if err == nil && hasPlaceholder(webHost) {
			err = errors.New("placeholder in WebHost")
		}
		if err != nil {
			return fmt.Errorf("%w: WebHost: %w", ErrExportInvalid, err)
		}
		if webHost == "autoconfig."+d || webHost == "autodiscover."+d {
			return fmt.Errorf("%w: WebHost %q would be a CNAME to itself", ErrExportInvalid, webHost)
		}
	}

	in, out, err := checkExportServers(cfg, true)
	if err != nil {
		return err
	}
	v := Vars{Domain: d}
	srv := map[string][]zoneSRV{}
	mail := 0
	addServers := func(list []Server, outgoing bool) error {
		rank := 0
		for i, s := range list {
			if !isMailProtocol(s.Protocol) {
				continue
			}
			mail++
			host, err := zoneHost(s.Hostname, v, serverWhere(outgoing, i, s))
			if err != nil {
				return err
			}
			label := zoneServiceLabel(s)
			rec := zoneSRV{priority: rank, port: s.Port, target: host + "."}
			dup := false
			for _, r := range srv[label] {
				dup = dup || (r.port == rec.port && r.target == rec.target)
			}
			if !dup {
				srv[label] = append(srv[label], rec)
				rank++
			}
		}
		return nil
	}
	if err := addServers(in, false); err != nil {
		return err
	}
	if err := addServers(out, true); err != nil {
		return err
	}
	if mail == 0 {
		return fmt.Errorf("%w: no IMAP, POP3 or SMTP server", ErrExportMissing)
	}

	type tlsaRec struct{ owner, data string }
	var tlsaRecs []tlsaRec
	for i, t := range tlsa {
		host, err := zoneHost(t.Host, v, fmt.Sprintf("tlsa[%d]", i))
		if err != nil {
			return err
		}
		if t.Port < 1 || t.Port > 65535 {
			return fmt.Errorf("%w: tlsa[%d]: port %d out of range 1-65535", ErrExportInvalid, i, t.Port)
		}
		if len(t.SPKISHA256) != 32 {
			return fmt.Errorf("%w: tlsa[%d]: SPKI digest of %d bytes, want 32 (SHA-256)", ErrExportInvalid, i, len(t.SPKISHA256))
		}
		r := tlsaRec{fmt.Sprintf("_%d._tcp.%s.", t.Port, host), hex.EncodeToString(t.SPKISHA256)}
		dup := false
		for _, x := range tlsaRecs {
			dup = dup || x == r
		}
		if !dup {
			tlsaRecs = append(tlsaRecs, r)
		}
	}

	rr := func(owner, typ, data string) {
		fmt.Fprintf(b, "%s\t%d\tIN\t%s\t%s\n", owner, secs, typ, data)
	}
	fmt.Fprintf(b, "; Mail records for %s, written by %s (%s).\n", d, version.Generator(), version.URL)
	b.WriteString(";\n")
	b.WriteString("; SRV (RFC 6186, RFC 8314 section 5.1): the lowest priority is preferred,\n")
	b.WriteString("; across services too (RFC 6186 section 3.4); target \".\" means the\n")
	b.WriteString("; service is not offered (RFC 2782).\n")
	for _, svc := range zoneServices {
		owner := svc.label + "." + d + "."
		recs := srv[svc.label]
		if len(recs) == 0 {
			rr(owner, "SRV", "0 0 0 .")
			continue
		}
		for _, r := range recs {
			rr(owner, "SRV", fmt.Sprintf("%d 0 %d %s", r.priority, r.port, r.target))
		}
	}

	if len(tlsaRecs) > 0 {
		b.WriteString("\n; TLSA 3 1 1: DANE-EE, SHA-256 of the served key's SubjectPublicKeyInfo\n")
		b.WriteString("; (RFC 6698 section 2.1, RFC 7671 section 5.1). Publish them only in a\n")
		b.WriteString("; DNSSEC-signed zone, and add the new key's record before a key change.\n")
		for _, r := range tlsaRecs {
			rr(r.owner, "TLSA", "3 1 1 "+r.data)
		}
	}

	b.WriteString("\n; Settings for mail clients: serve https://autoconfig." + d + "/mail/config-v1.1.xml\n")
	b.WriteString("; (Thunderbird and others) and https://autodiscover." + d + "/autodiscover/autodiscover.xml\n")
	b.WriteString("; (Outlook; POST), both with a certificate valid for the name.\n")
	ac, ad, adSRV := "autoconfig."+d+".", "autodiscover."+d+".", "_autodiscover._tcp."+d+"."
	if webHost != "" {
		rr(ac, "CNAME", webHost+".")
		rr(ad, "CNAME", webHost+".")
		rr(adSRV, "SRV", "0 0 443 "+webHost+".")
	} else {
		b.WriteString("; Point both names at your web server, for example:\n")
		fmt.Fprintf(b, "; %s\t%d\tIN\tCNAME\tweb.example.net.\n", ac, secs)
		fmt.Fprintf(b, "; %s\t%d\tIN\tCNAME\tweb.example.net.\n", ad, secs)
		fmt.Fprintf(b, "; %s\t%d\tIN\tSRV\t0 0 443 web.example.net.\n", adSRV, secs)
	}
	return nil
}

// zoneServiceLabel is the SRV service of a mail server.
func zoneServiceLabel(s Server) string {
	for _, svc := range zoneServices {
		if svc.protocol == s.Protocol && svc.implicit == (s.Security == TLS) {
			return svc.label
		}
	}
	return "" // not reached: s is an IMAP, POP3 or SMTP server
}

// zoneHost fills the placeholders of a host name with the zone's domain
// and checks that none remains.
func zoneHost(raw string, v Vars, where string) (string, error) {
	h, err := normHost(v.Expand(raw))
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrExportInvalid, where, err)
	}
	if hasPlaceholder(h) {
		return "", fmt.Errorf("%w: %s host name %q has a placeholder a DNS record cannot fill",
			ErrExportUnsupported, where, clip(strings.TrimSpace(raw), 64))
	}
	return h, nil
}
