package report

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
	"github.com/mailsetup/mailsetup/internal/servicefixture"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

type testCase struct {
	name string
	rep  *detect.Report
	opts *HTMLOptions
}

func cases() []testCase {
	return []testCase{
		{"secure", secureReport(), nil},
		{"caveats", caveatsReport(), &HTMLOptions{
			Generated: time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC),
			Title:     "Ticket #4711: bob cannot send mail",
		}},
		{"unsafe", unsafeReport(), &HTMLOptions{}},
		{"none", noneReport(), nil},
		{"services", servicesReport(), nil},
	}
}

// servicesReport is secureReport with calendars, contacts and JMAP found.
func servicesReport() *detect.Report {
	r := secureReport()
	servicefixture.Add(r)
	return r
}

func render(t *testing.T, r *detect.Report, opts *HTMLOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, opts); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return b.String()
}

func TestGolden(t *testing.T) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			compareGolden(t, filepath.Join("testdata", c.name+".html"), render(t, c.rep, c.opts))
		})
	}
}

// compareGolden compares got with the golden file at path, or rewrites it
// under -update.
func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report/ -update to create it)", err)
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(run go test ./report/ -update if the change is meant)", path, i+1, g, w)
		}
	}
}

// text returns the text content of n.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode {
			b.WriteString(" ") // cells and items read as separate words
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func findAll(n *html.Node, a atom.Atom) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.DataAtom == a {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func TestParsesWithHeadings(t *testing.T) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			doc, err := html.Parse(strings.NewReader(render(t, c.rep, c.opts)))
			if err != nil {
				t.Fatal(err)
			}
			h1 := findAll(doc, atom.H1)
			if len(h1) != 1 {
				t.Fatalf("%d h1, want 1", len(h1))
			}
			if title := findAll(doc, atom.Title); len(title) != 1 || text(title[0]) != text(h1[0]) {
				t.Errorf("title and h1 differ")
			}
			if c.opts != nil && c.opts.Title != "" && text(h1[0]) != c.opts.Title {
				t.Errorf("h1 = %q, want %q", text(h1[0]), c.opts.Title)
			}
			var h2 []string
			for _, n := range findAll(doc, atom.H2) {
				h2 = append(h2, text(n))
			}
			want := []string{"Recommended settings", "Warnings", "Incoming servers", "Outgoing servers", "Sources"}
			if len(c.rep.Calendar) > 0 { // the services come only when found, after mail
				want = slices.Insert(want, 4, "Calendar (CalDAV)", "Contacts (CardDAV)", "JMAP")
			}
			if len(h2) != len(want) {
				t.Fatalf("h2 = %q, want %q", h2, want)
			}
			for i := range want {
				if !strings.HasPrefix(h2[i], want[i]) {
					t.Errorf("h2[%d] = %q, want it to start with %q", i, h2[i], want[i])
				}
			}
			endpoints := len(c.rep.Incoming) + len(c.rep.Outgoing) + len(c.rep.Calendar) + len(c.rep.Contacts) + len(c.rep.JMAP)
			if n := len(findAll(doc, atom.H3)); n != endpoints {
				t.Errorf("%d server headings, want %d", n, endpoints)
			}
			var logs [][]detect.TranscriptLine
			for _, list := range [][]detect.Server{c.rep.Incoming, c.rep.Outgoing} {
				for _, s := range list {
					logs = append(logs, s.Probe.Transcript, s.Login.Transcript)
				}
			}
			for _, list := range [][]detect.Service{c.rep.Calendar, c.rep.Contacts, c.rep.JMAP} {
				for _, s := range list {
					logs = append(logs, s.Probe.Transcript, s.Login.Transcript)
				}
			}
			transcripts, before := 0, 0
			for _, tr := range logs {
				if len(tr) > 0 {
					transcripts++
				}
				for _, l := range tr {
					if l.BeforeTLS {
						before++
					}
				}
			}
			if n := len(findAll(doc, atom.Details)); n != transcripts {
				t.Errorf("%d <details>, want %d transcripts", n, transcripts)
			}
			marked := 0
			for _, n := range findAll(doc, atom.Span) {
				if attr(n, "class") == "pretls" {
					marked++
					if !strings.Contains(text(n), "before TLS (untrusted)") {
						t.Errorf("before-TLS line %q not marked in words", text(n))
					}
				}
			}
			if marked != before {
				t.Errorf("%d lines marked before TLS, want %d", marked, before)
			}
			// Every in-page link points at an element of the page.
			ids := map[string]bool{}
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if id := attr(n, "id"); id != "" {
					ids[id] = true
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			for _, a := range findAll(doc, atom.A) {
				if h := attr(a, "href"); !strings.HasPrefix(h, "#") || !ids[h[1:]] {
					t.Errorf("link %q goes nowhere on the page", h)
				}
			}
		})
	}
}

