//go:build linux

package interop

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dane"
	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// daneCase is a lab.DANECase with what the suite found in DNS for it.
type daneCase struct {
	lab.DANECase
	tlsa  []*dns.TLSA // the TLSA RRset, as Unbound validated it (AD)
	relay string      // relay IP:port in front of the case's server
	err   error       // why the case could not be set up
}

// TestDANEAgreement: on every DANE case of the lab, dane.Verify's verdict
// equals openssl s_client's and ldns-dane's, and all equal the case's.
func TestDANEAgreement(t *testing.T) {
	requireTools(t)
	start := time.Now()
	w := startWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	cases := make([]daneCase, len(lab.DANECases))
	relays := map[string]string{} // lab server IP:port → relay IP:port
	for i, c := range lab.DANECases {
		cases[i] = daneCase{DANECase: c}
		dc := &cases[i]
		dc.tlsa, dc.err = lookupTLSA(ctx, w, c.Host, c.Port)
		if dc.err != nil {
			continue
		}
		var ip string
		if ip, dc.err = lookupA(ctx, w, c.Host); dc.err != nil {
			continue
		}
		target := net.JoinHostPort(ip, strconv.Itoa(c.Port))
		if relays[target] == "" {
			// One relay IP per lab IP, on the case's standard port.
			relays[target] = net.JoinHostPort(relayFor(relays, ip), strconv.Itoa(c.Port))
			startRelay(t, w.lab.Dial, relays[target], target)
		}
		dc.relay = relays[target]
	}

	ours := make([]verdict, len(cases))
	ossl := make([]verdict, len(cases))
	ldns := make([]verdict, len(cases))
	v := dnssec.New(resolver.New(w.unbound), w.lab.TrustAnchor(), nil) // resolver.Client sets DO and CD
	parallel(len(cases), func(i int) {
		if cases[i].err != nil {
			return
		}
		ours[i] = ourDANE(ctx, w, v, &cases[i])
		ossl[i] = opensslDANE(ctx, w, &cases[i])
		ldns[i] = ldnsDANE(ctx, w, &cases[i])
	})

	var rows [][]string
	var disagree, vsOpenSSL, vsLDNS int
	for i, c := range cases {
		name := fmt.Sprintf("%s:%d", c.Host, c.Port)
		usm := fmt.Sprintf("%d %d %d", c.Usage, c.Selector, c.Matching)
		want := "mismatch"
		if c.Match {
			want = "verified"
		}
		if c.err != nil {
			t.Errorf("%s: %v", name, c.err)
			rows = append(rows, []string{name, usm, want, "-", "-", "-", "SETUP"})
			continue
		}
		dO, dL := ours[i].v != ossl[i].v, ours[i].v != ldns[i].v
		mark := ""
		if dO || dL {
			disagree++
			mark = "DISAGREE"
			if dO {
				vsOpenSSL++
				t.Errorf("%s (%s): ours %s (%s), openssl %s (%s)\n%s", name, usm, ours[i].v, ours[i].detail, ossl[i].v, ossl[i].detail, ossl[i].raw)
			}
			if dL {
				vsLDNS++
				t.Errorf("%s (%s): ours %s (%s), ldns-dane %s (%s)\n%s", name, usm, ours[i].v, ours[i].detail, ldns[i].v, ldns[i].detail, ldns[i].raw)
			}
		} else if ours[i].v != want {
			mark = "LAB?"
			t.Errorf("%s (%s): openssl, ldns-dane and ours all say %s, the lab's case wants %s: the lab may be wrong", name, usm, ours[i].v, want)
		}
		rows = append(rows, []string{name, usm, want, ossl[i].v, ldns[i].v, ours[i].v, mark})
	}
	t.Log("DANE verdicts:" + table([]string{"case", "usage sel match", "want", "openssl", "ldns-dane", "ours", ""}, rows))
	for i, c := range cases {
		if c.err == nil {
			t.Logf("%s:%d %d %d %d: openssl: %s | ldns-dane: %s | ours: %s", c.Host, c.Port, c.Usage, c.Selector, c.Matching,
				ossl[i].detail, ldns[i].detail, ours[i].detail)
		}
	}
	fmt.Printf("DANE agreement: %d cases, %d disagreements (ours vs openssl %d, ours vs ldns-dane %d) [%s]\n",
		len(cases), disagree, vsOpenSSL, vsLDNS, time.Since(start).Round(10*time.Millisecond))
}

