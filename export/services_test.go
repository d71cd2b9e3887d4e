package export_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/internal/servicefixture"
)

// serviceReport is secureReport with calendars, contacts and JMAP found.
func serviceReport() *detect.Report {
	rep := secureReport()
	servicefixture.Add(rep)
	return rep
}

// TestWriteServices: the formats that can say so carry the verified
// services, the others carry mail only (and Notes says where to add the
// rest).
func TestWriteServices(t *testing.T) {
	rep := serviceReport()
	for _, info := range export.Formats {
		t.Run(string(info.Format), func(t *testing.T) {
			out, err := export.Write(rep, info.Format, nil)
			if err != nil {
				t.Fatalf("Write() error = %v", err)
			}
			plain, _ := export.Write(secureReport(), info.Format, nil)
			notes := export.Notes(rep, info.Format)
			switch info.Format {
			case export.Autoconfig:
				cfg, err := autoconfig.ReadMozilla(bytes.NewReader(out), autoconfig.Vars{})
				if err != nil || len(cfg.Calendars) != 1 || len(cfg.AddressBooks) != 1 ||
					cfg.Calendars[0].URL != "https://dav.example.org/caldav/" || cfg.Calendars[0].Username != "%EMAILADDRESS%" ||
					len(cfg.Incoming) != 2 || cfg.Incoming[1].Protocol != autoconfig.JMAP {
					t.Errorf("reads back as %+v, %v; want a calendar, an address book and JMAP after IMAP:\n%s", cfg, err, out)
				}
			case export.Apple:
				for _, w := range []string{"com.apple.caldav.account", "com.apple.carddav.account",
					"<string>https://dav.example.org/caldav/principals/alice@example.org/</string>"} {
					if !bytes.Contains(out, []byte(w)) {
						t.Errorf("Apple profile lacks %s", w)
					}
				}
			case export.Thunderbird, export.QR, export.Autodiscover:
				if info.Format != export.QR && !bytes.Equal(out, plain) {
					t.Errorf("%s differs with services found; it carries mail only", info.Format)
				}
				if len(notes) != 1 || !strings.Contains(notes[0], "https://dav.example.org/caldav/") ||
					!strings.Contains(notes[0], "https://dav.example.org/carddav/") {
					t.Errorf("Notes(%s) = %q, want one naming the calendar and contacts URLs", info.Format, notes)
				}
			case export.JSON:
				if !bytes.Contains(out, []byte(`"calendar": [`)) || !bytes.Contains(out, []byte(`"principal": "https://dav.example.org/`)) {
					t.Errorf("JSON lacks the calendar list")
				}
			}
			if info.Format != export.Thunderbird && info.Format != export.QR && info.Format != export.Autodiscover && len(notes) != 0 {
				t.Errorf("Notes(%s) = %q, want none", info.Format, notes)
			}
		})
	}
	// No note without services, nor for a service that is not verified.
	if n := export.Notes(secureReport(), export.Thunderbird); n != nil {
		t.Errorf("Notes(thunderbird, mail only) = %q, want none", n)
	}
	rep = serviceReport()
	rep.Calendar[0].Probe.Status, rep.Contacts[0].Recommended = detect.ProbeTLSError, false
	if n := export.Notes(rep, export.Thunderbird); n != nil {
		t.Errorf("Notes(thunderbird, unverified services) = %q, want none", n)
	}
	rep = serviceReport()
	rep.Lang = "fr"
	if n := export.Notes(rep, export.QR); len(n) != 1 || !strings.Contains(n[0], "agendas") {
		t.Errorf("Notes(qr, fr) = %q, want the French note", n)
	}
}