func TestContent(t *testing.T) {
	page := func(r *detect.Report, opts *HTMLOptions) string {
		doc, err := html.Parse(strings.NewReader(render(t, r, opts)))
		if err != nil {
			t.Fatal(err)
		}
		return text(doc)
	}
	for _, c := range []struct {
		name string
		got  string
		want []string
	}{
		{"secure", page(secureReport(), nil), []string{
			"Mail settings report for alice@example.com",
			"✔ Verdict: Secure",
			"Incoming IMAP imap.example.com 993 SSL/TLS alice@example.com Normal password",
			"Outgoing SMTP smtp.example.com 465 SSL/TLS alice@example.com Normal password",
			"✔ No warnings.",
			"DNSSEC ✔ secure",
			"Encrypted password",
			fmt.Sprintf("format version %d, written by Mailsetup %s. Detection took 412 ms.", detect.ReportVersion, testVersion),
			"C: A1 AUTHENTICATE PLAIN [redacted]",
			"S: A1 OK authenticated",
			"-- connected to",
			"Login ✔ Works , user name alice@example.com , mechanism PLAIN in 95 ms",
			"Certificate ✔ Valid",
		}},
		{"caveats", page(caveatsReport(), &HTMLOptions{Generated: time.Date(2026, 5, 1, 9, 30, 0, 0, time.UTC)}), []string{
			"⚠ Verdict: Works, with caveats",
			"Domain xn--bcher-kva.example (bücher.example)",
			"Generated 1 May 2026, 09:30 UTC",
			"Incoming IMAP mail.xn--bcher-kva.example 143 STARTTLS bob Normal password",
			"STARTTLS: set the client to STARTTLS required",
			"Login check: ✖ Failed — user names tried: bob, bob@xn--bcher-kva.example: 535 5.7.8",
			"Warnings (1 warning, 2 info)",
			"A1 STARTTLS ⚠ before TLS (untrusted)",
			"Probe transcript (8 lines, 3 before TLS)",
			"Login transcript (11 lines, 6 before TLS)",
		}},
		{"unsafe", page(unsafeReport(), nil), []string{
			"✖ Verdict: Unsafe",
			"DNSSEC ✖ bogus",
			"Incoming ✖ No server is safe to use",
			"Outgoing ✖ No server is safe to use",
			"Warnings (3 danger, 1 warning, 1 info)",
			"Certificate ✖ Problem: expired",
			"✖ Answered, but unencrypted",
			"STARTTLS not offered",
			"This whole exchange was unencrypted",
			"2001:db8::995 tcp6 1 ms ✖ failed: connect: network is unreachable",
			"✖ Timed out", "✖ Unreachable", "✖ Protocol error", "– Not probed", "✖ TLS error",
		}},
		{"none", page(noneReport(), nil), []string{
			"✖ Verdict: Nothing found",
			"Incoming ✖ Nothing found: no source named a server for incoming mail.",
			"Outgoing ✖ Nothing found: no source named a server for outgoing mail.",
			"Incoming servers (0, best first) No incoming server was found.",
			"Outgoing servers (0, best first) No outgoing server was found.",
			"autodiscover ✖ error",
			"ispdb – skipped",
		}},
	} {
		for _, w := range c.want {
			if !strings.Contains(c.got, w) {
				t.Errorf("%s: page text lacks %q", c.name, w)
			}
		}
	}
}

