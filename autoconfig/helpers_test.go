package autoconfig_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// ispdbDir is Mozilla's ISP database in the shared reference folder, which
// CI keeps beside the checkout (../shared beside the repository).
var ispdbDir = filepath.Join("..", "..", "shared", "corpus", "ispdb")

// ispdbFiles returns the corpus files. A missing corpus fails the test,
// unless MAILSETUP_NO_SHARED=1 says the shared folder is knowingly absent.
func ispdbFiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(ispdbDir); err != nil {
		if os.Getenv("MAILSETUP_NO_SHARED") == "1" {
			t.Skipf("MAILSETUP_NO_SHARED=1 and no ISP database corpus: %v", err)
		}
		t.Fatalf("ISP database corpus missing: %v\n"+
			"tests read ../shared/corpus/ispdb beside the repository (set MAILSETUP_NO_SHARED=1 to skip)", err)
	}
	files, err := filepath.Glob(filepath.Join(ispdbDir, "*.xml"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// fullVars are the Vars of fred@example.com.
var fullVars = autoconfig.Vars{
	Address:   "fred@example.com",
	LocalPart: "fred",
	Domain:    "example.com",
	RealName:  "Fred Example",
}

// checkInvariants asserts what every successful read guarantees: at least one
// IMAP, POP3 or SMTP server; outgoing servers are SMTP and incoming ones are
// not; every mail server has a host name of lower-case letters, digits, dots
// and hyphens (placeholders aside), a port 1-65535, a known Security and at
// least one Auth.
func checkInvariants(t *testing.T, c *autoconfig.Config) {
	t.Helper()
	mail := 0
	check := func(s autoconfig.Server, outgoing bool) {
		if outgoing != (s.Protocol == autoconfig.SMTP) || outgoing == s.Incoming() {
			t.Errorf("server %+v in the wrong list (outgoing=%v)", s, outgoing)
		}
		switch s.Protocol {
		case autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP:
		default:
			return
		}
		mail++
		if s.Port < 1 || s.Port > 65535 {
			t.Errorf("server %+v: port out of range", s)
		}
		switch s.Security {
		case autoconfig.TLS, autoconfig.STARTTLS, autoconfig.Plain:
		default:
			t.Errorf("server %+v: invalid Security", s)
		}
		if len(s.Auth) == 0 {
			t.Errorf("server %+v: no Auth", s)
		}
		h := s.Hostname
		for _, p := range []string{"%EMAILDOMAIN%", "%EMAILLOCALPART%"} {
			h = strings.ReplaceAll(h, p, "x")
		}
		if h == "" || strings.HasSuffix(h, ".") || strings.Contains(h, "..") || len(h) > 253 {
			t.Errorf("server %+v: bad host name", s)
		}
		for _, r := range h {
			if !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '.' || r == '-') {
				t.Errorf("server %+v: host name has %q", s, r)
				break
			}
		}
	}
	for _, s := range c.Incoming {
		check(s, false)
	}
	for _, s := range c.Outgoing {
		check(s, true)
	}
	if mail == 0 {
		t.Errorf("config without a mail server: %+v", c)
	}
}
