package compile

import (
	"context"
	"fmt"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/gitstore"
	"github.com/pane-dev/pane/pkg/plan"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/workspace"
)

// State is a compiled catalog held in memory, which record changes update without
// recompiling the rest: the path watch mode takes from one changed record to a commit.
// Each change re-evaluates only the changed records' mappings, re-merges the entities
// they touch, and re-renders those and their neighbours in the relation graph; the
// result is the same files a full compile of the same records gives. A State is not
// safe for concurrent use.
type State struct {
	ws      *workspace.Workspace
	cache   *cache
	groups  map[string][]contribution // ref key -> contributions
	records map[string][]string       // source\x00type:key -> ref keys the record contributed to
	graph   *catalog.Graph
	files   map[string][]byte // path -> rendered entity
	paths   map[string]string // ref key -> path
	owners  map[string][]string
	tip     plumbing.Hash // the commit the files are on (SetBase, Commit)
}

// NewState compiles the workspace from the given sources (every record is kept) and
// indexes the result for incremental updates. It fails on any finding that fails a
// compile; reconciliation does not apply (a State starts from the sources' truth).
func NewState(ctx context.Context, ws *workspace.Workspace, opts Options) (*State, *Result, error) {
	opts.keepInputs = true
	res, err := Compile(ctx, ws, opts)
	if err != nil {
		return nil, nil, err
	}
	if res.Snapshot == nil {
		return nil, res, fmt.Errorf("compile failed: %v", res.Findings.Errors())
	}
	st := &State{ws: ws, groups: map[string][]contribution{}, records: map[string][]string{},
		files: map[string][]byte{}, paths: map[string]string{}, owners: map[string][]string{}}
	for _, c := range res.inputs {
		k := c.entity.Ref().Key()
		st.groups[k] = append(st.groups[k], c)
		if c.rec != nil {
			rid := c.source + "\x00" + c.rec.ID()
			st.records[rid] = appendUnique(st.records[rid], k)
		}
	}
	entities := map[string]catalog.Entity{}
	for k, e := range res.Snapshot.Entities {
		entities[k] = e
		st.paths[k] = e.Ref().Path()
	}
	st.graph = catalog.NewGraph(entities)
	for p, b := range res.Snapshot.Files {
		st.files[p] = b
	}
	for p, o := range res.Snapshot.Owners {
		st.owners[p] = o
	}
	return st, res, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Files returns the current catalog: path -> rendered entity. Do not modify it.
func (s *State) Files() map[string][]byte { return s.files }

// Delta is what a change does to the catalog tree.
type Delta struct {
	Upserts map[string][]byte
	Deletes []string
	old     map[string][]byte // the previous bytes of changed and deleted files
	accept  func()            // makes the change the State's own
}

// Accept makes a delta the State's own without committing it (a caller that writes the
// files elsewhere). State.Commit accepts a delta once its commit succeeded.
func (s *State) Accept(d *Delta) {
	if d.accept != nil {
		d.accept()
		d.accept = nil
	}
}

// SetBase records the commit the State's files are on: the parent every State.Commit
// checks the branch is still at.
func (s *State) SetBase(commit plumbing.Hash) { s.tip = commit }

// Empty reports whether the change leaves the catalog as it was.
func (d *Delta) Empty() bool { return len(d.Upserts) == 0 && len(d.Deletes) == 0 }

// Apply computes what one source's record changes do: upserts (new or changed
// records) and deletes (record ids, "type:key"). The State does not change until the
// delta is committed (Commit) or accepted (Accept). On any finding that fails a compile
// the findings are returned and there is no delta.
func (s *State) Apply(ctx context.Context, src string, upserts []source.Record, deletes []string) (*Delta, diag.List, error) {
	affected := map[string]bool{}
	newContribs := map[string][]contribution{} // record id -> contributions
	var findings diag.List
	for _, id := range deletes {
		for _, k := range s.records[src+"\x00"+id] {
			affected[k] = true
		}
		newContribs[id] = nil
	}
	recs := make([]source.Record, len(upserts))
	copy(recs, upserts)
	stats := map[string]*SourceStats{src: {Unmapped: map[string]int{}}}
	mapped, mf := mapAll(ctx, s.ws, []source.Source{named(src)}, [][]source.Record{recs}, stats, 0, s.cache)
	findings = append(findings, mf...)
	if len(findings.Errors()) > 0 {
		return nil, findings, nil
	}
	for _, r := range recs {
		id := r.ID()
		newContribs[id] = []contribution{}
		for _, k := range s.records[src+"\x00"+id] {
			affected[k] = true
		}
	}
	for _, c := range mapped {
		id := c.rec.ID()
		newContribs[id] = append(newContribs[id], c)
		affected[c.entity.Ref().Key()] = true
	}
	for _, c := range mapped {
		if err := catalog.ValidateRef(c.entity.Ref()); err != nil {
			findings = append(findings, diag.Finding{Where: c.where, Message: fmt.Sprintf("entity %s: %v", refDesc(c.entity), err)})
		}
	}
	if len(findings.Errors()) > 0 {
		return nil, findings, nil
	}

	// New contribution lists for the affected refs.
	groups := map[string][]contribution{}
	for k := range affected {
		var cs []contribution
		for _, c := range s.groups[k] {
			if c.source == src && c.rec != nil {
				if _, changed := newContribs[c.rec.ID()]; changed {
					continue
				}
			}
			cs = append(cs, c)
		}
		groups[k] = cs
	}
	for _, cs := range newContribs {
		for _, c := range cs {
			k := c.entity.Ref().Key()
			groups[k] = append(groups[k], c)
		}
	}

	// Merge and validate the affected entities.
	keys := sortedKeys(groups)
	entities := map[string]catalog.Entity{}
	owners := map[string][]string{}
	for _, k := range keys {
		if len(groups[k]) == 0 {
			continue // no input left: deleted
		}
		e, sources, err := mergeRef(groups[k])
		if err != nil {
			findings = append(findings, err...)
			continue
		}
		findings = append(findings, validate(s.ws, e, entityHash(s.cache, e), groups[k], s.cache)...)
		entities[k] = e
		owners[k] = sources
	}
	if len(findings.Errors()) > 0 {
		return nil, findings, nil
	}

	// Update the graph; undo it if references now dangle.
	previous := map[string]catalog.Entity{}
	touched := map[string]bool{}
	for _, k := range keys {
		if old, ok := s.entity(k); ok {
			previous[k] = old
			for _, t := range s.graph.Targets(k) {
				touched[t] = true
			}
		}
		for _, p := range s.graph.Pointers(k) {
			touched[p] = true
		}
		touched[k] = true
		s.graph.Put(k, entities[k])
		for _, t := range s.graph.Targets(k) {
			touched[t] = true
		}
	}
	for _, k := range sortedKeys(touched) {
		for _, f := range s.graph.Findings(k) {
			findings = append(findings, danglingFinding(s.ws, f, s.groupOf(k, groups)))
		}
	}
	if len(findings.Errors()) > 0 {
		for _, k := range keys {
			s.graph.Put(k, previous[k])
		}
		return nil, findings, nil
	}

	// Render what changed: the affected entities and their neighbours.
	d := &Delta{Upserts: map[string][]byte{}, old: map[string][]byte{}}
	newFiles := map[string][]byte{}
	for _, k := range sortedKeys(touched) {
		e, ok := s.entity(k)
		if !ok {
			continue
		}
		var rels []catalog.Relation
		if s.ws.Config.Output.Relations {
			rels = s.graph.Relations(k)
		}
		b, _, err := s.cache.render(e, entityHash(s.cache, e), rels)
		if err != nil {
			for _, kk := range keys {
				s.graph.Put(kk, previous[kk])
			}
			return nil, diag.List{{Message: err.Error()}}, nil
		}
		newFiles[e.Ref().Path()] = b
	}
	// The graph goes back as it was: the State changes only when the delta is accepted
	// (after its commit succeeded), so a failed commit leaves it matching the branch.
	for _, k := range keys {
		s.graph.Put(k, previous[k])
	}
	for _, k := range keys {
		if p, ok := s.paths[k]; ok {
			if _, still := entities[k]; !still {
				d.old[p] = s.files[p]
				d.Deletes = append(d.Deletes, p)
			}
		}
	}
	for p, b := range newFiles {
		if old, ok := s.files[p]; ok && string(old) == string(b) {
			continue
		}
		if old, ok := s.files[p]; ok {
			d.old[p] = old
		}
		d.Upserts[p] = b
	}
	d.accept = func() {
		for _, k := range keys {
			s.graph.Put(k, entities[k])
			if p, ok := s.paths[k]; ok {
				if _, still := entities[k]; !still {
					delete(s.files, p)
					delete(s.paths, k)
					delete(s.owners, p)
				}
			}
			if len(groups[k]) == 0 {
				delete(s.groups, k)
			} else {
				s.groups[k] = groups[k]
			}
		}
		for k, e := range entities {
			p := e.Ref().Path()
			s.paths[k] = p
			s.owners[p] = owners[k]
		}
		for p, b := range d.Upserts {
			s.files[p] = b
		}
		for id, cs := range newContribs {
			rid := src + "\x00" + id
			delete(s.records, rid)
			for _, c := range cs {
				s.records[rid] = appendUnique(s.records[rid], c.entity.Ref().Key())
			}
		}
	}
	sort.Strings(d.Deletes)
	return d, findings, nil
}

func (s *State) entity(k string) (catalog.Entity, bool) { return s.graph.Entity(k) }

func (s *State) groupOf(k string, fresh map[string][]contribution) []contribution {
	if cs, ok := fresh[k]; ok {
		return cs
	}
	return s.groups[k]
}

// Commit writes a delta to the branch as one commit, with a message like a full
// compile's.
func (s *State) Commit(ctx context.Context, store *gitstore.Store, branch string, d *Delta) (plumbing.Hash, bool, error) {
	if d.Empty() {
		s.Accept(d)
		return s.tip, false, nil
	}
	tip := s.tip
	old := map[string]plumbing.Hash{}
	for p, b := range d.old {
		old[p] = plumbing.ComputeHash(plumbing.BlobObject, b)
	}
	read := func(p string) ([]byte, error) { return d.old[p], nil }
	p, err := plan.Diff(branch, tip, old, read, d.Upserts)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	author, err := Author(s.ws)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	h, changed, err := store.CommitChangesOn(ctx, branch, tip, d.Upserts, d.Deletes, p.CommitMessage(), author)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	s.Accept(d)
	if changed {
		s.tip = h
	}
	return h, changed, nil
}

// named is a Source that only carries a name, for evaluating records handed in.
type named string

func (n named) Name() string                                           { return string(n) }
func (n named) Fetch(context.Context, func(source.Record) error) error { return nil }
