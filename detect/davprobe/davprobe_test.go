package davprobe_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"testing"

	"go.uber.org/goleak"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/davprobe"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/lab"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startLab starts the lab world, whose dav.dav.test serves go-webdav's
// CalDAV and CardDAV servers and a JMAP session resource.
func startLab(t *testing.T) *lab.Lab {
	t.Helper()
	l, err := lab.Start(lab.Options{})
	if err != nil {
		t.Fatalf("lab.Start: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// options point a probe at the lab, with the exchange f.
func options(l *lab.Lab, f probe.ServiceFunc) *probe.Options {
	return &probe.Options{
		LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return resolver.LookupIP(ctx, l.Resolver, host)
		},
		Dial:    l.Dial,
		RootCAs: l.CA.Pool(),
		Service: f,
	}
}

func target(proto autoconfig.Protocol, host, url string) probe.Target {
	return probe.Target{Protocol: proto, Host: host, Port: 443, Security: autoconfig.TLS, URL: url}
}

const davHost = "dav.dav.test"

func TestCheck(t *testing.T) {
	l := startLab(t)
	for _, tc := range []struct {
		name    string
		t       probe.Target
		status  probe.Status
		http    int
		dav     string // a DAV class that must be listed
		wantErr error
	}{
		{"caldav answers 401", target(autoconfig.CalDAV, davHost, "https://dav.dav.test"+lab.CalDAVPath), probe.StatusOK, 401, "calendar-access", nil},
		{"carddav answers 401", target(autoconfig.CardDAV, davHost, "https://dav.dav.test"+lab.CardDAVPath), probe.StatusOK, 401, "addressbook", nil},
		{"jmap answers 401 with a challenge", target(autoconfig.JMAP, davHost, "https://dav.dav.test"+lab.JMAPPath), probe.StatusOK, 401, "", nil},
		{"no service there", target(autoconfig.CalDAV, davHost, "https://dav.dav.test/nothing/"), probe.StatusProtocolError, 404, "", davprobe.ErrNotService},
		{"jmap path not found", target(autoconfig.JMAP, davHost, "https://dav.dav.test/nothing"), probe.StatusProtocolError, 404, "", davprobe.ErrNotService},
		{"URL of another host", target(autoconfig.CalDAV, davHost, "https://dav.davcross.provider.test"+lab.CalDAVPath), probe.StatusProtocolError, 0, "", davprobe.ErrOtherHost},
		{"URL over http", target(autoconfig.CalDAV, davHost, "http://dav.dav.test"+lab.CalDAVPath), probe.StatusProtocolError, 0, "", davprobe.ErrOtherHost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := probe.Probe(context.Background(), tc.t, options(l, davprobe.Check))
			if res.Status != tc.status {
				t.Fatalf("Probe(%s) = %s (%s), want %s", tc.t.URL, res.Status, res.Error, tc.status)
			}
			if res.HTTP == nil || res.HTTP.Status != tc.http {
				t.Errorf("Probe(%s).HTTP = %+v, want status %d", tc.t.URL, res.HTTP, tc.http)
			}
			if tc.http == 401 && (res.HTTP == nil || !slices.Contains(res.HTTP.Authenticate, "Basic")) {
				t.Errorf("Probe(%s).HTTP = %+v, want the Basic challenge", tc.t.URL, res.HTTP)
			}
			if tc.dav != "" && !slices.Contains(res.HTTP.DAV, tc.dav) {
				t.Errorf("Probe(%s) DAV = %q, want %s", tc.t.URL, res.HTTP.DAV, tc.dav)
			}
			if tc.wantErr != nil && !errors.Is(res.Err, tc.wantErr) {
				t.Errorf("Probe(%s).Err = %v, want %v", tc.t.URL, res.Err, tc.wantErr)
			}
		})
	}
	for _, r := range l.Requests() {
		if r.Host != davHost || r.Scheme != "https" || r.Authorization != "" {
			t.Errorf("request %s %s://%s%s (authorization %q): want only unauthenticated https requests to %s", r.Method, r.Scheme, r.Host, r.URL, r.Authorization, davHost)
		}
	}
}

// TestNoCredentialBeforeVerifiedTLS: the login exchange never runs over a
// connection whose certificate did not verify, nor over plain http.
func TestNoCredentialBeforeVerifiedTLS(t *testing.T) {
	l := startLab(t)
	for _, tc := range []struct {
		name string
		t    probe.Target
	}{
		{"certificate for another name", target(autoconfig.CalDAV, "dav.davbadcert.test", "https://dav.davbadcert.test"+lab.CalDAVPath)},
		{"plain http", probe.Target{Protocol: autoconfig.CalDAV, Host: "dav.davplain.test", Port: 80, Security: autoconfig.Plain,
			URL: "http://dav.davplain.test" + lab.CalDAVPath}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			called := false
			login := davprobe.Login(lab.User("dav.test"), lab.Password)
			res := probe.Probe(context.Background(), tc.t, options(l, func(ctx context.Context, t probe.Target, c net.Conn, say func(string, string), info *probe.HTTPInfo) error {
				called = true
				return login(ctx, t, c, say, info)
			}))
			if called || res.Status == probe.StatusOK {
				t.Errorf("Probe(%s) = %s, exchange run: %v; want a failure before any exchange", tc.t.URL, res.Status, called)
			}
		})
	}
	for _, r := range l.Requests() {
		if r.Authorization != "" {
			t.Errorf("credentials reached %s://%s%s", r.Scheme, r.Host, r.URL)
		}
	}
}

