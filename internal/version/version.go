// Package version says which release of Mailsetup is running. Both programs
// (mailsetup, mailprobe) and every file they write name it: the JSON and
// HTML reports and the comment or metadata of each exported settings file.
//
// A release build stamps [Version] at link time (make dist does):
//
//	go build -ldflags "-X github.com/mailsetup/mailsetup/internal/version.Version=v1.2.3" ./cmd/mailprobe
//
// An unstamped build falls back to the module version Go recorded in the
// binary (runtime/debug.ReadBuildInfo: a pseudo-version for `go build` in a
// git checkout, the tag for `go install ...@v1.2.3`), and to "devel" when
// there is none (go run, go test).
package version

import (
	"runtime/debug"
	"strings"
)

// Name is the product's name as the generator of a file.
const Name = "Mailsetup"

// URL is where the product and its releases live.
const URL = "https://github.com/mailsetup/mailsetup"

// Version is the release, such as "v1.2.3" or "v0.0.0-12-gabc1234", set with
// -ldflags -X at link time. Empty in an unstamped build: read [String].
var Version string

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// String returns the running version: [Version] when stamped, else the
// main module's version from the build info, else "devel". It never
// returns an empty string, and never one with white space or control
// characters (a stamped value is cut at the first one).
func String() string {
	if v := clean(Version); v != "" {
		return v
	}
	if bi, ok := readBuildInfo(); ok {
		if v := clean(bi.Main.Version); v != "" && v != "(devel)" {
			return v
		}
	}
	return "devel"
}

// Generator names the program that wrote a file, for comments and
// metadata: "Mailsetup v1.2.3".
func Generator() string {
	return Name + " " + String()
}

// clean cuts v at its first white space or control character, so that a
// version always fits on one line of a comment.
func clean(v string) string {
	if i := strings.IndexFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }); i >= 0 {
		v = v[:i]
	}
	return v
}
