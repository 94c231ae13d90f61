package compile

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/plan"
	"github.com/pane-dev/pane/pkg/workspace"
)

// Explanation says how one entity came to be: the inputs that made it, which of them
// gave each field its value, its relations, and its history on the catalog branch. It is
// the answer to "why is my service missing" and "why does it say that".
type Explanation struct {
	Ref    string `json:"ref"`
	Path   string `json:"path"` // its file on the branch
	Branch string `json:"branch"`
	// OnBranch says whether the branch has the file now.
	OnBranch bool `json:"onBranch"`
	// State compares the compiled entity with the branch: unchanged, added, changed,
	// deleted (no input produces it any more), errors (the compile has errors about it,
	// or any errors at all, so nothing would be committed), or absent.
	State string `json:"state"`
	// Why says the state in words.
	Why string `json:"why"`
	// Inputs are every input that contributed, in the order they were unified.
	Inputs []Input `json:"inputs"`
	// Fields names, for each field of the entity, the inputs that gave it its value.
	Fields []FieldOrigin `json:"fields"`
	// Relations in and out of the entity, as derived in this compile.
	Relations Relations `json:"relations"`
	// Findings are the compile's errors and warnings about this entity.
	Findings []string `json:"findings"`
	// History lists the commits of the branch that touched the entity's file, newest
	// first; HistoryTruncated says there are older ones not listed.
	History          []HistoryEntry `json:"history"`
	HistoryTruncated bool           `json:"historyTruncated,omitempty"`
	// Cached lists the sources read from the record cache (offline), when any.
	Cached []CachedSource `json:"cached,omitempty"`
	// Entity is the compiled entity, when there is one.
	Entity catalog.Entity `json:"entity,omitempty"`
}

// Input is one contribution to an entity.
type Input struct {
	N int `json:"n"` // 1-based: Fields refer to inputs by it
	// Kind is declared (a file of the workspace), record (a source's record, through a
	// mapping), discovered (an entity file a source found in a repository), or kept
	// (brought forward from the branch because its source failed or was blocked).
	Kind   string `json:"kind"`
	Source string `json:"source"` // a source name, or "declared"
	Origin string `json:"origin"` // as in pane.dev/origin: file:line, or type:key
	// Declared is file:line of a declaration (declared and discovered inputs).
	Declared string         `json:"declared,omitempty"`
	Record   *RecordRef     `json:"record,omitempty"`
	Mapping  *MappingRef    `json:"mapping,omitempty"`
	Kept     string         `json:"kept,omitempty"` // the branch file a kept input is
	Entity   catalog.Entity `json:"entity"`         // this input's own version
}

// RecordRef names a source record.
type RecordRef struct {
	Type  string `json:"type"`
	Key   string `json:"key"`
	Where string `json:"where,omitempty"` // file:line, URL or repo@sha:path it came from
}

// MappingRef names a mapping and where it is.
type MappingRef struct {
	Name  string `json:"name"`
	Where string `json:"where"` // file:line:col
}

// FieldOrigin is a field of the entity and the inputs its value came from.
type FieldOrigin struct {
	Path  string `json:"path"`
	Value any    `json:"value"`
	// From lists the inputs (by N) whose own value is this value; empty when it comes
	// from unifying parts of several.
	From []int `json:"from"`
	// Yielded lists inputs that had another value, a CUE default that gave way.
	Yielded []Yield `json:"yielded,omitempty"`
}

// Yield is an input's own value for a field that another input's value won over.
type Yield struct {
	Input int `json:"input"`
	Value any `json:"value"`
}

// Relations are an entity's relations: Out are its own (as its file has them), In are
// other entities' relations that point at it.
type Relations struct {
	Out []Edge `json:"out"`
	In  []Edge `json:"in"`
}

// Edge is a relation: its type and the entity at its other end.
type Edge struct {
	Type string `json:"type"`
	Ref  string `json:"ref"`
}

// HistoryEntry is a commit of the branch that added, changed or deleted the entity.
type HistoryEntry struct {
	Commit  string    `json:"commit"`
	Date    time.Time `json:"date"`
	Op      string    `json:"op"` // added, changed, deleted
	Subject string    `json:"subject"`
}

// CachedSource is a source an offline explain read from the record cache.
type CachedSource struct {
	Source  string    `json:"source"`
	Fetched time.Time `json:"fetched"`
	Records int       `json:"records"`
}

// NotFoundError says that no input and no branch file has the entity asked about.
type NotFoundError struct{ Query, Branch string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s: no input of this compile produces it, and branch %s does not have it", e.Query, e.Branch)
}

