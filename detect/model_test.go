package detect_test

import (
	"testing"

	"github.com/mailsetup/mailsetup/detect"
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
	rtChain   = 1 // DS and DNSKEY of a zone not yet validated in the run, fetched in parallel after its first answer (the domain's own zone excepted: see lookupGuessed)
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

// Round trips until a probe fails, once the host's addresses are known: a
// failed probe proves that its server is not a safe answer.
const (
	failCert           = rtConnect + rtTLS                 // the certificate (wrong name, expired) comes in the server's TLS flight
	failDANE           = rtConnect + rtTLS                 // the key, against TLSA records asked beside the connection once the host is found (one query)
	failNoSTARTTLSIMAP = rtConnect + rtReply               // the greeting's capabilities lack STARTTLS
	failNoSTARTTLSSMTP = rtConnect + rtReply + rtReply     // the EHLO reply lacks STARTTLS
	failRefusedSMTP    = rtConnect + rtReply + rtReply + 0 // greeting, EHLO, then 454: the lab writes refusals without latency
)

// Round trips of the sources' requests.
const (
	httpsGet = rtDNS + rtConnect + rtTLS + rtReply // a document, or the ISP database's 404
	noHost   = rtDNS                               // the host of a URL does not exist
	// The domain's chain of trust (the DS and DNSKEY records from the root
	// down to it) is asked from the start, beside the sources' first
	// queries (dnssec.Validator.Prime): the answers of the domain's own
	// zone are validated as they come in, with no round trip more.
	srvAnswer  = rtDNS           // the six SRV queries at once, validated (signed or proven unsigned)
	mxAnswer   = rtDNS           // the MX answer, validated (or its denial)
	lookupWarm = rtDNS           // a host in a zone validated earlier in the run
	lookupCold = rtDNS + rtChain // a host in another zone, not validated yet
	// lookupGuessed: a guessed host (imap.D, mail.D, D, ...) is in the
	// domain's zone, whose chain is fetched from the start.
	lookupGuessed = rtDNS
	httpGet       = rtConnect + rtReply         // plain http, the host's address known from the https attempt
	postAgain     = rtConnect + rtTLS + rtReply // another https request to a host whose address is known
	// paccNone: the _ua-auto-config TXT query, its denial validated (the
	// domain's keys fetched from the start); with no v=UAAC1 record the
	// PACC source answers at once, without waiting for its https fetch.
	paccNone = rtDNS
	// paccFetch: with a v=UAAC1 record the PACC source waits for its https
	// fetch too, started beside the TXT query: the later of the two.
	paccFetch = max(paccNone, httpsGet)
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
		known = max(p.source, lookupGuessed)
	}
	after := known + p.probe
	if p.guessable {
		after = min(after, lookupGuessed+p.probe)
	}
	return max(p.source, after)
}

