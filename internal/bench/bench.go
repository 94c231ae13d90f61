// Package bench is pane's end-to-end benchmark (`make bench`, cmd/panebench): it
// generates synthetic GitHub organizations (internal/synth), compiles them with pane
// through its public API (cold, warm no-op with and without the plan memo, warm 1%, one
// record changed) and maps the same records with two baselines, the obvious CUE implementation (compile the mapping
// with each record) and the mapping written in jq (gojq), then tabulates wall time,
// records per second, peak RSS and the ratios to the baselines.
//
// Each case runs in a child process (the benchmark binary re-executed with ChildFlag),
// so that each peak RSS is the case's own and no case warms another's caches.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/pane-dev/pane/internal/synth"
)

// Config is a benchmark run.
type Config struct {
	Sizes   []int // repositories per org
	Seed    int64
	Mapping []byte // cue/mappings/github.cue
	// Exe is the benchmark binary, re-executed with ChildFlag for every case.
	Exe string
	// CUESample bounds the records the obvious CUE baseline maps per size; with more,
	// it maps a sample and extrapolates. 0: all.
	CUESample int
	// CPUProfile, when set, is where the CPU profile of case ProfileCase at size
	// ProfileN is written.
	CPUProfile  string
	ProfileCase string
	ProfileN    int
	// Dir holds the workspaces (one per size, removed after it unless Keep).
	Dir  string
	Keep bool
	// Stderr receives the children's errors; Log the progress.
	Stderr io.Writer
	Log    *slog.Logger
}

// Run runs every case at every size and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	rep := newReport(cfg.Seed)
	for _, n := range cfg.Sizes {
		rows, err := runSize(ctx, cfg, n)
		rep.Rows = append(rep.Rows, rows...)
		if err != nil {
			return rep, err
		}
	}
	rep.Tabulate()
	return rep, nil
}

func newReport(seed int64) *Report {
	rep := &Report{Seed: seed, GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0), CPUs: runtime.NumCPU(), Started: time.Now().UTC().Format(time.RFC3339)}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rep.Revision = s.Value
			case "vcs.modified":
				rep.Modified = s.Value == "true"
			}
		}
	}
	if rep.Revision == "" {
		// Built without VCS stamps (-buildvcs=false): ask git about the working directory.
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			rep.Revision = strings.TrimSpace(string(out))
			st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output()
			rep.Modified = err == nil && len(bytes.TrimSpace(st)) > 0
		}
	}
	return rep
}

