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
	"github.com/mailsetup/mailsetup/internal/version"
)

// HTMLOptions tunes [WriteHTML]. A nil *HTMLOptions means the zero value.
type HTMLOptions struct {
	// Generated is when the report was made; the zero time omits it.
	Generated time.Time
	// Title is the page's title and main heading; "" means
	// "Mail settings report for ADDRESS".
	Title string
}

//go:embed report.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("page").Parse(pageSource))

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
	var b bytes.Buffer
	if err := pageTemplate.Execute(&b, newPage(r, opts)); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// The view model: everything the template shows, already in words. Class
// fields only ever hold one of a fixed set of names chosen here, never text
// from the report.

type page struct {
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
	Sources  []source
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

func newPage(r *detect.Report, opts *HTMLOptions) *page {
	p := &page{
		Title:     opts.Title,
		Address:   r.Address,
		Domain:    r.Domain,
		Version:   r.Version,
		Generator: version.Generator(),
		ElapsedMS: r.ElapsedMS,
		DNSSEC:    dnssecMark(r.DNSSEC),
	}
	if p.Title == "" {
		p.Title = "Mail settings report"
		if r.Address != "" {
			p.Title += " for " + r.Address
		}
	}
	if r.DomainUnicode != r.Domain {
		p.DomainUnicode = r.DomainUnicode
	}
	if g := r.Generator; g != nil && (g.Name != "mailsetup" || g.Version != version.String()) {
		p.Detector = g.Name + " " + g.Version
	}
	if !opts.Generated.IsZero() {
		p.Generated = opts.Generated.Format("2006-01-02 15:04:05 MST")
	}
	p.Verdict, p.VerdictText = verdictMark(r.Verdict)

	anchors := map[string]string{}
	p.Incoming = servers(r.Incoming, "in", anchors)
	p.Outgoing = servers(r.Outgoing, "out", anchors)

	in, out := r.Recommended()
	p.Settings = []setting{
		newSetting("Incoming", in, p.Incoming, len(r.Incoming)),
		newSetting("Outgoing", out, p.Outgoing, len(r.Outgoing)),
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
			Severity: severityMark(w.Severity),
			Code:     w.Code,
			Server:   w.Server,
			Anchor:   anchors[w.Server],
			Message:  w.Message,
			Fix:      w.Fix,
		})
	}
	var parts []string
	for _, s := range []struct {
		sev        detect.Severity
		one, other string
	}{
		{detect.SeverityDanger, "danger", "danger"},
		{detect.SeverityWarning, "warning", "warnings"},
		{detect.SeverityInfo, "info", "info"},
	} {
		if n := counts[s.sev]; n == 1 {
			parts = append(parts, "1 "+s.one)
		} else if n > 1 {
			parts = append(parts, fmt.Sprintf("%d %s", n, s.other))
		}
	}
	p.Counts = strings.Join(parts, ", ")

	for _, s := range r.Sources {
		p.Sources = append(p.Sources, source{
			Name:      string(s.Name),
			Status:    sourceMark(s.Status),
			Trust:     string(s.Trust),
			ElapsedMS: s.ElapsedMS,
			Servers:   s.Servers,
			Queries:   s.Queries,
			Detail:    s.Detail,
		})
	}
	return p
}

