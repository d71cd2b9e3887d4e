package autoconfig_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

func FuzzReadMozilla(f *testing.F) {
	f.Add([]byte(mozDoc(imapWith(nil), smtpOK)))
	f.Add([]byte(mozDoc(imapWith(map[string]string{"hostname": "mail.%EMAILDOMAIN%", "socketType": "starttls", "port": "143"}))))
	f.Add([]byte(mozDoc(imapWith(map[string]string{"hostname": "Bücher.example", "authentication": "<authentication>x</authentication><authentication>OAuth2</authentication>"}))))
	f.Add([]byte(mozDoc(mozServer("incomingServer", "ews", "<url>https://x.example/ews</url>"), smtpOK)))
	f.Add([]byte(mozDAVDoc(mozServer("calendar", "caldav", `<url>https://cal.%EMAILDOMAIN%/</url><authentication system="http">Basic</authentication>`),
		mozServer("addressbook", "carddav", "<url>http://contacts.example.com/</url><username>%EMAILADDRESS%</username>"))))
	f.Add([]byte(`<?xml version="1.0" encoding="iso-8859-1"?><clientConfig><emailProvider id="x"><displayName>Caf` + "\xe9" + `</displayName>` + smtpOK + `</emailProvider></clientConfig>`))
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY a "b">]><clientConfig>&a;</clientConfig>`))
	// A few real files of the ISP database, when the shared corpus is there.
	for _, name := range []string{"gmx.com.xml", "office365.com.xml", "t-online.de.xml", "yahoo.com.xml", "kokuyou.ne.jp.xml", "mail.ru.xml"} {
		if data, err := os.ReadFile(filepath.Join(ispdbDir, name)); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range []autoconfig.Vars{{}, fullVars} {
			c, err := autoconfig.ReadMozilla(bytes.NewReader(data), v)
			if err != nil {
				if c != nil {
					t.Fatalf("ReadMozilla() = %+v, %v; want nil config with an error", c, err)
				}
				continue
			}
			checkInvariants(t, c)
			if len(c.Problems) > 101 {
				t.Fatalf("ReadMozilla() has %d problems, want at most 101", len(c.Problems))
			}
			if v == fullVars {
				for _, s := range append(c.Incoming, c.Outgoing...) {
					if strings.Contains(s.Hostname, "%") {
						t.Fatalf("ReadMozilla(fullVars) host %q keeps a placeholder", s.Hostname)
					}
				}
			}
			for _, s := range append(c.Calendars, c.AddressBooks...) {
				if !strings.HasPrefix(s.URL, "https://") {
					t.Fatalf("ReadMozilla() kept %s URL %q, want https only", s.Protocol, s.URL)
				}
			}
		}
	})
}

func FuzzReadAutodiscover(f *testing.F) {
	f.Add([]byte(adDoc(adProto("Type", "IMAP", "Server", "imap.example.com", "Port", "993", "SSL", "on") +
		adProto("Type", "SMTP", "Server", "smtp.example.com", "Port", "587", "Encryption", "TLS", "AuthRequired", "off"))))
	f.Add([]byte(adDoc(adProto("Type", "POP3", "Server", "pop.example.com", "Port", "110", "SSL", "off", "SPA", "on", "LoginName", "%EMAILADDRESS%"))))
	f.Add([]byte(adDoc(`<Action>redirectAddr</Action><RedirectAddr>a@b.example</RedirectAddr>`)))
	f.Add([]byte(adDoc(`<Action>redirectUrl</Action><RedirectUrl>https://b.example/autodiscover/autodiscover.xml</RedirectUrl>`)))
	f.Add([]byte(`<Autodiscover><Response><Error><ErrorCode>600</ErrorCode><Message>Invalid Request</Message></Error></Response></Autodiscover>`))
	f.Add([]byte(`<!DOCTYPE a><Autodiscover/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := autoconfig.ReadAutodiscover(bytes.NewReader(data), fullVars)
		if err != nil {
			if res != nil {
				t.Fatalf("ReadAutodiscover() = %+v, %v; want nil result with an error", res, err)
			}
			return
		}
		set := 0
		if res.Config != nil {
			set++
			checkInvariants(t, res.Config)
		}
		if res.RedirectAddr != "" {
			set++
			if strings.Count(res.RedirectAddr, "@") != 1 {
				t.Fatalf("ReadAutodiscover() RedirectAddr %q, want one @", res.RedirectAddr)
			}
		}
		if res.RedirectURL != "" {
			set++
			if !strings.HasPrefix(res.RedirectURL, "https://") {
				t.Fatalf("ReadAutodiscover() RedirectURL %q, want https", res.RedirectURL)
			}
		}
		if set != 1 {
			t.Fatalf("ReadAutodiscover() = %+v, want exactly one of Config, RedirectAddr, RedirectURL", res)
		}
	})
}
