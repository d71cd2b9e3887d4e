package detect_test

import (
	"errors"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/servicefixture"
)

// serviceReport is a report with verified mail servers recommended and the
// services of package servicefixture.
func serviceReport() *detect.Report {
	ok := detect.ProbeReport{Status: detect.ProbeOK, Cert: &detect.CertReport{Valid: true}}
	rep := &detect.Report{Address: "alice@example.org", Domain: "example.org",
		Incoming: []detect.Server{{Recommended: true, Protocol: autoconfig.IMAP, Host: "mail.example.org", Port: 993,
			Security: autoconfig.TLS, Username: "alice@example.org", Probe: ok}},
		Outgoing: []detect.Server{{Recommended: true, Protocol: autoconfig.SMTP, Host: "mail.example.org", Port: 465,
			Security: autoconfig.TLS, Username: "alice@example.org", Probe: ok}},
	}
	servicefixture.Add(rep)
	return rep
}

func TestReportConfigServices(t *testing.T) {
	cfg, err := serviceReport().Config(nil)
	if err != nil {
		t.Fatalf("Config() error = %v", err)
	}
	if len(cfg.Calendars) != 1 || len(cfg.AddressBooks) != 1 || len(cfg.Incoming) != 2 {
		t.Fatalf("Config() = %d calendars, %d address books, %d incoming; want 1, 1, 2 (IMAP then JMAP)",
			len(cfg.Calendars), len(cfg.AddressBooks), len(cfg.Incoming))
	}
	cal := cfg.Calendars[0]
	if cal.Protocol != autoconfig.CalDAV || cal.URL != "https://dav.example.org/caldav/" || cal.Username != "alice@example.org" ||
		cal.Principal != "https://dav.example.org/caldav/principals/alice@example.org/" || cal.Hostname != "" {
		t.Errorf("Config().Calendars[0] = %+v, want the CalDAV URL, user and principal, no host name", cal)
	}
	if cfg.AddressBooks[0].URL != "https://dav.example.org/carddav/" || cfg.AddressBooks[0].Principal != "" {
		t.Errorf("Config().AddressBooks[0] = %+v, want the CardDAV URL and no principal", cfg.AddressBooks[0])
	}
	if j := cfg.Incoming[1]; j.Protocol != autoconfig.JMAP || j.URL != "https://jmap.example.org/.well-known/jmap" {
		t.Errorf("Config().Incoming[1] = %+v, want the JMAP session URL", j)
	}
	admin, err := serviceReport().Config(&detect.ConfigOptions{Placeholders: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := admin.Calendars[0]; c.Username != "%EMAILADDRESS%" || c.Principal != "" {
		t.Errorf("Config(Placeholders).Calendars[0] = %+v, want %%EMAILADDRESS%% and no principal", c)
	}
}

// TestReportConfigServicesVerified: only recommended, verified services
// are exported, by the rule of mail servers.
func TestReportConfigServicesVerified(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(r *detect.Report)
		reason detect.Unverified // "" = no error
		cals   int
	}{
		{"as found", func(r *detect.Report) {}, "", 1},
		{"not recommended", func(r *detect.Report) { r.Calendar[0].Recommended = false }, "", 0},
		{"edited to plain", func(r *detect.Report) { r.Calendar[0].Security = autoconfig.Plain }, detect.UnverifiedPlain, 0},
		{"probe failed", func(r *detect.Report) { r.Contacts[0].Probe.Status = detect.ProbeTLSError }, detect.UnverifiedProbe, 0},
		{"certificate invalid", func(r *detect.Report) { r.JMAP[0].Probe.Cert.Valid = false }, detect.UnverifiedCert, 0},
		{"DANE mismatch", func(r *detect.Report) { r.Calendar[0].Probe.DANE = detect.DANEMismatch }, detect.UnverifiedDANE, 0},
		{"plain alternative recommended", func(r *detect.Report) { r.Calendar = r.Calendar[1:]; r.Calendar[0].Recommended = true }, detect.UnverifiedPlain, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := serviceReport()
			tt.mod(rep)
			cfg, err := rep.Config(nil)
			if tt.reason == "" {
				if err != nil || len(cfg.Calendars) != tt.cals {
					t.Fatalf("Config() = %v calendars, %v; want %d, nil", cfg, err, tt.cals)
				}
				return
			}
			var nv *detect.NotVerifiedError
			if !errors.As(err, &nv) || nv.Reason != tt.reason || !nv.Recommended || !errors.Is(err, detect.ErrNotVerified) {
				t.Fatalf("Config() error = %v, want a NotVerifiedError %s of a recommended service", err, tt.reason)
			}
		})
	}
}
