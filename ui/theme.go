package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Appearance is the user's choice of light or dark theme.
type Appearance string

// The appearances offered in Settings.
const (
	AppearanceSystem Appearance = "system" // follow the desktop's setting
	AppearanceLight  Appearance = "light"
	AppearanceDark   Appearance = "dark"
)

// appTheme is Fyne's default theme with two changes: the user may pin the
// light or dark variant, and the status colours of the light variant are
// darker, so that a verdict's icon and text keep a contrast of at least
// 4.5:1 on a light background (Fyne's bright green is 1.6:1 on white).
type appTheme struct {
	fyne.Theme
	appearance Appearance
}

func newTheme(a Appearance) fyne.Theme {
	return &appTheme{Theme: theme.DefaultTheme(), appearance: a}
}

var (
	lightSuccess = color.NRGBA{R: 0x1b, G: 0x7a, B: 0x3a, A: 0xff}
	lightWarning = color.NRGBA{R: 0xa8, G: 0x55, B: 0x00, A: 0xff}
	lightError   = color.NRGBA{R: 0xc0, G: 0x25, B: 0x25, A: 0xff}
)

// Color returns the colour of name in the pinned variant, or in v when the
// system decides.
func (t *appTheme) Color(name fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	switch t.appearance {
	case AppearanceLight:
		v = theme.VariantLight
	case AppearanceDark:
		v = theme.VariantDark
	}
	if v == theme.VariantLight {
		switch name {
		case theme.ColorNameSuccess:
			return lightSuccess
		case theme.ColorNameWarning:
			return lightWarning
		case theme.ColorNameError:
			return lightError
		}
	}
	return t.Theme.Color(name, v)
}

// levelColor is the theme colour of a verdict level.
func levelColor(l level) fyne.ThemeColorName {
	switch l {
	case levelSecure:
		return theme.ColorNameSuccess
	case levelCaveats:
		return theme.ColorNameWarning
	case levelUnsafe:
		return theme.ColorNameError
	default:
		return theme.ColorNameDisabled
	}
}

// levelIcon is the icon of a verdict level, in its colour: a tick, a
// warning triangle, a cross, a question mark — shapes that differ, so the
// colour is never the only clue.
func levelIcon(l level) fyne.Resource {
	switch l {
	case levelSecure:
		return theme.NewColoredResource(theme.ConfirmIcon(), levelColor(l))
	case levelCaveats:
		return theme.NewColoredResource(theme.WarningIcon(), levelColor(l))
	case levelUnsafe:
		return theme.NewColoredResource(theme.ErrorIcon(), levelColor(l))
	default:
		return theme.NewColoredResource(theme.QuestionIcon(), theme.ColorNameForeground)
	}
}

// severityLevel maps a warning's severity onto the verdict levels, for its
// icon and colour.
func severityIcon(s string) fyne.Resource {
	switch s {
	case "danger":
		return levelIcon(levelUnsafe)
	case "warning":
		return levelIcon(levelCaveats)
	default:
		return theme.NewColoredResource(theme.InfoIcon(), theme.ColorNamePrimary)
	}
}
