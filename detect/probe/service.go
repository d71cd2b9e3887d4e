package probe

import (
	"context"
	"net"
	"strings"
)

// ServiceFunc is the exchange of an HTTP-based service (JMAP, CalDAV,
// CardDAV; issue 16) over conn, a TLS connection whose certificate
// verified: package davprobe speaks HTTP over it. say adds a line to the
// transcript (From is FromClient, FromServer or FromNote); the caller
// leaves credentials out of what it says. What the service answered goes
// into *HTTPInfo. An error makes the probe fail with StatusProtocolError
// and the error's text.
type ServiceFunc func(ctx context.Context, t Target, conn net.Conn, say func(from, text string), info *HTTPInfo) error

// HTTPInfo is what an HTTP-based service answered (see ServiceFunc).
type HTTPInfo struct {
	// Status is the HTTP status code of the last answer.
	Status int
	// Authenticate are the schemes of the WWW-Authenticate challenges
	// ("Basic", "Bearer"), in the server's order.
	Authenticate []string
	// DAV are the compliance classes of the DAV header ("1", "3",
	// "calendar-access", "addressbook").
	DAV []string
	// Principal and HomeSets are what an authenticated check found: the
	// principal URL (RFC 5397) and its calendar or address-book home sets
	// (RFC 4791 §6.2.1, RFC 6352 §7.1.1); for JMAP, the session's apiUrl
	// and accounts.
	Principal string
	HomeSets  []string
}

// service runs Options.Service over verified TLS (run has checked that
// the target is of Security TLS).
func (p *prober) service() *failure {
	tc, f := p.handshake(nil)
	if f != nil {
		return f
	}
	defer tc.Close()
	info := &HTTPInfo{}
	p.res.HTTP = info
	err := p.o.Service(p.ctx, p.t, tc, func(from, text string) { p.tr.add(from, text, false, 0) }, info)
	if err != nil {
		if p.expired() || isTimeout(err) {
			return p.netFail(err, p.t.URL)
		}
		return fail(StatusProtocolError, err, "%s over https", strings.ToUpper(string(p.t.Protocol)))
	}
	return nil
}
