package east

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// Errors returned by LoadCase and LoadCorpus.
var (
	// ErrNoProtocol is returned for a case file whose path names none of
	// imap, pop3 and smtp.
	ErrNoProtocol = errors.New("east: no protocol (imap, pop3, smtp) in the case path")
	// ErrNotStruct is returned for a case file that is not a RON struct.
	ErrNotStruct = errors.New("east: case file is not a struct")
)

// Role says what a corpus file is.
type Role string

// The roles of corpus files.
const (
	// RoleCase is an EAST test case: a scripted, misbehaving server.
	RoleCase Role = "case"
	// RoleSetup is a baseline server configuration of the corpus
	// (setup.ron, setup_*.ron, tls_setup.ron): the well-behaved server a
	// client account is set up against before the cases run. The suite plays
	// them as positive controls.
	RoleSetup Role = "setup"
	// RoleVariant is a case with some of its commented-out fields
	// uncommented (Case.Variants).
	RoleVariant Role = "variant"
	// RoleConfig configures another experiment of the toolkit (oracles.ron:
	// the decryption-oracle experiments, switched on by its `oracle` field).
	// It is not a STARTTLS behaviour and is not played.
	RoleConfig Role = "config"
)

// CertKind is what the certificate a case names stands for. The corpus
// carries no key material; the test makes certificates of these kinds at run
// time.
type CertKind string

// The certificate kinds the cases name.
const (
	CertValid       CertKind = "valid"        // certs/example.org.pem: a leaf for the name the client asked for
	CertSelfSigned  CertKind = "self-signed"  // certs/example.org-self-signed.pem
	CertUnknownRoot CertKind = "unknown-root" // certs/example.org-unknown-root.pem: chained to a CA nobody trusts
	CertWrongName   CertKind = "wrong-name"   // certs/other.example.org.pem: valid, for another name
	CertExpired     CertKind = "expired"      // certs/example.org-expired.pem
	CertNone        CertKind = "none"         // "<not needed>" or "": the server has none, TLS fails
)

var certKinds = map[string]CertKind{
	"certs/example.org.pem":              CertValid,
	"certs/example.org-self-signed.pem":  CertSelfSigned,
	"certs/example.org-unknown-root.pem": CertUnknownRoot,
	"certs/other.example.org.pem":        CertWrongName,
	"certs/example.org-expired.pem":      CertExpired,
	"<not needed>":                       CertNone,
	"":                                   CertNone,
}

// Hook is a case's oracle on a command (hook_login, hook_data, ...):
// Terminate("why") means that a client sending the command is vulnerable,
// and the server stops; Pass("why") lets the command proceed.
type Hook struct {
	Action  string // "Pass" or "Terminate"
	Message string
}

// Status is an IMAP status response that replaces the server's own
// (override_login, override_authenticate, override_select).
type Status struct {
	// Tag is the response's tag: "<tag>" stands for the command's, "*" is
	// untagged.
	Tag string
	// Rest follows the tag: " NO [REFERRAL ...] text\r\n".
	Rest string
	// OK: the response is OK, so the command succeeded.
	OK bool
}

