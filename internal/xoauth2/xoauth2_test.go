package xoauth2_test

import (
	"errors"
	"testing"

	"github.com/mailsetup/mailsetup/internal/xoauth2"
)

func TestExchange(t *testing.T) {
	auth := func(user, token string) *xoauth2.Error {
		if user == "alice@example.org" && token == "good" {
			return nil
		}
		return &xoauth2.Error{Status: "401", Schemes: "Bearer"}
	}
	for _, tc := range []struct {
		name, user, token string
		wantErr           bool
	}{
		{"accepted", "alice@example.org", "good", false},
		{"bad token", "alice@example.org", "bad", true},
		{"other user", "bob@example.org", "good", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, s := xoauth2.NewClient(tc.user, tc.token), xoauth2.NewServer(auth)
			mech, ir, err := c.Start()
			if err != nil || mech != "XOAUTH2" {
				t.Fatalf("Start() = %q, %v", mech, err)
			}
			chal, done, err := s.Next(ir)
			if !tc.wantErr {
				if !done || err != nil {
					t.Fatalf("server Next() = %q, %v, %v; want done", chal, done, err)
				}
				return
			}
			if done || err != nil {
				t.Fatalf("server Next() = %v, %v; want an error challenge", done, err)
			}
			resp, cerr := c.Next(chal)
			var e *xoauth2.Error
			if !errors.As(cerr, &e) || e.Status != "401" || len(resp) != 0 {
				t.Fatalf("client Next(%q) = %q, %v; want empty response and status 401", chal, resp, cerr)
			}
			if _, done, err := s.Next(resp); !done || !errors.As(err, &e) {
				t.Fatalf("server Next(empty) = %v, %v; want done with the error", done, err)
			}
		})
	}
}

func TestServerRefusesMalformed(t *testing.T) {
	for _, msg := range []string{"", "user=a\x01", "user=a\x01auth=Basic x\x01\x01", "auth=Bearer t\x01\x01", "junk\x01\x01"} {
		s := xoauth2.NewServer(func(string, string) *xoauth2.Error { return nil })
		if _, _, err := s.Next([]byte(msg)); err == nil {
			t.Errorf("Next(%q) = nil error, want ErrMalformed", msg)
		}
	}
}

// FuzzParseError: the client's reading of a server challenge never panics
// and never accepts a challenge without a status.
func FuzzParseError(f *testing.F) {
	f.Add([]byte(`{"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}`))
	f.Add([]byte(`{"status":""}`))
	f.Add([]byte(`[1,2]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := xoauth2.ParseError(b)
		if err == nil && (e == nil || e.Status == "") {
			t.Fatalf("ParseError(%q) = %+v, nil", b, e)
		}
	})
}

// FuzzServer: arbitrary client messages never panic the server, and only
// a well-formed message reaches the authenticator.
func FuzzServer(f *testing.F) {
	f.Add([]byte(xoauth2.Message("a@b", "t")))
	f.Add([]byte("user=\x01auth=Bearer \x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := xoauth2.NewServer(func(user, token string) *xoauth2.Error {
			if user == "" || token == "" {
				t.Fatalf("authenticator called with user %q token %q", user, token)
			}
			return &xoauth2.Error{Status: "400"}
		})
		_, _, _ = s.Next(b)
	})
}
