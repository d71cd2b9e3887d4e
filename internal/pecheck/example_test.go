package pecheck_test

import (
	"fmt"

	"github.com/mailsetup/mailsetup/internal/pecheck"
)

// Read tells a windowed program from a console one and finds its version
// resource (make dist-check does this for Mailsetup.exe).
func ExampleRead() {
	info, err := pecheck.Read("dist/Mailsetup_v1.2.3_windows_amd64/Mailsetup.exe")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(info.GUI(), info.Icon, info.FileVersion, info.Strings["ProductName"])
}
