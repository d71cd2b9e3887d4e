// Package export turns a detection report into the files people take away:
// settings for a mail client (Mozilla autoconfig, Thunderbird user.js, Apple
// profile, Autodiscover answer, QR code), the records an admin publishes
// (zone file), and the report itself (JSON, HTML). It is the one export path
// of Mailsetup: the desktop app's Export tab and `mailprobe export` and
// `mailprobe records` all call [Write].
//
// The settings formats only ever carry servers reached over verified TLS.
// [Write] does not take the report's word for it: every server it exports
// is checked again from its own fields ([detect.Server.Verify]), so a saved
// report edited by hand to recommend a plaintext server is refused with
// [detect.ErrNotVerified], not exported.
//
// The file formats themselves are written by package autoconfig (which
// knows nothing of detection) and package report (HTML); this package only
// chooses what goes in.
package export

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/report"
)

// Format is an export format, named as `mailprobe export --format` names it.
type Format string

// The export formats.
const (
	Autoconfig   Format = "autoconfig"
	Thunderbird  Format = "thunderbird"
	Apple        Format = "apple"
	Autodiscover Format = "autodiscover"
	QR           Format = "qr"
	JSON         Format = "json"
	HTML         Format = "html"
	Zone         Format = "zone"
	PACC         Format = "pacc"
)

// Info describes an export format.
type Info struct {
	Format Format
	// About says in one line what the file is for.
	About string
	// Ext is the file name extension, with its dot.
	Ext string
	// Settings is true for the formats that carry verified settings only
	// (false: the JSON and HTML reports, which describe any outcome).
	Settings bool
	// Binary is true for formats that are not text (never written to a
	// terminal).
	Binary bool
	// Password is true for the formats that may carry the password on
	// request ([Options.IncludePassword]).
	Password bool
}

// Formats lists every format.
var Formats = []Info{
	{Autoconfig, "Mozilla config-v1.1.xml: host it at autoconfig.DOMAIN for Thunderbird, Evolution, KMail, K-9, FairEmail", ".xml", true, false, false},
	{Thunderbird, "user.js for a Thunderbird profile: creates the account at the next start", ".js", true, false, false},
	{Apple, ".mobileconfig profile for iPhone, iPad and Mac (optionally signed)", ".mobileconfig", true, true, true},
	{Autodiscover, "Autodiscover POX response: host it at autodiscover.DOMAIN for Outlook and Thunderbird", ".xml", true, false, false},
	{QR, "PNG QR code for Thunderbird for Android (Import from Thunderbird desktop)", ".png", true, true, true},
	{JSON, fmt.Sprintf("the JSON report (contract version %d)", detect.ReportVersion), ".json", false, false, false},
	{HTML, "a self-contained HTML report for a helpdesk ticket", ".html", false, false, false},
	{Zone, "DNS records to publish: SRV (RFC 6186/8314), TLSA 3 1 1, autoconfig/autodiscover names, the PACC digest", ".zone", true, false, false},
	{PACC, "PACC document (draft-ietf-mailmaint-pacc-02): host it at ua-auto-config.DOMAIN and publish its _ua-auto-config TXT record", ".json", true, false, false},
}

// Lookup returns the description of f, and false for an unknown format.
func Lookup(f Format) (Info, bool) {
	for _, i := range Formats {
		if i.Format == f {
			return i, true
		}
	}
	return Info{}, false
}

// Errors of [Write]. Besides these it returns [detect.ErrNothingVerified]
// (nothing recommended to export) and [*detect.NotVerifiedError] (a
// recommended server that is not verified TLS), and the writers' errors of
// package autoconfig wrapped with the format's name.
var (
	// ErrUnknownFormat: the format is none of [Formats].
	ErrUnknownFormat = errors.New("export: unknown format")
	// ErrPasswordRefused: a password was asked for in a format that never
	// carries one, or in an Apple profile that is not signed.
	ErrPasswordRefused = errors.New("export: this format does not carry a password")
	// ErrAppleOAuth2: a recommended server signs in only with OAuth2, which
	// an Apple profile cannot carry (com.apple.mail.managed has no OAuth2
	// authentication); [AppleOAuth2Message] tells the user what to do.
	ErrAppleOAuth2 = errors.New("export: an Apple profile cannot sign in with OAuth2")
)

