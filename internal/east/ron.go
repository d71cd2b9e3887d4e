package east

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// RON (Rusty Object Notation, github.com/ron-rs/ron) is the serde format the
// EAST test cases are written in. This file parses the part of it those files
// use, and a little more, into a generic Value tree:
//
//   - structs with named fields, with or without a name: (a: 1), Cert(a: 1)
//   - tuples and tuple structs and enum variants with data: (1, 2), Some(x)
//   - unit values and enum variants without data: NotAuthenticated, None, ()
//   - lists [a, b], maps {k: v}
//   - strings "..." with the escapes \" \' \\ \n \r \t \0 \b \f \xNN (ASCII)
//     \u{N..} and \uNNNN, raw strings r"..." and r#"..."#, chars 'c'
//   - numbers (decimal, 0x, 0o, 0b, underscores, fractions, exponents, inf,
//     NaN), booleans
//   - line comments //, nestable block comments /* */, trailing commas
//   - inner attributes such as #![enable(implicit_some)] before the value,
//     which are skipped.
//
// The parser never panics and bounds its nesting depth, whatever the input
// (FuzzParseRON).

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("ron: syntax error")

// SyntaxError says where and why parsing failed.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("ron: %d:%d: %s", e.Pos.Line, e.Pos.Col, e.Msg)
}

func (e *SyntaxError) Unwrap() error { return ErrSyntax }

// Pos is a position in the source: line and column (in bytes), from 1.
type Pos struct{ Line, Col int }

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Col) }

// Kind is the kind of a Value.
type Kind uint8

// The kinds of values.
const (
	// KindIdent is a bare identifier: a unit struct or an enum variant
	// without data (NotAuthenticated, None). Value.Name holds it.
	KindIdent Kind = iota + 1
	// KindBool is true or false (Value.Bool).
	KindBool
	// KindNumber is a number; Value.Str holds its source text.
	KindNumber
	// KindString is a string or raw string (Value.Str, unescaped).
	KindString
	// KindChar is a character literal (Value.Str, one rune).
	KindChar
	// KindList is [a, b] (Value.Items).
	KindList
	// KindMap is {k: v} (Value.Entries).
	KindMap
	// KindStruct is a struct with named fields, (a: 1) or Name(a: 1)
	// (Value.Name, possibly empty, and Value.Fields).
	KindStruct
	// KindTuple is a tuple, a tuple struct or an enum variant with data:
	// (1, 2), Some(x), Name() (Value.Name, possibly empty, and Value.Items).
	KindTuple
)

var kindNames = [...]string{
	KindIdent: "identifier", KindBool: "bool", KindNumber: "number", KindString: "string",
	KindChar: "char", KindList: "list", KindMap: "map", KindStruct: "struct", KindTuple: "tuple",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Value is a parsed RON value.
type Value struct {
	Kind Kind
	Pos  Pos
	// Name is the identifier of KindIdent and the (optional) name of
	// KindStruct and KindTuple.
	Name string
	// Str is the text of KindString and KindChar, and the source text of
	// KindNumber.
	Str     string
	Bool    bool
	Items   []Value // KindList, KindTuple
	Fields  []Field // KindStruct, in source order
	Entries []Entry // KindMap, in source order
}

// Field is a named field of a struct.
type Field struct {
	Name  string
	Pos   Pos
	Value Value
}

// Entry is a key and value of a map.
type Entry struct {
	Key, Value Value
}

// Field returns the value of the struct field name.
func (v Value) Field(name string) (Value, bool) {
	for _, f := range v.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return Value{}, false
}

// IsIdent reports whether v is the bare identifier name.
func (v Value) IsIdent(name string) bool { return v.Kind == KindIdent && v.Name == name }

// Int returns the value of an integer KindNumber.
func (v Value) Int() (int64, error) {
	if v.Kind != KindNumber {
		return 0, fmt.Errorf("east: %s at %s is not a number", v.Kind, v.Pos)
	}
	s := strings.ReplaceAll(v.Str, "_", "")
	return strconv.ParseInt(s, 0, 64)
}

// String formats v as RON, on one line; Parse(v.String()) yields v again
// (without positions).
func (v Value) String() string {
	var b strings.Builder
	format(&b, v)
	return b.String()
}

func format(b *strings.Builder, v Value) {
	switch v.Kind {
	case KindIdent:
		b.WriteString(v.Name)
	case KindBool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case KindNumber:
		b.WriteString(v.Str)
	case KindString:
		quote(b, v.Str, '"')
	case KindChar:
		quote(b, v.Str, '\'')
	case KindList:
		b.WriteByte('[')
		for i, it := range v.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, it)
		}
		b.WriteByte(']')
	case KindMap:
		b.WriteByte('{')
		for i, e := range v.Entries {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, e.Key)
			b.WriteString(": ")
			format(b, e.Value)
		}
		b.WriteByte('}')
	case KindStruct:
		b.WriteString(v.Name)
		b.WriteByte('(')
		for i, f := range v.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Name)
			b.WriteString(": ")
			format(b, f.Value)
		}
		b.WriteByte(')')
	case KindTuple:
		b.WriteString(v.Name)
		b.WriteByte('(')
		for i, it := range v.Items {
			if i > 0 {
				b.WriteString(", ")
			}
			format(b, it)
		}
		if v.Name == "" && len(v.Items) == 1 {
			b.WriteByte(',') // (x,) is a one-tuple; (x) would be x itself
		}
		b.WriteByte(')')
	default:
		b.WriteString("()")
	}
}

