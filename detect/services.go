package detect

import (
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect/probe"
)

// Services (issue 16): the JMAP, CalDAV and CardDAV endpoints the sources
// name are merged, probed and ranked like the mail servers, under the same
// trust and security rules, but beside the mail answer, never in its way:
//   - their sources (service-srv, service-wellknown) and probes neither
//     hold back nor change the mail recommendation (settled, quiet); the
//     run waits for them when the mail answer is ready, each on the
//     per-probe budget, and stops them at the overall deadline;
//   - a service over plain http (RFC 6764 §3's non-TLS names, an http URL)
//     is listed, never probed, never recommended: nothing, neither the
//     address nor a credential, goes over http;
//   - they change no mail verdict; their own warnings (service-*) say what
//     is wrong with them.

// isServiceProtocol reports whether p is a service's protocol.
func isServiceProtocol(p autoconfig.Protocol) bool {
	return p == autoconfig.JMAP || p == autoconfig.CalDAV || p == autoconfig.CardDAV
}

// svcCand is one distinct service: a protocol at a URL.
type svcCand struct {
	server  autoconfig.Server // protocol, URL, host, port, security
	seq     int
	origins []origin
	best    origin
	state   probeState
	result  probe.Result
	dane    daneResult
	cancel  context.CancelFunc
}

func (s *svcCand) trust() Trust { return s.best.f.trust }

func (s *svcCand) verdictRank() int {
	return verdictRankOf(s.state, s.result, s.dane, s.server.Security)
}

// svcProbeMsg is the outcome of a service's probe.
type svcProbeMsg struct {
	s *svcCand
	m probeMsg
}

// addService merges a found service into the run's services.
func (r *run) addService(name SourceName, f found) {
	o := origin{name, f}
	key := string(f.server.Protocol) + " " + f.server.URL
	if r.svcs == nil {
		r.svcs = make(map[string]*svcCand)
	}
	s, ok := r.svcs[key]
	if !ok {
		s = &svcCand{server: f.server, seq: len(r.svcList), best: o, state: probeIdle}
		r.svcs[key] = s
		r.svcList = append(r.svcList, s)
	} else if betterOrigin(o, s.best) {
		s.best = o
	}
	s.origins = append(s.origins, o)
}

// startServiceProbes probes the services not probed yet: over https only
// (package probe refuses anything else, and so does this).
func (r *run) startServiceProbes(ctx context.Context) {
	for _, s := range r.svcList {
		if s.state != probeIdle {
			continue
		}
		if s.server.Security != autoconfig.TLS {
			// DESIGN.md: never the address (nor anything) over plain http.
			s.state = probeDone
			s.result = probe.Result{Status: probe.Status(ProbeNotProbed), Error: "not probed: plain http, which a client must not use"}
			continue
		}
		s.state = probeRunning
		t := probe.Target{Protocol: s.server.Protocol, Host: s.server.Hostname, Port: s.server.Port,
			Security: autoconfig.TLS, URL: s.server.URL}
		k := candKey{s.server.Protocol, s.server.Hostname, s.server.Port, autoconfig.TLS}
		r.launch(ctx, k, t, &r.svcBogus, func(m probeMsg) any { return svcProbeMsg{s, m} }, &s.cancel, nil)
	}
}

// serviceProbeDone takes a service probe's outcome.
func (r *run) serviceProbeDone(m svcProbeMsg) {
	if m.s.state != probeRunning {
		return
	}
	m.s.state, m.s.result, m.s.dane = probeDone, m.m.result, m.m.dane
}

// servicesDone reports whether every service source has answered and no
// service probe runs or waits.
func (r *run) servicesDone() bool {
	for _, st := range r.srcs {
		if st.src.name.servicesOnly() && !st.done {
			return false
		}
	}
	for _, s := range r.svcList {
		if s.state == probeRunning || s.state == probeIdle {
			return false
		}
	}
	return true
}

// stopServices ends the running service probes at the deadline.
func (r *run) stopServices(why string) {
	for _, s := range r.svcList {
		switch s.state {
		case probeRunning:
			s.cancel()
			s.state = probeDone
			s.result = probe.Result{Status: probe.StatusTimeout, Error: why}
		case probeIdle, probeDeferred:
			s.state = probeDone
			s.result = probe.Result{Status: probe.Status(ProbeNotProbed), Error: why}
		}
	}
}

