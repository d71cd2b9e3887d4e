package ui

import (
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/export"
)

// exportTab offers every export format through a save dialog, and shows
// the QR code large enough for a phone to scan.
type exportTab struct {
	r *resultScreen

	qr      *canvas.Image // nil when nothing was verified
	signer  *autoconfig.Signer
	certPEM []byte
	keyPEM  []byte
	signed  *widget.Label
	p12pw   *entry
	p12     []byte
	content fyne.CanvasObject
}

func newExportTab(r *resultScreen) *exportTab {
	t := &exportTab{r: r}
	t.buildUI()
	return t
}

func (t *exportTab) buildUI() {
	rep := t.r.s.rep
	_, err := rep.Config(nil)
	verified := err == nil
	var list []fyne.CanvasObject
	if !verified {
		list = append(list, tinted(theme.ColorNameWarning, iconLine(levelIcon(levelCaveats),
			wrapped("Nothing verified to export: settings files are only written for servers whose TLS connection passed the checks. The reports below describe what was found."))))
	}
	for _, f := range Formats {
		b := &widget.Button{Text: "Save…", Icon: theme.DocumentSaveIcon(), OnTapped: func() { t.onSave(f) }}
		if f.Settings && !verified {
			b.Disable()
		}
		list = append(list, container.NewBorder(nil, nil, nil, container.NewCenter(b),
			container.NewVBox(bold(f.Title), caption(f.Use))))
		if f.Format == FormatApple && verified {
			list = append(list, t.signingUI())
		}
		list = append(list, widget.NewSeparator())
	}
	files := panel("Save settings and reports", list[:len(list)-1]...)
	parts := []fyne.CanvasObject{files}
	if verified {
		parts = append([]fyne.CanvasObject{t.qrCard()}, parts...)
	}
	t.content = container.NewVScroll(centered(1200, container.NewPadded(columns(380, parts...))))
}

// qrCard shows the QR code for Thunderbird for Android, about 320 px.
func (t *exportTab) qrCard() fyne.CanvasObject {
	png, err := export.Write(t.r.s.rep, FormatQR, &export.Options{Name: t.r.s.name, QRSize: qrSize})
	if err != nil {
		return panel("QR code for your phone", wrapped("No QR code. "+exportError(err)))
	}
	t.qr = canvas.NewImageFromResource(fyne.NewStaticResource(export.FileName(t.r.s.rep, FormatQR), png))
	t.qr.FillMode = canvas.ImageFillContain
	t.qr.ScaleMode = canvas.ImageScalePixels
	t.qr.SetMinSize(fyne.NewSquareSize(320))
	return panel("QR code for Thunderbird for Android",
		container.NewCenter(t.qr),
		wrapped("In Thunderbird for Android, choose to import settings and scan this code. It holds the server settings and your address, never your password."),
	)
}

// signingUI lets the user pick a certificate and key, or a .p12 file, to
// sign the Apple profile with.
func (t *exportTab) signingUI() fyne.CanvasObject {
	t.signed = &widget.Label{Text: "Not signed: the device will show the profile as unverified.", Wrapping: fyne.TextWrapWord}
	cert := &widget.Button{Text: "Certificate (PEM)…", OnTapped: func() { t.pick("certificate", []string{".pem", ".crt", ".cer"}, t.onCert) }}
	key := &widget.Button{Text: "Key (PEM)…", OnTapped: func() { t.pick("key", []string{".pem", ".key"}, t.onKey) }}
	p12 := &widget.Button{Text: ".p12 file…", OnTapped: func() { t.pick(".p12 file", []string{".p12", ".pfx"}, t.onP12) }}
	t.p12pw = newPasswordEntry()
	t.p12pw.SetPlaceHolder(".p12 password")
	t.p12pw.OnSubmitted = func(string) { t.loadP12() }
	use := &widget.Button{Text: "Use", OnTapped: t.loadP12}
	unsign := &widget.Button{Text: "Don't sign", Importance: widget.LowImportance, OnTapped: func() {
		t.signer, t.certPEM, t.keyPEM, t.p12 = nil, nil, nil, nil
		t.signed.SetText("Not signed: the device will show the profile as unverified.")
	}}
	body := container.NewVBox(
		caption("Sign with a certificate and its key, or with a .p12 file:"),
		container.NewGridWithColumns(2, cert, key),
		container.NewBorder(nil, nil, p12, use, t.p12pw),
		container.NewBorder(nil, nil, nil, unsign, t.signed),
	)
	return widget.NewAccordion(widget.NewAccordionItem("Sign the Apple profile (optional)", body))
}

