// Package plan computes what a compile would change on the catalog branch: entities
// added, changed and deleted, grouped by the source that owns them, and renders that as
// text, markdown, JSON, or a commit message.
package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"go.yaml.in/yaml/v3"

	"github.com/pane-dev/pane/pkg/catalog"
)

// Op is what happens to an entity.
type Op string

const (
	Added   Op = "added"
	Changed Op = "changed"
	Deleted Op = "deleted"
)

// Change is one entity's change.
type Change struct {
	Op      Op       `json:"op"`
	Ref     string   `json:"ref"`
	Path    string   `json:"path"`
	Sources []string `json:"sources"`
	// Fields lists, for a changed entity, each field whose value changed.
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field of a changed entity: its path and both values (absent is
// null).
type FieldChange struct {
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
	// For lists on both sides: the items only the new one has, and only the old one.
	Added   []any `json:"added,omitempty"`
	Removed []any `json:"removed,omitempty"`
}

// String renders the change on one line.
func (f FieldChange) String() string {
	if f.Added != nil || f.Removed != nil {
		var parts []string
		for _, x := range f.Added {
			parts = append(parts, "+"+short(x))
		}
		for _, x := range f.Removed {
			parts = append(parts, "-"+short(x))
		}
		return f.Path + ": " + strings.Join(parts, " ")
	}
	return fmt.Sprintf("%s: %s -> %s", f.Path, short(f.Old), short(f.New))
}

// SourceStatus is what reconciliation held back for a source.
type SourceStatus struct {
	Failed  string   // the fetch error
	Blocked string   // why its deletions were held back
	Kept    []string // refs kept as the branch has them
}

// SourceChanges lists one source's changes by op, each sorted by ref.
type SourceChanges struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Deleted []string `json:"deleted"`
	// Failed is the source's fetch error: its entities are kept as they were.
	Failed string `json:"failed,omitempty"`
	// Blocked says why its deletions were held back (threshold, empty answer).
	Blocked string `json:"blocked,omitempty"`
	// Kept lists the refs kept as the branch has them because of Failed or Blocked.
	Kept []string `json:"kept,omitempty"`
}

// Plan is the difference between the catalog branch and a compiled snapshot.
type Plan struct {
	Branch  string                    `json:"branch"`
	Base    string                    `json:"base"` // commit the plan is against; "" for a new branch
	Changes []Change                  `json:"changes"`
	Sources map[string]*SourceChanges `json:"sources"`
	Summary struct {
		Added   int `json:"added"`
		Changed int `json:"changed"`
		Deleted int `json:"deleted"`
	} `json:"summary"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// SetStatus records what reconciliation held back for a source.
func (p *Plan) SetStatus(source string, st *SourceStatus) {
	sc := p.source(source)
	sc.Failed, sc.Blocked = st.Failed, st.Blocked
	sc.Kept = append([]string(nil), st.Kept...)
	sort.Strings(sc.Kept)
}

// HeldBack lists the sources that failed or whose deletions were blocked, sorted.
func (p *Plan) HeldBack() []string {
	var out []string
	for _, n := range p.sourceNames() {
		if sc := p.Sources[n]; sc.Failed != "" || sc.Blocked != "" {
			out = append(out, n)
		}
	}
	return out
}

func (p *Plan) source(name string) *SourceChanges {
	sc := p.Sources[name]
	if sc == nil {
		sc = &SourceChanges{Added: []string{}, Changed: []string{}, Deleted: []string{}}
		p.Sources[name] = sc
	}
	return sc
}

// Diff compares the branch's files (path -> blob hash) with the new snapshot's files.
// read returns an old file's bytes; it is called only for deleted files, to learn which
// source owned them.
func Diff(branch string, base plumbing.Hash, old map[string]plumbing.Hash, read func(path string) ([]byte, error), files map[string][]byte) (*Plan, error) {
	p := &Plan{Branch: branch, Sources: map[string]*SourceChanges{}}
	if !base.IsZero() {
		p.Base = base.String()
	}
	for path, b := range files {
		h, ok := old[path]
		op := Added
		if ok {
			if h == plumbing.ComputeHash(plumbing.BlobObject, b) {
				continue
			}
			op = Changed
		}
		ref, sources, err := identify(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		c := Change{Op: op, Ref: ref, Path: path, Sources: sources}
		if op == Changed {
			if ob, err := read(path); err == nil {
				c.Fields = fieldDiff(ob, b)
			}
		}
		p.Changes = append(p.Changes, c)
	}
	for path := range old {
		if _, ok := files[path]; ok {
			continue
		}
		ref, sources := refOfPath(path), []string{"unknown"}
		if b, err := read(path); err == nil {
			if r, s, err := identify(b); err == nil {
				ref, sources = r, s
			}
		}
		p.Changes = append(p.Changes, Change{Op: Deleted, Ref: ref, Path: path, Sources: sources})
	}
	sort.Slice(p.Changes, func(i, j int) bool { return p.Changes[i].Path < p.Changes[j].Path })
	for _, c := range p.Changes {
		switch c.Op {
		case Added:
			p.Summary.Added++
		case Changed:
			p.Summary.Changed++
		case Deleted:
			p.Summary.Deleted++
		}
		for _, s := range c.Sources {
			sc := p.source(s)
			switch c.Op {
			case Added:
				sc.Added = append(sc.Added, c.Ref)
			case Changed:
				sc.Changed = append(sc.Changed, c.Ref)
			case Deleted:
				sc.Deleted = append(sc.Deleted, c.Ref)
			}
		}
	}
	for _, sc := range p.Sources {
		sort.Strings(sc.Added)
		sort.Strings(sc.Changed)
		sort.Strings(sc.Deleted)
	}
	return p, nil
}

// refOfPath is the ref of an entity file <kind>/<namespace>/<name>.yaml, as its path
// spells it (lower case), for when the file itself cannot be read.
func refOfPath(path string) string {
	parts := strings.Split(strings.TrimSuffix(path, ".yaml"), "/")
	if len(parts) != 3 {
		return path
	}
	return parts[0] + ":" + parts[1] + "/" + parts[2]
}

// identify reads an entity file's ref and owning sources.
func identify(b []byte) (string, []string, error) {
	var e map[string]any
	if err := yaml.Unmarshal(b, &e); err != nil {
		return "", nil, err
	}
	ent := catalog.Entity(e)
	sources := strings.Split(ent.Annotation(catalog.AnnotationSource), ",")
	if len(sources) == 1 && sources[0] == "" {
		sources = []string{"unknown"}
	}
	return ent.Ref().String(), sources, nil
}

func (p *Plan) sourceNames() []string {
	names := make([]string, 0, len(p.Sources))
	for n := range p.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Headline is "+A ~C -D".
func (p *Plan) Headline() string {
	return fmt.Sprintf("+%d ~%d -%d", p.Summary.Added, p.Summary.Changed, p.Summary.Deleted)
}

// WriteJSON writes the plan as indented JSON.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// errWriter keeps the first write error, so a run of Fprintf calls can be checked once.
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

// WriteText writes the plan for a terminal.
func (p *Plan) WriteText(out io.Writer) error {
	w := &errWriter{w: out}
	for _, n := range p.HeldBack() {
		sc := p.Sources[n]
		if sc.Failed != "" {
			fmt.Fprintf(w, "! source %s FAILED: %s\n  %d of its entities kept as the branch has them\n", n, sc.Failed, len(sc.Kept))
		}
		if sc.Blocked != "" {
			fmt.Fprintf(w, "! source %s deletions BLOCKED: %s\n  %d of its entities kept\n", n, sc.Blocked, len(sc.Kept))
		}
	}
	if p.Empty() {
		_, err := fmt.Fprintf(w, "No changes: the catalog on branch %s is up to date.\n", p.Branch)
		if w.err != nil {
			return w.err
		}
		return err
	}
	fmt.Fprintf(w, "Plan for branch %s: %s (added, changed, deleted)\n", p.Branch, p.Headline())
	fields := p.fieldsByRef()
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		if len(sc.Added)+len(sc.Changed)+len(sc.Deleted) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: +%d ~%d -%d\n", n, len(sc.Added), len(sc.Changed), len(sc.Deleted))
		for _, r := range sc.Added {
			fmt.Fprintf(w, "  + %s\n", r)
		}
		for _, r := range sc.Changed {
			fmt.Fprintf(w, "  ~ %s\n", r)
			for _, f := range fields[r] {
				fmt.Fprintf(w, "      %s\n", f)
			}
		}
		for _, r := range sc.Deleted {
			fmt.Fprintf(w, "  - %s\n", r)
		}
	}
	return w.err
}

func (p *Plan) fieldsByRef() map[string][]FieldChange {
	m := map[string][]FieldChange{}
	for _, c := range p.Changes {
		if len(c.Fields) > 0 {
			m[c.Ref] = c.Fields
		}
	}
	return m
}

// WriteMarkdown writes the plan for a pull request comment.
func (p *Plan) WriteMarkdown(out io.Writer) error {
	w := &errWriter{w: out}
	held := p.HeldBack()
	if p.Empty() && len(held) == 0 {
		_, err := fmt.Fprintf(w, "### pane plan: no changes\n\nThe catalog on branch `%s` is up to date.\n", p.Branch)
		return err
	}
	fmt.Fprintf(w, "### pane plan: `%s`\n\n", p.Headline())
	for _, n := range held {
		sc := p.Sources[n]
		if sc.Failed != "" {
			fmt.Fprintf(w, "> [!WARNING]\n> **Source `%s` failed**: %s. Its %d entities are kept as the branch has them.\n\n", n, mdEscape(sc.Failed), len(sc.Kept))
		}
		if sc.Blocked != "" {
			fmt.Fprintf(w, "> [!WARNING]\n> **Deletions from `%s` blocked**: %s.\n\n", n, mdEscape(sc.Blocked))
		}
	}
	fmt.Fprintf(w, "| source | added | changed | deleted |\n|---|---:|---:|---:|\n")
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		fmt.Fprintf(w, "| %s | %d | %d | %d |\n", mdEscape(n), len(sc.Added), len(sc.Changed), len(sc.Deleted))
	}
	fields := p.fieldsByRef()
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		if len(sc.Added)+len(sc.Changed)+len(sc.Deleted) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n<details><summary>%s</summary>\n\n", mdEscape(n))
		for _, r := range sc.Added {
			fmt.Fprintf(w, "- added `%s`\n", r)
		}
		for _, r := range sc.Changed {
			fmt.Fprintf(w, "- changed `%s`\n", r)
			for _, f := range fields[r] {
				fmt.Fprintf(w, "  - `%s`\n", mdCode(f.String()))
			}
		}
		for _, r := range sc.Deleted {
			fmt.Fprintf(w, "- deleted `%s`\n", r)
		}
		fmt.Fprintf(w, "\n</details>\n")
	}
	return w.err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "\n", " ").Replace(s)
}

func mdCode(s string) string { return strings.ReplaceAll(s, "`", "'") }

// maxMessageRefs bounds the refs listed in a commit message.
const maxMessageRefs = 500

// SourceLines returns "NAME: +A ~C -D" for each source, sorted by name.
func (p *Plan) SourceLines() []string {
	var lines []string
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		if len(sc.Added)+len(sc.Changed)+len(sc.Deleted) == 0 && sc.Failed == "" && sc.Blocked == "" {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: +%d ~%d -%d", n, len(sc.Added), len(sc.Changed), len(sc.Deleted)))
	}
	return lines
}

// CommitMessage summarises the plan: a subject with the counts, a line per source, and
// the refs (up to a bound).
func (p *Plan) CommitMessage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pane: %s\n\n", p.Headline())
	for _, l := range p.SourceLines() {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	for i, c := range p.Changes {
		if i == maxMessageRefs {
			fmt.Fprintf(&b, "... and %d more\n", len(p.Changes)-maxMessageRefs)
			break
		}
		sign := map[Op]string{Added: "+", Changed: "~", Deleted: "-"}[c.Op]
		fmt.Fprintf(&b, "%s %s\n", sign, c.Ref)
	}
	// Trailers: what was held back, so the log says it too.
	if held := p.HeldBack(); len(held) > 0 {
		b.WriteString("\n")
		for _, n := range held {
			sc := p.Sources[n]
			if sc.Failed != "" {
				fmt.Fprintf(&b, "Pane-Source-Failed: %s: %s\n", n, oneLine(sc.Failed))
			}
			if sc.Blocked != "" {
				fmt.Fprintf(&b, "Pane-Deletions-Blocked: %s: %s\n", n, oneLine(sc.Blocked))
			}
		}
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

const maxShown = 80

// short renders a field value on one line, bounded.
func short(v any) string {
	if v == nil {
		return "(none)"
	}
	var s string
	switch x := v.(type) {
	case string:
		s = strconv.Quote(x)
	case map[string]any:
		if t, ok := x["type"].(string); ok && len(x) == 2 {
			if r, ok := x["targetRef"].(string); ok {
				return t + " " + r // a relation
			}
		}
		b, _ := json.Marshal(x)
		s = string(b)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			s = fmt.Sprint(x)
		} else {
			s = string(b)
		}
	}
	if len(s) > maxShown {
		s = s[:maxShown-3] + "..."
	}
	return s
}

// fieldDiff lists the fields whose values differ between two entity files: maps are
// compared key by key, anything else as a whole.
func fieldDiff(oldYAML, newYAML []byte) []FieldChange {
	var a, b map[string]any
	if yaml.Unmarshal(oldYAML, &a) != nil || yaml.Unmarshal(newYAML, &b) != nil {
		return nil
	}
	var out []FieldChange
	diffValues("", a, b, &out)
	return out
}

func diffValues(path string, a, b any, out *[]FieldChange) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			p := k
			if strings.ContainsAny(k, ".\" ") {
				p = strconv.Quote(k)
			}
			if path != "" {
				p = path + "." + p
			}
			diffValues(p, am[k], bm[k], out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok {
		added, removed := listDiff(al, bl), listDiff(bl, al)
		if len(added)+len(removed) > 0 {
			*out = append(*out, FieldChange{Path: path, Added: added, Removed: removed})
		} else if !reflect.DeepEqual(a, b) {
			*out = append(*out, FieldChange{Path: path, Old: a, New: b}) // reordered
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, FieldChange{Path: path, Old: a, New: b})
	}
}

// listDiff returns the items of b that a does not have.
func listDiff(a, b []any) []any {
	var out []any
	for _, y := range b {
		found := false
		for _, x := range a {
			if reflect.DeepEqual(x, y) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, y)
		}
	}
	return out
}
