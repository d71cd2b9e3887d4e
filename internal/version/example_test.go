package version_test

import (
	"fmt"

	"github.com/mailsetup/mailsetup/internal/version"
)

func Example() {
	version.Version = "v1.2.3" // what -ldflags -X does in a release build
	fmt.Println(version.String())
	fmt.Println(version.Generator())
	// Output:
	// v1.2.3
	// Mailsetup v1.2.3
}
