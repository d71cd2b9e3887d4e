package replay_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/replay"
)

// TestExpected checks World.Expected on files of each shape: implicit TLS
// first, IMAP before POP3, placeholders expanded, plain never.
func TestExpected(t *testing.T) {
	w := startWorld(t, 0)
	for _, tc := range []struct{ domain, in, out string }{
		{"gmail.com", "imap.gmail.com:993/tls", "smtp.gmail.com:465/tls"},
		// mail.%EMAILDOMAIN%, expanded per domain of the file
		{"inbox.lv", "mail.inbox.lv:993/tls", "mail.inbox.lv:465/tls"},
		{"inbox.eu", "mail.inbox.eu:993/tls", "mail.inbox.eu:465/tls"},
		// IMAP and POP3 over plaintext only: nothing may be recommended
		{"peoplepc.com", "", "smtpauth.peoplepc.com:587/starttls"},
		{"not-in-the-corpus.example", "", ""},
	} {
		in, out := w.Expected(tc.domain)
		if in != tc.in || out != tc.out {
			t.Errorf("Expected(%q) = %q, %q; want %q, %q", tc.domain, in, out, tc.in, tc.out)
		}
	}
}

// TestDNS checks the world's answers: A for hosts and autoconfig names,
// NODATA for other types, NXDOMAIN inside the world, REFUSED outside it.
func TestDNS(t *testing.T) {
	w := startWorld(t, 0)
	ctx := context.Background()
	r := resolver.New(w.DNSAddr)
	for _, tc := range []struct {
		name  string
		qtype uint16
		rcode int
		addr  bool
	}{
		{"imap.gmail.com", dns.TypeA, dns.RcodeSuccess, true},
		{"autoconfig.gmail.com", dns.TypeA, dns.RcodeSuccess, true},
		{"mail.inbox.la", dns.TypeA, dns.RcodeSuccess, true}, // mail.%EMAILDOMAIN%
		{"imap.gmail.com", dns.TypeAAAA, dns.RcodeSuccess, false},
		{"gmail.com", dns.TypeMX, dns.RcodeSuccess, false},
		{"_imaps._tcp.gmail.com", dns.TypeSRV, dns.RcodeNameError, false},
		{"autodiscover.gmail.com", dns.TypeA, dns.RcodeNameError, false},
	} {
		a, err := r.Query(ctx, tc.name, tc.qtype)
		if err != nil {
			t.Errorf("Query(%s %s) error = %v", tc.name, dns.TypeToString[tc.qtype], err)
			continue
		}
		if a.Rcode != tc.rcode || (len(a.Records) > 0) != tc.addr {
			t.Errorf("Query(%s %s) = %s with %d records, want %s with records %v", tc.name, dns.TypeToString[tc.qtype],
				dns.RcodeToString[a.Rcode], len(a.Records), dns.RcodeToString[tc.rcode], tc.addr)
		}
	}
	if _, err := r.Query(ctx, "example.com", dns.TypeA); !errors.Is(err, resolver.ErrServerFailure) {
		t.Errorf("Query(example.com A) error = %v, want REFUSED (%v)", err, resolver.ErrServerFailure)
	}
}

// TestDial checks that only the world's services are reachable.
func TestDial(t *testing.T) {
	w := startWorld(t, 0)
	ctx := context.Background()
	for _, addr := range []string{"127.0.0.2:80", "127.0.0.1:993", "192.0.2.1:443", "not an address"} {
		c, err := w.Dial(ctx, "tcp4", addr)
		if err == nil {
			c.Close()
			t.Errorf("Dial(%q) error = nil, want refused", addr)
		} else if addr != "not an address" && !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("Dial(%q) error = %v, want %v", addr, err, syscall.ECONNREFUSED)
		}
	}
	c, err := w.Dial(ctx, "tcp4", "127.0.0.2:443")
	if err != nil {
		t.Fatalf("Dial(web) error = %v", err)
	}
	c.Close()
}

