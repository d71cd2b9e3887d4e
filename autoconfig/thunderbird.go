package autoconfig

import (
	"bytes"
	"fmt"
	"github.com/mailsetup/mailsetup/internal/version"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// PrefsOptions tells [WriteThunderbirdPrefs] which keys the target profile
// already uses, as its prefs.js shows them, so that the new account gets
// free keys and the list prefs keep the existing entries. A nil
// *PrefsOptions is a profile without accounts.
//
// Keys are what Thunderbird names them: letters, digits, "_" and "-"
// ("account1", "server2", "id1", "smtp1"). Duplicates are dropped, the first
// occurrence kept.
type PrefsOptions struct {
	// ExistingAccounts is the value of mail.accountmanager.accounts, split
	// at the commas, in order (the Local Folders account included).
	ExistingAccounts []string
	// ExistingServers are the keys of the mail.server.<key>.* prefs.
	ExistingServers []string
	// ExistingIdentities are the keys of the mail.identity.<key>.* prefs.
	ExistingIdentities []string
	// ExistingSMTP is the value of mail.smtpservers, split at the commas,
	// in order.
	ExistingSMTP []string
}

// Thunderbird's nsMsgSocketType values (comm-central
// mailnews/base/public/MailNewsTypes2.idl), used by
// mail.server.<key>.socketType and, with the same meaning, by
// mail.smtpserver.<key>.try_ssl (nsSmtpServer.cpp GetSocketType reads
// "try_ssl").
var thunderbirdSocketType = map[Security]int{
	Plain:    0, // nsMsgSocketType.plain
	STARTTLS: 2, // nsMsgSocketType.alwaysSTARTTLS
	TLS:      3, // nsMsgSocketType.SSL
}

// Thunderbird's nsMsgAuthMethod values (MailNewsTypes2.idl), used by
// mail.server.<key>.authMethod and mail.smtpserver.<key>.authMethod. The
// config-v1.1.xml names map as Thunderbird's readFromXML.sys.mjs maps them;
// client-IP-address and smtp-after-pop are "none" there too.
var thunderbirdAuthMethod = map[Auth]int{
	AuthNone:              1,  // nsMsgAuthMethod.none
	AuthClientIP:          1,  // readFromXML.sys.mjs: "inside ISP or corp network"
	AuthSMTPAfterPOP:      1,  // readFromXML.sys.mjs: "hope for the best"
	AuthPasswordCleartext: 3,  // nsMsgAuthMethod.passwordCleartext
	AuthPasswordEncrypted: 4,  // nsMsgAuthMethod.passwordEncrypted
	AuthGSSAPI:            5,  // nsMsgAuthMethod.GSSAPI
	AuthNTLM:              6,  // nsMsgAuthMethod.NTLM
	AuthTLSClientCert:     7,  // nsMsgAuthMethod.External
	AuthOAuth2:            10, // nsMsgAuthMethod.OAuth2
}

// WriteThunderbirdPrefs writes a user.js that creates acct's account in a
// Thunderbird profile: the first IMAP or POP3 server of cfg.Incoming (other
// types are skipped: a user.js cannot set them up), the first SMTP server of
// cfg.Outgoing, and one identity, with the prefs Thunderbird's own account
// setup writes (comm-central mail/components/accountcreation/modules/
// CreateInBackend.sys.mjs, createAccountInBackend and setFolders):
//
//	mail.account.accountN.{server,identities}
//	mail.server.serverN.{type,hostname,port,socketType,authMethod,userName,name,login_at_startup,check_new_mail}
//	mail.server.serverN.trash_folder_name (IMAP)
//	mail.identity.idN.{fullName,useremail,smtpServer,valid}
//	mail.identity.idN.{fcc_folder,draft_folder,stationery_folder}
//	mail.identity.idN.{fcc_folder_picker_mode,drafts_folder_picker_mode,tmpl_folder_picker_mode}
//	mail.smtpserver.smtpN.{hostname,port,try_ssl,authMethod,username,description}
//	mail.accountmanager.accounts, mail.smtpservers
//
// Each N is the smallest number whose key opts does not list. Placeholders
// are filled from acct; a server without a user name logs in with the
// address. The account is named acct.Description, or the address.
// Authentication is the server's first method. fullName is left out when
// acct has no name (Thunderbird then asks for it when sending, rather than
// sending mail from an empty name). The outgoing server's description is
// the address: Thunderbird names the account by it in its error messages
// (a bare domain there reads as another account).
//
// Sent, Drafts and Templates are the folders "Sent", "Drafts" and
// "Templates" of the account's server, as setFolders makes them: URIs
// <store>://<user>@<host>/<folder>, where store is "imap" for IMAP and
// "mailbox" for POP3 (the server's localStoreType) and the user name is
// escaped as nsMsgIncomingServer::GetServerURI escapes it
// (nsINetUtil::ESCAPE_XALPHAS), with the picker modes "0" (a folder of this
// account). IMAP's Trash is named "Trash" (trash_folder_name, the name
// ImapIncomingServer uses when the pref is unset), written so the file
// describes the whole account.
//
// Thunderbird reads user.js at every start, after prefs.js, and its values
// win. The two list prefs are therefore written as the existing keys of opts
// followed by the new one, so that the profile keeps its accounts; and the
// file should be removed once Thunderbird has started with it (it has then
// saved everything to prefs.js), or it undoes later changes to those lists at
// each start. The header comment says so.
//
// The header comment's first line names the generator and its release
// (package internal/version).
//
// No password is ever written: Thunderbird asks at the first login and keeps
// it in its password manager.
//
// Errors: [ErrExportInvalid] (a nil cfg, an invalid server, account or key),
// [ErrExportMissing] (no IMAP/POP3 or SMTP server), [ErrExportUnsupported]
// (a placeholder acct cannot fill); nothing is written then.
func WriteThunderbirdPrefs(w io.Writer, cfg *Config, acct Account, opts *PrefsOptions) error {
	var b bytes.Buffer
	if err := buildThunderbirdPrefs(&b, cfg, acct, opts); err != nil {
		return err
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("autoconfig: writing user.js: %w", err)
	}
	return nil
}

// prefsHeader opens every user.js, after a first line that names the
// generator and its release; no user data goes into comments.
const prefsHeader = `// It adds one mail account to this profile.
//
// Thunderbird reads user.js at every start, after prefs.js, and the values
// here replace those of prefs.js. mail.accountmanager.accounts and
// mail.smtpservers below therefore repeat the accounts and outgoing servers
// the profile already had. After the first start with this file Thunderbird
// has saved the account to prefs.js: delete user.js then, or it will undo
// later changes to the account list at every start.
//
// No password is stored here; Thunderbird asks for it at the first login.
`

func buildThunderbirdPrefs(b *bytes.Buffer, cfg *Config, acct Account, opts *PrefsOptions) error {
	if cfg == nil {
		return fmt.Errorf("%w: nil Config", ErrExportInvalid)
	}
	if opts == nil {
		opts = &PrefsOptions{}
	}
	v, err := exportVars(acct)
	if err != nil {
		return err
	}
	in, inWhere, err := firstExportServer(cfg.Incoming, false, IMAP, POP3)
	if err != nil {
		return err
	}
	out, outWhere, err := firstExportServer(cfg.Outgoing, true, SMTP)
	if err != nil {
		return err
	}
	if in, err = expandExportServer(in, v, inWhere); err != nil {
		return err
	}
	if out, err = expandExportServer(out, v, outWhere); err != nil {
		return err
	}
	accounts, err := prefsKeys("ExistingAccounts", opts.ExistingAccounts)
	if err != nil {
		return err
	}
	servers, err := prefsKeys("ExistingServers", opts.ExistingServers)
	if err != nil {
		return err
	}
	identities, err := prefsKeys("ExistingIdentities", opts.ExistingIdentities)
	if err != nil {
		return err
	}
	smtps, err := prefsKeys("ExistingSMTP", opts.ExistingSMTP)
	if err != nil {
		return err
	}
	accountKey := freeKey("account", accounts)
	serverKey := freeKey("server", servers)
	idKey := freeKey("id", identities)
	smtpKey := freeKey("smtp", smtps)

	name := strings.TrimSpace(acct.Description)
	if name == "" {
		name = v.Address
	}
	inUser := in.Username
	if inUser == "" {
		inUser = v.Address
	}
	outAuth := thunderbirdAuthMethod[out.Auth[0]]
	outUser := out.Username
	if outUser == "" {
		outUser = v.Address
	}

	p := prefsWriter{b: b}
	b.WriteString("// user.js written by " + version.Generator() + " (" + version.URL + ").\n")
	b.WriteString(prefsHeader)
	b.WriteString("\n")
	a := "mail.account." + accountKey + "."
	p.str(a+"server", serverKey)
	p.str(a+"identities", idKey)
	b.WriteString("\n")

	s := "mail.server." + serverKey + "."
	p.str(s+"type", string(in.Protocol))
	p.str(s+"hostname", in.Hostname)
	p.int(s+"port", in.Port)
	p.int(s+"socketType", thunderbirdSocketType[in.Security])
	p.int(s+"authMethod", thunderbirdAuthMethod[in.Auth[0]])
	p.str(s+"userName", inUser)
	p.str(s+"name", name)
	// CreateInBackend.sys.mjs: doBiff = true, login_at_startup from the
	// config (AccountConfig's default: true).
	p.bool(s+"login_at_startup", true)
	p.bool(s+"check_new_mail", true)
	if in.Protocol == IMAP {
		p.str(s+"trash_folder_name", "Trash")
	}
	thunderbirdOAuth2(p, s, in)
	b.WriteString("\n")

	id := "mail.identity." + idKey + "."
	if v.RealName != "" {
		p.str(id+"fullName", v.RealName)
	}
	p.str(id+"useremail", v.Address)
	p.str(id+"smtpServer", smtpKey)
	p.bool(id+"valid", true)
	// CreateInBackend.sys.mjs setFolders.
	base := serverURI(in.Protocol, inUser, in.Hostname) + "/"
	p.str(id+"fcc_folder", base+"Sent")
	p.str(id+"draft_folder", base+"Drafts")
	p.str(id+"stationery_folder", base+"Templates")
	p.str(id+"fcc_folder_picker_mode", "0")
	p.str(id+"drafts_folder_picker_mode", "0")
	p.str(id+"tmpl_folder_picker_mode", "0")
	b.WriteString("\n")

	o := "mail.smtpserver." + smtpKey + "."
	p.str(o+"hostname", out.Hostname)
	p.int(o+"port", out.Port)
	p.int(o+"try_ssl", thunderbirdSocketType[out.Security])
	p.int(o+"authMethod", outAuth)
	if outAuth != thunderbirdAuthMethod[AuthNone] {
		// CreateInBackend.sys.mjs sets the user name only with authentication.
		p.str(o+"username", outUser)
	}
	thunderbirdOAuth2(p, o, out)
	p.str(o+"description", v.Address)
	b.WriteString("\n")

	p.str("mail.accountmanager.accounts", strings.Join(append(accounts, accountKey), ","))
	p.str("mail.smtpservers", strings.Join(append(smtps, smtpKey), ","))
	return nil
}

// serverURI is the URI of an incoming server's root folder, as
// nsMsgIncomingServer::GetServerURI builds it: the local store type ("imap",
// or "mailbox" for POP3), "://", the user name escaped as XALPHAS, "@", the
// host name (ASCII, nothing to escape).
func serverURI(p Protocol, user, host string) string {
	store := "imap"
	if p == POP3 {
		store = "mailbox"
	}
	return store + "://" + escapeXAlphas(user) + "@" + host
}

// escapeXAlphas escapes s as Mozilla's NS_Escape with url_XAlphas
// (xpcom/io/nsEscape.cpp, the netCharType table): letters, digits and
// "*-._" stay, every other byte becomes %XX in upper-case hex ("@" is %40).
func escapeXAlphas(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '*' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// prefsKeys checks the existing keys of one kind and drops duplicates.
func prefsKeys(field string, keys []string) ([]string, error) {
	out := make([]string, 0, len(keys)+1)
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		k = strings.TrimSpace(k)
		if !isPrefsKey(k) {
			return nil, fmt.Errorf("%w: PrefsOptions.%s[%d] %q is not a profile key (letters, digits, _ and -)",
				ErrExportInvalid, field, i, clip(k, 64))
		}
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out, nil
}

func isPrefsKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// freeKey returns prefix+N for the smallest N from 1 that is not in used.
func freeKey(prefix string, used []string) string {
	set := make(map[string]bool, len(used))
	for _, k := range used {
		set[k] = true
	}
	for n := 1; ; n++ {
		if k := prefix + strconv.Itoa(n); !set[k] {
			return k
		}
	}
}

// prefsWriter writes user_pref lines.
type prefsWriter struct{ b *bytes.Buffer }

func (p prefsWriter) str(name, val string) {
	fmt.Fprintf(p.b, "user_pref(%s, %s);\n", jsString(name), jsString(val))
}

func (p prefsWriter) int(name string, val int) {
	fmt.Fprintf(p.b, "user_pref(%s, %d);\n", jsString(name), val)
}

func (p prefsWriter) bool(name string, val bool) {
	fmt.Fprintf(p.b, "user_pref(%s, %t);\n", jsString(name), val)
}

// jsString quotes s as a string literal of Mozilla's prefs parser
// (modules/libpref/parser/src/lib.rs), which knows only the escapes \" \'
// \\ \n \r \xNN and \uNNNN: quotes and backslashes are escaped, LF and CR
// as \n and \r, other control characters and U+2028, U+2029 (line
// terminators to JavaScript tools that read the file) as \uNNNN. Other
// characters stay UTF-8, as prefs files are. NUL never reaches here: the
// parser refuses \u0000 and callers refuse control characters in values.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == 0x2028 || r == 0x2029:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// thunderbirdOAuth2 writes, for a server that signs in with OAuth2
// (authMethod 10) and whose config names an issuer, the oauth2.issuer and
// oauth2.scope prefs Thunderbird's OAuth2Module reads for a server it does
// not know by host name.
func thunderbirdOAuth2(p prefsWriter, prefix string, s Server) {
	if s.Auth[0] != AuthOAuth2 || s.OAuth2 == nil || s.OAuth2.Issuer == "" || checkUsername(s.OAuth2.Issuer+s.OAuth2.Scope) != nil {
		return
	}
	issuer := s.OAuth2.Issuer
	if u, err := url.Parse(issuer); err == nil && u.Host != "" {
		issuer = u.Host // Thunderbird's issuers are host names
	}
	p.str(prefix+"oauth2.issuer", issuer)
	if s.OAuth2.Scope != "" {
		p.str(prefix+"oauth2.scope", s.OAuth2.Scope)
	}
}
