package pacc

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Errors of the TXT record and of the digest check.
var (
	// ErrNotUAAC1 is a TXT string that is not a PACC record (its first tag
	// is not v=UAAC1): another record sharing the name, to be ignored.
	ErrNotUAAC1 = errors.New("pacc: not a v=UAAC1 record")
	// ErrBadRecord is a v=UAAC1 record that is malformed.
	ErrBadRecord = errors.New("pacc: malformed v=UAAC1 record")
	// ErrDigestMismatch is a document whose SHA-256 digest is not the one a
	// record publishes.
	ErrDigestMismatch = errors.New("pacc: document does not match the published digest")
	// ErrNoRecord is a digest check with no v=UAAC1 record to check against.
	ErrNoRecord = errors.New("pacc: no v=UAAC1 record")
)

// RecordVersion and RecordAlgorithm are the only version and digest
// algorithm of draft-ietf-mailmaint-pacc-02.
const (
	RecordVersion   = "UAAC1"
	RecordAlgorithm = "sha256"
)

// RecordPrefix is the label the TXT record lives under: _ua-auto-config.D.
const RecordPrefix = "_ua-auto-config."

// RecordName returns the owner name of domain's TXT record, without the
// trailing dot.
func RecordName(domain string) string { return RecordPrefix + domain }

// URL returns where domain's document is served.
func URL(domain string) string {
	return "https://" + Host(domain) + "/.well-known/user-agent-configuration.json"
}

// Host returns the host that serves domain's document.
func Host(domain string) string { return "ua-auto-config." + domain }

// Record is one v=UAAC1 TXT record: the SHA-256 digest of a document.
type Record struct {
	// Digest is the SHA-256 of the document's exact bytes (32 bytes).
	Digest []byte
}

// NewRecord returns the record that publishes body's digest.
func NewRecord(body []byte) Record {
	sum := sha256.Sum256(body)
	return Record{Digest: sum[:]}
}

// String formats the record's TXT value: "v=UAAC1; a=sha256; d=<base64>".
func (r Record) String() string {
	return "v=" + RecordVersion + "; a=" + RecordAlgorithm + "; d=" + base64.StdEncoding.EncodeToString(r.Digest)
}

// JoinTXT returns the value of a TXT record made of several strings: their
// concatenation with nothing between them (RFC 1035 §3.3.14 character-strings;
// the same rule as RFC 7208 §3.3 and RFC 6376 §3.6.2.2).
func JoinTXT(strs []string) string { return strings.Join(strs, "") }

// maxRecordLen bounds the record value read (a DNS message is at most 64 KiB).
const maxRecordLen = 4096

// ParseRecord reads one TXT value (its strings already joined, see
// [JoinTXT]): semicolon-separated tag=value pairs, v=UAAC1 first, a=sha256,
// d= the base64 digest. Unknown tags are ignored so that later revisions
// parse. It returns [ErrNotUAAC1] for a value that is not a PACC record
// (another TXT record at the name) and an error wrapping [ErrBadRecord] for
// a PACC record that is malformed.
func ParseRecord(txt string) (Record, error) {
	if len(txt) > maxRecordLen {
		return Record{}, fmt.Errorf("%w: %d bytes, more than %d", ErrBadRecord, len(txt), maxRecordLen)
	}
	tags := strings.Split(txt, ";")
	first, val, ok := strings.Cut(tags[0], "=")
	if !ok || strings.TrimSpace(first) != "v" || strings.TrimSpace(val) != RecordVersion {
		return Record{}, ErrNotUAAC1 // draft-ietf-mailmaint-pacc-02 (DNS record): v=UAAC1 comes first
	}
	seen := map[string]string{}
	for i, t := range tags[1:] {
		t = strings.TrimSpace(t)
		if t == "" && i == len(tags)-2 {
			continue // a trailing ";"
		}
		name, v, ok := strings.Cut(t, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return Record{}, fmt.Errorf("%w: tag %q is not name=value", ErrBadRecord, clip(t, 32))
		}
		if _, dup := seen[name]; dup {
			return Record{}, fmt.Errorf("%w: tag %q given twice", ErrBadRecord, clip(name, 32))
		}
		seen[name] = strings.TrimSpace(v)
	}
	a, ok := seen["a"]
	if !ok {
		return Record{}, fmt.Errorf("%w: no a= tag", ErrBadRecord)
	}
	if a != RecordAlgorithm {
		return Record{}, fmt.Errorf("%w: digest algorithm %q, want %s", ErrBadRecord, clip(a, 32), RecordAlgorithm)
	}
	d, ok := seen["d"]
	if !ok {
		return Record{}, fmt.Errorf("%w: no d= tag", ErrBadRecord)
	}
	digest, err := base64.StdEncoding.DecodeString(d)
	if err != nil {
		return Record{}, fmt.Errorf("%w: d= is not base64: %w", ErrBadRecord, err)
	}
	if len(digest) != sha256.Size {
		return Record{}, fmt.Errorf("%w: d= holds %d bytes, a SHA-256 digest has %d", ErrBadRecord, len(digest), sha256.Size)
	}
	return Record{Digest: digest}, nil
}

// Verify checks that body, the exact bytes served, has the digest one of
// recs publishes (a provider may publish one record per document while it
// changes documents). It returns nil on a match, [ErrNoRecord] when recs is
// empty, and an error wrapping [ErrDigestMismatch] otherwise.
func Verify(body []byte, recs ...Record) error {
	if len(recs) == 0 {
		return ErrNoRecord
	}
	sum := sha256.Sum256(body)
	for _, r := range recs {
		if subtle.ConstantTimeCompare(sum[:], r.Digest) == 1 { // draft-ietf-mailmaint-pacc-02 (integrity): the digest of the bytes as served
			return nil
		}
	}
	return fmt.Errorf("%w: served document's SHA-256 is %s", ErrDigestMismatch, base64.StdEncoding.EncodeToString(sum[:]))
}

// maxTXTString is the longest character-string of a TXT record (RFC 1035
// §3.3: one length octet).
const maxTXTString = 255

// SplitTXT cuts a TXT value into character-strings of at most 255 bytes.
func SplitTXT(value string) []string {
	var out []string
	for len(value) > maxTXTString {
		out = append(out, value[:maxTXTString])
		value = value[maxTXTString:]
	}
	return append(out, value)
}

// TXTLine returns the zone-file line that publishes value at domain's
// record name: `_ua-auto-config.D. IN TXT "..."`, split into 255-byte
// strings when longer. value is a record's [Record.String]; the characters
// of a record need no escaping.
func TXTLine(domain, value string) string {
	parts := SplitTXT(value)
	for i, p := range parts {
		parts[i] = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p) + `"`
	}
	return RecordName(domain) + ". IN TXT " + strings.Join(parts, " ")
}

// clip shortens s for an error message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
