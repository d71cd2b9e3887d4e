package probe

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// attemptDelay is the Connection Attempt Delay of RFC 8305 §5 (recommended
// value 250 ms).
const attemptDelay = 250 * time.Millisecond

// readLimit bounds what a server may send to one probe. Greetings,
// capabilities and a certificate chain fit easily; a server streaming more is
// broken or hostile.
const readLimit = 1 << 20

var errTooMuchData = errors.New("server sent more than 1 MiB")

// connect resolves the host and races its addresses (RFC 8305). It records
// every attempt in p.res.Addresses and sets p.conn and p.res.Address.
func (p *prober) connect() *failure {
	addrs, f := p.resolve()
	if f != nil {
		return f
	}
	addrs = interleave(addrs)

	dctx, cancel := context.WithCancel(p.ctx)
	defer cancel()

	type dialed struct {
		i    int
		conn net.Conn
		err  error
		took time.Duration
	}
	results := make(chan dialed, len(addrs))
	timer := time.NewTimer(attemptDelay)
	timer.Stop()
	defer timer.Stop()

	next, running, winner := 0, 0, -1
	var won net.Conn
	var lastErr error
	var kinds []*Kind // of the failed attempts
	launch := func() {
		i := next
		next++
		running++
		ip := addrs[i]
		network := "tcp6"
		if ip.Is4() {
			network = "tcp4"
		}
		addr := netip.AddrPortFrom(ip, uint16(p.t.Port)).String()
		p.res.Addresses = append(p.res.Addresses, AddrResult{IP: ip, Network: network})
		p.log.Debug("connecting", "address", addr)
		go func() {
			start := time.Now()
			c, err := p.o.Dial(dctx, network, addr)
			if err == nil && c == nil {
				err = errors.New("dialer returned no connection")
			}
			results <- dialed{i: i, conn: c, err: err, took: time.Since(start)}
		}()
		timer.Reset(attemptDelay) // RFC 8305 §5: the next attempt starts after the delay
	}
	more := func() bool { return winner < 0 && next < len(addrs) && p.ctx.Err() == nil }

	launch()
	// Wait for every attempt, winners and losers alike, so that no dial
	// goroutine outlives the probe.
	for running > 0 {
		select {
		case d := <-results:
			running--
			a := &p.res.Addresses[d.i]
			a.Connect = d.took
			switch {
			case d.err == nil && winner < 0:
				winner, won = d.i, d.conn
				cancel() // RFC 8305 §6: cancel the other attempts
			case d.err == nil:
				d.conn.Close()
				a.Error = "connected after another address had won; closed"
			case winner >= 0:
				a.Error = "abandoned: another address connected first"
			default:
				a.Error = d.err.Error()
				lastErr = d.err
				kinds = append(kinds, dialKind(d.err))
				if more() {
					launch() // RFC 8305 §5: a failure starts the next attempt at once
				}
			}
		case <-timer.C:
			if more() {
				launch()
			}
		}
	}

	for _, a := range p.res.Addresses {
		if a.Error != "" {
			p.tr.note("%s: %s", netip.AddrPortFrom(a.IP, uint16(p.t.Port)), a.Error)
		}
	}
	if winner < 0 {
		if p.ctx.Err() != nil {
			return p.netFail(p.ctx.Err(), "connecting")
		}
		// An address that timed out may be filtered, so that is the kind
		// if any did; else a refusal says the host answered with the port
		// closed (an IPv6 address without a route beside it changes
		// nothing); else there was no route.
		kind := ErrNetworkUnreachable
		for _, k := range kinds {
			if k == ErrTimeout || k == ErrConnectionRefused && kind != ErrTimeout {
				kind = k
			}
		}
		status := StatusUnreachable
		if kind == ErrTimeout {
			status = StatusTimeout
		}
		return fail(status, lastErr, "cannot connect (%d of %d addresses tried)", next, len(addrs)).as(kind)
	}
	p.conn = newBudgetConn(p.ctx, won)
	p.res.Address = netip.AddrPortFrom(addrs[winner], uint16(p.t.Port)).String()
	p.log.Debug("connected", "address", p.res.Address)
	p.tr.note("connected to %s in %v", p.res.Address, p.res.Addresses[winner].Connect.Round(10*time.Microsecond))
	return nil
}

