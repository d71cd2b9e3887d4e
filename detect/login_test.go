package detect_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// detectAndLogin runs a detection of address and then the login check.
func detectAndLogin(t *testing.T, l *lab.Lab, address, password string, confirmed ...string) *detect.Report {
	t.Helper()
	o := l.DetectOptions()
	rep, err := detect.Run(context.Background(), address, o)
	if err != nil {
		t.Fatalf("Run(%s): %v", address, err)
	}
	if err := detect.VerifyLogin(context.Background(), rep, detect.LoginRequest{Password: password, Confirmed: confirmed}, o); err != nil {
		t.Fatalf("VerifyLogin(%s): %v", address, err)
	}
	return rep
}

func loginOf(rep *detect.Report) (in, out detect.LoginReport) {
	if len(rep.Incoming) > 0 {
		in = rep.Incoming[0].Login
	}
	if len(rep.Outgoing) > 0 {
		out = rep.Outgoing[0].Login
	}
	return in, out
}

func TestVerifyLogin(t *testing.T) {
	for _, tc := range []struct {
		name, address, password string
		confirmed               []string
		wantStatus, wantUser    string
		wantCreds               bool // the lab's servers must have received credentials (over TLS)
	}{
		{"https trust, full address", lab.User("demo.test"), lab.Password, nil, detect.LoginOK, lab.User("demo.test"), true},
		{"local part fallback", lab.LocalOnlyUser + "@demo.test", lab.Password, nil, detect.LoginOK, lab.LocalOnlyUser, true},
		{"STARTTLS only", lab.User("starttls.test"), lab.Password, nil, detect.LoginOK, lab.User("starttls.test"), true},
		{"wrong password", lab.User("autoconfig.test"), "wrong", nil, detect.LoginFailed, "", true},
		{"unsigned SRV inside the domain, certificate valid", lab.User("srv.test"), lab.Password, nil, detect.LoginOK, lab.User("srv.test"), true},
		{"unsigned SRV outside the domain, not confirmed", lab.User("srvout.test"), lab.Password, nil, detect.LoginNotTried, "", false},
		{"unsigned SRV outside the domain, confirmed", lab.User("srvout.test"), lab.Password, []string{"mail.provider.test"}, detect.LoginOK, lab.User("srvout.test"), true},
		{"unsigned SRV, confirmed", lab.User("srv.test"), lab.Password, []string{"mail.srv.test"}, detect.LoginOK, lab.User("srv.test"), true},
		{"plain http source, not confirmed", lab.User("http.test"), lab.Password, nil, detect.LoginNotTried, "", false},
		{"stripped STARTTLS", lab.User("nostarttls.test"), lab.Password, []string{"mail.nostarttls.test"}, detect.LoginNotTried, "", false},
		{"plaintext only", lab.User("plain.test"), lab.Password, []string{"mail.plain.test"}, detect.LoginNotTried, "", false},
		{"wrong certificate name", lab.User("badcert.test"), lab.Password, []string{"mail.badcert.test"}, detect.LoginNotTried, "", false},
		{"expired certificate", lab.User("expired.test"), lab.Password, nil, detect.LoginNotTried, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := startLab(t, lab.Options{}) // a lab of its own, so its credential log is this case's
			rep := detectAndLogin(t, l, tc.address, tc.password, tc.confirmed...)
			in, out := loginOf(rep)
			for _, got := range []detect.LoginReport{in, out} {
				if got.Status != tc.wantStatus || got.Username != tc.wantUser {
					t.Errorf("VerifyLogin(%s) = %s as %q (%s), want %s as %q", tc.address, got.Status, got.Username, got.Error, tc.wantStatus, tc.wantUser)
				}
			}
			if tc.wantStatus == detect.LoginFailed && !slices.Contains(in.Tried, "alice") {
				t.Errorf("VerifyLogin(%s).Tried = %q, want the local part tried too", tc.address, in.Tried)
			}
			creds := l.Credentials()
			if got := len(creds) > 0; got != tc.wantCreds {
				t.Errorf("VerifyLogin(%s): lab received %d credentials, want any: %v", tc.address, len(creds), tc.wantCreds)
			}
			for _, c := range creds {
				if !c.TLS {
					t.Errorf("VerifyLogin(%s): %s credential for %q arrived without TLS", tc.address, c.Protocol, c.Username)
				}
			}
		})
	}
}

func TestVerifyLoginNeedsPassword(t *testing.T) {
	err := detect.VerifyLogin(context.Background(), &detect.Report{Address: "a@b.test"}, detect.LoginRequest{}, nil)
	if !errors.Is(err, detect.ErrNoPassword) {
		t.Errorf("VerifyLogin without password = %v, want ErrNoPassword", err)
	}
}
