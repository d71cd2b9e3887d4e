package pacc_test

import (
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/pacc"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"protocols":{"imap":{"host":"IMAP.example.com","port":70000}}}`))
	f.Add([]byte(`{"x":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}`))
	f.Add([]byte(`{"protocols":{"caldav":{"url":"http://x/"}}} trailing`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := pacc.Parse(data)
		if err != nil {
			return
		}
		cfg := d.Config(autoconfig.Vars{Address: "a@example.com", Domain: "example.com"})
		for _, list := range [][]autoconfig.Server{cfg.Incoming, cfg.Outgoing, cfg.Calendars, cfg.AddressBooks} {
			for _, s := range list {
				if s.Port < 1 || s.Port > 65535 || s.Hostname == "" || s.Security != autoconfig.TLS {
					t.Fatalf("Parse(%q) gave server %+v", data, s)
				}
			}
		}
		out, err := pacc.Write(cfg)
		if err != nil {
			return
		}
		if _, err := pacc.Parse(out); err != nil {
			t.Fatalf("Parse(Write(Parse(%q))) = %v\n%s", data, err, out)
		}
	})
}

func FuzzParseRecord(f *testing.F) {
	f.Add(pacc.NewRecord([]byte("{}")).String())
	f.Add("v=UAAC1; a=sha256; d=AAAA; x=y;")
	f.Add("v=spf1 -all")
	f.Fuzz(func(t *testing.T, txt string) {
		r, err := pacc.ParseRecord(txt)
		if err != nil {
			return
		}
		if len(r.Digest) != 32 {
			t.Fatalf("ParseRecord(%q) digest of %d bytes", txt, len(r.Digest))
		}
		if r2, err := pacc.ParseRecord(r.String()); err != nil || string(r2.Digest) != string(r.Digest) {
			t.Fatalf("ParseRecord(String()) = %v, %v", r2, err)
		}
	})
}
