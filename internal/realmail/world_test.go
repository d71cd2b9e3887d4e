package realmail

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/internal/lab/certs"
	"github.com/mailsetup/mailsetup/internal/lab/labtest"
)

// Loopback addresses of the test hosts; nothing else in the repository uses
// 127.87.0.0/16.
const (
	dnsIP        = "127.87.0.1"  // the scenario zones
	webIP        = "127.87.0.10" // nginx: autoconfig, Autodiscover
	dovecotIP    = "127.87.0.11" // Dovecot: 993, 143, 995, 110
	postfixIP    = "127.87.0.12" // Postfix: 465, 587
	noTLSIP      = "127.87.0.13" // Postfix: 587 without STARTTLS
	badDovecotIP = "127.87.0.14" // Dovecot: 993, certificate for another name
	badPostfixIP = "127.87.0.15" // Postfix: 465, certificate for another name
	stDovecotIP  = "127.87.0.18" // Dovecot: 143 and 110 only
	stPostfixIP  = "127.87.0.19" // Postfix: 587 only
	silentIP     = "127.87.0.20" // a Go listener that never speaks: 993, 465
)

// The account every scenario's mail servers know.
const (
	localPart = "alice"
	password  = "correct horse battery staple"
)

// mainNames are the names of the certificate of the well-run servers
// (Dovecot on dovecotIP and stDovecotIP, Postfix on postfixIP and
// stPostfixIP); wrongName is the only name of the wrong certificate.
var (
	mainNames = []string{
		"imap.interop.test", "pop.interop.test", "smtp.interop.test",
		"imap.starttls.interop.test", "smtp.starttls.interop.test",
		"imap.nostarttls.interop.test",
		"mail.silent.interop.test", "smtp.silent.interop.test",
		"mail.elsewhere.test", "smtp.elsewhere.test",
	}
	wrongName = "www.wrong.test"
)

// tools are the binaries the suite runs, with the Debian package of each.
var tools = map[string]string{
	"dovecot": "dovecot-core (dovecot-imapd, dovecot-pop3d)",
	"postfix": "postfix",
	"nginx":   "nginx",
	"script":  "bsdutils",
}

// requireTools skips without root and fails when a binary is missing.
func requireTools(t *testing.T) {
	t.Helper()
	labtest.RequireTools(t, "realmail", "to run Dovecot, Postfix and nginx on the standard ports of 127.87.0.x", tools)
	for _, lib := range []string{"/usr/lib/dovecot/imap", "/usr/lib/dovecot/pop3"} {
		if _, err := os.Stat(lib); err != nil {
			t.Fatalf("realmail: %s not found: install the Debian packages dovecot-imapd and dovecot-pop3d", lib)
		}
	}
}

// world is every server of the suite.
type world struct {
	dir  string
	ca   *certs.CA
	pool *x509.CertPool
	dns  string // host:port of the DNS server
	// pem files: main (the well-run servers), wrong (another name), web.
	mainCert, mainKey   string
	wrongCert, wrongKey string
	webCert, webKey     string
	// logs are dumped when a test fails.
	logs []string
}

// startWorld starts every server; t.Cleanup stops them.
func startWorld(t *testing.T) *world {
	t.Helper()
	dir := t.TempDir()
	// The daemons' unprivileged users (dovecot, dovenull, postfix, nobody)
	// must reach their files under the test's temporary folder.
	for d := dir; d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	requireFree(t)
	w := &world{dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			w.dumpLogs(t)
		}
	})
	step := func(name string, f func(*testing.T)) {
		began := time.Now()
		f(t)
		t.Logf("%s ready in %v", name, time.Since(began).Round(time.Millisecond))
	}
	step("certificates", w.makeCerts)
	step("dns", w.startDNS)
	step("silent host", w.startSilent)
	step("dovecot", w.startDovecot) // before Postfix: its auth socket is Postfix's SASL
	step("postfix", w.startPostfix)
	step("nginx", w.startNginx)
	return w
}

