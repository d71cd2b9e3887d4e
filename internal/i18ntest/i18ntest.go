// Package i18ntest finds English left in a text meant to be in another
// language: the words of English that French does not share, and the
// sentences of the catalogue's English messages. Tests of the app and of
// the command line run it on everything they show under French, so that a
// sentence added in English anywhere fails them.
package i18ntest

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
)

// englishWords are words of English that are not words of French. Words
// both languages share (port, source, message, client, service, direction,
// normal, date, note, on, a, as, or, an, plus, options...) are not here,
// nor "English", the name the language choice shows in every language.
var englishWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
the and with your you is are was were be been being not no this that these those which who whom whose what
from for of to in into by at if it its but all any only than then there here has have had can could would
should will may might must do does did done found nothing none server servers settings setting check checked
checking checks verified verify failed fails secure unsafe warning warnings caveats works work password
passwords name names user users incoming outgoing mail email security trust trusted certificate certificates
valid invalid expired unencrypted encrypted recommended fix fixes probe report reports connection connections
connected answered answer answers refused closed unreachable unknown error errors before after every each
other another use using used please click try again network address addresses domain provider providers
admin admins helpdesk copy copied save saved cancel cancelled search demo starting looking asking skipped
running why how when where yes new back next choose signed unsigned key keys record records data about more
less same found login logins sending receiving receive send sent failed checks sources' settings' server's
provider's domain's don't doesn't isn't can't won't it's you're they're here's there's what's
show shows shown hide open opened export exports exported file files folder folders enter typed
theme light dark system follow seconds second time limit extra database ask asked
summary details detail result results transcript transcripts conversation untrusted step steps
`) {
		englishWords[w] = true
	}
}

// technicalToken is a token that is a code, a name or a number, not a
// word of a sentence: it holds a dot, a colon, a slash, an @, an
// underscore, an equals sign, a digit or a hyphen (codes like
// starttls-missing, host names, addresses, versions).
var technicalToken = regexp.MustCompile(`[.:/@_=0-9\-]`)

// productNames are names of products that hold English words: Apple's
// mail app, in a sentence ("Apple Mail") or in a settings path ("→ Mail",
// "Comptes Mail").
var productNames = regexp.MustCompile(`Apple Mail|→ Mail\b|Comptes Mail`)

// EnglishLeft returns what in text is English: words of English that
// French does not share, and sentences of the catalogue's English
// messages. technical are strings text quotes as they came, in English
// (engine diagnostics, server answers); they are removed first.
func EnglishLeft(text string, technical []string) []string {
	// Longest first, so that a diagnostic that contains another goes whole.
	technical = slices.Clone(technical)
	sort.Slice(technical, func(i, j int) bool { return len(technical[i]) > len(technical[j]) })
	for _, t := range technical {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
		case strings.ContainsAny(t, " \t\n"):
			text = strings.ReplaceAll(text, t, " ")
			text = strings.ReplaceAll(text, oneLine(t), " ")
		default:
			// A single token goes only whole: removed from inside a
			// longer one (a host name), it would leave fragments.
			text = regexp.MustCompile(`(^|\s)`+regexp.QuoteMeta(t)+`(\s|$)`).ReplaceAllString(text, "$1 $2")
		}
	}
	// `quoted` words are names (a command, a flag value), not English; so
	// are the names of Apple's mail app, in every language.
	text = backquoted.ReplaceAllString(text, " ")
	text = productNames.ReplaceAllString(text, " ")
	var found []string
	for _, s := range englishSentences() {
		if strings.Contains(text, s) {
			found = append(found, "catalogue English: "+s)
		}
	}
	for _, tok := range strings.Fields(text) {
		for _, part := range strings.FieldsFunc(tok, func(r rune) bool { return r == '\'' || r == '’' }) {
			w := strings.TrimFunc(part, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' })
			if w == "" || technicalToken.MatchString(w) {
				continue
			}
			if englishWords[strings.ToLower(w)] {
				found = append(found, "English word: "+w+" (in "+tok+")")
			}
		}
	}
	return found
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// englishSentences are the literal parts of the catalogue's English
// messages, between placeholders, of at least three words, that the French
// catalogue does not also use.
var englishSentences = sync.OnceValue(func() []string {
	var fr strings.Builder
	for _, m := range i18n.Messages(i18n.French) {
		for _, f := range m.Forms {
			fr.WriteString(f)
			fr.WriteByte('\n')
		}
	}
	frText := fr.String()
	var out []string
	for _, m := range i18n.Messages(i18n.English) {
		for _, f := range m.Forms {
			for _, part := range placeholder.Split(f, -1) {
				part = strings.TrimSpace(part)
				if len(strings.Fields(part)) >= 3 && len(part) >= 15 && !strings.Contains(frText, part) {
					out = append(out, part)
				}
			}
		}
	}
	return out
})

var backquoted = regexp.MustCompile("`[^`\n]*`")

var placeholder = regexp.MustCompile(`\{\{[^}]*\}\}`)

// Technical returns the strings of rep that are quoted as they came, in
// English, whatever the report's language: source details and queries,
// probe and certificate errors, DANE details, capabilities and SASL
// mechanisms, certificate subjects,
// addresses tried, transcripts, login errors, and what warnings quote.
func Technical(rep *detect.Report) []string {
	var out []string
	for _, s := range rep.Sources {
		out = append(out, s.Detail)
		out = append(out, s.Queries...)
	}
	probed := func(p detect.ProbeReport, l detect.LoginReport) {
		out = append(out, p.Error, p.DANEDetail)
		out = append(out, p.Capabilities...) // protocol keywords (LOGIN, USER)
		out = append(out, p.SASL...)
		if c := p.Cert; c != nil {
			out = append(out, c.Error, c.Subject, c.Issuer)
		}
		for _, a := range p.Tried {
			out = append(out, a.Error)
		}
		for _, t := range append(p.Transcript, l.Transcript...) {
			out = append(out, t.Text)
		}
		out = append(out, l.Error)
	}
	for _, list := range [][]detect.Server{rep.Incoming, rep.Outgoing} {
		for _, s := range list {
			probed(s.Probe, s.Login)
		}
	}
	for _, list := range [][]detect.Service{rep.Calendar, rep.Contacts, rep.JMAP} {
		for _, s := range list {
			probed(s.Probe, s.Login)
		}
	}
	for _, w := range rep.Warnings {
		out = append(out, w.Quoted()...)
	}
	return out
}