// AppleOAuth2Message is, for people, why no Apple profile is made for a
// provider that signs in only with OAuth2, and what to do instead, in p's
// language (nil: English).
func AppleOAuth2Message(p *i18n.Printer) string { return p.T("export.apple-oauth2") }

// Notes are what the user should know about rep exported as f, beside the
// file, in the report's language: for an Apple profile of servers that
// take OAuth2 or a password, that it uses the password; for the formats
// that carry mail only (Thunderbird prefs, QR code, Autodiscover), where to
// add the calendars and address books found, with their URLs. Front ends
// show them as warnings.
func Notes(rep *detect.Report, f Format) []string {
	p := i18n.New(i18n.Lang(rep.Lang))
	if n := davNote(rep, f, p); n != "" {
		return []string{n}
	}
	if f != Apple {
		return nil
	}
	in, out := rep.Recommended()
	for _, s := range []*detect.Server{in, out} {
		if s != nil && s.Signin == detect.SigninPasswordOrOAuth2 {
			return []string{p.T("export.apple-password-note")}
		}
	}
	return nil
}

// Options tune [Write]. A nil *Options is the zero value: the recommended
// servers only, placeholders in the admin formats, no password, unsigned.
type Options struct {
	// Name is the person's name for the account formats; may be empty.
	Name string
	// AllServers adds the verified alternatives to the recommended servers
	// (autoconfig, autodiscover; the zone format always has them).
	AllServers bool
	// ForUser writes this user's name instead of %EMAILADDRESS% placeholders
	// in the autoconfig and autodiscover formats.
	ForUser bool
	// Signer signs the Apple profile; nil writes it unsigned.
	Signer *autoconfig.Signer
	// IncludePassword puts Password into the QR code or a signed Apple
	// profile. Security: whoever sees the code or gets the file can log in;
	// callers warn the user.
	IncludePassword bool
	Password        string
	// WebHost is the web server hosting autoconfig and Autodiscover, for
	// the zone format's CNAME and SRV records; empty leaves them out.
	WebHost string
	// QRSize is the QR code's width in pixels; 0 means 512.
	QRSize int
	// Generated is the time printed in the HTML report; zero leaves it out.
	Generated time.Time
	// Printer says the visible texts of the HTML report and of the Apple
	// profile's description; nil means the report's language
	// (detect.Report.Lang). The settings files' machine values never change.
	Printer *i18n.Printer
}

// Write renders rep in format f. Settings formats hold only servers reached
// over verified TLS, checked again here whatever the report claims; the
// reports (JSON, HTML) describe any outcome. No format carries a password
// unless opts asks for one where the format allows it.
//
// Errors: [ErrUnknownFormat], [ErrPasswordRefused],
// [detect.ErrNothingVerified], [*detect.NotVerifiedError] (wrapping
// [detect.ErrNotVerified]), or a writer's error of package autoconfig or
// report wrapped with the format's name. Nothing is returned with an error.
func Write(rep *detect.Report, f Format, opts *Options) ([]byte, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	info, ok := Lookup(f)
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownFormat, f)
	}
	if o.IncludePassword && !info.Password {
		return nil, fmt.Errorf("%w: the %s format never carries one", ErrPasswordRefused, f)
	}
	if o.IncludePassword && f == Apple && o.Signer == nil {
		return nil, fmt.Errorf("%w: an Apple profile carries a password only when signed", ErrPasswordRefused)
	}
	var buf bytes.Buffer
	var err error
	switch f {
	case JSON:
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case HTML:
		err = report.WriteHTML(&buf, rep, &report.HTMLOptions{Generated: o.Generated, Printer: o.Printer})
	default:
		err = writeSettings(&buf, rep, f, &o)
	}
	if err != nil {
		if errors.Is(err, detect.ErrNothingVerified) || errors.Is(err, detect.ErrNotVerified) {
			return nil, err
		}
		return nil, fmt.Errorf("export %s: %w", f, err)
	}
	return buf.Bytes(), nil
}

