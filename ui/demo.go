package ui

import (
	"errors"
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
	{"demo.test", "ui.demo.case.demo"},
	{"srvout.test", "ui.demo.case.srvout"},
	{"oauth.test", "ui.demo.case.oauth"},
	{"nostarttls.test", "ui.demo.case.nostarttls"},
	{"badcert.test", "ui.demo.case.badcert"},
	{"danebad.test", "ui.demo.case.danebad"},
	{"bogus.test", "ui.demo.case.bogus"},
	{"starttls.test", "ui.demo.case.starttls"},
	{"mx.test", "ui.demo.case.mx"},
	{"plain.test", "ui.demo.case.plain"},
	{"silent.test", "ui.demo.case.silent"},
	{"nothing.test", "ui.demo.case.nothing"},
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
		l := lab.User(c.domain) + " — " + d.u.p.T(c.about)
		d.options[l] = lab.User(c.domain)
		labels = append(labels, l)
	}
	d.choice = &widget.Select{Options: labels, PlaceHolder: d.u.p.T("ui.demo.pick")}
	if len(labels) > 0 {
		d.choice.SetSelected(labels[0])
	}
	d.run = &widget.Button{Text: d.u.p.T("ui.demo.run"), Icon: theme.MediaPlayIcon(), OnTapped: d.onRun}
	d.card = panel(d.u.p.T("ui.demo.title"),
		wrapped(d.u.p.T("ui.demo.explain")),
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
			return nil, sayError(fmt.Errorf("the demo could not start: %w", err), "ui.demo.failed", "Detail", err.Error())
		}
		dir, err := os.MkdirTemp("", "mailsetup-demo-")
		if err == nil {
			err = lab.WriteLocalDir(dir)
		}
		if err != nil {
			l.Close()
			os.RemoveAll(dir)
			return nil, sayError(fmt.Errorf("the demo could not start: %w", err), "ui.demo.failed", "Detail", err.Error())
		}
		if !s.setLab(l, dir) {
			l.Close()
			os.RemoveAll(dir)
			return nil, sayError(errors.New("the demo was cancelled"), "ui.demo.cancelled")
		}
		o := l.DetectOptions()
		o.LocalDir = dir
		o.Timeout = 10 * time.Second
		return o, nil
	})
}