// lessService orders services as mail servers are ordered (DESIGN.md
// "Ranking"): probe verdict, DANE, security, trust, SRV priority, the
// source's precedence and own order, SRV weight, arrival.
func lessService(a, b *svcCand) bool { return lessRank(a.rank(), b.rank(), false) }

func (s *svcCand) rank() rankKey {
	return rankKey{s.verdictRank(), s.dane.status == DANEVerified, s.server.Security, s.trust(), s.best.f.srv,
		s.server.Protocol, s.best.name, s.best.f.order, s.seq}
}

// services renders the ranked services of protocol p for the report; nil
// when there is none.
func (r *run) services(p autoconfig.Protocol) []Service {
	var list []*svcCand
	for _, s := range r.svcList {
		if s.server.Protocol == p {
			list = append(list, s)
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return lessService(list[i], list[j]) })
	var out []Service
	for i, s := range list {
		sv := r.service(s)
		// Recommended as mail is, and only where a password may go
		// without asking: trust https or better, or the user confirmed.
		sv.Recommended = i == 0 && s.verdictRank() == 0 &&
			(!ServiceNeedsConfirmation(&sv, r.addr.Domain) || isConfirmed(sv.Host, r.o.Confirmed))
		out = append(out, sv)
	}
	return out
}

// service renders one service.
func (r *run) service(s *svcCand) Service {
	sv := Service{
		Protocol: s.server.Protocol, URL: s.server.URL, Host: s.server.Hostname, Port: s.server.Port,
		Security: s.server.Security, Username: s.best.f.server.Username, Auth: s.best.f.server.Auth,
		Trust: s.trust(), Probe: ProbeReport{Status: ProbeNotProbed}, Login: LoginReport{Status: LoginNotTried},
	}
	if sv.Username == "" {
		sv.Username = r.addr.String()
	}
	for _, o := range s.origins {
		if !slices.Contains(sv.Sources, o.name) {
			sv.Sources = append(sv.Sources, o.name)
		}
		if sv.OAuth2 == nil && o.f.server.OAuth2 != nil {
			sv.OAuth2 = o.f.server.OAuth2
		}
	}
	slices.SortFunc(sv.Sources, func(a, b SourceName) int { return a.precedence() - b.precedence() })
	if s.state == probeDone {
		sv.Probe = probeReport(s.result)
		sv.Probe.DANE, sv.Probe.DANEDetail = s.dane.status, s.dane.reason
		if h := s.result.HTTP; h != nil {
			sv.Probe.HTTPStatus, sv.Probe.Authenticate, sv.Probe.DAV = h.Status, h.Authenticate, h.DAV
		}
	}
	for _, o := range append([]origin{s.best}, s.origins...) {
		if len(o.f.redirects) > 0 { // the way a well-known URI led here
			sv.Probe.Redirects = o.f.redirects
			break
		}
	}
	sv.Signin = serviceSignin(&sv)
	return sv
}

// serviceSignin says how the user signs in to a service: from the
// challenges its probe saw (Bearer: OAuth2, RFC 6750 §3; Basic, Digest:
// a password) and from the source's authentication methods.
func serviceSignin(s *Service) Signin {
	var pw, oa bool
	for _, a := range s.Auth {
		switch a {
		case autoconfig.AuthOAuth2:
			oa = true
		case autoconfig.AuthPasswordCleartext, autoconfig.AuthPasswordEncrypted:
			pw = true
		}
	}
	if len(s.Probe.Authenticate) > 0 {
		pw = false // the server's word over the source's
		for _, a := range s.Probe.Authenticate {
			switch strings.ToLower(a) {
			case "bearer":
				oa = true
			case "basic", "digest":
				pw = true
			}
		}
	}
	return signinOf(pw, oa)
}

// ServiceNeedsConfirmation reports whether the user must confirm the host
// of a service before a password goes there, by the rule of mail servers
// ([NeedsConfirmation]): trust below https, except an unsigned SRV target
// inside the email domain whose verified certificate is valid for it.
func ServiceNeedsConfirmation(s *Service, domain string) bool {
	if !s.Trust.NeedsConfirmation() {
		return false
	}
	tied := s.Trust == TrustDNS && slices.Contains(s.Sources, SourceServiceSRV) && InDomain(s.Host, domain) &&
		s.Security == autoconfig.TLS && s.Probe.Status == ProbeOK && s.Probe.Cert != nil && s.Probe.Cert.Valid &&
		InDomain(s.Probe.Cert.MatchedName, domain)
	return !tied
}
