package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/report"
)

// Format is an export format of the Export tab.
type Format string

// The export formats, as `mailprobe export --format` names them.
const (
	FormatAutoconfig   Format = "autoconfig"
	FormatThunderbird  Format = "thunderbird"
	FormatApple        Format = "apple"
	FormatAutodiscover Format = "autodiscover"
	FormatQR           Format = "qr"
	FormatJSON         Format = "json"
	FormatHTML         Format = "html"
	FormatZone         Format = "zone"
)

// FormatInfo describes an export format for the Export tab.
type FormatInfo struct {
	Format Format
	// Title names the format; About says who it is for.
	Title, About string
	// Ext is the file name extension, with its dot.
	Ext string
	// Settings is true for the formats that carry verified settings only
	// (false: the JSON and HTML reports, which describe any outcome).
	Settings bool
}

// Formats is every export format, in the order the Export tab lists them.
var Formats = []FormatInfo{
	{FormatThunderbird, "Thunderbird profile (user.js)", "Put into a Thunderbird profile folder: the account appears at the next start.", ".js", true},
	{FormatApple, "Apple profile (.mobileconfig)", "Open on an iPhone, iPad or Mac to add the account. Signed if you pick a certificate below.", ".mobileconfig", true},
	{FormatQR, "QR code (PNG)", "For Thunderbird for Android: the same code as shown here, as a picture.", ".png", true},
	{FormatAutoconfig, "Autoconfig file (config-v1.1.xml)", "For the domain's admin: host it at autoconfig.DOMAIN, and Thunderbird, K-9, Evolution and KMail find the settings.", ".xml", true},
	{FormatAutodiscover, "Autodiscover answer (XML)", "For the domain's admin: host it at autodiscover.DOMAIN for Outlook.", ".xml", true},
	{FormatZone, "DNS records (zone file)", "For the domain's admin: SRV and TLSA records that make clients find and pin these servers.", ".zone", true},
	{FormatJSON, "Report (JSON)", "The full report, for a helpdesk ticket or a script.", ".json", false},
	{FormatHTML, "Report (HTML)", "The full report as a web page, for a helpdesk ticket.", ".html", false},
}

// ErrNothingToExport is returned by [Export] for a settings format when no
// server of the report was verified: settings are only ever exported for
// servers whose TLS passed the checks.
var ErrNothingToExport = errors.New("ui: nothing to export: no server was verified over TLS")

// ExportOptions tune [Export]. A nil *ExportOptions is the zero value.
type ExportOptions struct {
	// Name is the person's name for the account formats; may be empty.
	Name string
	// Signer signs the Apple profile; nil writes it unsigned.
	Signer *autoconfig.Signer
	// Generated is the time printed in the HTML report; zero leaves it out.
	Generated time.Time
}

// Export renders rep in format f. It is what the Export tab's save dialog
// writes, and what the QR code shown on screen is made of. No format ever
// carries a password. Errors: [ErrNothingToExport], or the writer's error
// (see package autoconfig) wrapped with the format's name.
func Export(rep *detect.Report, f Format, opts *ExportOptions) ([]byte, error) {
	var o ExportOptions
	if opts != nil {
		o = *opts
	}
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		err := enc.Encode(rep)
		return buf.Bytes(), err
	case FormatHTML:
		err := report.WriteHTML(&buf, rep, &report.HTMLOptions{Generated: o.Generated})
		return buf.Bytes(), err
	}
	cfg := rep.Config(&detect.ConfigOptions{
		All:          f == FormatZone,
		Placeholders: f == FormatAutoconfig || f == FormatAutodiscover,
	})
	if cfg == nil {
		return nil, ErrNothingToExport
	}
	acct := rep.Account(o.Name)
	var err error
	switch f {
	case FormatAutoconfig:
		err = autoconfig.WriteMozilla(&buf, cfg)
	case FormatAutodiscover:
		err = autoconfig.WriteAutodiscover(&buf, cfg)
	case FormatThunderbird:
		err = autoconfig.WriteThunderbirdPrefs(&buf, cfg, acct, nil)
	case FormatZone:
		err = autoconfig.WriteZone(&buf, rep.Domain, cfg, rep.TLSA(), nil)
	case FormatApple:
		err = autoconfig.WriteAppleProfile(&buf, cfg, acct, &autoconfig.AppleOptions{Signer: o.Signer})
	case FormatQR:
		var payload, png []byte
		if payload, err = autoconfig.QRPayload(cfg, acct, nil); err == nil {
			png, err = autoconfig.QRPNG(payload, 640)
			buf.Write(png)
		}
	default:
		return nil, fmt.Errorf("ui: unknown export format %q", f)
	}
	if err != nil {
		return nil, fmt.Errorf("ui: export %s: %w", f, err)
	}
	return buf.Bytes(), nil
}

// FileName is the suggested file name of rep exported as f.
func FileName(rep *detect.Report, f Format) string {
	d := strings.ReplaceAll(rep.Domain, "/", "_")
	switch f {
	case FormatAutoconfig:
		return "config-v1.1.xml"
	case FormatAutodiscover:
		return "autodiscover.xml"
	case FormatThunderbird:
		return "user.js"
	case FormatApple:
		return d + ".mobileconfig"
	case FormatQR:
		return d + "-qr.png"
	case FormatZone:
		return d + ".zone"
	case FormatHTML:
		return d + "-report.html"
	default:
		return d + "-report.json"
	}
}
