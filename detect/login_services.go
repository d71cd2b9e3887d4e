package detect

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/davprobe"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// verifyServices is the login check of the report's services, beside the
// mail servers' ([VerifyLogin]): the password goes to the first service of
// each list only when it is recommended (its probe verified TLS; never
// plain http), its trust is https or better or the user confirmed its host
// (ServiceNeedsConfirmation), and the login connection's TLS verifies
// again before anything is sent (package probe). It tries the user names
// of the mail check one connection each, with HTTP Basic (RFC 7617), and
// records the principal and home sets found (RFC 5397, RFC 4791 §6.2.1,
// RFC 6352 §7.1.1), or for JMAP the session's apiUrl.
func verifyServices(ctx context.Context, rep *Report, password string, confirmedHosts []string, o Options, addr Address, perTry time.Duration) {
	var wg sync.WaitGroup
	for _, list := range [][]Service{rep.Calendar, rep.Contacts, rep.JMAP} {
		for i := range list {
			s := &list[i]
			confirmed := isConfirmed(s.Host, confirmedHosts) || isConfirmed(s.Host, o.Confirmed)
			switch {
			case i > 0 || s.Probe.Status != ProbeOK || s.Security != autoconfig.TLS || s.Probe.Cert == nil || !s.Probe.Cert.Valid:
				s.Login = LoginReport{Status: LoginNotTried, Error: o.Printer.T("login.not-recommended")}
				continue
			case ServiceNeedsConfirmation(s, addr.Domain) && !confirmed:
				s.Login = LoginReport{Status: LoginNotTried,
					Error: o.Printer.T("login.needs-confirmation", "Host", s.Host, "Trust", string(s.Trust))}
				continue
			case s.Signin == SigninOAuth2:
				s.Login = LoginReport{Status: LoginNotPossible, Error: o.Printer.T("login.service-oauth2")}
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.Login = serviceLogin(ctx, s, password, o, addr, perTry)
			}()
		}
	}
	wg.Wait()
}

// serviceLogin tries each user name on one connection of its own until the
// service accepts one or refuses them all.
func serviceLogin(ctx context.Context, s *Service, password string, o Options, addr Address, perTry time.Duration) LoginReport {
	t := probe.Target{Protocol: s.Protocol, Host: s.Host, Port: s.Port, Security: autoconfig.TLS, URL: s.URL}
	rep := LoginReport{Status: LoginFailed, Mechanism: "basic"}
	var elapsed time.Duration
	for _, user := range loginUsers(s.Username, addr) {
		po := probeOptions(o)
		po.Timeout = perTry
		po.Service = davprobe.Login(user, password)
		res := probe.Probe(ctx, t, po)
		elapsed += res.Elapsed
		rep.Tried = append(rep.Tried, user)
		rep.Transcript = append(rep.Transcript, transcript(res.Transcript)...)
		switch {
		case res.Status == probe.StatusOK:
			rep.Status, rep.Username, rep.Error = LoginOK, user, ""
			if res.HTTP != nil {
				rep.Principal = res.HTTP.Principal
			}
			if s.Protocol != autoconfig.JMAP {
				// The home sets, on a verified connection of their own.
				po.Service = davprobe.HomeSets(user, password, rep.Principal)
				res := probe.Probe(ctx, t, po)
				elapsed += res.Elapsed
				rep.Transcript = append(rep.Transcript, transcript(res.Transcript)...)
				if res.Status != probe.StatusOK || res.HTTP == nil {
					rep.Status, rep.Error = LoginError, res.Error
				} else {
					rep.HomeSets = res.HTTP.HomeSets
				}
			}
			rep.ElapsedMS = elapsed.Milliseconds()
			return rep
		case res.HTTP == nil || res.HTTP.Status != http.StatusUnauthorized:
			// Not a refusal of the credentials: the check itself failed
			// (TLS, the network, the server's answer).
			rep.Status, rep.Error = LoginError, res.Error
			rep.ElapsedMS = elapsed.Milliseconds()
			return rep
		}
		rep.Error = res.Error
	}
	rep.ElapsedMS = elapsed.Milliseconds()
	return rep
}
