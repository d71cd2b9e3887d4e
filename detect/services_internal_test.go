package detect

import (
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// TestFromConfigServices: the services a configuration names become
// service candidates with the source's trust and their own order, whatever
// the source (autoconfig, ISPDB, MX, local, PACC).
func TestFromConfigServices(t *testing.T) {
	cfg := &autoconfig.Config{
		Incoming: []autoconfig.Server{
			{Protocol: autoconfig.IMAP, Hostname: "mail.x.test", Port: 993, Security: autoconfig.TLS},
			{Protocol: autoconfig.JMAP, URL: "https://JMAP.x.test/.well-known/jmap"},
		},
		Calendars: []autoconfig.Server{
			{Protocol: autoconfig.CalDAV, URL: "https://dav.x.test:8443/cal/"},
			{Protocol: autoconfig.CalDAV, URL: "ftp://dav.x.test/cal/"}, // dropped
			{Protocol: autoconfig.CalDAV, URL: "http://dav.x.test/cal/#frag"},
		},
		AddressBooks: []autoconfig.Server{{Protocol: autoconfig.CardDAV, URL: "https://user:pw@dav.x.test/card/"}, // dropped
			{Protocol: autoconfig.CardDAV, URL: "https://dav.x.test/card/"}},
	}
	type svc struct {
		proto autoconfig.Protocol
		url   string
		host  string
		port  int
		sec   autoconfig.Security
		order int
	}
	var got []svc
	for _, f := range fromConfig(cfg, TrustISPDB) {
		if f.trust != TrustISPDB {
			t.Errorf("fromConfig: %s trust %s, want the source's (ispdb)", f.server.URL, f.trust)
		}
		if isServiceProtocol(f.server.Protocol) {
			got = append(got, svc{f.server.Protocol, f.server.URL, f.server.Hostname, f.server.Port, f.server.Security, f.order})
		}
	}
	want := []svc{
		{autoconfig.JMAP, "https://JMAP.x.test/.well-known/jmap", "jmap.x.test", 443, autoconfig.TLS, 0},
		{autoconfig.CalDAV, "https://dav.x.test:8443/cal/", "dav.x.test", 8443, autoconfig.TLS, 0},
		{autoconfig.CalDAV, "http://dav.x.test/cal/", "dav.x.test", 80, autoconfig.Plain, 1},
		{autoconfig.CardDAV, "https://dav.x.test/card/", "dav.x.test", 443, autoconfig.TLS, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("fromConfig services = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("fromConfig service %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestServicesRecommendOnlyWhenSafe: the first service is recommended only
// when its probe verified TLS and its trust is https or better, or its host
// was confirmed; plain http is never recommended.
func TestServicesRecommendOnlyWhenSafe(t *testing.T) {
	addr, err := ParseAddress("alice@x.test")
	if err != nil {
		t.Fatal(err)
	}
	verified := probe.Result{Status: probe.StatusOK, Cert: &probe.CertInfo{Valid: true, MatchedName: "dav.x.test"}}
	failed := probe.Result{Status: probe.StatusTLSError, Cert: &probe.CertInfo{Valid: false}}
	notProbed := probe.Result{Status: probe.Status(ProbeNotProbed)}
	type cand struct {
		url   string
		trust Trust
		res   probe.Result
	}
	for _, tc := range []struct {
		name      string
		cands     []cand
		confirmed []string
		wantFirst string
		wantRec   bool
	}{
		{"https and verified", []cand{{"https://dav.x.test/", TrustHTTPS, verified}}, nil, "https://dav.x.test/", true},
		{"verified beats trust", []cand{{"https://a.x.test/", TrustDNSSEC, failed}, {"https://dav.x.test/", TrustHTTPS, verified}}, nil, "https://dav.x.test/", true},
		{"https beats plain", []cand{{"http://dav.x.test/", TrustDNSSEC, notProbed}, {"https://dav.x.test/", TrustHTTPS, verified}}, nil, "https://dav.x.test/", true},
		{"plain only", []cand{{"http://dav.x.test/", TrustDNSSEC, notProbed}}, nil, "http://dav.x.test/", false},
		{"redirect trust", []cand{{"https://dav.other.test/", TrustRedirect, verified}}, nil, "https://dav.other.test/", false},
		{"redirect trust, confirmed", []cand{{"https://dav.other.test/", TrustRedirect, verified}}, []string{"dav.other.test"}, "https://dav.other.test/", true},
		{"failed probe", []cand{{"https://dav.x.test/", TrustDNSSEC, failed}}, nil, "https://dav.x.test/", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &run{env: env{addr: addr, o: Options{Confirmed: tc.confirmed}}}
			for i, c := range tc.cands {
				s, ok := serviceFromURL(autoconfig.Server{Protocol: autoconfig.CalDAV, URL: c.url})
				if !ok {
					t.Fatalf("serviceFromURL(%s) refused", c.url)
				}
				r.addService(SourceAutoconfig, found{server: s, trust: c.trust, order: i})
				sc := r.svcList[len(r.svcList)-1]
				sc.state, sc.result = probeDone, c.res
			}
			list := r.services(autoconfig.CalDAV)
			if list[0].URL != tc.wantFirst || list[0].Recommended != tc.wantRec {
				t.Errorf("services: first %s recommended %v, want %s recommended %v", list[0].URL, list[0].Recommended, tc.wantFirst, tc.wantRec)
			}
			for _, s := range list[1:] {
				if s.Recommended {
					t.Errorf("services: %s recommended, want only the first", s.URL)
				}
			}
		})
	}
}
