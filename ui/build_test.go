package ui_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestTourOnlyWithTag: the screenshot tour is a development helper (STYLE.md
// habit 15): its files build only with the screenshots tag, which
// scripts/screenshots sets, so the product binary does not carry it.
func TestTourOnlyWithTag(t *testing.T) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	for _, tc := range []struct {
		tags string
		want bool
	}{{"", false}, {"screenshots", true}} {
		for _, pkg := range []string{"github.com/mailsetup/mailsetup/ui", "github.com/mailsetup/mailsetup/cmd/mailsetup"} {
			out, err := exec.Command(gocmd, "list", "-tags", tc.tags, "-f", "{{join .GoFiles \" \"}}", pkg).CombinedOutput()
			if err != nil {
				t.Fatalf("go list %s: %v\n%s", pkg, err, out)
			}
			files := strings.Fields(string(out))
			if got := slices.Contains(files, "tour.go"); got != tc.want {
				t.Errorf("go list -tags %q %s: tour.go built = %v, want %v (files %v)", tc.tags, pkg, got, tc.want, files)
			}
		}
	}
}
