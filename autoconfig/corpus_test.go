package autoconfig_test

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

var xmlComment = regexp.MustCompile(`(?s)<!--.*?-->`)

// TestReadMozillaCorpus reads every file of Mozilla's ISP database and finds
// in each exactly the servers a plain count of the raw text gives: nothing
// of the real world is rejected.
func TestReadMozillaCorpus(t *testing.T) {
	files := ispdbFiles(t)
	if len(files) != 163 {
		t.Errorf("len(ispdb files) = %d, want 163", len(files))
	}
	domains := 0
	protocols := map[autoconfig.Protocol]int{}
	for _, f := range files {
		name := filepath.Base(f)
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := xmlComment.ReplaceAll(raw, nil)
		want := bytes.Count(text, []byte("<incomingServer")) + bytes.Count(text, []byte("<outgoingServer"))

		// Zero Vars, the way a file is read for export: placeholders stay.
		c, err := autoconfig.ReadMozilla(bytes.NewReader(raw), autoconfig.Vars{})
		if err != nil {
			t.Errorf("ReadMozilla(%s) error = %v, want nil", name, err)
			continue
		}
		if got := len(c.Incoming) + len(c.Outgoing); got != want {
			t.Errorf("ReadMozilla(%s) = %d servers, want %d", name, got, want)
		}
		if len(c.Problems) != 0 {
			t.Errorf("ReadMozilla(%s).Problems = %q, want none", name, c.Problems)
		}
		if c.ID == "" || c.DisplayName == "" || len(c.Domains) == 0 {
			t.Errorf("ReadMozilla(%s) = id %q, name %q, %d domains; want all set", name, c.ID, c.DisplayName, len(c.Domains))
		}
		for _, d := range c.Domains {
			if d != strings.ToLower(d) {
				t.Errorf("ReadMozilla(%s) domain %q, want lower case", name, d)
			}
		}
		checkInvariants(t, c)
		domains += len(c.Domains)
		for _, s := range append(c.Incoming, c.Outgoing...) {
			protocols[s.Protocol]++
		}

		// The Vars of a user of the file's first domain: every placeholder
		// is gone from host and user names.
		d := c.Domains[0]
		v := autoconfig.Vars{Address: "fred@" + d, LocalPart: "fred", Domain: d, RealName: "Fred"}
		c2, err := autoconfig.ReadMozilla(bytes.NewReader(raw), v)
		if err != nil {
			t.Errorf("ReadMozilla(%s, %+v) error = %v, want nil", name, v, err)
			continue
		}
		if got := len(c2.Incoming) + len(c2.Outgoing); got != want {
			t.Errorf("ReadMozilla(%s, %+v) = %d servers, want %d", name, v, got, want)
		}
		for _, s := range append(c2.Incoming, c2.Outgoing...) {
			if s.Protocol != autoconfig.IMAP && s.Protocol != autoconfig.POP3 && s.Protocol != autoconfig.SMTP {
				continue // office365's ews and owa say "%EMAILADDRESS", without the closing "%"
			}
			if strings.Contains(s.Hostname, "%") || strings.Contains(s.Username, "%EMAIL") {
				t.Errorf("ReadMozilla(%s, %+v) server %s:%d user %q, want placeholders substituted",
					name, v, s.Hostname, s.Port, s.Username)
			}
		}
	}
	if domains != 963 {
		t.Errorf("sum of len(Domains) = %d, want 963", domains)
	}
	// office365.com.xml has one server of each of these types, which the
	// engine does not probe but an export keeps.
	for _, p := range []autoconfig.Protocol{"exchange", "ews", "graph", "owa"} {
		if protocols[p] != 1 {
			t.Errorf("servers of type %q = %d, want 1", p, protocols[p])
		}
	}
	t.Logf("protocols: %v", protocols)
}
