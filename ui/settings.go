package ui

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/i18n"
)

// Preference keys of the settings, kept between runs of the app.
const (
	prefResolver   = "resolver"
	prefISPDB      = "ispdb"
	prefTimeout    = "timeout_seconds"
	prefCAFile     = "ca_file"
	prefAppearance = "appearance"
	prefLanguage   = "language" // "", "en" or "fr"; "" follows the system
)

// timeouts are the overall deadlines offered, in seconds.
var timeouts = []int{5, 10, 15, 30, 60}

// settingsPanel is the Settings drawer of the start screen: the DNS server,
// the ISP database switch, the time limit, an extra CA file and the theme.
// Each change is kept in the app's preferences.
type settingsPanel struct {
	u *UI

	resolver   *entry
	ispdb      *widget.Check
	timeout    *widget.Select
	caFile     *entry
	clientID   *entry
	appearance *widget.RadioGroup
	language   *widget.RadioGroup
	problem    *widget.Label
	content    fyne.CanvasObject
}

// appearanceWords names each appearance in p's language.
func appearanceWords(p *i18n.Printer) map[Appearance]string {
	return map[Appearance]string{
		AppearanceSystem: p.T("ui.settings.appearance.system"),
		AppearanceLight:  p.T("ui.settings.appearance.light"),
		AppearanceDark:   p.T("ui.settings.appearance.dark"),
	}
}

// languageChoices are the choices of the Language setting: automatic,
// then each language named in itself.
var languageChoices = []struct {
	lang i18n.Lang
	id   string
}{
	{"", "ui.settings.language.auto"},
	{i18n.English, "ui.settings.language.en"},
	{i18n.French, "ui.settings.language.fr"},
}

func newSettingsPanel(u *UI) *settingsPanel {
	p := &settingsPanel{u: u}
	p.buildUI()
	return p
}

func (p *settingsPanel) buildUI() {
	prefs := p.u.app.Preferences()
	pr := p.u.p
	p.resolver = newEntry(pr.T("ui.settings.resolver.placeholder"))
	p.resolver.SetText(prefs.String(prefResolver))
	p.resolver.OnChanged = func(s string) { prefs.SetString(prefResolver, strings.TrimSpace(s)); p.problem.Hide() }

	p.ispdb = &widget.Check{Text: pr.T("ui.settings.ispdb.check"), Checked: prefs.BoolWithFallback(prefISPDB, true),
		OnChanged: func(b bool) { prefs.SetBool(prefISPDB, b) }}

	var labels []string
	for _, s := range timeouts {
		labels = append(labels, p.timeoutLabel(s))
	}
	p.timeout = &widget.Select{Options: labels, OnChanged: p.onTimeout}
	p.timeout.SetSelected(p.timeoutLabel(prefs.IntWithFallback(prefTimeout, int(detect.DefaultTimeout/time.Second))))

	p.caFile = newEntry(pr.T("ui.settings.ca.placeholder"))
	p.caFile.SetText(prefs.String(prefCAFile))
	p.caFile.OnChanged = func(s string) { prefs.SetString(prefCAFile, strings.TrimSpace(s)); p.problem.Hide() }
	choose := &widget.Button{Text: pr.T("ui.settings.ca.choose"), Icon: theme.FolderOpenIcon(), OnTapped: p.onChooseCA}
	clearCA := &widget.Button{Icon: theme.ContentClearIcon(), Importance: widget.LowImportance, OnTapped: func() { p.caFile.SetText("") }}

	p.clientID = newEntry(pr.T("ui.settings.client-id.placeholder"))
	p.clientID.SetText(prefs.String(prefOAuthClientID))
	p.clientID.OnChanged = func(s string) { prefs.SetString(prefOAuthClientID, strings.TrimSpace(s)) }

	aw := appearanceWords(pr)
	p.appearance = &widget.RadioGroup{Horizontal: true,
		Options:   []string{aw[AppearanceSystem], aw[AppearanceLight], aw[AppearanceDark]},
		OnChanged: p.onAppearance}
	p.appearance.SetSelected(aw[p.u.appearance()])

	var langs []string
	for _, c := range languageChoices {
		langs = append(langs, pr.T(c.id))
	}
	p.language = &widget.RadioGroup{Horizontal: true, Options: langs}
	p.language.SetSelected(p.languageLabel(i18n.Lang(prefs.String(prefLanguage))))
	p.language.OnChanged = p.onLanguage

	p.problem = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	p.problem.Hide()

	form := &widget.Form{Items: []*widget.FormItem{
		{Text: pr.T("ui.settings.language"), Widget: p.language},
		{Text: pr.T("ui.settings.resolver"), Widget: p.resolver,
			HintText: pr.T("ui.settings.resolver.hint")},
		{Text: pr.T("ui.settings.ispdb"), Widget: p.ispdb,
			HintText: pr.T("ui.settings.ispdb.hint")},
		{Text: pr.T("ui.settings.timeout"), Widget: p.timeout},
		{Text: pr.T("ui.settings.ca"), Widget: container.NewBorder(nil, nil, nil, container.NewHBox(choose, clearCA), p.caFile),
			HintText: pr.T("ui.settings.ca.hint")},
		{Text: pr.T("ui.settings.client-id"), Widget: p.clientID,
			HintText: pr.T("ui.settings.client-id.hint")},
		{Text: pr.T("ui.settings.appearance"), Widget: p.appearance},
	}}
	p.content = container.NewVBox(form, p.problem)
}

