package i18n

import (
	"strconv"
	"strings"
	"time"
)

// Typographic spaces of French.
const (
	NBSP  = "\u00a0" // before ":" and inside « », between a number and its unit
	NNBSP = "\u202f" // before ";", "!" and "?"
)

// Decimal formats f with prec decimals: "1.5" in English, "1,5" in French.
func (p *Printer) Decimal(f float64, prec int) string {
	s := strconv.FormatFloat(f, 'f', prec, 64)
	if p.Lang() == French {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// unitSpace separates a number from its unit.
func (p *Printer) unitSpace() string {
	if p.Lang() == French {
		return NBSP
	}
	return " "
}

// Millis formats a duration given in milliseconds: "40 ms", "1.2 s"
// ("1,2 s" in French).
func (p *Printer) Millis(ms int64) string {
	if ms < 1000 {
		return strconv.FormatInt(ms, 10) + p.unitSpace() + "ms"
	}
	return p.Seconds(float64(ms) / 1000)
}

// Seconds formats seconds with one decimal: "1.2 s", "1,2 s".
func (p *Printer) Seconds(s float64) string {
	return p.Decimal(s, 1) + p.unitSpace() + "s"
}

// Date formats the day of t: "6 December 2026", "6 décembre 2026"
// ("1er décembre 2026").
func (p *Printer) Date(t time.Time) string {
	month := p.T(monthIDs[t.Month()-1])
	day := strconv.Itoa(t.Day())
	if p.Lang() == French && t.Day() == 1 {
		day = "1er"
	}
	return day + " " + month + " " + strconv.Itoa(t.Year())
}

// DateTime formats t in UTC: "6 December 2026, 15:04 UTC",
// "6 décembre 2026 à 15:04 UTC".
func (p *Printer) DateTime(t time.Time) string {
	t = t.UTC()
	return p.T("format.datetime", "Date", p.Date(t), "Time", t.Format("15:04"))
}

// Quote puts s between quotation marks: “s”, « s ».
func (p *Printer) Quote(s string) string {
	if p.Lang() == French {
		return "«" + NBSP + s + NBSP + "»"
	}
	return "“" + s + "”"
}

var monthIDs = [12]string{"month.january", "month.february", "month.march", "month.april", "month.may", "month.june",
	"month.july", "month.august", "month.september", "month.october", "month.november", "month.december"}
