package ui_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/canvas"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/ui"
)

func TestExportTabShowsQR(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("demo.test"))
	h.tabs().SelectIndex(2)
	var qr *canvas.Image
	for _, o := range h.objects() {
		if img, ok := o.(*canvas.Image); ok && img.MinSize().Width >= 300 {
			qr = img
		}
	}
	if qr == nil {
		t.Fatalf("no QR code on the Export tab: %q", h.texts())
	}
	if qr.FillMode != canvas.ImageFillContain {
		t.Errorf("QR fill mode %v, want contain", qr.FillMode)
	}
	if qr.Resource == nil || !bytes.HasPrefix(qr.Resource.Content(), []byte("\x89PNG")) {
		t.Error("the QR image is not a PNG resource")
	}
	for _, f := range ui.Formats {
		if b := h.button("Save…"); b.Disabled() {
			t.Errorf("%s: Save is disabled for a verified result", f.Title)
		}
	}
}

func TestExportTabNothingVerified(t *testing.T) {
	h := newHarness(t, startLab(t, lab.Options{}))
	h.detect(lab.User("nostarttls.test"))
	h.tabs().SelectIndex(2)
	if !h.has("Nothing verified to export") {
		t.Errorf("no explanation on the Export tab: %q", h.texts())
	}
	for _, o := range h.objects() {
		if img, ok := o.(*canvas.Image); ok && img.MinSize().Width >= 300 {
			t.Error("a QR code is shown for unverified settings")
		}
	}
}

// detectLab runs the engine on a lab address, as the app does.
func detectLab(t *testing.T, l *lab.Lab, domain string) *detect.Report {
	t.Helper()
	rep, err := detect.Run(context.Background(), lab.User(domain), l.DetectOptions())
	if err != nil {
		t.Fatalf("detect.Run(%s) = %v", domain, err)
	}
	return rep
}

func TestExport(t *testing.T) {
	l := startLab(t, lab.Options{})
	rep := detectLab(t, l, "demo.test")
	want := map[ui.Format]string{
		ui.FormatAutoconfig:   "<clientConfig",
		ui.FormatAutodiscover: "<Autodiscover",
		ui.FormatThunderbird:  `user_pref("mail.server.`,
		ui.FormatApple:        "com.apple.mail.managed",
		ui.FormatQR:           "\x89PNG",
		ui.FormatJSON:         `"address": "alice@demo.test"`,
		ui.FormatHTML:         "<html",
		ui.FormatZone:         "_imaps._tcp",
		ui.FormatPACC:         `"protocols"`,
	}
	for _, f := range ui.Formats {
		data, err := export.Write(rep, f.Format, &export.Options{Name: "Alice Example"})
		if err != nil {
			t.Errorf("Export(%s) = %v", f.Format, err)
			continue
		}
		if !bytes.Contains(data, []byte(want[f.Format])) {
			t.Errorf("Export(%s) lacks %q:\n%.300s", f.Format, want[f.Format], data)
		}
		if f.Format != ui.FormatQR && f.Format != ui.FormatJSON && f.Format != ui.FormatHTML &&
			f.Format != ui.FormatZone && !bytes.Contains(data, []byte("mail.demo.test")) {
			t.Errorf("Export(%s) does not name mail.demo.test", f.Format)
		}
		if !strings.HasSuffix(export.FileName(rep, f.Format), f.Ext) {
			t.Errorf("FileName(%s) = %q, want extension %s", f.Format, export.FileName(rep, f.Format), f.Ext)
		}
	}
	// The autoconfig file reads back with the verified servers.
	data, _ := export.Write(rep, ui.FormatAutoconfig, nil)
	cfg, err := autoconfig.ReadMozilla(bytes.NewReader(data), autoconfig.Vars{Address: rep.Address, LocalPart: "alice", Domain: rep.Domain})
	if err != nil {
		t.Fatalf("ReadMozilla(exported) = %v", err)
	}
	if len(cfg.Incoming) == 0 || cfg.Incoming[0].Hostname != "mail.demo.test" || cfg.Incoming[0].Port != 993 {
		t.Errorf("exported autoconfig incoming = %+v", cfg.Incoming)
	}
}

func TestExportNothingVerified(t *testing.T) {
	l := startLab(t, lab.Options{})
	rep := detectLab(t, l, "nostarttls.test")
	for _, f := range ui.Formats {
		_, err := export.Write(rep, f.Format, nil)
		if f.Settings && !errors.Is(err, detect.ErrNothingVerified) {
			t.Errorf("Export(%s) of unverified settings = %v, want ErrNothingVerified", f.Format, err)
		}
		if !f.Settings && err != nil {
			t.Errorf("Export(%s) = %v, want the report", f.Format, err)
		}
	}
}

func TestExportSignedAppleProfile(t *testing.T) {
	l := startLab(t, lab.Options{})
	rep := detectLab(t, l, "demo.test")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Mailsetup test signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	s, err := autoconfig.LoadSignerPEM(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
	if err != nil {
		t.Fatalf("LoadSignerPEM = %v", err)
	}
	signed, err := export.Write(rep, ui.FormatApple, &export.Options{Signer: s})
	if err != nil {
		t.Fatalf("Export(apple, signed) = %v", err)
	}
	unsigned, _ := export.Write(rep, ui.FormatApple, nil)
	if bytes.HasPrefix(signed, []byte("<?xml")) || !bytes.HasPrefix(unsigned, []byte("<?xml")) {
		t.Errorf("signed profile starts %q, unsigned %q: want CMS and XML", signed[:8], unsigned[:8])
	}
	if bytes.Contains(signed, []byte(lab.Password)) || bytes.Contains(unsigned, []byte(lab.Password)) {
		t.Error("a profile carries the password")
	}
}
