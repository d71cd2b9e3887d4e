package detect_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mailsetup/mailsetup/detect"
)

func TestParseAddress(t *testing.T) {
	for _, tc := range []struct {
		in, local, domain, unicode string
	}{
		{"alice@example.org", "alice", "example.org", "example.org"},
		{"  Alice@Example.ORG \n", "Alice", "example.org", "example.org"},
		{"alice@example.org.", "alice", "example.org", "example.org"},
		{"jörg@bücher.example", "jörg", "xn--bcher-kva.example", "bücher.example"},
		{"user@ＥＸＡＭＰＬＥ.org", "user", "example.org", "example.org"},
		{"user@例え.テスト", "user", "xn--r8jz45g.xn--zckzah", "例え.テスト"},
		{"user@例え。テスト", "user", "xn--r8jz45g.xn--zckzah", "例え.テスト"},
		{"user@ＥＸＡＭＰＬＥ．ＯＲＧ", "user", "example.org", "example.org"},
		{"jörg@BÜCHER.example", "jörg", "xn--bcher-kva.example", "bücher.example"},
		{"a@faß.de", "a", "xn--fa-hia.de", "faß.de"},
		{"a@xn--bcher-kva.example", "a", "xn--bcher-kva.example", "bücher.example"},
		{"a@παράδειγμα.δοκιμή", "a", "xn--hxajbheg2az3al.xn--jxalpdlp", "παράδειγμα.δοκιμή"},
		{"a@مثال.إختبار", "a", "xn--mgbh0fb.xn--kgbechtv", "مثال.إختبار"},
		{`"a b"@example.org`[:0] + "a.b+tag@sub.example.co.uk", "a.b+tag", "sub.example.co.uk", "sub.example.co.uk"},
	} {
		a, err := detect.ParseAddress(tc.in)
		if err != nil {
			t.Errorf("ParseAddress(%q) error = %v", tc.in, err)
			continue
		}
		if a.LocalPart != tc.local || a.Domain != tc.domain || a.DomainUnicode != tc.unicode {
			t.Errorf("ParseAddress(%q) = %q, %q, %q; want %q, %q, %q", tc.in, a.LocalPart, a.Domain, a.DomainUnicode, tc.local, tc.domain, tc.unicode)
		}
	}
}

func TestParseAddressRejects(t *testing.T) {
	for _, tc := range []struct {
		in, why string
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"alice", "no @"},
		{"alice.example.org", "no @"},
		{"a@b@example.org", "@ signs"},
		{"@example.org", "nothing before"},
		{"alice@", "nothing after"},
		{"alice@localhost", "no dot"},
		{"alice@example..org", "empty label"},
		{"alice@.example.org", "empty label"},
		{"alice@exa mple.org", "space"},
		{"alice@example.org\x00", "control"},
		{"ali\tce@example.org", "space"},
		{"alice@" + strings.Repeat("a", 64) + ".org", "63"},
		{strings.Repeat("a", 65) + "@example.org", "64"},
		{"alice@" + strings.Repeat("abcdefghi.", 26) + "org", "253"},
		{"alice@exa_mple.org", "not a valid domain"},
		{"alice@-example.org", "not a valid domain"},
		{"alice@[192.0.2.1]", "address literals"},
		{".alice@example.org", "misplaced dot"},
		{"alice@example.org\xff", "UTF-8"},
		// IDNA 2008 (RFC 5892) refuses symbols and emoji that UTS #46
		// lookups admit.
		{"alice@💩.la", "U+1F4A9"},
		{"alice@xn--ls8h.la", "U+1F4A9"},
		{"alice@i❤.ws", "U+2764"},
		{"alice@☃.example", "IDNA 2008"},
		{"alice@mail.example.😀", "U+1F600"},
	} {
		_, err := detect.ParseAddress(tc.in)
		if !errors.Is(err, detect.ErrBadAddress) {
			t.Errorf("ParseAddress(%q) error = %v, want ErrBadAddress", tc.in, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ParseAddress(%q) error = %q, want it to mention %q", tc.in, err, tc.why)
		}
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"alice@example.org", "jörg@bücher.example", "a@b@c", "@x.y", "x@例え.テスト", "a@xn--a.org", " a@b.c "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := detect.ParseAddress(s)
		if err != nil {
			if !errors.Is(err, detect.ErrBadAddress) {
				t.Fatalf("ParseAddress(%q) error %v does not wrap ErrBadAddress", s, err)
			}
			return
		}
		if !strings.Contains(a.Domain, ".") || strings.Count(a.String(), "@") != 1 || a.LocalPart == "" {
			t.Fatalf("ParseAddress(%q) = %+v, not a usable address", s, a)
		}
		for i := 0; i < len(a.Domain); i++ {
			if c := a.Domain[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
				t.Fatalf("ParseAddress(%q).Domain = %q, not lower-case ASCII", s, a.Domain)
			}
		}
		if len(a.Domain) > 253 {
			t.Fatalf("ParseAddress(%q).Domain has %d octets", s, len(a.Domain))
		}
		again, err := detect.ParseAddress(a.String())
		if err != nil || again != a && again.Domain != a.Domain {
			t.Fatalf("ParseAddress(%q) then ParseAddress(%q) = %+v, %v; want the same address", s, a.String(), again, err)
		}
	})
}

// TestAddressErrorReason: a front end reads the reason for people from the
// typed error, never by trimming the package's text.
func TestAddressErrorReason(t *testing.T) {
	_, err := detect.ParseAddress("alice@example")
	var ae *detect.AddressError
	if !errors.As(err, &ae) || !errors.Is(err, detect.ErrBadAddress) {
		t.Fatalf("ParseAddress(alice@example) = %v, want an *AddressError wrapping ErrBadAddress", err)
	}
	if strings.Contains(ae.Reason, "detect:") || !strings.Contains(ae.Reason, "no dot") {
		t.Errorf("AddressError.Reason = %q, want the reason alone", ae.Reason)
	}
}

func TestParseDomain(t *testing.T) {
	for _, tc := range []struct {
		in, ascii string
		ok        bool
	}{
		{"example.org", "example.org", true},
		{" Example.ORG. ", "example.org", true},
		{"bücher.example", "xn--bcher-kva.example", true},
		{"not a domain", "", false},
		{"alice@example.org", "", false},
		{"localhost", "", false},
		{"", "", false},
		{"a..b", "", false},
	} {
		ascii, _, err := detect.ParseDomain(tc.in)
		if ok := err == nil; ok != tc.ok || ascii != tc.ascii {
			t.Errorf("ParseDomain(%q) = %q, %v; want %q, ok %v", tc.in, ascii, err, tc.ascii, tc.ok)
		}
		if err != nil && (!errors.Is(err, detect.ErrBadDomain) || errors.Is(err, detect.ErrBadAddress) || strings.Contains(err.Error(), "address contains")) {
			t.Errorf("ParseDomain(%q) error = %v, want ErrBadDomain, not about an address", tc.in, err)
		}
	}
}
