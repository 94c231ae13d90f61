// Command panebench is pane's end-to-end benchmark, run by `make bench`: synthetic
// GitHub orgs compiled cold, warm, with 1% changed and with one record changed, against
// two baselines on the same records (the obvious CUE implementation and gojq), in one
// table. See internal/bench.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pane-dev/pane/internal/bench"
	"github.com/pane-dev/pane/pkg/scaffold"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if len(os.Args) == 3 && os.Args[1] == bench.ChildFlag {
		os.Exit(bench.Child(ctx, os.Args[2], os.Stdout, os.Stderr))
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: panebench [flags]

Generates synthetic GitHub orgs (deterministic from -seed), compiles each with pane
(cold, warm no-op, warm no-op without the plan memo, warm 1%, one record changed) and
maps the same records with the obvious CUE implementation and with gojq; prints wall
time, records/s, peak RSS and the ratios to the baselines. Every case runs in a process of its own.

BENCH_FULL=1 makes the default sizes 1000,10000,50000.

`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("panebench", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() {
		fmt.Fprint(stderr, usage)
		fl.PrintDefaults()
	}
	defSizes := "1000,10000"
	if os.Getenv("BENCH_FULL") == "1" {
		defSizes += ",50000"
	}
	var (
		sizes      = fl.String("n", defSizes, "repositories per org, comma-separated")
		seed       = fl.Int64("seed", 1, "seed of the synthetic orgs and their changes")
		jsonOut    = fl.String("json", "", "also write the report as JSON to `FILE`")
		format     = fl.String("format", "text", "table format: text or markdown")
		cpuprofile = fl.String("cpuprofile", "", "write a CPU profile of one case to `FILE` (see -profile-case, -profile-n)")
		profCase   = fl.String("profile-case", bench.CaseCold, "the case -cpuprofile profiles: cold, warm-noop, warm-noop-full, warm-1pct, one-record, baseline-cue, baseline-gojq")
		profN      = fl.Int("profile-n", 0, "the size -cpuprofile profiles (default: the largest)")
		sample     = fl.Int("cue-sample", 5000, "map at most this many records per size with the obvious CUE baseline, extrapolating beyond (0: all)")
		mapping    = fl.String("mapping", filepath.Join("cue", "mappings", "github.cue"), "the mapping `FILE` the workspaces use (pane init's copy when the default is missing)")
		dir        = fl.String("dir", "", "where to write the workspaces (default: a new temporary directory)")
		keep       = fl.Bool("keep", false, "keep the workspaces")
		from       = fl.String("from", "", "run nothing: print the table of earlier -json reports (`FILES`, comma-separated), joined (and with -json, write them joined)")
	)
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "panebench: unexpected arguments %q\n", fl.Args())
		return 2
	}
	if *format != "text" && *format != "markdown" {
		fmt.Fprintf(stderr, "panebench: -format: %q is not text or markdown\n", *format)
		return 2
	}
	if *from != "" {
		rep, err := readReports(strings.Split(*from, ","))
		if err == nil {
			err = writeTable(stdout, rep, *format)
		}
		if err == nil && *jsonOut != "" {
			err = writeJSON(*jsonOut, rep)
		}
		if err != nil {
			fmt.Fprintf(stderr, "panebench: %v\n", err)
			return 1
		}
		return 0
	}
	cfg := bench.Config{Seed: *seed, CUESample: *sample, CPUProfile: *cpuprofile, ProfileCase: *profCase, ProfileN: *profN,
		Keep: *keep, Stderr: stderr, Log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{ReplaceAttr: dropTime}))}
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "panebench: -n: %q is not a positive number\n", s)
			return 2
		}
		cfg.Sizes = append(cfg.Sizes, n)
	}
	if cfg.CPUProfile != "" {
		if cfg.ProfileN == 0 {
			cfg.ProfileN = slices.Max(cfg.Sizes)
		}
		abs, err := filepath.Abs(cfg.CPUProfile)
		if err != nil {
			fmt.Fprintf(stderr, "panebench: %v\n", err)
			return 2
		}
		cfg.CPUProfile = abs
	}
	var err error
	if cfg.Mapping, err = readMapping(*mapping); err != nil {
		fmt.Fprintf(stderr, "panebench: %v\n", err)
		return 2
	}
	if cfg.Exe, err = os.Executable(); err != nil {
		fmt.Fprintf(stderr, "panebench: %v\n", err)
		return 1
	}
	cfg.Dir = *dir
	if cfg.Dir == "" {
		if cfg.Dir, err = os.MkdirTemp("", "panebench-"); err != nil {
			fmt.Fprintf(stderr, "panebench: %v\n", err)
			return 1
		}
		if !cfg.Keep {
			defer os.RemoveAll(cfg.Dir)
		}
	}

	start := time.Now()
	rep, err := bench.Run(ctx, cfg)
	if rep != nil && len(rep.Rows) > 0 {
		if werr := writeTable(stdout, rep, *format); werr != nil && err == nil {
			err = werr
		}
		if *jsonOut != "" {
			if werr := writeJSON(*jsonOut, rep); werr != nil && err == nil {
				err = werr
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "panebench: %v\n", err)
		return 1
	}
	cfg.Log.Info("done", "took", time.Since(start).Round(time.Second), "workspaces", keptDir(cfg))
	return 0
}

func keptDir(cfg bench.Config) string {
	if cfg.Keep {
		return cfg.Dir
	}
	return "removed"
}

// readMapping reads the mapping file; when the default path is missing (panebench run
// outside this repository) it takes pane init's copy, which a test holds equal to it.
func readMapping(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || path != filepath.Join("cue", "mappings", "github.cue") {
		return b, err
	}
	files, serr := scaffold.Files()
	if serr != nil {
		return nil, serr
	}
	if b, ok := files["cue/mappings/github.cue"]; ok {
		return b, nil
	}
	return nil, err
}

func writeTable(w io.Writer, rep *bench.Report, format string) error {
	if format == "markdown" {
		return rep.WriteMarkdown(w)
	}
	return rep.WriteText(w)
}

// readReports reads -json reports and joins their rows under the first one's header.
func readReports(paths []string) (*bench.Report, error) {
	var rep *bench.Report
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var r bench.Report
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if rep == nil {
			rep = &r
			continue
		}
		rep.Rows = append(rep.Rows, r.Rows...)
	}
	if rep != nil {
		rep.Tabulate()
	}
	return rep, nil
}

func writeJSON(path string, rep *bench.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
