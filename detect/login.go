package detect

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mailsetup/mailsetup/detect/davprobe"
	"github.com/mailsetup/mailsetup/detect/probe"
	"github.com/mailsetup/mailsetup/detect/resolver"
)

// Login statuses of the report contract.
const (
	LoginOK       = "ok"
	LoginFailed   = "failed"
	LoginNotTried = "not-tried"
	LoginError    = "error"
	// LoginNotPossible: the server offers no mechanism for the credential
	// (for a password: no password mechanism, as at providers that sign in
	// with OAuth2). Nothing was sent; Error says, for people, how to sign
	// in instead ([OAuth2Sentence]), never a protocol message.
	LoginNotPossible = "not-possible"
	// LoginOAuth2OK and LoginOAuth2Failed are the outcomes of the OAuth2
	// check ([VerifyOAuth2]): the token was accepted, or refused (Error has
	// the server's reason).
	LoginOAuth2OK     = "oauth2-ok"
	LoginOAuth2Failed = "oauth2-failed"
)

// ErrNoPassword is returned by [VerifyLogin] for an empty password.
var ErrNoPassword = errors.New("detect: no password given")

// LoginRequest is what the user gives for the opt-in login check.
type LoginRequest struct {
	// Password is sent only as [VerifyLogin] says.
	Password string
	// Confirmed are the host names the user confirmed as their provider's
	// servers, after seeing which domain they belong to. Settings whose trust
	// is below https are tried only when their host is here.
	Confirmed []string
}

// VerifyLogin checks that the password works on the recommended incoming and
// outgoing servers of rep, and records the outcome in their Login fields.
// It is a separate step after discovery: no credential is ever sent while
// discovering.
//
// The password goes to a server only when all of this holds (DESIGN.md
// security rules, RFC 8314 §5.3, RFC 7817 §3):
//   - the server is the recommended one of its direction, so its probe
//     verified TLS (implicit or STARTTLS; never plaintext);
//   - its trust is https or better, or it is an unsigned SRV target inside
//     the email domain whose certificate was valid for it (NeedsConfirmation),
//     or the user confirmed its host;
//   - the login connection's TLS passes the same verification again, before
//     anything is sent (the probe package refuses otherwise).
//
// The full address is tried first as user name, then the local part (and the
// user name the source gave, if different, before both); the report says
// which worked. SMTP AUTH is checked too. VerifyLogin returns an error only
// for an unusable request; every server's outcome is in rep.
func VerifyLogin(ctx context.Context, rep *Report, req LoginRequest, opts *Options) error {
	if req.Password == "" {
		return ErrNoPassword
	}
	// The services' check runs beside the mail servers' (login_services.go).
	var wg sync.WaitGroup
	defer wg.Wait()
	if o, err := opts.withDefaults(); err == nil {
		if addr, err := ParseAddress(rep.Address); err == nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				verifyServices(ctx, rep, req.Password, req.Confirmed, o, addr, loginBudget(o))
			}()
		}
	}
	return verify(ctx, rep, opts, req.Confirmed, func(s *Server, addr Address) (*probe.Credentials, *LoginReport) {
		if s.Probe.Status == ProbeOK && !s.OffersPassword() {
			// Point 5 of issue 13: say how to sign in, not the mechanics.
			return nil, &LoginReport{Status: LoginNotPossible, Error: noPasswordSentence(s).Text(rep.printer())}
		}
		return &probe.Credentials{Usernames: loginUsers(s.Username, addr), Password: req.Password}, nil
	}, func(s *Server, r probe.LoginResult) LoginReport {
		l := loginReport(r)
		if r.Status == probe.LoginNotPossible {
			l.Error = noPasswordSentence(s).Text(rep.printer())
		}
		return l
	})
}

