package autoconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The placeholders of config-v1.1.xml, as [Vars.Expand] substitutes them.
var placeholders = []string{"%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%", "%REALNAME%"}

// placeholderProbe puts typical values in for the placeholders, so that a
// host name still holding some (read with a zero Vars) is checked as it will
// look once expanded: "mail.%EMAILDOMAIN%" passes, "%EMAILADDRESS%" (it has
// an "@") and "%REALNAME%" (it has a space) do not.
var placeholderProbe = strings.NewReplacer(
	"%EMAILADDRESS%", "user@example.com",
	"%EMAILLOCALPART%", "user",
	"%EMAILDOMAIN%", "example.com",
	"%REALNAME%", "Real Name",
)

func hasPlaceholder(s string) bool {
	for _, p := range placeholders {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// normHost checks a host name of a document (placeholders already expanded
// as far as the Vars allowed) and returns its canonical form: lower case,
// A-labels, no trailing dot. A name that still holds placeholders is checked
// with typical values put in and returned as written, its other letters
// lower-cased.
func normHost(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", errors.New("empty host name")
	}
	if len(s) > 1024 {
		return "", errors.New("host name too long")
	}
	if hasPlaceholder(s) {
		if _, err := normHost(placeholderProbe.Replace(s)); err != nil {
			return "", err
		}
		if !isASCII(s) {
			return "", fmt.Errorf("host name %q: non-ASCII name with a placeholder", clip(s, 64))
		}
		return strings.TrimSuffix(lowerOutsidePlaceholders(s), "."), nil
	}
	name, err := hostToASCII(s)
	if err != nil {
		return "", fmt.Errorf("host name %q: %w", clip(s, 64), err)
	}
	return name, nil
}

// lowerOutsidePlaceholders lower-cases the ASCII letters of s that are not
// part of a placeholder.
func lowerOutsidePlaceholders(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] == '%' {
			matched := false
			for _, p := range placeholders {
				if strings.HasPrefix(s[i:], p) {
					b.WriteString(p)
					i += len(p)
					matched = true
					break
				}
			}
			if matched {
				continue
			}
		}
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// hostToASCII converts a host name to lower-case ASCII, U-labels to A-labels
// (RFC 5890, RFC 3492), drops one trailing dot and checks the result: labels
// of letters, digits and inner hyphens, 1 to 63 octets, 253 in all.
//
// It stands in for golang.org/x/net/idna's Lookup profile, which cannot be
// imported until go.sum lists golang.org/x/text (a dependency of
// x/net/idna). Without the IDNA2008 tables and NFC it accepts only the
// non-ASCII letters for which lower-casing and Punycode alone give exactly
// what idna.Lookup.ToASCII gives ([idnaLetters], checked rune by rune against
// x/net/idna): a name with any other non-ASCII character is refused rather
// than risk converting it to the wrong A-label.
// TODO: use idna.Lookup.ToASCII once golang.org/x/text is in go.sum.
func hostToASCII(s string) (string, error) {
	if !isASCII(s) {
		s = strings.NewReplacer("\u3002", ".", "\uFF0E", ".", "\uFF61", ".").Replace(s)
	}
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", errors.New("empty host name")
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
		if !isASCII(l) {
			a, err := labelToASCII(l)
			if err != nil {
				return "", err
			}
			l = a
		}
		l = strings.ToLower(l)
		if err := checkLDHLabel(l); err != nil {
			return "", err
		}
		labels[i] = l
	}
	out := strings.Join(labels, ".")
	if len(out) > 253 {
		return "", fmt.Errorf("%d octets, more than 253", len(out))
	}
	return out, nil
}

// checkLDHLabel checks an ASCII label: letters, digits and hyphens, not
// starting or ending with a hyphen, 1 to 63 octets (RFC 1123 §2.1).
func checkLDHLabel(l string) error {
	switch {
	case l == "":
		return errors.New("empty label")
	case len(l) > 63:
		return fmt.Errorf("label of %d octets, more than 63", len(l))
	case l[0] == '-' || l[len(l)-1] == '-':
		return fmt.Errorf("label %q starts or ends with a hyphen", l)
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("character %s not allowed in a host name", strconv.QuoteRuneToASCII(rune(c)))
		}
	}
	return nil
}

