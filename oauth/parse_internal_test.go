package oauth

import (
	"strings"
	"testing"
)

func TestParseMetadata(t *testing.T) {
	const iss = "https://login.example.test"
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"good", `{"issuer":"https://login.example.test","authorization_endpoint":"https://login.example.test/a","token_endpoint":"https://login.example.test/t"}`, true},
		{"other issuer", `{"issuer":"https://evil.test","authorization_endpoint":"https://login.example.test/a","token_endpoint":"https://login.example.test/t"}`, false},
		{"http token endpoint", `{"issuer":"https://login.example.test","authorization_endpoint":"https://login.example.test/a","token_endpoint":"http://login.example.test/t"}`, false},
		{"not JSON", `<html>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			md, err := parseMetadata([]byte(tc.body), iss)
			if (err == nil) != tc.ok {
				t.Fatalf("parseMetadata() = %+v, %v; want ok %v", md, err, tc.ok)
			}
		})
	}
}

// FuzzParseMetadata: whatever a server sends, accepted metadata names the
// issuer asked for and https endpoints (RFC 8414 §3.3).
func FuzzParseMetadata(f *testing.F) {
	f.Add([]byte(`{"issuer":"https://i.test","authorization_endpoint":"https://i.test/a","token_endpoint":"https://i.test/t","registration_endpoint":"http://i.test/r"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		md, err := parseMetadata(b, "https://i.test")
		if err != nil {
			return
		}
		if md.Issuer != "https://i.test" || !strings.HasPrefix(md.TokenEndpoint, "https://") || !strings.HasPrefix(md.AuthorizationEndpoint, "https://") ||
			md.RegistrationEndpoint != "" && !strings.HasPrefix(md.RegistrationEndpoint, "https://") {
			t.Fatalf("parseMetadata(%q) accepted %+v", b, md)
		}
	})
}

// FuzzParseRegistration: a client ID is accepted only from a success
// status, and never with line breaks.
func FuzzParseRegistration(f *testing.F) {
	f.Add(201, []byte(`{"client_id":"abc"}`))
	f.Add(400, []byte(`{"error":"invalid_redirect_uri"}`))
	f.Fuzz(func(t *testing.T, status int, b []byte) {
		id, err := parseRegistration(status, b)
		if err == nil && (id == "" || strings.ContainsAny(id, "\r\n") || status != 200 && status != 201) {
			t.Fatalf("parseRegistration(%d, %q) = %q", status, b, id)
		}
	})
}
