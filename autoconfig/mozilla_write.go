package autoconfig

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"github.com/mailsetup/mailsetup/internal/version"
	"io"
	"strconv"
	"strings"
)

// WriteMozilla writes cfg as a Mozilla config-v1.1.xml document
// (clientConfig version 1.1, draft-ietf-mailmaint-autoconfig "Data
// format"), the file a provider serves at
// https://autoconfig.<domain>/mail/config-v1.1.xml (the draft's
// "Configuration location for single domain") and
// Thunderbird, Evolution, KMail, K-9 Mail and FairEmail read.
//
// A comment after the XML declaration names the generator and its release
// (package internal/version). It writes the emailProvider id (the first domain when cfg.ID is empty),
// every domain, displayName and displayShortName when set, then the incoming
// and outgoing servers in their order. A mail server (IMAP, POP3, SMTP) gets
// hostname, port, socketType ("plain", "SSL" or "STARTTLS"), every
// authentication value in order and username when it has one. A server of
// another type (ews, owa, graph, ...) is written with whatever it has,
// url included. After emailProvider, cfg.Calendars and cfg.AddressBooks
// are written as the draft's <calendar type="caldav"> and <addressbook
// type="carddav"> sections (url, authentication, username; https URLs
// only). Placeholders (%EMAILADDRESS%, ...) in host and user names are
// written as they are, so a Config read with a zero [Vars] round-trips.
//
// The document follows the rules of Thunderbird's reader
// (readFromXML.sys.mjs): at least one domain, at least one IMAP or POP3
// incoming server and one SMTP outgoing server, ports 1-65535, one of the
// three socketTypes, known authentication values. Input that breaks them is
// refused before anything is written: [ErrExportInvalid] for a bad value (a
// nil cfg, port 0, an empty host, an unknown Security or Auth, an invalid id
// or domain, control characters), [ErrExportMissing] when the domain or a
// server Thunderbird needs is missing. An error of w is returned as is,
// wrapped.
func WriteMozilla(w io.Writer, cfg *Config) error {
	var b bytes.Buffer
	if err := buildMozilla(&b, cfg); err != nil {
		return err
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("autoconfig: writing config-v1.1.xml: %w", err)
	}
	return nil
}

// mozillaSocketType are the socketType values of config-v1.1.xml
// (draft-ietf-mailmaint-autoconfig "socketType": SSL, STARTTLS, plain;
// Thunderbird's readFromXML.sys.mjs maps exactly these three).
var mozillaSocketType = map[Security]string{
	Plain:    "plain",
	TLS:      "SSL",
	STARTTLS: "STARTTLS",
}

func buildMozilla(b *bytes.Buffer, cfg *Config) error {
	if cfg == nil {
		return fmt.Errorf("%w: nil Config", ErrExportInvalid)
	}
	if len(cfg.Domains) == 0 {
		// readFromXML.sys.mjs: "need proper <domain> in XML".
		return fmt.Errorf("%w: no domain", ErrExportMissing)
	}
	domains := make([]string, len(cfg.Domains))
	for i, d := range cfg.Domains {
		n, err := normHost(d)
		if err == nil && hasPlaceholder(n) {
			err = errors.New("placeholder in a domain")
		}
		if err != nil {
			return fmt.Errorf("%w: Domains[%d]: %w", ErrExportInvalid, i, err)
		}
		domains[i] = n
	}
	id := strings.TrimSpace(cfg.ID)
	if id == "" {
		id = domains[0]
	}
	if err := checkProviderID(id); err != nil {
		return fmt.Errorf("%w: ID: %w", ErrExportInvalid, err)
	}
	display := strings.TrimSpace(cfg.DisplayName)
	short := strings.TrimSpace(cfg.ShortName)
	if err := checkExportLine("DisplayName", display); err != nil {
		return fmt.Errorf("%w: %w", ErrExportInvalid, err)
	}
	if err := checkExportLine("ShortName", short); err != nil {
		return fmt.Errorf("%w: %w", ErrExportInvalid, err)
	}
	in, out, err := checkExportServers(cfg, false)
	if err != nil {
		return err
	}
	cals, books, err := checkExportDAV(cfg)
	if err != nil {
		return err
	}
	oauth, err := exportOAuth2(cfg, in, out, cals, books)
	if err != nil {
		return err
	}
	if !hasProtocol(in, IMAP, POP3) {
		return fmt.Errorf("%w: no IMAP or POP3 incoming server (Thunderbird needs one)", ErrExportMissing)
	}
	if !hasProtocol(out, SMTP) {
		return fmt.Errorf("%w: no SMTP outgoing server (Thunderbird needs one)", ErrExportMissing)
	}

	b.WriteString(xml.Header[:len(xml.Header)-1]) // <?xml version="1.0" encoding="UTF-8"?>
	b.WriteString("\n" + generatorComment())
	b.WriteString("<clientConfig version=\"1.1\">\n")
	b.WriteString("  <emailProvider id=\"" + xmlEscape(id) + "\">\n")
	for _, d := range domains {
		xmlElement(b, 4, "domain", d)
	}
	if display != "" {
		xmlElement(b, 4, "displayName", display)
	}
	if short != "" {
		xmlElement(b, 4, "displayShortName", short)
	}
	for _, s := range in {
		writeMozillaServer(b, "incomingServer", s)
	}
	for _, s := range out {
		writeMozillaServer(b, "outgoingServer", s)
	}
	writeMozillaHelp(b, cfg.Help)
	b.WriteString("  </emailProvider>\n")
	writeMozillaDAV(b, cals, books)
	// Kept when a server signs in with OAuth2: without it a client has no
	// endpoints to open (draft-ietf-mailmaint-autoconfig, "OAuth2
	// requirements").
	if oauth != nil {
		writeMozillaOAuth2(b, oauth)
	}
	b.WriteString("</clientConfig>\n")
	return nil
}