// TestServers probes servers of each kind as the engine does: implicit TLS
// and STARTTLS verify with the certificate of the host asked for, a plain
// server offers no STARTTLS, and a plain port probed as STARTTLS fails
// closed.
func TestServers(t *testing.T) {
	w := startWorld(t, 10*time.Millisecond)
	opts := &probe.Options{
		LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return resolver.LookupIP(ctx, w.Resolver, host)
		},
		Dial:    w.Dial,
		RootCAs: w.RootCAs(),
	}
	for _, tc := range []struct {
		proto    autoconfig.Protocol
		host     string
		port     int
		sec      autoconfig.Security
		status   probe.Status
		starttls bool
	}{
		{autoconfig.IMAP, "imap.gmail.com", 993, autoconfig.TLS, probe.StatusOK, false},
		{autoconfig.SMTP, "smtp.gmail.com", 465, autoconfig.TLS, probe.StatusOK, false},
		{autoconfig.SMTP, "smtp.1und1.de", 587, autoconfig.STARTTLS, probe.StatusOK, true},
		{autoconfig.IMAP, "imap.1und1.de", 143, autoconfig.STARTTLS, probe.StatusOK, true},
		{autoconfig.POP3, "pop.1und1.de", 110, autoconfig.STARTTLS, probe.StatusOK, true},
		{autoconfig.POP3, "pop.1und1.de", 995, autoconfig.TLS, probe.StatusOK, false},
		{autoconfig.IMAP, "imap.peoplepc.com", 143, autoconfig.Plain, probe.StatusOK, false},
		{autoconfig.POP3, "pop.peoplepc.com", 110, autoconfig.Plain, probe.StatusOK, false},
		{autoconfig.IMAP, "imap.peoplepc.com", 143, autoconfig.STARTTLS, probe.StatusProtocolError, false},
		{autoconfig.IMAP, "imap.gmail.com", 995, autoconfig.TLS, probe.StatusUnreachable, false},
	} {
		tg := probe.Target{Protocol: tc.proto, Host: tc.host, Port: tc.port, Security: tc.sec}
		res := probe.Probe(context.Background(), tg, opts)
		if res.Status != tc.status || res.STARTTLSOffered != tc.starttls {
			t.Errorf("Probe(%s %s:%d/%s) = %s (%s), STARTTLS offered %v; want %s, %v",
				tc.proto, tc.host, tc.port, tc.sec, res.Status, res.Error, res.STARTTLSOffered, tc.status, tc.starttls)
			continue
		}
		if tc.sec != autoconfig.Plain && tc.status == probe.StatusOK &&
			(res.Cert == nil || !res.Cert.Valid || res.Cert.MatchedName != tc.host) {
			t.Errorf("Probe(%s %s:%d/%s).Cert = %+v, want valid for %s", tc.proto, tc.host, tc.port, tc.sec, res.Cert, tc.host)
		}
		if tc.status == probe.StatusOK && len(res.Capabilities) == 0 {
			t.Errorf("Probe(%s %s:%d/%s).Capabilities = none, want some", tc.proto, tc.host, tc.port, tc.sec)
		}
	}
}

// TestStartErrors checks Start's failures.
func TestStartErrors(t *testing.T) {
	if _, err := replay.Start(replay.Options{}); !errors.Is(err, replay.ErrNoCorpus) {
		t.Errorf("Start(no dir) error = %v, want %v", err, replay.ErrNoCorpus)
	}
	if _, err := replay.Start(replay.Options{CorpusDir: t.TempDir()}); !errors.Is(err, replay.ErrNoCorpus) {
		t.Errorf("Start(empty dir) error = %v, want %v", err, replay.ErrNoCorpus)
	}
	if _, err := replay.Start(replay.Options{CorpusDir: corpusDir, Latency: -time.Second}); err == nil ||
		!strings.Contains(err.Error(), "negative latency") {
		t.Errorf("Start(negative latency) error = %v, want negative latency", err)
	}
}
