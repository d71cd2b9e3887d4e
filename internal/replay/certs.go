package replay

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mailsetup/mailsetup/internal/lab/certs"
)

// errUnknownName is the handshake error for an SNI name outside the world
// (or none): the world has no certificate for it.
var errUnknownName = errors.New("replay: no certificate for this server name")

// certStore issues one leaf per world name, on the first handshake that
// asks for it by SNI, and keeps it: a single TLS listener then serves every
// name without a certificate listing hundreds of SANs.
type certStore struct {
	ca    *certs.CA
	names map[string]bool // read-only after construction

	mu     sync.Mutex
	issued map[string]*issued
}

type issued struct {
	once sync.Once
	cert *tls.Certificate
	err  error
}

func newCertStore(ca *certs.CA, names map[string]bool) *certStore {
	return &certStore{ca: ca, names: names, issued: make(map[string]*issued)}
}

// get is a tls.Config.GetCertificate: the leaf for the SNI name.
func (s *certStore) get(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if !s.names[name] {
		return nil, fmt.Errorf("%w: %q", errUnknownName, hello.ServerName)
	}
	s.mu.Lock()
	e := s.issued[name]
	if e == nil {
		e = &issued{}
		s.issued[name] = e
	}
	s.mu.Unlock()
	e.once.Do(func() {
		c, err := s.ca.Leaf(name)
		e.cert, e.err = &c, err
	})
	return e.cert, e.err
}

// config is the server side TLS configuration of every listener.
func (s *certStore) config() *tls.Config {
	return &tls.Config{GetCertificate: s.get, MinVersion: tls.VersionTLS12}
}
