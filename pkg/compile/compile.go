// Package compile is pane's pipeline: fetch records from every source, map them to
// entities, merge them with the declared ones, validate against the kind schemas, derive
// relations and render one file per entity. The result is a Snapshot; committing it is
// gitstore's job and diffing it is plan's.
package compile

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/sync/errgroup"

	"github.com/pane-dev/pane/internal/par"
	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/mapping"
	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/source/file"
	"github.com/pane-dev/pane/pkg/source/github"
	httpsource "github.com/pane-dev/pane/pkg/source/http"
	"github.com/pane-dev/pane/pkg/workspace"
)

// DeclaredSource is the owner name of entities declared in the workspace.
const DeclaredSource = "declared"

// Snapshot is a compiled catalog.
type Snapshot struct {
	// Entities by ref key, with provenance annotations set.
	Entities map[string]catalog.Entity
	// Files is the catalog tree: path -> rendered entity.
	Files map[string][]byte
	// Owners lists, per entity path, the sources that produced it (sorted).
	Owners map[string][]string
	// Hashes and Refs are each file's git blob hash and its entity's ref, computed once
	// here so that reconciliation, plan and commit neither hash nor parse them again.
	Hashes map[string]plumbing.Hash
	Refs   map[string]string
}

// SourceStats is what one source contributed.
type SourceStats struct {
	Records  int            // records fetched
	Filtered int            // records a mapping filter dropped
	Unmapped map[string]int // record type -> records no mapping takes
	Entities int            // entities produced (before merging)
	Err      error          `json:"-"` // the fetch failed
}

// Result is a compile's outcome: the snapshot (nil when there are errors), every finding,
// and per-source statistics.
type Result struct {
	Snapshot *Snapshot
	Findings diag.List
	Sources  map[string]*SourceStats
	// Status says, per source, what reconciliation did; nil without a Base.
	Status map[string]*SourceStatus
	// Cached lists the sources read from the record cache (Options.Offline).
	Cached map[string]CachedRecords
	// Memo is true when nothing was compiled: the inputs and the branch were as the last
	// plan left them (see memo.go), and Snapshot holds the branch's paths without content.
	Memo bool
	// inputs is every contribution, kept for Explain.
	inputs []contribution
}

// Options tune a compile.
type Options struct {
	// Sources replaces the sources built from the config (tests, benchmarks).
	Sources []source.Source
	// Workers bounds parallel mapping evaluation; 0 means GOMAXPROCS.
	Workers int
	Logger  *slog.Logger
	// Base is the catalog branch as it stands. With it, a compile reconciles: a source
	// that fails, or would delete more than its threshold, keeps its entities as the
	// branch has them. Without it, a failing source fails the compile.
	Base *Base
	// Force lets a source delete past its threshold: a source name, or "*" for all.
	Force []string
	// CacheDir, when set, keeps mapping results and schema verdicts between compiles
	// (normally the workspace's .pane/cache), and Plan's memo (memo.go). The cache never
	// changes the result.
	CacheDir string
	// NoMemo makes Plan compile even when its memo says nothing changed (benchmarks).
	NoMemo bool
	// Progress, when set, is where sources draw their progress line (a terminal).
	Progress io.Writer
	// RecordsDir, when set, is the record cache (records.go): each source's records are
	// saved there after a successful fetch, and read from there when Offline.
	RecordsDir string
	// Offline compiles from the record cache instead of fetching: no source is built,
	// no credential read. A source with no cached records is an error.
	Offline bool
	// keepInputs keeps the contributions in the result, for Explain.
	keepInputs bool
}

// contribution is one input's version of an entity.
type contribution struct {
	entity catalog.Entity
	source string // source name, or "declared"
	origin string // provenance: record type:key, or file:line
	where  string // for errors: "file:line" or "source S, record T K (where)"
	// value gives the CUE value (with defaults) when the entity must be unified.
	value func() (cue.Value, error)
	decl  *workspace.Declared // set for declared entities: field positions for errors
	// For explain: the record and mapping of a fetched input; the branch file of one
	// kept for a held-back source.
	rec     *source.Record
	mapping *mapping.Mapping
	kept    string
	// rkey, when set, is the result cache's key of the mapping result this entity is
	// entry rk of: it identifies the entity's content as well as hashing it would.
	rkey *[32]byte
	rk   int
}

