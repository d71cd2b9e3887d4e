package replay

import (
	"bytes"
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// webIP is the address of every autoconfig.D name.
var webIP = netip.AddrFrom4([4]byte{127, 0, 0, 2})

// kind is what one mail listener serves.
type kind struct {
	proto autoconfig.Protocol
	sec   autoconfig.Security
}

func (k kind) String() string { return string(k.proto) + "/" + string(k.sec) }

type domainEntry struct {
	name, file string
}

type expectation struct{ in, out string }

// corpus is the world's data, read from the files.
type corpus struct {
	domains  []domainEntry
	fileOf   map[string]string
	expected map[string]expectation
	// pages maps autoconfig.D to the file served there.
	pages map[string][]byte
	// hosts maps every mail host (placeholders expanded) to its address.
	hosts map[string]netip.Addr
	// services maps each (host address, port) to what answers there.
	services map[netip.AddrPort]kind
}

// loadCorpus reads every *.xml file of dir. Each file is read once with a
// zero Vars for its domain list, then once per domain with that domain's
// Vars, exactly as the engine reads what it fetches, so that expanded host
// names are the ones the engine will ask for.
func loadCorpus(dir string) (*corpus, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w in %s", ErrNoCorpus, dir)
	}
	slices.Sort(files)
	c := &corpus{
		fileOf:   make(map[string]string),
		expected: make(map[string]expectation),
		pages:    make(map[string][]byte),
		hosts:    make(map[string]netip.Addr),
		services: make(map[netip.AddrPort]kind),
	}
	where := make(map[netip.AddrPort]string) // the first file that put a service there, for errors
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("replay: %w", err)
		}
		name := filepath.Base(f)
		cfg, err := autoconfig.ReadMozilla(bytes.NewReader(raw), autoconfig.Vars{})
		if err != nil {
			return nil, fmt.Errorf("replay: %s: %w", name, err)
		}
		for _, d := range cfg.Domains {
			c.domains = append(c.domains, domainEntry{d, name})
			if prev, ok := c.fileOf[d]; ok {
				if prev != name {
					return nil, fmt.Errorf("%w: domain %s is in %s and %s", ErrConflict, d, prev, name)
				}
				continue // listed twice in one file
			}
			c.fileOf[d] = name
			c.pages["autoconfig."+d] = raw
			v := autoconfig.Vars{Address: Address(d), LocalPart: LocalPart, Domain: d}
			dc, err := autoconfig.ReadMozilla(bytes.NewReader(raw), v)
			if err != nil {
				return nil, fmt.Errorf("replay: %s for %s: %w", name, d, err)
			}
			c.expected[d] = expect(dc)
			for _, s := range slices.Concat(dc.Incoming, dc.Outgoing) {
				if !probed(s.Protocol) {
					continue
				}
				ap := netip.AddrPortFrom(c.hostIP(s.Hostname), uint16(s.Port))
				k := kind{s.Protocol, s.Security}
				if old, ok := c.services[ap]; ok && old != k {
					return nil, fmt.Errorf("%w: %s:%d is %s in %s and %s in %s",
						ErrConflict, s.Hostname, s.Port, old, where[ap], k, name)
				}
				c.services[ap], where[ap] = k, name
			}
		}
	}
	for h := range c.hosts {
		if _, ok := c.pages[h]; ok {
			return nil, fmt.Errorf("%w: %s is a mail host and an autoconfig name", ErrConflict, h)
		}
	}
	return c, nil
}

// hostIP returns (allocating on first use) the address of a mail host:
// 127.1.0.1, 127.1.0.2, ... (never .0 or .255 in the last octet).
func (c *corpus) hostIP(host string) netip.Addr {
	if ip, ok := c.hosts[host]; ok {
		return ip
	}
	n := len(c.hosts)
	ip := netip.AddrFrom4([4]byte{127, byte(1 + n/(250*256)), byte(n / 250 % 256), byte(1 + n%250)})
	c.hosts[host] = ip
	return ip
}

// kinds returns the distinct (protocol, security) pairs of the corpus.
func (c *corpus) kinds() []kind {
	var out []kind
	for _, k := range c.services {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b kind) int { return cmp.Compare(a.String(), b.String()) })
	return out
}

// certNames are the names the world may issue certificates for: every
// mail host and every autoconfig name.
func (c *corpus) certNames() map[string]bool {
	names := make(map[string]bool, len(c.hosts)+len(c.pages))
	for h := range c.hosts {
		names[h] = true
	}
	for h := range c.pages {
		names[h] = true
	}
	return names
}

func probed(p autoconfig.Protocol) bool {
	return p == autoconfig.IMAP || p == autoconfig.POP3 || p == autoconfig.SMTP
}

// expect applies DESIGN.md's ranking to a file whose every server verifies
// (see World.Expected).
func expect(cfg *autoconfig.Config) expectation {
	return expectation{in: best(cfg.Incoming), out: best(cfg.Outgoing)}
}

// best returns the first server of list by security (implicit TLS,
// STARTTLS, plain), then IMAP before POP3, then the file's order; "" when
// there is none or it is plain.
func best(list []autoconfig.Server) string {
	var top *autoconfig.Server
	for i := range list {
		s := &list[i]
		if !probed(s.Protocol) {
			continue
		}
		if top == nil || s.Security.Rank() < top.Security.Rank() ||
			s.Security.Rank() == top.Security.Rank() && protoRank(s.Protocol) < protoRank(top.Protocol) {
			top = s
		}
	}
	if top == nil || top.Security == autoconfig.Plain {
		return "" // RFC 8314 §3.3, §4.1: plaintext is never recommended
	}
	return Format(top.Hostname, top.Port, top.Security)
}

func protoRank(p autoconfig.Protocol) int {
	if p == autoconfig.IMAP {
		return 0
	}
	return 1
}

// Format writes a server as Expected does: "host:port/security".
func Format(host string, port int, sec autoconfig.Security) string {
	return host + ":" + strconv.Itoa(port) + "/" + string(sec)
}
