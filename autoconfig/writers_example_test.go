package autoconfig_test

import (
	"fmt"
	"os"

	"github.com/mailsetup/mailsetup/autoconfig"
)

func ExampleQRPayload() {
	cfg := &autoconfig.Config{
		Incoming: []autoconfig.Server{{Protocol: autoconfig.IMAP, Hostname: "imap.%EMAILDOMAIN%", Port: 993,
			Security: autoconfig.TLS, Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"}},
		Outgoing: []autoconfig.Server{{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 587,
			Security: autoconfig.STARTTLS, Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "%EMAILADDRESS%"}},
	}
	acct := autoconfig.Account{Address: "fred@example.com", Name: "Fred"}
	payload, err := autoconfig.QRPayload(cfg, acct, nil) // no password
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(payload))
	// Output:
	// [1,[1,1],[0,"imap.example.com",993,3,1,"fred@example.com","fred@example.com",""],[[[0,"smtp.example.com",587,2,1,"fred@example.com",""],["fred@example.com","Fred"]]]]
}

func ExampleWriteZone() {
	cfg := &autoconfig.Config{
		Incoming: []autoconfig.Server{{Protocol: autoconfig.IMAP, Hostname: "mail.%EMAILDOMAIN%", Port: 993,
			Security: autoconfig.TLS, Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}}},
		Outgoing: []autoconfig.Server{{Protocol: autoconfig.SMTP, Hostname: "mail.%EMAILDOMAIN%", Port: 465,
			Security: autoconfig.TLS, Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}}},
	}
	opts := &autoconfig.ZoneOptions{WebHost: "www.example.com"}
	if err := autoconfig.WriteZone(os.Stdout, "example.com", cfg, nil, opts); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ; Mail records for example.com, written by Mailsetup v1.2.3-test (https://github.com/mailsetup/mailsetup).
	// ;
	// ; SRV (RFC 6186, RFC 8314 section 5.1): the lowest priority is preferred,
	// ; across services too (RFC 6186 section 3.4); target "." means the
	// ; service is not offered (RFC 2782).
	// _submissions._tcp.example.com.	3600	IN	SRV	0 0 465 mail.example.com.
	// _imaps._tcp.example.com.	3600	IN	SRV	0 0 993 mail.example.com.
	// _pop3s._tcp.example.com.	3600	IN	SRV	0 0 0 .
	// _submission._tcp.example.com.	3600	IN	SRV	0 0 0 .
	// _imap._tcp.example.com.	3600	IN	SRV	0 0 0 .
	// _pop3._tcp.example.com.	3600	IN	SRV	0 0 0 .
	//
	// ; Settings for mail clients: serve https://autoconfig.example.com/mail/config-v1.1.xml
	// ; (Thunderbird and others) and https://autodiscover.example.com/autodiscover/autodiscover.xml
	// ; (Outlook; POST), both with a certificate valid for the name.
	// autoconfig.example.com.	3600	IN	CNAME	www.example.com.
	// autodiscover.example.com.	3600	IN	CNAME	www.example.com.
	// _autodiscover._tcp.example.com.	3600	IN	SRV	0 0 443 www.example.com.
}