// Sources builds the workspace's configured sources.
func Sources(ws *workspace.Workspace) ([]source.Source, diag.List) {
	names := make([]string, 0, len(ws.Config.Sources))
	for n := range ws.Config.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []source.Source
	var findings diag.List
	for _, n := range names {
		sc := ws.Config.Sources[n]
		switch sc.Type {
		case "file":
			var cfg file.Config
			if err := sc.Value.Decode(&cfg); err != nil {
				findings = append(findings, diag.FromCUE(err, ws.Dir, fmt.Sprintf("source %q: ", n))...)
				continue
			}
			out = append(out, file.New(n, ws.Dir, cfg))
		case "http":
			var cfg httpsource.Config
			if err := sc.Value.Decode(&cfg); err != nil {
				findings = append(findings, diag.FromCUE(err, ws.Dir, fmt.Sprintf("source %q: ", n))...)
				continue
			}
			// The credential is resolved here, in Go: it never enters CUE. A relative
			// secret file is relative to the workspace.
			var cred secret.Secret
			if ref, ok := cfg.SecretRef(); ok {
				if ref.File != "" && !filepath.IsAbs(ref.File) {
					ref.File = filepath.Join(ws.Dir, ref.File)
				}
				var err error
				if cred, err = ref.Resolve(); err != nil {
					findings = append(findings, diag.Finding{Where: sc.Where, Message: fmt.Sprintf("source %q: auth secret: %v", n, err)})
					continue
				}
			}
			s, err := httpsource.New(n, cfg, cred)
			if err != nil {
				findings = append(findings, diag.Finding{Where: sc.Where, Message: fmt.Sprintf("source %q: %v", n, err)})
				continue
			}
			out = append(out, s)
		case "github":
			var cfg github.Config
			if err := sc.Value.Decode(&cfg); err != nil {
				findings = append(findings, diag.FromCUE(err, ws.Dir, fmt.Sprintf("source %q: ", n))...)
				continue
			}
			// The credential is read here, in Go: it never enters CUE. One that cannot be
			// read fails this source's fetch, which keeps its entities.
			creds, err := cfg.Credentials(ws.Dir)
			if err != nil {
				out = append(out, github.Failed(n, err))
				continue
			}
			s, err := github.New(n, cfg, creds, github.Options{CacheDir: github.CacheDir(ws.Dir, n)})
			if err != nil {
				findings = append(findings, diag.Finding{Where: sc.Where, Message: fmt.Sprintf("source %q: %v", n, err)})
				continue
			}
			out = append(out, s)
		default:
			findings = append(findings, diag.Finding{Where: sc.Where,
				Message: fmt.Sprintf("source %q: type %q is not supported by this version of pane (supported: file, http, github)", n, sc.Type)})
		}
	}
	return out, findings
}

