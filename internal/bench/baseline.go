package bench

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/itchyny/gojq"
)

// recordKind is one record type of the benchmark workspace: its file, and the mapping of
// cue/mappings/github.cue (and the jq program) that takes it.
type recordKind struct {
	Type    string // record type in pane.cue
	File    string // under records/
	Key     string // the record's key field
	Mapping string // field name of the mapping in github.cue; also jq/<Mapping>.jq
}

var recordKinds = []recordKind{
	{"repository", "repositories.json", "full_name", "repositories"},
	{"team", "teams.json", "slug", "teams"},
	{"user", "users.json", "login", "users"},
}

//go:embed jq/*.jq
var jqPrograms embed.FS

// Entities is what a baseline made of one record: nil when the record was filtered out.
type Entities = []map[string]any

// readRaw reads a records file (a JSON array) as one raw message per record.
func readRaw(dir string, k recordKind) ([]json.RawMessage, error) {
	b, err := os.ReadFile(filepath.Join(dir, recordsDir, k.File))
	if err != nil {
		return nil, err
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return nil, fmt.Errorf("%s: %w", k.File, err)
	}
	return raws, nil
}

// JQ is the gojq baseline: the default GitHub mapping written as jq programs (jq/*.jq),
// which is how Port's Ocean maps records. It maps and nothing else: the record's types
// are not checked and the entities are not validated.
type JQ struct {
	code map[string]*gojq.Code // by mapping name
}

// NewJQ compiles the jq programs.
func NewJQ() (*JQ, error) {
	j := &JQ{code: map[string]*gojq.Code{}}
	for _, k := range recordKinds {
		src, err := jqPrograms.ReadFile("jq/" + k.Mapping + ".jq")
		if err != nil {
			return nil, err
		}
		q, err := gojq.Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("jq/%s.jq: %w", k.Mapping, err)
		}
		c, err := gojq.Compile(q)
		if err != nil {
			return nil, fmt.Errorf("jq/%s.jq: %w", k.Mapping, err)
		}
		j.code[k.Mapping] = c
	}
	return j, nil
}

