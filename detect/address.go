package detect

import (
	"github.com/mailsetup/mailsetup/i18n"

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
	// Why is Reason as a catalogue message, for front ends that speak
	// another language than English ([AddressError.Localize]).
	Why i18n.Msg

	sentinel error // nil: ErrBadAddress
}

// Localize is the reason in p's language.
func (e *AddressError) Localize(p *i18n.Printer) string { return e.Why.Text(p) }

// addressError is the error of a catalogue message, with its English reason.
func addressError(m i18n.Msg) *AddressError {
	return &AddressError{Reason: m.Text(nil), Why: m}
}

func (e *AddressError) Error() string { return e.Unwrap().Error() + ": " + e.Reason }

// Unwrap returns ErrBadAddress, or ErrBadDomain for [ParseDomain].
func (e *AddressError) Unwrap() error {
	if e.sentinel != nil {
		return e.sentinel
	}
	return ErrBadAddress
}

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
	bad := func(id string, kv ...any) (Address, error) {
		return Address{}, addressError(i18n.M(id, kv...))
	}
	if s == "" {
		return bad("address.empty")
	}
	if !utf8.ValidString(s) {
		return bad("address.not-utf8")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return bad("address.space", "Char", fmt.Sprintf("%U", r))
		}
	}
	switch n := strings.Count(s, "@"); {
	case n == 0:
		return bad("address.no-at", "Address", s)
	case n > 1:
		return bad("address.many-at", "Address", s, "Count", n)
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" {
		return bad("address.no-local", "Address", s)
	}
	if domain == "" {
		return bad("address.no-domain", "Address", s)
	}
	if len(local) > 64 { // RFC 5321 §4.5.3.1.1
		return bad("address.local-too-long", "Length", len(local))
	}
	if strings.HasPrefix(local, ".") || strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		if !(strings.HasPrefix(local, `"`) && strings.HasSuffix(local, `"`)) {
			return bad("address.local-dot")
		}
	}
	if strings.HasPrefix(domain, "[") {
		return bad("address.literal", "Domain", domain)
	}
	ascii, uni, msg := parseDomain(domain)
	if msg.ID != "" {
		return Address{}, addressError(msg)
	}
	if len(local)+1+len(ascii) > 254 { // RFC 5321 §4.5.3.1.3 path limit less the brackets
		return bad("address.too-long")
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
	bad := func(m i18n.Msg) (string, string, error) {
		e := addressError(m)
		e.sentinel = ErrBadDomain
		return "", "", e
	}
	switch {
	case s == "":
		return bad(i18n.M("domain.empty"))
	case !utf8.ValidString(s):
		return bad(i18n.M("domain.not-utf8"))
	case strings.Contains(s, "@"):
		return bad(i18n.M("domain.is-address", "Domain", s))
	}
	for _, r := range s {
		if isControlOrSpace(r) {
			return bad(i18n.M("domain.space", "Domain", s, "Char", fmt.Sprintf("%U", r)))
		}
	}
	ascii, unicode, msg := parseDomain(s)
	if msg.ID != "" {
		return bad(msg)
	}
	return ascii, unicode, nil
}

func isControlOrSpace(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }

// parseDomain checks the domain of an address; msg says what is wrong.
func parseDomain(domain string) (ascii, uni string, msg i18n.Msg) {
	// The ideographic and full-width full stops separate labels too
	// (UTS #46 §4 maps them to "."; RFC 3490 §3.1).
	domain = labelSeparators.Replace(domain)
	domain = strings.TrimSuffix(domain, ".")
	if !strings.Contains(domain, ".") {
		return "", "", i18n.M("domain.no-dot", "Domain", domain)
	}
	if len(domain) > 253 {
		return "", "", i18n.M("domain.too-long", "Length", len(domain))
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return "", "", i18n.M("domain.empty-label", "Domain", domain)
		}
		if len(label) > 63 { // RFC 1035 §2.3.4
			return "", "", i18n.M("domain.label-too-long", "Label", label)
		}
	}
	ascii, err := idnaProfile.ToASCII(domain)
	if err != nil {
		return "", "", i18n.M("domain.invalid", "Domain", domain, "Detail", err.Error())
	}
	ascii = strings.ToLower(ascii)
	if len(ascii) > 253 {
		return "", "", i18n.M("domain.too-long", "Length", len(ascii))
	}
	for _, label := range strings.Split(ascii, ".") {
		if len(label) > 63 { // RFC 1035 §2.3.4
			return "", "", i18n.M("domain.label-too-long", "Label", label)
		}
		if !validLabel(label) {
			return "", "", i18n.M("domain.label-chars", "Label", label)
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
	return ascii, uni, i18n.Msg{}
}

// bad2008 says why a domain with a code point IDNA 2008 refuses is bad.
func bad2008(domain string, r rune) i18n.Msg {
	return i18n.M("domain.idna2008", "Domain", domain, "Char", string(r), "Code", fmt.Sprintf("%U", r))
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
