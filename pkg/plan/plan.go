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
	"time"

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
func (f FieldChange) String() string { return f.render(false) }

// render is String, with old values in red and new ones in green when c is on.
func (f FieldChange) render(c painter) string {
	if f.Added != nil || f.Removed != nil {
		var parts []string
		for _, x := range f.Added {
			parts = append(parts, c.paint(green, "+"+short(x)))
		}
		for _, x := range f.Removed {
			parts = append(parts, c.paint(red, "-"+short(x)))
		}
		return f.Path + ": " + strings.Join(parts, " ")
	}
	return fmt.Sprintf("%s: %s -> %s", f.Path, c.paint(red, short(f.Old)), c.paint(green, short(f.New)))
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
	// Cached is set when the source was not fetched: its records came from the record
	// cache of an earlier compile (pane plan --offline).
	Cached *Cached `json:"cached,omitempty"`
}

// Cached says where an offline plan took a source's records from: the records an
// earlier compile fetched, when, and how long before this plan.
type Cached struct {
	Fetched    time.Time `json:"fetched"`
	AgeSeconds int64     `json:"ageSeconds"`
	Records    int       `json:"records"`
}

// Age is how long before the plan the records were fetched.
func (c *Cached) Age() time.Duration { return time.Duration(c.AgeSeconds) * time.Second }

// describe is "3 records fetched 2h5m ago (2026-01-02T03:04:05Z)".
func (c *Cached) describe() string {
	return fmt.Sprintf("%s fetched %s ago (%s)", count(c.Records, "record", "records"), Age(c.Age()), c.Fetched.UTC().Format(time.RFC3339))
}

// Age renders a duration the way people say it: 45s, 12m, 3h5m, 2d4h.
func Age(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

func count(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// FormatVersion is the version of the JSON form (docs/plan-json.md). It changes only
// when a field changes meaning or goes away; new fields may appear within a version.
const FormatVersion = 1

// Plan is the difference between the catalog branch and a compiled snapshot. Its JSON
// form is documented, field by field, in docs/plan-json.md.
type Plan struct {
	FormatVersion int                       `json:"formatVersion"`
	Branch        string                    `json:"branch"`
	Base          string                    `json:"base"` // commit the plan is against; "" for a new branch
	Changes       []Change                  `json:"changes"`
	Sources       map[string]*SourceChanges `json:"sources"`
	Summary       struct {
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

// SetCached records that a source's records came from the record cache, not a fetch.
func (p *Plan) SetCached(source string, c Cached) {
	p.source(source).Cached = &c
}

// CachedSources lists the sources whose records came from the record cache, sorted.
func (p *Plan) CachedSources() []string {
	var out []string
	for _, n := range p.sourceNames() {
		if p.Sources[n].Cached != nil {
			out = append(out, n)
		}
	}
	return out
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
	return DiffKnown(branch, base, old, read, files, nil)
}

// Known is what the caller already knows about the new files, so that Diff need not
// hash or parse them again: blob hashes, and each file's ref and owning sources.
type Known struct {
	Hashes  map[string]plumbing.Hash
	Refs    map[string]string
	Sources map[string][]string
}

// DiffKnown is Diff with what the caller knows of the new files; any path it does not
// know is hashed and parsed as Diff does.
func DiffKnown(branch string, base plumbing.Hash, old map[string]plumbing.Hash, read func(path string) ([]byte, error), files map[string][]byte, known *Known) (*Plan, error) {
	if known == nil {
		known = &Known{}
	}
	p := &Plan{FormatVersion: FormatVersion, Branch: branch, Sources: map[string]*SourceChanges{}, Changes: []Change{}}
	if !base.IsZero() {
		p.Base = base.String()
	}
	for path, b := range files {
		h, ok := old[path]
		op := Added
		if ok {
			nh, hashed := known.Hashes[path]
			if !hashed {
				nh = plumbing.ComputeHash(plumbing.BlobObject, b)
			}
			if h == nh {
				continue
			}
			op = Changed
		}
		ref, refKnown := known.Refs[path]
		sources, srcKnown := known.Sources[path]
		if !refKnown || !srcKnown {
			var err error
			if ref, sources, err = identify(b); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
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

// WriteText writes the plan for a terminal, without color.
func (p *Plan) WriteText(out io.Writer) error { return p.WriteTextColor(out, false) }

// WriteTextColor writes the plan for a terminal, in the manner of terraform plan: what
// was held back first, then a line per entity marked + ~ -, and for a changed entity
// each field that changed. With color, additions are green, changes yellow, deletions
// and failures red.
func (p *Plan) WriteTextColor(out io.Writer, color bool) error {
	w := &errWriter{w: out}
	c := painter(color)
	for _, n := range p.CachedSources() {
		fmt.Fprintf(w, "%s source %s from the record cache: %s\n", c.paint(cyan, "offline:"), n, p.Sources[n].Cached.describe())
	}
	for _, n := range p.HeldBack() {
		sc := p.Sources[n]
		if sc.Failed != "" {
			fmt.Fprintf(w, "%s source %s %s: %s\n  %d of its entities kept as the branch has them\n", c.paint(boldRed, "!"), n, c.paint(boldRed, "FAILED"), sc.Failed, len(sc.Kept))
		}
		if sc.Blocked != "" {
			fmt.Fprintf(w, "%s source %s deletions %s: %s\n  %d of its entities kept\n", c.paint(boldRed, "!"), n, c.paint(boldRed, "BLOCKED"), sc.Blocked, len(sc.Kept))
		}
	}
	if len(p.CachedSources())+len(p.HeldBack()) > 0 {
		fmt.Fprintln(w)
	}
	if p.Empty() {
		_, err := fmt.Fprintf(w, "No changes: the catalog on branch %s is up to date.\n", p.Branch)
		if w.err != nil {
			return w.err
		}
		return err
	}
	fmt.Fprintf(w, "%s %s (added, changed, deleted)\n", c.paint(bold, "Plan for branch "+p.Branch+":"), p.headline(c))
	fields := p.fieldsByRef()
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		if len(sc.Added)+len(sc.Changed)+len(sc.Deleted) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s\n", c.paint(bold, n), counts(c, len(sc.Added), len(sc.Changed), len(sc.Deleted)))
		for _, r := range sc.Added {
			fmt.Fprintf(w, "  %s\n", c.paint(green, "+ "+r))
		}
		for _, r := range sc.Changed {
			fmt.Fprintf(w, "  %s\n", c.paint(yellow, "~ "+r))
			for _, f := range fields[r] {
				fmt.Fprintf(w, "      %s\n", f.render(c))
			}
		}
		for _, r := range sc.Deleted {
			fmt.Fprintf(w, "  %s\n", c.paint(red, "- "+r))
		}
	}
	return w.err
}

// headline is Headline, colored.
func (p *Plan) headline(c painter) string {
	return counts(c, p.Summary.Added, p.Summary.Changed, p.Summary.Deleted)
}

func counts(c painter, a, ch, d int) string {
	return c.paint(green, fmt.Sprintf("+%d", a)) + " " + c.paint(yellow, fmt.Sprintf("~%d", ch)) + " " + c.paint(red, fmt.Sprintf("-%d", d))
}

// painter wraps text in ANSI color codes when it is on.
type painter bool

const (
	bold    = "1"
	red     = "31"
	green   = "32"
	yellow  = "33"
	cyan    = "36"
	boldRed = "1;31"
)

func (c painter) paint(code, s string) string {
	if !c || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
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
