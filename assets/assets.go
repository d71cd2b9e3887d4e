// Package assets holds the resources bundled into the desktop app: its
// icon, drawn by genicon.go.
package assets

//go:generate go run genicon.go

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

// Icon is the application icon (512×512 PNG): a white envelope with a green
// check-mark badge on a blue rounded square. FyneApp.toml names the same
// file for `fyne package`.
var Icon fyne.Resource = &fyne.StaticResource{StaticName: "icon.png", StaticContent: iconPNG}
