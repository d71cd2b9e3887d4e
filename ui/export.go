package ui

import (
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
	p := t.r.u.p
	_, err := rep.Config(nil)
	verified := err == nil
	var list []fyne.CanvasObject
	if !verified {
		list = append(list, tinted(theme.ColorNameWarning, iconLine(levelIcon(levelCaveats),
			wrapped(p.T("ui.export.nothing-verified")))))
	}
	for _, f := range Formats {
		b := &widget.Button{Text: p.T("ui.export.save"), Icon: theme.DocumentSaveIcon(), OnTapped: func() { t.onSave(f) }}
		if f.Settings && !verified {
			b.Disable()
		}
		list = append(list, container.NewBorder(nil, nil, nil, container.NewCenter(b),
			container.NewVBox(bold(p.T(f.Title)), caption(p.T(f.Use)))))
		if f.Format == FormatApple && verified {
			list = append(list, t.signingUI())
		}
		list = append(list, widget.NewSeparator())
	}
	files := panel(p.T("ui.export.title"), list[:len(list)-1]...)
	parts := []fyne.CanvasObject{files}
	if verified {
		parts = append([]fyne.CanvasObject{t.qrCard()}, parts...)
	}
	t.content = container.NewVScroll(centered(1200, container.NewPadded(columns(380, parts...))))
}

// qrCard shows the QR code for Thunderbird for Android, about 320 px.
func (t *exportTab) qrCard() fyne.CanvasObject {
	p := t.r.u.p
	png, err := export.Write(t.r.s.rep, FormatQR, &export.Options{Name: t.r.s.name, QRSize: qrSize, Printer: p})
	if err != nil {
		return panel(p.T("ui.export.qr.phone"), wrapped(p.T("ui.export.qr.none", "Detail", exportError(p, err))))
	}
	t.qr = canvas.NewImageFromResource(fyne.NewStaticResource(export.FileName(t.r.s.rep, FormatQR), png))
	t.qr.FillMode = canvas.ImageFillContain
	t.qr.ScaleMode = canvas.ImageScalePixels
	t.qr.SetMinSize(fyne.NewSquareSize(320))
	return panel(p.T("ui.export.qr.title"),
		container.NewCenter(t.qr),
		wrapped(p.T("ui.export.qr.help")),
	)
}

// signingUI lets the user pick a certificate and key, or a .p12 file, to
// sign the Apple profile with.
func (t *exportTab) signingUI() fyne.CanvasObject {
	p := t.r.u.p
	t.signed = &widget.Label{Text: p.T("ui.sign.unsigned"), Wrapping: fyne.TextWrapWord}
	cert := &widget.Button{Text: p.T("ui.sign.cert"), OnTapped: func() { t.pick(p.T("ui.sign.what.cert"), []string{".pem", ".crt", ".cer"}, t.onCert) }}
	key := &widget.Button{Text: p.T("ui.sign.key"), OnTapped: func() { t.pick(p.T("ui.sign.what.key"), []string{".pem", ".key"}, t.onKey) }}
	p12 := &widget.Button{Text: p.T("ui.sign.p12"), OnTapped: func() { t.pick(p.T("ui.sign.what.p12"), []string{".p12", ".pfx"}, t.onP12) }}
	t.p12pw = newPasswordEntry(p.T("ui.sign.p12-password"))
	t.p12pw.OnSubmitted = func(string) { t.loadP12() }
	use := &widget.Button{Text: p.T("ui.sign.use"), OnTapped: t.loadP12}
	unsign := &widget.Button{Text: p.T("ui.sign.dont"), Importance: widget.LowImportance, OnTapped: func() {
		t.signer, t.certPEM, t.keyPEM, t.p12 = nil, nil, nil, nil
		t.signed.SetText(p.T("ui.sign.unsigned"))
	}}
	body := container.NewVBox(
		caption(p.T("ui.sign.how")),
		container.NewGridWithColumns(2, cert, key),
		container.NewBorder(nil, nil, p12, use, t.p12pw),
		container.NewBorder(nil, nil, nil, unsign, t.signed),
	)
	return widget.NewAccordion(widget.NewAccordionItem(p.T("ui.sign.title"), body))
}

