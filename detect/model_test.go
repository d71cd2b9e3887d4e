package detect_test

import (
	"testing"

	"github.com/mailsetup/mailsetup/internal/lab"
)

// The round-trip model of the lab: how many injected latencies the
// shortest chain that proves a scenario's answer must wait, whatever the
// engine does. BenchmarkCriticalPath divides the measured time by it.
//
// What the lab injects (lab.Options.Latency, one L each): every DNS
// answer, and the first write of each server response (the greeting, each
// answer to a command, each TLS handshake flight, each HTTP response). A
// TCP connect costs no injected round trip in the lab (its Dial adds
// none), so the model counts none for it: counting one would flatter the
// ratio.

// Round trips of one step.
const (
	rtDNS     = 1 // one query; the A and AAAA queries of a host go in parallel
	rtChain   = 1 // DS and DNSKEY of a zone not yet validated in the run, fetched in parallel after its first answer
	rtConnect = 0 // TCP connect: the lab injects no latency there
	rtTLS     = 1 // TLS 1.3: ClientHello → the server's flight (the client's Finished goes with its next write)
	rtReply   = 1 // one command and its answer: a greeting, CAPABILITY, EHLO, STARTTLS, an HTTP request
)

// Round trips of a probe once the host's addresses are known (the lab's
// IMAP greeting carries its capabilities, RFC 9051 §7.1).
const (
	probeIMAPS    = rtConnect + rtTLS + rtReply                               // greeting
	probeSMTPS    = rtConnect + rtTLS + rtReply + rtReply                     // greeting, EHLO
	probeIMAPSTLS = rtConnect + rtReply + rtReply + rtTLS + rtReply           // greeting, STARTTLS, TLS, CAPABILITY
	probeSMTPSTLS = rtConnect + rtReply + rtReply + rtReply + rtTLS + rtReply // greeting, EHLO, STARTTLS, TLS, EHLO
	probeRefused  = rtConnect                                                 // nothing listens: known at connect
)

// Round trips of the sources' requests.
const (
	httpsGet   = rtDNS + rtConnect + rtTLS + rtReply // a document, or the ISP database's 404
	noHost     = rtDNS                               // the host of a URL does not exist
	srvAnswer  = rtDNS + rtChain                     // the six SRV queries at once, validated (signed or proven unsigned)
	mxAnswer   = rtDNS                               // the MX answer (its validation runs beside what follows)
	lookupWarm = rtDNS                               // a host in a zone validated earlier in the run
	lookupCold = rtDNS + rtChain                     // a host in a zone not validated yet
	// paccNone: the _ua-auto-config TXT query, its denial validated (the
	// zone's keys fetched beside SRV's); with no v=UAAC1 record the PACC
	// source answers at once, without waiting for its https fetch.
	paccNone = rtDNS + rtChain
)

// path is how the recommended server of one direction is proven: a source
// names it (after source round trips), then its probe verifies it.
type path struct {
	source int // round trips until the first source naming the server of the recommended trust answered
	probe  int // round trips of the probe once the addresses are known
	// lookup is the address lookup when the probe starts after the source
	// (lookupWarm when the zone was validated by then).
	lookup int
	// guessable: the server is one the guess source names (imap.D, mail.D,
	// D, pop.D, pop3.D, smtp.D on a standard port), so it can be probed from
	// the start, with a cold lookup, before any source named it.
	guessable bool
	// guessedHost: the host is a guessed name, perhaps for another
	// protocol or port (imap.D serving SMTP on 465), so its addresses can
	// be looked up from the start (cold) whatever the source says later.
	guessedHost bool
}

// rt is the round trips until the direction's answer is proven.
func (p path) rt() int {
	known := p.source + p.lookup // the addresses, once the source named the host
	if p.guessable || p.guessedHost {
		known = max(p.source, lookupCold)
	}
	after := known + p.probe
	if p.guessable {
		after = min(after, lookupCold+p.probe)
	}
	return max(p.source, after)
}

// model is the round-trip model of one scenario.
type model struct {
	in, out path
	// proofs are the round trips needed to know that every source that
	// could outrank the answer has nothing (and, for STARTTLS answers, that
	// no implicit-TLS server of the same trust exists).
	proofs []int
}

// rt is the critical path in round trips: both directions proven, and
// every proof in.
func (m model) rt() int {
	n := max(m.in.rt(), m.out.rt())
	for _, p := range m.proofs {
		n = max(n, p)
	}
	return n
}

