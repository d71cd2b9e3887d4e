package main

import (
	"os"
	"testing"
)

// TestMain pins the language of the tests that read English output: a
// machine whose locale is French would otherwise print French. The tests
// of the French output pass --lang fr, which wins.
func TestMain(m *testing.M) {
	os.Setenv("MAILSETUP_LANG", "en")
	os.Exit(m.Run())
}
