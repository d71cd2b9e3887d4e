//go:build linux

package interop

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailsetup/mailsetup/detect/dnssec"
	"github.com/mailsetup/mailsetup/detect/resolver"
	"github.com/mailsetup/mailsetup/internal/lab"
)

// verdict is one tool's conclusion on one scenario, and why.
type verdict struct {
	v      string // secure, insecure, bogus; anything else is a failure to judge
	detail string
	raw    string // a tool's whole output, logged on disagreement
	rcode  string // the response code, when the tool shows it
}

// TestDNSSECAgreement: on every DNSSEC scenario of the lab, our validator's
// verdict equals Unbound's and delv's, and all equal the scenario's.
func TestDNSSECAgreement(t *testing.T) {
	requireTools(t)
	start := time.Now()
	w := startWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()

	scs := lab.DNSSECScenarios
	unb := make([]verdict, len(scs))
	delv := make([]verdict, len(scs))
	ours := make([]verdict, len(scs))
	// One tool after the other, so that Unbound's verdict (asked without
	// CD) is its own and not helped by data fetched for the others.
	parallel(len(scs), func(i int) { unb[i] = unboundVerdict(ctx, w, scs[i]) })
	parallel(len(scs), func(i int) { delv[i] = delvVerdict(ctx, w, scs[i]) })
	v := dnssec.New(resolver.New(w.unbound), w.lab.TrustAnchor(), nil) // resolver.Client sets DO and CD
	parallel(len(scs), func(i int) { ours[i] = ourVerdict(ctx, v, scs[i]) })

	var rows [][]string
	var disagree, vsUnbound, vsDelv, na int
	var naCells []string
	for i, sc := range scs {
		name := sc.Name + " " + sc.Type
		delvCell := delv[i].v
		if sp, ok := toolSplits[name]; ok && sp.tool == "delv" && delv[i].v == sp.says &&
			ours[i].v == unb[i].v && ours[i].rcode == unb[i].rcode && ours[i].v == sc.Want {
			// The tools disagree with each other here, as documented;
			// the cell counts neither as agreement nor as disagreement.
			delvCell = delv[i].v + " (n/a)"
			na++
			naCells = append(naCells, fmt.Sprintf("delv on %s", name))
			t.Logf("n/a: %s: delv says %s (%s), Unbound and ours %s: %s", name, delv[i].v, delv[i].detail, ours[i].v, sp.why)
			rows = append(rows, []string{name, sc.Want, unb[i].v, delvCell, ours[i].v, ""})
			continue
		}
		if sp, ok := toolSplits[name]; ok && sp.tool == "unbound" && unb[i].v == sp.says &&
			ours[i].v == delv[i].v && ours[i].v == sc.Want {
			// The same, the other way round: Unbound is the odd one out.
			na++
			naCells = append(naCells, fmt.Sprintf("unbound on %s", name))
			t.Logf("n/a: %s: Unbound says %s (%s), delv and ours %s: %s", name, unb[i].v, unb[i].detail, ours[i].v, sp.why)
			rows = append(rows, []string{name, sc.Want, unb[i].v + " (n/a)", delvCell, ours[i].v, ""})
			continue
		}
		// Beside the verdict, the response code must agree (NXDOMAIN or
		// not), unless the answer is bogus: Unbound then says SERVFAIL.
		dU := ours[i].v != unb[i].v || (ours[i].v != "bogus" && ours[i].rcode != unb[i].rcode)
		dD := ours[i].v != delv[i].v
		mark := ""
		if dU || dD {
			disagree++
			mark = "DISAGREE"
			if dU {
				vsUnbound++
				t.Errorf("%s: ours %s (%s), Unbound %s (%s)%s", name, ours[i].v, ours[i].detail, unb[i].v, unb[i].detail, tails([]string{w.unboundLog}))
			}
			if dD {
				vsDelv++
				t.Errorf("%s: ours %s (%s), delv %s (%s)\n%s", name, ours[i].v, ours[i].detail, delv[i].v, delv[i].detail, delv[i].raw)
			}
		} else if ours[i].v != sc.Want {
			mark = "LAB?"
			t.Errorf("%s: Unbound, delv and ours all say %s, the lab's scenario wants %s (%s): the lab may be wrong",
				name, ours[i].v, sc.Want, sc.About)
		}
		rows = append(rows, []string{name, sc.Want, unb[i].v, delvCell, ours[i].v, mark})
	}
	t.Log("DNSSEC verdicts:" + table([]string{"scenario", "want", "unbound", "delv", "ours", ""}, rows))
	for i, sc := range scs {
		t.Logf("%s %s: unbound: %s | delv: %s | ours: %s", sc.Name, sc.Type, unb[i].detail, delv[i].detail, ours[i].detail)
	}
	suffix := ""
	if na > 0 {
		suffix = fmt.Sprintf("; n/a %d, where the tools disagree with each other: %s", na, strings.Join(naCells, ", "))
	}
	fmt.Printf("DNSSEC agreement: %d scenarios, %d disagreements (ours vs unbound %d, ours vs delv %d%s) [%s]\n",
		len(scs), disagree, vsUnbound, vsDelv, suffix, time.Since(start).Round(10*time.Millisecond))
}

