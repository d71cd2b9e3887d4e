package autoconfig

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// xnode is one element of a parsed document: the small, namespace-blind tree
// both readers walk. Elements deeper than the reader asked for are not kept.
type xnode struct {
	name  string // local name; the readers ignore namespaces, as Thunderbird does
	attrs []xml.Attr
	text  []byte // the element's own character data, children excluded
	kids  []*xnode
	line  int // line of the start tag, for messages
}

// attr returns the value of the attribute with the given local name.
func (n *xnode) attr(local string) (string, bool) {
	for _, a := range n.attrs {
		if a.Name.Local == local && a.Name.Space != "xmlns" {
			return a.Value, true
		}
	}
	return "", false
}

// child returns the first child element with the given local name, or nil.
func (n *xnode) child(local string) *xnode {
	for _, k := range n.kids {
		if k.name == local {
			return k
		}
	}
	return nil
}

// children returns the child elements with the given local name, in order.
func (n *xnode) children(local string) []*xnode {
	var out []*xnode
	for _, k := range n.kids {
		if k.name == local {
			out = append(out, k)
		}
	}
	return out
}

// value returns the element's text with surrounding white space removed.
func (n *xnode) value() string {
	if n == nil {
		return ""
	}
	return strings.TrimSpace(string(n.text))
}

// childValue returns the trimmed text of the first child named local, and
// whether there is such a child.
func (n *xnode) childValue(local string) (string, bool) {
	k := n.child(local)
	if k == nil {
		return "", false
	}
	return k.value(), true
}

// parseXML reads at most MaxXMLSize bytes from r and parses them into a tree
// of at most maxDepth levels (the root is level 1). It refuses DTDs and other
// directives, undefined entities (encoding/xml in strict mode knows only the
// five predefined ones and never expands custom entities), encodings other
// than UTF-8, US-ASCII and ISO-8859-1, a second root element and text outside
// the root.
func parseXML(r io.Reader, maxDepth int) (*xnode, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxXMLSize+1))
	if err != nil {
		return nil, fmt.Errorf("autoconfig: reading document: %w", err)
	}
	if len(data) > MaxXMLSize {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, MaxXMLSize)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // UTF-8 byte order mark

	var cs charsetState
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.Entity = nil // only &lt; &gt; &amp; &apos; &quot; and character references
	d.CharsetReader = cs.reader

	var root *xnode
	var stack []*xnode // nil entries for elements below maxDepth
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if root == nil {
				return nil, fmt.Errorf("%w: no root element", ErrMalformed)
			}
			if len(stack) > 0 {
				return nil, fmt.Errorf("%w: unexpected end of document in <%s>", ErrMalformed, root.name)
			}
			return root, nil
		}
		if err != nil {
			if cs.err != nil {
				return nil, fmt.Errorf("%w: %w", ErrCharset, cs.err)
			}
			return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		line, _ := d.InputPos()
		switch t := tok.(type) {
		case xml.StartElement:
			var n *xnode
			switch {
			case len(stack) == 0:
				if root != nil {
					return nil, fmt.Errorf("%w: line %d: second root element <%s>", ErrMalformed, line, t.Name.Local)
				}
				n = &xnode{name: t.Name.Local, attrs: t.Copy().Attr, line: line}
				root = n
			case len(stack) < maxDepth && stack[len(stack)-1] != nil:
				n = &xnode{name: t.Name.Local, attrs: t.Copy().Attr, line: line}
				parent := stack[len(stack)-1]
				parent.kids = append(parent.kids, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			// The strict decoder has already checked that the names match.
			if len(stack) == 0 {
				return nil, fmt.Errorf("%w: line %d: unexpected </%s>", ErrMalformed, line, t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, fmt.Errorf("%w: line %d: text outside the root element", ErrMalformed, line)
				}
				continue
			}
			if n := stack[len(stack)-1]; n != nil {
				n.text = append(n.text, t...)
			}
		case xml.Directive:
			return nil, fmt.Errorf("%w: line %d: <!%s>", ErrDTD, line, clip(string(t), 40))
		case xml.Comment, xml.ProcInst:
			// Ignored. encoding/xml itself checks the <?xml?> declaration.
		}
	}
}

// charsetState records why the decoder's CharsetReader refused an encoding,
// since encoding/xml reports that error without wrapping it.
type charsetState struct{ err error }

// reader is the decoder's CharsetReader. encoding/xml calls it only for a
// declared encoding other than UTF-8.
func (cs *charsetState) reader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "us-ascii", "ascii":
		return &asciiReader{r: in, cs: cs}, nil
	case "iso-8859-1", "latin1":
		return &latin1Reader{r: in}, nil
	}
	cs.err = fmt.Errorf("encoding %q", clip(label, 40))
	return nil, cs.err
}

// asciiReader passes US-ASCII through and fails on any byte above 0x7F.
type asciiReader struct {
	r  io.Reader
	cs *charsetState
}

func (a *asciiReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	for i, b := range p[:n] {
		if b >= utf8.RuneSelf {
			a.cs.err = fmt.Errorf("byte 0x%02X in a document declared US-ASCII", b)
			return i, a.cs.err
		}
	}
	return n, err
}

// latin1Reader decodes ISO-8859-1 into UTF-8: every byte is the code point of
// the same value.
type latin1Reader struct {
	r       io.Reader
	buf     [512]byte
	pending []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(l.pending) == 0 {
		n, err := l.r.Read(l.buf[:])
		if n == 0 {
			return 0, err
		}
		out := make([]byte, 0, 2*n)
		for _, b := range l.buf[:n] {
			out = utf8.AppendRune(out, rune(b))
		}
		l.pending = out
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}

// clip shortens s to at most n runes for a message, marking the cut, so that
// a hostile document cannot flood logs and error texts.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
