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
)

// Preference keys of the settings, kept between runs of the app.
const (
	prefResolver   = "resolver"
	prefISPDB      = "ispdb"
	prefTimeout    = "timeout_seconds"
	prefCAFile     = "ca_file"
	prefAppearance = "appearance"
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
	problem    *widget.Label
	content    fyne.CanvasObject
}

var appearanceWords = map[Appearance]string{
	AppearanceSystem: "Follow system",
	AppearanceLight:  "Light",
	AppearanceDark:   "Dark",
}

func newSettingsPanel(u *UI) *settingsPanel {
	p := &settingsPanel{u: u}
	p.buildUI()
	return p
}

func (p *settingsPanel) buildUI() {
	prefs := p.u.app.Preferences()
	p.resolver = newEntry("system default (/etc/resolv.conf)")
	p.resolver.SetText(prefs.String(prefResolver))
	p.resolver.OnChanged = func(s string) { prefs.SetString(prefResolver, strings.TrimSpace(s)); p.problem.Hide() }

	p.ispdb = &widget.Check{Text: "Ask Mozilla's ISP database", Checked: prefs.BoolWithFallback(prefISPDB, true),
		OnChanged: func(b bool) { prefs.SetBool(prefISPDB, b) }}

	var labels []string
	for _, s := range timeouts {
		labels = append(labels, timeoutLabel(s))
	}
	p.timeout = &widget.Select{Options: labels, OnChanged: p.onTimeout}
	p.timeout.SetSelected(timeoutLabel(prefs.IntWithFallback(prefTimeout, int(detect.DefaultTimeout/time.Second))))

	p.caFile = newEntry("none")
	p.caFile.SetText(prefs.String(prefCAFile))
	p.caFile.OnChanged = func(s string) { prefs.SetString(prefCAFile, strings.TrimSpace(s)); p.problem.Hide() }
	choose := &widget.Button{Text: "Choose…", Icon: theme.FolderOpenIcon(), OnTapped: p.onChooseCA}
	clearCA := &widget.Button{Icon: theme.ContentClearIcon(), Importance: widget.LowImportance, OnTapped: func() { p.caFile.SetText("") }}

	p.clientID = newEntry("the provider's")
	p.clientID.SetText(prefs.String(prefOAuthClientID))
	p.clientID.OnChanged = func(s string) { prefs.SetString(prefOAuthClientID, strings.TrimSpace(s)) }

	p.appearance = &widget.RadioGroup{Horizontal: true,
		Options:   []string{appearanceWords[AppearanceSystem], appearanceWords[AppearanceLight], appearanceWords[AppearanceDark]},
		OnChanged: p.onAppearance}
	p.appearance.SetSelected(appearanceWords[p.u.appearance()])

	p.problem = &widget.Label{Importance: widget.DangerImportance, Wrapping: fyne.TextWrapWord}
	p.problem.Hide()

	form := &widget.Form{Items: []*widget.FormItem{
		{Text: "DNS server", Widget: p.resolver,
			HintText: "HOST:PORT that answers every lookup; empty means the system's."},
		{Text: "ISP database", Widget: p.ispdb,
			HintText: "Sends the domain (never your address) to autoconfig.thunderbird.net."},
		{Text: "Time limit", Widget: p.timeout},
		{Text: "Extra trusted CA", Widget: container.NewBorder(nil, nil, nil, container.NewHBox(choose, clearCA), p.caFile),
			HintText: "A PEM file of CA certificates to trust besides the system's (a company CA)."},
		{Text: "OAuth2 client ID", Widget: p.clientID,
			HintText: "Only if your organisation registered its own application with your provider; empty uses the provider's."},
		{Text: "Appearance", Widget: p.appearance},
	}}
	p.content = container.NewVBox(form, p.problem)
}

func timeoutLabel(seconds int) string { return fmt.Sprintf("%d seconds", seconds) }

func (p *settingsPanel) onTimeout(label string) {
	for _, s := range timeouts {
		if timeoutLabel(s) == label {
			p.u.app.Preferences().SetInt(prefTimeout, s)
		}
	}
}

func (p *settingsPanel) onAppearance(label string) {
	for a, w := range appearanceWords {
		if w == label {
			p.u.setAppearance(a)
		}
	}
}

func (p *settingsPanel) onChooseCA() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			p.showProblem("Could not open the file: " + plainError(err))
			return
		}
		if r == nil {
			return // cancelled
		}
		defer r.Close()
		p.caFile.SetText(r.URI().Path())
	}, p.u.win)
	d.SetFilter(storage.NewExtensionFileFilter([]string{".pem", ".crt", ".cer"}))
	d.SetConfirmText("Use this CA")
	p.u.showDialog(d)
}

func (p *settingsPanel) showProblem(msg string) {
	p.problem.SetText(msg)
	p.problem.Show()
}

// timeoutValue is the chosen overall deadline.
func (p *settingsPanel) timeoutValue() time.Duration {
	for _, s := range timeouts {
		if timeoutLabel(s) == p.timeout.Selected {
			return time.Duration(s) * time.Second
		}
	}
	return detect.DefaultTimeout
}

// options builds engine options from the settings. An error says, in plain
// words, which setting is wrong; it is shown in the panel too.
func (p *settingsPanel) options() (*detect.Options, error) {
	o := &detect.Options{Timeout: p.timeoutValue(), NoISPDB: !p.ispdb.Checked}
	if s := strings.TrimSpace(p.resolver.Text); s != "" {
		addr, err := resolverAddress(s)
		if err != nil {
			p.showProblem(plainError(err))
			return nil, err
		}
		o.Resolver = resolver.New(addr)
	}
	if path := strings.TrimSpace(p.caFile.Text); path != "" {
		pool, err := loadCAFile(path)
		if err != nil {
			p.showProblem(plainError(err))
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
			return "", fmt.Errorf("the DNS server %q is not HOST:PORT (for example 192.0.2.53:53)", s)
		}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("the DNS server's port %q is not a number from 1 to 65535", port)
	}
	if host == "" {
		return "", errors.New("the DNS server has no host name or IP address before the port")
	}
	return net.JoinHostPort(host, port), nil
}

// loadCAFile reads PEM CA certificates and adds them to the system's roots.
func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("the extra CA file cannot be read: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("the extra CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}
