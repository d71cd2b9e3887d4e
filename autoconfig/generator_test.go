package autoconfig_test

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/internal/version"
)

// testVersion is the release every writer names in this package's tests,
// so that the golden files do not depend on how the test binary was built.
const testVersion = "v1.2.3-test"

func init() { version.Version = testVersion }

// TestWritersNameGenerator checks that every exported file names the
// program and release that wrote it, in the place its format allows.
func TestWritersNameGenerator(t *testing.T) {
	const want = "Mailsetup " + testVersion
	tests := []struct {
		name  string
		write func() ([]byte, error)
		// line is the text that must hold want; "" means the PNG's
		// tEXt Software chunk.
		line string
	}{
		{"autoconfig XML comment", func() ([]byte, error) {
			var b bytes.Buffer
			err := autoconfig.WriteMozilla(&b, exportConfig())
			return b.Bytes(), err
		}, "<!-- Written by " + want + " (https://github.com/mailsetup/mailsetup) -->"},
		{"Autodiscover XML comment", func() ([]byte, error) {
			var b bytes.Buffer
			err := autoconfig.WriteAutodiscover(&b, exportConfig())
			return b.Bytes(), err
		}, "<!-- Written by " + want + " (https://github.com/mailsetup/mailsetup) -->"},
		{"Thunderbird user.js comment", func() ([]byte, error) {
			var b bytes.Buffer
			err := autoconfig.WriteThunderbirdPrefs(&b, exportConfig(), exportAcct, nil)
			return b.Bytes(), err
		}, "// user.js written by " + want + " (https://github.com/mailsetup/mailsetup)."},
		{"Apple profile PayloadDescription", func() ([]byte, error) {
			var b bytes.Buffer
			err := autoconfig.WriteAppleProfile(&b, exportConfig(), exportAcct, nil)
			return b.Bytes(), err
		}, "Made with " + want + ".</string>"},
		{"zone file comment", func() ([]byte, error) {
			var b bytes.Buffer
			err := autoconfig.WriteZone(&b, "example.com", exportConfig(), nil, nil)
			return b.Bytes(), err
		}, "; Mail records for example.com, written by " + want + " (https://github.com/mailsetup/mailsetup)."},
		{"QR code PNG tEXt", func() ([]byte, error) {
			return autoconfig.QRPNG([]byte("payload"), 64)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.write()
			if err != nil {
				t.Fatalf("write error = %v", err)
			}
			if tt.line == "" {
				if sw := pngText(t, got, "Software"); sw != want {
					t.Errorf("PNG tEXt Software = %q, want %q", sw, want)
				}
				return
			}
			if !strings.Contains(string(got), tt.line) {
				t.Errorf("output lacks %q:\n%.400s", tt.line, got)
			}
		})
	}
}

// pngText returns the text of png's tEXt chunk with keyword key, checking
// every chunk's CRC on the way.
func pngText(t *testing.T, png []byte, key string) string {
	t.Helper()
	if len(png) < 8 || string(png[:8]) != "\x89PNG\r\n\x1a\n" {
		t.Fatalf("not a PNG")
	}
	for p := png[8:]; len(p) >= 12; {
		n := int(binary.BigEndian.Uint32(p))
		if len(p) < 12+n {
			t.Fatalf("truncated PNG chunk")
		}
		typ, data := string(p[4:8]), p[8:8+n]
		if typ == "tEXt" {
			if k, v, ok := bytes.Cut(data, []byte{0}); ok && string(k) == key {
				return string(v)
			}
		}
		p = p[12+n:]
	}
	return ""
}
