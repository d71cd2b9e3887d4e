package export_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/pacc"
)

// spki is the hex SHA-256 of a made-up key, for the zone's TLSA records.
const spki = "2bb26b12c4c4c2a8d8d5f8a0a7f8f9f0e1e2e3e4e5e6e7e8e9eaebecedeeeff0"

// verified returns a server as the engine reports one it verified.
func verified(proto autoconfig.Protocol, host string, port int, sec autoconfig.Security) detect.Server {
	return detect.Server{
		Protocol: proto, Host: host, Port: port, Security: sec,
		Username: "alice@example.org", Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext},
		Sources: []detect.SourceName{detect.SourceAutoconfig}, Trust: detect.TrustHTTPS,
		Probe: detect.ProbeReport{Status: detect.ProbeOK, TLSVersion: "TLS 1.3",
			Cert: &detect.CertReport{Valid: true, SPKISHA256: spki}, DANE: detect.DANENone},
	}
}

// secureReport is a report of example.org with verified implicit-TLS
// servers recommended and verified STARTTLS alternatives.
func secureReport() *detect.Report {
	rep := &detect.Report{
		Version: detect.ReportVersion, Address: "alice@example.org", Domain: "example.org",
		DomainUnicode: "example.org", Verdict: detect.VerdictSecure, DNSSEC: "insecure",
		Incoming: []detect.Server{
			verified(autoconfig.IMAP, "mail.example.org", 993, autoconfig.TLS),
			verified(autoconfig.IMAP, "mail.example.org", 143, autoconfig.STARTTLS),
		},
		Outgoing: []detect.Server{
			verified(autoconfig.SMTP, "smtp.example.org", 465, autoconfig.TLS),
			verified(autoconfig.SMTP, "smtp.example.org", 587, autoconfig.STARTTLS),
		},
	}
	rep.Incoming[0].Recommended = true
	rep.Outgoing[0].Recommended = true
	return rep
}

func TestWriteEveryFormat(t *testing.T) {
	rep := secureReport()
	checks := map[export.Format]func(t *testing.T, out []byte){
		export.Autoconfig: func(t *testing.T, out []byte) {
			cfg, err := autoconfig.ReadMozilla(bytes.NewReader(out), autoconfig.Vars{})
			if err != nil || len(cfg.Incoming) != 1 || cfg.Incoming[0].Hostname != "mail.example.org" ||
				cfg.Incoming[0].Port != 993 || cfg.Incoming[0].Username != "%EMAILADDRESS%" {
				t.Errorf("reads back as %+v, %v; want mail.example.org:993 with %%EMAILADDRESS%%", cfg, err)
			}
		},
		export.Autodiscover: func(t *testing.T, out []byte) {
			res, err := autoconfig.ReadAutodiscover(bytes.NewReader(out), autoconfig.Vars{})
			if err != nil || res.Config == nil || len(res.Config.Outgoing) != 1 || res.Config.Outgoing[0].Port != 465 {
				t.Errorf("reads back as %+v, %v; want smtp 465", res, err)
			}
		},
		export.Thunderbird: func(t *testing.T, out []byte) {
			for _, want := range []string{`user_pref("mail.server.server1.hostname", "mail.example.org");`,
				`user_pref("mail.server.server1.socketType", 3);`, `user_pref("mail.smtpserver.smtp1.try_ssl", 3);`,
				`user_pref("mail.identity.id1.fullName", "Alice Example");`} {
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("user.js lacks %s:\n%s", want, out)
				}
			}
		},
		export.Apple: func(t *testing.T, out []byte) {
			if !bytes.HasPrefix(out, []byte("<?xml")) || !bytes.Contains(out, []byte("com.apple.mail.managed")) ||
				!bytes.Contains(out, []byte("mail.example.org")) {
				t.Errorf("not an unsigned mail profile naming mail.example.org:\n%.400s", out)
			}
		},
		export.QR: func(t *testing.T, out []byte) {
			if !bytes.HasPrefix(out, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("not a PNG: %q", out[:min(len(out), 8)])
			}
		},
		export.JSON: func(t *testing.T, out []byte) {
			var back detect.Report
			if err := json.Unmarshal(out, &back); err != nil || back.Address != rep.Address || len(back.Incoming) != 2 {
				t.Errorf("reads back as %+v, %v", back, err)
			}
		},
		export.HTML: func(t *testing.T, out []byte) {
			if !bytes.Contains(out, []byte("<html")) || !bytes.Contains(out, []byte("mail.example.org")) {
				t.Errorf("not an HTML report naming mail.example.org:\n%.400s", out)
			}
		},
		export.Zone: func(t *testing.T, out []byte) {
			zp := dns.NewZoneParser(bytes.NewReader(out), "", "")
			var srv, tlsa int
			for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
				switch rr.(type) {
				case *dns.SRV:
					srv++
				case *dns.TLSA:
					tlsa++
				}
			}
			// The zone always has the alternatives: 993, 143, 465, 587
			// and "." for the two POP3 services; a TLSA per host:port.
			if err := zp.Err(); err != nil || srv != 6 || tlsa != 4 {
				t.Errorf("zone: %d SRV, %d TLSA, error %v; want 6 SRV, 4 TLSA:\n%s", srv, tlsa, err, out)
			}
			checkPACCRecord(t, rep, out)
		},
		export.PACC: func(t *testing.T, out []byte) {
			d, err := pacc.Parse(out)
			if err != nil || d.Protocols.IMAP == nil || d.Protocols.IMAP.Host != "mail.example.org" || d.Protocols.SMTP == nil ||
				d.Protocols.POP3 != nil || d.Protocols.CalDAV != nil {
				t.Errorf("pacc export reads back as %+v, %v; want mail.example.org and smtp.example.org only:\n%s", d, err, out)
			}
		},
	}
	if len(checks) != len(export.Formats) {
		t.Fatalf("%d formats checked, %d exist", len(checks), len(export.Formats))
	}
	for _, info := range export.Formats {
		t.Run(string(info.Format), func(t *testing.T) {
			out, err := export.Write(rep, info.Format, &export.Options{Name: "Alice Example"})
			if err != nil {
				t.Fatalf("Write(%s) = %v", info.Format, err)
			}
			checks[info.Format](t, out)
			if name := export.FileName(rep, info.Format); !strings.HasSuffix(name, info.Ext) {
				t.Errorf("FileName(%s) = %q, want the extension %s", info.Format, name, info.Ext)
			}
		})
	}
}