func quote(b *strings.Builder, s string, q byte) {
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f || !unicode.IsPrint(r):
			fmt.Fprintf(b, `\u{%x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
}

// maxDepth bounds nesting, so that hostile input cannot exhaust the stack.
const maxDepth = 200

// Parse parses one RON value (optionally preceded by inner attributes)
// filling the whole of src. It returns a *SyntaxError, which wraps ErrSyntax,
// for anything else.
func Parse(src []byte) (Value, error) {
	p := &parser{src: src, line: 1, col: 1}
	if !utf8.Valid(src) {
		return Value{}, p.errorf("input is not valid UTF-8")
	}
	p.skipBOM()
	if err := p.attributes(); err != nil {
		return Value{}, err
	}
	v, err := p.value()
	if err != nil {
		return Value{}, err
	}
	if err := p.skip(); err != nil {
		return Value{}, err
	}
	if !p.eof() {
		return Value{}, p.errorf("unexpected %s after the value", p.describe())
	}
	return v, nil
}

type parser struct {
	src       []byte
	i         int
	line, col int
	depth     int
}

func (p *parser) eof() bool { return p.i >= len(p.src) }

func (p *parser) pos() Pos { return Pos{p.line, p.col} }

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Pos: p.pos(), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) errorAt(pos Pos, format string, args ...any) error {
	return &SyntaxError{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// describe names what is at the current position, for messages.
func (p *parser) describe() string {
	if p.eof() {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(p.src[p.i:])
	return strconv.QuoteRune(r)
}

func (p *parser) peek() byte {
	if p.eof() {
		return 0
	}
	return p.src[p.i]
}

func (p *parser) peekAt(n int) byte {
	if p.i+n >= len(p.src) {
		return 0
	}
	return p.src[p.i+n]
}

// next consumes one rune and returns it.
func (p *parser) next() rune {
	r, n := utf8.DecodeRune(p.src[p.i:])
	p.i += n
	if r == '\n' {
		p.line++
		p.col = 1
	} else {
		p.col += n
	}
	return r
}

func (p *parser) skipBOM() {
	if len(p.src) >= 3 && string(p.src[:3]) == "\uFEFF" {
		p.i = 3
	}
}

// skip skips whitespace and comments.
func (p *parser) skip() error {
	for !p.eof() {
		c := p.peek()
		switch {
		case c == '/' && p.peekAt(1) == '/':
			for !p.eof() && p.peek() != '\n' {
				p.next()
			}
		case c == '/' && p.peekAt(1) == '*':
			if err := p.blockComment(); err != nil {
				return err
			}
		case c < utf8.RuneSelf && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'):
			p.next()
		case c >= utf8.RuneSelf:
			r, _ := utf8.DecodeRune(p.src[p.i:])
			if !unicode.IsSpace(r) {
				return nil
			}
			p.next()
		default:
			return nil
		}
	}
	return nil
}

// blockComment skips a /* */ comment; RON block comments nest.
func (p *parser) blockComment() error {
	start := p.pos()
	p.next()
	p.next()
	level := 1
	for level > 0 {
		if p.eof() {
			return p.errorAt(start, "unterminated block comment")
		}
		switch {
		case p.peek() == '/' && p.peekAt(1) == '*':
			p.next()
			p.next()
			level++
		case p.peek() == '*' && p.peekAt(1) == '/':
			p.next()
			p.next()
			level--
		default:
			p.next()
		}
	}
	return nil
}

// attributes skips inner attributes: #![name(args)].
func (p *parser) attributes() error {
	for {
		if err := p.skip(); err != nil {
			return err
		}
		if p.peek() != '#' {
			return nil
		}
		start := p.pos()
		p.next()
		if p.peek() != '!' || p.peekAt(1) != '[' {
			return p.errorAt(start, "want #![...] attribute")
		}
		p.next()
		p.next()
		level := 1
		for level > 0 {
			if p.eof() {
				return p.errorAt(start, "unterminated attribute")
			}
			switch p.next() {
			case '[':
				level++
			case ']':
				level--
			}
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool { return isIdentStart(c) || ('0' <= c && c <= '9') }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (p *parser) value() (Value, error) {
	if err := p.skip(); err != nil {
		return Value{}, err
	}
	if p.eof() {
		return Value{}, p.errorf("unexpected end of input, want a value")
	}
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return Value{}, p.errorf("nesting deeper than %d", maxDepth)
	}
	pos := p.pos()
	c := p.peek()
	switch {
	case c == '"':
		s, err := p.str()
		return Value{Kind: KindString, Pos: pos, Str: s}, err
	case c == 'r' && (p.peekAt(1) == '"' || (p.peekAt(1) == '#' && (p.peekAt(2) == '"' || p.peekAt(2) == '#'))):
		s, err := p.rawStr()
		return Value{Kind: KindString, Pos: pos, Str: s}, err
	case c == '\'':
		s, err := p.char()
		return Value{Kind: KindChar, Pos: pos, Str: s}, err
	case c == '[':
		return p.list()
	case c == '{':
		return p.mapValue()
	case c == '(':
		return p.parens(pos, "")
	case c == '+' || c == '-' || isDigit(c) || (c == '.' && isDigit(p.peekAt(1))):
		return p.number()
	case isIdentStart(c) || (c == 'r' && p.peekAt(1) == '#'):
		name, err := p.ident()
		if err != nil {
			return Value{}, err
		}
		switch name {
		case "true", "false":
			return Value{Kind: KindBool, Pos: pos, Bool: name == "true"}, nil
		case "inf", "NaN":
			return Value{Kind: KindNumber, Pos: pos, Str: name}, nil
		}
		if err := p.skip(); err != nil {
			return Value{}, err
		}
		if p.peek() == '(' {
			return p.parens(pos, name)
		}
		return Value{Kind: KindIdent, Pos: pos, Name: name}, nil
	}
	return Value{}, p.errorf("unexpected %s, want a value", p.describe())
}

// ident reads an identifier, or a raw identifier r#name.
func (p *parser) ident() (string, error) {
	start := p.i // a raw identifier keeps its r#, so it never reads as a keyword
	raw := false
	if p.peek() == 'r' && p.peekAt(1) == '#' {
		p.next()
		p.next()
		raw = true
	}
	if !isIdentStart(p.peek()) {
		return "", p.errorf("unexpected %s, want an identifier", p.describe())
	}
	for !p.eof() && (isIdentChar(p.peek()) || (raw && (p.peek() == '.' || p.peek() == '+' || p.peek() == '-'))) {
		p.next()
	}
	return string(p.src[start:p.i]), nil
}

// str reads a "..." string.
func (p *parser) str() (string, error) {
	start := p.pos()
	p.next() // "
	var b strings.Builder
	for {
		if p.eof() {
			return "", p.errorAt(start, "unterminated string")
		}
		c := p.peek()
		switch c {
		case '"':
			p.next()
			return b.String(), nil
		case '\\':
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		default:
			b.WriteRune(p.next())
		}
	}
}

// escape reads one escape sequence (the backslash is at p.i).
func (p *parser) escape() (rune, error) {
	pos := p.pos()
	p.next() // backslash
	if p.eof() {
		return 0, p.errorAt(pos, "unterminated escape sequence")
	}
	c := p.next()
	switch c {
	case '"', '\'', '\\', '/':
		return c, nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case '0':
		return 0, nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'x':
		n, err := p.hex(2, 2)
		if err != nil {
			return 0, err
		}
		if n > 0x7f {
			return 0, p.errorAt(pos, `\x escape above \x7f`)
		}
		return rune(n), nil
	case 'u':
		var n uint32
		var err error
		if p.peek() == '{' {
			p.next()
			if n, err = p.hex(1, 6); err != nil {
				return 0, err
			}
			if p.peek() != '}' {
				return 0, p.errorf(`want } closing \u{...}`)
			}
			p.next()
		} else if n, err = p.hex(4, 4); err != nil {
			return 0, err
		}
		r := rune(n)
		if !utf8.ValidRune(r) {
			return 0, p.errorAt(pos, `\u escape %X is not a Unicode scalar value`, n)
		}
		return r, nil
	}
	return 0, p.errorAt(pos, "unknown escape sequence \\%c", c)
}

// hex reads min to max hex digits.
func (p *parser) hex(min, max int) (uint32, error) {
	var n uint32
	i := 0
	for ; i < max; i++ {
		c := p.peek()
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			if i < min {
				return 0, p.errorf("unexpected %s, want a hex digit", p.describe())
			}
			return n, nil
		}
		p.next()
		n = n<<4 | uint32(d)
	}
	return n, nil
}

// rawStr reads r"..." or r#"..."# (any number of #).
func (p *parser) rawStr() (string, error) {
	start := p.pos()
	p.next() // r
	hashes := 0
	for p.peek() == '#' {
		p.next()
		hashes++
	}
	if p.peek() != '"' {
		return "", p.errorf(`unexpected %s, want " of a raw string`, p.describe())
	}
	p.next()
	closing := "\"" + strings.Repeat("#", hashes)
	from := p.i
	for {
		if p.eof() {
			return "", p.errorAt(start, "unterminated raw string")
		}
		if strings.HasPrefix(string(p.src[p.i:min(len(p.src), p.i+len(closing))]), closing) {
			s := string(p.src[from:p.i])
			for range len(closing) {
				p.next()
			}
			return s, nil
		}
		p.next()
	}
}

