//go:build linux

package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/internal/lab"
	"github.com/mailsetup/mailsetup/internal/lab/labtest"
)

// Loopback addresses of the daemons; nothing else in the repository uses
// 127.53.0.0/16.
const (
	nsdIP     = "127.53.0.1"
	unboundIP = "127.53.0.2"
	// relayNet is the /24 of the TCP relays in front of the lab's mail
	// servers (relay N at 127.53.1.N).
	relayNet = "127.53.1."
)

// tools are the binaries the suite runs, with the Debian package of each.
var tools = map[string]string{
	"nsd":               "nsd",
	"nsd-checkconf":     "nsd",
	"unbound":           "unbound",
	"unbound-checkconf": "unbound",
	"delv":              "bind9-dnsutils",
	"ldns-dane":         "ldnsutils",
	"openssl":           "openssl",
}

// requireTools skips without root and fails when a tool is missing.
func requireTools(t *testing.T) {
	t.Helper()
	labtest.RequireTools(t, "interop", "to run NSD and Unbound on port 53 of 127.53.0.x (and relays on 993/465)", tools)
}

// world is the lab with NSD serving its zone files and Unbound validating
// them.
type world struct {
	lab        *lab.Lab
	dir        string
	anchorFile string // the root DS, zone-file text (Unbound, ldns)
	delvAnchor string // the root DS, bind9 trust-anchors syntax (delv)
	caFile     string // the lab CA, PEM
	unbound    string // host:port
	unboundLog string
}

