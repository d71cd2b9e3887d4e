package oauth_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/oauth"
)

// Sign in at the lab's OAuth2-only provider and check the token on the
// recommended servers, as `mailprobe demo --oauth alice@oauth.test` does.
// Outside the lab, OpenBrowser opens the user's browser and HTTPClient is
// detect.NewHTTPClient with the run's resolver and roots.
func ExampleSignIn() {
	l, err := lab.Start(lab.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	o := l.DetectOptions()
	rep, err := detect.Run(ctx, lab.User("oauth.test"), o)
	if err != nil {
		fmt.Println(err)
		return
	}
	prov := rep.OAuth2Provider()
	tok, err := oauth.SignIn(ctx, prov, &oauth.Options{HTTPClient: l.HTTPClient(), OpenBrowser: l.Browser(), LoginHint: rep.Address})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := detect.VerifyOAuth2(ctx, rep, detect.OAuth2Request{Token: tok.AccessToken, Provider: prov}, o); err != nil {
		fmt.Println(err)
		return
	}
	in, out := rep.Recommended()
	fmt.Println(in.Signin, in.Login.Status, out.Login.Status)
	// Output: oauth2 oauth2-ok oauth2-ok
}