func TestLogin(t *testing.T) {
	l := startLab(t)
	for _, tc := range []struct {
		name, password string
		proto          autoconfig.Protocol
		url            string
		wantErr        error
		principal      string
	}{
		{"caldav", lab.Password, autoconfig.CalDAV, "https://dav.dav.test" + lab.CalDAVPath, nil, lab.CalDAVPath + "alice@dav.test/"},
		{"carddav", lab.Password, autoconfig.CardDAV, "https://dav.dav.test" + lab.CardDAVPath, nil, lab.CardDAVPath + "alice@dav.test/"},
		{"jmap", lab.Password, autoconfig.JMAP, "https://dav.dav.test" + lab.JMAPPath, nil, "https://dav.dav.test/jmap/api/"},
		{"caldav, wrong password", "wrong", autoconfig.CalDAV, "https://dav.dav.test" + lab.CalDAVPath, davprobe.ErrRejected, ""},
		{"jmap, wrong password", "wrong", autoconfig.JMAP, "https://dav.dav.test" + lab.JMAPPath, davprobe.ErrRejected, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := target(tc.proto, davHost, tc.url)
			res := probe.Probe(context.Background(), tg, options(l, davprobe.Login(lab.User("dav.test"), tc.password)))
			if !errors.Is(res.Err, tc.wantErr) || tc.wantErr == nil && res.Err != nil {
				t.Fatalf("Login(%s) error = %v, want %v", tc.url, res.Err, tc.wantErr)
			}
			if res.HTTP.Principal != tc.principal {
				t.Errorf("Login(%s) principal = %q, want %q", tc.url, res.HTTP.Principal, tc.principal)
			}
			if tc.wantErr != nil || tc.proto == autoconfig.JMAP {
				return
			}
			res = probe.Probe(context.Background(), tg, options(l, davprobe.HomeSets(lab.User("dav.test"), tc.password, tc.principal)))
			if res.Status != probe.StatusOK || len(res.HTTP.HomeSets) != 1 || res.HTTP.HomeSets[0] == "" {
				t.Errorf("HomeSets(%s) = %s %v (%s), want one home set", tc.principal, res.Status, res.HTTP, res.Error)
			}
			for _, line := range res.Transcript {
				if line.From == probe.FromClient && len(line.Text) > 14 && line.Text[:14] == "Authorization:" && line.Text != "Authorization: Basic [redacted]" {
					t.Errorf("transcript line %q: want the credentials redacted", line.Text)
				}
			}
		})
	}
}

func TestSchemes(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []string
	}{
		{[]string{`Basic realm="lab", charset="UTF-8"`}, []string{"Basic"}},
		{[]string{`Bearer realm="x", error="invalid_token"`, `Basic realm="y"`}, []string{"Bearer", "Basic"}},
		{[]string{`Digest realm="a, b", nonce="c", Basic realm="d"`}, []string{"Digest", "Basic"}},
		{[]string{`Negotiate abc==, Basic`}, []string{"Negotiate", "Basic"}},
		{[]string{`basic`, `Basic realm="x"`}, []string{"basic"}},
		{[]string{``, `,,`}, nil},
	} {
		if got := davprobe.Schemes(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Schemes(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzSchemes(f *testing.F) {
	for _, s := range []string{`Basic realm="lab"`, `Bearer error="a\"b", Basic`, `"unterminated`, `a=b, =, ,x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, s := range davprobe.Schemes([]string{v}) {
			if s == "" {
				t.Errorf("Schemes(%q) has an empty scheme", v)
			}
		}
	})
}

func TestParseSession(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`{"capabilities":{"urn:ietf:params:jmap:core":{}},"apiUrl":"https://x/api/","accounts":{},"unknown":1}`, true},
		{`{"capabilities":{},"apiUrl":"https://x/api/"}`, false},
		{`{"capabilities":{"urn:ietf:params:jmap:core":{}}}`, false},
		{`<html>`, false},
	} {
		if _, err := davprobe.ParseSession([]byte(tc.in)); (err == nil) != tc.ok {
			t.Errorf("ParseSession(%s) error = %v, want ok %v", tc.in, err, tc.ok)
		}
	}
}

func FuzzParseSession(f *testing.F) {
	f.Add([]byte(`{"capabilities":{"urn:ietf:params:jmap:core":{}},"apiUrl":"https://x/"}`))
	f.Add([]byte(`{"capabilities":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if s, err := davprobe.ParseSession(data); err == nil && s.APIURL == "" {
			t.Errorf("ParseSession(%q) accepted a session without apiUrl", data)
		}
	})
}
