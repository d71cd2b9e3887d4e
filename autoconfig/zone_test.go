package autoconfig_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// parseZone parses zone text with miekg/dns and returns the records in
// order, or fails the test.
func parseZone(t *testing.T, text []byte) []dns.RR {
	t.Helper()
	zp := dns.NewZoneParser(bytes.NewReader(text), "", "zone")
	var rrs []dns.RR
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		rrs = append(rrs, rr)
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("dns.NewZoneParser: %v\n%s", err, text)
	}
	return rrs
}

// wantRRs parses the expected records, one presentation-format line each.
func wantRRs(t *testing.T, lines ...string) []dns.RR {
	t.Helper()
	rrs := make([]dns.RR, len(lines))
	for i, l := range lines {
		rr, err := dns.NewRR(l)
		if err != nil {
			t.Fatalf("dns.NewRR(%q): %v", l, err)
		}
		rrs[i] = rr
	}
	return rrs
}

func compareRRs(t *testing.T, got, want []dns.RR) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d records, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) || i < len(want); i++ {
		var g, w string
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		if g != w {
			t.Errorf("record %d =\n%s\nwant\n%s", i, g, w)
		}
	}
}

func writeZone(t *testing.T, domain string, cfg *autoconfig.Config, tlsa []autoconfig.TLSA, opts *autoconfig.ZoneOptions) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := autoconfig.WriteZone(&b, domain, cfg, tlsa, opts); err != nil {
		t.Fatalf("WriteZone() error = %v, want nil", err)
	}
	return b.Bytes()
}