// writeSettings writes one of the settings formats.
func writeSettings(buf *bytes.Buffer, rep *detect.Report, f Format, o *Options) error {
	cfg, err := rep.Config(&detect.ConfigOptions{
		All:          o.AllServers || f == Zone,
		Placeholders: !o.ForUser && (f == Autoconfig || f == Autodiscover),
	})
	if err != nil {
		return err
	}
	acct := rep.Account(o.Name)
	switch f {
	case Autoconfig:
		return autoconfig.WriteMozilla(buf, cfg)
	case Autodiscover:
		return autoconfig.WriteAutodiscover(buf, cfg)
	case Thunderbird:
		return autoconfig.WriteThunderbirdPrefs(buf, cfg, acct, nil)
	case Zone:
		if err := autoconfig.WriteZone(buf, rep.Domain, cfg, rep.TLSA(), &autoconfig.ZoneOptions{WebHost: o.WebHost}); err != nil {
			return err
		}
		return writePACCRecord(buf, rep)
	case PACC:
		doc, err := paccDocument(rep)
		if err != nil {
			return err
		}
		buf.Write(doc)
		return nil
	case Apple:
		if err := appleSignin(rep, cfg); err != nil {
			return err
		}
		p := o.Printer
		if p == nil {
			p = i18n.New(i18n.Lang(rep.Lang))
		}
		return autoconfig.WriteAppleProfile(buf, cfg, acct, &autoconfig.AppleOptions{
			Signer: o.Signer, IncludePassword: o.IncludePassword, Password: o.Password, Printer: p})
	case QR:
		payload, err := autoconfig.QRPayload(cfg, acct, &autoconfig.QROptions{
			IncludePassword: o.IncludePassword, Password: o.Password})
		if err != nil {
			return err
		}
		size := o.QRSize
		if size == 0 {
			size = 512
		}
		png, err := autoconfig.QRPNG(payload, size)
		if err != nil {
			return err
		}
		buf.Write(png)
		return nil
	}
	return fmt.Errorf("%w %q", ErrUnknownFormat, f)
}

// appleSignin keeps an Apple profile to what it can carry: a server that
// signs in only with OAuth2 refuses the whole profile ([ErrAppleOAuth2]);
// one that also takes a password is written with the password only (see
// [Notes]).
func appleSignin(rep *detect.Report, cfg *autoconfig.Config) error {
	in, out := rep.Recommended()
	for _, s := range []*detect.Server{in, out} {
		if s != nil && s.Signin == detect.SigninOAuth2 {
			return fmt.Errorf("%w: %s. %s", ErrAppleOAuth2, s.HostPort(), AppleOAuth2Message(i18n.New(i18n.Lang(rep.Lang))))
		}
	}
	for _, list := range [][]autoconfig.Server{cfg.Incoming, cfg.Outgoing} {
		for i := range list {
			if list[i].PasswordAuth() {
				list[i].Auth = slices.DeleteFunc(slices.Clone(list[i].Auth), func(a autoconfig.Auth) bool { return a == autoconfig.AuthOAuth2 })
			}
		}
	}
	return nil
}

// FileName is the suggested file name of rep exported as f.
func FileName(rep *detect.Report, f Format) string {
	d := strings.ReplaceAll(rep.Domain, "/", "_")
	switch f {
	case Autoconfig:
		return "config-v1.1.xml"
	case Autodiscover:
		return "autodiscover.xml"
	case Thunderbird:
		return "user.js"
	case Apple:
		return d + ".mobileconfig"
	case QR:
		return d + "-qr.png"
	case Zone:
		return d + ".zone"
	case PACC:
		return "user-agent-configuration.json"
	case HTML:
		return d + "-report.html"
	default:
		return d + "-report.json"
	}
}
