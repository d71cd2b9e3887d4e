package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/internal/lab"
)

// TestDNSSECCommand runs `mailprobe dnssec` against the lab's signed
// hierarchy for every DNSSEC scenario the lab defines.
func TestDNSSECCommand(t *testing.T) {
	l, err := lab.Start(lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	anchor := filepath.Join(t.TempDir(), "anchor.key")
	if err := l.WriteTrustAnchor(anchor); err != nil {
		t.Fatal(err)
	}
	wantCode := map[string]int{"secure": exitOK, "insecure": exitOK, "bogus": exitDanger, "indeterminate": exitNothing}
	for _, sc := range lab.DNSSECScenarios {
		code, stdout, stderr := runCLI(t, "dnssec", "--resolver", l.DNSAddr, "--trust-anchor", anchor, sc.Name, sc.Type)
		if code != wantCode[sc.Want] || !strings.Contains(stdout, "verdict: "+strings.ToUpper(sc.Want)) {
			t.Errorf("mailprobe dnssec %s %s = exit %d, output:\n%s%s\nwant verdict %s", sc.Name, sc.Type, code, stdout, stderr, sc.Want)
		}
		if !strings.Contains(stdout, "chain of trust") {
			t.Errorf("mailprobe dnssec %s %s prints no chain", sc.Name, sc.Type)
		}
	}
	if code, _, _ := runCLI(t, "dnssec", "--resolver", l.DNSAddr, "not a name!"); code != exitUsage {
		t.Errorf("mailprobe dnssec with a bad name = exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := runCLI(t, "dnssec", "--resolver", l.DNSAddr, "x.test", "NOPE"); code != exitUsage {
		t.Errorf("mailprobe dnssec with a bad type = exit %d, want %d", code, exitUsage)
	}
}
