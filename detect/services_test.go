package detect_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// serviceLists are a report's service lists by protocol.
func serviceLists(rep *detect.Report) map[string][]detect.Service {
	return map[string][]detect.Service{"caldav": rep.Calendar, "carddav": rep.Contacts, "jmap": rep.JMAP}
}

// requestsTo are the lab's requests to host.
func requestsTo(l *lab.Lab, host string) []lab.Request {
	var out []lab.Request
	for _, r := range l.Requests() {
		if r.Host == host {
			out = append(out, r)
		}
	}
	return out
}

func TestServiceLogin(t *testing.T) {
	for _, tc := range []struct {
		name, domain, password string
		confirmed              []string
		want                   string
		// sent: the lab's DAV host must have received credentials.
		sent bool
	}{
		{"dnssec SRV and https well-known", "dav.test", lab.Password, nil, detect.LoginOK, true},
		{"wrong password", "dav.test", "wrong", nil, detect.LoginFailed, true},
		{"cross-domain redirect, not confirmed", "davcross.test", lab.Password, nil, detect.LoginNotTried, false},
		{"cross-domain redirect, confirmed", "davcross.test", lab.Password, []string{"dav.davcross.provider.test"}, detect.LoginOK, true},
		{"certificate for another name", "davbadcert.test", lab.Password, []string{"dav.davbadcert.test"}, detect.LoginNotTried, false},
		{"plain http only", "davplain.test", lab.Password, []string{"dav.davplain.test"}, detect.LoginNotTried, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startLab(t, lab.Options{})
			rep := detectAndLogin(t, l, lab.User(tc.domain), tc.password, tc.confirmed...)
			davHost := "dav." + tc.domain
			if tc.domain == "davcross.test" {
				davHost = "dav.davcross.provider.test"
			}
			for proto, list := range serviceLists(rep) {
				if len(list) == 0 {
					continue
				}
				got := list[0].Login
				if got.Status != tc.want {
					t.Errorf("VerifyLogin(%s) %s = %s (%s), want %s", tc.domain, proto, got.Status, got.Error, tc.want)
				}
				if got.Status == detect.LoginOK {
					if got.Username != lab.User(tc.domain) || got.Principal == "" {
						t.Errorf("VerifyLogin(%s) %s = %q principal %q, want %s and a principal", tc.domain, proto, got.Username, got.Principal, lab.User(tc.domain))
					}
					if proto != "jmap" && (len(got.HomeSets) != 1 || !strings.HasPrefix(got.HomeSets[0], got.Principal)) {
						t.Errorf("VerifyLogin(%s) %s home sets = %q, want one under %s (RFC 4791 §6.2.1, RFC 6352 §7.1.1)", tc.domain, proto, got.HomeSets, got.Principal)
					}
				}
				if got.Status == detect.LoginFailed && len(got.Tried) != 2 {
					t.Errorf("VerifyLogin(%s) %s tried %q, want the address and the local part", tc.domain, proto, got.Tried)
				}
			}
			var creds int
			for _, r := range l.Requests() {
				if r.Authorization == "" {
					continue
				}
				// No credential before verified TLS, nor anywhere but the
				// service's host (DESIGN.md security rules).
				if r.Scheme != "https" || r.Host != davHost && !strings.HasPrefix(r.Host, "autodiscover.") {
					t.Errorf("VerifyLogin(%s): credentials sent to %s://%s%s", tc.domain, r.Scheme, r.Host, r.URL)
				}
				if r.Host == davHost {
					creds++
				}
			}
			if got := creds > 0; got != tc.sent {
				t.Errorf("VerifyLogin(%s): %s received %d requests with credentials, want any: %v", tc.domain, davHost, creds, tc.sent)
			}
			// Never the password, plain or encoded, in the report.
			data, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			for _, secret := range []string{tc.password, base64.StdEncoding.EncodeToString([]byte(lab.User(tc.domain) + ":" + tc.password)),
				base64.StdEncoding.EncodeToString([]byte("alice:" + tc.password))} {
				if strings.Contains(string(data), secret) {
					t.Errorf("VerifyLogin(%s): the report holds the credential %q", tc.domain, secret)
				}
			}
			if tc.sent && !strings.Contains(string(data), "Authorization: Basic [redacted]") {
				t.Errorf("VerifyLogin(%s): no redacted Authorization line in the transcripts", tc.domain)
			}
		})
	}
}

