package ui

import (
	"context"
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
)

// loginDialog asks for the password and runs the opt-in login check
// (detect.VerifyLogin), which enforces the rules: only the recommended
// servers, only over verified TLS, only hosts of https trust or better or
// that the user confirmed. It then says which user name worked for
// incoming and outgoing mail, or why the password was not sent.
type loginDialog struct {
	r *resultScreen

	password *entry
	problem  *widget.Label
	busy     *widget.Activity
	results  *fyne.Container
	check    *widget.Button
	close    *widget.Button
	cancel   context.CancelFunc
	d        *dialog.CustomDialog
}

func (r *resultScreen) onLogin() {
	l := &loginDialog{r: r}
	l.buildUI()
	r.lastLogin = l
	r.u.showDialog(l.d)
	r.u.win.Canvas().Focus(l.password)
}

func (l *loginDialog) buildUI() {
	s := l.r.s
	intro := wrapped(fmt.Sprintf("Check that your password works for %s. It goes only to the recommended servers, only over a TLS connection that is verified again first, and only to servers you trust or confirmed. It is not stored.", s.rep.Address))
	box := container.NewVBox(intro)
	in, out := s.rep.Recommended()
	for _, srv := range uniqueHosts(in, out) {
		if needsConfirmation(s.rep, srv, s.confirmed) {
			box.Add(iconLine(levelIcon(levelCaveats), wrapped(fmt.Sprintf(
				"%s is not confirmed as your provider's server, so the password will not be sent there. Confirm it on the Settings tab first.", srv.Host))))
		}
	}
	l.password = newPasswordEntry()
	l.password.OnSubmitted = func(string) { l.onCheck() }
	l.password.onEscape = l.onClose
	l.problem = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	l.problem.Hide()
	l.busy = widget.NewActivity()
	l.busy.Hide()
	l.results = container.NewVBox()
	l.check = &widget.Button{Text: "Check", Icon: theme.LoginIcon(), Importance: widget.HighImportance, OnTapped: l.onCheck}
	l.close = &widget.Button{Text: "Cancel", OnTapped: l.onClose}
	box.Add(bold("Password"))
	box.Add(l.password)
	box.Add(l.problem)
	box.Add(l.results)
	box.Add(container.NewHBox(l.busy, layout.NewSpacer(), l.close, l.check))
	l.d = dialog.NewCustomWithoutButtons("Check password", atLeast(460, box), l.r.u.win)
	l.d.SetOnClosed(func() {
		if l.cancel != nil {
			l.cancel()
		}
	})
}

// uniqueHosts returns the non-nil servers, one per host.
func uniqueHosts(servers ...*detect.Server) []*detect.Server {
	var out []*detect.Server
	var hosts []string
	for _, s := range servers {
		if s != nil && !slices.Contains(hosts, s.Host) {
			hosts = append(hosts, s.Host)
			out = append(out, s)
		}
	}
	return out
}

func (l *loginDialog) onClose() { l.d.Hide() }

// onCheck runs the login check off the UI goroutine, on a copy of the
// report, and shows the outcome.
func (l *loginDialog) onCheck() {
	pw := l.password.Text
	if pw == "" {
		l.problem.SetText("Type your password first.")
		l.problem.Show()
		return
	}
	l.problem.Hide()
	l.password.SetText("")
	l.password.Disable()
	l.check.Disable()
	l.busy.Show()
	l.busy.Start()
	s := l.r.s
	rep := *s.rep
	rep.Incoming, rep.Outgoing = slices.Clone(s.rep.Incoming), slices.Clone(s.rep.Outgoing)
	req := detect.LoginRequest{Password: pw, Confirmed: slices.Clone(s.confirmed)}
	opts := *s.opts
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	go func() {
		err := detect.VerifyLogin(ctx, &rep, req, &opts)
		cancel()
		l.r.u.do(func() { l.onChecked(&rep, err) })
	}()
}

// onChecked shows the outcome, and carries it into the result screen.
func (l *loginDialog) onChecked(rep *detect.Report, err error) {
	l.busy.Stop()
	l.busy.Hide()
	if l.r.u.result != l.r || l.r.u.sess != l.r.s {
		return // the user moved on
	}
	l.password.Enable()
	l.check.Enable()
	l.check.SetText("Check again")
	l.close.SetText("Close")
	if err != nil {
		l.problem.SetText(plainError(err))
		l.problem.Show()
		return
	}
	l.r.showOutcome(l.results, rep, ": no safe server, so the password was not sent.")
	l.r.setStatus("Password check done.")
}

// showOutcome carries the outcome of a password or sign-in check into the
// result screen and lists it in box, one line per direction; unsent
// follows the direction's name where it has no safe server.
func (r *resultScreen) showOutcome(box *fyne.Container, rep *detect.Report, unsent string) {
	r.s.rep = rep
	r.onReportChanged()
	box.RemoveAll()
	in, out := rep.Recommended()
	for _, d := range []struct {
		name string
		s    *detect.Server
	}{{"Incoming", in}, {"Outgoing", out}} {
		if d.s == nil {
			box.Add(iconLine(levelIcon(levelNone), wrapped(d.name+unsent)))
			continue
		}
		words, lv := loginWords(&d.s.Login)
		box.Add(iconLine(levelIcon(lv), wrapped(fmt.Sprintf("%s (%s %s): %s", d.name, protocolWords(d.s.Protocol), d.s.Host, words))))
	}
}