func TestWarningOrder(t *testing.T) {
	doc, err := html.Parse(strings.NewReader(render(t, unsafeReport(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range findAll(doc, atom.Div) {
		if strings.HasPrefix(attr(d, "class"), "card ") {
			got = append(got, strings.Fields(text(d))[1]+" "+strings.Fields(text(d))[2])
		}
	}
	want := []string{"Danger cert-expired", "Danger starttls-missing", "Danger unreachable", "Warning needs-confirmation", "Info starttls-missing"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("warnings in order %q, want %q", got, want)
	}
}

// fill sets every string of v (named string types too) to the next payload,
// every slice to two elements, every pointer to a new value, every bool to
// true and every number to 7.
func fill(v reflect.Value, payloads []string, i *int) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(payloads[*i%len(payloads)])
		*i++
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), payloads, i)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for j := range 2 {
			fill(v.Index(j), payloads, i)
		}
	case reflect.Struct:
		for j := range v.NumField() {
			fill(v.Field(j), payloads, i)
		}
	}
}

var payloads = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(2)>`,
	`'><svg onload=alert(3)>`,
	`javascript:alert(4)`,
	`https://evil.example/x.png`,
	`</pre></details><style>body{background:url(https://evil.example/)}</style>`,
	`{{.Title}}`,
}

func hostile() *detect.Report {
	r := &detect.Report{}
	i := 0
	fill(reflect.ValueOf(r).Elem(), payloads, &i)
	r.Incoming[0].Recommended = true // shows the settings table too
	r.Outgoing[0].Recommended = true
	return r
}

// TestEscapesEveryString feeds markup into every string field of the
// report: it must come out as text, never as markup.
func TestEscapesEveryString(t *testing.T) {
	for _, opts := range []*HTMLOptions{nil, {Title: payloads[0] + payloads[1], Generated: time.Unix(0, 0).UTC()}} {
		out := render(t, hostile(), opts)
		for _, bad := range []string{"<script", "<img", "<svg", "<style>body", `"><img`, "'><svg", "</pre></details>"} {
			if strings.Contains(out, bad) {
				t.Errorf("output contains %q unescaped", bad)
			}
		}
		doc, err := html.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				switch n.DataAtom {
				case atom.Script, atom.Img, atom.Svg, atom.Iframe, atom.Object, atom.Embed, atom.Link, atom.Base:
					t.Errorf("element <%s> in the output", n.Data)
				case atom.Style:
					if n.Parent == nil || n.Parent.DataAtom != atom.Head {
						t.Errorf("<style> outside <head>")
					}
				}
				for _, a := range n.Attr {
					if strings.HasPrefix(a.Key, "on") || a.Key == "src" || a.Key == "style" {
						t.Errorf("attribute %s=%q on <%s>", a.Key, a.Val, n.Data)
					}
					if a.Key == "href" && !strings.HasPrefix(a.Val, "#") {
						t.Errorf("href=%q", a.Val)
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
		// The payloads are still there, as text a helpdesk can read.
		body := text(doc)
		for _, p := range payloads {
			if !strings.Contains(body, p) {
				t.Errorf("page text lacks the payload %q", p)
			}
		}
	}
}

// TestSelfContained: no script, no style sheet, no image, no font, and no
// URL anywhere but in the text of the report's own data.
func TestSelfContained(t *testing.T) {
	outs := map[string]string{"hostile": render(t, hostile(), nil)}
	for _, c := range cases() {
		outs[c.name] = render(t, c.rep, c.opts)
	}
	for name, out := range outs {
		for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: output contains %q", name, bad)
			}
		}
		z := html.NewTokenizer(strings.NewReader(out))
		inStyle := false
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				break
			}
			raw := strings.ToLower(string(z.Raw()))
			hasURL := strings.Contains(raw, "http://") || strings.Contains(raw, "https://") || strings.Contains(raw, "//")
			switch tt {
			case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
				if hasURL {
					t.Errorf("%s: a URL in a tag: %s", name, raw)
				}
				tok := z.Token()
				inStyle = tok.DataAtom == atom.Style && tt == html.StartTagToken
			case html.TextToken:
				if inStyle && (hasURL || strings.Contains(raw, "url(") || strings.Contains(raw, "@import") || strings.Contains(raw, "@font-face")) {
					t.Errorf("%s: the style sheet loads something", name)
				}
			case html.CommentToken, html.DoctypeToken:
				if hasURL {
					t.Errorf("%s: a URL in %s", name, raw)
				}
			}
		}
	}
	// Without URLs in the data, there is none at all.
	r := noneReport()
	r.Sources = nil
	if out := render(t, r, nil); strings.Contains(out, "http:") || strings.Contains(out, "https:") {
		t.Errorf("a report without URLs renders one")
	}
}