// pick opens a file and hands its bytes to use.
func (t *exportTab) pick(what string, exts []string, use func([]byte)) {
	d := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		if err != nil {
			t.signed.SetText(t.r.u.p.T("ui.sign.open-failed", "What", what, "Detail", plainError(t.r.u.p, err)))
			return
		}
		if rc == nil {
			return
		}
		defer rc.Close()
		data, err := os.ReadFile(rc.URI().Path())
		if err != nil {
			t.signed.SetText(t.r.u.p.T("ui.sign.read-failed", "What", what, "Detail", plainError(t.r.u.p, err)))
			return
		}
		use(data)
	}, t.r.u.win)
	d.SetFilter(storage.NewExtensionFileFilter(exts))
	d.SetConfirmText(t.r.u.p.T("ui.button.open"))
	d.SetDismissText(t.r.u.p.T("ui.button.cancel"))
	t.r.u.showDialog(d)
}

func (t *exportTab) onCert(b []byte) { t.certPEM = b; t.loadPEM() }
func (t *exportTab) onKey(b []byte)  { t.keyPEM = b; t.loadPEM() }
func (t *exportTab) onP12(b []byte) {
	t.p12 = b
	t.signed.SetText(t.r.u.p.T("ui.sign.type-p12"))
	t.r.u.win.Canvas().Focus(t.p12pw)
}

func (t *exportTab) loadPEM() {
	switch {
	case t.certPEM == nil:
		t.signed.SetText(t.r.u.p.T("ui.sign.pick-cert"))
	case t.keyPEM == nil:
		t.signed.SetText(t.r.u.p.T("ui.sign.pick-key"))
	default:
		s, err := autoconfig.LoadSignerPEM(t.certPEM, t.keyPEM)
		t.setSigner(s, err)
	}
}

func (t *exportTab) loadP12() {
	if t.p12 == nil {
		t.signed.SetText(t.r.u.p.T("ui.sign.pick-p12"))
		return
	}
	s, err := autoconfig.LoadSignerP12(t.p12, t.p12pw.Text)
	t.p12pw.SetText("")
	t.setSigner(s, err)
}

func (t *exportTab) setSigner(s *autoconfig.Signer, err error) {
	if err != nil {
		t.signer = nil
		t.signed.SetText(t.r.u.p.T("ui.sign.cannot", "Detail", plainError(t.r.u.p, err)))
		return
	}
	t.signer = s
	c := s.Certificate()
	t.signed.SetText(t.r.u.p.T("ui.sign.signed", "Subject", c.Subject.String(), "Until", t.r.u.p.Date(c.NotAfter)))
}

// onSave renders f and asks where to save it.
func (t *exportTab) onSave(f FormatInfo) {
	rep := t.r.s.rep
	p := t.r.u.p
	data, err := export.Write(rep, f.Format, &export.Options{Name: t.r.s.name, Signer: t.signer, QRSize: qrSize, Generated: time.Now(), Printer: p})
	if err != nil {
		t.r.u.showInfo(p.T("ui.export.cannot"), exportError(p, err))
		return
	}
	if notes := export.Notes(rep, f.Format); len(notes) > 0 {
		d := dialog.NewInformation(p.T("ui.export.notes-title"), strings.Join(notes, " "), t.r.u.win)
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
			r.setStatus(r.u.p.T("ui.save.failed", "Detail", plainError(r.u.p, err)))
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
			r.u.showInfo(r.u.p.T("ui.save.failed.title"), plainError(r.u.p, err))
			return
		}
		r.setStatus(r.u.p.N("ui.save.done", len(data), "Path", w.URI().Path()))
	}, r.u.win)
	d.SetFileName(name)
	d.SetConfirmText(r.u.p.T("ui.button.save"))
	d.SetDismissText(r.u.p.T("ui.button.cancel"))
	if ext != "" {
		d.SetFilter(storage.NewExtensionFileFilter([]string{ext}))
	}
	r.u.showDialog(d)
}