// Compile runs the pipeline over the workspace. Errors in inputs are findings in the
// result; the returned error is for failures of the run itself (a cancelled context).
func Compile(ctx context.Context, ws *workspace.Workspace, opts Options) (*Result, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	res := &Result{Sources: map[string]*SourceStats{}}
	phase := phaseTimer(log)
	var c *cache
	if opts.CacheDir != "" {
		c = workspaceCache(opts.CacheDir, ws, log)
	}
	srcs := opts.Sources
	if opts.Offline {
		var findings diag.List
		srcs, res.Cached, findings = offlineSources(ws, opts)
		if res.Findings = append(res.Findings, findings...); len(findings.Errors()) > 0 {
			res.Findings.Sort()
			return res, nil
		}
	} else if srcs == nil {
		var findings diag.List
		srcs, findings = Sources(ws)
		res.Findings = append(res.Findings, findings...)
	}
	saver := newRecordSaver(ws, opts, log)
	defer saver.wait()
	for _, s := range srcs {
		// Sources that report progress or log (the github source) get the run's outputs.
		if o, ok := s.(interface{ SetOutput(*slog.Logger, io.Writer) }); ok {
			o.SetOutput(log, opts.Progress)
		}
		// Sources that can decode part of a record (the file source) decode what the
		// mappings read.
		if p, ok := s.(interface {
			Project(map[string]*source.Fields)
		}); ok && ws.Mappings != nil {
			p.Project(ws.Mappings.FieldsFor(s.Name()))
		}
	}

	// Fetch every source; a failing source is reported and fails the compile.
	records := make([][]source.Record, len(srcs))
	var g errgroup.Group
	for i, s := range srcs {
		st := &SourceStats{Unmapped: map[string]int{}}
		res.Sources[s.Name()] = st
		g.Go(func() error {
			err := safeFetch(ctx, s, func(r source.Record) error {
				records[i] = append(records[i], r)
				return nil
			})
			st.Records = len(records[i])
			if err != nil {
				st.Err = err
			} else {
				saver.save(s.Name(), records[i])
			}
			return nil
		})
	}
	_ = g.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	phase("fetch")
	failed := map[string]error{}
	counts := map[string]int{}
	for i, s := range srcs {
		st := res.Sources[s.Name()]
		if st.Err != nil {
			sev, what := diag.Error, "nothing committed"
			if opts.Base != nil {
				sev, what = diag.Warning, "its entities are kept as the catalog branch has them"
			}
			res.Findings = append(res.Findings, diag.Finding{Where: "source " + s.Name(), Severity: sev,
				Message: fmt.Sprintf("fetch failed: %v; %s", st.Err, what)})
			failed[s.Name()] = st.Err
			records[i] = nil
			continue
		}
		counts[s.Name()] = st.Records
		if c, ok := res.Cached[s.Name()]; ok {
			log.Info("offline: records from the cache", "source", s.Name(), "records", st.Records, "fetched", c.Fetched.UTC().Format(time.RFC3339))
		} else {
			log.Info("fetched", "source", s.Name(), "records", st.Records)
		}
	}

	// Map records.
	before := evalStats(ws)
	contribs, mf := mapAll(ctx, ws, srcs, records, res.Sources, opts.Workers, c)
	res.Findings = append(res.Findings, mf...)
	phase("map")
	logFastPaths(log, ws, before, c)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, d := range ws.Declared {
		d := d
		contribs = append(contribs, contribution{
			entity: d.Entity, source: DeclaredSource, origin: d.Origin(), where: d.Origin(), decl: d,
			value: func() (cue.Value, error) {
				if d.Value.Exists() {
					return d.Value, nil
				}
				v := ws.CUE.Encode(map[string]any(d.Entity))
				return v, v.Err()
			},
		})
	}

	// A failed source's entities are brought forward from the branch as they were.
	var keptRefs map[string][]string
	if opts.Base != nil && len(failed) > 0 {
		present := map[string]bool{}
		for _, c := range contribs {
			present[c.entity.Ref().Key()] = true
		}
		var kept []contribution
		var err error
		keptRefs, kept, err = keptForFailed(ws, opts.Base, failed, present)
		if err != nil {
			return nil, err
		}
		contribs = append(contribs, kept...)
	}

	snap, sf := assemble(ctx, ws, contribs, opts.Workers, c, log)
	phase = phaseTimer(log) // assemble logged its own steps
	if opts.Base != nil && len(sf.Errors()) == 0 && len(res.Findings.Errors()) == 0 {
		status, kept, err := reconcile(ws, opts.Base, snap, failed, counts, forced(opts.Force))
		if err != nil {
			return nil, err
		}
		for s, refs := range keptRefs {
			status[s].Kept = refs
		}
		res.Status = status
		if len(kept) > 0 {
			contribs = append(contribs, kept...)
			snap, sf = assemble(ctx, ws, contribs, opts.Workers, c, log)
		}
		for _, name := range sortedKeys(status) {
			if b := status[name].Blocked; b != "" {
				res.Findings = append(res.Findings, diag.Finding{Where: "source " + name, Severity: diag.Warning, Message: b})
			}
		}
	}
	res.Findings = append(res.Findings, sf...)
	res.Findings.Sort()
	if opts.keepInputs {
		res.inputs = contribs
	}
	if len(res.Findings.Errors()) == 0 {
		res.Snapshot = snap
	}
	phase("reconcile")
	if c != nil {
		log.Info("cache", "hits", c.hits, "misses", c.misses)
		if res.Snapshot != nil {
			if err := c.save(); err != nil {
				log.Warn("cache not saved", "file", c.path, "err", err)
			}
		}
		phase("cache save")
	}
	return res, nil
}

// evalStats reads each mapping's counters of records mapped by the fast path and by CUE.
func evalStats(ws *workspace.Workspace) [][2]int64 {
	if ws.Mappings == nil {
		return nil
	}
	out := make([][2]int64, len(ws.Mappings.Mappings))
	for i, m := range ws.Mappings.Mappings {
		out[i][0], out[i][1] = m.EvalStats()
	}
	return out
}

