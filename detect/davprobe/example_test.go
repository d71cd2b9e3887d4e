package davprobe_test

import (
	"fmt"

	"github.com/mailsetup/mailsetup/detect/davprobe"
)

// A probe reads how a service signs users in from its challenges.
func ExampleSchemes() {
	fmt.Println(davprobe.Schemes([]string{`Bearer realm="example", error="invalid_token"`, `Basic realm="example", charset="UTF-8"`}))
	// Output: [Bearer Basic]
}

// A JMAP session object must carry the core capability and an apiUrl.
func ExampleParseSession() {
	s, err := davprobe.ParseSession([]byte(`{"capabilities":{"urn:ietf:params:jmap:core":{}},"accounts":{"a1":{}},"apiUrl":"https://jmap.example/api/"}`))
	fmt.Println(s.APIURL, len(s.Accounts), err)
	// Output: https://jmap.example/api/ 1 <nil>
}