// Explain compiles the workspace as Plan does and explains one entity. query is a ref,
// kind:[namespace/]name, or [namespace/]name alone when one entity has that name.
// history bounds the commits listed (0: 20).
func Explain(ctx context.Context, ws *workspace.Workspace, t *Target, query string, opts Options, history int) (*Explanation, error) {
	if history <= 0 {
		history = 20
	}
	tip, err := t.Store.Tip(t.Branch)
	if err != nil {
		return nil, err
	}
	old, err := t.Store.Files(t.Branch)
	if err != nil {
		return nil, err
	}
	base := NewBase(tip, old, t.Store.ReadBlob)
	opts.Base = base
	opts.keepInputs = true
	res, err := Compile(ctx, ws, opts)
	if err != nil {
		return nil, err
	}

	key, known, err := resolve(query, res, old, t.Branch)
	if err != nil {
		return nil, err
	}
	kind, rest, _ := strings.Cut(key, ":")
	ns, name, _ := strings.Cut(rest, "/")
	path := catalog.Ref{Kind: kind, Namespace: ns, Name: name}.Path()
	ex := &Explanation{Ref: key, Path: path, Branch: t.Branch, Inputs: []Input{}, Fields: []FieldOrigin{}, Findings: []string{},
		Relations: Relations{Out: []Edge{}, In: []Edge{}}, History: []HistoryEntry{}}
	for _, n := range sortedKeys(res.Cached) {
		c := res.Cached[n]
		ex.Cached = append(ex.Cached, CachedSource{Source: n, Fetched: c.Fetched.UTC(), Records: c.Records})
	}

	// The inputs, in the order assemble unifies them.
	var cs []contribution
	for _, c := range res.inputs {
		if c.entity.Ref().Key() == key {
			cs = append(cs, c)
		}
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].source != cs[j].source {
			return cs[i].source < cs[j].source
		}
		return cs[i].origin < cs[j].origin
	})
	for i, c := range cs {
		ex.Inputs = append(ex.Inputs, describeInput(i+1, c))
	}
	if len(cs) > 0 {
		ex.Ref = cs[0].entity.Ref().String()
	}

	for _, f := range res.Findings {
		if mentions(f.Message, key) {
			ex.Findings = append(ex.Findings, f.String())
		}
	}

	// The entity: as compiled, or unified here when the compile as a whole failed.
	var merged catalog.Entity
	if res.Snapshot != nil {
		merged = res.Snapshot.Entities[key]
	} else if len(cs) > 0 && len(ex.Findings) == 0 {
		if e, problems := merge(cs); len(problems) == 0 {
			merged = e
		}
	}
	if merged != nil {
		ex.Ref = merged.Ref().String()
		ex.Entity = merged
		ex.Fields = fieldOrigins(merged, cs)
	}

	oldHash, onBranch := old[path]
	ex.OnBranch = onBranch
	var newFile []byte
	if res.Snapshot != nil {
		newFile = res.Snapshot.Files[path]
	}
	switch {
	case res.Snapshot == nil:
		ex.State = "errors"
		if len(ex.Findings) > 0 {
			ex.Why = "the compile has errors about this entity (below); nothing would be committed"
		} else {
			ex.Why = fmt.Sprintf("the compile has %d errors (none about this entity); nothing would be committed", len(res.Findings.Errors()))
		}
	case newFile != nil && !onBranch:
		ex.State, ex.Why = "added", fmt.Sprintf("compiled; not on branch %s yet: the next compile adds it", t.Branch)
	case newFile != nil && plumbing.ComputeHash(plumbing.BlobObject, newFile) == oldHash:
		ex.State, ex.Why = "unchanged", fmt.Sprintf("compiled, and branch %s has it as compiled", t.Branch)
	case newFile != nil:
		ex.State, ex.Why = "changed", fmt.Sprintf("compiled; differs from branch %s: the next compile changes it", t.Branch)
	case onBranch && len(cs) == 0:
		ex.State, ex.Why = "deleted", fmt.Sprintf("no input produces it any more (a record gone, a filter, a mapping change): the next compile deletes it from branch %s", t.Branch)
	case onBranch:
		ex.State, ex.Why = "deleted", fmt.Sprintf("its inputs do not make a valid entity (see the findings): the next compile deletes it from branch %s", t.Branch)
	case len(cs) > 0:
		ex.State, ex.Why = "absent", "its inputs do not make a valid entity (see the findings)"
	default:
		ex.State, ex.Why = "absent", fmt.Sprintf("no input produces it, and branch %s does not have it", t.Branch)
	}

	if res.Snapshot != nil {
		rels, _ := catalog.DeriveRelations(res.Snapshot.Entities)
		for _, r := range rels[key] {
			ex.Relations.Out = append(ex.Relations.Out, Edge{Type: r.Type, Ref: r.TargetRef.String()})
		}
		for _, k := range sortedKeys(rels) {
			if k == key {
				continue
			}
			for _, r := range rels[k] {
				if r.TargetRef.Key() == key {
					ex.Relations.In = append(ex.Relations.In, Edge{Type: r.Type, Ref: res.Snapshot.Entities[k].Ref().String()})
				}
			}
		}
	}

	if !tip.IsZero() {
		ex.History, ex.HistoryTruncated, err = fileHistory(t, tip, path, history)
		if err != nil {
			return nil, err
		}
	}
	if !known {
		if len(ex.History) == 0 {
			return nil, &NotFoundError{Query: query, Branch: t.Branch}
		}
		ex.Why += fmt.Sprintf(" (commit %s deleted it)", ex.History[0].Commit[:12])
	}
	return ex, nil
}