// Case is one corpus file, read into the behaviour the scripted server
// plays. The byte strings are what goes on the wire.
type Case struct {
	// Name is the path below the corpus root, slash-separated, without
	// ".ron": "testcases/imap/Negotiation/O_1".
	Name string
	// File is the path the case was read from.
	File string
	// Role is RoleCase, RoleSetup or RoleConfig.
	Role Role
	// Protocol is IMAP, POP3 or SMTP, from the path.
	Protocol autoconfig.Protocol
	// ImplicitTLS: TLS from the first byte (implicit_tls).
	ImplicitTLS bool
	// Cert is the kind of certificate the case serves; CertPath its name.
	Cert     CertKind
	CertPath string

	// Authenticated is the IMAP state after the greeting
	// (state: Authenticated).
	Authenticated bool
	// Greeting is sent first (IMAP greeting rendered, or
	// override_response["greeting"]; POP3 and SMTP greeting).
	Greeting string
	// AfterGreeting follows the greeting (IMAP response_after_greeting).
	AfterGreeting string
	// Caps are the capabilities before TLS and CapsTLS after, and CapsAuth
	// and CapsTLSAuth after authentication: IMAP capability atoms, POP3 CAPA
	// lines, SMTP EHLO keyword lines (SMTP has no CapsAuth).
	Caps, CapsTLS, CapsAuth, CapsTLSAuth []string
	// STARTTLSResponse answers STARTTLS (STLS); for IMAP "<tag>" is replaced
	// by the command's tag. Empty for IMAP means the default tagged OK.
	STARTTLSResponse string
	// Transition: after the response the server starts TLS
	// (starttls_transition, stls_make_transition).
	Transition bool
	// AfterTLS is sent after the transition (IMAP response_after_tls).
	AfterTLS string
	// Ignore, IgnoreTLS: commands left unanswered before and after TLS.
	Ignore, IgnoreTLS []string
	// Hide: commands answered as unknown.
	Hide []string
	// Override maps a lower-case command name to the raw answer that replaces
	// the server's own (override_response; "<tag>" is replaced for IMAP).
	Override map[string]string
	// Hooks maps a lower-case command name to the case's oracle on it.
	Hooks map[string]Hook
	// Statuses replace the IMAP server's final answer to "login",
	// "authenticate" and "select" (override_login, ...).
	Statuses map[string]Status

	// Fields are the top-level field names, in file order.
	Fields []string
	// Unknown are fields the server does not implement.
	Unknown []string
	// Unsupported say which values the server cannot play.
	Unsupported []string
	// Value is the parsed file.
	Value Value
	// Uncommented says which commented-out lines a variant uncomments.
	Uncommented []string

	src []byte // the file's text, for Variants
}

// NotApplicable returns why the server cannot play the case faithfully, or ""
// when it can. A case is never played with a field silently dropped.
func (c *Case) NotApplicable() string {
	var why []string
	if c.Role == RoleConfig {
		why = append(why, "configuration of another experiment, not a STARTTLS behaviour")
	}
	if len(c.Unknown) > 0 {
		why = append(why, "field not implemented by the server: "+strings.Join(c.Unknown, ", "))
	}
	why = append(why, c.Unsupported...)
	return strings.Join(why, "; ")
}

// fieldSets are the fields the server implements, per protocol. They follow
// fake-mail-server's config structs (src/{imap,pop3,smtp}/config.rs) plus
// the hook_* oracles the cases use.
var fieldSets = map[autoconfig.Protocol][]string{
	autoconfig.IMAP: {"state", "greeting", "response_after_greeting", "caps", "caps_auth", "caps_tls",
		"caps_tls_auth", "starttls_response", "starttls_transition", "ignore_commands", "ignore_commands_tls",
		"hide_commands", "response_after_tls", "override_response", "cert", "implicit_tls",
		"hook_login", "hook_authenticate", "hook_select", "override_login", "override_authenticate", "override_select"},
	autoconfig.POP3: {"greeting", "capa", "capa_auth", "capa_tls", "capa_tls_auth", "stls_response",
		"stls_make_transition", "hide_commands", "ignore_commands_tls", "implicit_tls", "cert", "override_response"},
	autoconfig.SMTP: {"greeting", "capabilities", "capabilities_tls", "stls_response", "stls_make_transition",
		"ignore_commands_tls", "hide_commands", "implicit_tls", "cert", "override_response", "hook_data"},
}

// requiredFields have no default in fake-mail-server: a file without one
// does not load there.
var requiredFields = map[autoconfig.Protocol][]string{
	autoconfig.IMAP: {"state", "caps", "caps_auth", "caps_tls", "caps_tls_auth", "cert", "implicit_tls"},
	autoconfig.POP3: {"greeting", "capa", "capa_auth", "capa_tls", "capa_tls_auth", "cert", "implicit_tls"},
	autoconfig.SMTP: {"capabilities", "capabilities_tls", "cert", "implicit_tls"},
}