func TestServiceSecurity(t *testing.T) {
	l := startLab(t, lab.Options{})
	run := func(domain string) *detect.Report {
		t.Helper()
		rep, err := detect.Run(context.Background(), lab.User(domain), l.DetectOptions())
		if err != nil {
			t.Fatalf("Run(%s): %v", domain, err)
		}
		return rep
	}

	t.Run("plain http is listed, never asked", func(t *testing.T) {
		rep := run("davplain.test")
		if len(rep.Calendar) != 1 || rep.Calendar[0].Security != "plain" || rep.Calendar[0].Probe.Status != detect.ProbeNotProbed || rep.Calendar[0].Recommended {
			t.Fatalf("Run(davplain.test).Calendar = %+v, want one plain, not probed, not recommended", rep.Calendar)
		}
		if got := rep.Calendar[0].URL; got != "http://dav.davplain.test/dav/calendars/" {
			t.Errorf("Run(davplain.test) calendar URL = %s, want the SRV target with its TXT path", got)
		}
		if r := requestsTo(l, "dav.davplain.test"); len(r) > 0 {
			t.Errorf("Run(davplain.test) sent %d requests to the plain http service, want none: %+v", len(r), r)
		}
		for _, r := range l.Requests() {
			if r.Scheme == "http" && (strings.Contains(r.URL, "alice") || strings.Contains(r.Body, "alice")) {
				t.Errorf("Run(davplain.test): the address went over http: %s %s", r.Host, r.URL)
			}
		}
	})

	t.Run("redirect loop and http redirect", func(t *testing.T) {
		rep := run("davloop.test")
		for _, s := range rep.Sources {
			if s.Name == detect.SourceServiceWellKnown && (!strings.Contains(s.Detail, "redirect loop") || !strings.Contains(s.Detail, "refused redirect from https to http")) {
				t.Errorf("Run(davloop.test) source %s = %s, want a redirect loop and a refused https→http redirect", s.Name, s.Detail)
			}
		}
		n := 0
		for _, r := range requestsTo(l, "davloop.test") {
			if r.Scheme == "http" {
				t.Errorf("Run(davloop.test) followed a redirect to http: %s", r.URL)
			}
			if r.URL != "/mail/config-v1.1.xml" && !strings.HasPrefix(r.URL, "/.well-known/autoconfig") && !strings.HasPrefix(r.URL, "/autodiscover") {
				n++
			}
		}
		// Three well-known chains, each at most MaxRedirects+1 requests.
		if n == 0 || n > 3*(detect.MaxRedirects+1) {
			t.Errorf("Run(davloop.test) made %d well-known requests, want 1 to %d", n, 3*(detect.MaxRedirects+1))
		}
	})

	t.Run("cross-domain redirect is not https", func(t *testing.T) {
		rep := run("davcross.test")
		for proto, list := range serviceLists(rep) {
			if len(list) == 0 {
				t.Fatalf("Run(davcross.test) %s: no list", proto)
			}
			s := list[0]
			if s.Trust != detect.TrustRedirect || s.Recommended || len(s.Probe.Redirects) == 0 {
				t.Errorf("Run(davcross.test) %s = trust %s recommended %v redirects %v, want trust redirect, not recommended, the redirect shown",
					proto, s.Trust, s.Recommended, s.Probe.Redirects)
			}
		}
		if rep.Verdict != detect.VerdictSecure {
			t.Errorf("Run(davcross.test).Verdict = %s, want secure: services change no mail verdict", rep.Verdict)
		}
	})

	t.Run("bad certificate fails the probe before any request", func(t *testing.T) {
		rep := run("davbadcert.test")
		for proto, list := range serviceLists(rep) {
			if len(list) == 0 {
				t.Fatalf("Run(davbadcert.test) %s: no list", proto)
			}
			s := list[0]
			if s.Probe.Status != detect.ProbeTLSError || s.Probe.Cert == nil || s.Probe.Cert.Problem != "name-mismatch" || s.Recommended {
				t.Errorf("Run(davbadcert.test) %s probe = %s (%s), want tls-error with a name mismatch, not recommended", proto, s.Probe.Status, s.Probe.Error)
			}
		}
		if r := requestsTo(l, "dav.davbadcert.test"); len(r) > 0 {
			t.Errorf("Run(davbadcert.test) sent %d requests over TLS that did not verify, want none", len(r))
		}
	})
}

func TestParseTXTPath(t *testing.T) {
	for _, tc := range []struct {
		txt  []string
		want string
		ok   bool
	}{
		{[]string{"path=/dav/"}, "/dav/", true},
		{[]string{"PATH=/caldav"}, "/caldav", true},
		{[]string{"v=1", "path=/a%20b/"}, "/a%20b/", true},
		{[]string{"path=dav/"}, "", false},
		{[]string{"path=//evil.example/"}, "", false},
		{[]string{"path="}, "", false},
		{[]string{"nopath"}, "", false},
		{nil, "", false},
	} {
		got, ok := detect.ParseTXTPath(tc.txt)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseTXTPath(%q) = %q, %v, want %q, %v", tc.txt, got, ok, tc.want, tc.ok)
		}
	}
}

func FuzzParseTXTPath(f *testing.F) {
	for _, s := range []string{"path=/dav/", "path=//x", "path=/a?b#c", "PATH=/%zz", "path=/\x00"} {
		f.Add(s, "v=1")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		p, ok := detect.ParseTXTPath([]string{a, b})
		if ok && (!strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//")) {
			t.Errorf("ParseTXTPath(%q, %q) = %q, want an absolute path without authority", a, b, p)
		}
	})
}

// TestServicesProbedAfterQuietAnswer: when the mail answer comes only once
// the mail work is quiet (here with Exhaustive, which never ends a run
// early), the services' probes, which wait for that answer, still start:
// the run ends with them verified, long before its deadline. (The race
// this guards, the last mail message arriving with every service source
// done, seldom happens here: the probes' goodbyes usually come after.)
func TestServicesProbedAfterQuietAnswer(t *testing.T) {
	l := startLab(t, lab.Options{})
	o := l.DetectOptions()
	o.Exhaustive = true
	o.Timeout = 8 * time.Second
	rep, err := detect.Run(context.Background(), lab.User("pacc.test"), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]detect.Service{rep.Calendar, rep.Contacts, rep.JMAP} {
		if len(list) == 0 || !list[0].Recommended {
			t.Errorf("pacc.test services = %+v, want each recommended", list)
		}
	}
	if rep.ElapsedMS >= o.Timeout.Milliseconds() {
		t.Errorf("the run took %d ms: it waited for its deadline", rep.ElapsedMS)
	}
}
