package main

import (
	"io"
	"os"
)

// progress is where sources draw a progress line during long fetches: stderr when it is
// a terminal and --quiet is not set; nil otherwise (CI logs get the summary lines only).
func (g *globals) progress() io.Writer {
	if g.quiet {
		return nil
	}
	f, ok := g.stderr.(*os.File)
	if !ok {
		return nil
	}
	st, err := f.Stat()
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}
