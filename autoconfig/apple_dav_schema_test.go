package autoconfig_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"howett.net/plist"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// The payload keys of com.apple.caldav.account and com.apple.carddav.account,
// from Apple's device-management repository
// (https://github.com/apple/device-management, commit
// 0a4527c5ea21825fd23e08273ccdb9e2302458ce, files
// mdm/profiles/com.apple.caldav.account.yaml and
// mdm/profiles/com.apple.carddav.account.yaml, MIT licence as
// ../shared/specs/apple/LICENSE.txt). The shared reference folder has only
// the mail and common files, and tests read nothing else from disk, so the
// part the checker reads (payload type; each key's type, presence and
// supportedOS) is copied here verbatim, the prose "content" lines and the
// payload's supportedOS block left out. CommunicationServiceRules
// (iOS-only, a dictionary the writer never emits) keeps its top line only.

const appleCalDAVYAML = `title: CalDAV
payload:
  payloadtype: com.apple.caldav.account
payloadkeys:
- key: CalDAVAccountDescription
  type: <string>
  presence: optional
- key: CalDAVHostName
  type: <string>
  presence: required
- key: CalDAVUsername
  type: <string>
  presence: optional
- key: CalDAVPassword
  type: <string>
  presence: optional
- key: CalDAVPrincipalURL
  type: <string>
  presence: optional
- key: CalDAVUseSSL
  type: <boolean>
  presence: optional
  default: true
- key: CalDAVPort
  type: <integer>
  presence: optional
- key: VPNUUID
  supportedOS:
    iOS:
      introduced: '14.0'
    macOS:
      introduced: n/a
  type: <string>
  presence: optional
`

const appleCardDAVYAML = `title: CardDAV
payload:
  payloadtype: com.apple.carddav.account
payloadkeys:
- key: CardDAVAccountDescription
  supportedOS:
    macOS:
      introduced: '10.7'
  type: <string>
  presence: optional
- key: CardDAVHostName
  supportedOS:
    macOS:
      introduced: '10.7'
  type: <string>
  presence: required
- key: CardDAVUsername
  supportedOS:
    macOS:
      introduced: '10.7'
  type: <string>
  presence: optional
- key: CardDAVPassword
  supportedOS:
    macOS:
      introduced: '10.7'
  type: <string>
  presence: optional
- key: CardDAVPrincipalURL
  supportedOS:
    macOS:
      introduced: n/a
  type: <string>
  presence: optional
- key: CardDAVUseSSL
  supportedOS:
    macOS:
      introduced: '10.7'
  type: <boolean>
  presence: optional
  default: true
- key: CardDAVPort
  supportedOS:
    macOS:
      introduced: '10.7'
  type: <integer>
  presence: optional
- key: CommunicationServiceRules
  supportedOS:
    iOS:
      introduced: '10.0'
    macOS:
      introduced: n/a
  type: <dictionary>
  presence: optional
- key: VPNUUID
  supportedOS:
    iOS:
      introduced: '14.0'
    macOS:
      introduced: n/a
  type: <string>
  presence: optional
`