// listeners are every TCP address the suite listens on, with the daemon.
var listeners = []struct {
	ip     string
	ports  []int
	daemon string
}{
	{dnsIP, []int{53}, "the test's DNS server"},
	{webIP, []int{443}, "nginx"},
	{dovecotIP, []int{993, 143, 995, 110}, "Dovecot"},
	{postfixIP, []int{465, 587}, "Postfix"},
	{noTLSIP, []int{587}, "Postfix"},
	{badDovecotIP, []int{993}, "Dovecot"},
	{badPostfixIP, []int{465}, "Postfix"},
	{stDovecotIP, []int{143, 110}, "Dovecot"},
	{stPostfixIP, []int{587}, "Postfix"},
	{silentIP, []int{993, 465}, "the silent host"},
}

// requireFree fails when an address the suite needs is taken, most likely
// by a system instance that a package's install started (stop it by its
// init script, e.g. /etc/init.d/dovecot stop) or by a run still going.
func requireFree(t *testing.T) {
	t.Helper()
	for _, l := range listeners {
		for _, port := range l.ports {
			ln, err := net.Listen("tcp", hostPort(l.ip, port))
			if err != nil {
				t.Fatalf("realmail: %s for %s is not free (a system dovecot, postfix or nginx? stop it with /etc/init.d/NAME stop): %v", hostPort(l.ip, port), l.daemon, err)
			}
			ln.Close()
		}
	}
}

func (w *world) dumpLogs(t *testing.T) {
	for _, f := range w.logs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		if len(b) > 8<<10 {
			b = b[len(b)-8<<10:]
		}
		t.Logf("--- %s ---\n%s", f, b)
	}
}

func (w *world) path(parts ...string) string {
	return filepath.Join(append([]string{w.dir}, parts...)...)
}

