// Package east plays the EAST STARTTLS test cases against Mailsetup's
// probes.
//
// EAST (Email Analysis Toolkit; Poddebniak, Ising, Böck and Schinzel, "Why
// TLS is better without STARTTLS", USENIX Security 2021) found that mail
// clients can be made to use data an attacker injected before the TLS
// handshake, to skip TLS when STARTTLS is refused or hidden, to accept a
// certificate they should not, or to send a password in plaintext. The
// study's fake-mail-server describes each attack as a scripted IMAP, POP3 or
// SMTP server in a RON file (Rusty Object Notation): its greeting, its
// capabilities before and after TLS, its answer to STARTTLS and whether TLS
// follows, commands it ignores, hides or answers with injected bytes, and its
// certificate.
//
// This package reads those files (Parse, LoadCase, LoadCorpus), plays them
// on a loopback listener (Serve) the way fake-mail-server does, and records
// everything the client sent, whether TLS protected it, and every credential
// it carried. The test TestEAST runs detect/probe's Probe and Login against
// every case and checks four properties: no verified-TLS verdict that was not
// earned, no use of anything the server sent before TLS, no credential
// without verified TLS, and no plaintext fallback. It reads the corpus from
// shared/corpus/east beside the checkout (see shared/SOURCES.md); nothing of
// the corpus is copied here.
//
// The package is test infrastructure: it is not part of the engine.
package east