// startWorld starts the lab, NSD and Unbound; t.Cleanup stops them.
func startWorld(t *testing.T) *world {
	t.Helper()
	// A daemon left by another run would share the UDP port with ours
	// (both set SO_REUSEADDR) and answer half the queries with other keys.
	for _, ip := range []string{nsdIP, unboundIP} {
		requireFree(t, "udp", net.JoinHostPort(ip, "53"))
		requireFree(t, "tcp", net.JoinHostPort(ip, "53"))
	}
	l, err := lab.Start(lab.Options{NSAddr: netip.MustParseAddr(nsdIP)})
	if err != nil {
		t.Fatalf("lab.Start: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	dir := t.TempDir()
	w := &world{lab: l, dir: dir, anchorFile: filepath.Join(dir, "anchor.ds"),
		delvAnchor: filepath.Join(dir, "anchor.delv"), caFile: filepath.Join(dir, "lab-ca.pem"),
		unbound: net.JoinHostPort(unboundIP, "53")}
	if err := l.WriteTrustAnchor(w.anchorFile); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteCA(w.caFile); err != nil {
		t.Fatal(err)
	}
	if err := writeDelvAnchor(w.delvAnchor, l.TrustAnchor()); err != nil {
		t.Fatal(err)
	}
	files, err := l.WriteZoneFiles(filepath.Join(dir, "zones"))
	if err != nil {
		t.Fatalf("WriteZoneFiles: %v", err)
	}
	w.startNSD(t, files)
	w.startUnbound(t)
	return w
}

// requireFree fails the test when addr is in use.
func requireFree(t *testing.T, network, addr string) {
	t.Helper()
	var err error
	if network == "udp" {
		var c net.PacketConn
		if c, err = net.ListenPacket(network, addr); err == nil {
			err = c.Close()
		}
	} else {
		var ln net.Listener
		if ln, err = net.Listen(network, addr); err == nil {
			err = ln.Close()
		}
	}
	if err != nil {
		t.Fatalf("interop: %s %s is not free (a daemon of another run?): %v", network, addr, err)
	}
}

// writeDelvAnchor writes the DS anchors in the trust-anchors syntax of
// bind9 (static-ds), which delv -a reads.
func writeDelvAnchor(path string, anchors []dns.RR) error {
	var b strings.Builder
	b.WriteString("trust-anchors {\n")
	for _, rr := range anchors {
		ds, ok := rr.(*dns.DS)
		if !ok {
			return fmt.Errorf("trust anchor %v is not a DS", rr)
		}
		fmt.Fprintf(&b, "\t%q static-ds %d %d %d %q;\n", ds.Hdr.Name, ds.KeyTag, ds.Algorithm, ds.DigestType, strings.ToUpper(ds.Digest))
	}
	b.WriteString("};\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func (w *world) startNSD(t *testing.T, files map[string]string) {
	t.Helper()
	d := filepath.Join(w.dir, "nsd")
	if err := os.MkdirAll(filepath.Join(d, "xfr"), 0o755); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `server:
	ip-address: %s
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: %q
	database: ""
	pidfile: %q
	xfrdfile: %q
	zonelistfile: %q
	xfrdir: %q
	logfile: %q
	server-count: 1
	reuseport: no
	verbosity: 1
	hide-version: yes
remote-control:
	control-enable: no
`, nsdIP, d, filepath.Join(d, "nsd.pid"), filepath.Join(d, "xfrd.state"),
		filepath.Join(d, "zone.list"), filepath.Join(d, "xfr"), filepath.Join(d, "nsd.log"))
	apexes := make([]string, 0, len(files))
	for apex := range files {
		apexes = append(apexes, apex)
	}
	slices.Sort(apexes)
	for _, apex := range apexes {
		fmt.Fprintf(&b, "zone:\n\tname: %q\n\tzonefile: %q\n", apex, files[apex])
	}
	conf := filepath.Join(d, "nsd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("nsd-checkconf", conf).CombinedOutput(); err != nil {
		t.Fatalf("nsd-checkconf %s: %v\n%s", conf, err, out)
	}
	logs := []string{filepath.Join(d, "nsd.log")}
	nsd := startDaemon(t, "nsd", logs, "nsd", "-d", "-c", conf)
	// NSD answers once it has loaded every zone: ask for the last one.
	waitFor(t, nsd, net.JoinHostPort(nsdIP, "53"), apexes[len(apexes)-1], dns.TypeSOA, false)
}

func (w *world) startUnbound(t *testing.T) {
	t.Helper()
	d := filepath.Join(w.dir, "unbound")
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	hints := filepath.Join(d, "root.hints")
	// The lab's root zone names ns.test. as its name server.
	if err := os.WriteFile(hints, fmt.Appendf(nil, ".\t3600000\tIN\tNS\tns.test.\nns.test.\t3600000\tIN\tA\t%s\n", nsdIP), 0o644); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(d, "unbound.log")
	w.unboundLog = log
	conf := filepath.Join(d, "unbound.conf")
	text := fmt.Sprintf(`server:
	interface: %s
	port: 53
	outgoing-interface: %s
	do-ip6: no
	do-not-query-localhost: no
	access-control: 127.0.0.0/8 allow
	local-zone: "test." nodefault
	root-hints: %q
	trust-anchor-file: %q
	module-config: "validator iterator"
	harden-dnssec-stripped: yes
	# Every process here reads the same clock, so no clock-skew allowance is
	# needed beyond the hour the lab backdates inceptions by. Unbound's
	# default allows up to a day (10%% of a signature's validity, at most
	# val-sig-skew-max 86400): exactly how long ago the signatures of the
	# lab's sigexpired.test expired, which Unbound then calls secure when
	# asked within the second the lab signed it.
	val-sig-skew-min: 3600
	val-sig-skew-max: 3600
	val-log-level: 2
	ede: yes
	qname-minimisation: no
	prefetch: no
	num-threads: 1
	so-reuseport: no
	use-syslog: no
	logfile: %q
	verbosity: 1
	chroot: ""
	username: ""
	directory: %q
	pidfile: %q
	do-daemonize: no
remote-control:
	control-enable: no
`, unboundIP, unboundIP, hints, w.anchorFile, log, d, filepath.Join(d, "unbound.pid"))
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("unbound-checkconf", conf).CombinedOutput(); err != nil {
		t.Fatalf("unbound-checkconf %s: %v\n%s", conf, err, out)
	}
	logs := []string{log}
	u := startDaemon(t, "unbound", logs, "unbound", "-d", "-c", conf)
	// Unbound is ready when it validates the lab's TLD.
	waitFor(t, u, w.unbound, "test.", dns.TypeSOA, true)
}

// daemon is a child process and what it wrote to its stdout and stderr.
type daemon struct {
	name string
	logs []string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

// startDaemon runs a daemon in the foreground; t.Cleanup stops it
// (SIGTERM, then SIGKILL after 5 s) and waits for it. logs are files
// whose tails go into failure messages.
func startDaemon(t *testing.T, name string, logs []string, argv ...string) *daemon {
	t.Helper()
	d := &daemon{name: name, logs: logs, cmd: exec.Command(argv[0], argv[1:]...), out: &syncBuffer{}, done: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlive the test binary
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		select {
		case <-d.done:
			t.Errorf("%s exited early: %v\n%s%s", name, d.err, d.out.String(), tails(logs))
			return
		default:
		}
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(5 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.done
			t.Errorf("%s did not stop on SIGTERM within 5s; killed", name)
		}
	})
	return d
}

// waitFor polls the daemon d at server (100 ms per try, 15 s in all) until
// it answers qname/qtype with NOERROR (and AD if ad), and fails the test with
// the daemon's output otherwise.
func waitFor(t *testing.T, d *daemon, server, qname string, qtype uint16, ad bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		select {
		case <-d.done:
			t.Fatalf("%s exited: %v\n%s%s", d.name, d.err, d.out.String(), tails(d.logs))
		default:
		}
		m := new(dns.Msg)
		m.SetQuestion(qname, qtype)
		m.RecursionDesired = true
		m.SetEdns0(1232, true)
		c := &dns.Client{Timeout: 100 * time.Millisecond}
		r, _, err := c.Exchange(m, server)
		switch {
		case err != nil:
			last = err.Error()
		case r.Rcode != dns.RcodeSuccess:
			last = dns.RcodeToString[r.Rcode]
		case ad && !r.AuthenticatedData:
			last = "answer without AD"
		default:
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s at %s did not answer %s %s within 15s (last: %s)\n%s%s", d.name, server, qname, dns.TypeToString[qtype], last, d.out.String(), tails(d.logs))
}

// tails returns the last lines of each log file.
func tails(paths []string) string {
	var b strings.Builder
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		fmt.Fprintf(&b, "\n--- %s (tail) ---\n%s", p, strings.Join(lines, "\n"))
	}
	return b.String()
}

// syncBuffer is a bytes.Buffer safe for a child's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// exchange sends m over UDP, and again over TCP when the answer was
// truncated.
func exchange(ctx context.Context, server string, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Net: "udp", Timeout: 3 * time.Second, UDPSize: 1232}
	resp, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, m, server)
	}
	if err != nil {
		return nil, err
	}
	if resp.Id != m.Id {
		return nil, errors.New("response id mismatch")
	}
	return resp, nil
}

// table renders rows as aligned columns.
func table(header []string, rows [][]string) string {
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range append([][]string{header}, rows...) {
		b.WriteString("\n")
		for i, c := range r {
			if i < len(r)-1 {
				fmt.Fprintf(&b, "%-*s  ", widths[i], c)
			} else {
				b.WriteString(c)
			}
		}
	}
	return b.String()
}
