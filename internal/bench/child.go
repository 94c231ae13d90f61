package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/pane-dev/pane/pkg/compile"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/workspace"
)

// ChildFlag, as the first argument of the benchmark binary followed by a JSON spec, makes
// it run one case and print the case's Row as JSON: each case runs in a process of its
// own so that its peak RSS is its own.
const ChildFlag = "-child"

// spec is what a child process runs.
type spec struct {
	Case string `json:"case"`
	Dir  string `json:"dir"` // the workspace
	// Sample bounds the records the obvious CUE baseline maps; 0: all.
	Sample int `json:"sample,omitempty"`
	// Swap, for one-record: after the first compile, rename Swap[0] to Swap[1] (the
	// changed records file arrives) and time the compile that follows.
	Swap       []string `json:"swap,omitempty"`
	CPUProfile string   `json:"cpuprofile,omitempty"`
	// Record, for one-record: the changed repository record, as a webhook brings it.
	Record map[string]any `json:"record,omitempty"`
}

// Child runs the case that arg (a JSON spec) describes, writes its Row as JSON to stdout
// and returns the process exit status.
func Child(ctx context.Context, arg string, stdout, stderr io.Writer) int {
	var sp spec
	if err := json.Unmarshal([]byte(arg), &sp); err != nil {
		fmt.Fprintf(stderr, "panebench child: bad spec: %v\n", err)
		return 2
	}
	row, err := runChild(ctx, sp)
	row.PeakRSS = selfPeakRSS()
	if err != nil {
		fmt.Fprintf(stderr, "panebench child: %s: %v\n", sp.Case, err)
		return 1
	}
	if err := json.NewEncoder(stdout).Encode(row); err != nil {
		fmt.Fprintf(stderr, "panebench child: %v\n", err)
		return 1
	}
	return 0
}