// char reads a 'c' character literal.
func (p *parser) char() (string, error) {
	start := p.pos()
	p.next() // '
	var r rune
	switch {
	case p.eof():
		return "", p.errorAt(start, "unterminated char")
	case p.peek() == '\\':
		var err error
		if r, err = p.escape(); err != nil {
			return "", err
		}
	case p.peek() == '\'':
		return "", p.errorAt(start, "empty char")
	default:
		r = p.next()
	}
	if p.peek() != '\'' {
		return "", p.errorAt(start, "char literal holds more than one character")
	}
	p.next()
	return string(r), nil
}

// number reads an integer or a float, keeping its text.
func (p *parser) number() (Value, error) {
	pos := p.pos()
	start := p.i
	if c := p.peek(); c == '+' || c == '-' {
		p.next()
	}
	if isIdentStart(p.peek()) { // -inf, +NaN
		name, _ := p.ident()
		if name != "inf" && name != "NaN" {
			return Value{}, p.errorAt(pos, "malformed number")
		}
		return Value{Kind: KindNumber, Pos: pos, Str: string(p.src[start:p.i])}, nil
	}
	digits := func(ok func(byte) bool) int {
		n := 0
		for !p.eof() && (ok(p.peek()) || (p.peek() == '_' && n > 0)) {
			p.next()
			n++
		}
		return n
	}
	if p.peek() == '0' && (p.peekAt(1) == 'x' || p.peekAt(1) == 'o' || p.peekAt(1) == 'b') {
		base := p.peekAt(1)
		p.next()
		p.next()
		var ok func(byte) bool
		switch base {
		case 'x':
			ok = func(c byte) bool { return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F') }
		case 'o':
			ok = func(c byte) bool { return '0' <= c && c <= '7' }
		default:
			ok = func(c byte) bool { return c == '0' || c == '1' }
		}
		if digits(ok) == 0 {
			return Value{}, p.errorAt(pos, "malformed number")
		}
	} else {
		n := digits(isDigit)
		if p.peek() == '.' && isDigit(p.peekAt(1)) {
			p.next()
			n += digits(isDigit)
		} else if p.peek() == '.' && n > 0 && !isIdentStart(p.peekAt(1)) {
			p.next() // "1." is a float
		}
		if n == 0 {
			return Value{}, p.errorAt(pos, "malformed number")
		}
		if c := p.peek(); c == 'e' || c == 'E' {
			p.next()
			if c := p.peek(); c == '+' || c == '-' {
				p.next()
			}
			if digits(isDigit) == 0 {
				return Value{}, p.errorAt(pos, "malformed exponent")
			}
		}
	}
	if isIdentChar(p.peek()) || p.peek() == '.' {
		return Value{}, p.errorf("unexpected %s in a number", p.describe())
	}
	return Value{Kind: KindNumber, Pos: pos, Str: string(p.src[start:p.i])}, nil
}

// list reads [a, b, ...].
func (p *parser) list() (Value, error) {
	v := Value{Kind: KindList, Pos: p.pos()}
	p.next() // [
	items, err := p.sequence(']')
	v.Items = items
	return v, err
}

// sequence reads comma-separated values up to and including the closing
// byte, allowing a trailing comma.
func (p *parser) sequence(closing byte) ([]Value, error) {
	var items []Value
	for {
		if err := p.skip(); err != nil {
			return nil, err
		}
		if p.peek() == closing {
			p.next()
			return items, nil
		}
		it, err := p.value()
		if err != nil {
			return nil, err
		}
		items = append(items, it)
		if err := p.separator(closing); err != nil {
			return nil, err
		}
	}
}

// separator consumes a comma, or checks that the closing byte follows.
func (p *parser) separator(closing byte) error {
	if err := p.skip(); err != nil {
		return err
	}
	switch p.peek() {
	case ',':
		p.next()
		return nil
	case closing:
		return nil
	}
	return p.errorf("unexpected %s, want ',' or '%c'", p.describe(), closing)
}

// mapValue reads {k: v, ...}.
func (p *parser) mapValue() (Value, error) {
	v := Value{Kind: KindMap, Pos: p.pos()}
	p.next() // {
	for {
		if err := p.skip(); err != nil {
			return Value{}, err
		}
		if p.peek() == '}' {
			p.next()
			return v, nil
		}
		k, err := p.value()
		if err != nil {
			return Value{}, err
		}
		if err := p.skip(); err != nil {
			return Value{}, err
		}
		if p.peek() != ':' {
			return Value{}, p.errorf("unexpected %s, want ':' after a map key", p.describe())
		}
		p.next()
		val, err := p.value()
		if err != nil {
			return Value{}, err
		}
		v.Entries = append(v.Entries, Entry{Key: k, Value: val})
		if err := p.separator('}'); err != nil {
			return Value{}, err
		}
	}
}

// parens reads the (...) of a struct, tuple or variant; name is what
// preceded it, if anything.
func (p *parser) parens(pos Pos, name string) (Value, error) {
	p.next() // (
	if err := p.skip(); err != nil {
		return Value{}, err
	}
	if p.namedFieldFollows() {
		return p.structBody(pos, name)
	}
	items, err := p.sequence(')')
	if err != nil {
		return Value{}, err
	}
	return Value{Kind: KindTuple, Pos: pos, Name: name, Items: items}, nil
}

// namedFieldFollows looks ahead for "ident :" without consuming anything.
func (p *parser) namedFieldFollows() bool {
	save := *p
	defer func() { *p = save }()
	if !isIdentStart(p.peek()) && !(p.peek() == 'r' && p.peekAt(1) == '#') {
		return false
	}
	if _, err := p.ident(); err != nil {
		return false
	}
	if p.skip() != nil {
		return false
	}
	return p.peek() == ':' && p.peekAt(1) != ':'
}

func (p *parser) structBody(pos Pos, name string) (Value, error) {
	v := Value{Kind: KindStruct, Pos: pos, Name: name}
	for {
		if err := p.skip(); err != nil {
			return Value{}, err
		}
		if p.peek() == ')' {
			p.next()
			return v, nil
		}
		fpos := p.pos()
		fname, err := p.ident()
		if err != nil {
			return Value{}, err
		}
		if _, dup := v.Field(fname); dup {
			return Value{}, p.errorAt(fpos, "duplicate field %q", fname)
		}
		if err := p.skip(); err != nil {
			return Value{}, err
		}
		if p.peek() != ':' {
			return Value{}, p.errorf("unexpected %s, want ':' after field %s", p.describe(), fname)
		}
		p.next()
		val, err := p.value()
		if err != nil {
			return Value{}, err
		}
		v.Fields = append(v.Fields, Field{Name: fname, Pos: fpos, Value: val})
		if err := p.separator(')'); err != nil {
			return Value{}, err
		}
	}
}
