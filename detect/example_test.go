package detect_test

import (
	"context"
	"fmt"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// Run against the loopback lab: its options point the resolver, the dialer,
// the trusted CA and the ISP database at the lab.
func ExampleRun() {
	l, err := lab.Start(lab.Options{})
	if err != nil {
		panic(err)
	}
	defer l.Close()

	rep, err := detect.Run(context.Background(), "alice@demo.test", l.DetectOptions())
	if err != nil {
		panic(err)
	}
	in, out := rep.Recommended()
	fmt.Println(rep.Verdict)
	fmt.Println(in.Protocol, in.Host, in.Port, in.Security, in.Trust)
	fmt.Println(out.Protocol, out.Host, out.Port, out.Security, out.Trust)
	// Output:
	// secure
	// imap mail.demo.test 993 tls dnssec
	// smtp mail.demo.test 465 tls dnssec
}
