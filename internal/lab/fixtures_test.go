package lab_test

import (
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// TestFixtureWriters reads the shared fixture documents back with the
// readers the engine uses.
func TestFixtureWriters(t *testing.T) {
	v := autoconfig.Vars{Address: "alice@x.test", LocalPart: "alice", Domain: "x.test"}
	cfg, err := autoconfig.ReadMozilla(strings.NewReader(lab.MozillaXML("X mail", "x.test",
		lab.ConfigServer{Type: "imap", Host: "imap.x.test", Port: 993, Socket: "SSL"},
		lab.ConfigServer{Type: "smtp", Host: "smtp.x.test", Port: 587, Socket: "STARTTLS"})), v)
	if err != nil || cfg.DisplayName != "X mail" || len(cfg.Incoming) != 1 || len(cfg.Outgoing) != 1 ||
		cfg.Incoming[0].Security != autoconfig.TLS || cfg.Outgoing[0].Security != autoconfig.STARTTLS ||
		cfg.Incoming[0].Username != "alice@x.test" {
		t.Errorf("ReadMozilla(MozillaXML) = %+v, %v; want imap.x.test:993 SSL and smtp.x.test:587 STARTTLS for alice@x.test", cfg, err)
	}
	res, err := autoconfig.ReadAutodiscover(strings.NewReader(lab.AutodiscoverXML(
		[4]string{"IMAP", "imap.x.test", "993", ""}, [4]string{"SMTP", "smtp.x.test", "587", "TLS"})), v)
	if err != nil || res.Config == nil || len(res.Config.Incoming) != 1 || len(res.Config.Outgoing) != 1 ||
		res.Config.Outgoing[0].Security != autoconfig.STARTTLS {
		t.Errorf("ReadAutodiscover(AutodiscoverXML) = %+v, %v; want IMAP 993 and SMTP 587 STARTTLS", res, err)
	}
}