func spki(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func TestWriteZoneGolden(t *testing.T) {
	tlsa := []autoconfig.TLSA{
		{Host: "imap.example.com", Port: 993, SPKISHA256: spki("imap key")},
		{Host: "smtp.example.com", Port: 465, SPKISHA256: spki("smtp key")},
	}
	data := writeZone(t, "example.com", exportConfig(), tlsa, nil)
	writerGolden(t, "zone/example.com.zone", data)
	compareRRs(t, parseZone(t, data), wantRRs(t,
		"_submissions._tcp.example.com. 3600 IN SRV 0 0 465 smtp.example.com.",
		"_imaps._tcp.example.com. 3600 IN SRV 0 0 993 imap.example.com.",
		"_pop3s._tcp.example.com. 3600 IN SRV 2 0 995 pop.example.com.",
		"_submission._tcp.example.com. 3600 IN SRV 1 0 587 smtp.example.com.",
		"_imap._tcp.example.com. 3600 IN SRV 1 0 143 imap.example.com.",
		"_pop3._tcp.example.com. 3600 IN SRV 0 0 0 .",
		"_993._tcp.imap.example.com. 3600 IN TLSA 3 1 1 "+hexOf(spki("imap key")),
		"_465._tcp.smtp.example.com. 3600 IN TLSA 3 1 1 "+hexOf(spki("smtp key")),
	))
	if again := writeZone(t, "example.com", exportConfig(), tlsa, nil); !bytes.Equal(data, again) {
		t.Errorf("WriteZone() twice gave different bytes")
	}
	for _, name := range []string{"autoconfig.example.com.", "autodiscover.example.com.", "_autodiscover._tcp.example.com."} {
		if !bytes.Contains(data, []byte("; "+name)) {
			t.Errorf("WriteZone() without WebHost does not suggest %s in a comment", name)
		}
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestWriteZoneRecords(t *testing.T) {
	srv := func(p autoconfig.Protocol, host string, port int, sec autoconfig.Security) autoconfig.Server {
		return autoconfig.Server{Protocol: p, Hostname: host, Port: port, Security: sec,
			Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}}
	}
	tests := []struct {
		name   string
		domain string
		cfg    *autoconfig.Config
		tlsa   []autoconfig.TLSA
		opts   *autoconfig.ZoneOptions
		want   []string
	}{
		{name: "STARTTLS only, web host, TTL",
			domain: "Example.ORG.",
			cfg: &autoconfig.Config{
				Incoming: []autoconfig.Server{srv(autoconfig.IMAP, "mail.%EMAILDOMAIN%", 143, autoconfig.STARTTLS)},
				Outgoing: []autoconfig.Server{srv(autoconfig.SMTP, "mail.%EMAILDOMAIN%", 587, autoconfig.STARTTLS)},
			},
			opts: &autoconfig.ZoneOptions{TTL: 5 * time.Minute, WebHost: "Web.Hoster.NET"},
			want: []string{
				"_submissions._tcp.example.org. 300 IN SRV 0 0 0 .",
				"_imaps._tcp.example.org. 300 IN SRV 0 0 0 .",
				"_pop3s._tcp.example.org. 300 IN SRV 0 0 0 .",
				"_submission._tcp.example.org. 300 IN SRV 0 0 587 mail.example.org.",
				"_imap._tcp.example.org. 300 IN SRV 0 0 143 mail.example.org.",
				"_pop3._tcp.example.org. 300 IN SRV 0 0 0 .",
				"autoconfig.example.org. 300 IN CNAME web.hoster.net.",
				"autodiscover.example.org. 300 IN CNAME web.hoster.net.",
				"_autodiscover._tcp.example.org. 300 IN SRV 0 0 443 web.hoster.net.",
			}},
		{name: "priorities follow the order across services, duplicates once",
			domain: "bücher.example",
			cfg: &autoconfig.Config{
				Incoming: []autoconfig.Server{
					{Protocol: "ews", URL: "not a URL"}, // left out, unchecked
					srv(autoconfig.POP3, "pop.bücher.example", 995, autoconfig.TLS),
					srv(autoconfig.IMAP, "imap1.example.net", 993, autoconfig.TLS),
					srv(autoconfig.IMAP, "imap2.example.net", 993, autoconfig.TLS),
					srv(autoconfig.IMAP, "imap1.example.net", 993, autoconfig.TLS),
					srv(autoconfig.POP3, "pop.bücher.example", 110, autoconfig.Plain),
				},
				Outgoing: []autoconfig.Server{srv(autoconfig.SMTP, "smtp.example.net", 25, autoconfig.Plain)},
			},
			tlsa: []autoconfig.TLSA{
				{Host: "imap1.example.net", Port: 993, SPKISHA256: spki("k1")},
				{Host: "imap1.example.net", Port: 993, SPKISHA256: spki("k1")},
				{Host: "imap1.example.net", Port: 993, SPKISHA256: spki("k2")},
			},
			opts: &autoconfig.ZoneOptions{WebHost: "autoconfig.example.net"},
			want: []string{
				"_submissions._tcp.xn--bcher-kva.example. 3600 IN SRV 0 0 0 .",
				"_imaps._tcp.xn--bcher-kva.example. 3600 IN SRV 1 0 993 imap1.example.net.",
				"_imaps._tcp.xn--bcher-kva.example. 3600 IN SRV 2 0 993 imap2.example.net.",
				"_pop3s._tcp.xn--bcher-kva.example. 3600 IN SRV 0 0 995 pop.xn--bcher-kva.example.",
				"_submission._tcp.xn--bcher-kva.example. 3600 IN SRV 0 0 25 smtp.example.net.",
				"_imap._tcp.xn--bcher-kva.example. 3600 IN SRV 0 0 0 .",
				"_pop3._tcp.xn--bcher-kva.example. 3600 IN SRV 3 0 110 pop.xn--bcher-kva.example.",
				"_993._tcp.imap1.example.net. 3600 IN TLSA 3 1 1 " + hexOf(spki("k1")),
				"_993._tcp.imap1.example.net. 3600 IN TLSA 3 1 1 " + hexOf(spki("k2")),
				"autoconfig.xn--bcher-kva.example. 3600 IN CNAME autoconfig.example.net.",
				"autodiscover.xn--bcher-kva.example. 3600 IN CNAME autoconfig.example.net.",
				"_autodiscover._tcp.xn--bcher-kva.example. 3600 IN SRV 0 0 443 autoconfig.example.net.",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := writeZone(t, tt.domain, tt.cfg, tt.tlsa, tt.opts)
			compareRRs(t, parseZone(t, data), wantRRs(t, tt.want...))
		})
	}
}

func TestWriteZoneErrors(t *testing.T) {
	localPart := exportConfig()
	localPart.Incoming[0].Hostname = "%EMAILLOCALPART%.mail.example.com"
	badSec := exportConfig()
	badSec.Outgoing[0].Security = "none"
	ewsOnly := &autoconfig.Config{Incoming: []autoconfig.Server{{Protocol: "ews", URL: "https://mail.example.com/ews"}}}
	okTLSA := []autoconfig.TLSA{{Host: "imap.example.com", Port: 993, SPKISHA256: spki("k")}}
	tests := []struct {
		name   string
		domain string
		cfg    *autoconfig.Config
		tlsa   []autoconfig.TLSA
		opts   *autoconfig.ZoneOptions
		want   error
		text   string
	}{
		{"nil config", "example.com", nil, nil, nil, autoconfig.ErrExportInvalid, "nil Config"},
		{"bad domain", "example..com", exportConfig(), nil, nil, autoconfig.ErrExportInvalid, "domain"},
		{"empty domain", "", exportConfig(), nil, nil, autoconfig.ErrExportInvalid, "domain"},
		{"placeholder domain", "%EMAILDOMAIN%", exportConfig(), nil, nil, autoconfig.ErrExportInvalid, "domain"},
		{"local part in a host", "example.com", localPart, nil, nil, autoconfig.ErrExportUnsupported, "Incoming[0] (imap) host name"},
		{"bad security", "example.com", badSec, nil, nil, autoconfig.ErrExportInvalid, `Outgoing[0] (smtp): unknown security "none"`},
		{"no mail server", "example.com", ewsOnly, nil, nil, autoconfig.ErrExportMissing, "no IMAP, POP3 or SMTP"},
		{"short digest", "example.com", exportConfig(), []autoconfig.TLSA{{Host: "imap.example.com", Port: 993, SPKISHA256: []byte{1, 2}}}, nil, autoconfig.ErrExportInvalid, "tlsa[0]: SPKI digest of 2 bytes"},
		{"TLSA port 0", "example.com", exportConfig(), append(okTLSA, autoconfig.TLSA{Host: "imap.example.com", SPKISHA256: spki("k")}), nil, autoconfig.ErrExportInvalid, "tlsa[1]: port 0"},
		{"TLSA bad host", "example.com", exportConfig(), []autoconfig.TLSA{{Host: "imap_1.example.com", Port: 993, SPKISHA256: spki("k")}}, nil, autoconfig.ErrExportInvalid, "tlsa[0]"},
		{"TTL below a second", "example.com", exportConfig(), nil, &autoconfig.ZoneOptions{TTL: time.Millisecond}, autoconfig.ErrExportInvalid, "TTL"},
		{"negative TTL", "example.com", exportConfig(), nil, &autoconfig.ZoneOptions{TTL: -time.Hour}, autoconfig.ErrExportInvalid, "TTL"},
		{"TTL above 2^31-1 s", "example.com", exportConfig(), nil, &autoconfig.ZoneOptions{TTL: (1 << 31) * time.Second}, autoconfig.ErrExportInvalid, "TTL"},
		{"CNAME loop", "example.com", exportConfig(), nil, &autoconfig.ZoneOptions{WebHost: "autodiscover.example.com"}, autoconfig.ErrExportInvalid, "CNAME to itself"},
		{"bad web host", "example.com", exportConfig(), nil, &autoconfig.ZoneOptions{WebHost: "web host"}, autoconfig.ErrExportInvalid, "WebHost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w countingWriter
			err := autoconfig.WriteZone(&w, tt.domain, tt.cfg, tt.tlsa, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("WriteZone() error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("WriteZone() error = %q, want it to contain %q", err, tt.text)
			}
			if w.n != 0 {
				t.Errorf("WriteZone() wrote %d bytes before failing, want 0", w.n)
			}
		})
	}
}
