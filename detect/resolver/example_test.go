package resolver_test

import (
	"context"
	"fmt"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/resolver"
)

func ExampleClient_Query() {
	// An in-test DNS server on 127.0.0.1 that knows the zone "test.".
	srv, err := startServer()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	c := resolver.New(srv.Addr)
	ans, err := c.Query(context.Background(), "_imaps._tcp.test", dns.TypeSRV)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, rr := range ans.Records {
		if srv, ok := rr.(*dns.SRV); ok {
			fmt.Println(srv.Target, srv.Port)
		}
	}

	ans, err = c.Query(context.Background(), "nx.test", dns.TypeSRV)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("NXDOMAIN:", ans.NXDomain())
	// Output:
	// imap.test. 993
	// NXDOMAIN: true
}