// TestAppleDAVPayloads checks the calendar and contacts payloads: every key
// emitted exists in Apple's schema with its type, the required ones (the
// common PayloadType, PayloadIdentifier, PayloadUUID, PayloadVersion and
// the host names) are there, and a tampered payload is reported.
func TestAppleDAVPayloads(t *testing.T) {
	schema := loadAppleSchema(t)
	good := writeApple(t, appleDAVConfig(), appleFred, nil)
	if p := schema.check(good); len(p) > 0 {
		t.Fatalf("profile with calendars: %v", p)
	}
	var top map[string]any
	if _, err := plist.Unmarshal(good, &top); err != nil {
		t.Fatal(err)
	}
	content := top["PayloadContent"].([]any)
	want := []string{"com.apple.mail.managed", "com.apple.caldav.account", "com.apple.carddav.account"}
	if len(content) != len(want) {
		t.Fatalf("PayloadContent has %d payloads, want %d", len(content), len(want))
	}
	for i, w := range want {
		d := content[i].(map[string]any)
		if d["PayloadType"] != w {
			t.Errorf("payload %d PayloadType = %v, want %s", i, d["PayloadType"], w)
		}
		for _, k := range []string{"PayloadIdentifier", "PayloadUUID", "PayloadVersion", "PayloadDisplayName"} {
			if _, ok := d[k]; !ok {
				t.Errorf("payload %d (%s) lacks %s", i, w, k)
			}
		}
	}
	cal, book := content[1].(map[string]any), content[2].(map[string]any)
	if cal["CalDAVHostName"] != "dav.example.com" || cal["CalDAVPort"] != uint64(443) || cal["CalDAVUseSSL"] != true ||
		cal["CalDAVPrincipalURL"] != "https://dav.example.com/caldav/principals/fred/" || cal["CalDAVUsername"] != "fred@example.com" {
		t.Errorf("CalDAV payload = %v", cal)
	}
	if book["CardDAVHostName"] != "contacts.example.com" || book["CardDAVPort"] != uint64(8443) || book["CardDAVUsername"] != "fred" {
		t.Errorf("CardDAV payload = %v", book)
	}

	tests := []struct {
		name   string
		tamper func(cal, book map[string]any)
		want   string
	}{
		{"unknown key", func(cal, _ map[string]any) { cal["CalDAVUseTLS"] = true }, "CalDAVUseTLS"},
		{"port as string", func(_, book map[string]any) { book["CardDAVPort"] = "443" }, "CardDAVPort"},
		{"SSL as string", func(cal, _ map[string]any) { cal["CalDAVUseSSL"] = "yes" }, "CalDAVUseSSL"},
		{"required host missing", func(cal, _ map[string]any) { delete(cal, "CalDAVHostName") }, "CalDAVHostName"},
		{"common key missing", func(_, book map[string]any) { delete(book, "PayloadUUID") }, "PayloadUUID"},
		{"key macOS lacks", func(_, book map[string]any) { book["CardDAVPrincipalURL"] = "https://x.example/" }, "CardDAVPrincipalURL"},
		{"mail key in a CalDAV payload", func(cal, _ map[string]any) { cal["EmailAddress"] = "fred@example.com" }, "EmailAddress"},
		{"unknown payload type", func(cal, _ map[string]any) { cal["PayloadType"] = "com.apple.ical.account" }, "PayloadType"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkTampered(t, schema, good, func(m map[string]any) {
				c := m["PayloadContent"].([]any)
				tt.tamper(c[1].(map[string]any), c[2].(map[string]any))
			}, tt.want)
		})
	}
}

// TestAppleDAVLeftOut: a calendar that signs in only with OAuth2 is left
// out (the payload cannot carry it), an http one is refused.
func TestAppleDAVLeftOut(t *testing.T) {
	c := appleDAVConfig()
	c.Calendars[0].Auth = []autoconfig.Auth{autoconfig.AuthOAuth2}
	var top struct{ PayloadContent []map[string]any }
	if _, err := plist.Unmarshal(writeApple(t, c, appleFred, nil), &top); err != nil {
		t.Fatal(err)
	}
	if len(top.PayloadContent) != 2 || top.PayloadContent[1]["PayloadType"] != "com.apple.carddav.account" {
		t.Errorf("OAuth2-only calendar: payloads %v, want mail and CardDAV", top.PayloadContent)
	}
	c = appleDAVConfig()
	c.AddressBooks[0].URL = "http://contacts.example.com/"
	err := autoconfig.WriteAppleProfile(&bytes.Buffer{}, c, appleFred, nil)
	if !errors.Is(err, autoconfig.ErrAppleUnsupported) || !strings.Contains(err.Error(), "CARDDAV server URL") {
		t.Errorf("WriteAppleProfile(http address book) = %v, want ErrAppleUnsupported naming the CardDAV URL", err)
	}
}