// resolve turns a query into a ref key, among the entities the compile's inputs make and
// the branch has. A full ref that is neither is returned as not known: the branch's
// history may have it.
func resolve(query string, res *Result, old map[string]plumbing.Hash, branch string) (string, bool, error) {
	known := map[string]bool{}
	for _, c := range res.inputs {
		known[c.entity.Ref().Key()] = true
	}
	for p := range old {
		parts := strings.Split(strings.TrimSuffix(p, ".yaml"), "/")
		if len(parts) == 3 {
			known[parts[0]+":"+parts[1]+"/"+parts[2]] = true
		}
	}
	q := strings.ToLower(strings.TrimSpace(query))
	if strings.Contains(q, ":") {
		r, err := catalog.ParseRef(q, "", "default")
		if err != nil {
			return "", false, err
		}
		if err := catalog.ValidateRef(r); err != nil {
			return "", false, fmt.Errorf("%s: %w", query, err)
		}
		return r.Key(), known[r.Key()], nil
	}
	var matches []string
	for k := range known {
		_, rest, _ := strings.Cut(k, ":")
		ns, name, _ := strings.Cut(rest, "/")
		if name == q || ns+"/"+name == q {
			matches = append(matches, k)
		}
	}
	sort.Strings(matches)
	switch len(matches) {
	case 0:
		return "", false, fmt.Errorf("%w (to search the branch's history for an entity it no longer has, give its kind: kind:namespace/name)", &NotFoundError{Query: query, Branch: branch})
	case 1:
		return matches[0], true, nil
	}
	return "", false, fmt.Errorf("%s is ambiguous: %s (give the kind, as kind:namespace/name)", query, strings.Join(matches, ", "))
}

// mentions reports whether a message names the ref key as a whole ref: not as the start
// of a longer name (component:default/pay is not in component:default/payments).
func mentions(msg, key string) bool {
	msg = strings.ToLower(msg)
	for i := 0; ; {
		j := strings.Index(msg[i:], key)
		if j < 0 {
			return false
		}
		end := i + j + len(key)
		if !continuesName(msg, end) {
			return true
		}
		i = end
	}
}

// continuesName reports whether a name goes on at s[i]: a letter or digit, or one of
// "-_." followed by one (a name ends with a letter or digit; "pay." ends a sentence).
func continuesName(s string, i int) bool {
	alnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	switch {
	case i >= len(s):
		return false
	case s[i] == '-' || s[i] == '_' || s[i] == '.':
		return i+1 < len(s) && alnum(s[i+1])
	}
	return alnum(s[i])
}

func describeInput(n int, c contribution) Input {
	in := Input{N: n, Source: c.source, Origin: c.origin, Entity: c.entity}
	switch {
	case c.kept != "":
		in.Kind, in.Kept = "kept", c.kept
	case c.source == DeclaredSource:
		in.Kind, in.Declared = "declared", c.origin
	case c.decl != nil:
		in.Kind, in.Declared = "discovered", c.origin
	default:
		in.Kind = "record"
	}
	if c.rec != nil {
		in.Record = &RecordRef{Type: c.rec.Type, Key: c.rec.Key, Where: c.rec.Where}
	}
	if c.mapping != nil {
		in.Mapping = &MappingRef{Name: c.mapping.Name, Where: c.mapping.Where}
	}
	return in
}

