package detect

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestFetchSizeLimit: a response over MaxResponseSize is refused whether
// it declares its length (refused from the header, before its body is
// read)
// or streams in chunks (refused once the limit is passed); one of exactly
// the limit is read whole.
func TestFetchSizeLimit(t *testing.T) {
	const huge = 2 * MaxResponseSize
	tests := []struct {
		name    string
		size    int
		chunked bool
		want    error
		msg     string
	}{
		{"declared length over the limit", huge, false, ErrTooLarge, "declares 2097152 bytes"},
		{"chunked stream over the limit", huge, true, ErrTooLarge, "sent more than 1048576 bytes"},
		{"chunked stream of exactly the limit", MaxResponseSize, true, nil, ""},
		{"declared length of exactly the limit", MaxResponseSize, false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !tt.chunked {
					w.Header().Set("Content-Length", strconv.Itoa(tt.size))
				}
				chunk := []byte(strings.Repeat("x", 16<<10))
				for left := tt.size; left > 0; left -= len(chunk) {
					if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
						return
					}
					if tt.chunked {
						w.(http.Flusher).Flush()
					}
				}
			}))
			defer srv.Close()
			c := srv.Client()
			defer c.CloseIdleConnections()
			f, err := fetch(t.Context(), c, "GET", srv.URL+"/mail/config-v1.1.xml", nil)
			if !errors.Is(err, tt.want) || (err != nil && !strings.Contains(err.Error(), tt.msg)) {
				t.Fatalf("fetch = %v, want %v (%q)", err, tt.want, tt.msg)
			}
			if err == nil && len(f.body) != tt.size {
				t.Errorf("fetch read %d bytes, want %d", len(f.body), tt.size)
			}
		})
	}
}
