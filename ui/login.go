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
	"github.com/mailsetup/mailsetup/i18n"
)

// loginDialog asks for the password and runs the opt-in login check
// (detect.VerifyLogin), which enforces the rules: only the recommended
// servers, only over verified TLS, only hosts of https trust or better or
// that the user confirmed. It then says which user name worked for
// incoming and outgoing mail, or why the password was not sent.
type loginDialog struct {
	r *resultScreen

	checkView
	password *entry
	check    *widget.Button
	cancel   context.CancelFunc
	d        *dialog.CustomDialog
}

// checkView is what the password and the sign-in check dialogs share: the
// problem line, the per-direction results, the activity and Close.
type checkView struct {
	problem *widget.Label
	busy    *widget.Activity
	results *fyne.Container
	close   *widget.Button
}

func newCheckView(p *i18n.Printer, onClose func()) checkView {
	v := checkView{
		problem: &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord},
		busy:    widget.NewActivity(),
		results: container.NewVBox(),
		close:   &widget.Button{Text: p.T("ui.button.cancel"), OnTapped: onClose},
	}
	v.problem.Hide()
	v.busy.Hide()
	return v
}

// finish ends the check in the dialog and carries its outcome into the
// result screen r; again re-arms the dialog's own button. Nothing happens
// when the user moved on from r.
func (v *checkView) finish(r *resultScreen, rep *detect.Report, err error, again func(), noServer, done string) {
	v.busy.Stop()
	v.busy.Hide()
	if r.u.result != r || r.u.sess != r.s {
		return // the user moved on
	}
	again()
	v.close.SetText(r.u.p.T("ui.button.close"))
	if err != nil {
		v.problem.SetText(plainError(r.u.p, err))
		v.problem.Show()
		return
	}
	r.showOutcome(v.results, rep, noServer)
	r.setStatus(done)
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
	p := l.r.u.p
	intro := wrapped(p.T("ui.login.intro", "Address", s.rep.Address))
	box := container.NewVBox(intro)
	in, out := s.rep.Recommended()
	for _, srv := range uniqueHosts(in, out) {
		if needsConfirmation(s.rep, srv, s.confirmed) {
			box.Add(iconLine(levelIcon(levelCaveats), wrapped(p.T("ui.login.unconfirmed", "Host", srv.Host))))
		}
	}
	l.password = newPasswordEntry(p.T("ui.login.password"))
	l.password.OnSubmitted = func(string) { l.onCheck() }
	l.password.onEscape = l.onClose
	l.checkView = newCheckView(p, l.onClose)
	l.check = &widget.Button{Text: p.T("ui.login.check"), Icon: theme.LoginIcon(), Importance: widget.HighImportance, OnTapped: l.onCheck}
	box.Add(bold(p.T("ui.login.password")))
	box.Add(l.password)
	box.Add(l.problem)
	box.Add(l.results)
	box.Add(container.NewHBox(l.busy, layout.NewSpacer(), l.close, l.check))
	l.d = dialog.NewCustomWithoutButtons(p.T("ui.login.title"), atLeast(460, box), l.r.u.win)
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
		l.problem.SetText(l.r.u.p.T("ui.login.type-first"))
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
	opts.Printer = l.r.u.p
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
	p := l.r.u.p
	l.finish(l.r, rep, err, func() {
		l.password.Enable()
		l.check.Enable()
		l.check.SetText(p.T("ui.login.again"))
	}, p.T("ui.login.no-server"), p.T("ui.login.done"))
}

// showOutcome carries the outcome of a password or sign-in check into the
// result screen and lists it in box, one line per direction; unsent
// follows the direction's name where it has no safe server.
func (r *resultScreen) showOutcome(box *fyne.Container, rep *detect.Report, unsent string) {
	p := r.u.p
	r.s.rep = rep
	r.onReportChanged()
	box.RemoveAll()
	in, out := rep.Recommended()
	for _, d := range []struct {
		name string
		s    *detect.Server
	}{{p.T("report.incoming"), in}, {p.T("report.outgoing"), out}} {
		if d.s == nil {
			box.Add(iconLine(levelIcon(levelNone), wrapped(p.T("ui.label-value", "Label", d.name, "Value", unsent))))
			continue
		}
		said, lv := loginWords(p, &d.s.Login)
		box.Add(iconLine(levelIcon(lv), wrapped(p.T("ui.label-value", "Label", fmt.Sprintf("%s (%s %s)", d.name, protocolWords(d.s.Protocol), d.s.Host), "Value", said))))
	}
}