// idnaLetters are the non-ASCII letters [hostToASCII] converts: those of
// Latin-1, Latin Extended-A and -B, Greek, Cyrillic, Hiragana, Katakana, CJK
// ideographs and Hangul syllables for which lower-casing plus Punycode
// equals idna.Lookup.ToASCII, alone and after an ASCII letter. Letters only,
// no combining marks, so that NFC has nothing to compose or reorder and the
// bidi rule does not apply.
var idnaLetters = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0x00C0, 0x00D6, 1},
		{0x00D8, 0x00F6, 1},
		{0x00F8, 0x012F, 1},
		{0x0131, 0x0131, 1},
		{0x0134, 0x013E, 1},
		{0x0141, 0x0148, 1},
		{0x014A, 0x017E, 1},
		{0x0180, 0x01C3, 1},
		{0x01CD, 0x01F0, 1},
		{0x01F4, 0x024F, 1},
		{0x0370, 0x0373, 1},
		{0x0376, 0x0377, 1},
		{0x037B, 0x037D, 1},
		{0x037F, 0x037F, 1},
		{0x0386, 0x0386, 1},
		{0x0388, 0x038A, 1},
		{0x038C, 0x038C, 1},
		{0x038E, 0x03A1, 1},
		{0x03A3, 0x03CF, 1},
		{0x03D7, 0x03EF, 1},
		{0x03F3, 0x03F4, 1},
		{0x03F7, 0x03F8, 1},
		{0x03FA, 0x0481, 1},
		{0x048A, 0x04BF, 1},
		{0x04C1, 0x052F, 1},
		{0x3041, 0x3096, 1},
		{0x309D, 0x309E, 1},
		{0x30A1, 0x30FA, 1},
		{0x30FC, 0x30FE, 1},
		{0x3400, 0x4DBF, 1},
		{0x4E00, 0x9FFF, 1},
		{0xAC00, 0xD7A3, 1},
	},
}

// labelToASCII converts one U-label to its A-label "xn--...".
func labelToASCII(l string) (string, error) {
	if !utf8.ValidString(l) {
		return "", errors.New("invalid UTF-8")
	}
	for _, r := range l {
		if r < utf8.RuneSelf || unicode.Is(idnaLetters, r) {
			continue
		}
		return "", fmt.Errorf("character %s not supported in a host name (IDNA conversion is limited to Latin, Greek, Cyrillic, CJK, kana and Hangul letters)", strconv.QuoteRuneToASCII(r))
	}
	runes := []rune(strings.ToLower(l))
	// RFC 5891 §4.2.3.1: no hyphen first or last, no "--" in the third and
	// fourth positions.
	if runes[0] == '-' || runes[len(runes)-1] == '-' {
		return "", fmt.Errorf("label %q starts or ends with a hyphen", l)
	}
	if len(runes) >= 4 && runes[2] == '-' && runes[3] == '-' {
		return "", fmt.Errorf("label %q has hyphens in the third and fourth positions", l)
	}
	enc, err := punycodeEncode(runes)
	if err != nil {
		return "", err
	}
	return "xn--" + enc, nil
}

// Punycode parameters, RFC 3492 §5.
const (
	pcBase        = 36
	pcTMin        = 1
	pcTMax        = 26
	pcSkew        = 38
	pcDamp        = 700
	pcInitialBias = 72
	pcInitialN    = 128
	pcMaxInt      = 1<<31 - 1
)

// punycodeEncode is the encoding procedure of RFC 3492 §6.3.
func punycodeEncode(input []rune) (string, error) {
	if len(input) > 63 {
		return "", errors.New("label too long")
	}
	out := make([]byte, 0, 2*len(input))
	for _, r := range input {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	h := b
	if b > 0 {
		out = append(out, '-')
	}
	n, delta, bias := pcInitialN, 0, pcInitialBias
	for h < len(input) {
		m := pcMaxInt
		for _, r := range input {
			if int(r) >= n && int(r) < m {
				m = int(r)
			}
		}
		if m-n > (pcMaxInt-delta)/(h+1) {
			return "", errors.New("punycode overflow")
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range input {
			c := int(r)
			if c < n {
				delta++
				if delta == pcMaxInt {
					return "", errors.New("punycode overflow")
				}
			}
			if c != n {
				continue
			}
			q := delta
			for k := pcBase; ; k += pcBase {
				t := k - bias
				if t < pcTMin {
					t = pcTMin
				} else if t > pcTMax {
					t = pcTMax
				}
				if q < t {
					break
				}
				out = append(out, punycodeDigit(t+(q-t)%(pcBase-t)))
				q = (q - t) / (pcBase - t)
			}
			out = append(out, punycodeDigit(q))
			bias = punycodeAdapt(delta, h+1, h == b)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return string(out), nil
}

func punycodeDigit(d int) byte {
	if d < 26 {
		return byte('a' + d)
	}
	return byte('0' + d - 26)
}

// punycodeAdapt is the bias adaptation function of RFC 3492 §6.1.
func punycodeAdapt(delta, numPoints int, first bool) int {
	if first {
		delta /= pcDamp
	} else {
		delta /= 2
	}
	delta += delta / numPoints
	k := 0
	for delta > ((pcBase-pcTMin)*pcTMax)/2 {
		delta /= pcBase - pcTMin
		k += pcBase
	}
	return k + (pcBase-pcTMin+1)*delta/(delta+pcSkew)
}

// parsePort parses a port number: decimal digits only, 1 to 65535.
func parsePort(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty port")
	}
	if len(s) > 5 {
		return 0, fmt.Errorf("port %q out of range 1-65535", clip(s, 16))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("port %q is not a number", clip(s, 16))
		}
	}
	p, _ := strconv.Atoi(s)
	if p < 1 || p > 65535 {
		return 0, fmt.Errorf("port %d out of range 1-65535", p)
	}
	return p, nil
}
