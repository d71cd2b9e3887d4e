package export

import (
	"strings"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
)

// davNote is, for a format that carries mail only, the note that tells the
// user where to add the calendars and address books the report found
// (recommended and verified, as [detect.Report.Config] exports them), with
// their URLs; "" when there are none or when f carries them (autoconfig,
// Apple profile). Thunderbird has no pref that creates a CalDAV or CardDAV
// account, so user.js gets a note, not invented prefs.
func davNote(rep *detect.Report, f Format, p *i18n.Printer) string {
	var urls []string
	for _, l := range []struct {
		list []detect.Service
		id   string
	}{{rep.Calendar, "export.dav.calendars"}, {rep.Contacts, "export.dav.contacts"}} {
		if len(l.list) > 0 && l.list[0].Recommended && l.list[0].Verify() == nil {
			urls = append(urls, p.T(l.id, "URL", l.list[0].URL))
		}
	}
	if len(urls) == 0 {
		return ""
	}
	switch f {
	case Thunderbird:
		return p.T("export.dav-thunderbird", "URLs", strings.Join(urls, "; "))
	case QR, Autodiscover:
		return p.T("export.dav-mail-only", "URLs", strings.Join(urls, "; "))
	}
	return ""
}