// checkPACCRecord: the zone's _ua-auto-config TXT record holds the digest
// of the exact bytes the pacc format writes.
func checkPACCRecord(t *testing.T, rep *detect.Report, zone []byte) {
	t.Helper()
	doc, err := export.Write(rep, export.PACC, nil)
	if err != nil {
		t.Fatal(err)
	}
	zp := dns.NewZoneParser(bytes.NewReader(zone), "", "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if txt, ok := rr.(*dns.TXT); ok && txt.Hdr.Name == "_ua-auto-config."+rep.Domain+"." {
			rec, err := pacc.ParseRecord(pacc.JoinTXT(txt.Txt))
			if err != nil {
				t.Fatalf("zone TXT %q: %v", txt.Txt, err)
			}
			if err := pacc.Verify(doc, rec); err != nil {
				t.Errorf("zone TXT record does not match the pacc export: %v", err)
			}
			return
		}
	}
	t.Errorf("zone has no _ua-auto-config TXT record:\n%s", zone)
}

// TestWritePACCServices: the report's recommended JMAP, CalDAV and CardDAV
// services go into the PACC document; alternatives and plain http do not.
func TestWritePACCServices(t *testing.T) {
	rep := secureReport()
	svc := func(p autoconfig.Protocol, u string, rec bool, sec autoconfig.Security) detect.Service {
		return detect.Service{Recommended: rec, Protocol: p, URL: u, Host: "dav.example.org", Port: 443, Security: sec,
			Probe: detect.ProbeReport{Status: detect.ProbeOK, Cert: &detect.CertReport{Valid: true}}}
	}
	rep.Calendar = []detect.Service{svc(autoconfig.CalDAV, "https://dav.example.org/cal/", true, autoconfig.TLS),
		svc(autoconfig.CalDAV, "https://dav.example.org/other/", false, autoconfig.TLS)}
	rep.Contacts = []detect.Service{svc(autoconfig.CardDAV, "http://dav.example.org/card/", false, autoconfig.Plain)}
	rep.JMAP = []detect.Service{svc(autoconfig.JMAP, "https://dav.example.org/jmap", true, autoconfig.TLS)}
	out, err := export.Write(rep, export.PACC, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pacc.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	p := d.Protocols
	if p.CalDAV == nil || p.CalDAV.URL != "https://dav.example.org/cal/" || p.JMAP == nil || p.JMAP.URL != "https://dav.example.org/jmap" || p.CardDAV != nil {
		t.Errorf("Write(pacc) = %s, want the recommended CalDAV and JMAP URLs and no CardDAV", out)
	}
}

// TestWriteRefusesUnverified edits a verified report as someone might edit
// a saved one: every settings format must refuse it, whatever the
// recommended flag says; the reports still describe it.
func TestWriteRefusesUnverified(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(r *detect.Report)
		reason detect.Unverified
		server string
	}{
		{"incoming plain", func(r *detect.Report) { r.Incoming[0].Security = autoconfig.Plain }, detect.UnverifiedPlain, "mail.example.org:993"},
		{"incoming no security", func(r *detect.Report) { r.Incoming[0].Security = "" }, detect.UnverifiedPlain, "mail.example.org:993"},
		{"outgoing plain", func(r *detect.Report) { r.Outgoing[0].Security = autoconfig.Plain }, detect.UnverifiedPlain, "smtp.example.org:465"},
		{"probe timeout", func(r *detect.Report) { r.Incoming[0].Probe.Status = detect.ProbeTimeout }, detect.UnverifiedProbe, "mail.example.org:993"},
		{"certificate invalid", func(r *detect.Report) { r.Outgoing[0].Probe.Cert.Valid = false }, detect.UnverifiedCert, "smtp.example.org:465"},
		{"no certificate", func(r *detect.Report) { r.Incoming[0].Probe.Cert = nil }, detect.UnverifiedCert, "mail.example.org:993"},
		{"dane mismatch", func(r *detect.Report) { r.Incoming[0].Probe.DANE = detect.DANEMismatch }, detect.UnverifiedDANE, "mail.example.org:993"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := secureReport()
			tc.edit(rep)
			for _, info := range export.Formats {
				out, err := export.Write(rep, info.Format, &export.Options{AllServers: true})
				if !info.Settings {
					if err != nil {
						t.Errorf("Write(%s) = %v, want the report", info.Format, err)
					}
					continue
				}
				nv, ok := errors.AsType[*detect.NotVerifiedError](err)
				if !ok || !errors.Is(err, detect.ErrNotVerified) || out != nil {
					t.Errorf("Write(%s) = %d bytes, %v; want a *detect.NotVerifiedError", info.Format, len(out), err)
					continue
				}
				if nv.Reason != tc.reason || nv.Server != tc.server || !nv.Recommended {
					t.Errorf("Write(%s) refused %s for %q (recommended %v), want %s for %q", info.Format, nv.Server, nv.Reason, nv.Recommended, tc.server, tc.reason)
				}
			}
		})
	}
}

