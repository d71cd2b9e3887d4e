// Package labreport runs scenarios of the loopback lab (internal/lab) for
// golden-file and language tests, and fixes the values of a report that
// change from run to run (times, certificate dates, temporary folders) so
// that two runs render the same bytes.
package labreport

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/i18n"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// World is a started lab with its local settings folder.
type World struct {
	lab *lab.Lab
	dir string
}

// Start starts a lab and writes its local settings folder. Close it.
func Start() (*World, error) {
	l, err := lab.Start(lab.Options{})
	if err != nil {
		return nil, fmt.Errorf("labreport: %w", err)
	}
	dir, err := os.MkdirTemp("", "labreport-")
	if err == nil {
		err = lab.WriteLocalDir(dir)
	}
	if err != nil {
		l.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("labreport: %w", err)
	}
	return &World{lab: l, dir: dir}, nil
}

// Domains are the domains of every lab scenario.
func Domains() []string {
	var out []string
	for _, s := range lab.Scenarios {
		out = append(out, s.Domain)
	}
	return out
}

// Close stops the lab and removes its folder.
func (w *World) Close() {
	w.lab.Close()
	os.RemoveAll(w.dir)
}

// Detect runs a detection of the lab scenario domain (its user
// alice@domain) with its sentences in p's language, and returns the report
// made stable with [Stabilize].
func (w *World) Detect(ctx context.Context, domain string, p *i18n.Printer) (*detect.Report, error) {
	return w.DetectWith(ctx, domain, p, nil)
}

// DetectWith is [World.Detect] with options changed by modify (nil: none),
// e.g. to watch the progress events.
func (w *World) DetectWith(ctx context.Context, domain string, p *i18n.Printer, modify func(*detect.Options)) (*detect.Report, error) {
	o := w.lab.DetectOptions()
	o.LocalDir = w.dir
	o.Timeout = 10 * time.Second
	o.Printer = p
	o.Exhaustive = true // the same sources every run, not the first to answer
	if modify != nil {
		modify(o)
	}
	rep, err := detect.Run(ctx, lab.User(domain), o)
	if err != nil {
		return nil, err
	}
	Stabilize(rep, w.dir)
	return rep, nil
}

// noteTime is the time at the end of a transcript's note ("connected to
// 127.77.0.6:993 in 730µs").
var noteTime = regexp.MustCompile(` in [0-9.]+(µs|ms|s)$`)

// Stabilize fixes the values of rep that change from run to run: every
// time becomes zero, certificate validity becomes 2026-01-01 to
// 2027-01-01, the folder dir becomes LOCALDIR, key digests are dropped,
// and so is every probe's goodbye (see [withoutGoodbye]).
func Stabilize(rep *detect.Report, dir string) {
	rep.ElapsedMS = 0
	for i := range rep.Sources {
		s := &rep.Sources[i]
		s.ElapsedMS = 0
		s.Detail = strings.ReplaceAll(s.Detail, dir, "LOCALDIR")
		for j := range s.Queries {
			s.Queries[j] = strings.ReplaceAll(s.Queries[j], dir, "LOCALDIR")
		}
	}
	for _, list := range [][]detect.Server{rep.Incoming, rep.Outgoing} {
		for i := range list {
			p := &list[i].Probe
			p.ElapsedMS = 0
			for j := range p.Tried {
				p.Tried[j].ElapsedMS = 0
			}
			p.Transcript = withoutGoodbye(p.Transcript)
			for j := range p.Transcript {
				l := &p.Transcript[j]
				l.AtMS = 0
				if l.From == "note" {
					l.Text = noteTime.ReplaceAllString(l.Text, "")
				}
			}
			if c := p.Cert; c != nil {
				c.NotBefore, c.NotAfter = "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"
				c.SPKISHA256 = ""
			}
			l := &list[i].Login
			l.ElapsedMS = 0
		}
	}
}

// withoutGoodbye returns t without the probe's goodbye at its end (the
// client's QUIT or LOGOUT and the server's answer): the engine counts a
// probe's outcome once its checks passed, and its transcript holds the
// goodbye only when the answer came while the run lasted, which varies
// from run to run.
func withoutGoodbye(t []detect.TranscriptLine) []detect.TranscriptLine {
	for i := len(t) - 1; i >= 0; i-- {
		switch t[i].From {
		case "server":
			continue
		case "client":
			cmd := strings.ToUpper(t[i].Text)
			if cmd == "QUIT" || strings.HasSuffix(cmd, " LOGOUT") {
				return t[:i]
			}
		}
		break
	}
	return t
}
