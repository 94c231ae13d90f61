// Package mapping evaluates CUE mappings over source records. A mapping names a source
// and a record type, takes the record as `in`, may drop it with `filter`, and produces
// entities as `out`. Mappings are compiled once; each record is evaluated by filling
// `in` on the shared compiled value, which is safe from many goroutines at once.
package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"

	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/source"
)

var (
	pathIn     = cue.ParsePath("in")
	pathOut    = cue.ParsePath("out")
	pathFilter = cue.ParsePath("filter")
	pathSource = cue.ParsePath("source")
	pathRecord = cue.ParsePath("record")
)

// Mapping is one compiled mapping.
type Mapping struct {
	Name   string // its field name in cue/mappings
	Source string
	Record string
	Where  string // file:line:col of the mapping
	root   string
	ctx    *cue.Context
	v      cue.Value
	filter bool
	// fields, when set, is the only part of a record the mapping can observe; proj is
	// the same as source.Fields.
	fields *fieldTree
	proj   *source.Fields
	// fast, when set, maps records without the CUE evaluator (see fast.go); fastWhy says
	// why a mapping has none.
	fast    *fastProgram
	fastWhy string
	stats   *fastStats
}

// fastStats counts records the fast path mapped and those it handed to CUE.
type fastStats struct{ fast, cue atomic.Int64 }

// FastPath reports whether the mapping has a fast path and, if not, why.
func (m *Mapping) FastPath() (bool, string) { return m.fast != nil, m.fastWhy }

// EvalStats returns how many records Eval mapped with the fast path and how many with
// CUE (a mapping without a fast path, or records the fast path left to CUE).
func (m *Mapping) EvalStats() (fast, cue int64) {
	return m.stats.fast.Load(), m.stats.cue.Load()
}

// DisableFast makes every mapping of the set evaluate with CUE alone: for tests that
// compare the two, and for PANE_FASTPATH=off.
func (s *Set) DisableFast() {
	for _, m := range s.Mappings {
		m.fast, m.fastWhy = nil, "disabled (PANE_FASTPATH=off, or a test)"
	}
}

// Set is every mapping of a workspace.
type Set struct {
	Mappings []*Mapping
	// Hash identifies the mapping sources; any edit changes it.
	Hash string
}

// For returns the mappings of a source's record type, in name order.
func (s *Set) For(source, record string) []*Mapping {
	var out []*Mapping
	for _, m := range s.Mappings {
		if m.Source == source && m.Record == record {
			out = append(out, m)
		}
	}
	return out
}

// Load compiles the mappings in dir (every *.cue file there, one CUE package). root is
// the workspace, for relative positions. A missing dir is an empty set.
func Load(ctx *cue.Context, root, dir string) (*Set, diag.List) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.cue"))
	if err != nil {
		return nil, diag.List{{Message: err.Error()}}
	}
	sort.Strings(matches)
	set := &Set{}
	h := sha256.New()
	if len(matches) == 0 {
		set.Hash = hex.EncodeToString(h.Sum(nil))
		return set, nil
	}
	files := make([]string, len(matches))
	for i, m := range matches {
		files[i] = filepath.Base(m)
		data, err := os.ReadFile(m)
		if err != nil {
			return nil, diag.List{{Where: relPath(root, m), Message: err.Error()}}
		}
		fmt.Fprintf(h, "%s\x00%d\x00", files[i], len(data))
		h.Write(data)
	}
	set.Hash = hex.EncodeToString(h.Sum(nil))
	insts := load.Instances(files, &load.Config{Dir: dir})
	if err := insts[0].Err; err != nil {
		return nil, diag.FromCUE(err, root, "")
	}
	v := ctx.BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return nil, diag.FromCUE(err, root, "")
	}
	iter, err := v.Fields()
	if err != nil {
		return nil, diag.FromCUE(err, root, "")
	}
	findings := splitDefinitions(insts[0].Files, root)
	for iter.Next() {
		mv := iter.Value()
		name := iter.Selector().Unquoted()
		hasOut := mv.LookupPath(pathOut).Exists()
		hasSource := mv.LookupPath(pathSource).Exists()
		if !hasOut && !hasSource {
			continue // a helper value, not a mapping
		}
		where := diag.Pos(mv.Pos(), root)
		m := &Mapping{Name: name, Where: where, root: root, ctx: ctx, v: mv, filter: mv.LookupPath(pathFilter).Exists(), stats: &fastStats{}}
		bad := func(msg string) {
			findings = append(findings, diag.Finding{Where: where, Message: fmt.Sprintf("mapping %q: %s", name, msg)})
		}
		var ok = true
		if m.Source, err = mv.LookupPath(pathSource).String(); err != nil || m.Source == "" {
			bad("needs `source`: the name of a source in pane.cue")
			ok = false
		}
		if m.Record, err = mv.LookupPath(pathRecord).String(); err != nil || m.Record == "" {
			bad("needs `record`: the record type it maps (e.g. \"repository\")")
			ok = false
		}
		if !hasOut {
			bad("needs `out`: a list of entities")
			ok = false
		} else if k := mv.LookupPath(pathOut).IncompleteKind(); k != cue.BottomKind && k&cue.ListKind == 0 {
			// (Bottom: the list depends on in, as [if in.x {...}] does; it is checked
			// per record.)
			bad("`out` must be a list of entities")
			ok = false
		}
		if !mv.LookupPath(pathIn).Exists() {
			bad("needs `in`: the record (declare it as `in: {...}`, or with the fields you expect)")
			ok = false
		}
		if ok {
			if fields, ok := projection(insts[0].Files, mv); ok {
				m.fields, m.proj = fields, fields.export()
			}
			if prog, err := compileFast(insts[0].Files, name); err == nil {
				m.fast = prog
			} else {
				m.fastWhy = strings.ReplaceAll(err.Error(), root+string(filepath.Separator), "")
			}
			set.Mappings = append(set.Mappings, m)
		}
	}
	sort.Slice(set.Mappings, func(i, j int) bool { return set.Mappings[i].Name < set.Mappings[j].Name })
	if os.Getenv("PANE_FASTPATH") == "off" {
		set.DisableFast()
	}
	return set, findings
}

