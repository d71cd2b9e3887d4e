package east_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/internal/east"
)

func TestParse(t *testing.T) {
	str := func(s string) east.Value { return east.Value{Kind: east.KindString, Str: s} }
	id := func(s string) east.Value { return east.Value{Kind: east.KindIdent, Name: s} }
	num := func(s string) east.Value { return east.Value{Kind: east.KindNumber, Str: s} }
	tuple := func(name string, items ...east.Value) east.Value {
		return east.Value{Kind: east.KindTuple, Name: name, Items: items}
	}
	list := func(items ...east.Value) east.Value { return east.Value{Kind: east.KindList, Items: items} }
	field := func(name string, v east.Value) east.Field { return east.Field{Name: name, Value: v} }
	strct := func(name string, fields ...east.Field) east.Value {
		return east.Value{Kind: east.KindStruct, Name: name, Fields: fields}
	}

	tests := []struct {
		name, in string
		want     east.Value
	}{
		{"string", `"a"`, str("a")},
		{"escapes", `"q\" b\\ \n\r\t\0 \x1b \u{1F600} \u00e9 \/"`, str("q\" b\\ \n\r\t\x00 \x1b \U0001F600 é /")},
		{"raw newline and non-ASCII", "\"a\nb ¹³\"", str("a\nb ¹³")},
		{"raw string", `r"a\n"`, str(`a\n`)},
		{"raw string with hashes", `r##"a"#b"##`, str(`a"#b`)},
		{"char", `'x'`, east.Value{Kind: east.KindChar, Str: "x"}},
		{"escaped char", `'\''`, east.Value{Kind: east.KindChar, Str: "'"}},
		{"bool", `true`, east.Value{Kind: east.KindBool, Bool: true}},
		{"integer", `-12_345`, num("-12_345")},
		{"hex", `0xFF`, num("0xFF")},
		{"float", `+1.5e-3`, num("+1.5e-3")},
		{"inf", `-inf`, num("-inf")},
		{"unit variant", `NotAuthenticated`, id("NotAuthenticated")},
		{"raw identifier", `r#true`, id("r#true")},
		{"None", `None`, id("None")},
		{"Some", `Some("x")`, tuple("Some", str("x"))},
		{"unit", `()`, tuple("")},
		{"tuple", `(1, "a",)`, tuple("", num("1"), str("a"))},
		{"empty list", `[ ]`, list()},
		{"list trailing comma", `[Imap4Rev1, Auth(Plain),]`, list(id("Imap4Rev1"), tuple("Auth", id("Plain")))},
		{"named struct", `Cert(crt_path: "a", key_path: "b")`, strct("Cert", field("crt_path", str("a")), field("key_path", str("b")))},
		{"name, space, struct", `Cert (crt_path: "")`, strct("Cert", field("crt_path", str("")))},
		{"anonymous struct", `(kind: Ok, code: None,)`, strct("", field("kind", id("Ok")), field("code", id("None")))},
		{"struct in variant", `Compress(algorithm: Deflate)`, strct("Compress", field("algorithm", id("Deflate")))},
		{"map", `{"a": "b", "c": "d",}`, east.Value{Kind: east.KindMap, Entries: []east.Entry{{Key: str("a"), Value: str("b")}, {Key: str("c"), Value: str("d")}}}},
		{"comments", "// line\n/* block /* nested */ */ [ /* in */ 1 // end\n ]", list(num("1"))},
		{"attribute", "#![enable(implicit_some)]\n(a: 1)", strct("", field("a", num("1")))},
		{"BOM", "\uFEFF1", num("1")},
		{"deep", `Capability(NonEmptyVec([Auth(Other(AuthMechanismOther(Atom("X"))))]))`,
			tuple("Capability", tuple("NonEmptyVec", list(tuple("Auth", tuple("Other", tuple("AuthMechanismOther", tuple("Atom", str("X"))))))))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := east.Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse(%q) = %v", tt.in, err)
			}
			if got, want := stripPos(got), tt.want; !reflect.DeepEqual(got, want) {
				t.Errorf("Parse(%q) = %s, want %s", tt.in, got, want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, in, msg string }{
		{"empty", ``, "end of input"},
		{"unterminated string", `"abc`, "unterminated string"},
		{"unknown escape", `"\q"`, "unknown escape"},
		{"non-ASCII \\x", `"\xff"`, `\x escape above`},
		{"surrogate", `"\u{D800}"`, "not a Unicode scalar value"},
		{"unterminated comment", `/* a`, "unterminated block comment"},
		{"missing comma", `[1 2]`, "want ',' or ']'"},
		{"missing colon", `{"a" "b"}`, "want ':'"},
		{"duplicate field", `(a: 1, a: 2)`, `duplicate field "a"`},
		{"trailing garbage", `1 2`, "after the value"},
		{"bad number", `1x`, "in a number"},
		{"two chars", `'ab'`, "more than one character"},
		{"invalid UTF-8", "\"\xff\"", "not valid UTF-8"},
		{"too deep", strings.Repeat("[", 300) + strings.Repeat("]", 300), "nesting deeper"},
		{"mixed struct and tuple", `(a: 1, 2)`, "want an identifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := east.Parse([]byte(tt.in))
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want an error", tt.in, v)
			}
			if !errors.Is(err, east.ErrSyntax) || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Parse(%q) = %v, want ErrSyntax saying %q", tt.in, err, tt.msg)
			}
		})
	}
}