// resolve returns the addresses of the host.
func (p *prober) resolve() ([]netip.Addr, *failure) {
	host := strings.TrimSuffix(strings.TrimPrefix(p.t.Host, "["), "]")
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip.Unmap()}, nil
	}
	if p.o.LookupIP == nil {
		return nil, fail(StatusUnreachable, nil, "no resolver to look up %q (Options.LookupIP is nil)", p.t.Host).as(ErrLookupFailed)
	}
	ips, err := p.o.LookupIP(p.ctx, p.t.Host)
	if err != nil {
		if p.ctx.Err() != nil {
			return nil, p.netFail(err, "resolving the host")
		}
		switch k := lookupKind(err); k {
		case ErrHostNotFound:
			return nil, fail(StatusUnreachable, nil, "the host name %s does not exist or has no address", p.t.Host).as(k)
		case ErrDNSSECBogus:
			return nil, fail(StatusUnreachable, nil, "the addresses of %s failed DNSSEC validation and were not used", p.t.Host).as(k)
		}
		return nil, fail(StatusUnreachable, err, "cannot resolve the host").as(ErrLookupFailed)
	}
	seen := make(map[netip.Addr]bool, len(ips))
	var out []netip.Addr
	for _, ip := range ips {
		ip = ip.Unmap()
		if ip.IsValid() && !seen[ip] {
			seen[ip] = true
			out = append(out, ip)
		}
	}
	if len(out) == 0 {
		return nil, fail(StatusUnreachable, nil, "the host name %s has no address", p.t.Host).as(ErrHostNotFound)
	}
	return out, nil
}

// interleave orders addresses IPv6 first, alternating the families and
// keeping the resolver's order within each (RFC 8305 §4).
func interleave(addrs []netip.Addr) []netip.Addr {
	var v6, v4 []netip.Addr
	for _, a := range addrs {
		if a.Is4() {
			v4 = append(v4, a)
		} else {
			v6 = append(v6, a)
		}
	}
	out := make([]netip.Addr, 0, len(addrs))
	for i := 0; i < len(v6) || i < len(v4); i++ {
		if i < len(v6) {
			out = append(out, v6[i])
		}
		if i < len(v4) {
			out = append(out, v4[i])
		}
	}
	return out
}

// budgetConn keeps a connection within the probe's budget: its deadlines
// never go past the context's deadline (whatever a protocol library asks
// for, zero included), cancelling the context expires them, and it reads at
// most readLimit bytes.
type budgetConn struct {
	net.Conn
	stop      func() bool
	expiredCh chan struct{} // closed when expire has run
	closeOnce sync.Once
	closeErr  error

	mu      sync.Mutex
	limit   time.Time
	expired bool

	left int // bytes still allowed to be read; only the reading goroutine touches it
}

// aLongTimeAgo is a deadline in the past, which fails pending I/O at once.
var aLongTimeAgo = time.Unix(1, 0)

func newBudgetConn(ctx context.Context, c net.Conn) *budgetConn {
	bc := &budgetConn{Conn: c, left: readLimit, expiredCh: make(chan struct{})}
	bc.limit, _ = ctx.Deadline() // the probe's ctx always has one
	bc.Conn.SetDeadline(bc.limit)
	bc.stop = context.AfterFunc(ctx, bc.expire)
	return bc
}

func (c *budgetConn) clamp(t time.Time) time.Time {
	if c.expired {
		return aLongTimeAgo
	}
	if t.IsZero() || t.After(c.limit) {
		return c.limit
	}
	return t
}

func (c *budgetConn) expire() {
	defer close(c.expiredCh)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expired = true
	c.Conn.SetDeadline(aLongTimeAgo)
}

