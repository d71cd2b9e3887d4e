package pacc_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/pacc"
)

// sample is a -02 document with every member this package reads, and one it
// does not ("managesieve", "future"), which must be ignored.
const sample = `{
  "protocols": {
    "imap": {"host": "imap.example.com"},
    "pop3": {"host": "pop.example.com", "port": 1995},
    "smtp": {"host": "smtp.example.com"},
    "jmap": {"url": "https://jmap.example.com/.well-known/jmap"},
    "caldav": {"url": "https://dav.example.com/dav/calendars/"},
    "carddav": {"url": "https://dav.example.com/dav/addressbooks/"},
    "managesieve": {"host": "sieve.example.com"}
  },
  "authentication": {"password": true, "oauth-public": {"issuer": "https://login.example.com", "scopes": ["mail", "calendar"]}},
  "info": {"provider": {"name": "Example Mail", "shortName": "Example", "logo": [{"url": "https://example.com/logo.svg", "content-type": "image/svg+xml"}]},
           "help": {"documentation": "https://help.example.com/", "developer": "https://dev.example.com/", "contact": ["mailto:help@example.com"]}},
  "future": {"anything": [1, 2, {"deep": true}]}
}`

func TestParseConfig(t *testing.T) {
	d, err := pacc.Parse([]byte(sample))
	if err != nil {
		t.Fatalf("Parse(sample) = %v", err)
	}
	if len(d.Problems) != 0 {
		t.Errorf("Parse(sample).Problems = %q, want none", d.Problems)
	}
	cfg := d.Config(autoconfig.Vars{Address: "alice@example.com", Domain: "example.com"})
	type hp struct {
		p    autoconfig.Protocol
		host string
		port int
		url  string
	}
	var got []hp
	for _, list := range [][]autoconfig.Server{cfg.Incoming, cfg.Outgoing, cfg.Calendars, cfg.AddressBooks} {
		for _, s := range list {
			if s.Security != autoconfig.TLS || s.Username != "alice@example.com" {
				t.Errorf("server %+v: want implicit TLS and the address as user name", s)
			}
			if !reflect.DeepEqual(s.Auth, []autoconfig.Auth{autoconfig.AuthOAuth2, autoconfig.AuthPasswordCleartext}) {
				t.Errorf("server %s auth = %v, want OAuth2 then password", s.Hostname, s.Auth)
			}
			got = append(got, hp{s.Protocol, s.Hostname, s.Port, s.URL})
		}
	}
	want := []hp{
		{autoconfig.IMAP, "imap.example.com", 993, ""},
		{autoconfig.POP3, "pop.example.com", 1995, ""},
		{autoconfig.JMAP, "jmap.example.com", 443, "https://jmap.example.com/.well-known/jmap"},
		{autoconfig.SMTP, "smtp.example.com", 465, ""},
		{autoconfig.CalDAV, "dav.example.com", 443, "https://dav.example.com/dav/calendars/"},
		{autoconfig.CardDAV, "dav.example.com", 443, "https://dav.example.com/dav/addressbooks/"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Config() servers = %v, want %v", got, want)
	}
	if cfg.OAuth2 == nil || cfg.OAuth2.Issuer != "https://login.example.com" || cfg.OAuth2.Scope != "mail calendar" {
		t.Errorf("Config().OAuth2 = %+v, want the issuer and scopes", cfg.OAuth2)
	}
	if cfg.DisplayName != "Example Mail" || cfg.ShortName != "Example" || len(cfg.Help) != 3 {
		t.Errorf("Config() names/help = %q %q %v", cfg.DisplayName, cfg.ShortName, cfg.Help)
	}
}

func TestParseProblems(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		// problem is a fragment of the only problem, "" for none.
		problem string
		servers int
	}{
		{"plain", `{"protocols":{"imap":{"host":"imap.example.com"}}}`, "", 1},
		{"upper case host", `{"protocols":{"imap":{"host":"IMAP.example.com"}}}`, "lower-case A-label", 0},
		{"U-label host", `{"protocols":{"imap":{"host":"mail.bücher.example"}}}`, "A-label", 0},
		{"A-label host", `{"protocols":{"imap":{"host":"mail.xn--bcher-kva.example"}}}`, "", 1},
		{"IP address", `{"protocols":{"imap":{"host":"192.0.2.1"}}}`, "not a domain name", 0},
		{"empty host", `{"protocols":{"smtp":{"host":""}}}`, "empty host", 0},
		{"port zero is the default", `{"protocols":{"smtp":{"host":"smtp.example.com","port":0}}}`, "", 1},
		{"port too big", `{"protocols":{"smtp":{"host":"smtp.example.com","port":65536}}}`, "out of range", 0},
		{"negative port", `{"protocols":{"smtp":{"host":"smtp.example.com","port":-1}}}`, "out of range", 0},
		{"http URL", `{"protocols":{"caldav":{"url":"http://dav.example.com/"}}}`, "not https", 0},
		{"URL with user", `{"protocols":{"jmap":{"url":"https://u:p@jmap.example.com/"}}}`, "user information", 0},
		{"URL port", `{"protocols":{"jmap":{"url":"https://jmap.example.com:70000/"}}}`, "port out of range", 0},
		{"http issuer", `{"authentication":{"oauth-public":{"issuer":"http://login.example.com"}}}`, "not https", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := pacc.Parse([]byte(tc.doc))
			if err != nil {
				t.Fatalf("Parse(%s) = %v, want a document", tc.doc, err)
			}
			cfg := d.Config(autoconfig.Vars{})
			n := len(cfg.Incoming) + len(cfg.Outgoing) + len(cfg.Calendars) + len(cfg.AddressBooks)
			if n != tc.servers {
				t.Errorf("Parse(%s) gives %d servers, want %d", tc.doc, n, tc.servers)
			}
			switch {
			case tc.problem == "" && len(d.Problems) > 0:
				t.Errorf("Parse(%s).Problems = %q, want none", tc.doc, d.Problems)
			case tc.problem != "" && (len(d.Problems) == 0 || !strings.Contains(strings.Join(d.Problems, "; "), tc.problem)):
				t.Errorf("Parse(%s).Problems = %q, want one saying %q", tc.doc, d.Problems, tc.problem)
			}
			if !reflect.DeepEqual(cfg.Problems, d.Problems) {
				t.Errorf("Config().Problems = %q, want the document's %q", cfg.Problems, d.Problems)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct {
		name, doc string
		want      error
		says      string
	}{
		{"huge", `{"info":{"provider":{"name":"` + strings.Repeat("x", pacc.MaxSize) + `"}}}`, pacc.ErrTooLarge, "more than"},
		{"deep", strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40), pacc.ErrTooDeep, "levels"},
		{"deep arrays", `{"x":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + "}", pacc.ErrTooDeep, "levels"},
		{"array", `[1,2]`, pacc.ErrSyntax, "not a JSON object"},
		{"string", `"x"`, pacc.ErrSyntax, "not a JSON object"},
		{"empty", ``, pacc.ErrSyntax, ""},
		{"truncated", `{"protocols":{"imap":`, pacc.ErrSyntax, ""},
		{"broken", `{"protocols" 1}`, pacc.ErrSyntax, "at byte"},
		{"trailing", `{} {}`, pacc.ErrSyntax, "after the document"},
		{"host number", `{"protocols":{"imap":{"host":7}}}`, pacc.ErrSyntax, "protocols.imap.host is a JSON number"},
		{"port string", `{"protocols":{"imap":{"host":"a.example","port":"993"}}}`, pacc.ErrSyntax, "protocols.imap.port is a JSON string"},
		{"password string", `{"authentication":{"password":"yes"}}`, pacc.ErrSyntax, "authentication.password"},
		{"protocols array", `{"protocols":[]}`, pacc.ErrSyntax, "protocols is a JSON array"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := pacc.Parse([]byte(tc.doc))
			if !errors.Is(err, tc.want) || !strings.Contains(errString(err), tc.says) {
				t.Fatalf("Parse(%.40s) = %v, %v; want an error wrapping %v saying %q", tc.doc, d, err, tc.want, tc.says)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestRecord(t *testing.T) {
	body := []byte(sample)
	rec := pacc.NewRecord(body)
	txt := rec.String()
	if !strings.HasPrefix(txt, "v=UAAC1; a=sha256; d=") {
		t.Fatalf("Record.String() = %q", txt)
	}
	for _, tc := range []struct {
		name, txt string
		want      error
	}{
		{"own", txt, nil},
		{"no spaces, trailing semicolon", strings.ReplaceAll(txt, " ", "") + ";", nil},
		{"unknown tag", txt + "; x=future", nil},
		{"split strings joined", pacc.JoinTXT([]string{txt[:10], txt[10:30], txt[30:]}), nil},
		{"other record", "v=spf1 -all", pacc.ErrNotUAAC1},
		{"v not first", "a=sha256; v=UAAC1; d=AAAA", pacc.ErrNotUAAC1},
		{"other version", "v=UAAC2; a=sha256; d=AAAA", pacc.ErrNotUAAC1},
		{"other algorithm", "v=UAAC1; a=sha1; d=AAAA", pacc.ErrBadRecord},
		{"no algorithm", "v=UAAC1; d=" + txt[len(txt)-44:], pacc.ErrBadRecord},
		{"no digest", "v=UAAC1; a=sha256", pacc.ErrBadRecord},
		{"bad base64", "v=UAAC1; a=sha256; d=!!!", pacc.ErrBadRecord},
		{"short digest", "v=UAAC1; a=sha256; d=AAAA", pacc.ErrBadRecord},
		{"duplicate", txt + "; d=AAAA", pacc.ErrBadRecord},
		{"no equals", "v=UAAC1; a=sha256; junk", pacc.ErrBadRecord},
		{"huge", "v=UAAC1; x=" + strings.Repeat("a", 5000), pacc.ErrBadRecord},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pacc.ParseRecord(tc.txt)
			if !errors.Is(err, tc.want) {
				t.Fatalf("ParseRecord(%.60q) = %v, want %v", tc.txt, err, tc.want)
			}
			if err == nil && !reflect.DeepEqual(got, rec) {
				t.Errorf("ParseRecord(%q) = %x, want %x", tc.txt, got.Digest, rec.Digest)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	body := []byte(sample)
	rec := pacc.NewRecord(body)
	other := pacc.NewRecord([]byte("{}"))
	if err := pacc.Verify(body, other, rec); err != nil {
		t.Errorf("Verify(body, other, own) = %v, want nil (any record may match)", err)
	}
	for _, tc := range []struct {
		name string
		body []byte
		recs []pacc.Record
		want error
	}{
		{"other digest", body, []pacc.Record{other}, pacc.ErrDigestMismatch},
		{"one byte more", append([]byte(sample), '\n'), []pacc.Record{rec}, pacc.ErrDigestMismatch},
		{"re-encoded", []byte(strings.ReplaceAll(sample, "  ", " ")), []pacc.Record{rec}, pacc.ErrDigestMismatch},
		{"no record", body, nil, pacc.ErrNoRecord},
	} {
		if err := pacc.Verify(tc.body, tc.recs...); !errors.Is(err, tc.want) {
			t.Errorf("Verify(%s) = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestTXTLine(t *testing.T) {
	short := pacc.NewRecord([]byte("{}")).String()
	if got, want := pacc.TXTLine("example.com", short), `_ua-auto-config.example.com. IN TXT "`+short+`"`; got != want {
		t.Errorf("TXTLine(short) = %q, want %q", got, want)
	}
	long := short + "; x=" + strings.Repeat("z", 400)
	parts := pacc.SplitTXT(long)
	if len(parts) != 2 || len(parts[0]) != 255 || pacc.JoinTXT(parts) != long {
		t.Errorf("SplitTXT(%d bytes) = %d parts (first %d bytes), want 2 joining back", len(long), len(parts), len(parts[0]))
	}
	if got := pacc.TXTLine("example.com", long); strings.Count(got, `"`) != 4 {
		t.Errorf("TXTLine(long) = %q, want two quoted strings", got)
	}
}

func TestWriteRoundTrip(t *testing.T) {
	d, err := pacc.Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	cfg := d.Config(autoconfig.Vars{})
	out, err := pacc.Write(cfg)
	if err != nil {
		t.Fatalf("Write() = %v", err)
	}
	d2, err := pacc.Parse(out)
	if err != nil {
		t.Fatalf("Parse(Write()) = %v\n%s", err, out)
	}
	if got := d2.Config(autoconfig.Vars{}); !reflect.DeepEqual(got, cfg) {
		t.Errorf("Parse(Write(cfg)).Config() =\n%+v\nwant\n%+v\n%s", got, cfg, out)
	}
	if err := pacc.Verify(out, pacc.NewRecord(out)); err != nil {
		t.Errorf("Verify(Write(), its record) = %v", err)
	}
}

func TestWriteSkips(t *testing.T) {
	cfg := &autoconfig.Config{
		DisplayName: "Lab",
		Incoming: []autoconfig.Server{
			{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 143, Security: autoconfig.STARTTLS},
			{Protocol: autoconfig.IMAP, Hostname: "mail.%EMAILDOMAIN%", Port: 993, Security: autoconfig.TLS},
			{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 993, Security: autoconfig.TLS},
		},
		Outgoing: []autoconfig.Server{{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 587, Security: autoconfig.STARTTLS}},
	}
	out, err := pacc.Write(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, err := pacc.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if d.Protocols.IMAP == nil || d.Protocols.IMAP.Host != "imap.example.com" || d.Protocols.IMAP.Port != 0 || d.Protocols.SMTP != nil {
		t.Errorf("Write() = %s, want only imap.example.com (implicit TLS, default port)", out)
	}
	if _, err := pacc.Write(&autoconfig.Config{Outgoing: cfg.Outgoing}); !errors.Is(err, pacc.ErrNothingToWrite) {
		t.Errorf("Write(STARTTLS only) = %v, want ErrNothingToWrite", err)
	}
}