func mkdir(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(path, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeCerts makes the CA and writes the servers' certificates and keys.
func (w *world) makeCerts(t *testing.T) {
	t.Helper()
	ca, err := certs.NewCA("Mailsetup realmail test CA")
	if err != nil {
		t.Fatal(err)
	}
	w.ca, w.pool = ca, ca.Pool()
	var webNames []string
	for _, d := range []string{"interop.test", "starttls.interop.test", "nostarttls.interop.test", "badcert.interop.test"} {
		webNames = append(webNames, "autoconfig."+d, "autodiscover."+d)
	}
	w.mainCert, w.mainKey = w.writeLeaf(t, "main", mainNames...)
	w.wrongCert, w.wrongKey = w.writeLeaf(t, "wrong", wrongName)
	w.webCert, w.webKey = w.writeLeaf(t, "web", webNames...)
}

// writeLeaf writes a leaf of the CA for names as name.crt (the chain) and
// name.key (PKCS #8, readable by root only).
func (w *world) writeLeaf(t *testing.T, name string, names ...string) (certFile, keyFile string) {
	t.Helper()
	leaf, err := w.ca.Leaf(names...)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = w.path("tls", name+".crt"), w.path("tls", name+".key")
	if err := certs.WriteFiles(leaf, certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// zoneText is the scenario data: two unsigned zones.
const zoneText = `
interop.test.                         3600 IN SOA ns.interop.test. hostmaster.interop.test. 1 3600 600 86400 60
interop.test.                         3600 IN NS  ns.interop.test.
ns.interop.test.                      3600 IN A   127.87.0.1

; (1) a well-run domain: autoconfig and Autodiscover over https (nginx)
autoconfig.interop.test.              300 IN A 127.87.0.10
autodiscover.interop.test.            300 IN A 127.87.0.10
imap.interop.test.                    300 IN A 127.87.0.11
pop.interop.test.                     300 IN A 127.87.0.11
smtp.interop.test.                    300 IN A 127.87.0.12

; (2) STARTTLS only
autoconfig.starttls.interop.test.     300 IN A 127.87.0.10
imap.starttls.interop.test.           300 IN A 127.87.0.18
smtp.starttls.interop.test.           300 IN A 127.87.0.19

; (3) a submission port without STARTTLS
autoconfig.nostarttls.interop.test.   300 IN A 127.87.0.10
imap.nostarttls.interop.test.         300 IN A 127.87.0.11
smtp.nostarttls.interop.test.         300 IN A 127.87.0.13

; (4) certificates for another name
autoconfig.badcert.interop.test.      300 IN A 127.87.0.10
imap.badcert.interop.test.            300 IN A 127.87.0.14
smtp.badcert.interop.test.            300 IN A 127.87.0.15

; (5) SRV targets in another domain (unsigned)
_imaps._tcp.srvout.interop.test.       300 IN SRV 0 1 993 mail.elsewhere.test.
_submissions._tcp.srvout.interop.test. 300 IN SRV 0 1 465 smtp.elsewhere.test.

; (6) a silent host ranked first by SRV priority
_imaps._tcp.silent.interop.test.       300 IN SRV 0 1 993 hang.silent.interop.test.
_imaps._tcp.silent.interop.test.       300 IN SRV 10 1 993 mail.silent.interop.test.
_submissions._tcp.silent.interop.test. 300 IN SRV 0 1 465 hang.silent.interop.test.
_submissions._tcp.silent.interop.test. 300 IN SRV 10 1 465 smtp.silent.interop.test.
hang.silent.interop.test.             300 IN A 127.87.0.20
mail.silent.interop.test.             300 IN A 127.87.0.11
smtp.silent.interop.test.             300 IN A 127.87.0.12

elsewhere.test.                       3600 IN SOA ns.interop.test. hostmaster.interop.test. 1 3600 600 86400 60
elsewhere.test.                       3600 IN NS  ns.interop.test.
mail.elsewhere.test.                  300 IN A 127.87.0.11
smtp.elsewhere.test.                  300 IN A 127.87.0.12
`

// zone is a tiny authoritative server: exact answers, NODATA for names
// that exist (or have names below them), NXDOMAIN otherwise, the SOA in the
// authority section of negative answers, REFUSED outside its zones.
type zone struct {
	rrs   []dns.RR
	soas  map[string]dns.RR // apex -> SOA
	names map[string]bool   // every owner name and every ancestor inside a zone
}

func parseZone(t *testing.T, text string) *zone {
	t.Helper()
	z := &zone{soas: map[string]dns.RR{}, names: map[string]bool{}}
	zp := dns.NewZoneParser(strings.NewReader(text), "", "")
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		z.rrs = append(z.rrs, rr)
		if rr.Header().Rrtype == dns.TypeSOA {
			z.soas[dns.CanonicalName(rr.Header().Name)] = rr
		}
	}
	if err := zp.Err(); err != nil {
		t.Fatalf("zone: %v", err)
	}
	for _, rr := range z.rrs {
		name := dns.CanonicalName(rr.Header().Name)
		apex := z.apex(name)
		if apex == "" {
			t.Fatalf("zone: %s is in no zone", name)
		}
		for n := name; ; n = parentName(n) {
			z.names[n] = true
			if n == apex {
				break
			}
		}
	}
	return z
}

func parentName(n string) string {
	if i := strings.IndexByte(n, '.'); i >= 0 && i+1 < len(n) {
		return n[i+1:]
	}
	return "."
}

func (z *zone) apex(name string) string {
	for n := name; ; n = parentName(n) {
		if z.soas[n] != nil {
			return n
		}
		if n == "." {
			return ""
		}
	}
}

func (z *zone) ServeDNS(rw dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	if opt := req.IsEdns0(); opt != nil {
		m.SetEdns0(1232, false)
	}
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		_ = rw.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	apex := z.apex(name)
	if apex == "" || q.Qclass != dns.ClassINET {
		m.Rcode = dns.RcodeRefused
		_ = rw.WriteMsg(m)
		return
	}
	m.Authoritative = true
	for _, rr := range z.rrs {
		if dns.CanonicalName(rr.Header().Name) == name && (rr.Header().Rrtype == q.Qtype || q.Qtype == dns.TypeANY) {
			m.Answer = append(m.Answer, dns.Copy(rr))
		}
	}
	if len(m.Answer) == 0 {
		if !z.names[name] {
			m.Rcode = dns.RcodeNameError
		}
		m.Ns = append(m.Ns, dns.Copy(z.soas[apex]))
	}
	_ = rw.WriteMsg(m)
}

// startDNS serves the scenario zones on dnsIP:53, UDP and TCP.
func (w *world) startDNS(t *testing.T) {
	t.Helper()
	z := parseZone(t, zoneText)
	mux := dns.NewServeMux()
	mux.Handle(".", z)
	w.dns = net.JoinHostPort(dnsIP, "53")
	for _, network := range []string{"udp", "tcp"} {
		started := make(chan struct{})
		srv := &dns.Server{Addr: w.dns, Net: network, Handler: mux, NotifyStartedFunc: func() { close(started) }}
		errc := make(chan error, 1)
		go func() { errc <- srv.ListenAndServe() }()
		select {
		case <-started:
		case err := <-errc:
			t.Fatalf("dns %s %s: %v", network, w.dns, err)
		}
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
}

// startSilent listens on silentIP:993 and :465, accepts connections and
// never writes a byte.
func (w *world) startSilent(t *testing.T) {
	t.Helper()
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	for _, port := range []string{"993", "465"} {
		ln, err := net.Listen("tcp", net.JoinHostPort(silentIP, port))
		if err != nil {
			t.Fatalf("silent host: %v", err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
	}
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
}

// daemon is a child process in its own process group.
type daemon struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// startDaemon runs argv in the foreground, in a process group of its own,
// with standard output and error going to logFile (Dovecot keeps its
// caller's stderr open); t.Cleanup ends the group.
func (w *world) startDaemon(t *testing.T, name, logFile string, argv ...string) *daemon {
	t.Helper()
	out, err := os.Create(logFile)
	if err != nil {
		t.Fatal(err)
	}
	w.logs = append(w.logs, logFile)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		t.Fatalf("%s: %v", name, err)
	}
	out.Close()
	d := &daemon{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { d.err = cmd.Wait(); close(d.done) }()
	t.Cleanup(func() { killGroup(t, name, cmd.Process.Pid, d.done) })
	return d
}

// killGroup ends the process group pgid: SIGTERM, then SIGKILL after 5 s.
// done, when not nil, closes when the group leader has been reaped.
func killGroup(t *testing.T, name string, pgid int, done <-chan struct{}) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if done != nil {
			select {
			case <-done:
				done = nil
			default:
			}
		}
		if done == nil && syscall.Kill(-pgid, 0) != nil {
			return // the group is gone
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("%s: still running 5 s after SIGTERM: SIGKILL to process group %d", name, pgid)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	if done != nil {
		<-done
	}
}

// waitListening waits until every address accepts TCP connections.
func waitListening(t *testing.T, name string, d *daemon, addrs ...string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range addrs {
		for {
			c, err := net.DialTimeout("tcp", a, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if d != nil {
				select {
				case <-d.done:
					t.Fatalf("%s exited before listening on %s: %v", name, a, d.err)
				default:
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %s does not accept connections: %v", name, a, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func hostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

// startDovecot runs Dovecot in the foreground with its own configuration,
// base and state folders, users and log.
func (w *world) startDovecot(t *testing.T) {
	t.Helper()
	d := w.path("dovecot")
	mkdir(t, d, 0o755)
	mkdir(t, filepath.Join(d, "state"), 0o755)
	mkdir(t, filepath.Join(d, "home"), 0o1777)
	users := filepath.Join(d, "users")
	writeFile(t, users, fmt.Sprintf("%s@interop.test:{PLAIN}%s::::::\n", localPart, password))
	log := filepath.Join(d, "dovecot.log")
	w.logs = append(w.logs, log)
	conf := filepath.Join(d, "dovecot.conf")
	writeFile(t, conf, fmt.Sprintf(`# Mailsetup realmail test instance: loopback only, nothing of the system's.
instance_name = realmail
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[2]s
hostname = imap.interop.test
protocols = imap pop3
listen = %[3]s
shutdown_clients = yes
default_internal_user = dovecot
default_login_user = dovenull

ssl = required
ssl_cert = <%[4]s
ssl_key = <%[5]s
ssl_min_protocol = TLSv1.2
local %[6]s {
  ssl_cert = <%[7]s
  ssl_key = <%[8]s
}

# UTF-8 (IDN) user names.
auth_username_chars =
auth_mechanisms = plain login
auth_verbose = yes
# A wrong password is answered after 1 s rather than 2 s: the test checks the
# engine's handling of a delayed rejection, not Dovecot's penalty schedule,
# whose growing waits make Postfix's SASL client give up (454).
auth_failure_delay = 1 secs
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[9]s
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=%[1]s/home/%%u
}
mail_location = maildir:~/Maildir

service imap-login {
  inet_listener imap {
    address = %[3]s %[10]s
    port = 143
  }
  inet_listener imaps {
    address = %[3]s %[6]s
    port = 993
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = %[3]s %[10]s
    port = 110
  }
  inet_listener pop3s {
    address = %[3]s
    port = 995
    ssl = yes
  }
}
service auth {
  # Postfix's SASL (smtpd_sasl_type = dovecot).
  unix_listener auth-postfix {
    mode = 0666
  }
}
`, d, log, dovecotIP, w.mainCert, w.mainKey, badDovecotIP, w.wrongCert, w.wrongKey, users, stDovecotIP))
	dc := w.startDaemon(t, "dovecot", filepath.Join(d, "stdout.log"), "dovecot", "-F", "-c", conf)
	waitListening(t, "dovecot", dc,
		hostPort(dovecotIP, 993), hostPort(dovecotIP, 143), hostPort(dovecotIP, 995), hostPort(dovecotIP, 110),
		hostPort(stDovecotIP, 143), hostPort(stDovecotIP, 110), hostPort(badDovecotIP, 993))
}

// dovecotAuthSocket is Dovecot's auth socket for Postfix.
func (w *world) dovecotAuthSocket() string { return w.path("dovecot", "run", "auth-postfix") }

// startPostfix runs Postfix with its own root-owned configuration folder,
// queue and data folders, every smtpd bound in master.cf.
func (w *world) startPostfix(t *testing.T) {
	t.Helper()
	conf, queue, data, logDir := w.path("postfix", "etc"), w.path("postfix", "spool"), w.path("postfix", "data"), w.path("postfix", "log")
	mkdir(t, conf, 0o755)
	mkdir(t, queue, 0o755)
	mkdir(t, data, 0o700)
	mkdir(t, logDir, 0o755)
	// The data folder is the mail owner's (master.lock, TLS caches).
	if u, err := user.Lookup("postfix"); err != nil {
		t.Fatalf("postfix: %v (install the Debian package postfix)", err)
	} else if err := os.Chown(data, atoi(u.Uid), atoi(u.Gid)); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(logDir, "postfix.log")
	w.logs = append(w.logs, log)
	writeFile(t, filepath.Join(conf, "main.cf"), fmt.Sprintf(`# Mailsetup realmail test instance: loopback only, nothing of the system's.
compatibility_level = 3.6
queue_directory = %[1]s
data_directory = %[2]s
maillog_file = %[3]s
maillog_file_prefixes = %[4]s
mail_owner = postfix
setgid_group = postdrop
myhostname = smtp.interop.test
mydomain = interop.test
myorigin = interop.test
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
relay_domains =
mynetworks = 127.0.0.1/32
# Listeners are bound in master.cf; inet_interfaces cannot name 127.87.x.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
# Never a DNS query: no peer names, no MX lookups.
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
biff = no

smtpd_tls_cert_file = %[5]s
smtpd_tls_key_file = %[6]s
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_loglevel = 1
smtpd_sasl_type = dovecot
smtpd_sasl_path = %[7]s
smtpd_sasl_auth_enable = yes
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
`, queue, data, log, logDir, w.mainCert, w.mainKey, w.dovecotAuthSocket()))
	wrong := fmt.Sprintf("-o smtpd_tls_cert_file=%s -o smtpd_tls_key_file=%s", w.wrongCert, w.wrongKey)
	writeFile(t, filepath.Join(conf, "master.cf"), fmt.Sprintf(`# service type  private unpriv  chroot  wakeup  maxproc command + args
%[1]s:465  inet  n  -  n  -  -  smtpd -o smtpd_tls_wrappermode=yes
%[1]s:587  inet  n  -  n  -  -  smtpd -o smtpd_tls_security_level=encrypt
%[2]s:587  inet  n  -  n  -  -  smtpd -o smtpd_tls_security_level=encrypt
%[3]s:587  inet  n  -  n  -  -  smtpd -o smtpd_tls_security_level=none -o smtpd_sasl_auth_enable=no
%[4]s:465  inet  n  -  n  -  -  smtpd -o smtpd_tls_wrappermode=yes %[5]s
pickup    unix  n  -  n  60    1  pickup
cleanup   unix  n  -  n  -     0  cleanup
qmgr      unix  n  -  n  300   1  qmgr
tlsmgr    unix  -  -  n  1000? 1  tlsmgr
rewrite   unix  -  -  n  -     -  trivial-rewrite
bounce    unix  -  -  n  -     0  bounce
defer     unix  -  -  n  -     0  bounce
trace     unix  -  -  n  -     0  bounce
verify    unix  -  -  n  -     1  verify
flush     unix  n  -  n  1000? 0  flush
proxymap  unix  -  -  n  -     -  proxymap
smtp      unix  -  -  n  -     -  smtp
relay     unix  -  -  n  -     -  smtp
showq     unix  n  -  n  -     -  showq
error     unix  -  -  n  -     -  error
retry     unix  -  -  n  -     -  error
discard   unix  -  -  n  -     -  discard
anvil     unix  -  -  n  -     1  anvil
scache    unix  -  -  n  -     1  scache
postlog   unix-dgram n  -  n  -  1  postlogd
`, postfixIP, stPostfixIP, noTLSIP, badPostfixIP, wrong))
	// postfix start reports its errors only on a terminal.
	pf := func(cmd string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, "script", "-qec", "postfix -c "+conf+" "+cmd, "/dev/null")
		c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", "TERM=dumb"}
		c.Stdin = nil
		out, err := c.CombinedOutput()
		return string(out), err
	}
	out, err := pf("start")
	pidFile := filepath.Join(queue, "pid", "master.pid")
	t.Cleanup(func() {
		pid := readPid(pidFile)
		if out, err := pf("stop"); err != nil {
			t.Logf("postfix stop: %v\n%s", err, out)
		}
		if pid > 0 {
			killGroup(t, "postfix", pid, nil) // the master is a session leader
		}
	})
	if err != nil {
		t.Fatalf("postfix -c %s start: %v\n%s", conf, err, out)
	}
	waitListening(t, "postfix", nil,
		hostPort(postfixIP, 465), hostPort(postfixIP, 587), hostPort(stPostfixIP, 587),
		hostPort(noTLSIP, 587), hostPort(badPostfixIP, 465))
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func readPid(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0
	}
	return pid
}

// startNginx serves the scenario domains' autoconfig and Autodiscover
// documents over https from a folder per host name.
func (w *world) startNginx(t *testing.T) {
	t.Helper()
	d := w.path("nginx")
	for _, sub := range []string{"logs", "tmp", "www"} {
		mkdir(t, filepath.Join(d, sub), 0o755)
	}
	www := filepath.Join(d, "www")
	ac := "/mail/config-v1.1.xml"
	writeFile(t, www+"/autoconfig.interop.test"+ac, mozillaXML("interop.test",
		xs("imap", "imap.interop.test", 993, "SSL"), xs("imap", "imap.interop.test", 143, "STARTTLS"),
		xs("pop3", "pop.interop.test", 995, "SSL"), xs("pop3", "pop.interop.test", 110, "STARTTLS"),
		xs("smtp", "smtp.interop.test", 465, "SSL"), xs("smtp", "smtp.interop.test", 587, "STARTTLS")))
	writeFile(t, www+"/autodiscover.interop.test/autodiscover/autodiscover.xml", lab.AutodiscoverXML(
		[4]string{"IMAP", "imap.interop.test", "993", ""}, [4]string{"SMTP", "smtp.interop.test", "465", ""}))
	writeFile(t, www+"/autoconfig.starttls.interop.test"+ac, mozillaXML("starttls.interop.test",
		xs("imap", "imap.starttls.interop.test", 143, "STARTTLS"), xs("pop3", "imap.starttls.interop.test", 110, "STARTTLS"),
		xs("smtp", "smtp.starttls.interop.test", 587, "STARTTLS")))
	writeFile(t, www+"/autoconfig.nostarttls.interop.test"+ac, mozillaXML("nostarttls.interop.test",
		xs("imap", "imap.nostarttls.interop.test", 993, "SSL"), xs("smtp", "smtp.nostarttls.interop.test", 587, "STARTTLS")))
	writeFile(t, www+"/autoconfig.badcert.interop.test"+ac, mozillaXML("badcert.interop.test",
		xs("imap", "imap.badcert.interop.test", 993, "SSL"), xs("smtp", "smtp.badcert.interop.test", 465, "SSL")))
	conf := filepath.Join(d, "nginx.conf")
	writeFile(t, conf, fmt.Sprintf(`# Mailsetup realmail test instance: loopback only, nothing of the system's.
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log info;
events { worker_connections 64; }
http {
  access_log %[1]s/logs/access.log;
  client_body_temp_path %[1]s/tmp/body;
  proxy_temp_path %[1]s/tmp/proxy;
  fastcgi_temp_path %[1]s/tmp/fastcgi;
  uwsgi_temp_path %[1]s/tmp/uwsgi;
  scgi_temp_path %[1]s/tmp/scgi;
  types { application/xml xml; }
  default_type application/octet-stream;
  server {
    listen %[2]s:443 ssl;
    server_name _;
    ssl_certificate %[3]s;
    ssl_certificate_key %[4]s;
    ssl_protocols TLSv1.2 TLSv1.3;
    root %[1]s/www/$host;
    location / {
      # Autodiscover is a POST; nginx answers a POST to a file with 405.
      error_page 405 =200 $uri;
    }
  }
}
`, d, webIP, w.webCert, w.webKey))
	w.logs = append(w.logs, filepath.Join(d, "logs", "error.log"))
	ng := w.startDaemon(t, "nginx", filepath.Join(d, "stdout.log"), "nginx", "-p", d, "-c", conf, "-g", "daemon off;")
	waitListening(t, "nginx", ng, hostPort(webIP, 443))
}

// xs is a server line of an autoconfig file: type, host, port, socketType.
func xs(typ, host string, port int, socket string) lab.ConfigServer {
	return lab.ConfigServer{Type: typ, Host: host, Port: port, Socket: socket}
}

// mozillaXML writes the config-v1.1.xml of a scenario domain.
func mozillaXML(domain string, servers ...lab.ConfigServer) string {
	return lab.MozillaXML("Realmail "+domain, domain, servers...)
}
