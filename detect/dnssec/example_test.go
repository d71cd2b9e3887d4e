package dnssec_test

import (
	"context"
	"fmt"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

func ExampleValidator_Lookup() {
	// An in-test resolver serving a signed hierarchy: ., test., demo.test.
	// and more, with the test root's DS as trust anchor.
	w, err := loadWorld()
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := serve(w, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	v := dnssec.New(resolver.New(srv.Addr), w.anchor, &dnssec.Options{Now: func() time.Time { return w.now }})
	for _, name := range []string{"www.demo.test", "www.unsigned.test", "badsig.demo.test", "nx.demo.test"} {
		_, res, err := v.Lookup(context.Background(), name, dns.TypeA)
		if err != nil {
			fmt.Println(err)
			continue
		}
		var chain []string
		for _, l := range res.Chain {
			chain = append(chain, l.Zone+"="+string(l.Verdict))
		}
		fmt.Println(name, res.Verdict, chain)
	}
	// Output:
	// www.demo.test secure [.=secure test.=secure demo.test.=secure]
	// www.unsigned.test insecure [.=secure test.=secure unsigned.test.=insecure]
	// badsig.demo.test bogus [.=secure test.=secure demo.test.=secure]
	// nx.demo.test secure [.=secure test.=secure demo.test.=secure]
}
