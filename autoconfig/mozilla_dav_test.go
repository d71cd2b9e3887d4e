package autoconfig_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// mozDAVDoc is a document with an IMAP and an SMTP server and, under
// clientConfig as the draft puts them, the given calendar and addressbook
// sections.
func mozDAVDoc(sections ...string) string {
	doc := mozDoc(imapWith(nil), smtpOK)
	return strings.Replace(doc, "</clientConfig>", strings.Join(sections, "\n")+"\n</clientConfig>", 1)
}

// TestReadMozillaDAV reads the draft's <calendar type="caldav"> and
// <addressbook type="carddav"> sections
// (draft-ietf-mailmaint-autoconfig, "Server sections", "type").
func TestReadMozillaDAV(t *testing.T) {
	doc := mozDAVDoc(
		mozServer("addressbook", "carddav", `<url>https://contacts.example.com/remote.php/dav</url><authentication system="http">Basic</authentication><username>%EMAILADDRESS%</username>`),
		mozServer("calendar", "CalDAV", `<url>https://calendar.%EMAILDOMAIN%/dav/</url><authentication>OAuth2</authentication><username>%EMAILLOCALPART%</username>`),
		mozServer("calendar", "caldav", `<url>http://calendar.example.com/dav/</url>`),
		mozServer("calendar", "caldav", `<hostname>calendar.example.com</hostname>`),
		mozServer("calendar", "ical", `<url>https://calendar.example.com/x.ics</url>`),
		mozServer("addressbook", "carddav", `<url>https://contacts.example.com/</url><username>a&#10;b</username>`),
		mozServer("fileShare", "webdav", `<url>https://share.example.com/</url>`),
	)
	c := readMoz(t, doc, fullVars)
	wantCal := []autoconfig.Server{{Protocol: autoconfig.CalDAV, URL: "https://calendar.example.com/dav/",
		Auth: []autoconfig.Auth{autoconfig.AuthOAuth2}, Username: "fred"}}
	wantBook := []autoconfig.Server{{Protocol: autoconfig.CardDAV, URL: "https://contacts.example.com/remote.php/dav",
		Auth: []autoconfig.Auth{"Basic"}, Username: "fred@example.com"}}
	if !reflect.DeepEqual(c.Calendars, wantCal) {
		t.Errorf("ReadMozilla().Calendars = %+v, want %+v", c.Calendars, wantCal)
	}
	if !reflect.DeepEqual(c.AddressBooks, wantBook) {
		t.Errorf("ReadMozilla().AddressBooks = %+v, want %+v", c.AddressBooks, wantBook)
	}
	if len(c.Incoming) != 1 || len(c.Outgoing) != 1 {
		t.Errorf("ReadMozilla() mail servers = %d in, %d out, want 1 and 1", len(c.Incoming), len(c.Outgoing))
	}
	wantProblems := []string{
		`calendar type "caldav" at line 16: ignored url: "http://calendar.example.com/dav/" is not an https URL`,
		`calendar type "caldav" at line 16 rejected: no https url`,
		`calendar type "caldav" at line 17 rejected: no https url`,
		`calendar type "ical" at line 18 ignored: only type "caldav" is read`,
		`addressbook type "carddav" at line 19 rejected: username`,
	}
	if len(c.Problems) != len(wantProblems) {
		t.Fatalf("ReadMozilla().Problems = %q, want %d", c.Problems, len(wantProblems))
	}
	for i, w := range wantProblems {
		if !strings.HasPrefix(c.Problems[i], w) {
			t.Errorf("ReadMozilla().Problems[%d] = %q, want prefix %q", i, c.Problems[i], w)
		}
	}
	// Inside emailProvider they are not where the draft puts them.
	in := mozDoc(imapWith(nil), smtpOK, mozServer("calendar", "caldav", `<url>https://calendar.example.com/</url>`))
	if c := readMoz(t, in, autoconfig.Vars{}); len(c.Calendars) != 0 {
		t.Errorf("ReadMozilla(calendar under emailProvider).Calendars = %+v, want none", c.Calendars)
	}
}

// TestWriteMozillaDAVRoundTrip writes calendars and address books and reads
// them back with a zero Vars.
func TestWriteMozillaDAVRoundTrip(t *testing.T) {
	cfg := exportConfig()
	cfg.Calendars = []autoconfig.Server{
		{Protocol: autoconfig.CalDAV, URL: "https://calendar.example.com/dav/calendars/%EMAILADDRESS%/",
			Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"},
		{Protocol: autoconfig.CalDAV, URL: "https://dav.example.com:8443/", Auth: []autoconfig.Auth{"Basic", "Digest"}},
	}
	cfg.AddressBooks = []autoconfig.Server{
		{Protocol: autoconfig.CardDAV, URL: "https://contacts.example.com/", Username: "%EMAILLOCALPART%"},
	}
	data := writeMoz(t, cfg)
	for _, want := range []string{
		"  </emailProvider>\n  <calendar type=\"caldav\">\n",
		"    <authentication system=\"http\">Basic</authentication>\n",
		"  <addressbook type=\"carddav\">\n    <username>%EMAILLOCALPART%</username>\n    <url>https://contacts.example.com/</url>\n  </addressbook>\n</clientConfig>\n",
	} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("WriteMozilla() lacks %q:\n%s", want, data)
		}
	}
	got, err := autoconfig.ReadMozilla(bytes.NewReader(data), autoconfig.Vars{})
	if err != nil {
		t.Fatalf("ReadMozilla(WriteMozilla()) error = %v\n%s", err, data)
	}
	if len(got.Problems) != 0 {
		t.Errorf("ReadMozilla(WriteMozilla()).Problems = %q, want none", got.Problems)
	}
	got.Problems = nil
	if !reflect.DeepEqual(got, cfg) {
		t.Errorf("ReadMozilla(WriteMozilla()) =\n%+v\nwant\n%+v\n%s", got, cfg, data)
	}
}

func TestWriteMozillaDAVInvalid(t *testing.T) {
	cal := autoconfig.Server{Protocol: autoconfig.CalDAV, URL: "https://calendar.example.com/"}
	tests := []struct {
		name string
		mod  func(c *autoconfig.Config)
		text string
	}{
		{"http url", func(c *autoconfig.Config) {
			cal := cal
			cal.URL = "http://calendar.example.com/"
			c.Calendars = []autoconfig.Server{cal}
		},
			"Calendars[0] (caldav): url: \"http://calendar.example.com/\" is not an https URL"},
		{"no url", func(c *autoconfig.Config) { cal := cal; cal.URL = ""; c.Calendars = []autoconfig.Server{cal} }, "Calendars[0] (caldav): no url"},
		{"wrong list", func(c *autoconfig.Config) { c.AddressBooks = []autoconfig.Server{cal} }, "AddressBooks[0] (caldav): type \"caldav\", want carddav"},
		{"username with LF", func(c *autoconfig.Config) {
			cal := cal
			cal.Username = "a\nb"
			c.Calendars = []autoconfig.Server{cal}
		}, "Calendars[0] (caldav): username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := exportConfig()
			tt.mod(cfg)
			var w countingWriter
			err := autoconfig.WriteMozilla(&w, cfg)
			if !errors.Is(err, autoconfig.ErrExportInvalid) || !strings.Contains(err.Error(), tt.text) {
				t.Errorf("WriteMozilla() error = %v, want ErrExportInvalid with %q", err, tt.text)
			}
			if w.n != 0 {
				t.Errorf("WriteMozilla() wrote %d bytes before failing, want 0", w.n)
			}
		})
	}
}
