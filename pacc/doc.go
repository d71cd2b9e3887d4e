// Package pacc reads and writes the provider configuration of
// draft-ietf-mailmaint-pacc-02, "Automatic Configuration of Email,
// Calendar, and Contact Server Settings" (PACC): a JSON document a provider
// serves at https://ua-auto-config.D/.well-known/user-agent-configuration.json,
// whose integrity is anchored in DNS by the SHA-256 digest of its exact bytes
// in the TXT record _ua-auto-config.D ("v=UAAC1; a=sha256; d=<base64>").
//
// The document lists at most one server per protocol: imap, pop3 and smtp by
// host (implicit TLS, on the protocol's port), jmap, caldav and carddav by
// https URL; its authentication member says whether the user signs in with a
// password, with OAuth2 as a public client (an issuer whose RFC 8414
// metadata names the endpoints), or both; its info member names the
// provider and its help pages.
//
// Like package autoconfig, this package holds formats only: it never touches
// the network and imports nothing of the detection engine. [Parse] reads a
// document strictly (size and nesting bounds, types, A-label host names,
// ports, https URLs) while ignoring unknown members, so later revisions of
// the draft still parse; [Document.Config] turns it into the neutral
// [autoconfig.Config]; [ParseRecord], [Verify] and [Record.String] handle
// the TXT record; [Write] and [TXTLine] produce what a provider publishes.
package pacc