func newSetting(dir string, s *detect.Server, views []server, n int) setting {
	st := setting{Direction: dir}
	if s == nil {
		st.Missing = "Nothing found: no source named a server for " + strings.ToLower(dir) + " mail."
		if n > 0 {
			st.Missing = "No server is safe to use: see the warnings and the servers below."
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
		st.Verified = strings.TrimPrefix(st.Verified+", certificate valid for "+name, ", ")
		if c.NotAfter != "" {
			st.Verified += " until " + c.NotAfter
		}
	}
	st.Login = v.Login
	switch s.Login.Status {
	case detect.LoginOK, detect.LoginOAuth2OK:
		st.LoginDetail = "as " + s.Login.Username
		if s.Login.Mechanism != "" {
			st.LoginDetail += " (" + s.Login.Mechanism + ")"
		}
	case detect.LoginFailed:
		st.LoginDetail = "user names tried: " + strings.Join(s.Login.Tried, ", ")
		if s.Login.Error != "" {
			st.LoginDetail += ": " + s.Login.Error
		}
	default:
		st.LoginDetail = s.Login.Error
	}
	return st
}

func servers(list []detect.Server, prefix string, anchors map[string]string) []server {
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
			Security:     securityWords(s.Security),
			RawSecurity:  string(s.Security),
			Username:     s.Username,
			Auth:         passwordWords(s),
			Trust:        string(s.Trust),
			Status:       serverMark(s),
			Probe:        probeMark(s.Probe.Status),
			ProbeError:   s.Probe.Error,
			Address:      s.Probe.Address,
			ElapsedMS:    s.Probe.ElapsedMS,
			TLSVersion:   s.Probe.TLSVersion,
			Cipher:       s.Probe.CipherSuite,
			DANE:         s.Probe.DANE,
			Plain:        s.Security == autoconfig.Plain,
			Capabilities: s.Probe.Capabilities,
			SASL:         s.Probe.SASL,
			Login:        loginMark(s.Login.Status),
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
			v.STARTTLS = "not offered"
			if s.Probe.STARTTLSOffered {
				v.STARTTLS = "offered"
			}
		}
		if c := s.Probe.Cert; c != nil {
			v.Cert = &cert{
				Status:      mark{"ok", "✔", "Valid"},
				Problem:     c.Problem,
				Error:       c.Error,
				Subject:     c.Subject,
				Issuer:      c.Issuer,
				NotBefore:   c.NotBefore,
				NotAfter:    c.NotAfter,
				MatchedName: c.MatchedName,
			}
			if !c.Valid {
				v.Cert.Status = mark{"bad", "✖", "Problem"}
			}
			for _, n := range c.DNSNames {
				v.Cert.Names = append(v.Cert.Names, certName{n, n == c.MatchedName})
			}
		}
		for _, a := range s.Probe.Tried {
			t := tried{Address: a.Address, Network: a.Network, ElapsedMS: a.ElapsedMS,
				Result: mark{"ok", "✔", "connected"}, Error: a.Error}
			if a.Error != "" {
				t.Result = mark{"bad", "✖", "failed"}
			}
			v.Tried = append(v.Tried, t)
		}
		for _, t := range []struct {
			what  string
			lines []detect.TranscriptLine
		}{{"Probe", s.Probe.Transcript}, {"Login", s.Login.Transcript}} {
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

// securityWords names a connection security the way mail clients' settings
// do: "SSL/TLS" (implicit TLS), "STARTTLS" or "None".
func securityWords(s autoconfig.Security) string { return s.Label() }

// passwordWords names the authentication of a server the way mail clients'
// settings do, after the first, preferred, method; no method means a normal
// password.
// passwordWords says what the user types as the password, or that the
// provider signs in on its web page instead (detect.Signin).
func passwordWords(s *detect.Server) string {
	switch s.Signin {
	case detect.SigninOAuth2:
		return "not used: you sign in on the provider's web page (OAuth2)"
	case detect.SigninPasswordOrOAuth2:
		return autoconfig.AuthPasswordCleartext.Label() + ", or the provider's web page (OAuth2)"
	}
	return autoconfig.AuthLabel(s.Auth)
}

func protocolWords(p autoconfig.Protocol) string {
	switch p {
	case autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP:
		return strings.ToUpper(string(p))
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

func verdictMark(v detect.Verdict) (mark, string) {
	switch v {
	case detect.VerdictSecure:
		return mark{"ok", "✔", "Secure"}, "Verified settings found, with no warning above info."
	case detect.VerdictCaveats:
		return mark{"warn", "⚠", "Works, with caveats"}, "Verified settings found; read the warnings before using them."
	case detect.VerdictUnsafe:
		return mark{"bad", "✖", "Unsafe"}, "Do not use these settings as they are; read the warnings."
	case detect.VerdictNone:
		return mark{"muted", "✖", "Nothing found"}, "No source named a mail server for this domain."
	default:
		return mark{"muted", "?", "Unknown verdict " + string(v)}, "This report's verdict is not one this page knows."
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

func severityMark(s detect.Severity) mark {
	switch s {
	case detect.SeverityDanger:
		return mark{"bad", "✖", "Danger"}
	case detect.SeverityWarning:
		return mark{"warn", "⚠", "Warning"}
	case detect.SeverityInfo:
		return mark{"info", "ℹ", "Info"}
	default:
		return mark{"muted", "?", string(s)}
	}
}

func dnssecMark(s string) mark {
	switch s {
	case "secure":
		return mark{"ok", "✔", "secure: the domain's answers are signed and validated"}
	case "insecure":
		return mark{"muted", "–", "insecure: the domain is not signed"}
	case "bogus":
		return mark{"bad", "✖", "bogus: the signatures failed validation"}
	case "indeterminate", "":
		return mark{"muted", "–", "indeterminate: not validated"}
	default:
		return mark{"muted", "?", s}
	}
}

func sourceMark(s detect.SourceStatus) mark {
	switch s {
	case detect.StatusFound:
		return mark{"ok", "✔", "found"}
	case detect.StatusNone:
		return mark{"muted", "–", "none"}
	case detect.StatusError:
		return mark{"bad", "✖", "error"}
	case detect.StatusSkipped:
		return mark{"muted", "–", "skipped"}
	case detect.StatusRunning:
		return mark{"muted", "…", "running"}
	default:
		return mark{"muted", "?", string(s)}
	}
}

func probeMark(s detect.ProbeStatus) mark {
	switch s {
	case detect.ProbeOK:
		return mark{"ok", "✔", "OK"}
	case detect.ProbeTLSError:
		return mark{"bad", "✖", "TLS error"}
	case detect.ProbeProtocolError:
		return mark{"bad", "✖", "Protocol error"}
	case detect.ProbeUnreachable:
		return mark{"bad", "✖", "Unreachable"}
	case detect.ProbeTimeout:
		return mark{"bad", "✖", "Timed out"}
	case detect.ProbeNotProbed, "":
		return mark{"muted", "–", "Not probed"}
	default:
		return mark{"muted", "?", string(s)}
	}
}

// serverMark sums a server up: verified (TLS and a valid certificate), or why not.
func serverMark(s *detect.Server) mark {
	switch {
	case s.Probe.Status != detect.ProbeOK:
		return probeMark(s.Probe.Status)
	case s.Security == autoconfig.Plain:
		return mark{"bad", "✖", "Answered, but unencrypted"}
	case s.Probe.Cert == nil || !s.Probe.Cert.Valid:
		return mark{"bad", "✖", "Answered, but the certificate failed the checks"}
	default:
		return mark{"ok", "✔", "Verified: TLS and certificate"}
	}
}

func loginMark(status string) mark {
	switch status {
	case detect.LoginOK:
		return mark{"ok", "✔", "Works"}
	case detect.LoginFailed:
		return mark{"bad", "✖", "Failed"}
	case detect.LoginError:
		return mark{"bad", "✖", "Could not be checked"}
	case detect.LoginNotTried, "":
		return mark{"muted", "–", "Not tried"}
	case detect.LoginNotPossible:
		return mark{"warn", "⚠", "Not possible with a password"}
	case detect.LoginOAuth2OK:
		return mark{"ok", "✔", "Works with OAuth2"}
	case detect.LoginOAuth2Failed:
		return mark{"bad", "✖", "Failed with OAuth2"}
	default:
		return mark{"muted", "?", status}
	}
}
