package ui

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/i18n/words"
	"github.com/mailsetup/mailsetup/oauth"
)

// prefOAuthClientID is the preference of the OAuth2 client ID an
// organisation registered with its provider (Settings).
const prefOAuthClientID = "oauth_client_id"

// signinRow is the card's row saying how the user signs in: for a provider
// that uses OAuth2, the sentence of the oauth2-required warning (never
// "Password: OAuth2"); otherwise the password type.
func signinRow(p *i18n.Printer, s *detect.Server) (name, text string) {
	switch s.Signin {
	case detect.SigninOAuth2:
		return p.T("field.signin"), detect.OAuth2Message(s.AppPasswordURL()).Text(p)
	case detect.SigninPasswordOrOAuth2:
		return p.T("field.signin"), p.T("ui.card.signin.password-or-oauth2")
	}
	return p.T("field.password"), words.Auth(p, s.Auth)
}

// oauthDialog runs the opt-in OAuth2 sign-in check: the provider's page
// opens in the user's browser (oauth.SignIn), and the token it gives is
// checked on the recommended servers (detect.VerifyOAuth2), under the rules
// of the password check and only on servers the provider's configuration
// names.
type oauthDialog struct {
	r *resultScreen

	checkView
	start  *widget.Button
	cancel context.CancelFunc
	d      *dialog.CustomDialog
}

func (r *resultScreen) onOAuth() {
	o := &oauthDialog{r: r}
	o.buildUI()
	r.lastOAuth = o
	r.u.showDialog(o.d)
}

func (o *oauthDialog) buildUI() {
	s := o.r.s
	p := o.r.u.p
	prov := s.rep.OAuth2Provider()
	host := prov.Issuer
	if u, err := url.Parse(prov.AuthURL); err == nil && u.Host != "" {
		host = u.Host
	}
	intro := wrapped(p.T("ui.oauth.intro", "Address", s.rep.Address, "Host", host))
	o.checkView = newCheckView(p, func() { o.d.Hide() })
	o.start = &widget.Button{Text: p.T("ui.oauth.open"), Icon: theme.LoginIcon(), Importance: widget.HighImportance, OnTapped: o.onStart}
	box := container.NewVBox(intro, o.problem, o.results, container.NewHBox(o.busy, layout.NewSpacer(), o.close, o.start))
	o.d = dialog.NewCustomWithoutButtons(p.T("ui.oauth.title"), atLeast(460, box), o.r.u.win)
	o.d.SetOnClosed(func() {
		if o.cancel != nil {
			o.cancel()
		}
	})
}

// onStart signs in and checks the token off the UI goroutine, on a copy
// of the report.
func (o *oauthDialog) onStart() {
	o.problem.Hide()
	o.start.Disable()
	o.busy.Show()
	o.busy.Start()
	u, s := o.r.u, o.r.s
	rep := *s.rep
	rep.Incoming, rep.Outgoing = slices.Clone(s.rep.Incoming), slices.Clone(s.rep.Outgoing)
	opts := *s.opts
	prov := rep.OAuth2Provider()
	var client *http.Client
	browser := func(_ context.Context, raw string) error {
		p, err := url.Parse(raw)
		if err != nil {
			return err
		}
		return u.app.OpenURL(p)
	}
	switch l := s.demoLab(); {
	case l != nil: // the demo world's provider approves its user by itself
		client, browser = l.HTTPClient(), l.Browser()
	default:
		client = detect.NewHTTPClient(opts.Resolver, opts.Dial, opts.RootCAs)
		if u.cfg.OAuthHTTPClient != nil {
			client = u.cfg.OAuthHTTPClient
		}
		if u.cfg.OpenBrowser != nil {
			browser = u.cfg.OpenBrowser
		}
	}
	so := &oauth.Options{HTTPClient: client, OpenBrowser: browser, LoginHint: rep.Address,
		ClientID: u.app.Preferences().String(prefOAuthClientID), Printer: u.p}
	confirmed := slices.Clone(s.confirmed)
	ctx, cancel := context.WithCancel(context.Background())
	o.cancel = cancel
	go func() {
		defer cancel()
		var err error
		if tok, serr := oauth.SignIn(ctx, prov, so); serr != nil {
			rep.SignInFailed(serr)
		} else {
			err = detect.VerifyOAuth2(ctx, &rep, detect.OAuth2Request{Token: tok.AccessToken, Provider: prov, Confirmed: confirmed}, &opts)
		}
		u.do(func() { o.onChecked(&rep, err) })
	}()
}

// onChecked shows the outcome, and carries it into the result screen.
func (o *oauthDialog) onChecked(rep *detect.Report, err error) {
	p := o.r.u.p
	o.finish(o.r, rep, err, func() {
		o.start.Enable()
		o.start.SetText(p.T("ui.oauth.again"))
	}, p.T("ui.oauth.no-server"), p.T("ui.oauth.done"))
}
