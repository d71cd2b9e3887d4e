package ui

import (
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// demoCases are the lab domains the demo offers, with what each shows.
// Only those the lab knows are listed.
var demoCases = []struct{ domain, about string }{
	{"demo.test", "secure: a well-run domain"},
	{"srvout.test", "works with caveats: unsigned DNS records pointing to another domain"},
	{"oauth.test", "secure: a provider that signs in only with OAuth2, like Gmail"},
	{"nostarttls.test", "unsafe: encryption stripped (no STARTTLS)"},
	{"badcert.test", "unsafe: certificate for another name"},
	{"danebad.test", "unsafe: key differs from the domain's DANE record"},
	{"bogus.test", "unsafe: DNSSEC signatures fail"},
	{"starttls.test", "secure, but STARTTLS only"},
	{"mx.test", "caveats: found through the mail provider (MX)"},
	{"plain.test", "unsafe: unencrypted servers only"},
	{"silent.test", "a server that never answers"},
	{"nothing.test", "nothing published at all"},
}

// demoCard is the "Try the demo" card of the start screen.
type demoCard struct {
	u       *UI
	choice  *widget.Select
	run     *widget.Button
	options map[string]string // option text → address
	card    *widget.Card
}

func newDemoCard(u *UI) *demoCard {
	d := &demoCard{u: u, options: map[string]string{}}
	d.buildUI()
	return d
}

func (d *demoCard) buildUI() {
	known := map[string]bool{}
	for _, s := range lab.Scenarios {
		known[s.Domain] = true
	}
	var labels []string
	for _, c := range demoCases {
		if !known[c.domain] {
			continue
		}
		l := lab.User(c.domain) + " — " + c.about
		d.options[l] = lab.User(c.domain)
		labels = append(labels, l)
	}
	d.choice = &widget.Select{Options: labels, PlaceHolder: "Pick a case"}
	if len(labels) > 0 {
		d.choice.SetSelected(labels[0])
	}
	d.run = &widget.Button{Text: "Run demo", Icon: theme.MediaPlayIcon(), OnTapped: d.onRun}
	d.card = panel("Try the demo — no network needed",
		wrapped("A small test world runs inside the app, on this computer only: DNS, web and mail servers, some with faults on purpose. Pick a case to see how Mailsetup reports it."),
		container.NewBorder(nil, nil, nil, d.run, d.choice),
	)
}

// onRun starts the chosen demo case.
func (d *demoCard) onRun() {
	addr, ok := d.options[d.choice.Selected]
	if !ok {
		return
	}
	d.u.start.address.SetText(addr)
	d.u.startDemo(addr, strings.TrimSpace(d.u.start.name.Text))
}

// startDemo runs a detection of address against a fresh lab, which lives
// until the next run starts or the app quits (the password check needs it).
func (u *UI) startDemo(address, name string) {
	latency := u.cfg.DemoLatency
	switch {
	case latency == 0:
		latency = 40 * time.Millisecond
	case latency < 0:
		latency = 0
	}
	u.startRun(address, name, true, func(s *session) (*detect.Options, error) {
		l, err := lab.Start(lab.Options{Latency: latency})
		if err != nil {
			return nil, fmt.Errorf("the demo could not start: %w", err)
		}
		dir, err := os.MkdirTemp("", "mailsetup-demo-")
		if err == nil {
			err = lab.WriteLocalDir(dir)
		}
		if err != nil {
			l.Close()
			os.RemoveAll(dir)
			return nil, fmt.Errorf("the demo could not start: %w", err)
		}
		if !s.setLab(l, dir) {
			l.Close()
			os.RemoveAll(dir)
			return nil, fmt.Errorf("the demo was cancelled")
		}
		o := l.DetectOptions()
		o.LocalDir = dir
		o.Timeout = 10 * time.Second
		return o, nil
	})
}
