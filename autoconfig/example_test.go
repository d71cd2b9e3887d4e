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