// fieldOrigins attributes each field of the merged entity to the inputs whose own value
// at that path is the merged value. A map no single input gives whole (annotations from
// two sources) is attributed key by key.
func fieldOrigins(merged catalog.Entity, cs []contribution) []FieldOrigin {
	var out []FieldOrigin
	var walk func(path []string, v any, depth int)
	walk = func(path []string, v any, depth int) {
		if len(path) == 3 && path[0] == "metadata" && path[1] == "annotations" &&
			(path[2] == catalog.AnnotationSource || path[2] == catalog.AnnotationOrigin) {
			return // provenance: pane writes it from the inputs themselves
		}
		want := canonicalJSON(v)
		f := FieldOrigin{Path: dotted(path), Value: v, From: []int{}}
		for i, c := range cs {
			own, ok := at(c.entity, path)
			if !ok {
				continue
			}
			if canonicalJSON(own) == want {
				f.From = append(f.From, i+1)
			} else if _, isMap := own.(map[string]any); !isMap {
				f.Yielded = append(f.Yielded, Yield{Input: i + 1, Value: own})
			}
		}
		if m, ok := v.(map[string]any); ok && len(f.From) == 0 && depth < 6 {
			for _, k := range sortedKeys(m) {
				walk(append(append([]string(nil), path...), k), m[k], depth+1)
			}
			return
		}
		out = append(out, f)
	}
	for _, top := range []string{"apiVersion", "kind"} {
		if v, ok := merged[top]; ok {
			walk([]string{top}, v, 0)
		}
	}
	for _, top := range []string{"metadata", "spec"} {
		m, _ := merged[top].(map[string]any)
		for _, k := range sortedKeys(m) {
			walk([]string{top, k}, m[k], 1)
		}
	}
	var rest []string
	for k := range merged {
		switch k {
		case "apiVersion", "kind", "metadata", "spec", "relations":
		default:
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		walk([]string{k}, merged[k], 0)
	}
	return out
}

func at(e catalog.Entity, path []string) (any, bool) {
	var cur any = map[string]any(e)
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// dotted writes a field path as plan does: keys with '.', '"' or ' ' quoted.
func dotted(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		if strings.ContainsAny(p, ".\" ") {
			p = strconv.Quote(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, ".")
}

// canonicalJSON compares values across their Go types (int64 from YAML, float64 or
// int64 from CUE): maps marshal with sorted keys.
func canonicalJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%#v", v)
	}
	return string(b)
}

// fileHistory walks the branch from its tip along first parents and lists the commits
// that added, changed or deleted path, up to max of them.
func fileHistory(t *Target, tip plumbing.Hash, path string, max int) ([]HistoryEntry, bool, error) {
	repo := t.Store.Repository()
	c, err := repo.CommitObject(tip)
	if err != nil {
		return nil, false, fmt.Errorf("branch %s: %w", t.Branch, err)
	}
	blobAt := func(c *object.Commit) (plumbing.Hash, error) {
		tree, err := c.Tree()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		e, err := tree.FindEntry(path)
		if errors.Is(err, object.ErrEntryNotFound) || errors.Is(err, object.ErrDirectoryNotFound) || errors.Is(err, object.ErrFileNotFound) {
			return plumbing.ZeroHash, nil
		}
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return e.Hash, nil
	}
	out := []HistoryEntry{}
	cur, err := blobAt(c)
	if err != nil {
		return nil, false, fmt.Errorf("commit %s: %w", c.Hash, err)
	}
	for c != nil {
		var parent *object.Commit
		prev := plumbing.ZeroHash
		if c.NumParents() > 0 {
			parent, err = c.Parent(0)
			if errors.Is(err, plumbing.ErrObjectNotFound) {
				// A shallow clone: the history stops here, and it says so.
				return out, true, nil
			}
			if err != nil {
				return nil, false, fmt.Errorf("commit %s: %w", c.Hash, err)
			}
			if prev, err = blobAt(parent); err != nil {
				return nil, false, fmt.Errorf("commit %s: %w", parent.Hash, err)
			}
		}
		if cur != prev {
			if len(out) == max {
				return out, true, nil
			}
			op := "changed"
			switch {
			case prev.IsZero():
				op = "added"
			case cur.IsZero():
				op = "deleted"
			}
			subject, _, _ := strings.Cut(c.Message, "\n")
			out = append(out, HistoryEntry{Commit: c.Hash.String(), Date: c.Committer.When.UTC(), Op: op, Subject: subject})
		}
		c, cur = parent, prev
	}
	return out, false, nil
}

// WriteJSON writes the explanation as indented JSON.
func (ex *Explanation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ex)
}