// LoadCorpus loads every .ron file below root/testcases and
// root/testcases_extra, sorted by name.
func LoadCorpus(root string) ([]*Case, error) {
	var cases []*Case
	for _, dir := range []string{"testcases", "testcases_extra"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(path, ".ron") {
				return nil
			}
			c, err := LoadCase(root, path)
			if err != nil {
				return err
			}
			cases = append(cases, c)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, nil
}

// LoadCase reads the case file at path, which is below the corpus root. It
// returns a parse error (wrapping ErrSyntax), ErrNoProtocol or ErrNotStruct;
// a file the server cannot play loads fine and says why in NotApplicable.
func LoadCase(root, path string) (*Case, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, err
	}
	return newCase(strings.TrimSuffix(filepath.ToSlash(rel), ".ron"), path, src)
}

func newCase(name, path string, src []byte) (*Case, error) {
	v, err := Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c := &Case{Name: name, File: path, Value: v, Role: RoleCase, src: src}
	for _, el := range strings.Split(name, "/") {
		switch p := autoconfig.Protocol(strings.ToLower(el)); p {
		case autoconfig.IMAP, autoconfig.POP3, autoconfig.SMTP:
			if c.Protocol == "" {
				c.Protocol = p
			}
		}
	}
	if c.Protocol == "" {
		return nil, fmt.Errorf("%s: %w", name, ErrNoProtocol)
	}
	switch base := filepath.Base(path); {
	case base == "oracles.ron":
		c.Role = RoleConfig
	case base == "setup.ron" || base == "tls_setup.ron" || strings.HasPrefix(base, "setup_"):
		c.Role = RoleSetup
	}
	if v.Kind != KindStruct {
		return nil, fmt.Errorf("%s: %w (it is a %s)", name, ErrNotStruct, v.Kind)
	}
	c.fill()
	return c, nil
}

// commentedField matches a commented-out field line: "//starttls_response: ...".
var commentedField = regexp.MustCompile(`^\s*//\s*([A-Za-z_][A-Za-z0-9_]*)\s*:`)

// maxVariantLines bounds a commented-out field spanning several lines.
const maxVariantLines = 12

// Variants returns the case's commented-out alternatives, as cases of
// RoleVariant. The corpus ships the attack steps of its Buffering cases as
// commented field lines ("2) Then try to inject response via STARTTLS
// suffix. Uncomment ..."), so the files as they are play the first, benign
// step only. Each commented field (with the commented lines after it when
// its value spans several) gives one variant, named after the case with
// "~field" (and "#n" when the field is commented out more than once); all of
// them at once give "~all" when no field repeats. A comment that does not
// parse once uncommented, or sets a field the case sets already, is no
// variant.
func (c *Case) Variants() []*Case {
	if c.src == nil {
		return nil
	}
	lines := strings.SplitAfter(string(c.src), "\n")
	uncomment := func(from, to int, out []string) {
		for i := from; i <= to; i++ {
			out[i] = strings.Replace(lines[i], "//", "", 1)
		}
	}
	type block struct {
		from, to int
		field    string
	}
	var blocks []block
	for i := 0; i < len(lines); i++ {
		m := commentedField.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		run := i // the last line of this run of comment lines
		for run+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[run+1]), "//") {
			run++
		}
		found := false
		for to := i; to <= run && to < i+maxVariantLines; to++ {
			try := slices.Clone(lines)
			uncomment(i, to, try)
			if v, err := Parse([]byte(strings.Join(try, ""))); err == nil && len(v.Fields) == len(c.Value.Fields)+1 {
				blocks = append(blocks, block{i, to, m[1]})
				i, found = to, true
				break
			}
		}
		if !found {
			// A commented field that cannot be set (say a second greeting):
			// the lines after it in the run belong to it, not to the case.
			i = run
		}
	}
	var out []*Case
	add := func(suffix string, bs []block) {
		try := slices.Clone(lines)
		for _, b := range bs {
			uncomment(b.from, b.to, try)
		}
		v, err := newCase(c.Name+"~"+suffix, c.File, []byte(strings.Join(try, "")))
		if err != nil {
			return
		}
		v.Role = RoleVariant
		if c.Role != RoleCase {
			v.Role = c.Role
		}
		for _, b := range bs {
			v.Uncommented = append(v.Uncommented, fmt.Sprintf("lines %d-%d (%s)", b.from+1, b.to+1, b.field))
		}
		v.src = nil
		out = append(out, v)
	}
	seen := map[string]int{}
	repeated := false
	for _, b := range blocks {
		seen[b.field]++
		if seen[b.field] > 1 {
			repeated = true
		}
	}
	count := map[string]int{}
	for _, b := range blocks {
		suffix := b.field
		if seen[b.field] > 1 {
			count[b.field]++
			suffix = fmt.Sprintf("%s#%d", b.field, count[b.field])
		}
		add(suffix, []block{b})
	}
	if len(blocks) > 1 && !repeated {
		add("all", blocks)
	}
	return out
}