// tighten brings the budget's end forward to t.
func (c *budgetConn) tighten(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.limit) {
		c.limit = t
	}
	c.Conn.SetDeadline(c.clamp(time.Time{}))
}

func (c *budgetConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetDeadline(c.clamp(t))
}

func (c *budgetConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *budgetConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetWriteDeadline(c.clamp(t))
}

func (c *budgetConn) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, errTooMuchData
	}
	if len(b) > c.left {
		b = b[:c.left]
	}
	n, err := c.Conn.Read(b)
	c.left -= n
	return n, err
}

// Close closes the connection once, and waits for expire if the context
// already started it, so that no goroutine outlives the probe.
func (c *budgetConn) Close() error {
	c.closeOnce.Do(func() {
		if !c.stop() {
			<-c.expiredCh
		}
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}

// lineConn is a line-oriented view of a connection for the hand-written
// clients. It records what it sends and receives in the transcript.
type lineConn struct {
	p    *prober
	conn net.Conn // written to directly
	br   *bufio.Reader
	name string // protocol name for messages
	// tls: the connection is TLS whose certificate verified (handshake
	// returns no other). Only then is server text quoted in Result.Error,
	// and only then may a credential be sent.
	tls bool
	// beforeTLS: the plaintext part of a STARTTLS connection.
	beforeTLS bool
}

const maxLine = 16 << 10

func (p *prober) lines(c net.Conn, name string) *lineConn {
	_, isTLS := c.(*tls.Conn)
	before := !isTLS && p.t.Security != autoconfig.Plain
	rc := &recConn{Conn: c, tr: p.tr, beforeTLS: before}
	p.recs = append(p.recs, rc)
	return &lineConn{p: p, conn: c, br: bufio.NewReaderSize(rc, maxLine), name: name,
		tls: isTLS && p.verified, beforeTLS: before}
}

// flushReads records the partial lines read so far.
func (p *prober) flushReads() {
	for _, r := range p.recs {
		r.flush()
	}
}

// said quotes server text for an error message, but only text that came
// over verified TLS: plaintext text (before STARTTLS, or from a Plain
// server) may be anyone's, and is shown only in the transcript, marked
// BeforeTLS where it applies (EAST "UI spoofing": an [ALERT] injected in
// plaintext must not read as the server's word).
func (l *lineConn) said(text string) string {
	if !l.tls {
		return ""
	}
	return fmt.Sprintf(" %q", clean(l.p.tr.scrub(text)))
}

// readLine reads one line without its CRLF. what says what was being read.
func (l *lineConn) readLine(what string) (string, *failure) {
	b, err := l.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return "", fail(StatusProtocolError, nil, "%s: line longer than %d bytes", what, maxLine)
	}
	if err != nil {
		return "", l.p.netFail(err, what)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// send writes one command line that carries no credential; the transcript
// shows it through Redact all the same.
func (l *lineConn) send(cmd string) *failure {
	return l.write(cmd, Redact(l.p.t.Protocol, cmd))
}

// sendSecret writes a line that carries a credential (or part of a
// command that does), and records shown instead of it. It is the only way
// a credential leaves the probe, and it refuses unless the connection is
// TLS whose certificate verified: DESIGN.md security rules, RFC 8314 §5.2
// and §5.3, RFC 9051 §6.2.3, RFC 3207 §4, RFC 2595 §2.
func (l *lineConn) sendSecret(cmd, shown string) *failure {
	if !l.tls || !l.p.verified || l.p.login == nil {
		return fail(StatusProtocolError, nil, "refusing to send a credential without verified TLS")
	}
	l.p.login.sent = true
	return l.write(cmd, shown)
}

func (l *lineConn) write(cmd, shown string) *failure {
	l.p.tr.add(FromClient, shown, l.beforeTLS, 0)
	if _, err := fmt.Fprintf(l.conn, "%s\r\n", cmd); err != nil {
		verb, _, _ := strings.Cut(shown, " ")
		return l.p.netFail(err, "sending "+l.name+" "+verb)
	}
	return nil
}
