package version

import (
	"runtime/debug"
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct {
		name    string
		stamped string
		info    *debug.BuildInfo // nil: no build info
		want    string
	}{
		{"stamped", "v1.2.3", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}}, "v1.2.3"},
		{"stamped pseudo", "v0.0.0-12-gabc1234-dirty", nil, "v0.0.0-12-gabc1234-dirty"},
		{"stamped with a line break", "v1.2.3\n<!--", nil, "v1.2.3"},
		{"build info", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "v1.4.0"},
		{"build info pseudo", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261206164800-875d2c5abcde+dirty"}}, "v0.0.0-20261206164800-875d2c5abcde+dirty"},
		{"devel build info", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{"empty build info", "", &debug.BuildInfo{}, "devel"},
		{"no build info", "", nil, "devel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			oldV, oldRead := Version, readBuildInfo
			t.Cleanup(func() { Version, readBuildInfo = oldV, oldRead })
			Version = tt.stamped
			readBuildInfo = func() (*debug.BuildInfo, bool) { return tt.info, tt.info != nil }
			if got := String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got, want := Generator(), "Mailsetup "+tt.want; got != want {
				t.Errorf("Generator() = %q, want %q", got, want)
			}
		})
	}
}
