package detect

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/i18n"
)

// DefaultISPDB is Mozilla's ISP database, the default base URL of the ispdb
// source.
const DefaultISPDB = "https://autoconfig.thunderbird.net/v1.1/"

// Defaults of [Options].
const (
	DefaultTimeout      = 15 * time.Second
	DefaultProbeTimeout = 4 * time.Second
	// MaxResponseSize bounds every document fetched over http(s).
	MaxResponseSize = 1 << 20
	// MaxRedirects bounds the redirects followed by one fetch and by the
	// Autodiscover chain.
	MaxRedirects = 5
)

// Options configure a detection. The zero value (or nil) is usable: the
// system's resolver from /etc/resolv.conf, the system's CA roots, Mozilla's
// ISP database and the default deadlines.
type Options struct {
	// Resolver answers every DNS query of the run, including the addresses
	// the HTTP client and the probes connect to. nil means a
	// resolver.Client asking the first nameserver of /etc/resolv.conf.
	Resolver resolver.Resolver
	// Dial opens TCP connections to IP:port addresses. nil means a
	// net.Dialer. Tests use it to add latency or map ports.
	Dial resolver.DialFunc
	// RootCAs are the CAs trusted for https fetches and for the probes'
	// certificate checks. nil means the system's roots.
	RootCAs *x509.CertPool
	// HTTPClient fetches autoconfig, ISPDB and Autodiscover documents. nil
	// means a client that dials through Resolver and Dial, trusts RootCAs,
	// uses no proxy, and refuses https→http redirects. A client given here
	// must do the same for the security rules to hold.
	HTTPClient *http.Client
	// ISPDB is the ISP database base URL; "" means [DefaultISPDB].
	// Set NoISPDB to keep the domain from being sent to it at all.
	ISPDB   string
	NoISPDB bool
	// LocalDir is a folder of config-v1.1.xml files the user trusts; empty
	// means none.
	LocalDir string
	// Timeout is the overall deadline of a run; zero means 15 s.
	Timeout time.Duration
	// ProbeTimeout is the budget of one probe; zero means 4 s.
	ProbeTimeout time.Duration
	// LoginTimeout is the budget of one login connection of VerifyLogin
	// (one user name tried); zero means probe.DefaultLoginTimeout (15 s),
	// as servers delay their answer to a wrong password on purpose.
	LoginTimeout time.Duration
	// NoGuess turns the guessing source off.
	NoGuess bool
	// NoSpeculativeGuess probes guessed servers only once every other
	// source has settled and nothing better was verified, instead of from
	// the start beside the sources (keeping the results aside until
	// needed). It opens fewer connections, to guessed hosts that may not be
	// the provider's, and answers later when only guessing finds the
	// servers. Nothing but the probe itself is ever sent to a guessed host.
	NoSpeculativeGuess bool
	// Exhaustive waits for every source and every probe, instead of
	// stopping once the recommendation can no longer change.
	Exhaustive bool
	// TrustAnchors are the DNSSEC trust anchors (DS or DNSKEY records) the
	// engine validates every answer from; nil means IANA's root KSKs
	// (dnssec.RootAnchors). The resolver's AD bit is never trusted.
	TrustAnchors []dns.RR
	// Confirmed are host names the user vouches for as their provider's
	// servers. A confirmed host taken from an unsigned SRV answer counts as a
	// reference identifier of its certificate (RFC 7817 §3, RFC 6186 §6),
	// and [VerifyLogin] may send the password to it.
	Confirmed []string
	// RealName fills the %REALNAME% placeholder.
	RealName string
	// Logger receives diagnostics; nil discards them. Credentials are never
	// logged.
	Logger *slog.Logger
	// OnEvent, when set, receives progress events one at a time.
	OnEvent func(Event)
	// Printer says the report's sentences (warnings, reasons) in its
	// language; nil means English. The report's codes stay English.
	Printer *i18n.Printer
}

func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Resolver == nil {
		server, err := resolver.SystemServer("/etc/resolv.conf")
		if err != nil {
			return c, fmt.Errorf("detect: %w", err)
		}
		c.Resolver = resolver.New(server)
	}
	if c.ISPDB == "" {
		c.ISPDB = DefaultISPDB
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.HTTPClient == nil {
		c.HTTPClient = NewHTTPClient(c.Resolver, c.Dial, c.RootCAs)
	}
	return c, nil
}

// NewHTTPClient returns the HTTP client the engine uses by default: it
// resolves names with r, dials with dial (nil: net.Dialer), trusts roots
// (nil: the system's), requires TLS 1.2 or later, uses no proxy, follows at
// most [MaxRedirects] redirects and refuses a redirect from https to http.
func NewHTTPClient(r resolver.Resolver, dial resolver.DialFunc, roots *x509.CertPool) *http.Client {
	d := &resolver.Dialer{Resolver: r, Dial: dial}
	tr := &http.Transport{
		Proxy:                  nil, // never a proxy from the environment: --resolver must isolate a run
		DialContext:            d.DialContext,
		TLSClientConfig:        &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}, // RFC 8997
		TLSHandshakeTimeout:    5 * time.Second,
		ResponseHeaderTimeout:  8 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		DisableCompression:     true,
		IdleConnTimeout:        5 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= MaxRedirects {
				return fmt.Errorf("detect: more than %d redirects", MaxRedirects)
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: %s to %s", ErrInsecureRedirect, via[len(via)-1].URL, req.URL)
			}
			return nil
		},
	}
}