func TestZeroReport(t *testing.T) {
	doc, err := html.Parse(strings.NewReader(render(t, &detect.Report{}, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"Mail settings report", "Unknown verdict", "No source ran.", "– indeterminate"} {
		if !strings.Contains(text(doc), w) {
			t.Errorf("zero report: page text lacks %q", w)
		}
	}
}

func TestNilReport(t *testing.T) {
	if err := WriteHTML(&bytes.Buffer{}, nil, nil); err == nil {
		t.Error("WriteHTML(nil report) = nil error")
	}
}

type failWriter struct{ n int }

var errWrite = errors.New("disk full")

func (w *failWriter) Write(p []byte) (int, error) { w.n++; return 0, errWrite }

func TestWriteError(t *testing.T) {
	w := &failWriter{}
	if err := WriteHTML(w, secureReport(), nil); !errors.Is(err, errWrite) {
		t.Errorf("err = %v, want %v", err, errWrite)
	}
	if w.n != 1 {
		t.Errorf("%d writes, want one: the page is rendered before it is written", w.n)
	}
}

func TestWords(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.English, i18n.French} {
		p := i18n.New(lang)
		want := map[i18n.Lang]map[string]string{
			i18n.English: {"tls": "SSL/TLS", "starttls": "STARTTLS", "plain": "None", "odd": "odd", "auth": "Normal password"},
			i18n.French:  {"tls": "SSL/TLS", "starttls": "STARTTLS", "plain": "Aucune", "odd": "odd", "auth": "Mot de passe normal"},
		}[lang]
		for _, sec := range []string{"tls", "starttls", "plain", "odd"} {
			if got := words.Security(p, autoconfig.Security(sec)); got != want[sec] {
				t.Errorf("%s: words.Security(%q) = %q, want %q", lang, sec, got, want[sec])
			}
		}
		if got := words.Auth(p, nil); got != want["auth"] {
			t.Errorf("%s: words.Auth(nil) = %q, want %q", lang, got, want["auth"])
		}
	}
	p := i18n.New(i18n.English)
	if got := passwordWords(p, &detect.Server{}); got != "Normal password" {
		t.Errorf("passwordWords(no methods) = %q", got)
	}
	if got := passwordWords(p, &detect.Server{Auth: []autoconfig.Auth{autoconfig.AuthOAuth2}, Signin: detect.SigninOAuth2}); strings.Contains(got, "Normal") || !strings.Contains(got, "web page (OAuth2)") {
		t.Errorf("passwordWords(OAuth2 only) = %q, want the provider's web page", got)
	}
	fr := i18n.New(i18n.French)
	if got := passwordWords(fr, &detect.Server{Auth: []autoconfig.Auth{autoconfig.AuthOAuth2}, Signin: detect.SigninOAuth2}); !strings.Contains(got, "OAuth2") || strings.Contains(got, "web page") {
		t.Errorf("passwordWords(fr, OAuth2 only) = %q, want French", got)
	}
}