// runSize runs the cases for one org size: cold and warm no-op on the generated org, the
// baselines on the same records, then warm 1% on a mutated org and one record changed
// on top of that.
func runSize(ctx context.Context, cfg Config, n int) ([]Row, error) {
	dir := filepath.Join(cfg.Dir, fmt.Sprintf("n%d", n))
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(dir)
	}
	t0 := time.Now()
	org := synth.Generate(cfg.Seed, n)
	if err := WriteWorkspace(dir, org, cfg.Mapping); err != nil {
		return nil, err
	}
	cfg.Log.Info("generated", "n", n, "teams", len(org.Teams), "users", len(org.Users), "dir", dir, "took", time.Since(t0).Round(time.Millisecond))

	var rows []Row
	run := func(sp spec, check func(Row) error) (Row, error) {
		sp.Dir = dir
		if cfg.CPUProfile != "" && sp.Case == cfg.ProfileCase && n == cfg.ProfileN {
			sp.CPUProfile = cfg.CPUProfile
		}
		load1 := loadAverage()
		row, err := runCase(ctx, cfg, sp)
		row.N, row.Load1 = n, load1
		row.Profiled = sp.CPUProfile != ""
		if err == nil && check != nil {
			err = check(row)
		}
		if err != nil {
			return row, fmt.Errorf("%s, N=%d: %w", caseLabels[sp.Case], n, err)
		}
		rows = append(rows, row)
		attrs := []any{"n", n, "wall", duration(row.WallMS), "cpu", duration(row.CPUMS), "peak_rss", bytesIEC(row.PeakRSS), "entities", row.Entities, "load1", row.Load1}
		if sp.Case == CaseCUE || sp.Case == CaseJQ {
			attrs = append(attrs, "read", duration(row.ReadMS), "map", duration(row.MapMS))
		} else {
			attrs = append(attrs, "load", duration(row.LoadMS), "plan", duration(row.PlanMS), "commit", duration(row.CommitMS),
				"changes", fmt.Sprintf("+%d ~%d -%d", row.Added, row.Changed, row.Deleted))
		}
		cfg.Log.Info(caseLabels[sp.Case], attrs...)
		return row, nil
	}

	// Cold: no cache, no catalog branch.
	for _, p := range []string{cacheDir, outputRepo} {
		if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(p))); err != nil {
			return rows, err
		}
	}
	cold, err := run(spec{Case: CaseCold}, func(r Row) error {
		if !r.Committed || r.Added != r.Entities || r.Changed+r.Deleted != 0 {
			return fmt.Errorf("want a first commit adding every entity, got +%d ~%d -%d of %d (committed %v)", r.Added, r.Changed, r.Deleted, r.Entities, r.Committed)
		}
		return nil
	})
	if err != nil {
		return rows, err
	}
	noChange := func(r Row) error {
		if r.Committed || r.Added+r.Changed+r.Deleted != 0 || r.Entities != cold.Entities {
			return fmt.Errorf("want no change, got +%d ~%d -%d (committed %v)", r.Added, r.Changed, r.Deleted, r.Committed)
		}
		return nil
	}
	if _, err := run(spec{Case: CaseNoop}, noChange); err != nil {
		return rows, err
	}
	// The same, compiling every record again instead of trusting the plan memo.
	if _, err := run(spec{Case: CaseFull}, noChange); err != nil {
		return rows, err
	}
	// The baselines map the records cold and no-op compiled; every entity but the declared
	// org comes from one of them.
	sameEntities := func(r Row) error {
		if (r.Evaluated == 0 || r.Evaluated == r.Records) && r.Entities != cold.Entities-1 {
			return fmt.Errorf("%d entities, pane's catalog has %d besides the declared org", r.Entities, cold.Entities-1)
		}
		if r.Records != cold.Records {
			return fmt.Errorf("%d records, pane read %d", r.Records, cold.Records)
		}
		return nil
	}
	if _, err := run(spec{Case: CaseCUE, Sample: cfg.CUESample}, sameEntities); err != nil {
		return rows, err
	}
	if _, err := run(spec{Case: CaseJQ}, sameEntities); err != nil {
		return rows, err
	}

	// Warm 1%: a later state of the org over the records.
	mutated := synth.Mutate(org, cfg.Seed, 0.01)
	if err := synth.WriteFiles(filepath.Join(dir, recordsDir), mutated); err != nil {
		return rows, err
	}
	if _, err := run(spec{Case: CaseWarm1}, func(r Row) error {
		if !r.Committed || r.Changed == 0 {
			return fmt.Errorf("want a commit changing entities, got +%d ~%d -%d (committed %v)", r.Added, r.Changed, r.Deleted, r.Committed)
		}
		return nil
	}); err != nil {
		return rows, err
	}

	// One record changed: the child compiles, then the changed file replaces the records.
	changed, name, err := ChangeOne(mutated)
	if err != nil {
		return rows, err
	}
	next := filepath.Join(dir, "records-next")
	if err := synth.WriteFiles(next, changed); err != nil {
		return rows, err
	}
	file := recordKinds[0].File
	var rec map[string]any
	for _, r := range changed.Repositories {
		if r["full_name"] == name {
			rec = r
		}
	}
	_, err = run(spec{Case: CaseOne, Record: rec, Swap: []string{filepath.Join(next, file), filepath.Join(dir, recordsDir, file)}}, func(r Row) error {
		if !r.Committed || r.Changed != 1 || r.Added+r.Deleted != 0 {
			return fmt.Errorf("want a commit changing one entity, got +%d ~%d -%d (committed %v)", r.Added, r.Changed, r.Deleted, r.Committed)
		}
		return nil
	})
	if err != nil {
		return rows, err
	}
	rows[len(rows)-1].Note = "changed the description of " + name
	return rows, nil
}

// loadAverage is the 1-minute load average, or 0 where /proc/loadavg is missing.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	if _, err := fmt.Sscan(string(b), &l); err != nil {
		return 0
	}
	return l
}

// runCase runs one case in a child process and adds the child's rusage to its row.
func runCase(ctx context.Context, cfg Config, sp spec) (Row, error) {
	arg, err := json.Marshal(sp)
	if err != nil {
		return Row{}, err
	}
	cmd := exec.CommandContext(ctx, cfg.Exe, ChildFlag, string(arg))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, cfg.Stderr
	if err := cmd.Run(); err != nil {
		return Row{Case: sp.Case}, fmt.Errorf("child process: %w", err)
	}
	var row Row
	if err := json.Unmarshal(out.Bytes(), &row); err != nil {
		return Row{Case: sp.Case}, fmt.Errorf("child process output: %w", err)
	}
	if row.PeakRSS <= 0 {
		row.PeakRSS = peakRSS(cmd.ProcessState)
	}
	row.CPUMS = ms(cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime())
	if row.Evaluated > 0 {
		// A sampled baseline: the process's CPU with the mapping's scaled up to all records.
		row.CPUMS = extrapolate(row.CPUMS-row.MapCPUMS, row.MapCPUMS, row.Evaluated, row.Records)
	}
	return row, nil
}
