package autoconfig

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// WriteAutodiscover writes cfg as an Autodiscover POX response ([MS-OXDSCLI],
// the Outlook response schema 2006a: Autodiscover/Response/Account with
// AccountType "email" and Action "settings"), the document a provider serves
// for POST https://autodiscover.<domain>/autodiscover/autodiscover.xml.
//
// Every IMAP, POP3 and SMTP server becomes one Protocol, in the Config's
// order; servers of other types are left out. Each Protocol has Type, Server,
// Port, DomainRequired "off", LoginName (only when the server has a user
// name: Thunderbird refuses an empty one), SPA, SSL and Encryption; an SMTP
// Protocol also AuthRequired, UsePOPAuth "off" and, for smtp-after-pop,
// SMTPLast "on". Security is written twice, for both kinds of reader:
//
//	implicit TLS  SSL on,  Encryption SSL
//	STARTTLS      SSL on,  Encryption TLS
//	plain         SSL off, Encryption None
//
// Outlook and [ReadAutodiscover] read Encryption. Thunderbird
// (ExchangeAutoDiscover.sys.mjs) reads only SSL and decides by port:
// STARTTLS on 143, 110, 25 and 587, implicit TLS elsewhere, so it misreads
// implicit TLS on one of those ports and STARTTLS on any other.
//
// Authentication is the first of the server's methods POX can say:
// password-cleartext is SPA off; password-encrypted, NTLM and GSSAPI are SPA
// on (Secure Password Authentication); for SMTP, none and
// client-IP-address are AuthRequired off, and smtp-after-pop is AuthRequired
// off with SMTPLast on. A server with none of these (OAuth2 or a TLS client
// certificate only) makes the call fail with [ErrExportUnsupported].
//
// A comment after the XML declaration names the generator and its release.
//
// Placeholders are written as they are. Thunderbird and ReadAutodiscover
// fill them, Outlook does not: a response for Outlook should be written from
// a Config read with the user's Vars.
//
// Other errors: [ErrExportInvalid] for a nil cfg or an invalid server,
// [ErrExportMissing] when cfg has no IMAP, POP3 or SMTP server. Nothing is
// written on error.
func WriteAutodiscover(w io.Writer, cfg *Config) error {
	var b bytes.Buffer
	if err := buildAutodiscover(&b, cfg); err != nil {
		return err
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("autoconfig: writing Autodiscover response: %w", err)
	}
	return nil
}

// The Protocol/Type values of [MS-OXDSCLI] for the Internet protocols
// (EXCH, EXPR and WEB are Exchange's own).
var autodiscoverType = map[Protocol]string{IMAP: "IMAP", POP3: "POP3", SMTP: "SMTP"}

// autodiscoverSecurity gives SSL and Encryption ([MS-OXDSCLI] Protocol
// elements SSL, "on" or "off", and Encryption, "None", "SSL", "TLS" or
// "Auto"; Exchange 2007 docs ee160260 and ee625072, which Thunderbird's
// ExchangeAutoDiscover.sys.mjs cites).
var autodiscoverSecurity = map[Security][2]string{
	TLS:      {"on", "SSL"},
	STARTTLS: {"on", "TLS"},
	Plain:    {"off", "None"},
}

// autodiscoverAuth is how one authentication method is said in POX.
type autodiscoverAuth struct {
	spa          bool
	authRequired bool // SMTP only
	smtpLast     bool // SMTP only
}

// autodiscoverAuthFor picks the first of the server's methods that POX can
// express.
func autodiscoverAuthFor(s Server) (autodiscoverAuth, bool) {
	for _, a := range s.Auth {
		switch a {
		case AuthPasswordCleartext:
			return autodiscoverAuth{authRequired: true}, true
		case AuthPasswordEncrypted, AuthNTLM, AuthGSSAPI:
			return autodiscoverAuth{spa: true, authRequired: true}, true
		case AuthNone, AuthClientIP:
			if s.Protocol == SMTP {
				return autodiscoverAuth{}, true
			}
		case AuthSMTPAfterPOP:
			return autodiscoverAuth{smtpLast: true}, true
		}
	}
	return autodiscoverAuth{}, false
}

func buildAutodiscover(b *bytes.Buffer, cfg *Config) error {
	if cfg == nil {
		return fmt.Errorf("%w: nil Config", ErrExportInvalid)
	}
	in, out, err := checkExportServers(cfg, true)
	if err != nil {
		return err
	}
	type proto struct {
		s    Server
		auth autodiscoverAuth
	}
	var protos []proto
	add := func(list []Server, outgoing bool) error {
		for i, s := range list {
			if !isMailProtocol(s.Protocol) {
				continue
			}
			a, ok := autodiscoverAuthFor(s)
			if !ok {
				return fmt.Errorf("%w: %s: Autodiscover cannot express authentication %v",
					ErrExportUnsupported, serverWhere(outgoing, i, s), s.Auth)
			}
			protos = append(protos, proto{s, a})
		}
		return nil
	}
	if err := add(in, false); err != nil {
		return err
	}
	if err := add(out, true); err != nil {
		return err
	}
	if len(protos) == 0 {
		return fmt.Errorf("%w: no IMAP, POP3 or SMTP server", ErrExportMissing)
	}

	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString(generatorComment())
	b.WriteString(`<Autodiscover xmlns="` + AutodiscoverNS + `">` + "\n")
	b.WriteString(`  <Response xmlns="` + AutodiscoverOutlookNS + `">` + "\n")
	b.WriteString("    <Account>\n")
	xmlElement(b, 6, "AccountType", "email")
	xmlElement(b, 6, "Action", "settings")
	onOff := func(v bool) string {
		if v {
			return "on"
		}
		return "off"
	}
	for _, p := range protos {
		s := p.s
		sec := autodiscoverSecurity[s.Security]
		b.WriteString("      <Protocol>\n")
		xmlElement(b, 8, "Type", autodiscoverType[s.Protocol])
		xmlElement(b, 8, "Server", s.Hostname)
		xmlElement(b, 8, "Port", strconv.Itoa(s.Port))
		xmlElement(b, 8, "DomainRequired", "off")
		if s.Username != "" {
			xmlElement(b, 8, "LoginName", s.Username)
		}
		xmlElement(b, 8, "SPA", onOff(p.auth.spa))
		xmlElement(b, 8, "SSL", sec[0])
		xmlElement(b, 8, "Encryption", sec[1])
		if s.Protocol == SMTP {
			xmlElement(b, 8, "AuthRequired", onOff(p.auth.authRequired))
			xmlElement(b, 8, "UsePOPAuth", "off")
			if p.auth.smtpLast {
				xmlElement(b, 8, "SMTPLast", "on")
			}
		}
		b.WriteString("      </Protocol>\n")
	}
	b.WriteString("    </Account>\n  </Response>\n</Autodiscover>\n")
	return nil
}
