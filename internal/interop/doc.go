// Package interop checks Mailsetup's DNSSEC validator (detect/dnssec) and
// DANE matcher (detect/dane) against tools no one here wrote, installed from
// Debian's packages (scripts/install-deps, as .ci/run does): NSD, Unbound,
// delv (bind9-dnsutils), ldns-dane (ldnsutils) and openssl.
//
// The package holds tests only. Each test starts, on loopback and as child
// processes it stops at the end:
//
//   - the in-process lab (internal/lab), whose TLS servers serve the DANE
//     cases and whose signed zone files (root, test., every scenario zone)
//     name 127.53.0.1 as every zone's name server;
//   - NSD on 127.53.0.1:53, authoritative for all of those zone files, run in
//     the foreground with its own configuration, pid, xfrd and zone-list
//     files in a temporary folder;
//   - Unbound on 127.53.0.2:53, validating with the lab's trust anchor, its
//     root hints naming only NSD, and its queries leaving from 127.53.0.2:
//     nothing goes outside 127.0.0.0/8.
//
// TestDNSSECAgreement asks every lab.DNSSECScenario of Unbound (its AD bit,
// or SERVFAIL for bogus), of delv (validating itself, anchored at the lab's
// root DS, fetching through Unbound with CD set) and of our validator
// (anchored the same way, fetching through Unbound with CD set, so it sees
// bogus data too), and requires the three verdicts to agree, and to equal
// the scenario's expectation (and our response code Unbound's). Where
// Unbound and delv disagree with each other (toolSplits: delv calls the
// opt-out DS denial of unsigned.optout.test and the opt-out NODATA at the
// empty non-terminal ent.optout.test secure, Unbound and RFC 5155 §8.6
// (erratum 3441), §9.2 insecure; Unbound calls the CNAME query under the
// DNAME dn.cname.test bogus, delv and RFC 6672 §5.3.1 secure), the odd
// tool's cell is reported as n/a, and its documented verdict is still
// checked. Unbound's clock-skew allowance is an hour,
// since every process reads the same clock (see startUnbound).
//
// TestDANEAgreement matches every lab.DANECase with openssl s_client
// (-dane_tlsa_domain, -dane_tlsa_rrdata), with ldns-dane (which looks up the
// TLSA record itself through Unbound and requires its AD bit) and with
// dane.Verify on the chain the server served and the TLSA records our
// validator found secure, and requires the three to agree. The lab's mail
// servers listen on random ports; a small TCP relay at 127.53.1.N on the
// standard port (993, 465) forwards the bytes unchanged to them, so that
// ldns-dane's TLSA name _PORT._tcp.HOST matches the port it connects to.
//
// The tests need root (port 53 and the standard mail ports on 127.53.x.x)
// and skip without it; a missing tool fails the test, naming its Debian
// package. `go test -v -run Agreement ./internal/interop/` prints the
// verdict tables and a closing line for each.
package interop
