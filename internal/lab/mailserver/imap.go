package mailserver

import (
	"crypto/tls"
	"net"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
)

// serveIMAP serves IMAP4rev1 and IMAP4rev2 on ln with go-imap's server over an
// in-memory backend: one user per Config.Users key, each with an empty INBOX.
//
// go-imap advertises STARTTLS only when a TLS config is set and the connection
// is not yet encrypted, and LOGINDISABLED instead of AUTH= until it is (RFC
// 9051 section 6.2.3, RFC 3501 section 6.2.1); after STARTTLS the capability
// list is sent again without them.
func (s *Server) serveIMAP(ln net.Listener) {
	users := make(map[string]*imapmemserver.User, len(s.cfg.Users))
	for name, password := range s.cfg.Users {
		u := imapmemserver.NewUser(name, password)
		if err := u.Create("INBOX", nil); err != nil {
			s.log.Debug("mailserver: create INBOX", "err", err) // unreachable for a new user
		}
		users[name] = u
	}
	opts := &imapserver.Options{
		NewSession: func(c *imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{s: s, conn: c, users: users}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		Logger:       printfLogger{s.log},
		InsecureAuth: s.insecureAuth(),
	}
	if s.startTLS() {
		opts.TLSConfig = s.tlsConf
	}
	srv := imapserver.New(opts)

	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := srv.Serve(ln); err != nil && !s.isClosed() {
			s.log.Debug("mailserver: imap serve", "err", err)
		}
	}()
	// srv.Close is never called: it would close connections behind the
	// server's back. Server.Close closes the listener and cuts connections off,
	// and go-imap's handlers then close them.
}

// imapSession is an imapmemserver session whose logins are checked against
// Config.Users and recorded.
type imapSession struct {
	*imapmemserver.UserSession // nil until logged in

	s     *Server
	conn  *imapserver.Conn
	users map[string]*imapmemserver.User
}

var (
	_ imapserver.SessionIMAP4rev2 = (*imapSession)(nil)
	_ imapserver.SessionSASL      = (*imapSession)(nil)
)

// Login handles the LOGIN command.
func (sess *imapSession) Login(username, password string) error {
	return sess.login("LOGIN", username, password)
}

// AuthenticateMechanisms lists the SASL mechanisms for AUTHENTICATE.
func (sess *imapSession) AuthenticateMechanisms() []string {
	return sess.s.mechanisms(sasl.Plain)
}

// Authenticate handles AUTHENTICATE.
func (sess *imapSession) Authenticate(mech string) (sasl.Server, error) {
	_, isTLS := sess.conn.NetConn().(*tls.Conn)
	if srv := sess.s.oauthServer(mech, isTLS, imapserver.ErrAuthFailed, func(user string) error {
		u := sess.users[user]
		if u == nil {
			return imapserver.ErrAuthFailed
		}
		sess.UserSession = imapmemserver.NewUserSession(u)
		return nil
	}); srv != nil {
		return srv, nil
	}
	if mech != sasl.Plain || sess.s.cfg.NoPassword {
		return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		err := sess.login(sasl.Plain, username, password)
		if err == nil && identity != "" && identity != username {
			sess.UserSession = nil
			return &imap.Error{
				Type: imap.StatusResponseTypeNo,
				Code: imap.ResponseCodeAuthorizationFailed,
				Text: "SASL authorization identity not supported",
			}
		}
		return err
	}), nil
}

// Close ends the session.
func (sess *imapSession) Close() error {
	if sess.UserSession == nil {
		return nil
	}
	return sess.UserSession.Close()
}

func (sess *imapSession) login(mech, username, password string) error {
	_, isTLS := sess.conn.NetConn().(*tls.Conn)
	sess.s.record(mech, username, password, isTLS)
	u := sess.users[username]
	if sess.s.cfg.NoPassword {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed,
			Text: "Password sign-in is disabled: sign in with OAuth2"}
	}
	if u == nil || !sess.s.checkPassword(username, password) {
		return imapserver.ErrAuthFailed
	}
	sess.UserSession = imapmemserver.NewUserSession(u)
	return nil
}
