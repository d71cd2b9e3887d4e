package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mailsetup/mailsetup/internal/lab/latency"
)

// Request is one http(s) request a lab web server received, for tests that
// check what was sent where (the address never over plain http, no
// credentials to Autodiscover).
type Request struct {
	Scheme string // "https" or "http"
	Host   string
	Method string
	URL    string // path and query
	Body   string
	// Authorization is the Authorization header, if the client sent one.
	Authorization string
}

// page is what a lab web server serves at one host and path.
type page struct {
	scheme   string // "https" or "http"
	method   string // "GET" or "POST"
	status   int
	body     string
	location string // for redirects
	// certFor, on any page of a host, makes the host's certificate name
	// this other name instead (a certificate that does not fit).
	certFor string
}

type webServer struct {
	srv *http.Server
	ln  net.Listener
}

// Requests returns every http(s) request the lab's web servers received.
func (l *Lab) Requests() []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Request(nil), l.requests...)
}

func (l *Lab) serveHTTP(scheme string, pages map[string]page) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		host := strings.ToLower(r.Host)
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		l.mu.Lock()
		l.requests = append(l.requests, Request{Scheme: scheme, Host: host, Method: r.Method, URL: r.URL.RequestURI(),
			Body: string(body), Authorization: r.Header.Get("Authorization")})
		l.mu.Unlock()
		if d := l.sourceDelay(webSource(scheme, host, r)); d > 0 {
			time.Sleep(d)
		}
		p, ok := pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if p.method != "" && p.method != r.Method {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if p.location != "" {
			w.Header().Set("Location", p.location)
		}
		if strings.HasPrefix(strings.TrimSpace(p.body), "<") {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		}
		status := p.status
		if status == 0 {
			status = http.StatusOK
		}
		// As a web server sends a static file: with its length, so that
		// a client can refuse one too large before reading it.
		w.Header().Set("Content-Length", strconv.Itoa(len(p.body)))
		w.WriteHeader(status)
		io.WriteString(w, p.body)
	})
}

// startWeb starts one web server for host on port (443 with TLS when cert is
// given, else 80).
func (l *Lab) startWeb(host string, port int, cert *tls.Certificate, pages map[string]page) error {
	scheme := "http"
	if cert != nil {
		scheme = "https"
	}
	return l.startServer(host, port, cert, l.serveHTTP(scheme, pages))
}

// record wraps h so that every request it answers is recorded.
func (l *Lab) record(scheme string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := strings.ToLower(r.Host)
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		l.mu.Lock()
		l.requests = append(l.requests, Request{Scheme: scheme, Host: host, Method: r.Method, URL: r.URL.RequestURI(),
			Body: string(body), Authorization: r.Header.Get("Authorization")})
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// startServer serves h for host on port (443 with TLS when cert is given,
// else 80).
func (l *Lab) startServer(host string, port int, cert *tls.Certificate, h http.Handler) error {
	ln, err := l.listen(l.hostIP(host), port)
	if err != nil {
		return err
	}
	ln = latency.Listener(ln, l.opts.Latency)
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12})
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		// Handshake errors (a client refusing pacccert.test's certificate)
		// are the lab's diagnostics, not the test's output.
		ErrorLog: slog.NewLogLogger(l.log.Handler(), slog.LevelDebug),
	}
	srv.SetKeepAlivesEnabled(false)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			l.log.Debug("lab: web server stopped", "host", host, "err", err)
		}
	}()
	l.closers = append(l.closers, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			return srv.Close()
		}
		return nil
	})
	return nil
}