// Result is what a mapping made of one record.
type Result struct {
	Entities []catalog.Entity
	// Filtered is true when the mapping's filter dropped the record.
	Filtered bool
}

// Eval maps one record. data is the decoded record; key and where identify it in errors.
func (m *Mapping) Eval(data any) (Result, error) {
	if m.fast != nil {
		if res, ok := m.fast.eval(m.project(data)); ok {
			m.stats.fast.Add(1)
			return res, nil
		}
	}
	m.stats.cue.Add(1)
	return m.evalCUE(data)
}

// evalCUE maps one record with the CUE evaluator.
func (m *Mapping) evalCUE(data any) (Result, error) {
	filled, skip, err := m.fill(data)
	if err != nil || skip {
		return Result{Filtered: skip}, err
	}
	var list []map[string]any
	if err := filled.LookupPath(pathOut).Decode(&list); err != nil {
		return Result{}, m.cueError(err)
	}
	res := Result{Entities: make([]catalog.Entity, len(list))}
	for i, e := range list {
		res.Entities[i] = catalog.Entity(e)
	}
	return res, nil
}

// Values maps one record and returns each out entity as a CUE value, with its defaults and
// constraints intact, for unification with other inputs of the same entity.
func (m *Mapping) Values(data any) ([]cue.Value, error) {
	filled, skip, err := m.fill(data)
	if err != nil || skip {
		return nil, err
	}
	iter, err := filled.LookupPath(pathOut).List()
	if err != nil {
		return nil, m.cueError(err)
	}
	var out []cue.Value
	for iter.Next() {
		out = append(out, iter.Value())
	}
	return out, nil
}

func (m *Mapping) fill(data any) (cue.Value, bool, error) {
	// Encode, not FillPath(data): FillPath turns a Go nil into _ (top), Encode into null,
	// which is what a JSON null is.
	rec := m.ctx.Encode(m.project(data))
	if err := rec.Err(); err != nil {
		return cue.Value{}, false, m.cueError(err)
	}
	filled := m.v.FillPath(pathIn, rec)
	if m.filter {
		f := filled.LookupPath(pathFilter)
		keep, err := f.Bool()
		if err != nil {
			if e := f.Validate(cue.Concrete(true)); e != nil {
				return cue.Value{}, false, m.cueError(e)
			}
			return cue.Value{}, false, m.cueError(fmt.Errorf("filter: must be a boolean: %w", err))
		}
		if !keep {
			return cue.Value{}, true, nil
		}
	}
	if err := filled.Validate(cue.Concrete(true)); err != nil {
		return cue.Value{}, false, m.cueError(err)
	}
	return filled, false, nil
}

// Error is a mapping failure on one record: every problem, each with the field path,
// and the place in the mapping when CUE knows it.
type Error struct {
	Mapping  string
	Findings diag.List // Where: mapping file:line:col; Message: field path and problem
}

func (e *Error) Error() string {
	parts := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		parts[i] = f.String()
	}
	return strings.Join(parts, "; ")
}

func (m *Mapping) cueError(err error) *Error {
	e := &Error{Mapping: m.Name}
	for _, ce := range cueerrors.Errors(err) {
		where := ""
		for _, p := range cueerrors.Positions(ce) {
			if w := diag.Pos(p, m.root); w != "" {
				where = w
				break
			}
		}
		if where == "" {
			where = m.Where
		}
		format, args := ce.Msg()
		msg := fmt.Sprintf(format, args...)
		path := ce.Path()
		if len(path) > 0 && path[0] == m.Name {
			path = path[1:] // paths are told from the mapping: in.x, out.0.spec.owner
		}
		if len(path) > 0 {
			msg = strings.Join(path, ".") + ": " + msg
		}
		e.Findings = append(e.Findings, diag.Finding{Where: where, Message: msg})
	}
	if len(e.Findings) == 0 {
		e.Findings = diag.List{{Where: m.Where, Message: err.Error()}}
	}
	return e
}

func relPath(root, path string) string {
	if rel, err := filepath.Rel(root, path); err == nil {
		return filepath.ToSlash(rel)
	}
	return path
}

// splitDefinitions warns about a mapping written in more than one file: CUE unifies them
// into one mapping, which is more often a copy-paste accident (two mappings with the same
// name) than intended.
func splitDefinitions(files []*ast.File, root string) diag.List {
	first := map[string]string{} // name -> file:line:col of its first definition
	fileOf := map[string]string{}
	var out diag.List
	for _, f := range files {
		for _, d := range f.Decls {
			field, ok := d.(*ast.Field)
			if !ok {
				continue
			}
			name, _, err := ast.LabelName(field.Label)
			if err != nil || strings.HasPrefix(name, "#") || strings.HasPrefix(name, "_") {
				continue
			}
			where := diag.Pos(field.Pos(), root)
			if prev, seen := first[name]; seen && fileOf[name] != f.Filename {
				out = append(out, diag.Finding{Where: where, Severity: diag.Warning,
					Message: fmt.Sprintf("%q is also defined at %s: CUE unifies the two into one mapping; rename one if they are meant to be two", name, prev)})
				continue
			}
			if _, seen := first[name]; !seen {
				first[name], fileOf[name] = where, f.Filename
			}
		}
	}
	return out
}
