package compile

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
	"github.com/go-git/go-git/v5/plumbing"
	"go.yaml.in/yaml/v3"

	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/workspace"
)

// Base is the catalog as the branch holds it: what reconciliation compares against.
type Base struct {
	Commit plumbing.Hash
	Files  map[string]plumbing.Hash // path -> blob
	read   func(plumbing.Hash) ([]byte, error)
	mu     sync.Mutex
	cache  map[string][]byte
}

// NewBase wraps a branch's files and a blob reader. Reads are remembered: compile and
// plan read the same old files.
func NewBase(commit plumbing.Hash, files map[string]plumbing.Hash, read func(plumbing.Hash) ([]byte, error)) *Base {
	return &Base{Commit: commit, Files: files, read: read, cache: map[string][]byte{}}
}

// Read returns an old file's bytes.
func (b *Base) Read(path string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if data, ok := b.cache[path]; ok {
		return data, nil
	}
	h, ok := b.Files[path]
	if !ok {
		return nil, fmt.Errorf("%s is not on the catalog branch", path)
	}
	data, err := b.read(h)
	if err != nil {
		return nil, err
	}
	b.cache[path] = data
	return data, nil
}

// SourceStatus is how reconciliation treated one source in this compile.
type SourceStatus struct {
	// Failed is the fetch error, when the source failed: none of its entities were
	// deleted; they are kept as the branch had them.
	Failed error
	// Blocked says why the source's deletions were held back (threshold, or an empty
	// answer); empty when they were not.
	Blocked string
	// Kept lists the refs kept from the branch because the source failed or was blocked.
	Kept []string
	// Owned is how many entities the source owned on the branch; Deleted how many of
	// them this compile deletes.
	Owned, Deleted int
}

// oldEntity is an entity file of the branch that this compile changes or deletes.
type oldEntity struct {
	path    string
	entity  catalog.Entity // without relations or provenance
	sources []string
	origins []string
}

// parseOld reads an entity file of the branch back into an entity and its provenance.
func parseOld(path string, data []byte) (*oldEntity, error) {
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("catalog branch %s: %w", path, err)
	}
	e := catalog.Entity(normalize(m).(map[string]any))
	o := &oldEntity{path: path, sources: splitList(e.Annotation(catalog.AnnotationSource)), origins: splitList(e.Annotation(catalog.AnnotationOrigin))}
	delete(e, "relations")
	if md := e.Metadata(); md != nil {
		if a, ok := md["annotations"].(map[string]any); ok {
			delete(a, catalog.AnnotationSource)
			delete(a, catalog.AnnotationOrigin)
			if len(a) == 0 {
				delete(md, "annotations")
			}
		}
	}
	o.entity = e
	return o, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// normalize makes yaml.v3's decoded values JSON-like (ints stay ints).
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	case int:
		return int64(x)
	}
	return v
}

var sourceLine = regexp.MustCompile(`(?m)^\s+pane\.dev/source:\s*(.*?)\s*$`)

// keptForFailed brings forward, from the branch, every entity a failed source owned, so
// that it is kept as it was. It reads the whole branch: a failure is rare, and the
// entities must be there before the first assembly (declared parts alone may not make a
// valid entity).
func keptForFailed(ws *workspace.Workspace, base *Base, failed map[string]error, present map[string]bool) (map[string][]string, []contribution, error) {
	paths := make([]string, 0, len(base.Files))
	for p := range base.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	keptRefs := map[string][]string{}
	var kept []contribution
	for _, p := range paths {
		data, err := base.Read(p)
		if err != nil {
			return nil, nil, err
		}
		m := sourceLine.FindSubmatch(data)
		if m == nil {
			continue
		}
		var keepers []string
		for _, s := range splitList(strings.Trim(string(m[1]), `"'`)) {
			if failed[s] != nil {
				keepers = append(keepers, s)
			}
		}
		if len(keepers) == 0 {
			continue
		}
		o, err := parseOld(p, data)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range keepers {
			keptRefs[s] = append(keptRefs[s], o.entity.Ref().String())
		}
		kept = append(kept, keptContribution(ws, o, keepers, present[o.entity.Ref().Key()]))
	}
	return keptRefs, kept, nil
}