// relayFor returns the relay IP for a lab IP: the one already used for it,
// or the next free one of relayNet.
func relayFor(relays map[string]string, labIP string) string {
	used := map[string]bool{}
	for target, r := range relays {
		tip, _, _ := net.SplitHostPort(target)
		rip, _, _ := net.SplitHostPort(r)
		if tip == labIP {
			return rip
		}
		used[rip] = true
	}
	for n := 1; ; n++ {
		if ip := relayNet + strconv.Itoa(n); !used[ip] {
			return ip
		}
	}
}

// lookupTLSA asks Unbound (without CD) for the TLSA RRset of host:port and
// requires it validated (AD).
func lookupTLSA(ctx context.Context, w *world, host string, port int) ([]*dns.TLSA, error) {
	m := new(dns.Msg)
	m.SetQuestion(dane.Name(host, port), dns.TypeTLSA)
	m.RecursionDesired = true
	m.SetEdns0(1232, true)
	r, err := exchange(ctx, w.unbound, m)
	if err != nil {
		return nil, fmt.Errorf("TLSA via Unbound: %w", err)
	}
	var out []*dns.TLSA
	for _, rr := range r.Answer {
		if t, ok := rr.(*dns.TLSA); ok {
			out = append(out, t)
		}
	}
	if r.Rcode != dns.RcodeSuccess || !r.AuthenticatedData || len(out) == 0 {
		return nil, fmt.Errorf("TLSA via Unbound: rcode %s, AD %v, %d records: want a validated TLSA RRset",
			dns.RcodeToString[r.Rcode], r.AuthenticatedData, len(out))
	}
	return out, nil
}

// lookupA asks Unbound for host's (lab) address.
func lookupA(ctx context.Context, w *world, host string) (string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(host), dns.TypeA)
	m.RecursionDesired = true
	m.SetEdns0(1232, true)
	r, err := exchange(ctx, w.unbound, m)
	if err != nil {
		return "", fmt.Errorf("A via Unbound: %w", err)
	}
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok && r.AuthenticatedData {
			return a.A.String(), nil
		}
	}
	return "", fmt.Errorf("A via Unbound: rcode %s, AD %v, answer %v: want a validated address",
		dns.RcodeToString[r.Rcode], r.AuthenticatedData, r.Answer)
}

// rrdata is a TLSA record's data as openssl's -dane_tlsa_rrdata takes it.
func rrdata(t *dns.TLSA) string {
	return fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, t.Certificate)
}

// ourDANE is Mailsetup's verdict: the TLSA RRset through our validator
// (which must find it secure), matched by dane.Verify against the chain the
// server serves.
func ourDANE(ctx context.Context, w *world, v *dnssec.Validator, c *daneCase) verdict {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	a, res, err := v.Lookup(ctx, dane.Name(c.Host, c.Port), dns.TypeTLSA)
	if err != nil {
		return verdict{v: "error", detail: err.Error()}
	}
	if res.Verdict != dnssec.Secure {
		return verdict{v: "dnssec-" + string(res.Verdict), detail: res.Reason}
	}
	var records []*dns.TLSA
	for _, rr := range a.Records {
		if t, ok := rr.(*dns.TLSA); ok {
			records = append(records, t)
		}
	}
	if !sameTLSA(records, c.tlsa) {
		return verdict{v: "error", detail: fmt.Sprintf("our validator's TLSA RRset %v differs from Unbound's %v", records, c.tlsa)}
	}
	d := tls.Dialer{Config: &tls.Config{ServerName: c.Host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}
	conn, err := d.DialContext(ctx, "tcp", c.relay)
	if err != nil {
		return verdict{v: "error", detail: "TLS: " + err.Error()}
	}
	defer conn.Close()
	var chain [][]byte
	for _, cert := range conn.(*tls.Conn).ConnectionState().PeerCertificates {
		chain = append(chain, cert.Raw)
	}
	r := dane.Verify(records, chain, c.Host, w.lab.CA.Pool(), time.Now())
	return verdict{v: string(r.Status), detail: r.Reason}
}

// sameTLSA reports whether two TLSA RRsets hold the same records.
func sameTLSA(a, b []*dns.TLSA) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || dns.IsDuplicate(x, y)
		}
		if !found {
			return false
		}
	}
	return true
}