// WriteText writes the explanation for people.
func (ex *Explanation) WriteText(out io.Writer) error {
	w := &errWriter{w: out}
	for _, c := range ex.Cached {
		fmt.Fprintf(w, "offline: source %s from the record cache: %d records fetched %s ago (%s)\n", c.Source, c.Records, plan.Age(time.Since(c.Fetched)), c.Fetched.Format(time.RFC3339))
	}
	if len(ex.Cached) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "%s\n  %s: %s\n", ex.Ref, ex.State, ex.Why)
	if ex.OnBranch {
		fmt.Fprintf(w, "  file %s on branch %s\n", ex.Path, ex.Branch)
	} else {
		fmt.Fprintf(w, "  file %s (not on branch %s)\n", ex.Path, ex.Branch)
	}

	fmt.Fprintf(w, "\ninputs (%d):\n", len(ex.Inputs))
	if len(ex.Inputs) == 0 {
		fmt.Fprintf(w, "  none: no declaration, and no record a mapping turns into this entity\n")
	}
	for _, in := range ex.Inputs {
		lead := fmt.Sprintf("  [%d] %-10s", in.N, in.Kind)
		indent := strings.Repeat(" ", len(lead)+1)
		switch in.Kind {
		case "declared":
			fmt.Fprintf(w, "%s %s\n", lead, in.Declared)
		case "discovered":
			fmt.Fprintf(w, "%s %s, found by source %s\n", lead, in.Declared, in.Source)
		case "kept":
			fmt.Fprintf(w, "%s %s on the branch, for source %s (failed or blocked)\n", lead, in.Kept, in.Source)
		default:
			fmt.Fprintf(w, "%s source %s, record %s %q", lead, in.Source, in.Record.Type, in.Record.Key)
			if in.Record.Where != "" {
				fmt.Fprintf(w, " (%s)", in.Record.Where)
			}
			fmt.Fprintln(w)
		}
		if in.Mapping != nil {
			fmt.Fprintf(w, "%smapping %s at %s\n", indent, in.Mapping.Name, in.Mapping.Where)
		}
	}

	if len(ex.Fields) > 0 {
		fmt.Fprintf(w, "\nfields (value, then the inputs it came from):\n")
		width, vwidth := 0, 0
		for _, f := range ex.Fields {
			width = max(width, len(f.Path))
			vwidth = max(vwidth, utf8.RuneCountInString(shortValue(f.Value)))
		}
		for _, f := range ex.Fields {
			from := "unified"
			if len(f.From) > 0 {
				from = inputList(f.From)
			}
			v := shortValue(f.Value)
			fmt.Fprintf(w, "  %-*s  %s%s  %s", width, f.Path, v, strings.Repeat(" ", vwidth-utf8.RuneCountInString(v)), from)
			for _, y := range f.Yielded {
				fmt.Fprintf(w, "  ([%d] had %s, a default that gave way)", y.Input, shortValue(y.Value))
			}
			fmt.Fprintln(w)
		}
	}

	if len(ex.Relations.Out)+len(ex.Relations.In) > 0 {
		fmt.Fprintf(w, "\nrelations:\n")
		for _, r := range ex.Relations.Out {
			fmt.Fprintf(w, "  out  %-14s %s\n", r.Type, r.Ref)
		}
		for _, r := range ex.Relations.In {
			fmt.Fprintf(w, "  in   %-14s from %s\n", r.Type, r.Ref)
		}
	}

	if len(ex.Findings) > 0 {
		fmt.Fprintf(w, "\nfindings:\n")
		for _, f := range ex.Findings {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}

	fmt.Fprintf(w, "\nhistory on branch %s:\n", ex.Branch)
	if len(ex.History) == 0 {
		fmt.Fprintf(w, "  no commit has touched %s\n", ex.Path)
	}
	for _, h := range ex.History {
		fmt.Fprintf(w, "  %s %s %-7s %s\n", h.Commit[:12], h.Date.Format("2006-01-02 15:04"), h.Op, h.Subject)
	}
	if ex.HistoryTruncated {
		fmt.Fprintf(w, "  … older commits not listed (git log -p %s -- %s)\n", ex.Branch, ex.Path)
	}
	return w.err
}

func inputList(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = "[" + strconv.Itoa(n) + "]"
	}
	return strings.Join(parts, " ")
}

// shortValue renders a value on one line, bounded.
func shortValue(v any) string {
	s := canonicalJSON(v)
	if len(s) > 60 {
		cut := 57
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// errWriter keeps the first write error, so a run of Fprintf calls is checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}