// toolSplits are the scenarios where Unbound and delv disagree with each
// other, so that no validator can equal both: the named tool's verdict is
// what it is documented to say here, the other tool agrees with ours and
// with the scenario, and the cell is reported as n/a. Should the tool
// change its verdict, the cell is compared like any other.
var toolSplits = map[string]struct{ tool, says, why string }{
	"unsigned.optout.test. DS": {"delv", "secure",
		"the DS denial is a closest encloser proof whose next-closer NSEC3 has opt-out; " +
			"RFC 5155 §9.2 (and Unbound, val_nsec3.c: \"if nc has optout then no AD flag set\") " +
			"makes such a response insecure, BIND 9.18's validator marks the negative response secure " +
			"(delv +vtrace: \"NSEC3 indicates optout ... nonexistence proof(s) found\")"},
	"ent.optout.test. A": {"delv", "secure",
		"NODATA at an empty non-terminal that has no NSEC3 of its own (it exists only because of the " +
			"unsigned delegation child.ent.optout.test, RFC 5155 §7.1): NSD sends the closest encloser " +
			"proof with an opt-out NSEC3 covering the next closer name; RFC 5155 §8.6 with erratum 3441 " +
			"and §9.2 make it insecure for any query type, as Unbound does (val_nsec3.c, " +
			"nsec3_do_prove_nodata: \"nc has optout\" → insecure), BIND 9.18's validator calls the " +
			"negative response fully validated, as for the opt-out DS denial above"},
	"www.dn.cname.test. CNAME": {"unbound", "bogus",
		"a CNAME query under the DNAME dn.cname.test: the answer is the signed DNAME and the unsigned " +
			"CNAME synthesised from it, which RFC 6672 §5.3.1 says is proven by verifying the DNAME and " +
			"the synthesis (delv and ours: secure); Unbound 1.17 finds no signer for the unsigned CNAME " +
			"and looks for a zone cut at the query name, its DS query for www.dn.cname.test is itself " +
			"answered with the DNAME, and it gives up (\"DS got DNAME answer ... while building chain of " +
			"trust\", SERVFAIL); the same name's A query is secure in all three"},
}

// parallel runs f(0..n-1) on at most 8 goroutines and waits for them.
func parallel(n int, f func(i int)) {
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}()
	}
	wg.Wait()
}

