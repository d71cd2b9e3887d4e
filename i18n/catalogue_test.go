package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mailsetup/mailsetup/i18n"
)

var placeholderRE = regexp.MustCompile(`\{\{\s*\.([A-Za-z0-9_]+)\s*\}\}`)

// placeholders returns the sorted placeholder names of every form of m.
func placeholders(m i18n.Message) []string {
	set := map[string]bool{}
	for _, f := range m.Forms {
		for _, g := range placeholderRE.FindAllStringSubmatch(f, -1) {
			set[g[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// requiredForms are the CLDR plural forms each language must give a
// plural message.
var requiredForms = map[i18n.Lang][]string{
	i18n.English: {"one", "other"},
	i18n.French:  {"one", "many", "other"},
}

// TestCatalogueParity checks that every message exists in every language,
// with the same placeholders, and that plural messages give each form
// their language needs.
func TestCatalogueParity(t *testing.T) {
	if err := i18n.CheckFiles(); err != nil {
		t.Fatal(err)
	}
	en := i18n.Messages(i18n.English)
	if len(en) == 0 {
		t.Fatal("Messages(en) is empty")
	}
	for _, lang := range i18n.Langs {
		msgs := i18n.Messages(lang)
		for id, want := range en {
			got, ok := msgs[id]
			if !ok {
				t.Errorf("%s: message %q missing", lang, id)
				continue
			}
			if g, w := placeholders(got), placeholders(want); !slices.Equal(g, w) {
				t.Errorf("%s: %q has placeholders %v, want %v (as in en)", lang, id, g, w)
			}
			plural := len(want.Forms) > 1 || len(got.Forms) > 1
			if plural {
				for _, f := range requiredForms[lang] {
					if got.Forms[f] == "" {
						t.Errorf("%s: plural %q lacks the form %q", lang, id, f)
					}
				}
			}
		}
		for id := range msgs {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: message %q is not in en", lang, id)
			}
		}
	}
}

// TestCatalogueRenders renders every message with a value for each
// placeholder, in every language and plural form.
func TestCatalogueRenders(t *testing.T) {
	for _, lang := range i18n.Langs {
		p := i18n.New(lang)
		for id, m := range i18n.Messages(lang) {
			var kv []any
			for _, name := range placeholders(m) {
				kv = append(kv, name, "X")
			}
			for _, n := range []int{0, 1, 2, 1000000} {
				got := p.N(id, n, kv...)
				if got == id || strings.Contains(got, "<no value>") || strings.TrimSpace(got) == "" {
					t.Errorf("%s: N(%q, %d) = %q", lang, id, n, got)
				}
			}
		}
	}
}

// TestFrenchTypography checks the French spaces: a no-break space before
// ":" and inside « », a narrow no-break space before ";", "!" and "?", no
// ordinary space there, no straight quotes or apostrophes (« », ’), and
// decimal commas.
func TestFrenchTypography(t *testing.T) {
	bad := []struct {
		re   *regexp.Regexp
		what string
	}{
		{regexp.MustCompile(` [:;!?»]`), "an ordinary space before : ; ! ? or »"},
		{regexp.MustCompile(`« `), "an ordinary space after «"},
		{regexp.MustCompile(`«[^\x{00a0}\x{202f}]`), "no no-break space after «"},
		{regexp.MustCompile(`[^\x{00a0}\x{202f}]»`), "no no-break space before »"},
		{regexp.MustCompile(`\p{L}[:;!?](\s|$)`), "no no-break space before : ; ! ?"},
		{regexp.MustCompile(`"`), "a straight double quote (use « »)"},
		{regexp.MustCompile(`'`), "a straight apostrophe (use ’)"},
		{regexp.MustCompile(`\d\.\d+ s\b`), "a decimal point (use a comma)"},
	}
	for id, m := range i18n.Messages(i18n.French) {
		for form, text := range m.Forms {
			for _, b := range bad {
				if loc := b.re.FindStringIndex(text); loc != nil {
					t.Errorf("fr %q (%s): %s at %q", id, form, b.what, text[max(0, loc[0]-15):min(len(text), loc[1]+5)])
				}
			}
		}
	}
}

// idLiteral is a string literal that names a message: lower-case words
// separated by dots, the first one a group of the catalogue.
var idLiteral = regexp.MustCompile(`^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$`)

// templateCall is a catalogue call in a template: {{T "id" ...}}.
var templateCall = regexp.MustCompile(`\{\{-?\s*\(?[TN] "([^"]+)"`)

// sourceLiterals returns every string literal of the module's Go files
// (tests and testdata excluded) and every message id its templates name,
// with where it is.
func sourceLiterals(t *testing.T) map[string]string {
	t.Helper()
	root := filepath.Join("..")
	fset := token.NewFileSet()
	lits := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "screenshots", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".tmpl") { // templates call {{T "id"}} and {{N "id" n}}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, m := range templateCall.FindAllStringSubmatch(string(data), -1) {
				lits[m[1]] = path
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
				if s, err := strconv.Unquote(b.Value); err == nil {
					lits[s] = fset.Position(b.Pos()).String()
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lits
}

// TestCatalogueUsed fails on a message no Go source names (unused) and on
// a message id in a Go source that the catalogue lacks (missing). Message
// ids are written whole in the sources, never assembled, so that this scan
// sees them.
func TestCatalogueUsed(t *testing.T) {
	if _, err := os.Stat("../go.mod"); err != nil {
		t.Skip("not inside the module")
	}
	en := i18n.Messages(i18n.English)
	groups := map[string]bool{}
	for id := range en {
		groups[strings.SplitN(id, ".", 2)[0]] = true
	}
	lits := sourceLiterals(t)
	for id := range en {
		if _, ok := lits[id]; !ok {
			t.Errorf("message %q is in the catalogue, but no Go source uses it", id)
		}
	}
	for s, where := range lits {
		if !idLiteral.MatchString(s) || !groups[strings.SplitN(s, ".", 2)[0]] || strings.HasSuffix(s, ".test") { // .test: a lab host name
			continue
		}
		if _, ok := en[s]; !ok {
			t.Errorf("%s: message %q is not in the catalogue", where, s)
		}
	}
}

func TestFormats(t *testing.T) {
	day := time.Date(2026, time.December, 6, 15, 4, 0, 0, time.UTC)
	first := time.Date(2026, time.December, 1, 9, 0, 0, 0, time.UTC)
	en, fr := i18n.New(i18n.English), i18n.New(i18n.French)
	for _, tc := range []struct{ name, got, want string }{
		{"en Date", en.Date(day), "6 December 2026"},
		{"fr Date", fr.Date(day), "6 décembre 2026"},
		{"fr Date 1st", fr.Date(first), "1er décembre 2026"},
		{"fr DateTime", fr.DateTime(day), "6 décembre 2026 à 15:04 UTC"},
		{"en Millis", en.Millis(1234), "1.2 s"},
		{"fr Millis", fr.Millis(1234), "1,2\u00a0s"},
		{"fr Millis small", fr.Millis(40), "40\u00a0ms"},
		{"fr Quote", fr.Quote("STARTTLS"), "«\u00a0STARTTLS\u00a0»"},
		{"en List", en.List([]string{"a", "b", "c"}), "a, b and c"},
		{"fr List", fr.List([]string{"a", "b"}), "a et b"},
		{"nil printer", (*i18n.Printer)(nil).T("word.and"), "and"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestChoose(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flag   string
		env    map[string]string
		system string
		want   i18n.Lang
		err    bool
	}{
		{name: "nothing", want: i18n.English},
		{name: "LANG", env: map[string]string{"LANG": "fr_FR.UTF-8"}, want: i18n.French},
		{name: "LC_MESSAGES over LANG", env: map[string]string{"LANG": "fr_FR.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, want: i18n.English},
		{name: "LC_ALL over all", env: map[string]string{"LC_ALL": "fr_CA.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, want: i18n.French},
		{name: "LC_ALL=C", env: map[string]string{"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, want: i18n.English},
		{name: "unknown locale is English", env: map[string]string{"LANG": "de_DE.UTF-8"}, system: "fr", want: i18n.English},
		{name: "system when no variable", system: "fr-FR", want: i18n.French},
		{name: "MAILSETUP_LANG over LANG", env: map[string]string{"MAILSETUP_LANG": "fr", "LANG": "en_US.UTF-8"}, want: i18n.French},
		{name: "flag over all", flag: "en", env: map[string]string{"MAILSETUP_LANG": "fr", "LC_ALL": "fr_FR"}, want: i18n.English},
		{name: "bad flag", flag: "de", err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := i18n.Choose(tc.flag, func(k string) string { return tc.env[k] }, tc.system)
			if (err != nil) != tc.err || err == nil && got != tc.want {
				t.Errorf("Choose(%q, %v, %q) = %q, %v; want %q (error %v)", tc.flag, tc.env, tc.system, got, err, tc.want, tc.err)
			}
		})
	}
}