// opensslDANE runs openssl s_client with the TLSA records Unbound validated
// (-dane_tlsa_rrdata), the lab CA for the PKIX usages, and RFC 7671's
// DANE-EE rule of no name checks.
func opensslDANE(ctx context.Context, w *world, c *daneCase) verdict {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	args := []string{"s_client", "-connect", c.relay, "-servername", c.Host, "-dane_tlsa_domain", c.Host}
	for _, t := range c.tlsa {
		args = append(args, "-dane_tlsa_rrdata", rrdata(t))
	}
	if c.Usage == dane.UsageDANEEE {
		args = append(args, "-dane_ee_no_namechecks")
	}
	args = append(args, "-CAfile", w.caFile, "-verify_return_error", "-brief")
	cmd := exec.CommandContext(ctx, "openssl", args...)
	cmd.Stdin = strings.NewReader("") // EOF: close right after the handshake
	out, err := cmd.CombinedOutput()
	text := string(out)
	var matched, verr string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "DANE TLSA ") && strings.Contains(line, " matched "):
			matched = shortHex(line)
		case strings.HasPrefix(line, "verify error:") && verr == "":
			verr = line
		}
	}
	if err == nil && strings.Contains(text, "Verification: OK") && matched != "" {
		return verdict{v: "verified", detail: matched, raw: text}
	}
	if verr == "" {
		verr = fmt.Sprintf("exit %v", err)
	}
	return verdict{v: "mismatch", detail: verr, raw: text}
}

// shortHex shortens the long hex strings of a tool's output line.
func shortHex(line string) string {
	f := strings.Fields(line)
	for i, s := range f {
		if _, err := hex.DecodeString(strings.TrimSuffix(s, "...")); err == nil && len(s) > 16 {
			f[i] = s[:12] + "..."
		}
	}
	return strings.Join(f, " ")
}

// ldnsDANE runs ldns-dane, which looks the TLSA RRset up itself through
// Unbound (-r; without -d it requires the AD bit) and connects to the
// relay (-a) on the case's port; -f is the lab CA for the PKIX usages, -n
// drops the DANE-EE name checks as openssl's -dane_ee_no_namechecks does.
func ldnsDANE(ctx context.Context, w *world, c *daneCase) verdict {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	relayIP, _, _ := net.SplitHostPort(c.relay)
	args := []string{"-r", unboundIP, "-a", relayIP, "-f", w.caFile}
	if c.Usage == dane.UsageDANEEE {
		args = append(args, "-n")
	}
	args = append(args, "verify", c.Host, strconv.Itoa(c.Port))
	out, err := exec.CommandContext(ctx, "ldns-dane", args...).CombinedOutput()
	text := strings.TrimSpace(string(out))
	var exit *exec.ExitError
	switch {
	case err == nil && strings.Contains(text, "dane-validated successfully"):
		return verdict{v: "verified", detail: text, raw: text}
	case err == nil:
		// Success without DANE (e.g. PKIX only, no usable TLSA record).
		return verdict{v: "unknown", detail: text, raw: text}
	case errors.As(err, &exit) && strings.Contains(text, "did not dane-validate"):
		return verdict{v: "mismatch", detail: text, raw: text}
	}
	return verdict{v: "error", detail: fmt.Sprintf("%v: %s", err, text), raw: text}
}

// startRelay relays TCP connections from listen to target (reached with
// dial) unchanged, until the test ends.
func startRelay(t *testing.T, dial func(ctx context.Context, network, address string) (net.Conn, error), listen, target string) {
	t.Helper()
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		t.Fatalf("relay %s → %s: %v", listen, target, err)
	}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		conns  = map[net.Conn]bool{}
		closed bool
	)
	track := func(cs ...net.Conn) bool {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			conns[c] = true
		}
		return !closed
	}
	forget := func(cs ...net.Conn) {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range cs {
			delete(conns, c)
			c.Close()
		}
	}
	serve := func(down net.Conn) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		up, err := dial(ctx, "tcp", target)
		cancel()
		if err != nil {
			down.Close()
			return
		}
		defer forget(down, up)
		if !track(down, up) {
			return
		}
		done := make(chan struct{}, 2)
		pipe := func(dst, src net.Conn) {
			_, _ = io.Copy(dst, src)
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			done <- struct{}{}
		}
		go pipe(up, down)
		go pipe(down, up)
		<-done
		<-done
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				serve(c)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		closed = true
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
}
