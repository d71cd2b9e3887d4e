package detect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/mailsetup/mailsetup/autoconfig"
)

// autoconfigSource fetches https://autoconfig.D/mail/config-v1.1.xml with the
// address, as Thunderbird does.
func autoconfigSource(ctx context.Context, e *env) sourceOutput {
	u := "https://autoconfig." + e.addr.Domain + "/mail/config-v1.1.xml?emailaddress=" + url.QueryEscape(e.addr.String())
	return configSource(ctx, e, u, TrustHTTPS)
}

// wellKnownSource fetches https://D/.well-known/autoconfig/mail/config-v1.1.xml.
func wellKnownSource(ctx context.Context, e *env) sourceOutput {
	return configSource(ctx, e, "https://"+e.addr.Domain+"/.well-known/autoconfig/mail/config-v1.1.xml", TrustHTTPS)
}

// httpURLs are the plain-http fallbacks. They never carry the address
// (DESIGN.md security rules).
func httpURLs(domain string) []string {
	return []string{
		"http://autoconfig." + domain + "/mail/config-v1.1.xml",
		"http://" + domain + "/.well-known/autoconfig/mail/config-v1.1.xml",
	}
}

// httpSource tries the plain-http fallbacks in turn. Whatever it finds is
// insecure: anyone on the path could have written it.
func httpSource(ctx context.Context, e *env) sourceOutput {
	urls := httpURLs(e.addr.Domain)
	var errs []error
	for _, u := range urls {
		cfg, final, err := fetchConfig(ctx, e, u)
		if err == nil {
			return configOutput(e, cfg, final, TrustInsecure, urls)
		}
		errs = append(errs, err)
	}
	return noneOrError(errs, urls...)
}

// ispdbSource asks the ISP database for the domain.
func ispdbSource(ctx context.Context, e *env) sourceOutput {
	if e.o.NoISPDB {
		return skipped("the ISP database is turned off")
	}
	return configSource(ctx, e, ispdbURL(e.o.ISPDB, e.addr.Domain), TrustISPDB)
}

func ispdbURL(base, domain string) string {
	return strings.TrimSuffix(base, "/") + "/" + url.PathEscape(domain)
}

func configSource(ctx context.Context, e *env, u string, t Trust) sourceOutput {
	cfg, final, err := fetchConfig(ctx, e, u)
	if err != nil {
		return noneOrError([]error{err}, u)
	}
	return configOutput(e, cfg, final, t, []string{u})
}

// noneOrError reports "none" when every fetch failed in a way that simply
// means "nothing published here" (no such host, refused, 404), and "error"
// when something answered wrongly.
func noneOrError(errs []error, queries ...string) sourceOutput {
	var msgs []string
	isErr := false
	for _, err := range errs {
		msgs = append(msgs, err.Error())
		if !nothingThere(err) {
			isErr = true
		}
	}
	if isErr {
		return failed(errors.New(strings.Join(msgs, "; ")), queries...)
	}
	return none(strings.Join(msgs, "; "), queries...)
}

// nothingThere reports whether err means the document is simply not
// published: the host does not exist, refuses connections, or answers 404.
func nothingThere(err error) bool {
	s := err.Error()
	for _, frag := range []string{"no such host", "connection refused", "404", "410", "NXDOMAIN"} {
		if strings.Contains(s, frag) {
			return true
		}
	}
	return false
}

// maxLocalFiles bounds how many files of the local folder are read.
const maxLocalFiles = 5000

// localSource reads the user's folder of config-v1.1.xml files and uses the
// one for the domain: a file named D.xml (or D), else the first file, in
// name order, that lists D among its domains.
func localSource(_ context.Context, e *env) sourceOutput {
	if e.o.LocalDir == "" {
		return skipped("no local folder given")
	}
	entries, err := os.ReadDir(e.o.LocalDir)
	if err != nil {
		return failed(fmt.Errorf("reading local folder: %w", err), e.o.LocalDir)
	}
	if len(entries) > maxLocalFiles {
		entries = entries[:maxLocalFiles]
	}
	sort.SliceStable(entries, func(i, j int) bool { // the file named for the domain first
		return localRank(entries[i].Name(), e.addr.Domain) < localRank(entries[j].Name(), e.addr.Domain)
	})
	var problems []string
	for _, ent := range entries {
		if ent.IsDir() || localRank(ent.Name(), e.addr.Domain) > 1 {
			continue
		}
		path := filepath.Join(e.o.LocalDir, ent.Name())
		data, err := readLimited(path)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		cfg, err := autoconfig.ReadMozilla(bytes.NewReader(data), e.vars)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", ent.Name(), err))
			continue
		}
		if localRank(ent.Name(), e.addr.Domain) == 1 && !slices.Contains(cfg.Domains, e.addr.Domain) {
			continue
		}
		u := &url.URL{Scheme: "file", Path: path}
		return configOutput(e, cfg, u, TrustLocal, []string{path})
	}
	if len(problems) > 0 {
		return failed(errors.New(strings.Join(problems, "; ")), e.o.LocalDir)
	}
	return none("no file in "+e.o.LocalDir+" is for "+e.addr.Domain, e.o.LocalDir)
}

// localRank: 0 for the file named for the domain, 1 for other XML files, 2
// for the rest.
func localRank(name, domain string) int {
	switch {
	case name == domain || name == domain+".xml":
		return 0
	case strings.HasSuffix(name, ".xml"):
		return 1
	default:
		return 2
	}
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(data) > MaxResponseSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrTooLarge, path, MaxResponseSize)
	}
	return data, nil
}
