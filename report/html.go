// Package report renders a [detect.Report] for people.
//
// [WriteHTML] writes one self-contained HTML page meant to be attached to a
// helpdesk ticket: the verdict, the settings to copy into a mail client, the
// warnings with their fix, every server with its probe and login result,
// every source with what it asked and what came back, and the (redacted)
// protocol transcripts. The page loads nothing: no script, no style sheet,
// no image and no font from anywhere, and a Content-Security-Policy says so
// to the browser too. Every string of the report is escaped by html/template,
// since much of it (transcripts, certificate names, error messages, details)
// was written by servers or by whoever sits between them and us.
package report

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
	"github.com/mailsetup/mailsetup/internal/version"
)

// HTMLOptions tunes [WriteHTML]. A nil *HTMLOptions means the zero value.
type HTMLOptions struct {
	// Generated is when the report was made; the zero time omits it.
	Generated time.Time
	// Title is the page's title and main heading; "" means
	// "Mail settings report for ADDRESS".
	Title string
	// Printer says the page's words; nil means the language of the
	// report's own sentences (detect.Report.Lang).
	Printer *i18n.Printer
}

//go:embed report.html.tmpl
var pageSource string

// pageTemplate is parsed once; each page clones it and binds T, N and ms
// to its printer.
var pageTemplate = template.Must(template.New("page").Funcs(funcs(nil)).Parse(pageSource))

// funcs are the template's functions: T and N say a catalogue message, ms
// a duration in milliseconds.
func funcs(p *i18n.Printer) template.FuncMap {
	return template.FuncMap{
		"T":  p.T,
		"N":  p.N,
		"ms": p.Millis,
	}
}