// logFastPaths says, at debug level, how each mapping's records were mapped in this
// compile: from the result cache, by the fast path, or by CUE (and why, for a mapping
// without a fast path).
func logFastPaths(log *slog.Logger, ws *workspace.Workspace, before [][2]int64, c *cache) {
	after := evalStats(ws)
	for i, m := range ws.Mappings.Mappings {
		args := []any{"mapping", m.Name}
		if c != nil {
			args = append(args, "from cache", c.hitsOf(m.Name))
		}
		args = append(args, "fast path", after[i][0]-before[i][0], "CUE", after[i][1]-before[i][1])
		if ok, why := m.FastPath(); !ok {
			args = append(args, "why CUE", why)
		}
		log.Debug("mapping", args...)
	}
}

// contentKey identifies a merged entity's content for the validation and render caches.
// An entity made of one cached mapping result is known by that result's key, its place
// in the result and its provenance (merging one contribution copies it and adds the
// provenance annotations, nothing else), which spares hashing tens of thousands of
// entities; any other is hashed.
func contentKey(e catalog.Entity, cs []contribution) [32]byte {
	if len(cs) == 1 && cs[0].rkey != nil && !strings.Contains(cs[0].source, ",") {
		c := cs[0]
		h := sha256.New()
		fmt.Fprintf(h, "mapped entity\x00%d\x00%s\x00%s\x00", c.rk, c.source, c.origin)
		h.Write(c.rkey[:])
		var k [32]byte
		h.Sum(k[:0])
		return k
	}
	return mapping.Hash(map[string]any(e))
}

// workspaceCache opens the result cache for ws: salted with its mapping and schema
// sources and whatever CUE they import.
func workspaceCache(dir string, ws *workspace.Workspace, log *slog.Logger) *cache {
	schemaHash := ""
	if ws.Schemas != nil {
		schemaHash = ws.Schemas.Hash()
	}
	return openCache(dir, ws.Mappings.Hash+" "+ws.CUEHash, schemaHash, log)
}

// phaseTimer logs, at debug level, how long each phase of a compile took.
func phaseTimer(log *slog.Logger) func(name string) {
	if log == nil {
		return func(string) {}
	}
	last := time.Now()
	return func(name string) {
		now := time.Now()
		log.Debug("phase", "name", name, "took", now.Sub(last).Round(time.Millisecond))
		last = now
	}
}

// safeFetch runs a source's fetch and turns a panic into a failure of that source.
func safeFetch(ctx context.Context, s source.Source, emit func(source.Record) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("source %s panicked: %v", s.Name(), r)
		}
	}()
	return s.Fetch(ctx, emit)
}

type job struct {
	src string
	rec *source.Record
	m   *mapping.Mapping
}