// reconcile compares a first snapshot with the branch. It counts what each source owned
// and what this compile deletes of it, decides which sources are held back (failed, or
// over their deletion threshold, or suddenly empty, unless forced), and returns the
// contributions that keep those sources' entities as the branch had them.
func reconcile(ws *workspace.Workspace, base *Base, snap *Snapshot, failed map[string]error, records map[string]int, force func(string) bool) (map[string]*SourceStatus, []contribution, error) {
	status := map[string]*SourceStatus{}
	st := func(s string) *SourceStatus {
		x := status[s]
		if x == nil {
			x = &SourceStatus{}
			status[s] = x
		}
		return x
	}
	for s, err := range failed {
		st(s).Failed = err
	}
	for s := range records {
		st(s)
	}
	st(DeclaredSource)
	// Owners of unchanged files are the new snapshot's; changed and deleted files are read.
	newHash := snap.Hashes
	var touched []*oldEntity
	paths := make([]string, 0, len(base.Files))
	for p := range base.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if h, ok := newHash[p]; ok && h == base.Files[p] {
			for _, s := range snap.Owners[p] {
				st(s).Owned++
			}
			continue
		}
		data, err := base.Read(p)
		if err != nil {
			return nil, nil, err
		}
		o, err := parseOld(p, data)
		if err != nil {
			return nil, nil, err
		}
		for _, s := range o.sources {
			st(s).Owned++
			if _, still := snap.Files[p]; !still {
				st(s).Deleted++
			}
		}
		touched = append(touched, o)
	}

	hold := map[string]bool{}
	for s, x := range status {
		if x.Failed != nil {
			continue // kept before the first assembly
		}
		if s == DeclaredSource || x.Owned == 0 || x.Deleted == 0 || force(s) {
			continue
		}
		thr := threshold(ws, s)
		switch {
		case records[s] == 0 && thr < 1:
			x.Blocked = fmt.Sprintf("returned no records where it owned %d entities; nothing of it is deleted (rerun with --force=%s if that is right, or give it deletionThreshold: 1)", x.Owned, s)
		case float64(x.Deleted) > thr*float64(x.Owned):
			x.Blocked = fmt.Sprintf("would delete %d of its %d entities (%.0f%%, over its threshold of %.0f%%); nothing of it is deleted (rerun with --force=%s if that is right)",
				x.Deleted, x.Owned, 100*float64(x.Deleted)/float64(x.Owned), 100*thr, s)
		default:
			continue
		}
		hold[s] = true
	}
	if len(hold) == 0 {
		return status, nil, nil
	}

	// Keep what held sources owned, as the branch had it.
	var kept []contribution
	for _, o := range touched {
		var keepers []string
		for _, s := range o.sources {
			if hold[s] {
				keepers = append(keepers, s)
			}
		}
		if len(keepers) == 0 {
			continue
		}
		_, stillThere := snap.Files[o.path]
		for _, s := range keepers {
			st(s).Kept = append(st(s).Kept, o.entity.Ref().String())
			if !stillThere {
				st(s).Deleted--
			}
		}
		kept = append(kept, keptContribution(ws, o, keepers, stillThere))
	}
	return status, kept, nil
}

func threshold(ws *workspace.Workspace, source string) float64 {
	if sc, ok := ws.Config.Sources[source]; ok {
		if v := sc.Value.LookupPath(cue.ParsePath("deletionThreshold")); v.Exists() {
			if f, err := v.Float64(); err == nil {
				return f
			}
		}
	}
	return ws.Config.Safety.DeletionThreshold
}

// keptContribution is an old entity brought forward for sources that are held back.
// When other inputs still produce the entity, the old version is a CUE default
// (*old | _): it stands where it agrees with them, and yields where they have moved on.
func keptContribution(ws *workspace.Workspace, o *oldEntity, keepers []string, shared bool) contribution {
	origins := o.origins
	if len(o.origins) == len(o.sources) {
		origins = nil
		for i, s := range o.sources {
			for _, k := range keepers {
				if s == k {
					origins = append(origins, o.origins[i])
				}
			}
		}
	}
	return contribution{
		entity: o.entity,
		source: strings.Join(keepers, ","),
		origin: strings.Join(origins, ","),
		where:  fmt.Sprintf("%s on the catalog branch (kept: source %s)", o.path, strings.Join(keepers, ",")),
		kept:   o.path,
		value: func() (cue.Value, error) {
			if !shared {
				v := ws.CUE.Encode(map[string]any(o.entity))
				return v, v.Err()
			}
			expr, err := defaults(ws.CUE, map[string]any(o.entity))
			if err != nil {
				return cue.Value{}, err
			}
			v := ws.CUE.BuildExpr(expr)
			return v, v.Err()
		},
	}
}

// defaults turns a value into CUE in which every field is a default (*v | _), field by
// field: where another input has moved on, it wins for that field alone.
func defaults(ctx *cue.Context, v any) (ast.Expr, error) {
	if m, ok := v.(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var fields []any
		for _, k := range keys {
			e, err := defaults(ctx, m[k])
			if err != nil {
				return nil, err
			}
			fields = append(fields, &ast.Field{Label: ast.NewString(k), Value: e})
		}
		return ast.NewStruct(fields...), nil
	}
	val := ctx.Encode(v)
	if err := val.Err(); err != nil {
		return nil, err
	}
	lit, ok := val.Syntax().(ast.Expr)
	if !ok {
		return nil, fmt.Errorf("cannot express %v in CUE", v)
	}
	return &ast.BinaryExpr{Op: token.OR, X: &ast.UnaryExpr{Op: token.MUL, X: lit}, Y: ast.NewIdent("_")}, nil
}
