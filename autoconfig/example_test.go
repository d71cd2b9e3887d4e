package autoconfig_test

import (
	"fmt"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

func ExampleReadMozilla() {
	const doc = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.com">
    <domain>example.com</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
      <username>%EMAILADDRESS%</username>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.com</hostname>
      <port>70000</port>
      <socketType>SSL</socketType>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.com</hostname>
      <port>587</port>
      <socketType>STARTTLS</socketType>
      <authentication>OAuth2</authentication>
      <authentication>plain</authentication>
      <username>%EMAILLOCALPART%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>`
	v := autoconfig.Vars{Address: "fred@example.com", LocalPart: "fred", Domain: "example.com"}
	c, err := autoconfig.ReadMozilla(strings.NewReader(doc), v)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range append(c.Incoming, c.Outgoing...) {
		fmt.Printf("%s %s:%d %s %v user %s\n", s.Protocol, s.Hostname, s.Port, s.Security, s.Auth, s.Username)
	}
	for _, p := range c.Problems {
		fmt.Println("problem:", p)
	}
	// Output:
	// imap imap.example.com:993 tls [password-cleartext] user fred@example.com
	// smtp smtp.example.com:587 starttls [OAuth2 password-cleartext] user fred
	// problem: incomingServer type "pop3" at line 13 rejected: port 70000 out of range 1-65535
}

func ExampleReadAutodiscover() {
	const doc = `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
  <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
    <Account>
      <AccountType>email</AccountType>
      <Action>settings</Action>
      <Protocol>
        <Type>IMAP</Type><Server>imap.example.com</Server><Port>993</Port>
        <LoginName>fred@example.com</LoginName><SSL>on</SSL>
      </Protocol>
      <Protocol>
        <Type>SMTP</Type><Server>smtp.example.com</Server><Port>587</Port>
        <SSL>on</SSL><Encryption>TLS</Encryption>
      </Protocol>
    </Account>
  </Response>
</Autodiscover>`
	res, err := autoconfig.ReadAutodiscover(strings.NewReader(doc), autoconfig.Vars{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range append(res.Config.Incoming, res.Config.Outgoing...) {
		fmt.Printf("%s %s:%d %s %v user %q\n", s.Protocol, s.Hostname, s.Port, s.Security, s.Auth, s.Username)
	}
	// Output:
	// imap imap.example.com:993 tls [password-cleartext] user "fred@example.com"
	// smtp smtp.example.com:587 starttls [password-cleartext] user ""
}
