package compile

import (
	"os"
	"runtime/debug"
)

// TuneGC sets the garbage collector for compiling, unless GOGC is set: a compile builds
// much short-lived data and keeps a good part of it to the end. Collecting half as often
// (GOGC=200) measured 7% faster on a cold 50,000-repository compile (8.7 s instead of
// 9.4 s) for 17% more peak memory (1.05 GiB instead of 0.90); GOGC=400 was no faster and
// took 1.4 GiB.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}