func TestWriteNothingRecommended(t *testing.T) {
	rep := secureReport()
	rep.Incoming[0].Recommended, rep.Outgoing[0].Recommended = false, false
	for _, info := range export.Formats {
		_, err := export.Write(rep, info.Format, nil)
		if info.Settings && !errors.Is(err, detect.ErrNothingVerified) {
			t.Errorf("Write(%s) = %v, want ErrNothingVerified", info.Format, err)
		}
		if !info.Settings && err != nil {
			t.Errorf("Write(%s) = %v, want the report", info.Format, err)
		}
	}
}

// TestWriteAllServersSkipsUnverified: an alternative that is not verified
// is left out of --all-servers, silently (it is not recommended).
func TestWriteAllServersSkipsUnverified(t *testing.T) {
	rep := secureReport()
	rep.Incoming[1].Security = autoconfig.Plain
	out, err := export.Write(rep, export.Autoconfig, &export.Options{AllServers: true})
	if err != nil {
		t.Fatalf("Write = %v", err)
	}
	cfg, err := autoconfig.ReadMozilla(bytes.NewReader(out), autoconfig.Vars{})
	if err != nil || len(cfg.Incoming) != 1 || len(cfg.Outgoing) != 2 {
		t.Errorf("exported %+v, %v; want 1 incoming (the plain alternative left out) and 2 outgoing", cfg, err)
	}
}

func TestWritePassword(t *testing.T) {
	rep := secureReport()
	const pw = "correct horse"
	for _, f := range []export.Format{export.Autoconfig, export.Thunderbird, export.Autodiscover, export.Zone, export.JSON, export.HTML, export.Apple} {
		out, err := export.Write(rep, f, &export.Options{IncludePassword: true, Password: pw})
		if !errors.Is(err, export.ErrPasswordRefused) || out != nil {
			t.Errorf("Write(%s, with password) = %d bytes, %v; want ErrPasswordRefused", f, len(out), err)
		}
	}
	for _, f := range []export.Format{export.Autoconfig, export.Thunderbird, export.Autodiscover, export.Zone, export.Apple} {
		out, err := export.Write(rep, f, nil)
		if err != nil || bytes.Contains(out, []byte(pw)) {
			t.Errorf("Write(%s) = %v, or carries the password", f, err)
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	if out, err := export.Write(secureReport(), "pdf", nil); !errors.Is(err, export.ErrUnknownFormat) || out != nil {
		t.Errorf("Write(pdf) = %d bytes, %v; want ErrUnknownFormat", len(out), err)
	}
}
