package lab

import (
	"fmt"
	"strings"
)

// Fixture writers shared by the lab and the suites beside it that run real
// servers (internal/realmail, internal/interop): one writer per kind of
// file. They write by hand, with fmt, on purpose: the lab must not share
// code with the readers and writers of package autoconfig it tests.

// ConfigServer is a server line of a config-v1.1.xml file: its type
// (imap, pop3, smtp), host, port and socketType (SSL, STARTTLS, plain).
type ConfigServer struct {
	Type, Host string
	Port       int
	Socket     string
}

// MozillaXML writes a config-v1.1.xml document for domain with the
// servers in order (smtp ones as outgoingServer), every one with
// password-cleartext authentication and %EMAILADDRESS% as the user name.
func MozillaXML(displayName, domain string, servers ...ConfigServer) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<clientConfig version=\"1.1\">\n  <emailProvider id=\"%s\">\n    <domain>%s</domain>\n    <displayName>%s</displayName>\n    <displayShortName>%s</displayShortName>\n", domain, domain, displayName, domain)
	for _, s := range servers {
		tag := "incomingServer"
		if s.Type == "smtp" {
			tag = "outgoingServer"
		}
		fmt.Fprintf(&b, "    <%s type=\"%s\">\n      <hostname>%s</hostname>\n      <port>%d</port>\n      <socketType>%s</socketType>\n      <authentication>password-cleartext</authentication>\n      <username>%%EMAILADDRESS%%</username>\n    </%s>\n",
			tag, s.Type, s.Host, s.Port, s.Socket, tag)
	}
	b.WriteString("  </emailProvider>\n</clientConfig>\n")
	return b.String()
}

// AutodiscoverXML writes an Autodiscover POX response with one Protocol
// element per entry: type (IMAP, POP3, SMTP), server, port and encryption
// ("" means SSL on without an Encryption element), with %EMAILADDRESS% as
// the login name.
func AutodiscoverXML(protocols ...[4]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
`)
	for _, p := range protocols {
		fmt.Fprintf(&b, "      <Protocol>\n        <Type>%s</Type>\n        <Server>%s</Server>\n        <Port>%s</Port>\n        <LoginName>%%EMAILADDRESS%%</LoginName>\n        <SPA>off</SPA>\n        <SSL>on</SSL>\n", p[0], p[1], p[2])
		if p[3] != "" {
			fmt.Fprintf(&b, "        <Encryption>%s</Encryption>\n", p[3])
		}
		b.WriteString("      </Protocol>\n")
	}
	b.WriteString("    </Account>\n  </Response>\n</Autodiscover>\n")
	return b.String()
}
