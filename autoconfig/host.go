package autoconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
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
// with IDNA 2008 for lookups (RFC 5891, golang.org/x/net/idna), and checks
// each label is letters, digits and inner hyphens, 1 to 63 octets, 253 in
// all.
func hostToASCII(s string) (string, error) {
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return "", errors.New("empty host name")
	}
	if !isASCII(s) {
		a, err := idna.Lookup.ToASCII(s)
		if err != nil {
			return "", fmt.Errorf("not a valid international host name: %w", err)
		}
		s = a
	}
	labels := strings.Split(s, ".")
	for i, l := range labels {
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
