// Package labtest holds the test helpers shared by the suites that run
// real servers beside the lab (internal/interop, internal/realmail). It
// imports testing, so only tests import it.
package labtest

import (
	"os"
	"os/exec"
	"slices"
	"testing"
)

// RequireTools skips t unless it runs as root (the suites listen on the
// standard ports of loopback addresses: why says what for), and fails it
// when a binary of tools (name → the Debian package that installs it) is
// not on PATH. suite prefixes the messages.
func RequireTools(t testing.TB, suite, why string, tools map[string]string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skipf("%s: needs root %s", suite, why)
	}
	names := make([]string, 0, len(tools))
	for name := range tools {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			t.Fatalf("%s: %s not found: install the Debian package %s (scripts/install-deps test does)", suite, name, tools[name])
		}
	}
}