// mapAll evaluates every record with every mapping that takes it, on all cores with the
// shared compiled mappings. Output order is the input order, so results are deterministic.
func mapAll(ctx context.Context, ws *workspace.Workspace, srcs []source.Source, records [][]source.Record, stats map[string]*SourceStats, workers int, c *cache) ([]contribution, diag.List) {
	var jobs []job
	var declared []contribution // entity files found by a source, taken as declared
	var declFindings diag.List
	for i, s := range srcs {
		st := stats[s.Name()]
		for j := range records[i] {
			r := &records[i][j]
			ms := ws.Mappings.For(s.Name(), r.Type)
			if len(ms) == 0 {
				if cs, fs, ok := discovered(ws, s.Name(), r); ok {
					declared, declFindings = append(declared, cs...), append(declFindings, fs...)
					st.Entities += len(cs)
					continue
				}
				st.Unmapped[r.Type]++
				continue
			}
			for _, m := range ms {
				jobs = append(jobs, job{src: s.Name(), rec: r, m: m})
			}
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	results := make([]mapping.Result, len(jobs))
	errs := make([]error, len(jobs))
	var rkeys [][32]byte
	if c != nil {
		rkeys = make([][32]byte, len(jobs))
	}
	par.For(len(jobs), workers, func(i int) {
		if ctx.Err() != nil {
			return
		}
		j := jobs[i]
		if c == nil {
			results[i], errs[i] = j.m.Eval(j.rec.Data)
			return
		}
		res, key, hit := c.mappedResult(j.m, j.rec.Data)
		if !hit {
			res, errs[i] = j.m.Eval(j.rec.Data)
			if errs[i] == nil {
				c.storeResult(key, res)
			}
		}
		results[i], rkeys[i] = res, key
	})

	var out []contribution
	var findings diag.List
	var mfs []diag.Finding
	var mkeys []string
	for i, j := range jobs {
		st := stats[j.src]
		recDesc := fmt.Sprintf("source %s, record %s %q", j.src, j.rec.Type, j.rec.Key)
		if errs[i] != nil {
			fs, ks := mappingFindings(errs[i], j, recDesc)
			mfs, mkeys = append(mfs, fs...), append(mkeys, ks...)
			continue
		}
		if results[i].Filtered {
			st.Filtered++
			continue
		}
		for k, e := range results[i].Entities {
			k, j := k, j
			st.Entities++
			var rkey *[32]byte
			if rkeys != nil {
				rkey = &rkeys[i]
			}
			out = append(out, contribution{
				entity: e, source: j.src, origin: j.rec.ID(), rec: j.rec, mapping: j.m, rkey: rkey, rk: k,
				where: fmt.Sprintf("%s (mapping %q at %s)", recDesc, j.m.Name, j.m.Where),
				value: func() (cue.Value, error) {
					vs, err := j.m.Values(j.rec.Data)
					if err != nil {
						return cue.Value{}, err
					}
					if k >= len(vs) {
						return cue.Value{}, fmt.Errorf("mapping %q gave %d entities on re-evaluation, expected more than %d", j.m.Name, len(vs), k)
					}
					return vs[k], nil
				},
			})
		}
	}
	findings = append(findings, foldFindings(mfs, mkeys)...)
	return append(out, declared...), append(findings, declFindings...)
}

// mappingFindings turns a mapping's failure on one record into findings, each with a
// key that is the same for the same problem on other records (place, mapping, field).
func mappingFindings(err error, j job, recDesc string) ([]diag.Finding, []string) {
	me, ok := err.(*mapping.Error)
	if !ok {
		return []diag.Finding{{Where: j.m.Where, Message: fmt.Sprintf("mapping %q, %s: %v", j.m.Name, recDesc, err)}},
			[]string{j.m.Where + "\x00" + j.m.Name + "\x00" + err.Error()}
	}
	var out []diag.Finding
	var keys []string
	for _, f := range me.Findings {
		out = append(out, diag.Finding{Where: f.Where, Message: fmt.Sprintf("mapping %q, %s (%s): %s", j.m.Name, recDesc, j.rec.Where, f.Message)})
		field, _, _ := strings.Cut(f.Message, ":")
		keys = append(keys, f.Where+"\x00"+j.m.Name+"\x00"+field)
	}
	return out, keys
}

// maxSameProblem is how many records a repeated mapping problem is shown for; the rest
// are counted. A typo in a mapping fails every record the same way: ten thousand lines
// would hide everything else.
const maxSameProblem = 3

// foldFindings keeps the first few findings of each key and adds a count of the rest.
func foldFindings(fs []diag.Finding, keys []string) diag.List {
	count := map[string]int{}
	var out diag.List
	var order []string
	where := map[string]string{}
	for i, f := range fs {
		k := keys[i]
		if count[k] == 0 {
			order = append(order, k)
			where[k] = f.Where
		}
		count[k]++
		if count[k] <= maxSameProblem {
			out = append(out, f)
		}
	}
	for _, k := range order {
		if n := count[k] - maxSameProblem; n > 0 {
			parts := strings.SplitN(k, "\x00", 3)
			out = append(out, diag.Finding{Where: where[k], Message: fmt.Sprintf("mapping %q: the same problem with %s in %d more records", parts[1], parts[2], n)})
		}
	}
	return out
}

// assemble merges contributions by ref, validates, adds provenance, derives relations
// and renders.
func assemble(ctx context.Context, ws *workspace.Workspace, contribs []contribution, workers int, c *cache, log *slog.Logger) (*Snapshot, diag.List) {
	phase := phaseTimer(log)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var findings diag.List
	// Each contribution's ref, on all cores: reading three fields of tens of thousands
	// of entities is memory-bound work.
	ckeys := make([]string, len(contribs))
	cerrs := make([]error, len(contribs))
	par.For(len(contribs), workers, func(i int) {
		ref := contribs[i].entity.Ref()
		if cerrs[i] = catalog.ValidateRef(ref); cerrs[i] == nil {
			ckeys[i] = ref.Key()
		}
	})
	groups := make(map[string][]contribution, len(contribs))
	var keys []string
	for i, c := range contribs {
		if err := cerrs[i]; err != nil {
			findings = append(findings, diag.Finding{Where: c.where, Message: fmt.Sprintf("entity %s: %v", refDesc(c.entity), err)})
			continue
		}
		k := ckeys[i]
		g, ok := groups[k]
		if !ok {
			keys = append(keys, k)
		}
		groups[k] = append(g, c)
	}
	sort.Strings(keys)

	failed := map[string]bool{} // refs with errors of their own: not also reported as missing
	snap := &Snapshot{Entities: make(map[string]catalog.Entity, len(keys)), Files: make(map[string][]byte, len(keys)),
		Owners: make(map[string][]string, len(keys)), Hashes: make(map[string]plumbing.Hash, len(keys)), Refs: make(map[string]string, len(keys))}
	type merged struct {
		e          catalog.Entity
		sources    []string
		err        diag.List
		path, full string // the entity's file and its ref, written out
	}
	ms := make([]merged, len(keys))
	par.For(len(keys), workers, func(i int) {
		m := &ms[i]
		m.e, m.sources, m.err = mergeRef(groups[keys[i]])
		if m.err == nil {
			ref := m.e.Ref()
			m.path, m.full = ref.Path(), ref.String()
		}
	})
	for i, k := range keys {
		if ms[i].err != nil {
			findings = append(findings, ms[i].err...)
			failed[k] = true
			continue
		}
		snap.Entities[k] = ms[i].e
		snap.Owners[ms[i].path] = ms[i].sources
	}
	phase("merge")

	// Validate against the kind schemas, in parallel. The cache knows an entity by the
	// hash of its content, computed once here for validation and rendering.
	ehash := make([][32]byte, len(keys))
	if ws.Schemas != nil {
		vf := make([]diag.List, len(keys))
		par.For(len(keys), workers, func(i int) {
			k := keys[i]
			e, ok := snap.Entities[k]
			if !ok {
				return
			}
			if c != nil {
				ehash[i] = contentKey(e, groups[k])
			}
			vf[i] = validate(ws, e, ehash[i], groups[k], c)
		})
		for i, k := range keys {
			if len(vf[i]) > 0 {
				findings = append(findings, vf[i]...)
				delete(snap.Entities, k)
				failed[k] = true
			}
		}
	}

	phase("validate")
	rels, rf := catalog.DeriveRelations(snap.Entities)
	for _, f := range rf {
		if failed[f.Target.Key()] {
			continue
		}
		findings = append(findings, danglingFinding(ws, f, groups[f.Ref.Key()]))
	}

	phase("relations")
	// Render, in parallel: a big catalog is tens of thousands of files.
	rendered := make([][]byte, len(keys))
	hashes := make([]plumbing.Hash, len(keys))
	renderErr := make([]error, len(keys))
	par.For(len(keys), workers, func(i int) {
		k := keys[i]
		e, ok := snap.Entities[k]
		if !ok {
			return
		}
		var r []catalog.Relation
		if ws.Config.Output.Relations {
			r = rels[k]
		}
		if c != nil && ws.Schemas == nil {
			ehash[i] = contentKey(e, groups[k])
		}
		rendered[i], hashes[i], renderErr[i] = c.render(e, ehash[i], r)
	})
	phase("render")
	for i, k := range keys {
		_, ok := snap.Entities[k]
		if !ok {
			continue
		}
		if renderErr[i] != nil {
			findings = append(findings, diag.Finding{Where: groups[k][0].where, Message: renderErr[i].Error()})
			continue
		}
		path := ms[i].path
		snap.Files[path] = rendered[i]
		snap.Hashes[path] = hashes[i]
		snap.Refs[path] = ms[i].full
	}
	_ = ctx
	return snap, findings
}

// mergeRef merges the contributions of one ref (sorting them, which makes the result
// independent of input order) and sets the provenance annotations.
func mergeRef(cs []contribution) (catalog.Entity, []string, diag.List) {
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].source != cs[j].source {
			return cs[i].source < cs[j].source
		}
		return cs[i].origin < cs[j].origin
	})
	e, err := merge(cs)
	if err != nil {
		return nil, nil, err
	}
	var sources, origins []string
	seen := map[string]bool{}
	for _, c := range cs {
		// A contribution kept for several held-back sources names them all ("a,b").
		for _, s := range strings.Split(c.source, ",") {
			if !seen[s] {
				seen[s] = true
				sources = append(sources, s)
			}
		}
		origins = append(origins, c.origin)
	}
	sort.Strings(sources)
	e.SetAnnotation(catalog.AnnotationSource, strings.Join(sources, ","))
	e.SetAnnotation(catalog.AnnotationOrigin, strings.Join(origins, ","))
	return e, sources, nil
}

