package ui

import (
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
)

// serverCard shows the recommended server of one direction: its verdict
// (icon, word, colour), the reason in one sentence, and the settings to
// type into a mail client with copy buttons.
func (r *resultScreen) serverCard(incoming bool) *widget.Card {
	rep := r.s.rep
	a, l := directionLevel(rep, incoming, r.s.confirmed)
	title := "Outgoing mail (sending)"
	if incoming {
		title = "Incoming mail (receiving)"
	}
	verdict := container.NewHBox(widget.NewIcon(levelIcon(l)),
		&widget.Label{Text: l.word(), TextStyle: fyne.TextStyle{Bold: true}, Importance: levelImportance(l)})
	card := panel(title, verdict, wrapped(a.Reason))
	content := card.Content.(*fyne.Container)
	s := a.Server
	if s == nil {
		return card
	}
	security := securityWords(s.Security)
	if s.Security == autoconfig.STARTTLS {
		security += " (required, never \"if available\")"
	}
	user := s.Username
	if user == "" {
		user = rep.Address
	}
	rows := []fyne.CanvasObject{
		fieldName("Protocol"), wrapped(protocolWords(s.Protocol)),
		fieldName("Server"), r.copyable("server name", s.Host),
		fieldName("Port"), r.copyable("port", strconv.Itoa(s.Port)),
		fieldName("Security"), wrapped(security),
		fieldName("User name"), r.copyable("user name", user),
	}
	name, how := signinRow(s)
	rows = append(rows, fieldName(name), wrapped(how))
	if words, l := loginWords(&s.Login); words != "" {
		check := "Password check"
		if s.Login.Status == detect.LoginOAuth2OK || s.Login.Status == detect.LoginOAuth2Failed {
			check = "Sign-in check"
		}
		rows = append(rows, fieldName(check),
			iconLine(levelIcon(l), wrapped(words)))
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
	b := &widget.Button{Icon: theme.ContentCopyIcon(), Importance: widget.LowImportance,
		OnTapped: func() { r.copy(what, value) }}
	return container.NewBorder(nil, nil, nil, b,
		&widget.Label{Text: value, Selectable: true, Truncation: fyne.TextTruncateEllipsis})
}

// loginWords says what the password check gave, "" when it did not run.
func loginWords(l *detect.LoginReport) (string, level) {
	switch l.Status {
	case detect.LoginOK:
		return "works, with user name " + l.Username, levelSecure
	case detect.LoginFailed:
		return "refused for " + strings.Join(l.Tried, ", ") + ": check the password", levelUnsafe
	case detect.LoginNotTried:
		if l.Error == "" {
			return "", levelNone // no password check ran
		}
		return "not tried: " + plainText(l.Error), levelCaveats
	case detect.LoginError:
		return "could not be checked: " + plainText(l.Error), levelUnsafe
	case detect.LoginNotPossible:
		return "not possible with a password. " + l.Error, levelCaveats
	case detect.LoginOAuth2OK:
		return "works with your provider's sign-in (OAuth2), as " + l.Username, levelSecure
	case detect.LoginOAuth2Failed:
		return "your provider refused the sign-in: " + plainText(l.Error), levelUnsafe
	}
	return "", levelNone
}

// confirmPanel asks the user to confirm a server name that only a source
// below https named, saying which domain it belongs to and why it matters.
func (r *resultScreen) confirmPanel(s *detect.Server) fyne.CanvasObject {
	rep := r.s.rep
	domain := displayDomain(rep)
	owner := "a server inside " + domain
	if !detect.InDomain(s.Host, rep.Domain) {
		owner = "a server of " + detect.RegisteredDomain(s.Host) + ", not of " + domain
	}
	if containsFold(r.s.confirmed, s.Host) {
		undo := &widget.Button{Text: "Undo", Importance: widget.LowImportance, OnTapped: func() { r.onUnconfirm(s.Host) }}
		return tinted(theme.ColorNameSuccess, iconLine(levelIcon(levelSecure), container.NewBorder(nil, nil, nil, undo,
			wrapped(fmt.Sprintf("You confirmed that %s is your provider's server. The password check may send your password there.", s.Host)))))
	}
	text := fmt.Sprintf("The settings for %s point to %s (%s). They come only from %s, which nothing ties to %s: "+
		"someone who can tamper with your network could have planted them to collect your password. "+
		"Confirm only if your provider's instructions or web site name %s.",
		domain, s.Host, owner, trustWords(s.Trust), domain, s.Host)
	yes := &widget.Button{Text: "Yes, " + s.Host + " is my provider's server", Icon: theme.ConfirmIcon(),
		OnTapped: func() { r.onConfirm(s.Host) }}
	return tinted(theme.ColorNameWarning, iconLine(levelIcon(levelCaveats), container.NewVBox(
		&widget.Label{Text: "Is " + s.Host + " your provider's server?", TextStyle: fyne.TextStyle{Bold: true}, Wrapping: fyne.TextWrapWord},
		wrapped(text),
		container.NewHBox(yes),
	)))
}
