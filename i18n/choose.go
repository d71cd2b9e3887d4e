package i18n

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownLang is returned by [Parse] and [Choose] for a language the
// catalogue does not have.
var ErrUnknownLang = errors.New("i18n: unknown language")

// Parse reads a language name or a POSIX/BCP 47 locale ("fr",
// "fr_FR.UTF-8", "fr-CA", "en_GB@euro") and returns the catalogue's
// language for it. "C" and "POSIX" are English. Anything else fails with
// [ErrUnknownLang].
func Parse(s string) (Lang, error) {
	s = strings.TrimSpace(s)
	base := strings.ToLower(s)
	if i := strings.IndexAny(base, "_-.@"); i >= 0 {
		base = base[:i]
	}
	switch base {
	case "en", "c", "posix":
		return English, nil
	case "fr":
		return French, nil
	}
	return "", fmt.Errorf("%w %q (want en or fr)", ErrUnknownLang, s)
}

// FromEnv is the language of the POSIX locale variables read with getenv:
// the first of LC_ALL, LC_MESSAGES and LANG that is set decides (POSIX
// precedence), and a locale the catalogue does not have means English. ok
// is false when none is set.
func FromEnv(getenv func(string) string) (lang Lang, ok bool) {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if s := getenv(v); s != "" {
			l, err := Parse(s)
			if err != nil {
				return English, true
			}
			return l, true
		}
	}
	return English, false
}

// Choose picks the language of a run, first that applies: flag (the
// command line's --lang or the app's setting; an unknown value is an error),
// MAILSETUP_LANG (ignored when unknown), the POSIX locale variables
// ([FromEnv]), then system (the user's preferred language as the platform
// reports it, e.g. Fyne's lang.SystemLocale on Windows and macOS; "" when
// unknown), then English.
func Choose(flag string, getenv func(string) string, system string) (Lang, error) {
	if flag != "" {
		return Parse(flag)
	}
	if l, err := Parse(getenv("MAILSETUP_LANG")); err == nil && getenv("MAILSETUP_LANG") != "" {
		return l, nil
	}
	if l, ok := FromEnv(getenv); ok {
		return l, nil
	}
	if l, err := Parse(system); err == nil && system != "" {
		return l, nil
	}
	return English, nil
}
