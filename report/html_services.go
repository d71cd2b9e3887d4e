package report

import (
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// services builds the sections of the calendar, contacts and JMAP lists
// the report has, each endpoint shown as a mail server is (probe,
// certificate, DANE, login, transcripts) with its URL, HTTP answer,
// redirects, principal and home sets instead of host, capabilities and
// SASL.
func services(pr *i18n.Printer, r *detect.Report, anchors map[string]string) []serviceList {
	var out []serviceList
	for _, l := range []struct {
		id   string
		list []detect.Service
	}{{"calendar", r.Calendar}, {"contacts", r.Contacts}, {"jmap", r.JMAP}} {
		if len(l.list) == 0 {
			continue
		}
		as := make([]detect.Server, len(l.list))
		for i := range l.list {
			as[i] = l.list[i].AsServer()
		}
		views := servers(pr, as, l.id, anchors)
		for i, s := range l.list {
			v := &views[i]
			v.URL, v.Answer, v.Redirects = s.URL, words.HTTPAnswer(pr, &s.Probe), s.Probe.Redirects
			v.Principal, v.HomeSets = s.Login.Principal, s.Login.HomeSets
			if len(v.HomeSets) > 0 {
				v.HomeSetLabel = words.HomeSetField(pr, s.Protocol)
			}
		}
		out = append(out, serviceList{ID: l.id, Title: words.ServiceTitle(pr, l.list[0].Protocol), Servers: views})
	}
	return out
}
