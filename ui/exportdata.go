package ui

import (
	"errors"
	"fmt"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/i18n"
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
	FormatPACC         = export.PACC
)

// FormatInfo describes an export format for the Export tab: package
// export's description (extension, settings or report) and the tab's words.
type FormatInfo struct {
	export.Info
	// Title names the format; Use says who it is for and what to do with
	// it. Both are message ids of the catalogue (package i18n), said in the
	// app's language when shown.
	Title, Use string
}

// Formats is every export format, in the order the Export tab lists them.
var Formats = []FormatInfo{
	uiFormat(FormatThunderbird, "ui.format.thunderbird.title", "ui.format.thunderbird.use"),
	uiFormat(FormatApple, "ui.format.apple.title", "ui.format.apple.use"),
	uiFormat(FormatQR, "ui.format.qr.title", "ui.format.qr.use"),
	uiFormat(FormatAutoconfig, "ui.format.autoconfig.title", "ui.format.autoconfig.use"),
	uiFormat(FormatAutodiscover, "ui.format.autodiscover.title", "ui.format.autodiscover.use"),
	uiFormat(FormatZone, "ui.format.zone.title", "ui.format.zone.use"),
	uiFormat(FormatPACC, "ui.format.pacc.title", "ui.format.pacc.use"),
	uiFormat(FormatJSON, "ui.format.json.title", "ui.format.json.use"),
	uiFormat(FormatHTML, "ui.format.html.title", "ui.format.html.use"),
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
func exportError(p *i18n.Printer, err error) string {
	if nv, ok := errors.AsType[*detect.NotVerifiedError](err); ok {
		return p.T("ui.export.not-verified", "Why", nv.Localize(p))
	}
	if errors.Is(err, detect.ErrNothingVerified) {
		return p.T("ui.export.nothing")
	}
	return plainError(p, err)
}
