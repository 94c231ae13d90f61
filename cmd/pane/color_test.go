package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// colorOn: --color always and never decide; auto colors a character device (a terminal;
// /dev/null stands in for one here) unless NO_COLOR is set or TERM is dumb, and never a
// file or a pipe.
func TestColorOn(t *testing.T) {
	dev, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer dev.Close()
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	for _, tc := range []struct {
		name, mode, noColor, term string
		out                       any
		want                      bool
	}{
		{"always, a buffer", "always", "", "xterm", &bytes.Buffer{}, true},
		{"always beats NO_COLOR", "always", "1", "xterm", &bytes.Buffer{}, true},
		{"never, a terminal", "never", "", "xterm", dev, false},
		{"auto, a terminal", "auto", "", "xterm", dev, true},
		{"auto, NO_COLOR", "auto", "1", "xterm", dev, false},
		{"auto, TERM=dumb", "auto", "", "dumb", dev, false},
		{"auto, a file", "auto", "", "xterm", file, false},
		{"auto, a buffer", "auto", "", "xterm", &bytes.Buffer{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("NO_COLOR", tc.noColor)
			t.Setenv("TERM", tc.term)
			g := &globals{}
			switch o := tc.out.(type) {
			case *os.File:
				g.stdout = o
			case *bytes.Buffer:
				g.stdout = o
			}
			got, err := g.colorOn(tc.mode)
			if err != nil || got != tc.want {
				t.Errorf("colorOn(%q) = %v, %v; want %v", tc.mode, got, err, tc.want)
			}
		})
	}
	if _, err := (&globals{stdout: &bytes.Buffer{}}).colorOn("sometimes"); err == nil {
		t.Error("colorOn accepted sometimes")
	}
}