// fill reads the fields, recording what cannot be played.
func (c *Case) fill() {
	known := fieldSets[c.Protocol]
	for _, f := range c.Value.Fields {
		c.Fields = append(c.Fields, f.Name)
		if !slices.Contains(known, f.Name) {
			c.Unknown = append(c.Unknown, f.Name)
		}
	}
	for _, f := range requiredFields[c.Protocol] {
		if _, ok := c.Value.Field(f); !ok {
			c.unsupported("missing field %s, which the server requires", f)
		}
	}

	// Defaults of fake-mail-server's config structs.
	c.Transition = true
	c.Cert = CertNone
	switch c.Protocol {
	case autoconfig.IMAP:
		c.Greeting = "* OK Fake IMAP server ready.\r\n"
	case autoconfig.POP3:
		c.STARTTLSResponse = "+OK Begin fake TLS negotiation now.\r\n"
	case autoconfig.SMTP:
		c.Greeting = "220 smtp.example.com ESMTP fake\r\n"
		c.STARTTLSResponse = "220 Ready to start TLS\r\n"
	}

	c.ImplicitTLS = c.boolField("implicit_tls")
	if cert, ok := c.Value.Field("cert"); ok {
		crt, _ := cert.Field("crt_path")
		if cert.Kind != KindStruct || crt.Kind != KindString {
			c.unsupported("cert %s is not Cert(crt_path: ..., key_path: ...)", cert)
		} else if kind, ok := certKinds[crt.Str]; ok {
			c.Cert, c.CertPath = kind, crt.Str
		} else {
			c.unsupported("unknown certificate %q", crt.Str)
		}
	}
	c.Override = c.stringMap("override_response")
	c.Hide = c.stringList("hide_commands")
	c.IgnoreTLS = c.stringList("ignore_commands_tls")
	c.Hooks = map[string]Hook{}
	for _, f := range c.Value.Fields {
		if name, ok := strings.CutPrefix(f.Name, "hook_"); ok && slices.Contains(known, f.Name) {
			c.Hooks[name] = c.hook(f.Value)
		}
	}

	switch c.Protocol {
	case autoconfig.IMAP:
		c.fillIMAP()
	case autoconfig.POP3:
		if v, ok := c.stringField("greeting"); ok {
			c.Greeting = v
		}
		c.Caps = c.stringList("capa")
		c.CapsTLS = c.stringList("capa_tls")
		c.CapsAuth = c.stringList("capa_auth")
		c.CapsTLSAuth = c.stringList("capa_tls_auth")
		if v, ok := c.stringField("stls_response"); ok {
			c.STARTTLSResponse = v
		}
		if _, ok := c.Value.Field("stls_make_transition"); ok {
			c.Transition = c.boolField("stls_make_transition")
		}
	case autoconfig.SMTP:
		if v, ok := c.stringField("greeting"); ok {
			c.Greeting = v
		}
		c.Caps = c.smtpCaps("capabilities")
		c.CapsTLS = c.smtpCaps("capabilities_tls")
		if v, ok := c.stringField("stls_response"); ok {
			c.STARTTLSResponse = v
		}
		if _, ok := c.Value.Field("stls_make_transition"); ok {
			c.Transition = c.boolField("stls_make_transition")
		}
	}
}

