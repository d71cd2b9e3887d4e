package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
	"github.com/mailsetup/mailsetup/internal/i18ntest"
	"github.com/mailsetup/mailsetup/internal/servicefixture"
)

// servicesReport is a secure mail report of example.org, built in code,
// with the services of package servicefixture when with is set.
func servicesReport(with bool) *detect.Report {
	probe := detect.ProbeReport{Status: detect.ProbeOK, TLSVersion: "TLS 1.3", ElapsedMS: 9,
		Cert: &detect.CertReport{Valid: true, MatchedName: "mail.example.org", NotAfter: "2027-01-01T00:00:00Z"}}
	server := func(proto autoconfig.Protocol, port int) detect.Server {
		return detect.Server{Recommended: true, Protocol: proto, Host: "mail.example.org", Port: port, Security: autoconfig.TLS,
			Username: "alice@example.org", Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext},
			Sources: []detect.SourceName{detect.SourceAutoconfig}, Trust: detect.TrustHTTPS, Probe: probe}
	}
	rep := &detect.Report{Version: detect.ReportVersion, Address: "alice@example.org", Domain: "example.org",
		Verdict: detect.VerdictSecure, IncomingVerdict: detect.VerdictSecure, OutgoingVerdict: detect.VerdictSecure,
		DNSSEC:   "insecure",
		Incoming: []detect.Server{server(autoconfig.IMAP, 993)}, Outgoing: []detect.Server{server(autoconfig.SMTP, 465)}}
	if with {
		servicefixture.Add(rep)
	}
	return rep
}

// TestPrintServices renders the calendar, contacts and JMAP sections in
// English and French against testdata/services-*.txt (-update rewrites
// them); without services the report has none of them.
func TestPrintServices(t *testing.T) {
	for _, l := range i18n.Langs {
		p := i18n.New(l)
		var with, without bytes.Buffer
		printReport(&with, p, servicesReport(true), false)
		printReport(&without, p, servicesReport(false), false)
		for _, proto := range []autoconfig.Protocol{autoconfig.CalDAV, autoconfig.CardDAV, autoconfig.JMAP} {
			title := "\n" + wordsTitle(p, proto) + "\n"
			if !strings.Contains(with.String(), title) || strings.Contains(without.String(), title) {
				t.Errorf("%s: section %q shown %v with services, %v without; want only with",
					l, strings.TrimSpace(title), strings.Contains(with.String(), title), strings.Contains(without.String(), title))
			}
		}
		var tr bytes.Buffer
		printReport(&tr, p, servicesReport(true), true)
		if !strings.Contains(tr.String(), "caldav https://dav.example.org/caldav/ (tls)") || !strings.Contains(tr.String(), "C: PROPFIND /caldav/") {
			t.Errorf("%s: transcripts lack the CalDAV probe's:\n%s", l, tr.String())
		}
		if l == i18n.French {
			if left := i18ntest.EnglishLeft(with.String(), i18ntest.Technical(servicesReport(true))); len(left) > 0 {
				t.Errorf("English left in the French output: %q\n%s", left, with.String())
			}
		}
		path := filepath.Join("testdata", "services-"+string(l)+".txt")
		if *update {
			if err := os.WriteFile(path, with.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./cmd/mailprobe/ -run TestPrintServices -update)", err)
		}
		if with.String() != string(want) {
			t.Errorf("printReport(services, %s) differs from %s:\n%s", l, path, with.String())
		}
	}
}

func wordsTitle(p *i18n.Printer, proto autoconfig.Protocol) string {
	return words.ServiceTitle(p, proto)
}
