package report

import (
	"github.com/mailsetup/mailsetup/autoconfig"
	"github.com/mailsetup/mailsetup/detect"
)

// Hand-made reports covering every state the page shows.

func validCert(names ...string) *detect.CertReport {
	return &detect.CertReport{
		Valid:       true,
		Subject:     "CN=" + names[0],
		Issuer:      "CN=Example Issuing CA,O=Example Trust,C=US",
		DNSNames:    names,
		MatchedName: names[0],
		NotBefore:   "2026-01-01T00:00:00Z",
		NotAfter:    "2026-04-01T00:00:00Z",
	}
}

func okProbe(addr string, c *detect.CertReport, caps, sasl []string) detect.ProbeReport {
	return detect.ProbeReport{
		Status:       detect.ProbeOK,
		Address:      addr,
		TLSVersion:   "TLS 1.3",
		CipherSuite:  "TLS_AES_128_GCM_SHA256",
		Cert:         c,
		Capabilities: caps,
		SASL:         sasl,
		Tried:        []detect.AddrReport{{Address: addr, Network: "tcp6", ElapsedMS: 12}},
		ElapsedMS:    48,
	}
}

func secureReport() *detect.Report {
	imap := detect.Server{
		Recommended: true, Protocol: autoconfig.IMAP, Host: "imap.example.com", Port: 993,
		Security: autoconfig.TLS, Username: "alice@example.com",
		Auth:    []autoconfig.Auth{autoconfig.AuthPasswordCleartext},
		Sources: []detect.SourceName{detect.SourceAutoconfig, detect.SourceSRV}, Trust: detect.TrustHTTPS,
		Probe: okProbe("[2001:db8::993]:993", validCert("imap.example.com", "*.example.com"),
			[]string{"IMAP4rev1", "IMAP4rev2", "IDLE", "AUTH=PLAIN"}, []string{"PLAIN", "OAUTHBEARER"}),
		Login: detect.LoginReport{Status: detect.LoginOK, Username: "alice@example.com", Mechanism: "PLAIN",
			Tried: []string{"alice@example.com"}, ElapsedMS: 95,
			Transcript: []detect.TranscriptLine{
				{AtMS: 0, From: "note", Text: "connected to [2001:db8::993]:993, TLS 1.3, certificate verified"},
				{AtMS: 31, From: "server", Text: "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready"},
				{AtMS: 32, From: "client", Text: "A1 AUTHENTICATE PLAIN [redacted]"},
				{AtMS: 90, From: "server", Text: "A1 OK authenticated"},
			}},
	}
	pop := detect.Server{
		Protocol: autoconfig.POP3, Host: "pop.example.com", Port: 995, Security: autoconfig.TLS,
		Username: "alice@example.com", Auth: []autoconfig.Auth{autoconfig.AuthPasswordEncrypted},
		Sources: []detect.SourceName{detect.SourceAutoconfig}, Trust: detect.TrustHTTPS,
		Probe: okProbe("192.0.2.10:995", validCert("pop.example.com"), []string{"USER", "SASL PLAIN", "UIDL"}, []string{"PLAIN"}),
		Login: detect.LoginReport{Status: detect.LoginNotTried, Error: "not the recommended server"},
	}
	smtp := detect.Server{
		Recommended: true, Protocol: autoconfig.SMTP, Host: "smtp.example.com", Port: 465,
		Security: autoconfig.TLS, Username: "alice@example.com",
		Auth:    []autoconfig.Auth{autoconfig.AuthPasswordCleartext, autoconfig.AuthOAuth2},
		Sources: []detect.SourceName{detect.SourceSRV}, Trust: detect.TrustDNSSEC,
		Probe: okProbe("[2001:db8::465]:465", validCert("smtp.example.com"),
			[]string{"PIPELINING", "SIZE 35882577", "AUTH PLAIN LOGIN"}, []string{"PLAIN", "LOGIN"}),
		Login: detect.LoginReport{Status: detect.LoginOK, Username: "alice@example.com", Mechanism: "PLAIN", ElapsedMS: 80},
	}
	return &detect.Report{
		Version: detect.ReportVersion, Address: "alice@example.com", Domain: "example.com",
		ElapsedMS: 412, Verdict: detect.VerdictSecure, DNSSEC: "secure",
		Sources: []detect.SourceReport{
			{Name: detect.SourceSRV, Status: detect.StatusFound, Trust: detect.TrustDNSSEC, ElapsedMS: 21,
				Detail:  "_submissions._tcp → smtp.example.com:465; _imaps._tcp → imap.example.com:993",
				Queries: []string{"_submissions._tcp.example.com SRV", "_imaps._tcp.example.com SRV"}, Servers: 2},
			{Name: detect.SourceAutoconfig, Status: detect.StatusFound, Trust: detect.TrustHTTPS, ElapsedMS: 140,
				Detail:  "config-v1.1.xml with 3 servers",
				Queries: []string{"https://autoconfig.example.com/mail/config-v1.1.xml?emailaddress=alice%40example.com"}, Servers: 3},
			{Name: detect.SourceISPDB, Status: detect.StatusNone, Trust: detect.TrustISPDB, ElapsedMS: 180,
				Detail: "404 Not Found", Queries: []string{"https://autoconfig.thunderbird.net/v1.1/example.com"}},
			{Name: detect.SourceGuess, Status: detect.StatusSkipped, ElapsedMS: 0, Detail: "the recommendation could no longer change"},
		},
		Incoming: []detect.Server{imap, pop},
		Outgoing: []detect.Server{smtp},
		Warnings: []detect.Warning{},
	}
}

