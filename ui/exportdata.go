package ui

import (
	"errors"
	"fmt"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
)

// Format is an export format of the Export tab: package export's, which
// writes every format for the app and the command line alike.
type Format = export.Format

// The export formats, as `mailprobe export --format` names them.
const (
	FormatAutoconfig   = export.Autoconfig
	FormatThunderbird  = export.Thunderbird
	FormatApple        = export.Apple
	FormatAutodiscover = export.Autodiscover
	FormatQR           = export.QR
	FormatJSON         = export.JSON
	FormatHTML         = export.HTML
	FormatZone         = export.Zone
)

// FormatInfo describes an export format for the Export tab: package
// export's description (extension, settings or report) and the tab's words.
type FormatInfo struct {
	export.Info
	// Title names the format; Use says who it is for and what to do with it.
	Title, Use string
}

// Formats is every export format, in the order the Export tab lists them.
var Formats = []FormatInfo{
	uiFormat(FormatThunderbird, "Thunderbird profile (user.js)", "Put into a Thunderbird profile folder: the account appears at the next start."),
	uiFormat(FormatApple, "Apple profile (.mobileconfig)", "Open on an iPhone, iPad or Mac to add the account. Signed if you pick a certificate below."),
	uiFormat(FormatQR, "QR code (PNG)", "For Thunderbird for Android: the same code as shown here, as a picture."),
	uiFormat(FormatAutoconfig, "Autoconfig file (config-v1.1.xml)", "For the domain's admin: host it at autoconfig.DOMAIN, and Thunderbird, K-9, Evolution and KMail find the settings."),
	uiFormat(FormatAutodiscover, "Autodiscover answer (XML)", "For the domain's admin: host it at autodiscover.DOMAIN for Outlook."),
	uiFormat(FormatZone, "DNS records (zone file)", "For the domain's admin: SRV and TLSA records that make clients find and pin these servers."),
	uiFormat(FormatJSON, "Report (JSON)", "The full report, for a helpdesk ticket or a script."),
	uiFormat(FormatHTML, "Report (HTML)", "The full report as a web page, for a helpdesk ticket."),
}

func uiFormat(f Format, title, use string) FormatInfo {
	info, ok := export.Lookup(f)
	if !ok {
		panic(fmt.Sprintf("ui: export format %q unknown to package export", f))
	}
	return FormatInfo{Info: info, Title: title, Use: use}
}

// qrSize is the width of the QR code the Export tab shows and saves, in
// pixels.
const qrSize = 640

// exportError says why an export was refused, for a person.
func exportError(err error) string {
	if nv, ok := errors.AsType[*detect.NotVerifiedError](err); ok {
		return fmt.Sprintf("Nothing exported: the report recommends %s server %s, but %s.", nv.Protocol, nv.Server, nv.Why())
	}
	if errors.Is(err, detect.ErrNothingVerified) {
		return "Nothing to export: no server was verified over TLS."
	}
	return plainError(err)
}
