package lab

import (
	"net/http"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect"
)

// SetSourceLatency delays, for one scenario domain, the answers that one
// discovery source of the engine waits for, so that tests can make any
// source the last to answer; zero removes the delay. It is safe to call
// while the lab runs, and other domains are not affected.
//
// What is delayed, per source: srv the mail SRV queries (_imaps._tcp.D,
// ...); mx the MX query of D; guess the address query of pop3.D (the guess
// source waits for all its names, and no scenario serves mail on pop3.D);
// autoconfig the https request to autoconfig.D carrying the address;
// autoconfig-wellknown the https request to D's well-known path;
// autoconfig-http every plain http request of D; ispdb the ISP database's
// entry for D; autodiscover the _autodiscover SRV query and every
// Autodiscover POST within D. The local source reads files and cannot be
// delayed here.
func (l *Lab) SetSourceLatency(domain string, src detect.SourceName, d time.Duration) {
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.delays == nil {
		l.delays = make(map[string]map[detect.SourceName]time.Duration)
	}
	if l.delays[domain] == nil {
		l.delays[domain] = make(map[detect.SourceName]time.Duration)
	}
	if d <= 0 {
		delete(l.delays[domain], src)
		return
	}
	l.delays[domain][src] = d
}

// sourceDelay is the delay set for src on the scenario domain that name
// (a host or query name, without trailing dot) belongs to.
func (l *Lab) sourceDelay(src detect.SourceName, name string) time.Duration {
	if src == "" {
		return 0
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	l.mu.Lock()
	defer l.mu.Unlock()
	for domain, m := range l.delays {
		if d := m[src]; d > 0 && (name == domain || strings.HasSuffix(name, "."+domain)) {
			return d
		}
	}
	return 0
}

// dnsSource is the engine source a DNS question comes from, and the name
// to match delays with.
func dnsSource(q dns.Question) (detect.SourceName, string) {
	name := strings.ToLower(strings.TrimSuffix(q.Name, "."))
	switch q.Qtype {
	case dns.TypeSRV:
		for _, p := range []string{"_imaps.", "_imap.", "_pop3s.", "_pop3.", "_submissions.", "_submission."} {
			if strings.HasPrefix(name, p) {
				return detect.SourceSRV, name
			}
		}
		if strings.HasPrefix(name, "_autodiscover.") {
			return detect.SourceAutodiscover, name
		}
	case dns.TypeMX:
		return detect.SourceMX, name
	case dns.TypeTXT:
		if strings.HasPrefix(name, "_ua-auto-config.") {
			return detect.SourcePACC, name
		}
	case dns.TypeA, dns.TypeAAAA:
		if strings.HasPrefix(name, "pop3.") {
			return detect.SourceGuess, name
		}
		if strings.HasPrefix(name, "ua-auto-config.") {
			return detect.SourcePACC, name
		}
	}
	return "", ""
}

// webSource is the engine source an http(s) request comes from, and the
// name to match delays with.
func webSource(scheme, host string, r *http.Request) (detect.SourceName, string) {
	switch {
	case scheme == "http":
		return detect.SourceAutoconfigHTTP, host
	case host == ispdbHost:
		return detect.SourceISPDB, strings.TrimPrefix(r.URL.Path, "/v1.1/")
	case r.URL.Path == wellKnownPath:
		return detect.SourceWellKnown, host
	case r.URL.Path == autoconfigPath && r.URL.Query().Has("emailaddress"):
		return detect.SourceAutoconfig, host
	case r.URL.Path == autodiscoverPath:
		return detect.SourceAutodiscover, host
	case r.URL.Path == paccPath:
		return detect.SourcePACC, host
	}
	return "", ""
}
