package autoconfig_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// The writers' golden files are rewritten by go test -update. The flag is
// registered only if no other test file of the package has done so.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the writers' golden files under testdata/")
	}
}

func updatingGoldens() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// writerGolden compares got with testdata/name, or writes it there with
// -update.
func writerGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(name))
	if updatingGoldens() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, lineDiff(got, want))
	}
}

// lineDiff shows the first line where got and want differ.
func lineDiff(got, want []byte) string {
	g := strings.Split(string(got), "\n")
	w := strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return "line " + itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return "(equal)"
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// countingWriter records how many bytes a writer under test wrote.
type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += len(p)
	return len(p), nil
}

// failingWriter fails every write.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

// exportConfig is a provider with one server of each kind, the first
// incoming the recommended one.
func exportConfig() *autoconfig.Config {
	return &autoconfig.Config{
		ID:          "example.com",
		Domains:     []string{"example.com", "example.net"},
		DisplayName: "Example Mail",
		ShortName:   "Example",
		Incoming: []autoconfig.Server{
			{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 993, Security: autoconfig.TLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"},
			{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 143, Security: autoconfig.STARTTLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"},
			{Protocol: autoconfig.POP3, Hostname: "pop.%EMAILDOMAIN%", Port: 995, Security: autoconfig.TLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordEncrypted}, Username: "%EMAILLOCALPART%"},
		},
		Outgoing: []autoconfig.Server{
			{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 465, Security: autoconfig.TLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"},
			{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 587, Security: autoconfig.STARTTLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"},
		},
	}
}

// exportAcct is the account the account-level exports are written for.
var exportAcct = autoconfig.Account{Address: "fred@example.com", Name: "Fred Example"}