// verify runs a login check on the recommended server of each direction
// that passes the rules of [VerifyLogin]: creds gives the credentials to
// send there (or the outcome, when none may be sent), and done turns the
// probe's result into the report's. It fails only for unusable options or
// a report whose address does not parse.
func verify(ctx context.Context, rep *Report, opts *Options, confirmedHosts []string,
	creds func(*Server, Address) (*probe.Credentials, *LoginReport), done func(*Server, probe.LoginResult) LoginReport) error {
	o, err := opts.withDefaults()
	if err != nil {
		return err
	}
	addr, err := ParseAddress(rep.Address)
	if err != nil {
		return err
	}
	// Servers delay their answer to a wrong password on purpose (Dovecot:
	// 2 s and more for each failure from an address), so a login gets its
	// own budget per user name tried, not the discovery's.
	perTry := loginBudget(o)
	ctx, cancel := context.WithTimeout(ctx, 3*perTry+5*time.Second)
	defer cancel()
	type job struct {
		s   *Server
		res chan probe.LoginResult
	}
	var jobs []job
	for _, list := range [][]Server{rep.Incoming, rep.Outgoing} {
		for i := range list {
			s := &list[i]
			if i > 0 || !s.Recommended {
				s.Login = LoginReport{Status: LoginNotTried, Error: o.Printer.T("login.not-recommended")}
				continue
			}
			confirmed := isConfirmed(s.Host, confirmedHosts) || isConfirmed(s.Host, o.Confirmed)
			if NeedsConfirmation(s, addr.Domain) && !confirmed {
				s.Login = LoginReport{Status: LoginNotTried,
					Error: o.Printer.T("login.needs-confirmation", "Host", s.Host, "Trust", string(s.Trust))}
				continue
			}
			c, outcome := creds(s, addr)
			if outcome != nil {
				s.Login = *outcome
				continue
			}
			t := probeTarget(s, addr, confirmed)
			j := job{s, make(chan probe.LoginResult, 1)}
			jobs = append(jobs, j)
			po := probeOptions(o)
			po.Timeout = perTry
			go func() {
				j.res <- probe.Login(ctx, t, *c, po)
			}()
		}
	}
	for _, j := range jobs {
		j.s.Login = done(j.s, <-j.res)
	}
	return nil
}

// loginBudget is the budget of one login connection (one user name).
func loginBudget(o Options) time.Duration {
	if o.LoginTimeout > 0 {
		return o.LoginTimeout
	}
	return probe.DefaultLoginTimeout
}

// loginReport is the report's form of a login check.
func loginReport(r probe.LoginResult) LoginReport {
	return LoginReport{Status: string(r.Status), Username: r.Username, Mechanism: r.Mechanism,
		Tried: r.Tried, Error: r.Error, ElapsedMS: r.Elapsed.Milliseconds(), Transcript: transcript(r.Transcript)}
}

// isConfirmed reports whether the user confirmed host.
func isConfirmed(host string, confirmed []string) bool {
	return slices.ContainsFunc(confirmed, func(h string) bool { return strings.EqualFold(strings.TrimSuffix(h, "."), host) })
}

// loginUsers are the user names to try, best first.
func loginUsers(configured string, a Address) []string {
	users := []string{}
	for _, u := range []string{configured, a.String(), a.LocalPart} {
		if u != "" && !slices.Contains(users, u) {
			users = append(users, u)
		}
	}
	return users
}

// probeTarget is the probe target of a server. Its host is a reference
// identifier for the certificate unless it came only from an unsigned SRV
// answer, lies outside the email domain, and the user did not confirm it
// (RFC 7817 §3, RFC 6186 §6).
func probeTarget(s *Server, a Address, confirmed bool) probe.Target {
	// A host from a DNSSEC-secure SRV answer has trust dnssec and counts.
	return probe.Target{
		Protocol:   s.Protocol,
		Host:       s.Host,
		Port:       s.Port,
		Security:   s.Security,
		Identities: []string{a.Domain}, // RFC 7817 §3: the email domain
		// An unsigned SRV target inside the email domain is tied to it by
		// its own certificate (RFC 6186 §6, RFC 8314 §5.1; DESIGN.md).
		HostNotReference: s.Trust == TrustDNS && slices.Contains(s.Sources, SourceSRV) && !confirmed && !InDomain(s.Host, a.Domain),
	}
}

func probeOptions(o Options) *probe.Options {
	return &probe.Options{
		LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return resolver.LookupIP(ctx, o.Resolver, host)
		},
		Dial:    o.Dial,
		RootCAs: o.RootCAs,
		Service: davprobe.Check, // for services only (services.go)
		Timeout: o.ProbeTimeout,
		Logger:  o.Logger,
	}
}
