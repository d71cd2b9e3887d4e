package export

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/pacc"
)

// paccDocument is the PACC document (draft-ietf-mailmaint-pacc-02) of rep:
// its recommended mail servers and its recommended JMAP, CalDAV and CardDAV
// services, when it has them. The pacc format and the zone's TXT record
// both come from here, so the record's digest is that of the exported
// bytes.
func paccDocument(rep *detect.Report) ([]byte, error) {
	cfg, err := rep.Config(&detect.ConfigOptions{})
	if err != nil {
		return nil, err
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = rep.Domain
	}
	return pacc.Write(cfg)
}

// PACCRecord is the zone-file line that publishes the digest of rep's PACC
// document (as [Write] writes it in the pacc format):
// `_ua-auto-config.D. IN TXT "v=UAAC1; a=sha256; d=..."`.
func PACCRecord(rep *detect.Report) (string, error) {
	doc, err := paccDocument(rep)
	if err != nil {
		return "", err
	}
	return pacc.TXTLine(rep.Domain, pacc.NewRecord(doc).String()), nil
}

// writePACCRecord appends the PACC part of the zone format: where the
// document goes and its TXT record. A report with nothing PACC can
// describe (only STARTTLS servers) adds nothing.
func writePACCRecord(buf *bytes.Buffer, rep *detect.Report) error {
	line, err := PACCRecord(rep)
	if errors.Is(err, pacc.ErrNothingToWrite) {
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(buf, "\n; PACC (draft-ietf-mailmaint-pacc-02): serve the document `mailprobe export\n")
	fmt.Fprintf(buf, "; --format pacc` writes, byte for byte, at %s;\n", pacc.URL(rep.Domain))
	buf.WriteString("; the record holds its SHA-256 (publish it in a DNSSEC-signed zone).\n")
	buf.WriteString(line + "\n")
	return nil
}