// models are the benchmarked scenarios. The sources that could outrank an
// answer are those of a higher trust ceiling, or of the same one and an
// earlier precedence (local, srv, pacc, autoconfig, autoconfig-wellknown,
// ispdb, autodiscover, mx, autoconfig-http, guess). PACC's ceiling is
// dnssec: every answer below it waits for paccNone.
var models = map[string]model{
	// SRV (signed) names mail.D for both directions; local (a file) is
	// the only source above it.
	"demo.test": {
		in:  path{source: srvAnswer, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out: path{source: srvAnswer, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
	},
	// Unsigned SRV (trust dns): every https source must be known to have
	// nothing; the ISP database's 404 is the slowest.
	"srv.test": {
		in:     path{source: srvAnswer, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: srvAnswer, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, httpsGet, noHost, noHost, noHost},
	},
	// https autoconfig names imap.D and smtp.D; SRV must have nothing.
	"autoconfig.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, srvAnswer},
	},
	// The well-known URL names mail.D; SRV and autoconfig.D (no such host)
	// must have nothing.
	"wellknown.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, srvAnswer, noHost},
	},
	// The ISP database names mail.D; SRV, autoconfig.D and D must have
	// nothing.
	"ispdb.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, srvAnswer, noHost, noHost},
	},
	// MX names mx1.provider.test; the provider's https autoconfig names
	// imap. and smtp.provider.test, not guessable for mx.test. Their zone's
	// keys can be fetched while the provider's file is (the provider is
	// known from the MX answer), so their lookup is warm. Every source
	// above mx must have nothing; the ISP database's 404 is the slowest.
	"mx.test": {
		in:     path{source: mxAnswer + httpsGet, lookup: lookupWarm, probe: probeIMAPS},
		out:    path{source: mxAnswer + httpsGet, lookup: lookupWarm, probe: probeSMTPS},
		proofs: []int{paccNone, srvAnswer, httpsGet, noHost, noHost, mxAnswer + rtChain},
	},
	// Autodiscover's POST to autodiscover.D (its _autodiscover SRV query
	// beside it) names mail.D:993 and mail.D:587 STARTTLS; for the
	// STARTTLS answer, mail.D:465 (guessable) must be known closed.
	"autodiscover.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPSTLS, guessable: true},
		proofs: []int{paccNone, srvAnswer, httpsGet, noHost, noHost, lookupCold + probeRefused},
	},
	// https autoconfig names every port of mail.D; only 143 and 587 answer,
	// and 993 and 465 must be known closed.
	"starttls.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPSTLS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPSTLS, guessable: true},
		proofs: []int{paccNone, srvAnswer, lookupCold + probeRefused},
	},
	// https autoconfig names imap.D:993 (guessable) and imap.D:465: not a
	// guessed server for SMTP, but imap.D is a guessed host, so its
	// addresses are known from the start.
	"conflict.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessedHost: true},
		proofs: []int{paccNone, srvAnswer},
	},
	// Nothing published: every source must have nothing (ISP database 404,
	// SRV, MX validated, autodiscover and autoconfig hosts absent), then
	// imap.D:993 and smtp.D:465 are the first guesses.
	"guess.test": {
		in:     path{source: rtDNS, lookup: lookupCold, probe: probeIMAPS, guessable: true},
		out:    path{source: rtDNS, lookup: lookupCold, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, httpsGet, srvAnswer, mxAnswer + rtChain, noHost, noHost},
	},
}

// TestModelRoundTrips checks the model against counts derived by hand.
func TestModelRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		domain string
		want   int
	}{
		// demo.test: mail.demo.test is a guessed name, so its probe need not
		// wait for the SRV answer. Outgoing, from the start: A/AAAA of
		// mail.demo.test (1) and the keys of demo.test, test. and the root
		// (1), TLS (1), greeting (1), EHLO (1) = 5. Waiting for the SRV
		// answer instead: SRV (1) + keys (1) + A/AAAA (1) + TLS, greeting,
		// EHLO (3) = 6; the shorter is 5. Incoming, without EHLO: 4. Only
		// the local folder could outrank a signed SRV answer: 0.
		{"demo.test", 5},
		// mx.test: MX of mx.test (1); then https://autoconfig.provider.test
		// — its address (1), TLS (1), the document (1); then
		// smtp.provider.test's address (1; provider.test's keys were fetched
		// while the document was), TLS (1), greeting (1), EHLO (1) = 8.
		// Incoming lacks EHLO: 7. The slowest "nothing" above mx is the ISP
		// database's 404 for mx.test: address, TLS, 404 = 3.
		{"mx.test", 8},
		// starttls.test: mail.starttls.test is a guessed name. Outgoing
		// 587 from the start: address and keys (2), greeting (1), EHLO
		// (1), STARTTLS (1), TLS (1), EHLO (1) = 7; after the autoconfig
		// answer (3) it would be 3 + 1 + 5 = 9. Incoming 143: 2 + greeting,
		// STARTTLS, TLS, CAPABILITY (4) = 6. That 465 and 993 are closed is
		// known after the address (2), SRV's nothing after 2.
		{"starttls.test", 7},
	} {
		m, ok := models[tc.domain]
		if !ok {
			t.Fatalf("no model for %s", tc.domain)
		}
		if got := m.rt(); got != tc.want {
			t.Errorf("models[%q].rt() = %d, want %d", tc.domain, got, tc.want)
		}
	}
}

// TestModelsCoverBenchmark: every benchmarked scenario has a model whose
// answer is the lab's expected one (a model of a scenario that recommends
// nothing would measure nothing).
func TestModelsCoverBenchmark(t *testing.T) {
	for _, d := range benchScenarios {
		if _, ok := models[d]; !ok {
			t.Errorf("benchmarked scenario %s has no model", d)
		}
		sc, ok := scenario(d)
		if !ok || sc.Expect.In == "" || sc.Expect.Out == "" {
			t.Errorf("benchmarked scenario %s recommends nothing in the lab", d)
		}
	}
}

func scenario(domain string) (lab.Scenario, bool) {
	for _, sc := range lab.Scenarios {
		if sc.Domain == domain {
			return sc, true
		}
	}
	return lab.Scenario{}, false
}
