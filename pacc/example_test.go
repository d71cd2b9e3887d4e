package pacc_test

import (
	"fmt"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/pacc"
)

// A provider writes its document and the TXT record for its exact bytes; a
// client checks the bytes it fetched against the record before using them.
func Example() {
	cfg := &autoconfig.Config{DisplayName: "Example Mail",
		Incoming: []autoconfig.Server{{Protocol: autoconfig.IMAP, Hostname: "imap.example.com", Port: 993, Security: autoconfig.TLS}},
		Outgoing: []autoconfig.Server{{Protocol: autoconfig.SMTP, Hostname: "smtp.example.com", Port: 465, Security: autoconfig.TLS}}}
	body, err := pacc.Write(cfg)
	if err != nil {
		panic(err)
	}
	rec, err := pacc.ParseRecord(pacc.NewRecord(body).String())
	if err != nil {
		panic(err)
	}
	if err := pacc.Verify(body, rec); err != nil {
		panic(err)
	}
	d, err := pacc.Parse(body)
	if err != nil {
		panic(err)
	}
	in := d.Config(autoconfig.Vars{Address: "alice@example.com"}).Incoming[0]
	fmt.Println(pacc.URL("example.com"))
	fmt.Println(in.Hostname, in.Port, in.Security, in.Username)
	// Output:
	// https://ua-auto-config.example.com/.well-known/user-agent-configuration.json
	// imap.example.com 993 tls alice@example.com
}