// caveatsReport: STARTTLS servers (transcripts with BeforeTLS lines), an IDN
// domain, a failed login, warnings to sort.
func caveatsReport() *detect.Report {
	starttls := []detect.TranscriptLine{
		{AtMS: 0, From: "note", Text: "connected to 198.51.100.7:143"},
		{AtMS: 20, From: "server", Text: "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.", BeforeTLS: true},
		{AtMS: 21, From: "client", Text: "A1 STARTTLS", BeforeTLS: true},
		{AtMS: 40, From: "server", Text: "A1 OK Begin TLS negotiation now.", BeforeTLS: true},
		{AtMS: 75, From: "note", Text: "TLS 1.3 handshake done, certificate verified for mail.xn--bcher-kva.example"},
		{AtMS: 76, From: "client", Text: "A2 CAPABILITY"},
		{AtMS: 90, From: "server", Text: "* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE"},
		{AtMS: 91, From: "server", Text: "A2 OK done"},
	}
	in := detect.Server{
		Recommended: true, Protocol: autoconfig.IMAP, Host: "mail.xn--bcher-kva.example", Port: 143,
		Security: autoconfig.STARTTLS, Username: "bob",
		Sources: []detect.SourceName{detect.SourceSRV}, Trust: detect.TrustDNS,
		Probe: detect.ProbeReport{Status: detect.ProbeOK, Address: "198.51.100.7:143", TLSVersion: "TLS 1.3",
			CipherSuite: "TLS_CHACHA20_POLY1305_SHA256", Cert: validCert("mail.xn--bcher-kva.example"),
			Capabilities: []string{"IMAP4rev1", "AUTH=PLAIN", "IDLE"}, SASL: []string{"PLAIN"},
			Tried:     []detect.AddrReport{{Address: "198.51.100.7", Network: "tcp4", ElapsedMS: 19}},
			ElapsedMS: 92, Transcript: starttls},
		Login: detect.LoginReport{Status: detect.LoginOK, Username: "bob", Mechanism: "PLAIN", ElapsedMS: 120},
	}
	out := detect.Server{
		Recommended: true, Protocol: autoconfig.SMTP, Host: "mail.xn--bcher-kva.example", Port: 587,
		Security: autoconfig.STARTTLS, Username: "bob",
		Sources: []detect.SourceName{detect.SourceSRV}, Trust: detect.TrustDNS,
		Probe: detect.ProbeReport{Status: detect.ProbeOK, Address: "198.51.100.7:587", TLSVersion: "TLS 1.2",
			CipherSuite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Cert: validCert("mail.xn--bcher-kva.example"),
			Capabilities: []string{"PIPELINING", "AUTH PLAIN LOGIN"}, SASL: []string{"PLAIN", "LOGIN"},
			Tried:     []detect.AddrReport{{Address: "198.51.100.7", Network: "tcp4", ElapsedMS: 18}},
			ElapsedMS: 130},
		Login: detect.LoginReport{Status: detect.LoginFailed, Tried: []string{"bob", "bob@xn--bcher-kva.example"},
			Mechanism: "PLAIN", Error: "535 5.7.8 Authentication credentials invalid", ElapsedMS: 2300,
			Transcript: []detect.TranscriptLine{
				{AtMS: 0, From: "server", Text: "220 mail.xn--bcher-kva.example ESMTP", BeforeTLS: true},
				{AtMS: 1, From: "client", Text: "EHLO mailsetup.invalid", BeforeTLS: true},
				{AtMS: 15, From: "server", Text: "250-mail.xn--bcher-kva.example", BeforeTLS: true},
				{AtMS: 15, From: "server", Text: "250 STARTTLS", BeforeTLS: true},
				{AtMS: 16, From: "client", Text: "STARTTLS", BeforeTLS: true},
				{AtMS: 30, From: "server", Text: "220 2.0.0 Ready to start TLS", BeforeTLS: true},
				{AtMS: 70, From: "note", Text: "TLS 1.2 handshake done, certificate verified"},
				{AtMS: 71, From: "client", Text: "AUTH PLAIN [redacted]"},
				{AtMS: 1100, From: "server", Text: "535 5.7.8 Authentication credentials invalid"},
				{AtMS: 1101, From: "client", Text: "AUTH PLAIN [redacted]"},
				{AtMS: 2290, From: "server", Text: "535 5.7.8 Authentication credentials invalid"},
			}},
	}
	return &detect.Report{
		Version: detect.ReportVersion, Address: "bob@xn--bcher-kva.example", Domain: "xn--bcher-kva.example",
		DomainUnicode: "bücher.example", ElapsedMS: 2950, Verdict: detect.VerdictCaveats, DNSSEC: "insecure",
		Sources: []detect.SourceReport{
			{Name: detect.SourceSRV, Status: detect.StatusFound, Trust: detect.TrustDNS, ElapsedMS: 30,
				Detail: "_imap._tcp → mail.xn--bcher-kva.example:143; _submission._tcp → mail.xn--bcher-kva.example:587", Servers: 2},
			{Name: detect.SourceAutoconfigHTTP, Status: detect.StatusNone, Trust: detect.TrustInsecure, ElapsedMS: 60,
				Queries: []string{"http://autoconfig.xn--bcher-kva.example/mail/config-v1.1.xml"}, Detail: "404 Not Found"},
		},
		Incoming: []detect.Server{in},
		Outgoing: []detect.Server{out},
		Warnings: []detect.Warning{
			{Code: "implicit-tls-unavailable", Severity: detect.SeverityInfo, Server: "mail.xn--bcher-kva.example:143",
				Message: "mail.xn--bcher-kva.example:143 uses STARTTLS: no implicit-TLS server could be verified.",
				Fix:     "Set the client to STARTTLS required, never \"if available\"."},
			{Code: "needs-confirmation", Severity: detect.SeverityWarning, Server: "mail.xn--bcher-kva.example:143",
				Message: "These settings come only from unsigned DNS, which nothing ties to the domain.",
				Fix:     "Confirm the server belongs to your provider before sending a password."},
			{Code: "implicit-tls-unavailable", Severity: detect.SeverityInfo, Server: "mail.xn--bcher-kva.example:587",
				Message: "mail.xn--bcher-kva.example:587 uses STARTTLS: no implicit-TLS server could be verified."},
		},
	}
}

