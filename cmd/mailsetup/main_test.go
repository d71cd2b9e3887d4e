package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/internal/version"
)

func TestHandleArgs(t *testing.T) {
	t.Setenv("MAILSETUP_LANG", "en") // the help's language
	tests := []struct {
		args     []string
		wantDone bool
		wantOut  string
	}{
		{nil, false, ""},
		{[]string{"--version"}, true, "mailsetup " + version.String() + "\n"},
		{[]string{"-version"}, true, "mailsetup " + version.String() + "\n"},
		{[]string{"-v"}, true, "mailsetup " + version.String() + "\n"},
		{[]string{"--help"}, true, "Usage: mailsetup [--version | --help]"},
		{[]string{"-psn_0_12345"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out bytes.Buffer
			code, done := handleArgs(tt.args, &out)
			if done != tt.wantDone || code != 0 || !strings.HasPrefix(out.String(), tt.wantOut) || (tt.wantOut == "" && out.Len() > 0) {
				t.Errorf("handleArgs(%q) = %d, %v, printed %q; want 0, %v, printing %q", tt.args, code, done, out.String(), tt.wantDone, tt.wantOut)
			}
		})
	}
}