// unboundVerdict asks Unbound without CD: AD means secure, SERVFAIL bogus
// (Unbound's log says why), an answer without AD insecure.
func unboundVerdict(ctx context.Context, w *world, sc lab.DNSSECScenario) verdict {
	m := new(dns.Msg)
	m.SetQuestion(sc.Name, dns.StringToType[sc.Type])
	m.RecursionDesired = true
	m.SetEdns0(1232, true)
	r, err := exchange(ctx, w.unbound, m)
	if err != nil {
		return verdict{v: "error", detail: err.Error()}
	}
	rcode := dns.RcodeToString[r.Rcode]
	detail := fmt.Sprintf("rcode %s, %d answer records", rcode, len(r.Answer))
	for _, o := range ednsErrors(r) {
		detail += ", " + o
	}
	switch {
	case r.Rcode == dns.RcodeServerFailure:
		return verdict{v: "bogus", detail: detail, rcode: rcode}
	case r.Rcode != dns.RcodeSuccess && r.Rcode != dns.RcodeNameError:
		return verdict{v: "error", detail: detail, rcode: rcode}
	case r.AuthenticatedData:
		return verdict{v: "secure", detail: detail + ", AD", rcode: rcode}
	default:
		return verdict{v: "insecure", detail: detail + ", no AD", rcode: rcode}
	}
}

// ednsErrors returns the Extended DNS Errors (RFC 8914) of a response.
func ednsErrors(r *dns.Msg) []string {
	var out []string
	if o := r.IsEdns0(); o != nil {
		for _, opt := range o.Option {
			if e, ok := opt.(*dns.EDNS0_EDE); ok {
				out = append(out, fmt.Sprintf("EDE %d %s %q", e.InfoCode, dns.ExtendedErrorCodeToString[e.InfoCode], e.ExtraText))
			}
		}
	}
	return out
}

// delvVerdict runs delv against Unbound. delv sets CD on its queries and
// validates the answers itself from the lab's root DS. It prints a status
// line before each RRset of the answer (a CNAME chain has several) and
// ";; resolution failed: REASON" when it has no answer: an ordinary negative
// answer ("ncache nxdomain", "ncache nxrrset"), or a failure, which after a
// validation problem (";; validating NAME/TYPE: why") is bogus.
func delvVerdict(ctx context.Context, w *world, sc lab.DNSSECScenario) verdict {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "delv", "@"+unboundIP, "-4", "-a", w.delvAnchor, "+root=.", "+cdflag",
		sc.Name, sc.Type)
	out, err := cmd.CombinedOutput()
	text := string(out)
	var validated, unsigned int
	var failed, validating string
	for _, line := range strings.Split(text, "\n") {
		switch line = strings.TrimSpace(line); {
		case line == "; fully validated", line == "; negative response, fully validated":
			validated++
		case line == "; unsigned answer", line == "; negative response, unsigned answer":
			unsigned++
		case strings.HasPrefix(line, ";; resolution failed: "):
			if r := strings.TrimPrefix(line, ";; resolution failed: "); r != "ncache nxdomain" && r != "ncache nxrrset" {
				failed = r
			}
		case strings.HasPrefix(line, ";;") && validating == "":
			// ";; validating NAME/TYPE: why", indented when nested.
			if v := strings.TrimLeft(line, "; "); strings.HasPrefix(v, "validating ") {
				validating = v
			}
		}
	}
	switch {
	case failed != "" && validating != "":
		return verdict{v: "bogus", detail: validating + "; resolution failed: " + failed, raw: text}
	case failed != "":
		return verdict{v: "error", detail: "resolution failed: " + failed, raw: text}
	case unsigned > 0:
		return verdict{v: "insecure", detail: fmt.Sprintf("%d RRsets unsigned, %d fully validated", unsigned, validated), raw: text}
	case validated > 0:
		return verdict{v: "secure", detail: fmt.Sprintf("%d RRsets fully validated", validated), raw: text}
	}
	return verdict{v: "unknown", detail: fmt.Sprintf("exit %v: %s", err, strings.TrimSpace(text)), raw: text}
}

// ourVerdict is our validator's verdict on the answer Unbound hands over
// with CD set.
func ourVerdict(ctx context.Context, v *dnssec.Validator, sc lab.DNSSECScenario) verdict {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	a, res, err := v.Lookup(ctx, sc.Name, dns.StringToType[sc.Type])
	if err != nil {
		return verdict{v: "error", detail: err.Error()}
	}
	rcode := dns.RcodeToString[a.Rcode]
	return verdict{v: string(res.Verdict), detail: fmt.Sprintf("rcode %s: %s", rcode, res.Reason), rcode: rcode}
}