func (p *settingsPanel) timeoutLabel(seconds int) string {
	return p.u.p.N("ui.settings.timeout.seconds", seconds)
}

// languageLabel is the Language setting's label of l ("" automatic).
func (p *settingsPanel) languageLabel(l i18n.Lang) string {
	for _, c := range languageChoices {
		if c.lang == l {
			return p.u.p.T(c.id)
		}
	}
	return p.u.p.T(languageChoices[0].id)
}

// onLanguage switches the app's language at once.
func (p *settingsPanel) onLanguage(label string) {
	for _, c := range languageChoices {
		if p.u.p.T(c.id) == label && c.lang != i18n.Lang(p.u.app.Preferences().String(prefLanguage)) {
			p.u.setLang(c.lang)
			return
		}
	}
}

func (p *settingsPanel) onTimeout(label string) {
	for _, s := range timeouts {
		if p.timeoutLabel(s) == label {
			p.u.app.Preferences().SetInt(prefTimeout, s)
		}
	}
}

func (p *settingsPanel) onAppearance(label string) {
	for a, w := range appearanceWords(p.u.p) {
		if w == label {
			p.u.setAppearance(a)
		}
	}
}

func (p *settingsPanel) onChooseCA() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			p.showProblem(p.u.p.T("ui.settings.ca.open-failed", "Detail", plainError(p.u.p, err)))
			return
		}
		if r == nil {
			return // cancelled
		}
		defer r.Close()
		p.caFile.SetText(r.URI().Path())
	}, p.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pem", ".crt", ".cer"}))
	d.SetConfirmText(p.u.p.T("ui.settings.ca.use"))
	d.SetDismissText(p.u.p.T("ui.button.cancel"))
	p.u.showDialog(d)
}

func (p *settingsPanel) showProblem(msg string) {
	p.problem.SetText(msg)
	p.problem.Show()
}

// timeoutValue is the chosen overall deadline.
func (p *settingsPanel) timeoutValue() time.Duration {
	for _, s := range timeouts {
		if p.timeoutLabel(s) == p.timeout.Selected {
			return time.Duration(s) * time.Second
		}
	}
	return detect.DefaultTimeout
}

// options builds engine options from the settings. An error says, in plain
// words, which setting is wrong; it is shown in the panel too.
func (p *settingsPanel) options() (*detect.Options, error) {
	o := &detect.Options{Timeout: p.timeoutValue(), NoISPDB: !p.ispdb.Checked, Printer: p.u.p}
	if s := strings.TrimSpace(p.resolver.Text); s != "" {
		addr, err := resolverAddress(s)
		if err != nil {
			p.showProblem(plainError(p.u.p, err))
			return nil, err
		}
		o.Resolver = resolver.New(addr)
	}
	if path := strings.TrimSpace(p.caFile.Text); path != "" {
		pool, err := loadCAFile(path)
		if err != nil {
			p.showProblem(plainError(p.u.p, err))
			return nil, err
		}
		o.RootCAs = pool
	}
	return o, nil
}

// resolverAddress checks a DNS server address; a bare host or IP gets port 53.
func resolverAddress(s string) (string, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		if ip := net.ParseIP(s); ip != nil || !strings.Contains(s, ":") {
			host, port = s, "53"
		} else {
			return "", sayError(fmt.Errorf("the DNS server %q is not HOST:PORT (for example 192.0.2.53:53)", s), "ui.settings.resolver.not-hostport", "Value", s)
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", sayError(fmt.Errorf("the DNS server's port %q is not a number from 1 to 65535", port), "ui.settings.resolver.bad-port", "Port", port)
	}
	if host == "" {
		return "", sayError(errors.New("the DNS server has no host name or IP address before the port"), "ui.settings.resolver.no-host")
	}
	return net.JoinHostPort(host, port), nil
}

// loadCAFile reads PEM CA certificates and adds them to the system's roots.
func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, sayError(fmt.Errorf("the extra CA file cannot be read: %w", err), "ui.settings.ca.unreadable", "File", path)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, sayError(fmt.Errorf("the extra CA file %s holds no PEM certificate", path), "ui.settings.ca.no-pem", "File", path)
	}
	return pool, nil
}
