package report

import (
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/version"
)

// testVersion is the release the pages of this package's tests name, so
// that the golden files do not depend on how the test binary was built.
const testVersion = "v1.2.3-test"

func init() { version.Version = testVersion }

func TestHTMLNamesGenerator(t *testing.T) {
	tests := []struct {
		name      string
		generator *detect.Generator
		want      []string
		wantNot   []string
	}{
		{"report without generator", nil,
			[]string{`<meta name="generator" content="Mailsetup v1.2.3-test">`, "written by Mailsetup v1.2.3-test. Detection took"},
			[]string{"from a detection by"}},
		{"report of this release", &detect.Generator{Name: "mailsetup", Version: testVersion},
			[]string{`<meta name="generator" content="Mailsetup v1.2.3-test">`, "written by Mailsetup v1.2.3-test. Detection took"},
			[]string{"from a detection by"}},
		{"report of another release", &detect.Generator{Name: "mailsetup", Version: "v0.9.0"},
			[]string{`<meta name="generator" content="Mailsetup v1.2.3-test">`, "written by Mailsetup v1.2.3-test from a detection by mailsetup v0.9.0."},
			nil},
		{"generator text is escaped", &detect.Generator{Name: "<b>x</b>", Version: "1"},
			[]string{"from a detection by &lt;b&gt;x&lt;/b&gt; 1."},
			[]string{"<b>x</b>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := secureReport()
			rep.Generator = tt.generator
			got := render(t, rep, nil)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("WriteHTML() lacks %q", w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(got, w) {
					t.Errorf("WriteHTML() has %q", w)
				}
			}
		})
	}
}
