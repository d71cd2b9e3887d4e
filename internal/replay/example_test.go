package replay_test

import (
	"context"
	"fmt"

	"github.com/mailsetup/mailsetup/detect"
	"github.com/mailsetup/mailsetup/internal/replay"
)

// Replay one provider of the ISP database and compare the engine's
// recommendation with what its file describes.
func ExampleStart() {
	w, err := replay.Start(replay.Options{CorpusDir: "../../../shared/corpus/ispdb"})
	if err != nil {
		panic(err)
	}
	defer w.Close()

	rep, err := detect.Run(context.Background(), replay.Address("gmail.com"), w.DetectOptions())
	if err != nil {
		panic(err)
	}
	in, out := rep.Recommended()
	wantIn, wantOut := w.Expected("gmail.com")
	fmt.Println(replay.Format(in.Host, in.Port, in.Security) == wantIn, wantIn)
	fmt.Println(replay.Format(out.Host, out.Port, out.Security) == wantOut, wantOut)
}