func TestParseErrorPosition(t *testing.T) {
	_, err := east.Parse([]byte("(\n  a: 1,\n  b: @,\n)"))
	var se *east.SyntaxError
	if !errors.As(err, &se) || se.Pos != (east.Pos{Line: 3, Col: 6}) {
		t.Errorf("Parse = %v, want a SyntaxError at 3:6", err)
	}
}

// TestParseCorpus parses every corpus file and checks that formatting and
// parsing again gives the same value.
func TestParseCorpus(t *testing.T) {
	files := corpusFiles(t)
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, err := east.Parse(src)
		if err != nil {
			t.Errorf("Parse(%s) = %v", f, err)
			continue
		}
		roundTrip(t, v)
	}
}

func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{"testcases", "testcases_extra"} {
		filepath.WalkDir(filepath.Join(corpusDir, dir), func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".ron") {
				files = append(files, path)
			}
			return nil
		})
	}
	if len(files) == 0 {
		t.Fatalf("EAST corpus missing: no .ron files below %s", corpusDir)
	}
	return files
}

func roundTrip(t testing.TB, v east.Value) {
	t.Helper()
	again, err := east.Parse([]byte(v.String()))
	if err != nil {
		t.Fatalf("Parse(%q) (formatted) = %v", v.String(), err)
	}
	if a, b := stripPos(v), stripPos(again); !reflect.DeepEqual(a, b) {
		t.Fatalf("round trip changed the value:\n %s\n %s", a, b)
	}
}

// stripPos zeroes the positions, and makes empty slices nil, for comparison.
func stripPos(v east.Value) east.Value {
	v.Pos = east.Pos{}
	var items []east.Value
	for _, it := range v.Items {
		items = append(items, stripPos(it))
	}
	v.Items = items
	var fields []east.Field
	for _, f := range v.Fields {
		fields = append(fields, east.Field{Name: f.Name, Value: stripPos(f.Value)})
	}
	v.Fields = fields
	var entries []east.Entry
	for _, e := range v.Entries {
		entries = append(entries, east.Entry{Key: stripPos(e.Key), Value: stripPos(e.Value)})
	}
	v.Entries = entries
	return v
}

// FuzzParseRON checks that Parse never panics, that every error wraps
// ErrSyntax, and that what parses formats to RON that parses to the same
// value.
func FuzzParseRON(f *testing.F) {
	for _, s := range []string{
		`(a: 1, b: [1, 2,], c: {"k": "v"}, d: Some(r#"x"#), e: None, f: 'c', g: -1.5e3, h: true)`,
		`Cert (crt_path: "", key_path: "")`,
		"/* /* */ */ // x\n#![enable(implicit_some)] [r#ident, 0x1F, inf, ()]",
		`"\u{1F600}\x1b\n"`,
	} {
		f.Add([]byte(s))
	}
	if files, err := filepath.Glob(filepath.Join(corpusDir, "testcases", "*", "Negotiation", "*.ron")); err == nil {
		for _, p := range files {
			if src, err := os.ReadFile(p); err == nil {
				f.Add(src)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		v, err := east.Parse(src)
		if err != nil {
			if !errors.Is(err, east.ErrSyntax) {
				t.Fatalf("Parse error %v does not wrap ErrSyntax", err)
			}
			return
		}
		roundTrip(t, v)
	})
}