func (c *Case) fillIMAP() {
	if v, ok := c.Value.Field("state"); ok {
		switch {
		case v.IsIdent("NotAuthenticated"):
		case v.IsIdent("Authenticated"):
			c.Authenticated = true
		default:
			c.unsupported("IMAP state %s", v)
		}
	}
	if g, ok := c.Value.Field("greeting"); ok {
		s, err := imapGreeting(g)
		if err != nil {
			c.unsupported("greeting: %v", err)
		}
		c.Greeting = s
	}
	if g, ok := c.Override["greeting"]; ok {
		c.Greeting = g
	}
	c.AfterGreeting = c.optString("response_after_greeting")
	c.Caps = c.imapCaps("caps")
	c.CapsTLS = c.imapCaps("caps_tls")
	c.CapsAuth = c.imapCaps("caps_auth")
	c.CapsTLSAuth = c.imapCaps("caps_tls_auth")
	c.STARTTLSResponse = c.optString("starttls_response")
	if _, ok := c.Value.Field("starttls_transition"); ok {
		c.Transition = c.boolField("starttls_transition")
	}
	c.AfterTLS = c.optString("response_after_tls")
	c.Ignore = c.stringList("ignore_commands")
	c.Statuses = map[string]Status{}
	for _, cmd := range []string{"login", "authenticate", "select"} {
		v, ok := c.Value.Field("override_" + cmd)
		if !ok || v.IsIdent("None") {
			continue
		}
		st, err := imapStatus(v)
		if err != nil {
			c.unsupported("override_%s: %v", cmd, err)
			continue
		}
		c.Statuses[cmd] = st
	}
}

// imapStatus reads Some(Ok|No|Bad(tag: ..., code: ..., text: ...)).
func imapStatus(v Value) (Status, error) {
	if v.Kind != KindTuple || v.Name != "Some" || len(v.Items) != 1 {
		return Status{}, fmt.Errorf("%s is not Some(status) or None", v)
	}
	v = v.Items[0]
	kinds := map[string]string{"Ok": "OK", "No": "NO", "Bad": "BAD"}
	kind, ok := kinds[v.Name]
	if v.Kind != KindStruct || !ok {
		return Status{}, fmt.Errorf("status %s is not Ok, No or Bad(tag: ..., code: ..., text: ...)", v)
	}
	st := Status{Tag: "*", OK: kind == "OK"}
	for _, f := range v.Fields {
		switch f.Name {
		case "tag", "code", "text":
		default:
			return Status{}, fmt.Errorf("status field %s not known", f.Name)
		}
	}
	if tag, ok := v.Field("tag"); ok && !tag.IsIdent("None") {
		if tag.Kind != KindTuple || tag.Name != "Some" || len(tag.Items) != 1 {
			return Status{}, fmt.Errorf("status tag %s is not Some(...) or None", tag)
		}
		s, err := atomText(tag.Items[0])
		if err != nil {
			return Status{}, err
		}
		st.Tag = s
	}
	var b strings.Builder
	b.WriteString(" " + kind)
	if code, ok := v.Field("code"); ok && !code.IsIdent("None") {
		if code.Kind != KindTuple || code.Name != "Some" || len(code.Items) != 1 {
			return Status{}, fmt.Errorf("status code %s is not Some(...) or None", code)
		}
		s, err := imapCode(code.Items[0])
		if err != nil {
			return Status{}, err
		}
		b.WriteString(" [" + s + "]")
	}
	text, _ := v.Field("text")
	if text.Kind == KindTuple && text.Name == "Text" && len(text.Items) == 1 {
		text = text.Items[0]
	}
	if text.Kind != KindString || strings.ContainsAny(text.Str, "\r\n") {
		return Status{}, fmt.Errorf("status text %s is not Text(string)", text)
	}
	b.WriteString(" " + text.Str + "\r\n")
	st.Rest = b.String()
	return st, nil
}

