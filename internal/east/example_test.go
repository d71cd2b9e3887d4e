package east_test

import (
	"fmt"

	"github.com/mailsetup/mailsetup/internal/east"
)

func ExampleParse() {
	v, err := east.Parse([]byte(`(
		// The greeting of an IMAP case.
		greeting: (kind: Ok, code: Some(Capability(NonEmptyVec([Imap4Rev1, StartTls]))), text: Text("ready")),
		starttls_response: Some("<tag> BAD no.\r\n"),
	)`))
	if err != nil {
		fmt.Println(err)
		return
	}
	g, _ := v.Field("greeting")
	kind, _ := g.Field("kind")
	fmt.Println(kind.Name)
	fmt.Println(v)
	// Output:
	// Ok
	// (greeting: (kind: Ok, code: Some(Capability(NonEmptyVec([Imap4Rev1, StartTls]))), text: Text("ready")), starttls_response: Some("<tag> BAD no.\r\n"))
}
