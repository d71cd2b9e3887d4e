package ui

import (
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
)

// serverCard shows the recommended server of one direction: its verdict
// (icon, word, colour), the reason in one sentence, and the settings to
// type into a mail client with copy buttons.
func (r *resultScreen) serverCard(incoming bool) *widget.Card {
	rep := r.s.rep
	p := r.u.p
	a, l := directionLevel(rep, incoming, r.s.confirmed)
	title := p.T("ui.card.outgoing")
	if incoming {
		title = p.T("ui.card.incoming")
	}
	verdict := container.NewHBox(widget.NewIcon(levelIcon(l)),
		&widget.Label{Text: l.word(p), TextStyle: fyne.TextStyle{Bold: true}, Importance: levelImportance(l)})
	card := panel(title, verdict, wrapped(a.Reason))
	content := card.Content.(*fyne.Container)
	s := a.Server
	if s == nil {
		return card
	}
	security := securityWords(p, s.Security)
	if s.Security == autoconfig.STARTTLS {
		security = p.T("ui.card.starttls-required", "Label", security)
	}
	user := s.Username
	if user == "" {
		user = rep.Address
	}
	rows := []fyne.CanvasObject{
		fieldName(p.T("field.protocol")), wrapped(protocolWords(s.Protocol)),
		fieldName(p.T("field.server")), r.copyable(p.T("ui.copy.server"), s.Host),
		fieldName(p.T("field.port")), r.copyable(p.T("ui.copy.port"), strconv.Itoa(s.Port)),
		fieldName(p.T("field.security")), wrapped(security),
		fieldName(p.T("field.username")), r.copyable(p.T("ui.copy.username"), user),
	}
	name, how := signinRow(p, s)
	rows = append(rows, fieldName(name), wrapped(how))
	if said, l := loginWords(p, &s.Login); said != "" {
		check := p.T("ui.card.password-check")
		if s.Login.Status == detect.LoginOAuth2OK || s.Login.Status == detect.LoginOAuth2Failed {
			check = p.T("ui.card.signin-check")
		}
		rows = append(rows, fieldName(check),
			iconLine(levelIcon(l), wrapped(said)))
	}
	content.Add(widget.NewSeparator())
	content.Add(container.New(layout.NewFormLayout(), rows...))
	return card
}

// fieldName is the name column of a card's settings.
func fieldName(text string) *widget.Label {
	return &widget.Label{Text: text, TextStyle: fyne.TextStyle{Bold: true}}
}

// copyable is a value with a button that copies it to the clipboard.
func (r *resultScreen) copyable(what, value string) fyne.CanvasObject {
	return r.copyableLabel(what, value, &widget.Label{Text: value, Selectable: true, Truncation: fyne.TextTruncateEllipsis})
}

// copyableURL is copyable for a URL, which wraps instead of being cut:
// the user must see all of it to type it on another device.
func (r *resultScreen) copyableURL(what, value string) fyne.CanvasObject {
	return r.copyableLabel(what, value, &widget.Label{Text: value, Selectable: true, Wrapping: fyne.TextWrapBreak})
}

// copyableLabel puts a copy button for value beside its label.
func (r *resultScreen) copyableLabel(what, value string, l *widget.Label) fyne.CanvasObject {
	b := &widget.Button{Icon: theme.ContentCopyIcon(), Importance: widget.LowImportance,
		OnTapped: func() { r.copy(what, value) }}
	return container.NewBorder(nil, nil, nil, b, l)
}

// loginWords says what the password check gave, "" when it did not run.
func loginWords(p *i18n.Printer, l *detect.LoginReport) (string, level) {
	switch l.Status {
	case detect.LoginOK:
		return p.T("ui.login.ok", "User", l.Username), levelSecure
	case detect.LoginFailed:
		return p.T("ui.login.failed", "Users", strings.Join(l.Tried, ", ")), levelUnsafe
	case detect.LoginNotTried:
		if l.Error == "" {
			return "", levelNone // no password check ran
		}
		return p.T("ui.login.not-tried", "Detail", l.Error), levelCaveats
	case detect.LoginError:
		return p.T("ui.login.error", "Detail", l.Error), levelUnsafe
	case detect.LoginNotPossible:
		return p.T("ui.login.not-possible", "Detail", l.Error), levelCaveats
	case detect.LoginOAuth2OK:
		return p.T("ui.login.oauth2-ok", "User", l.Username), levelSecure
	case detect.LoginOAuth2Failed:
		return p.T("ui.login.oauth2-failed", "Detail", l.Error), levelUnsafe
	}
	return "", levelNone
}

// confirmPanel asks the user to confirm a server name that only a source
// below https named, saying which domain it belongs to and why it matters.
func (r *resultScreen) confirmPanel(s *detect.Server) fyne.CanvasObject {
	rep := r.s.rep
	p := r.u.p
	domain := displayDomain(rep)
	owner := p.T("ui.confirm.owner.inside", "Domain", domain)
	if !detect.InDomain(s.Host, rep.Domain) {
		owner = p.T("ui.confirm.owner.other", "Owner", detect.RegisteredDomain(s.Host), "Domain", domain)
	}
	if containsFold(r.s.confirmed, s.Host) {
		undo := &widget.Button{Text: p.T("ui.confirm.undo"), Importance: widget.LowImportance, OnTapped: func() { r.onUnconfirm(s.Host) }}
		return tinted(theme.ColorNameSuccess, iconLine(levelIcon(levelSecure), container.NewBorder(nil, nil, nil, undo,
			wrapped(p.T("ui.confirm.done", "Host", s.Host)))))
	}
	text := p.T("ui.confirm.text", "Domain", domain, "Host", s.Host, "Owner", owner, "Trust", words.TrustFrom(p, s.Trust))
	yes := &widget.Button{Text: p.T("ui.confirm.yes", "Host", s.Host), Icon: theme.ConfirmIcon(),
		OnTapped: func() { r.onConfirm(s.Host) }}
	return tinted(theme.ColorNameWarning, iconLine(levelIcon(levelCaveats), container.NewVBox(
		&widget.Label{Text: p.T("ui.confirm.question", "Host", s.Host), TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
		wrapped(text),
		container.NewHBox(yes),
	)))
}