// Map runs the program of mapping over one decoded record. Safe for concurrent use.
func (j *JQ) Map(mapping string, rec any) (Entities, error) {
	c, ok := j.code[mapping]
	if !ok {
		return nil, fmt.Errorf("no jq program for mapping %q", mapping)
	}
	var out Entities
	iter := c.Run(rec)
	for {
		v, ok := iter.Next()
		if !ok {
			return out, nil
		}
		if err, ok := v.(error); ok {
			return nil, fmt.Errorf("jq %s: %w", mapping, err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("jq %s: an entity must be an object, got %T", mapping, v)
		}
		out = append(out, m)
	}
}

// CUEPerRecord is the obvious CUE implementation DESIGN warns about: for every record,
// compile the mapping source together with the record (`<mapping>: in: <record JSON>`),
// then check the filter, validate and decode `out`. Every compile parses and evaluates
// the whole mapping file again, and a long-lived cue.Context keeps about 47 KB of every
// one of them.
type CUEPerRecord struct {
	src string // the mapping file's text
}

// NewCUEPerRecord returns the baseline for a mapping file's source.
func NewCUEPerRecord(mappingSrc []byte) *CUEPerRecord { return &CUEPerRecord{src: string(mappingSrc)} }

var (
	pathOut    = cue.ParsePath("out")
	pathFilter = cue.ParsePath("filter")
)

// Map compiles the mapping with one raw JSON record and decodes what it gives. ctx is
// used by one goroutine at a time.
func (c *CUEPerRecord) Map(ctx *cue.Context, mapping string, raw []byte) (Entities, error) {
	v := ctx.CompileString(c.src + "\n" + mapping + ": in: " + string(raw) + "\n")
	if err := v.Err(); err != nil {
		return nil, err
	}
	mv := v.LookupPath(cue.MakePath(cue.Str(mapping)))
	if f := mv.LookupPath(pathFilter); f.Exists() {
		keep, err := f.Bool()
		if err != nil {
			return nil, fmt.Errorf("filter: %w", err)
		}
		if !keep {
			return nil, nil
		}
	}
	if err := mv.Validate(cue.Concrete(true)); err != nil {
		return nil, err
	}
	var out Entities
	if err := mv.LookupPath(pathOut).Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// baselineResult is a baseline run over a workspace's records.
type baselineResult struct {
	Records   int           // records in the files
	Evaluated int           // records mapped (fewer when sampled)
	Entities  int           // entities produced by the evaluated records
	Read      time.Duration // reading and splitting or decoding the files
	Map       time.Duration // mapping the evaluated records
	MapCPU    time.Duration // this process's CPU time while mapping
}

// parallel runs f(0..n-1) on workers goroutines, each with its own state from newState.
// It returns the first error.
func parallel[S any](n, workers int, newState func() S, f func(s S, i int) error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		next  int
		first error
	)
	for range max(workers, 1) {
		wg.Go(func() {
			s := newState()
			for {
				mu.Lock()
				i := next
				next++
				stop := first != nil
				mu.Unlock()
				if i >= n || stop {
					return
				}
				if err := f(s, i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// sampleStride is the stride that takes at most limit of total records: every record
// when limit <= 0 or total <= limit.
func sampleStride(total, limit int) int {
	if limit <= 0 || total <= limit {
		return 1
	}
	return (total + limit - 1) / limit
}

// runJQ maps every record of the workspace in dir with the jq baseline on workers
// goroutines. keep, when set, receives each record's entities (for tests).
func runJQ(dir string, workers int, keep func(kind recordKind, key string, e Entities)) (baselineResult, error) {
	var res baselineResult
	j, err := NewJQ()
	if err != nil {
		return res, err
	}
	for _, k := range recordKinds {
		t0 := time.Now()
		b, err := os.ReadFile(filepath.Join(dir, recordsDir, k.File))
		if err != nil {
			return res, err
		}
		var recs []any
		if err := json.Unmarshal(b, &recs); err != nil {
			return res, fmt.Errorf("%s: %w", k.File, err)
		}
		res.Read += time.Since(t0)
		t1 := time.Now()
		outs := make([]Entities, len(recs))
		err = parallel(len(recs), workers, func() struct{} { return struct{}{} }, func(_ struct{}, i int) error {
			e, err := j.Map(k.Mapping, recs[i])
			if err != nil {
				return fmt.Errorf("%s[%d]: %w", k.File, i, err)
			}
			outs[i] = e
			return nil
		})
		if err != nil {
			return res, err
		}
		res.Map += time.Since(t1)
		res.Records += len(recs)
		res.Evaluated += len(recs)
		for i, e := range outs {
			res.Entities += len(e)
			if keep != nil {
				key, _ := recs[i].(map[string]any)[k.Key].(string)
				keep(k, key, e)
			}
		}
	}
	return res, nil
}

// runCUE maps the records of the workspace in dir with the obvious CUE implementation on
// workers goroutines, each with a cue.Context of its own. With sample > 0 and more
// records than that, only every stride-th record of each kind is mapped (the same stride
// for all kinds) and the caller extrapolates.
func runCUE(dir string, mappingSrc []byte, workers, sample int, keep func(kind recordKind, key string, e Entities)) (baselineResult, error) {
	var res baselineResult
	c := NewCUEPerRecord(mappingSrc)
	t0 := time.Now()
	raws := make([][]json.RawMessage, len(recordKinds))
	for i, k := range recordKinds {
		r, err := readRaw(dir, k)
		if err != nil {
			return res, err
		}
		raws[i] = r
		res.Records += len(r)
	}
	res.Read = time.Since(t0)
	stride := sampleStride(res.Records, sample)

	type item struct {
		kind int
		idx  int
	}
	var items []item
	for ki, rs := range raws {
		for i := 0; i < len(rs); i += stride {
			items = append(items, item{ki, i})
		}
	}
	outs := make([]Entities, len(items))
	t1, c1 := time.Now(), selfCPU()
	err := parallel(len(items), workers, func() *cue.Context { return cuecontext.New() }, func(ctx *cue.Context, i int) error {
		it := items[i]
		k := recordKinds[it.kind]
		e, err := c.Map(ctx, k.Mapping, raws[it.kind][it.idx])
		if err != nil {
			return fmt.Errorf("%s[%d]: %w", k.File, it.idx, err)
		}
		outs[i] = e
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Map, res.MapCPU = time.Since(t1), selfCPU()-c1
	res.Evaluated = len(items)
	for i, e := range outs {
		res.Entities += len(e)
		if keep != nil {
			it := items[i]
			var rec map[string]any
			if err := json.Unmarshal(raws[it.kind][it.idx], &rec); err != nil {
				return res, err
			}
			key, _ := rec[recordKinds[it.kind].Key].(string)
			keep(recordKinds[it.kind], key, e)
		}
	}
	return res, nil
}