// WriteHTML writes r as a self-contained HTML page (UTF-8) to w.
//
// The page names its generator and release (package internal/version) in
// a generator meta element and in its footer, and the report's own
// generator too when the detection was made by another release.
//
// The page is rendered in full before anything is written, so a failure
// leaves w untouched; the error is then the template's or w's.
func WriteHTML(w io.Writer, r *detect.Report, opts *HTMLOptions) error {
	if r == nil {
		return errors.New("report: nil report")
	}
	if opts == nil {
		opts = &HTMLOptions{}
	}
	pr := opts.Printer
	if pr == nil {
		pr = i18n.New(i18n.Lang(r.Lang))
	}
	t, err := pageTemplate.Clone()
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	t.Funcs(funcs(pr))
	var b bytes.Buffer
	if err := t.Execute(&b, newPage(pr, r, opts)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// The view model: everything the template shows, already in words. Class
// fields only ever hold one of a fixed set of names chosen here, never text
// from the report.

type page struct {
	Lang          string
	Title         string
	Address       string
	Domain        string
	DomainUnicode string // "" when it is the same as Domain
	DNSSEC        mark
	Generated     string
	Version       int
	Generator     string // the writer of the page: "Mailsetup v1.2.3"
	Detector      string // the report's generator, when another release
	ElapsedMS     int64
	Verdict       mark
	VerdictText   string

	Settings     []setting
	STARTTLSNote bool // a recommended server uses STARTTLS

	Warnings []warning
	Counts   string // "1 danger, 2 warnings"

	Incoming []server
	Outgoing []server
	// Services are the calendar, contacts and JMAP lists found, in that
	// order; none when the report has none.
	Services []serviceList
	Sources  []source
}

// serviceList is one list of services: its section's id and title, and
// its endpoints shown as the mail servers are (see services).
type serviceList struct {
	ID, Title string
	Servers   []server
}

// mark is a status told three ways: a class for the colour, an icon and
// words, so that it reads without colour and on paper.
type mark struct {
	Class string // ok, warn, bad, info, muted
	Icon  string
	Words string
}

type setting struct {
	Direction string
	Anchor    string
	Found     bool
	Missing   string // why there is nothing to copy, when !Found

	Protocol, Host, Security, Username, Password string
	Port                                         int
	Verified                                     string
	Login                                        mark
	LoginDetail                                  string
}

type warning struct {
	Severity mark
	Code     string
	Server   string
	Anchor   string // the server's id on this page, "" when not listed
	Message  string
	Fix      string
}

type server struct {
	Anchor      string
	Rank        int
	Recommended bool
	Protocol    string
	Host        string
	Port        int
	Security    string
	RawSecurity string
	Username    string
	Auth        string
	Sources     string
	Trust       string
	Status      mark // the summary: verified or why not

	Probe        mark
	ProbeError   string
	Address      string
	ElapsedMS    int64
	TLSVersion   string
	Cipher       string
	Cert         *cert
	DANE         string
	Plain        bool
	STARTTLS     string // for a plain server: whether it offered STARTTLS
	Capabilities []string
	SASL         []string
	Tried        []tried

	Login       mark
	LoginStatus string
	LoginUser   string
	LoginMech   string
	LoginTried  []string
	LoginError  string
	LoginMS     int64

	Transcripts []transcript

	// A service (calendar, contacts, JMAP) has these instead of a host,
	// capabilities and SASL: its URL, the HTTP answer to the probe, the
	// well-known URIs it was reached through, and what the login check
	// found.
	URL          string
	Answer       string
	Redirects    []string
	Principal    string
	HomeSetLabel string
	HomeSets     []string
}

type cert struct {
	Status      mark
	Problem     string
	Error       string
	Subject     string
	Issuer      string
	Names       []certName
	NotBefore   string
	NotAfter    string
	MatchedName string
}

type certName struct {
	Name    string
	Matched bool
}

type tried struct {
	Address   string
	Network   string
	ElapsedMS int64
	Result    mark
	Error     string
}

type transcript struct {
	What      string // "Probe" or "Login"
	Lines     []line
	BeforeTLS int
	Plain     bool // the whole exchange was unencrypted
}

type line struct {
	AtMS      int64
	Dir       string // C:, S:, --
	Text      string
	BeforeTLS bool
}

type source struct {
	Name      string
	Status    mark
	Trust     string
	ElapsedMS int64
	Servers   int
	Queries   []string
	Detail    string
}

func newPage(pr *i18n.Printer, r *detect.Report, opts *HTMLOptions) *page {
	p := &page{
		Lang:      string(pr.Lang()),
		Title:     opts.Title,
		Address:   r.Address,
		Domain:    r.Domain,
		Version:   r.Version,
		Generator: version.Generator(),
		ElapsedMS: r.ElapsedMS,
		DNSSEC:    dnssecMark(pr, r.DNSSEC),
	}
	if p.Title == "" {
		p.Title = pr.T("report.title")
		if r.Address != "" {
			p.Title = pr.T("report.title.for", "Address", r.Address)
		}
	}
	if r.DomainUnicode != r.Domain {
		p.DomainUnicode = r.DomainUnicode
	}
	if g := r.Generator; g != nil && (g.Name != "mailsetup" || g.Version != version.String()) {
		p.Detector = g.Name + " " + g.Version
	}
	if !opts.Generated.IsZero() {
		p.Generated = pr.DateTime(opts.Generated)
	}
	p.Verdict, p.VerdictText = verdictMark(pr, r.Verdict)

	anchors := map[string]string{}
	p.Incoming = servers(pr, r.Incoming, "in", anchors)
	p.Outgoing = servers(pr, r.Outgoing, "out", anchors)

	p.Services = services(pr, r, anchors)

	in, out := r.Recommended()
	p.Settings = []setting{
		newSetting(pr, true, in, p.Incoming, len(r.Incoming)),
		newSetting(pr, false, out, p.Outgoing, len(r.Outgoing)),
	}
	p.STARTTLSNote = in != nil && in.Security == autoconfig.STARTTLS ||
		out != nil && out.Security == autoconfig.STARTTLS

	ws := slices.Clone(r.Warnings)
	slices.SortStableFunc(ws, func(a, b detect.Warning) int {
		return cmp.Compare(severityOrder(a.Severity), severityOrder(b.Severity))
	})
	counts := map[detect.Severity]int{}
	for _, w := range ws {
		counts[w.Severity]++
		p.Warnings = append(p.Warnings, warning{
			Severity: severityMark(pr, w.Severity),
			Code:     w.Code,
			Server:   w.Server,
			Anchor:   anchors[w.Server],
			Message:  w.Message,
			Fix:      w.Fix,
		})
	}
	var parts []string
	for _, s := range []struct {
		sev detect.Severity
		id  string
	}{
		{detect.SeverityDanger, "report.count.danger"},
		{detect.SeverityWarning, "report.count.warning"},
		{detect.SeverityInfo, "report.count.info"},
	} {
		if n := counts[s.sev]; n > 0 {
			parts = append(parts, pr.N(s.id, n))
		}
	}
	p.Counts = strings.Join(parts, ", ")

	for _, s := range r.Sources {
		p.Sources = append(p.Sources, source{
			Name:      string(s.Name),
			Status:    sourceMark(pr, s.Status),
			Trust:     string(s.Trust),
			ElapsedMS: s.ElapsedMS,
			Servers:   s.Servers,
			Queries:   s.Queries,
			Detail:    s.Detail,
		})
	}
	return p
}

func newSetting(pr *i18n.Printer, incoming bool, s *detect.Server, views []server, n int) setting {
	st := setting{Direction: pr.T("report.outgoing")}
	missing := pr.T("report.missing.outgoing")
	if incoming {
		st.Direction, missing = pr.T("report.incoming"), pr.T("report.missing.incoming")
	}
	if s == nil {
		st.Missing = missing
		if n > 0 {
			st.Missing = pr.T("report.missing.unsafe")
		}
		return st
	}
	v := views[0] // the recommended server is the first of its list
	st.Found = true
	st.Anchor = v.Anchor
	st.Protocol = v.Protocol
	st.Host = s.Host
	st.Port = s.Port
	st.Security = v.Security
	st.Username = v.Username
	st.Password = v.Auth
	st.Verified = s.Probe.TLSVersion
	if c := s.Probe.Cert; c != nil && c.Valid {
		name := c.MatchedName
		if name == "" {
			name = s.Host
		}
		st.Verified = strings.TrimPrefix(st.Verified+", "+pr.T("report.cert-valid-for", "Name", name), ", ")
		if t, err := time.Parse(time.RFC3339, c.NotAfter); err == nil {
			st.Verified += " " + pr.T("report.until", "Date", pr.Date(t))
		} else if c.NotAfter != "" {
			st.Verified += " " + pr.T("report.until", "Date", c.NotAfter)
		}
	}
	st.Login = v.Login
	switch s.Login.Status {
	case detect.LoginOK, detect.LoginOAuth2OK:
		st.LoginDetail = pr.T("report.login.as", "User", s.Login.Username)
		if s.Login.Mechanism != "" {
			st.LoginDetail += " (" + s.Login.Mechanism + ")"
		}
	case detect.LoginFailed:
		st.LoginDetail = pr.T("report.login.tried-inline") + pr.T("report.colon") + " " + strings.Join(s.Login.Tried, ", ")
		if s.Login.Error != "" {
			st.LoginDetail += pr.T("report.colon") + " " + s.Login.Error
		}
	default:
		st.LoginDetail = s.Login.Error
	}
	return st
}

func servers(pr *i18n.Printer, list []detect.Server, prefix string, anchors map[string]string) []server {
	var out []server
	for i := range list {
		s := &list[i]
		v := server{
			Anchor:       fmt.Sprintf("%s-%d", prefix, i+1),
			Rank:         i + 1,
			Recommended:  s.Recommended,
			Protocol:     protocolWords(s.Protocol),
			Host:         s.Host,
			Port:         s.Port,
			Security:     words.Security(pr, s.Security),
			RawSecurity:  string(s.Security),
			Username:     s.Username,
			Auth:         passwordWords(pr, s),
			Trust:        string(s.Trust),
			Status:       serverMark(pr, s),
			Probe:        probeMark(pr, s.Probe.Status),
			ProbeError:   s.Probe.Error,
			Address:      s.Probe.Address,
			ElapsedMS:    s.Probe.ElapsedMS,
			TLSVersion:   s.Probe.TLSVersion,
			Cipher:       s.Probe.CipherSuite,
			DANE:         words.DANE(pr, s.Probe.DANE),
			Plain:        s.Security == autoconfig.Plain,
			Capabilities: s.Probe.Capabilities,
			SASL:         s.Probe.SASL,
			Login:        loginMark(pr, s.Login.Status),
			LoginStatus:  s.Login.Status,
			LoginUser:    s.Login.Username,
			LoginMech:    s.Login.Mechanism,
			LoginTried:   s.Login.Tried,
			LoginError:   s.Login.Error,
			LoginMS:      s.Login.ElapsedMS,
		}
		if v.Username == "" {
			v.Username = "—"
		}
		names := make([]string, len(s.Sources))
		for j, n := range s.Sources {
			names[j] = string(n)
		}
		v.Sources = strings.Join(names, ", ")
		if v.Plain && s.Probe.Status == detect.ProbeOK {
			v.STARTTLS = pr.T("report.starttls.not-offered")
			if s.Probe.STARTTLSOffered {
				v.STARTTLS = pr.T("report.starttls.offered")
			}
		}
		if c := s.Probe.Cert; c != nil {
			v.Cert = &cert{
				Status:      mark{"ok", "✔", pr.T("report.cert.valid")},
				Problem:     words.CertProblem(pr, c.Problem),
				Error:       c.Error,
				Subject:     c.Subject,
				Issuer:      c.Issuer,
				NotBefore:   c.NotBefore,
				NotAfter:    c.NotAfter,
				MatchedName: c.MatchedName,
			}
			if !c.Valid {
				v.Cert.Status = mark{"bad", "✖", pr.T("report.cert.problem")}
			}
			for _, n := range c.DNSNames {
				v.Cert.Names = append(v.Cert.Names, certName{n, n == c.MatchedName})
			}
		}
		for _, a := range s.Probe.Tried {
			t := tried{Address: a.Address, Network: a.Network, ElapsedMS: a.ElapsedMS,
				Result: mark{"ok", "✔", pr.T("report.tried.connected")}, Error: a.Error}
			if a.Error != "" {
				t.Result = mark{"bad", "✖", pr.T("report.tried.failed")}
			}
			v.Tried = append(v.Tried, t)
		}
		for _, t := range []struct {
			what  string
			lines []detect.TranscriptLine
		}{{pr.T("report.transcript.probe"), s.Probe.Transcript}, {pr.T("report.transcript.login"), s.Login.Transcript}} {
			if len(t.lines) == 0 {
				continue
			}
			tv := transcript{What: t.what, Plain: v.Plain}
			for _, l := range t.lines {
				tv.Lines = append(tv.Lines, line{AtMS: l.AtMS, Dir: direction(l.From), Text: l.Text, BeforeTLS: l.BeforeTLS})
				if l.BeforeTLS {
					tv.BeforeTLS++
				}
			}
			v.Transcripts = append(v.Transcripts, tv)
		}
		if _, dup := anchors[s.HostPort()]; !dup {
			anchors[s.HostPort()] = v.Anchor
		}
		out = append(out, v)
	}
	return out
}

// passwordWords says what the user types as the password, or that the
// provider signs in on its web page instead (detect.Signin), in pr's
// language.
func passwordWords(pr *i18n.Printer, s *detect.Server) string {
	switch s.Signin {
	case detect.SigninOAuth2:
		return pr.T("report.auth.oauth2-only")
	case detect.SigninPasswordOrOAuth2:
		return pr.T("report.auth.password-or-oauth2")
	}
	return words.Auth(pr, s.Auth)
}

func protocolWords(p autoconfig.Protocol) string {
	switch p {
	case autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP, autoconfig.JMAP, autoconfig.CalDAV, autoconfig.CardDAV:
		return words.Protocol(p)
	default:
		return string(p)
	}
}

func direction(from string) string {
	switch from {
	case "client":
		return "C:"
	case "server":
		return "S:"
	case "note":
		return "--"
	default:
		return "?:"
	}
}

func verdictMark(pr *i18n.Printer, v detect.Verdict) (mark, string) {
	switch v {
	case detect.VerdictSecure:
		return mark{"ok", "✔", pr.T("report.verdict.secure")}, pr.T("report.verdict.secure.text")
	case detect.VerdictCaveats:
		return mark{"warn", "⚠", pr.T("report.verdict.caveats")}, pr.T("report.verdict.caveats.text")
	case detect.VerdictUnsafe:
		return mark{"bad", "✖", pr.T("report.verdict.unsafe")}, pr.T("report.verdict.unsafe.text")
	case detect.VerdictNone:
		return mark{"muted", "✖", pr.T("report.verdict.none")}, pr.T("report.verdict.none.text")
	default:
		return mark{"muted", "?", pr.T("report.verdict.unknown", "Verdict", string(v))}, pr.T("report.verdict.unknown.text")
	}
}

func severityOrder(s detect.Severity) int {
	switch s {
	case detect.SeverityDanger:
		return 0
	case detect.SeverityWarning:
		return 1
	case detect.SeverityInfo:
		return 2
	default:
		return 3
	}
}

func severityMark(pr *i18n.Printer, s detect.Severity) mark {
	switch s {
	case detect.SeverityDanger:
		return mark{"bad", "✖", pr.T("report.severity.danger")}
	case detect.SeverityWarning:
		return mark{"warn", "⚠", pr.T("report.severity.warning")}
	case detect.SeverityInfo:
		return mark{"info", "ℹ", pr.T("report.severity.info")}
	default:
		return mark{"muted", "?", string(s)}
	}
}

func dnssecMark(pr *i18n.Printer, s string) mark {
	switch s {
	case "secure":
		return mark{"ok", "✔", pr.T("report.dnssec.secure")}
	case "insecure":
		return mark{"muted", "–", pr.T("report.dnssec.insecure")}
	case "bogus":
		return mark{"bad", "✖", pr.T("report.dnssec.bogus")}
	case "indeterminate", "":
		return mark{"muted", "–", pr.T("report.dnssec.indeterminate")}
	default:
		return mark{"muted", "?", s}
	}
}

func sourceMark(pr *i18n.Printer, s detect.SourceStatus) mark {
	switch s {
	case detect.StatusFound:
		return mark{"ok", "✔", pr.T("report.source.found")}
	case detect.StatusNone:
		return mark{"muted", "–", pr.T("report.source.none")}
	case detect.StatusError:
		return mark{"bad", "✖", pr.T("report.source.error")}
	case detect.StatusSkipped:
		return mark{"muted", "–", pr.T("report.source.skipped")}
	case detect.StatusRunning:
		return mark{"muted", "…", pr.T("report.source.running")}
	default:
		return mark{"muted", "?", string(s)}
	}
}

func probeMark(pr *i18n.Printer, s detect.ProbeStatus) mark {
	switch s {
	case detect.ProbeOK:
		return mark{"ok", "✔", pr.T("report.probe.ok")}
	case detect.ProbeTLSError:
		return mark{"bad", "✖", pr.T("report.probe.tls-error")}
	case detect.ProbeProtocolError:
		return mark{"bad", "✖", pr.T("report.probe.protocol-error")}
	case detect.ProbeUnreachable:
		return mark{"bad", "✖", pr.T("report.probe.unreachable")}
	case detect.ProbeTimeout:
		return mark{"bad", "✖", pr.T("report.probe.timeout")}
	case detect.ProbeNotProbed, "":
		return mark{"muted", "–", pr.T("report.probe.not-probed")}
	default:
		return mark{"muted", "?", string(s)}
	}
}

// serverMark sums a server up: verified (TLS and a valid certificate), or why not.
func serverMark(pr *i18n.Printer, s *detect.Server) mark {
	switch {
	case s.Probe.Status != detect.ProbeOK:
		return probeMark(pr, s.Probe.Status)
	case s.Security == autoconfig.Plain:
		return mark{"bad", "✖", pr.T("report.server.unencrypted")}
	case s.Probe.Cert == nil || !s.Probe.Cert.Valid:
		return mark{"bad", "✖", pr.T("report.server.cert-failed")}
	default:
		return mark{"ok", "✔", pr.T("report.server.verified")}
	}
}

func loginMark(pr *i18n.Printer, status string) mark {
	switch status {
	case detect.LoginOK:
		return mark{"ok", "✔", pr.T("report.login.ok")}
	case detect.LoginFailed:
		return mark{"bad", "✖", pr.T("report.login.failed")}
	case detect.LoginError:
		return mark{"bad", "✖", pr.T("report.login.error")}
	case detect.LoginNotTried, "":
		return mark{"muted", "–", pr.T("report.login.not-tried")}
	case detect.LoginNotPossible:
		return mark{"warn", "⚠", pr.T("report.login.not-possible")}
	case detect.LoginOAuth2OK:
		return mark{"ok", "✔", pr.T("report.login.oauth2-ok")}
	case detect.LoginOAuth2Failed:
		return mark{"bad", "✖", pr.T("report.login.oauth2-failed")}
	default:
		return mark{"muted", "?", status}
	}
}