// validate checks an entity against its kind's schema, remembering verdicts in the
// cache.
func validate(ws *workspace.Workspace, e catalog.Entity, eh [32]byte, cs []contribution, c *cache) diag.List {
	if ws.Schemas == nil {
		return nil
	}
	var key [32]byte
	if c != nil {
		var ok bool
		if key, ok = c.validated(eh); ok {
			return nil
		}
	}
	problems := ws.Schemas.Validate(e)
	if c != nil && len(problems) == 0 {
		c.storeValid(key)
	}
	var out diag.List
	for _, p := range problems {
		out = append(out, diag.Finding{Where: whereOf(cs, p.Path), Message: fmt.Sprintf("%s: %s: %s", e.Ref(), p.Path, p.Message)})
	}
	return out
}

// danglingFinding turns a relation finding into a diagnostic at its place.
func danglingFinding(ws *workspace.Workspace, f catalog.Finding, cs []contribution) diag.Finding {
	sev := diag.Error
	if ws.Config.Safety.DanglingRefs == "warn" {
		sev = diag.Warning
	}
	return diag.Finding{Where: whereOf(cs, f.Field), Severity: sev, Message: fmt.Sprintf("%s: %s: %s", f.Ref, f.Field, f.Message)}
}

func refDesc(e catalog.Entity) string {
	return fmt.Sprintf("kind %q name %q", e.Kind(), e.Name())
}

