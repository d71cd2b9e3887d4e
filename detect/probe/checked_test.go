package probe_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/internal/lab/mailserver"
)

// TestCheckedBeforeGoodbye: Options.Checked receives the outcome once, when
// the checks are done and before the goodbye (its transcript holds no
// LOGOUT or QUIT), and Probe still says goodbye and returns the same
// outcome. A failed probe never calls it.
func TestCheckedBeforeGoodbye(t *testing.T) {
	t.Parallel()
	goodbye := map[autoconfig.Protocol]string{autoconfig.IMAP: "LOGOUT", autoconfig.POP3: "QUIT", autoconfig.SMTP: "QUIT"}
	for _, tc := range []struct {
		proto autoconfig.Protocol
		sec   autoconfig.Security
		msec  mailserver.Security
	}{
		{autoconfig.IMAP, autoconfig.TLS, mailserver.TLS},
		{autoconfig.POP3, autoconfig.TLS, mailserver.TLS},
		{autoconfig.SMTP, autoconfig.STARTTLS, mailserver.StartTLS},
	} {
		t.Run(string(tc.proto)+"/"+string(tc.sec), func(t *testing.T) {
			t.Parallel()
			cert := must(ca(t).Leaf(host))
			port, _ := labServer(t, mailserver.Config{Protocol: mailserver.Protocol(tc.proto), Security: tc.msec, Cert: &cert})
			o := options(t)
			var calls []probe.Result
			o.Checked = func(r probe.Result) { calls = append(calls, r) }
			r := probe.Probe(context.Background(), probe.Target{Protocol: tc.proto, Host: host, Port: port, Security: tc.sec}, o)
			want(t, r, probe.StatusOK, "")
			if len(calls) != 1 {
				t.Fatalf("Checked called %d times, want once", len(calls))
			}
			early := calls[0]
			if early.Status != r.Status || !slices.Equal(early.Capabilities, r.Capabilities) || early.Cert == nil || early.Cert.Valid != r.Cert.Valid {
				t.Errorf("Checked got %s %q, Probe returned %s %q: want the same outcome", early.Status, early.Capabilities, r.Status, r.Capabilities)
			}
			sent := func(res probe.Result) bool {
				for _, l := range res.Transcript {
					if l.From == probe.FromClient && strings.HasSuffix(l.Text, goodbye[tc.proto]) {
						return true
					}
				}
				return false
			}
			if sent(early) || !sent(r) {
				t.Errorf("%s in the transcript given to Checked = %v, returned = %v; want only in the returned one", goodbye[tc.proto], sent(early), sent(r))
			}
		})
	}
	t.Run("failed", func(t *testing.T) {
		t.Parallel()
		cert := must(ca(t).Leaf("elsewhere.example"))
		port, _ := labServer(t, mailserver.Config{Protocol: mailserver.IMAP, Security: mailserver.TLS, Cert: &cert})
		o := options(t)
		called := false
		o.Checked = func(probe.Result) { called = true }
		r := probe.Probe(context.Background(), probe.Target{Protocol: autoconfig.IMAP, Host: host, Port: port, Security: autoconfig.TLS}, o)
		if r.Status == probe.StatusOK || called {
			t.Errorf("Probe with a certificate for another name = %s, Checked called %v; want a failure and no call", r.Status, called)
		}
	})
}
