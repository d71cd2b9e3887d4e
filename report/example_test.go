package report_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/report"
)

// A helpdesk attaches the page to a ticket; here it goes to a buffer, and
// could as well go to os.Create("report.html") or an HTTP response.
func ExampleWriteHTML() {
	r := &detect.Report{
		Version: detect.ReportVersion, Address: "alice@example.com", Domain: "example.com",
		Verdict: detect.VerdictSecure, DNSSEC: "indeterminate", ElapsedMS: 412,
		Incoming: []detect.Server{{Recommended: true, Protocol: autoconfig.IMAP,
			Host: "imap.example.com", Port: 993, Security: autoconfig.TLS, Username: "alice@example.com",
			Probe: detect.ProbeReport{Status: detect.ProbeOK, TLSVersion: "TLS 1.3",
				Cert: &detect.CertReport{Valid: true, MatchedName: "imap.example.com"}}}},
	}
	var page bytes.Buffer
	err := report.WriteHTML(&page, r, &report.HTMLOptions{
		Title:     "Ticket 4711: alice cannot read mail",
		Generated: time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC),
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range strings.Split(page.String(), "\n") {
		if strings.HasPrefix(l, "<title>") || strings.HasPrefix(l, "<strong><span") {
			fmt.Println(l)
		}
	}
	// Output:
	// <title>Ticket 4711: alice cannot read mail</title>
	// <strong><span class="icon">✔</span> Verdict: Secure</strong>
}