// whereOf names the place to point at for a field of a merged entity: the field in a
// declaration when one declares it, else the first contribution.
func whereOf(cs []contribution, field string) string {
	if len(cs) == 0 {
		return ""
	}
	for _, c := range cs {
		if c.decl != nil {
			if _, ok := source.Lookup(map[string]any(c.entity), strings.Join(workspace.SplitPath(field), ".")); ok || len(cs) == 1 {
				return c.decl.FieldPos(field)
			}
		}
	}
	return cs[0].where
}

// merge unifies the contributions of one ref. One contribution is taken as it is; several
// are unified in CUE so that defaults (*v | _) in one yield to concrete values in another.
func merge(cs []contribution) (catalog.Entity, diag.List) {
	if len(cs) == 1 {
		return copyEntity(cs[0].entity), nil
	}
	acc, err := cs[0].value()
	if err != nil {
		return nil, diag.List{{Where: cs[0].where, Message: err.Error()}}
	}
	accWhere := []string{cs[0].where}
	for _, c := range cs[1:] {
		v, err := c.value()
		if err != nil {
			return nil, diag.List{{Where: c.where, Message: err.Error()}}
		}
		u := acc.Unify(v)
		if err := u.Validate(cue.Concrete(true)); err != nil {
			var out diag.List
			for _, f := range diag.FromCUE(err, "", "") {
				out = append(out, diag.Finding{Where: c.where, Message: fmt.Sprintf("%s is declared differently by %s and by %s: %s",
					c.entity.Ref(), strings.Join(accWhere, " and "), c.where, f.Message)})
			}
			return nil, out
		}
		acc = u
		accWhere = append(accWhere, c.where)
	}
	var m map[string]any
	if err := acc.Decode(&m); err != nil {
		return nil, diag.FromCUE(err, "", "")
	}
	return catalog.Entity(m), nil
}

// copyEntity copies the maps provenance is written into, so a cached or shared
// contribution is never changed.
func copyEntity(e catalog.Entity) catalog.Entity {
	out := make(catalog.Entity, len(e))
	for k, v := range e {
		out[k] = v
	}
	if md := e.Metadata(); md != nil {
		m := make(map[string]any, len(md))
		for k, v := range md {
			m[k] = v
		}
		if a, ok := md["annotations"].(map[string]any); ok {
			ac := make(map[string]any, len(a))
			for k, v := range a {
				ac[k] = v
			}
			m["annotations"] = ac
		}
		out["metadata"] = m
	}
	return out
}

func forced(names []string) func(string) bool {
	return func(s string) bool {
		for _, n := range names {
			if n == "*" || n == s {
				return true
			}
		}
		return false
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
