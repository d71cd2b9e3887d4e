package detect

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// ConfigOptions tune [Report.Config].
type ConfigOptions struct {
	// Placeholders writes user names as %EMAILADDRESS% / %EMAILLOCALPART%
	// instead of this user's, for a file an admin hosts for everyone of the
	// domain (autoconfig.D, autodiscover.D).
	Placeholders bool
	// All keeps every server that was reachable over verified TLS, best
	// first; without it only the recommended ones are kept.
	All bool
}

// Config converts the report into the neutral settings model the writers of
// package autoconfig export: the recommended incoming and outgoing servers
// (and, with All, the other verified ones), in rank order. Servers that were
// not verified are never exported. It returns nil when nothing is
// recommended in either direction.
func (r *Report) Config(opts *ConfigOptions) *autoconfig.Config {
	var o ConfigOptions
	if opts != nil {
		o = *opts
	}
	cfg := &autoconfig.Config{
		ID:          r.Domain,
		Domains:     []string{r.Domain},
		DisplayName: r.DomainUnicode,
		ShortName:   r.Domain,
	}
	if cfg.DisplayName == "" {
		cfg.DisplayName = r.Domain
	}
	local, _, _ := strings.Cut(r.Address, "@")
	pick := func(list []Server) []autoconfig.Server {
		var out []autoconfig.Server
		for i, s := range list {
			if !(i == 0 && s.Recommended || o.All && i > 0 && s.verifiedTLS()) {
				continue
			}
			user := s.Username
			if o.Placeholders {
				switch user {
				case r.Address:
					user = "%EMAILADDRESS%"
				case local:
					user = "%EMAILLOCALPART%"
				}
			}
			auth := s.Auth
			if len(auth) == 0 {
				auth = []autoconfig.Auth{autoconfig.AuthPasswordCleartext}
			}
			out = append(out, autoconfig.Server{Protocol: s.Protocol, Hostname: s.Host, Port: s.Port,
				Security: s.Security, Auth: auth, Username: user})
			if !o.All {
				break
			}
		}
		return out
	}
	if len(r.Incoming) > 0 && r.Incoming[0].Recommended {
		cfg.Incoming = pick(r.Incoming)
	}
	if len(r.Outgoing) > 0 && r.Outgoing[0].Recommended {
		cfg.Outgoing = pick(r.Outgoing)
	}
	if len(cfg.Incoming) == 0 && len(cfg.Outgoing) == 0 {
		return nil
	}
	return cfg
}

// Account is whom the report's settings are for.
func (r *Report) Account(name string) autoconfig.Account {
	return autoconfig.Account{Address: r.Address, Name: name, Description: r.Address}
}

// TLSA returns the DANE-EE "3 1 1" data of every verified server's key,
// for the records an admin may publish (RFC 7671 §5.1, RFC 7672 §3.1).
func (r *Report) TLSA() []autoconfig.TLSA {
	var out []autoconfig.TLSA
	seen := map[string]bool{}
	for _, list := range [][]Server{r.Incoming, r.Outgoing} {
		for _, s := range list {
			c := s.Probe.Cert
			if !s.verifiedTLS() || c.SPKISHA256 == "" || seen[s.HostPort()] {
				continue
			}
			sum, err := hex.DecodeString(c.SPKISHA256)
			if err != nil {
				continue
			}
			seen[s.HostPort()] = true
			out = append(out, autoconfig.TLSA{Host: s.Host, Port: s.Port, SPKISHA256: sum})
		}
	}
	return out
}

func (s *Server) verifiedTLS() bool {
	return s.Security != autoconfig.Plain && s.Probe.Status == ProbeOK && s.Probe.Cert != nil && s.Probe.Cert.Valid
}

// spkiSHA256 is the hex SHA-256 of a DER certificate's SubjectPublicKeyInfo.
func spkiSHA256(der []byte) string {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}
