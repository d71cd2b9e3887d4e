// Package i18n is the one catalogue of every text Mailsetup shows a person,
// in English and French: the app's screens, the command line's output and
// errors, the engine's warnings and verdicts, the HTML report and the
// visible strings of exported files.
//
// The messages live in messages/en.toml and messages/fr.toml, embedded in
// the binaries and read with github.com/nicksnyder/go-i18n/v2: named
// placeholders ({{.Host}}) and CLDR plural forms (one, many, other). The
// package imports no Fyne, so the engine (detect) and the command line stay
// free of it and build with CGO_ENABLED=0.
//
// A [Printer] is passed to whatever renders text (detect.Options.Printer, the
// command line's context, the app's UI); there is no mutable global
// language. A nil *Printer prints English.
package i18n

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Lang is a language of the catalogue: "en" or "fr".
type Lang string

// The languages of the catalogue.
const (
	English Lang = "en"
	French  Lang = "fr"
)

// Langs lists the languages of the catalogue, English (the fallback) first.
var Langs = []Lang{English, French}

//go:embed messages/*.toml
var messageFiles embed.FS

// catalogue is the parsed message files, read once; it never changes after.
var catalogue = sync.OnceValues(func() (*goi18n.Bundle, error) {
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	for _, l := range Langs {
		if _, err := b.LoadMessageFileFS(messageFiles, "messages/"+string(l)+".toml"); err != nil {
			return nil, fmt.Errorf("i18n: message file %s: %w", l, err)
		}
	}
	return b, nil
})

// Printer renders the catalogue's messages in one language. It is
// immutable and safe for concurrent use. A nil *Printer prints English.
type Printer struct {
	lang Lang
	loc  *goi18n.Localizer
}

var (
	printersMu sync.Mutex
	printers   = map[Lang]*Printer{}
)

// New returns the printer of lang; a language outside the catalogue gets
// English. Printers are immutable, so New hands out one per language.
func New(lang Lang) *Printer {
	if lang != French {
		lang = English
	}
	printersMu.Lock()
	defer printersMu.Unlock()
	if p := printers[lang]; p != nil {
		return p
	}
	b, err := catalogue()
	if err != nil {
		panic(err) // the embedded files are checked by the package's tests
	}
	p := &Printer{lang: lang, loc: goi18n.NewLocalizer(b, string(lang))}
	printers[lang] = p
	return p
}

// Lang is the printer's language; English for a nil printer.
func (p *Printer) Lang() Lang {
	if p == nil {
		return English
	}
	return p.lang
}

func (p *Printer) orEnglish() *Printer {
	if p == nil {
		return New(English)
	}
	return p
}

// T renders the message id with its named placeholders given as pairs:
// T("warn.no-server", "Host", h, "Port", 993). A value that is a [Text]
// (a [Msg], a [List]) is rendered in the printer's language first. An id
// missing from the catalogue renders as the id itself (the tests catch it).
func (p *Printer) T(id string, kv ...any) string {
	return p.render(id, nil, kv)
}

// N renders the plural message id for count; the count is also the
// placeholder {{.Count}}.
func (p *Printer) N(id string, count int, kv ...any) string {
	return p.render(id, &count, kv)
}

func (p *Printer) render(id string, count *int, kv []any) string {
	p = p.orEnglish()
	data := make(map[string]any, len(kv)/2+1)
	for i := 0; i+1 < len(kv); i += 2 {
		k, _ := kv[i].(string)
		v := kv[i+1]
		if t, ok := v.(Text); ok {
			v = t.Text(p)
		}
		data[k] = v
	}
	lc := &goi18n.LocalizeConfig{MessageID: id, TemplateData: data}
	if count != nil {
		lc.PluralCount = *count
		data["Count"] = *count
	}
	s, err := p.loc.Localize(lc)
	if s == "" && err != nil {
		return id
	}
	return s
}

// Text is something that can be said in a printer's language: a [Msg], a
// [List], a [Plain] string.
type Text interface {
	Text(p *Printer) string
}

// Msg is a message to render later, in whatever language is asked then:
// the engine keeps its warnings as Msgs so that a report can be told again
// in another language (detect.Report.Localize).
type Msg struct {
	ID    string
	Count *int
	Args  []any // name, value pairs; a value may itself be a Text
}

// M is the message id with its placeholder pairs, rendered later.
func M(id string, kv ...any) Msg { return Msg{ID: id, Args: kv} }

// MN is the plural message id for count, rendered later.
func MN(id string, count int, kv ...any) Msg { return Msg{ID: id, Count: &count, Args: kv} }

// Text renders m with p.
func (m Msg) Text(p *Printer) string {
	if m.ID == "" {
		return ""
	}
	return p.render(m.ID, m.Count, m.Args)
}

// Arg returns the value of the placeholder name, and whether m has it.
func (m Msg) Arg(name string) (any, bool) {
	for i := 0; i+1 < len(m.Args); i += 2 {
		if k, _ := m.Args[i].(string); k == name {
			return m.Args[i+1], true
		}
	}
	return nil, false
}

// Plain is text that is the same in every language: a host name, a code.
type Plain string

// Text returns s itself.
func (s Plain) Text(*Printer) string { return string(s) }

// List is texts joined the way a sentence lists them: "a, b and c",
// « a, b et c ».
type List []Text

// Text renders the list with p.
func (l List) Text(p *Printer) string {
	parts := make([]string, len(l))
	for i, t := range l {
		parts[i] = t.Text(p)
	}
	return p.List(parts)
}

// List joins items the way a sentence lists them: "a, b and c".
func (p *Printer) List(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + p.T("word.and") + " " + items[len(items)-1]
}

// IDs returns every message id of the catalogue in lang, sorted; for tests
// and tools.
func IDs(lang Lang) []string {
	var ids []string
	for id := range Messages(lang) {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Message is one entry of a message file: its plural forms by CLDR name
// ("other" for a message without plurals).
type Message struct {
	ID    string
	Forms map[string]string
}

// Messages returns the messages of lang's file by id, as written there
// (without falling back to English); for tests and tools.
func Messages(lang Lang) map[string]Message {
	data, err := fs.ReadFile(messageFiles, "messages/"+string(lang)+".toml")
	if err != nil {
		return nil
	}
	b := goi18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	f, err := b.ParseMessageFileBytes(data, string(lang)+".toml")
	if err != nil {
		return nil
	}
	out := map[string]Message{}
	for _, m := range f.Messages {
		forms := map[string]string{}
		for name, v := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
			if v != "" {
				forms[name] = v
			}
		}
		out[m.ID] = Message{ID: m.ID, Forms: forms}
	}
	return out
}

// CheckFiles parses the embedded message files and reports the first
// error: the check behind [New]'s promise, for tests and main packages.
func CheckFiles() error {
	_, err := catalogue()
	return err
}