func (c *Case) unsupported(format string, args ...any) {
	c.Unsupported = append(c.Unsupported, fmt.Sprintf(format, args...))
}

func (c *Case) boolField(name string) bool {
	v, ok := c.Value.Field(name)
	if !ok {
		return false
	}
	if v.Kind != KindBool {
		c.unsupported("%s: %s is not a bool", name, v)
		return false
	}
	return v.Bool
}

func (c *Case) stringField(name string) (string, bool) {
	v, ok := c.Value.Field(name)
	if !ok {
		return "", false
	}
	if v.Kind != KindString {
		c.unsupported("%s: %s is not a string", name, v)
		return "", false
	}
	return v.Str, true
}

// optString reads an Option<String>: Some("...") or None.
func (c *Case) optString(name string) string {
	v, ok := c.Value.Field(name)
	if !ok || v.IsIdent("None") {
		return ""
	}
	if v.Kind == KindTuple && v.Name == "Some" && len(v.Items) == 1 && v.Items[0].Kind == KindString {
		return v.Items[0].Str
	}
	c.unsupported("%s: %s is not Some(string) or None", name, v)
	return ""
}

func (c *Case) stringList(name string) []string {
	v, ok := c.Value.Field(name)
	if !ok {
		return nil
	}
	if v.Kind != KindList {
		c.unsupported("%s: %s is not a list", name, v)
		return nil
	}
	out := []string{}
	for _, it := range v.Items {
		if it.Kind != KindString {
			c.unsupported("%s: %s is not a string", name, it)
			continue
		}
		out = append(out, it.Str)
	}
	return out
}

// stringMap reads a map of strings, lower-casing the keys (the servers
// compare command names case-insensitively).
func (c *Case) stringMap(name string) map[string]string {
	out := map[string]string{}
	v, ok := c.Value.Field(name)
	if !ok {
		return out
	}
	if v.Kind != KindMap {
		c.unsupported("%s: %s is not a map", name, v)
		return out
	}
	for _, e := range v.Entries {
		if e.Key.Kind != KindString || e.Value.Kind != KindString {
			c.unsupported("%s: entry %s: %s is not string: string", name, e.Key, e.Value)
			continue
		}
		out[strings.ToLower(e.Key.Str)] = e.Value.Str
	}
	return out
}

func (c *Case) hook(v Value) Hook {
	if v.Kind == KindTuple && (v.Name == "Pass" || v.Name == "Terminate") && len(v.Items) == 1 && v.Items[0].Kind == KindString {
		return Hook{Action: v.Name, Message: v.Items[0].Str}
	}
	c.unsupported("hook %s is not Pass(string) or Terminate(string)", v)
	return Hook{}
}

func (c *Case) imapCaps(name string) []string {
	v, ok := c.Value.Field(name)
	if !ok {
		return nil
	}
	caps, err := imapCapList(v)
	if err != nil {
		c.unsupported("%s: %v", name, err)
	}
	return caps
}

