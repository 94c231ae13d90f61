package main

import (
	"fmt"
	"io"
	"os"
)

// colorOn decides whether text output is colored: "always", "never", or "auto" (the
// default): when stdout is a terminal, NO_COLOR is unset or empty (no-color.org) and
// TERM is not "dumb".
func (g *globals) colorOn(mode string) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		return os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb" && isTerminal(g.stdout), nil
	}
	return false, &exitError{code: exitUsage, msg: fmt.Sprintf("--color %q: want auto, always or never", mode)}
}

// isTerminal reports whether w is a character device (a terminal), as far as the
// standard library can tell without golang.org/x/term.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
