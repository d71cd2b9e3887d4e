package detect_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/lab"
)

func TestTmpDump(t *testing.T) {
	l := startLab(t, lab.Options{})
	for _, d := range []string{os.Getenv("DOM")} {
		rep, _ := detect.Run(context.Background(), lab.User(d), l.DetectOptions())
		rep.Incoming, rep.Outgoing = nil, nil
		b, _ := json.MarshalIndent(rep, "", " ")
		os.WriteFile("/tmp/dav-"+d+".json", b, 0o644)
	}
}