func runChild(ctx context.Context, sp spec) (row Row, err error) {
	if sp.CPUProfile != "" {
		f, err := os.Create(sp.CPUProfile)
		if err != nil {
			return row, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return row, err
		}
		defer func() {
			pprof.StopCPUProfile()
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
	}
	switch sp.Case {
	case CaseCold, CaseNoop, CaseFull, CaseWarm1, CaseOne:
		return paneCase(ctx, sp)
	case CaseJQ, CaseCUE:
		return baselineCase(sp)
	}
	return row, fmt.Errorf("unknown case %q", sp.Case)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// paneCase runs pane end to end through its public API, as `pane compile` does.
func paneCase(ctx context.Context, sp spec) (Row, error) {
	compile.TuneGC() // as pane's commands do
	row := Row{Case: sp.Case}
	start := time.Now()
	ws, findings, err := workspace.Load(sp.Dir)
	if err != nil {
		return row, err
	}
	if errs := findings.Errors(); len(errs) > 0 {
		return row, fmt.Errorf("workspace: %v", errs)
	}
	row.LoadMS = ms(time.Since(start))
	target, err := compile.OpenTarget(ws, "")
	if err != nil {
		return row, err
	}
	if sp.Case == CaseOne {
		return oneRecord(ctx, ws, target, sp, row)
	}
	if _, err := compileCommit(ctx, ws, target, &row, sp.Case == CaseFull); err != nil {
		return row, err
	}
	row.WallMS = ms(time.Since(start))
	return row, nil
}

// oneRecord is watch mode's path: the workspace is compiled once into a compile.State
// and committed; then one changed record arrives, and the time is from its arrival to
// the new commit (State.Apply and State.Commit: re-map that record, re-merge and
// re-render what it touches, commit the delta).
func oneRecord(ctx context.Context, ws *workspace.Workspace, target *compile.Target, sp spec, row Row) (Row, error) {
	opts := compile.Options{CacheDir: filepath.Join(ws.Dir, filepath.FromSlash(cacheDir))}
	st, res, err := compile.NewState(ctx, ws, opts)
	if err != nil {
		return row, fmt.Errorf("first compile: %w", err)
	}
	author, err := compile.Author(ws)
	if err != nil {
		return row, err
	}
	author.Name, author.Email = "panebench", "panebench@localhost"
	first, _, err := target.Store.Commit(ctx, target.Branch, st.Files(), "panebench: first", author)
	if err != nil {
		return row, err
	}
	st.SetBase(first)
	for _, s := range res.Sources {
		row.Records += s.Records
	}
	if sp.Record == nil {
		return row, fmt.Errorf("one-record needs the changed record")
	}
	key, _ := sp.Record["full_name"].(string)
	rec := source.Record{Type: "repository", Key: key, Data: sourceNumbers(sp.Record), Where: "panebench"}

	start := time.Now()
	d, findings, err := st.Apply(ctx, "github", []source.Record{rec}, nil)
	if err != nil {
		return row, err
	}
	if errs := findings.Errors(); len(errs) > 0 {
		return row, fmt.Errorf("apply: %v", errs)
	}
	hash, changed, err := st.Commit(ctx, target.Store, target.Branch, d)
	if err != nil {
		return row, err
	}
	row.WallMS = ms(time.Since(start))
	row.Entities = len(st.Files())
	row.Changed = len(d.Upserts)
	row.Deleted = len(d.Deletes)
	row.Committed = changed
	if changed {
		row.Commit = hash.String()
	}
	return row, nil
}

// sourceNumbers gives a record decoded from JSON the number types pane's sources give
// (int64 where integral).
func sourceNumbers(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return v
	}
	return source.Numbers(out)
}

// compileCommit plans and commits, recording phases and counts in row.
func compileCommit(ctx context.Context, ws *workspace.Workspace, target *compile.Target, row *Row, noMemo bool) (*compile.Outcome, error) {
	t0 := time.Now()
	// The options `pane compile` runs with (cmd/pane's compileFlags.options).
	opts := compile.Options{CacheDir: filepath.Join(ws.Dir, filepath.FromSlash(cacheDir)), RecordsDir: compile.RecordsDir(ws.Dir), NoMemo: noMemo}
	out, err := compile.Plan(ctx, ws, target, opts)
	if err != nil {
		return nil, err
	}
	if out.Plan == nil || out.Result.Snapshot == nil {
		errs := out.Result.Findings.Errors()
		return nil, fmt.Errorf("the compile failed with %d errors, the first: %v", len(errs), errs[:min(len(errs), 1)])
	}
	row.PlanMS = ms(time.Since(t0))
	t1 := time.Now()
	hash, changed, err := compile.Commit(ctx, out)
	if err != nil {
		return nil, err
	}
	row.CommitMS = ms(time.Since(t1))
	for _, st := range out.Result.Sources {
		row.Records += st.Records
	}
	row.Entities = len(out.Result.Snapshot.Files)
	row.Added, row.Changed, row.Deleted = out.Plan.Summary.Added, out.Plan.Summary.Changed, out.Plan.Summary.Deleted
	row.Committed = changed
	if changed {
		row.Commit = hash.String()
	}
	return out, nil
}

// baselineCase maps the workspace's records with a baseline on as many goroutines as
// pane uses.
func baselineCase(sp spec) (Row, error) {
	row := Row{Case: sp.Case}
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	var res baselineResult
	var err error
	if sp.Case == CaseJQ {
		res, err = runJQ(sp.Dir, workers, nil)
	} else {
		var src []byte
		src, err = os.ReadFile(filepath.Join(sp.Dir, "cue", "mappings", "github.cue"))
		if err != nil {
			return row, err
		}
		res, err = runCUE(sp.Dir, src, workers, sp.Sample, nil)
	}
	if err != nil {
		return row, err
	}
	row.WallMS = ms(time.Since(start))
	row.Records, row.Entities = res.Records, res.Entities
	row.ReadMS, row.MapMS = ms(res.Read), ms(res.Map)
	if res.Evaluated < res.Records {
		row.Evaluated = res.Evaluated
		row.WallMS = extrapolate(row.ReadMS, row.MapMS, res.Evaluated, res.Records)
		row.MapCPUMS = ms(res.MapCPU)
		row.Note = fmt.Sprintf("* sampled: mapped %s of %s records (1 in %d of each file) in %s (cpu %s); wall and cpu extrapolated as the rest + map × %s/%s; peak RSS is the sample's",
			thousands(int64(res.Evaluated)), thousands(int64(res.Records)), sampleStride(res.Records, sp.Sample), duration(row.MapMS), duration(row.MapCPUMS),
			thousands(int64(res.Records)), thousands(int64(res.Evaluated)))
	}
	return row, nil
}

// extrapolate is the wall time of mapping all records, from a sample's: reading is done
// in full either way; mapping time grows linearly with records (a lower bound for the
// obvious CUE implementation, whose context grows with every compile).
func extrapolate(readMS, mapMS float64, evaluated, records int) float64 {
	if evaluated <= 0 {
		return 0
	}
	return readMS + mapMS*float64(records)/float64(evaluated)
}
