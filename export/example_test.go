package export_test

import (
	"errors"
	"fmt"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/export"
)

// A saved report whose recommended server was edited to plaintext is not
// exported: the server is checked again, not the report's word.
func ExampleWrite() {
	rep := secureReport()
	out, err := export.Write(rep, export.Autoconfig, nil)
	fmt.Println(len(out) > 0, err)

	rep.Incoming[0].Security = autoconfig.Plain
	_, err = export.Write(rep, export.Autoconfig, nil)
	var nv *detect.NotVerifiedError
	if errors.As(err, &nv) {
		fmt.Println(nv.Server, nv.Reason)
	}
	// Output:
	// true <nil>
	// mail.example.org:993 plaintext
}
