package autoconfig_test

import (
	"context"
	"strings"
	"testing"

	"howett.net/plist"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// TestAppleProfileOfPACCScenario: the Apple profile exported from a real
// run of the lab's pacc.test (mail, calendar and contacts found from a
// PACC document, issue 16) passes the schema checks, with a mail, a
// CalDAV and a CardDAV payload naming the servers the run verified.
func TestAppleProfileOfPACCScenario(t *testing.T) {
	l, err := lab.Start(lab.Options{})
	if err != nil {
		t.Fatalf("lab.Start: %v", err)
	}
	defer l.Close()
	rep, err := detect.Run(context.Background(), lab.User("pacc.test"), l.DetectOptions())
	if err != nil {
		t.Fatal(err)
	}
	data, err := export.Write(rep, export.Apple, &export.Options{Name: "Alice Example"})
	if err != nil {
		t.Fatalf("export apple of pacc.test: %v", err)
	}
	if problems := loadAppleSchema(t).check(data); len(problems) > 0 {
		t.Errorf("pacc.test profile: %s", strings.Join(problems, "; "))
	}
	var p struct{ PayloadContent []map[string]any }
	if _, err := plist.Unmarshal(data, &p); err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, c := range p.PayloadContent {
		types = append(types, c["PayloadType"].(string))
	}
	want := []string{"com.apple.mail.managed", "com.apple.caldav.account", "com.apple.carddav.account"}
	if strings.Join(types, " ") != strings.Join(want, " ") {
		t.Fatalf("pacc.test profile payloads = %v, want %v", types, want)
	}
	if h := p.PayloadContent[0]["IncomingMailServerHostName"]; h != "mail.pacc.test" {
		t.Errorf("mail payload host = %v, want mail.pacc.test", h)
	}
	for i, key := range []string{"CalDAVHostName", "CardDAVHostName"} {
		if h := p.PayloadContent[i+1][key]; h != "dav.pacc.test" {
			t.Errorf("%s = %v, want dav.pacc.test", key, h)
		}
	}
}