// writeMozillaServer writes one checked server of emailProvider.
func writeMozillaServer(b *bytes.Buffer, elem string, s Server) { writeMozillaSection(b, 4, elem, s) }

// writeMozillaSection writes one checked server section (the draft's
// serverSection) indented by indent spaces. An HTTP authentication scheme
// ("Basic", "Digest", ...) is written with system="http"
// (draft-ietf-mailmaint-autoconfig, "authentication").
func writeMozillaSection(b *bytes.Buffer, indent int, elem string, s Server) {
	pad, in := strings.Repeat(" ", indent), indent+2
	b.WriteString(pad + "<" + elem + " type=\"" + xmlEscape(string(s.Protocol)) + "\">\n")
	if s.Hostname != "" {
		xmlElement(b, in, "hostname", s.Hostname)
	}
	if s.Port != 0 {
		xmlElement(b, in, "port", strconv.Itoa(s.Port))
	}
	if s.Security != "" {
		xmlElement(b, in, "socketType", mozillaSocketType[s.Security])
	}
	for _, a := range s.Auth {
		if _, known := authNames[strings.ToLower(string(a))]; !known && httpAuthSchemes[strings.ToLower(string(a))] {
			b.WriteString(strings.Repeat(" ", in) + "<authentication system=\"http\">" + xmlEscape(string(a)) + "</authentication>\n")
			continue
		}
		xmlElement(b, in, "authentication", string(a))
	}
	if s.Username != "" {
		xmlElement(b, in, "username", s.Username)
	}
	if s.URL != "" {
		xmlElement(b, in, "url", s.URL)
	}
	b.WriteString(pad + "</" + elem + ">\n")
}

// httpAuthSchemes are the HTTP authentication schemes (IANA "HTTP
// Authentication Scheme Registry", lower-cased) a server section may list
// with system="http".
var httpAuthSchemes = map[string]bool{"basic": true, "digest": true, "bearer": true, "negotiate": true}

// generatorComment is the XML comment that names the program and release
// that wrote a document, on a line of its own. The version has no white
// space (internal/version), so no "--" can come from it.
func generatorComment() string {
	return "<!-- Written by " + version.Generator() + " (" + version.URL + ") -->\n"
}

// xmlElement writes <name>text</name> on a line of its own.
func xmlElement(b *bytes.Buffer, indent int, name, text string) {
	b.WriteString(strings.Repeat(" ", indent))
	b.WriteString("<" + name + ">")
	b.WriteString(xmlEscape(text))
	b.WriteString("</" + name + ">\n")
}

// xmlEscape escapes text for element content and double-quoted attribute
// values with encoding/xml (&, <, >, ", ' and the white-space controls).
// Callers have refused the characters XML cannot carry.
func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// checkProviderID checks an emailProvider id the way Thunderbird does
// (Sanitizer.hostname: a legal host name; readFromXML.sys.mjs fails the whole
// file otherwise): letters, digits and inner hyphens in dot-separated labels.
// Letter case is kept ("MessagingEngine" is an id of the ISP database).
func checkProviderID(id string) error {
	if len(id) > 253 {
		return fmt.Errorf("%q is longer than 253 octets", clip(id, 64))
	}
	for _, l := range strings.Split(strings.ToLower(id), ".") {
		if err := checkLDHLabel(l); err != nil {
			return fmt.Errorf("%q is not a host name: %w", clip(id, 64), err)
		}
	}
	return nil
}

// hasProtocol reports whether list has a server of one of protos.
func hasProtocol(list []Server, protos ...Protocol) bool {
	for _, s := range list {
		for _, p := range protos {
			if s.Protocol == p {
				return true
			}
		}
	}
	return false
}
