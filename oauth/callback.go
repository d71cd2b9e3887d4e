package oauth

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/mailsetup/mailsetup/i18n"
)

// callback serves the loopback redirect URI (RFC 8252 §7.3) and hands the
// first redirect's query to got.
type callback struct {
	srv  *http.Server
	got  chan url.Values
	once sync.Once
	done chan struct{}
}

// newCallback serves the redirect on ln. The page the browser shows once
// the provider sent it back is said in p's language (nil: English): the
// language of the app or command line that opened the browser.
func newCallback(ln net.Listener, p *i18n.Printer) *callback {
	cb := &callback{got: make(chan url.Values, 1), done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /oauth2/callback", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if q.Get("code") != "" && q.Get("error") == "" {
			w.Write([]byte(p.T("callback.page.done") + "\n"))
		} else {
			w.Write([]byte(p.T("callback.page.failed") + "\n"))
		}
		cb.once.Do(func() { cb.got <- q })
	})
	cb.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(cb.done)
		_ = cb.srv.Serve(ln) // ends with ErrServerClosed in close
	}()
	return cb
}

// close stops the server and waits for its goroutine.
func (cb *callback) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if cb.srv.Shutdown(ctx) != nil {
		cb.srv.Close()
	}
	<-cb.done
}
