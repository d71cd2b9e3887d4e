// Package xoauth2 implements the XOAUTH2 SASL mechanism of Google and
// Microsoft, which go-sasl lacks: the predecessor of OAUTHBEARER (RFC 7628)
// that Gmail, Outlook, Yahoo and AOL still offer for IMAP, POP3 and SMTP.
//
// The client's only message is
//
//	"user=" user ^A "auth=Bearer " token ^A ^A
//
// (https://developers.google.com/gmail/imap/xoauth2-protocol). A server that
// refuses the token answers with a challenge holding a JSON error
// ({"status":"401","schemes":"Bearer","scope":"..."}) and the client answers
// it with an empty response, after which the server ends the exchange with
// its protocol's failure reply.
package xoauth2

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-sasl"
)

// Mechanism is the SASL mechanism name.
const Mechanism = "XOAUTH2"

// Errors of the server side.
var (
	// ErrMalformed: the client's message is not an XOAUTH2 message.
	ErrMalformed = errors.New("xoauth2: malformed client response")
)

// Error is the JSON error a server sends when it refuses a token.
type Error struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes,omitempty"`
	Scope   string `json:"scope,omitempty"`
}

// Error says the server's status.
func (e *Error) Error() string { return "xoauth2: token refused (status " + e.Status + ")" }

// Message is the client's message for user and token. Neither may hold the
// separator ^A.
func Message(user, token string) []byte {
	return []byte("user=" + user + "\x01auth=Bearer " + token + "\x01\x01")
}

// NewClient returns a go-sasl client for XOAUTH2. Its Next answers an error
// challenge with an empty response, as the mechanism asks, and returns the
// server's *Error.
func NewClient(user, token string) sasl.Client { return &client{user, token} }

type client struct{ user, token string }

func (c *client) Start() (string, []byte, error) {
	if strings.ContainsRune(c.user, 1) || strings.ContainsRune(c.token, 1) {
		return "", nil, errors.New("xoauth2: user or token holds ^A")
	}
	return Mechanism, Message(c.user, c.token), nil
}

func (c *client) Next(challenge []byte) ([]byte, error) {
	e, err := ParseError(challenge)
	if err != nil {
		return nil, err
	}
	return []byte{}, e
}

// ParseError reads the JSON error of a server's challenge. It fails when the
// challenge is not a JSON object with a status.
func ParseError(challenge []byte) (*Error, error) {
	var e Error
	if err := json.Unmarshal(challenge, &e); err != nil {
		return nil, fmt.Errorf("xoauth2: server challenge is not a JSON error: %w", err)
	}
	if e.Status == "" {
		return nil, errors.New("xoauth2: server challenge has no status")
	}
	return &e, nil
}

// Authenticator checks a user's token; it returns nil to accept, or the
// *Error to send.
type Authenticator func(user, token string) *Error

// NewServer returns a go-sasl server for XOAUTH2 that checks tokens with
// auth. A refused token gets the JSON error challenge; the client's answer
// to it ends the exchange with the error.
func NewServer(auth Authenticator) sasl.Server { return &server{auth: auth} }

type server struct {
	auth    Authenticator
	refused error
	done    bool
}

func (s *server) Next(resp []byte) ([]byte, bool, error) {
	switch {
	case s.refused != nil:
		return nil, true, s.refused
	case s.done:
		return nil, true, sasl.ErrUnexpectedClientResponse
	case resp == nil:
		return []byte{}, false, nil // ask for the initial response
	}
	s.done = true
	user, token, err := parse(resp)
	if err != nil {
		return nil, true, err
	}
	if e := s.auth(user, token); e != nil {
		s.refused = e
		blob, _ := json.Marshal(e) // a struct of strings always marshals
		return blob, false, nil
	}
	return nil, true, nil
}

// parse splits the client's message.
func parse(msg []byte) (user, token string, err error) {
	rest, ok := bytes.CutSuffix(msg, []byte("\x01\x01"))
	if !ok {
		return "", "", ErrMalformed
	}
	for _, f := range bytes.Split(rest, []byte{1}) {
		k, v, ok := bytes.Cut(f, []byte("="))
		if !ok {
			return "", "", ErrMalformed
		}
		switch string(k) {
		case "user":
			user = string(v)
		case "auth":
			scheme, t, ok := strings.Cut(string(v), " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				return "", "", ErrMalformed
			}
			token = t
		}
	}
	if user == "" || token == "" {
		return "", "", ErrMalformed
	}
	return user, token, nil
}