// unsafeReport: danger warnings, nothing recommended, every failing probe status.
func unsafeReport() *detect.Report {
	expired := &detect.CertReport{Problem: "expired",
		Error:   "x509: certificate has expired or is not yet valid: current time 2026-05-01T00:00:00Z is after 2026-03-01T00:00:00Z",
		Subject: "CN=mail.example.net", Issuer: "CN=Old CA", DNSNames: []string{"mail.example.net"},
		NotBefore: "2025-03-01T00:00:00Z", NotAfter: "2026-03-01T00:00:00Z"}
	return &detect.Report{
		Version: detect.ReportVersion, Address: "carol@example.net", Domain: "example.net",
		ElapsedMS: 15000, Verdict: detect.VerdictUnsafe, DNSSEC: "bogus",
		Sources: []detect.SourceReport{
			{Name: detect.SourceAutoconfig, Status: detect.StatusError, Trust: detect.TrustHTTPS, ElapsedMS: 4000,
				Detail:  "tls: failed to verify certificate: x509: certificate signed by unknown authority",
				Queries: []string{"https://autoconfig.example.net/mail/config-v1.1.xml"}},
			{Name: detect.SourceMX, Status: detect.StatusFound, Trust: detect.TrustMX, ElapsedMS: 25,
				Detail: "MX mx.example.net", Queries: []string{"example.net MX"}, Servers: 0},
			{Name: detect.SourceGuess, Status: detect.StatusFound, Trust: detect.TrustGuess, ElapsedMS: 3,
				Detail: "guessed mail.example.net", Servers: 5},
		},
		Incoming: []detect.Server{
			{Protocol: autoconfig.IMAP, Host: "mail.example.net", Port: 993, Security: autoconfig.TLS,
				Username: "carol@example.net", Sources: []detect.SourceName{detect.SourceGuess}, Trust: detect.TrustGuess,
				Probe: detect.ProbeReport{Status: detect.ProbeTLSError, Error: "certificate has expired",
					Address: "203.0.113.5:993", TLSVersion: "TLS 1.2", CipherSuite: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
					Cert: expired, Tried: []detect.AddrReport{{Address: "203.0.113.5", Network: "tcp4", ElapsedMS: 30}}, ElapsedMS: 70},
				Login: detect.LoginReport{Status: detect.LoginNotTried, Error: "not the recommended server"}},
			{Protocol: autoconfig.IMAP, Host: "mail.example.net", Port: 143, Security: autoconfig.Plain,
				Username: "carol@example.net", Sources: []detect.SourceName{detect.SourceGuess}, Trust: detect.TrustGuess,
				Probe: detect.ProbeReport{Status: detect.ProbeOK, Address: "203.0.113.5:143",
					Capabilities: []string{"IMAP4rev1", "AUTH=PLAIN"}, SASL: []string{"PLAIN"},
					Tried: []detect.AddrReport{{Address: "203.0.113.5", Network: "tcp4", ElapsedMS: 28}}, ElapsedMS: 40,
					Transcript: []detect.TranscriptLine{
						{AtMS: 0, From: "server", Text: "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] [ALERT] Your mailbox is full, log in at http://evil.example/"},
						{AtMS: 1, From: "client", Text: "A1 CAPABILITY"},
						{AtMS: 9, From: "server", Text: "* CAPABILITY IMAP4rev1 AUTH=PLAIN"},
					}},
				Login: detect.LoginReport{Status: detect.LoginNotTried, Error: "not the recommended server"}},
			{Protocol: autoconfig.POP3, Host: "pop.example.net", Port: 995, Security: autoconfig.TLS,
				Sources: []detect.SourceName{detect.SourceGuess}, Trust: detect.TrustGuess,
				Probe: detect.ProbeReport{Status: detect.ProbeUnreachable, Error: "no address answered", ElapsedMS: 4000,
					Tried: []detect.AddrReport{
						{Address: "2001:db8::995", Network: "tcp6", Error: "connect: network is unreachable", ElapsedMS: 1},
						{Address: "203.0.113.6", Network: "tcp4", Error: "i/o timeout", ElapsedMS: 3999},
					}}},
		},
		Outgoing: []detect.Server{
			{Protocol: autoconfig.SMTP, Host: "mail.example.net", Port: 465, Security: autoconfig.TLS,
				Sources: []detect.SourceName{detect.SourceGuess}, Trust: detect.TrustGuess,
				Probe: detect.ProbeReport{Status: detect.ProbeTimeout, Error: "no answer within 4s", ElapsedMS: 4000,
					Tried: []detect.AddrReport{{Address: "203.0.113.5", Network: "tcp4", Error: "i/o timeout", ElapsedMS: 4000}}}},
			{Protocol: autoconfig.SMTP, Host: "mail.example.net", Port: 587, Security: autoconfig.STARTTLS,
				Auth: []autoconfig.Auth{autoconfig.AuthPasswordCleartext}, Username: "carol@example.net",
				Sources: []detect.SourceName{detect.SourceGuess}, Trust: detect.TrustGuess,
				Probe: detect.ProbeReport{Status: detect.ProbeProtocolError, Error: "STARTTLS not offered", Address: "203.0.113.5:587",
					Capabilities: []string{"PIPELINING", "AUTH PLAIN LOGIN"}, ElapsedMS: 50,
					Tried: []detect.AddrReport{{Address: "203.0.113.5", Network: "tcp4", ElapsedMS: 20}},
					Transcript: []detect.TranscriptLine{
						{AtMS: 0, From: "server", Text: "220 mail.example.net ESMTP", BeforeTLS: true},
						{AtMS: 1, From: "client", Text: "EHLO mailsetup.invalid", BeforeTLS: true},
						{AtMS: 20, From: "server", Text: "250-mail.example.net", BeforeTLS: true},
						{AtMS: 20, From: "server", Text: "250 AUTH PLAIN LOGIN", BeforeTLS: true},
						{AtMS: 21, From: "note", Text: "STARTTLS not offered: stopping, nothing more is sent"},
					}}},
			{Protocol: autoconfig.SMTP, Host: "smtp.example.net", Port: 25, Security: autoconfig.STARTTLS,
				Sources: []detect.SourceName{detect.SourceMX}, Trust: detect.TrustMX,
				Probe: detect.ProbeReport{Status: detect.ProbeNotProbed}},
		},
		Warnings: []detect.Warning{
			{Code: "needs-confirmation", Severity: detect.SeverityWarning, Message: "Only guessed names were found."},
			{Code: "cert-expired", Severity: detect.SeverityDanger, Server: "mail.example.net:993",
				Message: "mail.example.net:993 presents a certificate that fails verification: certificate has expired.",
				Fix:     "Do not accept an exception in your mail client. The server's admin must renew the certificate."},
			{Code: "starttls-missing", Severity: detect.SeverityDanger, Server: "mail.example.net:587",
				Message: "mail.example.net:587: the server's answer did not offer STARTTLS.",
				Fix:     "Never let the client fall back to an unencrypted connection."},
			{Code: "starttls-missing", Severity: detect.SeverityInfo, Server: "mail.example.net:143",
				Message: "mail.example.net:143: It answered in plaintext only."},
			{Code: "unreachable", Severity: detect.SeverityDanger,
				Message: "No outgoing server could be reached.",
				Fix:     "Check the network and firewalls; compare with another network."},
		},
	}
}