// model is the round-trip model of one scenario.
type model struct {
	// in and out are how each direction's answer is proven; the zero path
	// is a direction with no recommendation (the lab expects none), whose
	// answer is the conclusion that nothing safe exists: that is in proofs.
	in, out path
	// proofs are the round trips needed to know that every source that
	// could outrank the answer has nothing (and, for STARTTLS answers, that
	// no implicit-TLS server of the same trust exists). For a direction
	// with no recommendation: that every source has answered, and that
	// every server that could have been recommended failed.
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
		proofs: []int{paccNone, srvAnswer, httpsGet, noHost, noHost, mxAnswer},
	},
	// Autodiscover's POST to autodiscover.D (its _autodiscover SRV query
	// beside it) names mail.D:993 and mail.D:587 STARTTLS; for the
	// STARTTLS answer, mail.D:465 (guessable) must be known closed.
	"autodiscover.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPSTLS, guessable: true},
		proofs: []int{paccNone, srvAnswer, httpsGet, noHost, noHost, lookupGuessed + probeRefused},
	},
	// https autoconfig names every port of mail.D; only 143 and 587 answer,
	// and 993 and 465 must be known closed.
	"starttls.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPSTLS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPSTLS, guessable: true},
		proofs: []int{paccNone, srvAnswer, lookupGuessed + probeRefused},
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
		in:     path{source: rtDNS, lookup: lookupGuessed, probe: probeIMAPS, guessable: true},
		out:    path{source: rtDNS, lookup: lookupGuessed, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, httpsGet, srvAnswer, mxAnswer, noHost, noHost},
	},

	// Signed SRV names mail.D (guessable) for both, as demo.test; the
	// autoconfig naming imap.D and smtp.D cannot outrank it.
	"srvwins.test": {
		in:  path{source: srvAnswer, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out: path{source: srvAnswer, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
	},
	// Unsigned SRV names mail.provider.test, neither guessable nor in a
	// zone validated by then (cold); every https source must have nothing.
	"srvout.test": {
		in:     path{source: srvAnswer, lookup: lookupCold, probe: probeIMAPS},
		out:    path{source: srvAnswer, lookup: lookupCold, probe: probeSMTPS},
		proofs: []int{httpsGet, noHost, noHost, noHost},
	},
	// Unsigned SRV names mail.D (guessable), trust dns: the hostile
	// autoconfig (refused once fetched) and the ISP database's 404 must be in.
	"hostile.test": {
		in:     path{source: srvAnswer, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: srvAnswer, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{httpsGet, httpsGet, noHost},
	},
	// The local file names mail.D (guessable) from the start; nothing
	// outranks the local trust.
	"local.test": {
		in:  path{source: 0, lookup: lookupGuessed, probe: probeIMAPS, guessable: true},
		out: path{source: 0, lookup: lookupGuessed, probe: probeSMTPS, guessable: true},
	},
	// https autoconfig names mail.D (guessable, its only address an AAAA
	// record, asked beside the A query), as autoconfig.test.
	"v6.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{srvAnswer},
	},
	// https autoconfig names mail.D:993, :995, :465 (guessable) with
	// OAuth2: the mechanisms come in the greeting's capabilities and the
	// EHLO reply, and detection asks the OAuth2 provider nothing.
	"oauth.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{srvAnswer},
	},
	// As oauth.test, OAuth2 or a password.
	"oauthboth.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{srvAnswer},
	},
	// Plain-http autoconfig (trust insecure) names mail.D (guessable): it
	// is asked once both https autoconfig sources failed (autoconfig.D
	// refuses https, D does not exist: 1), its address known by then; MX
	// (same trust, earlier precedence) and every higher source must have
	// nothing.
	"http.test": {
		in:     path{source: noHost + httpGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: noHost + httpGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{httpsGet, srvAnswer, mxAnswer},
	},
	// https autoconfig answers a redirect to http, refused (3); then the
	// plain-http fallback (1) names mail.D (guessable), trust insecure.
	"redirect.test": {
		in:     path{source: httpsGet + httpGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet + httpGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{httpsGet, srvAnswer, mxAnswer},
	},
	// https autoconfig redirects to https://autoconfig.provider.test (3 +
	// 3), whose document names imap. and smtp.provider.test: a redirect
	// names a URL, not a mail domain, so their zone is cold.
	"xredirect.test": {
		in:     path{source: httpsGet + httpsGet, lookup: lookupCold, probe: probeIMAPS},
		out:    path{source: httpsGet + httpsGet, lookup: lookupCold, probe: probeSMTPS},
		proofs: []int{httpsGet, srvAnswer},
	},
	// Autodiscover's POST (its SRV query beside it) answers redirectAddr
	// to alice@autodiscover.test; the POST to autodiscover.autodiscover.test
	// names mail.autodiscover.test:993 and :587 STARTTLS (not guessable
	// here). The redirect names a mail domain, whose keys can be fetched
	// during that POST (warm, as the MX provider's). No implicit-TLS SMTP
	// server is named or guessable: nothing more to prove.
	"adredirect.test": {
		in:     path{source: httpsGet + httpsGet, lookup: lookupWarm, probe: probeIMAPS},
		out:    path{source: httpsGet + httpsGet, lookup: lookupWarm, probe: probeSMTPSTLS},
		proofs: []int{httpsGet, srvAnswer, mxAnswer},
	},
	// Autodiscover tries autodiscover.D and D (absent: 1, the _autodiscover
	// SRV answer beside them), then the SRV target exchange.D (3), which
	// names mail.D:993 and :465 (guessable).
	"adsrv.test": {
		in:     path{source: noHost + httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: noHost + httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{httpsGet, srvAnswer},
	},
	// https autoconfig names mail.D:143 and :587 STARTTLS (guessable); the
	// injected line comes with the answer to STARTTLS (no round trip more);
	// 993 and 465 must be known closed.
	"injection.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPSTLS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPSTLS, guessable: true},
		proofs: []int{srvAnswer, lookupGuessed + probeRefused},
	},

	// No recommendation: the answer is that nothing safe exists, once
	// every source has answered (the ISP database's 404, 3, is the
	// slowest "nothing") and every server that could be recommended failed.

	// Signed SRV names mail.D:993 and :465 (guessable), whose key the TLSA
	// records (asked once the host is found) reject at the TLS flight;
	// the guessed other ports of mail.D are closed.
	"danebad.test": {proofs: []int{httpsGet, srvAnswer, lookupGuessed + failDANE, lookupGuessed + probeRefused}},
	// Every signature expired: the SRV and MX answers and mail.D's
	// addresses are bogus as they come in, the keys beside them (1).
	"bogus.test": {proofs: []int{httpsGet, srvAnswer, mxAnswer, lookupGuessed}},
	// https autoconfig names mail.D:143 and :587 STARTTLS (guessable),
	// which lack STARTTLS: the EHLO reply shows it; 993 and 465 are closed.
	"nostarttls.test": {proofs: []int{httpsGet, srvAnswer, lookupGuessed + failNoSTARTTLSIMAP, lookupGuessed + failNoSTARTTLSSMTP}},
	// https autoconfig names mail.D:993 and :465 (guessable), whose
	// certificate names another host: known at the TLS flight.
	"badcert.test": {proofs: []int{httpsGet, srvAnswer, lookupGuessed + failCert, lookupGuessed + probeRefused}},
	// As badcert.test, the certificate expired.
	"expired.test": {proofs: []int{httpsGet, srvAnswer, lookupGuessed + failCert, lookupGuessed + probeRefused}},
	// https autoconfig names mail.D:143 and :587 in plain text: never
	// recommendable, so their probes prove nothing; what proves that
	// nothing safe exists is the guessed STARTTLS ports of mail.D lacking
	// STARTTLS (the EHLO reply) and 993 and 465 closed.
	"plain.test": {proofs: []int{httpsGet, srvAnswer, lookupGuessed + failNoSTARTTLSIMAP, lookupGuessed + failNoSTARTTLSSMTP}},
	// https autoconfig names mail.D:143 and :587 STARTTLS (guessable),
	// which refuse it (the lab writes the refusal without latency).
	"refused.test": {proofs: []int{httpsGet, srvAnswer, lookupGuessed + failRefusedSMTP, lookupGuessed + probeRefused}},
	// https autoconfig names gone.D: its absence is one query in a zone the
	// SRV answer validated.
	"nxhost.test": {proofs: []int{httpsGet + lookupWarm, srvAnswer}},
	// https autoconfig names mail.D:993 and :465 (guessable): nothing
	// listens, known at connect.
	"closed.test": {proofs: []int{httpsGet, srvAnswer, lookupGuessed + probeRefused}},
	// The 2 MiB autoconfig is refused at the limit as it comes in (the lab
	// delays its first write only); the http fallback is refused at connect.
	"huge.test": {proofs: []int{httpsGet + rtConnect, httpsGet, srvAnswer}},
	// Autodiscover's first POST (3, its SRV query beside it) and
	// MaxRedirects more to the same host (2 each, its address known): the
	// chain is cut at the limit.
	"adloop.test": {proofs: []int{httpsGet + detect.MaxRedirects*postAgain, srvAnswer}},
	// mail.D exists and serves nothing: its guessed ports are closed.
	"guessfail.test": {proofs: []int{httpsGet, srvAnswer, mxAnswer, lookupGuessed + probeRefused}},
	// Nothing exists: every source answers "nothing".
	"nothing.test": {proofs: []int{httpsGet, srvAnswer, mxAnswer, noHost}},

	// PACC (issue 16): the _ua-auto-config TXT query (1) and the https GET
	// of ua-auto-config.D (3) start together. Every document names mail.D
	// (guessable) on 993 and 465.

	// The signed TXT digest matches (paccFetch): trust dnssec, which only
	// local and SRV (precedence) could outrank, as demo.test.
	"pacc.test": {
		in:     path{source: paccFetch, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: paccFetch, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{srvAnswer},
	},
	// As pacc.test, the TXT answer proven unsigned: trust https, which
	// only SRV's dnssec ceiling could outrank.
	"paccunsigned.test": {
		in:     path{source: paccFetch, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: paccFetch, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{srvAnswer},
	},
	// As pacc.test: the long record's strings come in one TXT answer.
	"pacclong.test": {
		in:     path{source: paccFetch, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: paccFetch, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{srvAnswer},
	},
	// https autoconfig names mail.D (trust https); PACC (ceiling dnssec)
	// must be in: its fetched document mismatches the digest (paccFetch).
	"paccbad.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccFetch, srvAnswer},
	},
	// As paccbad.test, PACC's fetch ends at the refused 302 (paccFetch).
	"paccredirect.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccFetch, srvAnswer},
	},
	// As paccbad.test, nothing listens on ua-auto-config.D:443 (refused
	// at connect, 1): PACC is in with its TXT answer.
	"pacchttp.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{max(paccNone, rtDNS+probeRefused), srvAnswer},
	},
	// As paccbad.test, PACC's fetch fails at the server's TLS flight (2).
	"pacccert.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{max(paccNone, rtDNS+failCert), srvAnswer},
	},
	// As paccbad.test, the 100 KB document refused at the bound as it comes
	// in (the lab delays its first write only: paccFetch).
	"pacchuge.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccFetch, srvAnswer},
	},
	// As bogus.test (no recommendation): the TXT answer is bogus once the
	// keys are in (paccNone; the fetch is not waited for), the ISP
	// database's 404 (3) the slowest "nothing".
	"paccbogus.test": {proofs: []int{httpsGet, paccNone, srvAnswer, mxAnswer, lookupGuessed}},

	// Services (issue 16): their sources and probes name no mail server and
	// hold no mail answer back. Each scenario's mail is https autoconfig
	// naming mail.D (guessable) on 993 and 465, as autoconfig.test.

	// SRV _caldavs, _carddavs, _jmap and well-known redirects to dav.D.
	"dav.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, srvAnswer},
	},
	// Well-known redirect loops and a redirect to http.
	"davloop.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, srvAnswer},
	},
	// Well-known redirects to another domain's DAV server.
	"davcross.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, srvAnswer},
	},
	// CalDAV by the plain-http SRV name only.
	"davplain.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, srvAnswer},
	},
	// SRV names a DAV server with a certificate for another name.
	"davbadcert.test": {
		in:     path{source: httpsGet, lookup: lookupWarm, probe: probeIMAPS, guessable: true},
		out:    path{source: httpsGet, lookup: lookupWarm, probe: probeSMTPS, guessable: true},
		proofs: []int{paccNone, srvAnswer},
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
		// mail.demo.test with the keys of demo.test, test. and the root
		// beside it (1), TLS (1), greeting (1), EHLO (1) = 4. Waiting for
		// the SRV answer instead: SRV and keys (1) + A/AAAA (1) + TLS,
		// greeting, EHLO (3) = 5; the shorter is 4. Incoming, without
		// EHLO: 3. Only the local folder could outrank a signed SRV
		// answer: 0.
		{"demo.test", 4},
		// mx.test: MX of mx.test (1); then https://autoconfig.provider.test
		// — its address (1), TLS (1), the document (1); then
		// smtp.provider.test's address (1; provider.test's keys were fetched
		// while the document was), TLS (1), greeting (1), EHLO (1) = 8.
		// Incoming lacks EHLO: 7. The slowest "nothing" above mx is the ISP
		// database's 404 for mx.test: address, TLS, 404 = 3.
		{"mx.test", 8},
		// starttls.test: mail.starttls.test is a guessed name. Outgoing
		// 587 from the start: address and keys (1), greeting (1), EHLO
		// (1), STARTTLS (1), TLS (1), EHLO (1) = 6; after the autoconfig
		// answer (3) it would be 3 + 1 + 5 = 9. Incoming 143: 1 + greeting,
		// STARTTLS, TLS, CAPABILITY (4) = 5. That 465 and 993 are closed is
		// known after the address (1), SRV's nothing after 1.
		{"starttls.test", 6},
		// oauth.test: as autoconfig.test, OAuth2 costs no round trip:
		// the autoconfig document (address 1, TLS 1, document 1) = 3;
		// mail.oauth.test is a guessed name, probed from the start: address
		// and keys (1), TLS (1), greeting (1), EHLO (1) = 4 for 465, 3 for
		// 993; SRV's nothing is in after 1. The mechanisms (OAUTHBEARER,
		// XOAUTH2) are read from the greeting and the EHLO reply.
		{"oauth.test", 4},
		// plain.test (no recommendation): the guessed mail.plain.test:587
		// STARTTLS — address and keys (1), greeting (1), EHLO without
		// STARTTLS (1) = 3 — is the last server that could have been safe
		// (143: 2; 993, 465, 995, 110 refused at connect: 1). The plain
		// 143 and 587 the autoconfig names (3) can never be recommended:
		// their probes prove nothing. The ISP database's 404: 3. Both: 3.
		{"plain.test", 3},
		// adloop.test (no recommendation, bounded by the redirect limit):
		// the first POST to autodiscover.adloop.test, address (1; the
		// _autodiscover SRV query beside it), TLS (1), redirectUrl (1) = 3,
		// then 5 more POSTs to the same host (its address known): TLS and
		// answer, 2 each = 10; the sixth redirect is refused: 13.
		{"adloop.test", 13},
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

// TestModelsCoverBenchmark: every benchmarked scenario has a model, and
// the model's directions without a recommendation (the zero path) are
// exactly those the lab expects none for; every lab scenario but
// silent.test is benchmarked.
func TestModelsCoverBenchmark(t *testing.T) {
	bench := map[string]bool{}
	for _, d := range benchScenarios {
		bench[d] = true
		m, ok := models[d]
		if !ok {
			t.Errorf("benchmarked scenario %s has no model", d)
			continue
		}
		sc, ok := scenario(d)
		if !ok {
			t.Errorf("benchmarked scenario %s is not in the lab", d)
			continue
		}
		for _, dir := range []struct {
			name   string
			p      path
			expect string
		}{{"incoming", m.in, sc.Expect.In}, {"outgoing", m.out, sc.Expect.Out}} {
			if (dir.p == path{}) != (dir.expect == "") {
				t.Errorf("%s %s: model without a recommendation = %v, lab expects %q", d, dir.name, dir.p == path{}, dir.expect)
			}
		}
		if m.rt() == 0 {
			t.Errorf("%s: the model's critical path is 0 round trips", d)
		}
	}
	for _, sc := range lab.Scenarios {
		if !bench[sc.Domain] && sc.Domain != "silent.test" {
			t.Errorf("lab scenario %s is not benchmarked", sc.Domain)
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
