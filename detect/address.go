package detect

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrBadAddress is wrapped by every error [ParseAddress] returns.
var ErrBadAddress = errors.New("detect: invalid email address")

// AddressError is the error of [ParseAddress]. It wraps [ErrBadAddress];
// Reason says what is wrong in words a user understands ("the address is
// empty"), for front ends to show as is.
type AddressError struct {
	Reason string
}

func (e *AddressError) Error() string { return ErrBadAddress.Error() + ": " + e.Reason }

// Unwrap returns ErrBadAddress.
func (e *AddressError) Unwrap() error { return ErrBadAddress }

// Address is a normalised email address.
type Address struct {
	// LocalPart is the part before the @, as typed (trimmed).
	LocalPart string
	// Domain is the domain in ASCII (A-labels), lower case, no trailing dot.
	Domain string
	// DomainUnicode is the domain in Unicode (U-labels), for display.
	DomainUnicode string
}

// String returns local@domain with the ASCII domain.
func (a Address) String() string { return a.LocalPart + "@" + a.Domain }

// idnaProfile maps what people type as UTS #46 does for lookups, with
// transitional processing off, as Thunderbird and browsers do today: upper
// case and full-width forms are folded (ＥＸＡＭＰＬＥ.org is example.org), ß
// and ς stay. Its validity checks are those of UTS #46, which admit symbols
// and emoji; [ParseAddress] then refuses what IDNA 2008 refuses
// ([idna2008Disallowed]).
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.Transitional(false),
	idna.BidiRule(),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
)

// ParseAddress trims s and checks it is a usable email address: one @, a
// non-empty local part of at most 64 octets (RFC 5321 §4.5.3.1.1), a domain
// with at least one dot whose labels are valid host name labels of at most 63
// octets, at most 254 octets in all, and no control characters or spaces.
// The domain is converted to ASCII with IDNA. It does no network I/O.
// The error is an *[AddressError], which wraps [ErrBadAddress] and says what
// is wrong in words a user understands.
func ParseAddress(s string) (Address, error) {
	s = strings.TrimSpace(s)
	bad := func(format string, args ...any) (Address, error) {
		return Address{}, &AddressError{Reason: fmt.Sprintf(format, args...)}
	}
	if s == "" {
		return bad("the address is empty")
	}
	if !utf8.ValidString(s) {
		return bad("the address is not valid UTF-8 text")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return bad("the address contains a space or control character (%U)", r)
		}
	}
	switch n := strings.Count(s, "@"); {
	case n == 0:
		return bad("%q has no @: type the whole address, like name@example.org", s)
	case n > 1:
		return bad("%q has %d @ signs; an address has exactly one", s, n)
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" {
		return bad("nothing before the @ in %q", s)
	}
	if domain == "" {
		return bad("nothing after the @ in %q", s)
	}
	if len(local) > 64 { // RFC 5321 §4.5.3.1.1
		return bad("the part before the @ is %d bytes long; at most 64 are allowed", len(local))
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		if !(strings.HasPrefix(local, `"`) && strings.HasSuffix(local, `"`)) {
			return bad("the part before the @ has a misplaced dot")
		}
	}
	if strings.HasPrefix(domain, "[") {
		return bad("address literals like %q are not supported: use the domain name", domain)
	}
	ascii, uni, msg := parseDomain(domain)
	if msg != "" {
		return bad("%s", msg)
	}
	if len(local)+1+len(ascii) > 254 { // RFC 5321 §4.5.3.1.3 path limit less the brackets
		return bad("the address is longer than 254 bytes")
	}
	return Address{LocalPart: local, Domain: ascii, DomainUnicode: uni}, nil
}

// ErrBadDomain is wrapped by every error [ParseDomain] returns.
var ErrBadDomain = errors.New("detect: invalid domain name")

// ParseDomain trims s and checks it is a usable mail domain, by the rules
// of [ParseAddress] for the part after the @. It returns the domain in
// ASCII (A-labels, lower case, no trailing dot) and in Unicode. The error
// wraps [ErrBadDomain] and says what is wrong in words a user understands.
func ParseDomain(s string) (ascii, unicode string, err error) {
	s = strings.TrimSpace(s)
	bad := func(format string, args ...any) (string, string, error) {
		return "", "", fmt.Errorf("%w: %s", ErrBadDomain, fmt.Sprintf(format, args...))
	}
	switch {
	case s == "":
		return bad("the domain is empty")
	case !utf8.ValidString(s):
		return bad("the domain is not valid UTF-8 text")
	case strings.Contains(s, "@"):
		return bad("%q is an address; give only the part after the @", s)
	}
	for _, r := range s {
		if isControlOrSpace(r) {
			return bad("%q contains a space or control character (%U)", s, r)
		}
	}
	ascii, unicode, msg := parseDomain(s)
	if msg != "" {
		return bad("%s", msg)
	}
	return ascii, unicode, nil
}