func (c *Case) smtpCaps(name string) []string {
	v, ok := c.Value.Field(name)
	if !ok {
		return nil
	}
	if v.Kind != KindList {
		c.unsupported("%s: %s is not a list", name, v)
		return nil
	}
	out := []string{}
	for _, it := range v.Items {
		s, err := smtpCap(it)
		if err != nil {
			c.unsupported("%s: %v", name, err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// IMAP rendering follows imap-codec, which fake-mail-server encodes with.

// imapCapNames are imap-codec's Capability variants without data.
var imapCapNames = map[string]string{
	"Imap4Rev1": "IMAP4REV1", "Imap4Rev2": "IMAP4REV2", "StartTls": "STARTTLS", "LoginDisabled": "LOGINDISABLED",
	"Idle": "IDLE", "Enable": "ENABLE", "LoginReferrals": "LOGIN-REFERRALS", "MailboxReferrals": "MAILBOX-REFERRALS",
	"SaslIr": "SASL-IR", "Unselect": "UNSELECT", "Namespace": "NAMESPACE", "Binary": "BINARY", "Move": "MOVE",
	"Id": "ID", "Children": "CHILDREN", "Uidplus": "UIDPLUS", "UidPlus": "UIDPLUS", "Quota": "QUOTA",
}

func imapCapList(v Value) ([]string, error) {
	if v.Kind == KindTuple && v.Name == "NonEmptyVec" && len(v.Items) == 1 {
		v = v.Items[0]
	}
	if v.Kind != KindList {
		return nil, fmt.Errorf("%s is not a list of capabilities", v)
	}
	out := []string{}
	for _, it := range v.Items {
		s, err := imapCap(it)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

func imapCap(v Value) (string, error) {
	switch {
	case v.Kind == KindIdent:
		if s, ok := imapCapNames[v.Name]; ok {
			return s, nil
		}
	case v.Kind == KindTuple && v.Name == "Auth" && len(v.Items) == 1:
		m, err := saslName(v.Items[0])
		return "AUTH=" + m, err
	case v.Kind == KindTuple && v.Name == "Other" && len(v.Items) == 1:
		return atomText(v.Items[0])
	case v.Kind == KindStruct && v.Name == "Compress":
		if a, ok := v.Field("algorithm"); ok && a.IsIdent("Deflate") {
			return "COMPRESS=DEFLATE", nil
		}
	}
	return "", fmt.Errorf("IMAP capability %s not known", v)
}

// saslNames are the AuthMechanism variants without data of imap-codec and
// smtp-codec.
var saslNames = map[string]string{
	"Plain": "PLAIN", "Login": "LOGIN", "GSSAPI": "GSSAPI", "CramMD5": "CRAM-MD5", "CramSHA1": "CRAM-SHA1",
	"ScramMD5": "SCRAM-MD5", "DigestMD5": "DIGEST-MD5", "NTLM": "NTLM", "XOAuth2": "XOAUTH2",
}

// saslName renders an AuthMechanism: Plain, Login, Other(...).
func saslName(v Value) (string, error) {
	switch {
	case v.Kind == KindIdent && saslNames[v.Name] != "":
		return saslNames[v.Name], nil
	case v.Kind == KindTuple && v.Name == "Other" && len(v.Items) == 1:
		return atomText(v.Items[0])
	}
	return "", fmt.Errorf("SASL mechanism %s not known", v)
}

// atomText digs the text out of imap-codec's wrappers: Atom("x"),
// AuthMechanismOther(Atom("x")), CapabilityOther(inner: Atom("x")), ...
func atomText(v Value) (string, error) {
	for range maxDepth {
		switch {
		case v.Kind == KindString:
			if v.Str == "" || strings.ContainsAny(v.Str, " \r\n") {
				return "", fmt.Errorf("%q is not an atom", v.Str)
			}
			return v.Str, nil
		case v.Kind == KindTuple && len(v.Items) == 1:
			v = v.Items[0]
		case v.Kind == KindStruct && len(v.Fields) == 1:
			v = v.Fields[0].Value
		default:
			return "", fmt.Errorf("%s is not an atom", v)
		}
	}
	return "", fmt.Errorf("%s nests too deep", v)
}

// imapGreeting renders a greeting: (kind: Ok, code: Some(...), text: Text("...")).
func imapGreeting(v Value) (string, error) {
	if v.Kind != KindStruct {
		return "", fmt.Errorf("%s is not a struct", v)
	}
	var b strings.Builder
	b.WriteString("* ")
	kind, _ := v.Field("kind")
	switch {
	case kind.IsIdent("Ok"):
		b.WriteString("OK")
	case kind.IsIdent("PreAuth"):
		b.WriteString("PREAUTH")
	case kind.IsIdent("Bye"):
		b.WriteString("BYE")
	default:
		return "", fmt.Errorf("greeting kind %s not known", kind)
	}
	if code, ok := v.Field("code"); ok && !code.IsIdent("None") {
		if code.Kind != KindTuple || code.Name != "Some" || len(code.Items) != 1 {
			return "", fmt.Errorf("greeting code %s is not Some(...) or None", code)
		}
		s, err := imapCode(code.Items[0])
		if err != nil {
			return "", err
		}
		b.WriteString(" [" + s + "]")
	}
	text, _ := v.Field("text")
	if text.Kind == KindTuple && text.Name == "Text" && len(text.Items) == 1 {
		text = text.Items[0]
	}
	if text.Kind != KindString || strings.ContainsAny(text.Str, "\r\n") {
		return "", fmt.Errorf("greeting text %s is not Text(string)", text)
	}
	b.WriteString(" " + text.Str + "\r\n")
	for _, f := range v.Fields {
		if f.Name != "kind" && f.Name != "code" && f.Name != "text" {
			return "", fmt.Errorf("greeting field %s not known", f.Name)
		}
	}
	return b.String(), nil
}

var imapCodeNames = map[string]string{
	"Alert": "ALERT", "Parse": "PARSE", "ReadOnly": "READ-ONLY", "ReadWrite": "READ-WRITE",
	"TryCreate": "TRYCREATE", "UidNotSticky": "UIDNOTSTICKY",
}

// imapCode renders a response code (the part between brackets).
func imapCode(v Value) (string, error) {
	switch {
	case v.Kind == KindIdent:
		if s, ok := imapCodeNames[v.Name]; ok {
			return s, nil
		}
	case v.Kind == KindTuple && v.Name == "Capability" && len(v.Items) == 1:
		caps, err := imapCapList(v.Items[0])
		if err != nil {
			return "", err
		}
		return strings.Join(append([]string{"CAPABILITY"}, caps...), " "), nil
	case v.Kind == KindStruct && v.Name == "BadCharset":
		allowed, _ := v.Field("allowed")
		if allowed.Kind != KindList {
			break
		}
		var sets []string
		for _, a := range allowed.Items {
			s, err := atomText(a)
			if err != nil {
				return "", err
			}
			sets = append(sets, s)
		}
		if len(sets) == 0 {
			return "BADCHARSET", nil
		}
		return "BADCHARSET (" + strings.Join(sets, " ") + ")", nil
	case v.Kind == KindTuple && v.Name == "Referral" && len(v.Items) == 1 && v.Items[0].Kind == KindString:
		return "REFERRAL " + v.Items[0].Str, nil
	}
	return "", fmt.Errorf("IMAP response code %s not known", v)
}

// smtpCapNames are smtp-codec's Capability variants without data.
var smtpCapNames = map[string]string{
	"EXPN": "EXPN", "Help": "HELP", "EightBitMIME": "8BITMIME", "Chunking": "CHUNKING", "BinaryMIME": "BINARYMIME",
	"Checkpoint": "CHECKPOINT", "DeliverBy": "DELIVERBY", "Pipelining": "PIPELINING", "DSN": "DSN", "ETRN": "ETRN",
	"EnhancedStatusCodes": "ENHANCEDSTATUSCODES", "StartTLS": "STARTTLS", "MTRK": "MTRK", "ATRN": "ATRN",
	"BURL": "BURL", "SMTPUTF8": "SMTPUTF8", "RRVS": "RRVS", "RequireTLS": "REQUIRETLS",
}

// smtpCap renders a capability of smtp-codec as an EHLO keyword line.
func smtpCap(v Value) (string, error) {
	switch {
	case v.Kind == KindIdent && smtpCapNames[v.Name] != "":
		return smtpCapNames[v.Name], nil
	case v.Kind == KindTuple && v.Name == "Size" && len(v.Items) == 1 && v.Items[0].Kind == KindNumber:
		return "SIZE " + v.Items[0].Str, nil
	case v.Kind == KindTuple && v.Name == "Auth" && len(v.Items) == 1 && v.Items[0].Kind == KindList:
		mechs := []string{"AUTH"} // "AUTH" alone when the list is empty, as smtp-codec writes it
		for _, m := range v.Items[0].Items {
			s, err := saslName(m)
			if err != nil {
				return "", err
			}
			mechs = append(mechs, s)
		}
		return strings.Join(mechs, " "), nil
	}
	return "", fmt.Errorf("SMTP capability %s not known", v)
}
