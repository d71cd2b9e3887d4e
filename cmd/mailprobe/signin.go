package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/oauth"
)

// oauthEnv is what the OAuth2 check needs besides the flags: the HTTP
// client of the sign-in's requests and the browser. detect uses the
// user's; demo the lab's.
type oauthEnv struct {
	client  *http.Client
	browser func(ctx context.Context, url string) error
}

// openBrowser opens url in the user's browser, and prints it in case none
// opens. The browser shows the page's address, as the autoconfig draft's
// "OAuth2 windows" asks.
func openBrowser(cmd *cobra.Command) func(ctx context.Context, u string) error {
	return func(ctx context.Context, u string) error {
		host := u
		if p, err := url.Parse(u); err == nil {
			host = p.Host
		}
		fmt.Fprintln(cmd.ErrOrStderr(), printer(cmd).T("cli.oauth.opening", "Host", host, "URL", u))
		var c *exec.Cmd
		switch runtime.GOOS {
		case "darwin":
			c = exec.CommandContext(ctx, "open", u)
		case "windows":
			c = exec.CommandContext(ctx, "rundll32", "url.dll,FileProtocolHandler", u)
		default:
			c = exec.CommandContext(ctx, "xdg-open", u)
		}
		_ = c.Start() // the printed address is the fallback
		if c.Process != nil {
			go c.Wait() //nolint:errcheck // reap the opener
		}
		return nil
	}
}

// checkOAuth2 signs the user in on the provider's page and checks the
// token on the recommended servers (detect.VerifyOAuth2).
func checkOAuth2(cmd *cobra.Command, rep *detect.Report, o *detect.Options, f *detectFlags, env oauthEnv, confirmed []string) error {
	prov := rep.OAuth2Provider()
	if prov == nil {
		fmt.Fprintln(cmd.ErrOrStderr(), printer(cmd).T("cli.oauth.no-provider"))
		return nil
	}
	tok, err := oauth.SignIn(cmd.Context(), prov, &oauth.Options{HTTPClient: env.client, OpenBrowser: env.browser,
		ClientID: f.oauthClientID, LoginHint: rep.Address, Printer: printer(cmd)})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		rep.SignInFailed(err)
		return nil
	}
	return detect.VerifyOAuth2(cmd.Context(), rep, detect.OAuth2Request{Token: tok.AccessToken, Provider: prov, Confirmed: confirmed}, o)
}