// pick opens a file and hands its bytes to use.
func (t *exportTab) pick(what string, exts []string, use func([]byte)) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			t.signed.SetText("Could not open the " + what + ": " + plainError(err))
			return
		}
		if rc == nil {
			return
		}
		defer rc.Close()
		data, err := os.ReadFile(rc.URI().Path())
		if err != nil {
			t.signed.SetText("Could not read the " + what + ": " + plainError(err))
			return
		}
		use(data)
	}, t.r.u.win)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	t.r.u.showDialog(d)
}

func (t *exportTab) onCert(b []byte) { t.certPEM = b; t.loadPEM() }
func (t *exportTab) onKey(b []byte)  { t.keyPEM = b; t.loadPEM() }
func (t *exportTab) onP12(b []byte) {
	t.p12 = b
	t.signed.SetText("Type the .p12 password, then Use.")
	t.r.u.win.Canvas().Focus(t.p12pw)
}

func (t *exportTab) loadPEM() {
	switch {
	case t.certPEM == nil:
		t.signed.SetText("Now pick the certificate.")
	case t.keyPEM == nil:
		t.signed.SetText("Now pick the key.")
	default:
		s, err := autoconfig.LoadSignerPEM(t.certPEM, t.keyPEM)
		t.setSigner(s, err)
	}
}

func (t *exportTab) loadP12() {
	if t.p12 == nil {
		t.signed.SetText("Pick the .p12 file first.")
		return
	}
	s, err := autoconfig.LoadSignerP12(t.p12, t.p12pw.Text)
	t.p12pw.SetText("")
	t.setSigner(s, err)
}

func (t *exportTab) setSigner(s *autoconfig.Signer, err error) {
	if err != nil {
		t.signer = nil
		t.signed.SetText("Cannot sign: " + plainError(err))
		return
	}
	t.signer = s
	c := s.Certificate()
	t.signed.SetText(fmt.Sprintf("Signed by %s (valid until %s).", c.Subject.String(), c.NotAfter.Format("2 January 2006")))
}

// onSave renders f and asks where to save it.
func (t *exportTab) onSave(f FormatInfo) {
	rep := t.r.s.rep
	data, err := export.Write(rep, f.Format, &export.Options{Name: t.r.s.name, Signer: t.signer, QRSize: qrSize, Generated: time.Now()})
	if err != nil {
		t.r.u.showDialog(dialog.NewInformation("Cannot export", exportError(err), t.r.u.win))
		return
	}
	if notes := export.Notes(rep, f.Format); len(notes) > 0 {
		d := dialog.NewInformation("About this file", strings.Join(notes, " "), t.r.u.win)
		d.SetOnClosed(func() { t.r.saveFile(export.FileName(rep, f.Format), f.Ext, data) })
		t.r.u.showDialog(d)
		return
	}
	t.r.saveFile(export.FileName(rep, f.Format), f.Ext, data)
}

// saveFile asks where to save data, then writes it.
func (r *resultScreen) saveFile(name, ext string, data []byte) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			r.setStatus("Could not save: " + plainError(err))
			return
		}
		if w == nil {
			return // cancelled
		}
		_, err = w.Write(data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			r.u.showDialog(dialog.NewInformation("Could not save", plainError(err), r.u.win))
			return
		}
		r.setStatus(fmt.Sprintf("Saved %s (%d bytes).", w.URI().Path(), len(data)))
	}, r.u.win)
	d.SetFileName(name)
	if ext != "" {
		d.SetFilter(storage.NewExtensionFileFilter([]string{ext}))
	}
	r.u.showDialog(d)
}
