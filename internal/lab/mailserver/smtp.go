package mailserver

import (
	"io"
	"net"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpMaxMessageBytes is advertised as the SIZE limit (RFC 1870).
const smtpMaxMessageBytes = 10 << 20

// serveSMTP serves message submission on ln with go-smtp.
//
// EHLO lists PIPELINING, 8BITMIME, ENHANCEDSTATUSCODES, CHUNKING, SMTPUTF8,
// SIZE, STARTTLS before TLS on a STARTTLS server, and AUTH PLAIN LOGIN only
// where passwords are accepted (RFC 3207 section 4.2, RFC 4954 section 4).
// Mail is accepted after AUTH and thrown away.
func (s *Server) serveSMTP(ln net.Listener) {
	be := smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	})
	srv := smtp.NewServer(be)
	srv.Domain = s.cfg.Hostname
	srv.MaxMessageBytes = smtpMaxMessageBytes
	srv.AllowInsecureAuth = s.insecureAuth()
	srv.EnableSMTPUTF8 = true
	srv.ReadTimeout = 5 * time.Minute // RFC 5321 section 4.5.3.2.7
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = printfLogger{s.log}
	if s.startTLS() {
		srv.TLSConfig = s.tlsConf
	}

	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		if err := srv.Serve(ln); err != nil && !s.isClosed() {
			s.log.Debug("mailserver: smtp serve", "err", err)
		}
	}()
	// srv.Close is never called; see serveIMAP.
}

// smtpSession is a submission session: it records AUTH and discards mail.
type smtpSession struct {
	s    *Server
	conn *smtp.Conn
	user string // authenticated user, empty before AUTH
}

var _ smtp.AuthSession = (*smtpSession)(nil)

// AuthMechanisms lists the SASL mechanisms for AUTH.
func (ss *smtpSession) AuthMechanisms() []string {
	return ss.s.mechanisms(sasl.Plain, sasl.Login)
}

// Auth handles AUTH.
func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	_, isTLS := ss.conn.TLSConnectionState()
	if srv := ss.s.oauthServer(mech, isTLS, smtp.ErrAuthFailed, func(user string) error {
		ss.user = user
		return nil
	}); srv != nil {
		return srv, nil
	}
	if ss.s.cfg.NoPassword {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if err := ss.login(sasl.Plain, username, password); err != nil {
				return err
			}
			if identity != "" && identity != username {
				ss.user = ""
				return smtp.ErrAuthFailed
			}
			return nil
		}), nil
	case sasl.Login:
		return &loginServer{authenticate: func(username, password string) error {
			return ss.login(sasl.Login, username, password)
		}}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *smtpSession) login(mech, username, password string) error {
	_, isTLS := ss.conn.TLSConnectionState()
	ss.s.record(mech, username, password, isTLS)
	if !ss.s.checkPassword(username, password) {
		return smtp.ErrAuthFailed
	}
	ss.user = username
	return nil
}

// Mail accepts a sender once authenticated.
func (ss *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	if ss.user == "" {
		return smtp.ErrAuthRequired
	}
	return nil
}

// Rcpt accepts any recipient once authenticated.
func (ss *smtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if ss.user == "" {
		return smtp.ErrAuthRequired
	}
	return nil
}

// Data reads and discards the message.
func (ss *smtpSession) Data(r io.Reader) error {
	if ss.user == "" {
		return smtp.ErrAuthRequired
	}
	_, err := io.Copy(io.Discard, r)
	return err
}

// Reset does nothing: no transaction state is kept.
func (ss *smtpSession) Reset() {}

// Logout does nothing.
func (ss *smtpSession) Logout() error { return nil }

// loginServer is the server side of the obsolete but widely used SASL LOGIN
// mechanism (draft-murchison-sasl-login): "Username:", then "Password:".
type loginServer struct {
	step         int
	username     string
	authenticate func(username, password string) error
}

// Next implements sasl.Server.
func (a *loginServer) Next(response []byte) (challenge []byte, done bool, err error) {
	switch a.step {
	case 0:
		if response == nil {
			a.step = 1
			return []byte("Username:"), false, nil
		}
		// The initial response is the user name.
		a.username, a.step = string(response), 2
		return []byte("Password:"), false, nil
	case 1:
		a.username, a.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		a.step = 3
		return nil, true, a.authenticate(a.username, string(response))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}
