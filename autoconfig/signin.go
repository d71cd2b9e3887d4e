package autoconfig

import (
	"fmt"
	"regexp"
	"strings"
)

// OAuth2 is the <oAuth2> element of config-v1.1.xml: where a mail client
// signs the user in when a server lists the OAuth2 authentication
// (draft-ietf-mailmaint-autoconfig, "OAuth2 requirements"). AuthURL and
// TokenURL are https URLs; Issuer is the authorization server's host name or
// https issuer URL, from which its metadata can be fetched (RFC 8414 §3).
// ClientID and ClientSecret are the provider's registration for mail clients
// and may be empty: the draft then asks for dynamic client registration
// (RFC 7591). They are public values of a public file, not the user's
// credentials.
type OAuth2 struct {
	Issuer       string `json:"issuer,omitempty"`
	Scope        string `json:"scope,omitempty"`
	AuthURL      string `json:"auth_url,omitempty"`
	TokenURL     string `json:"token_url,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
}

// Usable reports whether a client can start a sign-in from o: it names both
// endpoints, or an issuer whose metadata names them (RFC 8414).
func (o *OAuth2) Usable() bool {
	return o != nil && (o.AuthURL != "" && o.TokenURL != "" || o.Issuer != "")
}

// Link is a help page of the provider: a <documentation url> with its
// description, or the page an <enable visiturl> element sends the user to
// with its <instruction>.
type Link struct {
	URL   string `json:"url"`
	Descr string `json:"descr,omitempty"`
	// AppPassword is true when the page is about app passwords (the
	// password a provider that signs in with OAuth2 lets a user create for a
	// client that cannot), judged from its description and URL.
	AppPassword bool `json:"app_password,omitempty"`
}

// AppPasswordURL returns the first help page about app passwords, or "".
func AppPasswordURL(help []Link) string {
	for _, l := range help {
		if l.AppPassword {
			return l.URL
		}
	}
	return ""
}

// appPasswordRE recognises a page about app passwords ("app password",
// "app-specific password", "application password", "apppasswords").
var appPasswordRE = regexp.MustCompile(`(?i)app(lication)?[-_ ]?(specific[-_ ]?)?passwor(d|t)`)

// maxOAuth2Value bounds each value of <oAuth2>; maxLinks the help pages kept.
const (
	maxOAuth2Value = 2048
	maxLinks       = 16
)

// readOAuth2 reads the <oAuth2> element (a child of clientConfig). A value
// that is invalid (an authURL or tokenURL that is not https, control
// characters, over 2048 octets) is dropped with a problem noted; nil when
// nothing usable remains.
func (c *Config) readOAuth2(n *xnode) *OAuth2 {
	o := &OAuth2{}
	get := func(name string, url bool) string {
		v, ok := n.childValue(name)
		if !ok || v == "" {
			return ""
		}
		bad := func(why string) string {
			c.problem("oAuth2 at line %d: %s ignored: %s", n.line, name, why)
			return ""
		}
		if len(v) > maxOAuth2Value {
			return bad("longer than 2048 octets")
		}
		if checkUsername(v) != nil {
			return bad("control characters")
		}
		if url {
			u, err := checkURL(v, true) // the sign-in and tokens go over https only
			if err != nil {
				return bad(err.Error())
			}
			return u
		}
		return v
	}
	o.AuthURL = get("authURL", true)
	o.TokenURL = get("tokenURL", true)
	o.Scope = get("scope", false)
	o.ClientID = get("clientID", false)
	o.ClientSecret = get("clientSecret", false)
	if iss := get("issuer", false); iss != "" {
		if strings.Contains(iss, "://") {
			iss = get("issuer", true)
		} else if h, err := normHost(iss); err != nil || hasPlaceholder(h) {
			c.problem("oAuth2 at line %d: issuer ignored: %q is not a host name or https URL", n.line, clip(iss, 64))
			iss = ""
		} else {
			iss = h
		}
		o.Issuer = iss
	}
	if !o.Usable() {
		c.problem("oAuth2 at line %d ignored: it names neither an issuer nor both authURL and tokenURL", n.line)
		return nil
	}
	return o
}

// readHelp reads the provider's help pages: <documentation url> with its
// English (or first) <descr>, and <enable visiturl> with its <instruction>
// (or <instructions>). Pages that are not http(s) URLs are skipped.
func (c *Config) readHelp(ep, root *xnode) []Link {
	var out []Link
	add := func(n *xnode, attr string, descrs ...string) {
		raw, ok := n.attr(attr)
		if !ok || len(out) == maxLinks {
			return
		}
		u, err := checkURL(raw, false)
		if err != nil || hasPlaceholder(u) {
			return
		}
		l := Link{URL: u}
		for _, name := range descrs {
			for _, d := range n.children(name) {
				lang, _ := d.attr("lang")
				if v := d.value(); v != "" && checkUsername(v) == nil && (l.Descr == "" || strings.EqualFold(lang, "en")) {
					l.Descr = clip(v, 200)
				}
			}
		}
		l.AppPassword = appPasswordRE.MatchString(l.Descr) || appPasswordRE.MatchString(u)
		out = append(out, l)
	}
	for _, parent := range []*xnode{ep, root} {
		for _, n := range parent.kids {
			switch n.name {
			case "documentation":
				add(n, "url", "descr")
			case "enable":
				add(n, "visiturl", "instruction", "instructions")
			}
		}
	}
	return out
}

// attachSignIn gives every mail server the config's help pages, and the
// OAuth2 element to those that list the OAuth2 authentication.
func (c *Config) attachSignIn() {
	for _, list := range [][]Server{c.Incoming, c.Outgoing} {
		for i := range list {
			s := &list[i]
			if !isMailProtocol(s.Protocol) {
				continue
			}
			s.Help = c.Help
			if c.OAuth2 != nil && s.HasAuth(AuthOAuth2) {
				s.OAuth2 = c.OAuth2
			}
		}
	}
}

// HasAuth reports whether the server lists the method a.
func (s Server) HasAuth(a Auth) bool {
	for _, x := range s.Auth {
		if x == a {
			return true
		}
	}
	return false
}

// PasswordAuth reports whether one of the server's methods sends a
// password (password-cleartext, password-encrypted, NTLM). No method at all
// counts as a password, as readers and writers take it.
func (s Server) PasswordAuth() bool {
	if len(s.Auth) == 0 {
		return true
	}
	return s.HasAuth(AuthPasswordCleartext) || s.HasAuth(AuthPasswordEncrypted) || s.HasAuth(AuthNTLM)
}

// writeMozillaOAuth2 writes the <oAuth2> element.
func writeMozillaOAuth2(b interface{ WriteString(string) (int, error) }, o *OAuth2) {
	b.WriteString("  <oAuth2>\n")
	for _, kv := range [][2]string{{"issuer", o.Issuer}, {"scope", o.Scope}, {"authURL", o.AuthURL},
		{"tokenURL", o.TokenURL}, {"clientID", o.ClientID}, {"clientSecret", o.ClientSecret}} {
		if kv[1] != "" {
			b.WriteString(fmt.Sprintf("    <%s>%s</%s>\n", kv[0], xmlEscape(kv[1]), kv[0]))
		}
	}
	b.WriteString("  </oAuth2>\n")
}

// exportOAuth2 is the <oAuth2> element to write: the config's, or else,
// when a server lists the OAuth2 authentication, that server's; nil when
// there is none. Its URLs must be https and no value may hold control
// characters ([ErrExportInvalid]).
func exportOAuth2(cfg *Config, lists ...[]Server) (*OAuth2, error) {
	o := cfg.OAuth2
	for _, list := range lists {
		for _, s := range list {
			if o == nil && s.HasAuth(AuthOAuth2) {
				o = s.OAuth2
			}
		}
	}
	if o == nil {
		return nil, nil
	}
	for _, u := range []string{o.AuthURL, o.TokenURL} {
		if u == "" {
			continue
		}
		if _, err := checkURL(u, true); err != nil {
			return nil, fmt.Errorf("%w: oAuth2: %w", ErrExportInvalid, err)
		}
	}
	for _, v := range []string{o.Issuer, o.Scope, o.ClientID, o.ClientSecret} {
		if err := checkUsername(v); err != nil || len(v) > maxOAuth2Value {
			return nil, fmt.Errorf("%w: oAuth2: a value is too long or has control characters", ErrExportInvalid)
		}
	}
	return o, nil
}

// writeMozillaHelp writes the help pages as <documentation> elements; a
// page that is not an http(s) URL, or whose text has control characters, is
// left out.
func writeMozillaHelp(b interface{ WriteString(string) (int, error) }, help []Link) {
	for _, l := range help {
		if _, err := checkURL(l.URL, false); err != nil || checkUsername(l.Descr) != nil {
			continue
		}
		b.WriteString("    <documentation url=\"" + xmlEscape(l.URL) + "\">\n")
		if l.Descr != "" {
			b.WriteString("      <descr>" + xmlEscape(l.Descr) + "</descr>\n")
		}
		b.WriteString("    </documentation>\n")
	}
}
