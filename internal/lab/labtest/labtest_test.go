package labtest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/internal/lab/labtest"
)

// recorder is a testing.TB that records Skipf and Fatalf instead of
// stopping the goroutine.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
}
func (r *recorder) Fatalf(format string, args ...any) {
	if r.failed == "" {
		r.failed = fmt.Sprintf(format, args...)
	}
}

func TestRequireTools(t *testing.T) {
	if os.Geteuid() != 0 {
		r := &recorder{TB: t}
		labtest.RequireTools(r, "suite", "to listen on port 53", map[string]string{"sh": "dash"})
		if !strings.Contains(r.skipped, "suite: needs root to listen on port 53") {
			t.Errorf("RequireTools without root skipped with %q", r.skipped)
		}
		return
	}
	r := &recorder{TB: t}
	labtest.RequireTools(r, "suite", "", map[string]string{"sh": "dash"})
	if r.skipped != "" || r.failed != "" {
		t.Errorf("RequireTools(sh) skipped %q, failed %q; want neither", r.skipped, r.failed)
	}
	r = &recorder{TB: t}
	labtest.RequireTools(r, "suite", "", map[string]string{"sh": "dash", "no-such-tool-mailsetup": "the-package"})
	if !strings.Contains(r.failed, "suite: no-such-tool-mailsetup not found: install the Debian package the-package") {
		t.Errorf("RequireTools(missing tool) failed with %q", r.failed)
	}
}
