// Package realmail checks the detection engine (detect.Run and
// detect.VerifyLogin) against real mail and web servers from Debian's
// packages, configured the way a small provider would run them: Dovecot
// (dovecot-imapd, dovecot-pop3d), Postfix (postfix) and nginx (nginx).
// scripts/install-deps test installs them, as .ci/run does.
//
// The package holds tests only. TestRealServers starts, as child processes
// of the test and only on loopback, each daemon on its own 127.87.0.x
// address and with its own configuration, state, pid and log files in a
// temporary folder (never the system's configuration or run paths):
//
//   - a small DNS server (miekg/dns) on 127.87.0.1:53, authoritative for the
//     unsigned zones interop.test. and elsewhere.test.; the engine runs
//     without trust anchors, so every answer is indeterminate, and refuses
//     every other name;
//   - Dovecot on 127.87.0.11 (IMAP 993 implicit TLS and 143 STARTTLS, POP3
//     995 and 110 STARTTLS), 127.87.0.18 (STARTTLS ports only) and
//     127.87.0.14 (993 with a certificate for another name), users from a
//     passwd-file, and an auth socket for Postfix's SASL;
//   - Postfix on 127.87.0.12 (465 implicit TLS, 587 STARTTLS required, SASL
//     through Dovecot), 127.87.0.19 (587 only), 127.87.0.13 (587 with TLS
//     off: no STARTTLS offered) and 127.87.0.15 (465 with a certificate for
//     another name), every listener bound in master.cf;
//   - nginx on 127.87.0.10:443, serving Mozilla autoconfig files and an
//     Autodiscover POX answer (a POST) for the scenario domains;
//   - a Go listener on 127.87.0.20 (993 and 465) that accepts connections
//     and never says a word.
//
// Every certificate comes from a CA made for the run (internal/lab/certs),
// which only the engine's RootCAs trust. The scenarios, each a domain under
// interop.test, go through detect.Run with that resolver and those roots:
// a correct domain (verified implicit TLS, then a login check with the right
// and a wrong password, SMTP AUTH going through Dovecot's SASL), a
// STARTTLS-only domain, a submission port that offers no STARTTLS, wrong
// certificate names, an SRV target outside the domain, and a silent host
// ranked first. `go test -v -run RealServers ./internal/realmail/` prints a
// table of their verdicts, recommendations and warnings.
//
// The test needs root (the daemons, and the standard ports on 127.87.0.x)
// and skips without it; a missing binary fails it, naming the Debian
// package. Nothing leaves 127.0.0.0/8: the daemons are configured never to
// look a name up (Postfix: no peer name lookups, fixed host names), and the
// engine uses only the test's DNS server. Every daemon is stopped, its
// process group killed, when the test ends.
package realmail
