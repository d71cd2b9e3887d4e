package replay

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	latencypkg "github.com/mailsetup/mailsetup/internal/lab/latency"
)

// configPath is where a provider's autoconfig file is published
// (https://autoconfig.D/mail/config-v1.1.xml).
const configPath = "/mail/config-v1.1.xml"

// webServer is the world's one https server.
type webServer struct {
	srv  *http.Server
	addr string
	done chan struct{}
}

// startWeb serves pages (autoconfig.D → file) at configPath over https on
// one listener of 127.0.0.1, each name with its own certificate. Anything
// else is 404. Keep-alives are off: each detection asks one name once.
func startWeb(pages map[string][]byte, cs *certStore, latency time.Duration) (*webServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("replay: web listen: %w", err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(r.Host)
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		body, ok := pages[host]
		if !ok || r.URL.Path != configPath {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		_, _ = w.Write(body)
	})
	s := &webServer{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       10 * time.Second,
			// Handshakes cut short by a finished detection are normal here.
			ErrorLog: log.New(io.Discard, "", 0),
		},
		addr: ln.Addr().String(),
		done: make(chan struct{}),
	}
	s.srv.SetKeepAlivesEnabled(false)
	tl := tls.NewListener(latencypkg.Listener(ln, latency), cs.config())
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(tl)
	}()
	return s, nil
}

// close stops the server and its connections.
func (s *webServer) close() error {
	err := s.srv.Close()
	<-s.done
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("replay: web close: %w", err)
	}
	return nil
}