// noneReport: nothing found at all.
func noneReport() *detect.Report {
	return &detect.Report{
		Version: detect.ReportVersion, Address: "dave@nothing.example", Domain: "nothing.example",
		ElapsedMS: 1250, Verdict: detect.VerdictNone, DNSSEC: "indeterminate",
		Sources: []detect.SourceReport{
			{Name: detect.SourceSRV, Status: detect.StatusNone, Trust: detect.TrustDNS, ElapsedMS: 40,
				Detail: "NXDOMAIN for every service", Queries: []string{"_imaps._tcp.nothing.example SRV", "_submissions._tcp.nothing.example SRV"}},
			{Name: detect.SourceISPDB, Status: detect.StatusSkipped, Detail: "--ispdb off"},
			{Name: detect.SourceAutodiscover, Status: detect.StatusError, ElapsedMS: 1200, Detail: "dial tcp: lookup autodiscover.nothing.example: no such host"},
		},
		Incoming: []detect.Server{},
		Outgoing: []detect.Server{},
		Warnings: []detect.Warning{
			{Code: "no-incoming", Severity: detect.SeverityWarning, Message: "No source named an incoming server.", Fix: "Ask the provider."},
			{Code: "no-outgoing", Severity: detect.SeverityWarning, Message: "No source named an outgoing server.", Fix: "Ask the provider."},
		},
	}
}