func isControlOrSpace(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }

// parseDomain checks the domain of an address; msg says what is wrong.
func parseDomain(domain string) (ascii, uni, msg string) {
	// The ideographic and full-width full stops separate labels too
	// (UTS #46 §4 maps them to "."; RFC 3490 §3.1).
	domain = labelSeparators.Replace(domain)
	domain = strings.TrimSuffix(domain, ".")
	if !strings.Contains(domain, ".") {
		return "", "", fmt.Sprintf("the domain %q has no dot; type the full domain, like example.org", domain)
	}
	if len(domain) > 253 {
		return "", "", fmt.Sprintf("the domain is %d bytes long; at most 253 are allowed", len(domain))
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return "", "", fmt.Sprintf("the domain %q has an empty label (two dots in a row?)", domain)
		}
		if len(label) > 63 { // RFC 1035 §2.3.4
			return "", "", fmt.Sprintf("the domain label %q is longer than 63 bytes", label)
		}
	}
	ascii, err := idnaProfile.ToASCII(domain)
	if err != nil {
		return "", "", fmt.Sprintf("the domain %q is not a valid domain name: %v", domain, err)
	}
	ascii = strings.ToLower(ascii)
	if len(ascii) > 253 {
		return "", "", fmt.Sprintf("the domain is %d bytes long; at most 253 are allowed", len(ascii))
	}
	for _, label := range strings.Split(ascii, ".") {
		if len(label) > 63 { // RFC 1035 §2.3.4
			return "", "", fmt.Sprintf("the domain label %q is longer than 63 bytes", label)
		}
		if !validLabel(label) {
			return "", "", fmt.Sprintf("the domain label %q may only contain letters, digits and hyphens, and not start or end with a hyphen", label)
		}
	}
	uni, err = idnaProfile.ToUnicode(ascii)
	if err != nil {
		uni = ascii
	}
	for _, label := range strings.Split(uni, ".") {
		if r, bad := idna2008Disallowed(label); bad {
			return "", "", bad2008(domain, r)
		}
	}
	return ascii, uni, ""
}

// bad2008 says why a domain with a code point IDNA 2008 refuses is bad.
func bad2008(domain string, r rune) string {
	return fmt.Sprintf("the domain %q contains %q (%U): domain names hold letters, digits and hyphens of any script, not symbols or emoji (IDNA 2008, RFC 5892)",
		domain, string(r), r)
}

var labelSeparators = strings.NewReplacer("\u3002", ".", "\uFF0E", ".", "\uFF61", ".")

// idna2008Disallowed returns the first code point of the U-label l that
// IDNA 2008 does not allow (RFC 5892 §2, after the UTS #46 mapping has
// folded case and width), and true; or false when every code point is
// PVALID or contextual. PVALID are letters and digits (general categories
// Ll, Lo, Lm, Mn, Mc, Nd) outside the ignorable blocks and old Hangul jamo,
// the hyphen, and the exceptions of §2.6; the CONTEXTJ joiners and CONTEXTO
// code points are allowed here, their context rules being checked by the
// idna profile (joiners) or left to the registry (RFC 5892 Appendix A).
// Symbols, punctuation and emoji — "So", "Sm", "Po"... — are DISALLOWED.
func idna2008Disallowed(l string) (rune, bool) {
	for _, r := range l {
		if r < utf8.RuneSelf {
			continue // LDH, checked on the A-label
		}
		switch r {
		case 0x00DF, 0x03C2, 0x06FD, 0x06FE, 0x0F0B, 0x3007: // §2.6 exceptions: PVALID
			continue
		case 0x00B7, 0x0375, 0x05F3, 0x05F4, 0x30FB, 0x200C, 0x200D: // CONTEXTO, CONTEXTJ
			continue
		case 0x0640, 0x07FA, 0x302E, 0x302F, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303B: // §2.6: DISALLOWED
			return r, true
		}
		switch {
		// §2.4 IgnorableBlocks (Combining Diacritical Marks for Symbols,
		// Musical Symbols, Ancient Greek Musical Notation) and §2.9
		// OldHangulJamo.
		case 0x20D0 <= r && r <= 0x20FF, 0x1D100 <= r && r <= 0x1D24F,
			0x1100 <= r && r <= 0x11FF, 0xA960 <= r && r <= 0xA97F, 0xD7B0 <= r && r <= 0xD7FF:
			return r, true
		case unicode.In(r, unicode.Ll, unicode.Lo, unicode.Lm, unicode.Mn, unicode.Mc, unicode.Nd): // §2.1 LetterDigits
			continue
		}
		return r, true
	}
	return 0, false
}

func validLabel(l string) bool {
	if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
