// Package servicefixture fills a report's Calendar, Contacts and JMAP lists
// the way the engine reports JMAP, CalDAV and CardDAV services (issue 16),
// for the tests and the screenshot tour of the front ends and exporters
// while the engine's discovery of them is built beside them. It never
// touches the network.
package servicefixture

import (
	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
)

// Add sets rep's Calendar, Contacts and JMAP for rep.Domain and
// rep.Address:
//   - Calendar: a recommended CalDAV service at https://dav.DOMAIN/caldav/
//     found by PACC and SRV, reached through /.well-known/caldav, whose
//     login check found the principal and calendar home set; then the
//     same service named over plain http by _caldav._tcp, listed, not
//     probed, never recommended (RFC 6764 §3);
//   - Contacts: a recommended CardDAV service at
//     https://dav.DOMAIN/carddav/, login not checked;
//   - JMAP: a recommended session resource at
//     https://jmap.DOMAIN/.well-known/jmap answering 401 Basic/Bearer.
func Add(rep *detect.Report) {
	d, user := rep.Domain, rep.Address
	ok := func(host string, status int, auth []string, dav ...string) detect.ProbeReport {
		return detect.ProbeReport{Status: detect.ProbeOK, TLSVersion: "TLS 1.3",
			Cert: &detect.CertReport{Valid: true, Subject: "CN=dav." + d, Issuer: "CN=Lab CA", DNSNames: []string{"dav." + d, "jmap." + d},
				MatchedName: host, NotBefore: "2026-01-01T00:00:00Z", NotAfter: "2027-01-01T00:00:00Z"},
			DANE:       detect.DANENone,
			HTTPStatus: status, Authenticate: auth, DAV: dav, ElapsedMS: 12,
		}
	}
	password := []autoconfig.Auth{autoconfig.AuthPasswordCleartext}
	cal := ok("dav."+d, 207, []string{"Basic"}, "1", "2", "3", "calendar-access")
	cal.Redirects = []string{"https://" + d + "/.well-known/caldav"}
	cal.Transcript = []detect.TranscriptLine{
		{AtMS: 3, From: "client", Text: "PROPFIND /caldav/ HTTP/1.1 (Depth: 0, current-user-principal)"},
		{AtMS: 11, From: "server", Text: "HTTP/1.1 207 Multi-Status"},
	}
	rep.Calendar = []detect.Service{
		{Recommended: true, Protocol: autoconfig.CalDAV, URL: "https://dav." + d + "/caldav/", Host: "dav." + d, Port: 443,
			Security: autoconfig.TLS, Username: user, Auth: password,
			Sources: []detect.SourceName{detect.SourcePACC, detect.SourceSRV}, Trust: detect.TrustHTTPS,
			Probe: cal, Signin: detect.SigninPassword,
			Login: detect.LoginReport{Status: detect.LoginOK, Username: user, Mechanism: "Basic",
				Principal: "https://dav." + d + "/caldav/principals/" + user + "/",
				HomeSets:  []string{"https://dav." + d + "/caldav/calendars/" + user + "/"}}},
		{Protocol: autoconfig.CalDAV, URL: "http://dav." + d + "/caldav/", Host: "dav." + d, Port: 80,
			Security: autoconfig.Plain, Sources: []detect.SourceName{detect.SourceSRV}, Trust: detect.TrustDNS,
			Probe: detect.ProbeReport{Status: detect.ProbeNotProbed}, Signin: detect.SigninPassword},
	}
	rep.Contacts = []detect.Service{
		{Recommended: true, Protocol: autoconfig.CardDAV, URL: "https://dav." + d + "/carddav/", Host: "dav." + d, Port: 443,
			Security: autoconfig.TLS, Username: user, Auth: password,
			Sources: []detect.SourceName{detect.SourcePACC}, Trust: detect.TrustHTTPS,
			Probe: ok("dav."+d, 401, []string{"Basic"}, "1", "2", "3", "addressbook"), Signin: detect.SigninPassword},
	}
	rep.JMAP = []detect.Service{
		{Recommended: true, Protocol: autoconfig.JMAP, URL: "https://jmap." + d + "/.well-known/jmap", Host: "jmap." + d, Port: 443,
			Security: autoconfig.TLS, Username: user, Auth: password,
			Sources: []detect.SourceName{detect.SourcePACC}, Trust: detect.TrustHTTPS,
			Probe: ok("jmap."+d, 401, []string{"Basic", "Bearer"}), Signin: detect.SigninPassword},
	}
}
