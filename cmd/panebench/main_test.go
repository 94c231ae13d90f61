package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pane-dev/pane/internal/bench"
)

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"-n", "x"}, {"-n", "0"}, {"-format", "html"}, {"extra"}, {"-nope"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errOut.String())
		}
	}
}

// TestFrom prints saved reports joined, with the ratios of their rows.
func TestFrom(t *testing.T) {
	dir := t.TempDir()
	a := &bench.Report{Seed: 1, CPUs: 2, Rows: []bench.Row{{Case: bench.CaseCold, N: 10, Records: 12, WallMS: 100, CPUMS: 100}, {Case: bench.CaseJQ, N: 10, Records: 12, WallMS: 50, CPUMS: 50}}}
	b := &bench.Report{Seed: 1, CPUs: 2, Rows: []bench.Row{{Case: bench.CaseCold, N: 20, Records: 24, WallMS: 300, CPUMS: 300}}}
	var paths []string
	for i, r := range []*bench.Report{a, b} {
		p := filepath.Join(dir, []string{"a.json", "b.json"}[i])
		if err := writeJSON(p, r); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	var out, errOut bytes.Buffer
	joined := filepath.Join(dir, "joined.json")
	if code := run(context.Background(), []string{"-from", strings.Join(paths, ","), "-format", "markdown", "-json", joined}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, want := range []string{"| cold | 10 | 12 | 100 ms |", "| 0.50x (0.50x) |", "| cold | 20 | 24 | 300 ms |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}
	rep, err := readReports([]string{joined})
	if err != nil || len(rep.Rows) != 3 {
		t.Fatalf("joined report: %v, %+v", err, rep)
	}
}

// TestMappingFallback: outside this repository the default mapping is pane init's copy.
func TestMappingFallback(t *testing.T) {
	// The test runs in cmd/panebench, where cue/mappings/github.cue does not exist.
	got, err := readMapping(filepath.Join("cue", "mappings", "github.cue"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "cue", "mappings", "github.cue"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("the fallback mapping is not the example's")
	}
	if _, err := readMapping("no/such/file.cue"); err == nil {
		t.Error("a missing -mapping is not an error")
	}
}
