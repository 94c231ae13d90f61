// Package plan computes what a compile would change on the catalog branch: entities
// added, changed and deleted, grouped by the source that owns them, and renders that as
// text, markdown, JSON, or a commit message.
package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
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
}

// SourceChanges lists one source's changes by op, each sorted by ref.
type SourceChanges struct {
	Added   []string `json:"added"`
	Changed []string `json:"changed"`
	Deleted []string `json:"deleted"`
}

// Plan is the difference between the catalog branch and a compiled snapshot.
type Plan struct {
	Branch  string                    `json:"branch"`
	Base    string                    `json:"base"` // commit the plan is against; "" for a new branch
	Changes []Change                  `json:"-"`
	Sources map[string]*SourceChanges `json:"sources"`
	Summary struct {
		Added   int `json:"added"`
		Changed int `json:"changed"`
		Deleted int `json:"deleted"`
	} `json:"summary"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

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
		p.Changes = append(p.Changes, Change{Op: op, Ref: ref, Path: path, Sources: sources})
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
			sc := p.Sources[s]
			if sc == nil {
				sc = &SourceChanges{Added: []string{}, Changed: []string{}, Deleted: []string{}}
				p.Sources[s] = sc
			}
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
	if p.Empty() {
		_, err := fmt.Fprintf(w, "No changes: the catalog on branch %s is up to date.\n", p.Branch)
		return err
	}
	fmt.Fprintf(w, "Plan for branch %s: %s (added, changed, deleted)\n", p.Branch, p.Headline())
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		fmt.Fprintf(w, "\n%s: +%d ~%d -%d\n", n, len(sc.Added), len(sc.Changed), len(sc.Deleted))
		for _, r := range sc.Added {
			fmt.Fprintf(w, "  + %s\n", r)
		}
		for _, r := range sc.Changed {
			fmt.Fprintf(w, "  ~ %s\n", r)
		}
		for _, r := range sc.Deleted {
			fmt.Fprintf(w, "  - %s\n", r)
		}
	}
	return w.err
}

// WriteMarkdown writes the plan for a pull request comment.
func (p *Plan) WriteMarkdown(out io.Writer) error {
	w := &errWriter{w: out}
	if p.Empty() {
		_, err := fmt.Fprintf(w, "### pane plan: no changes\n\nThe catalog on branch `%s` is up to date.\n", p.Branch)
		return err
	}
	fmt.Fprintf(w, "### pane plan: `%s`\n\n| source | added | changed | deleted |\n|---|---:|---:|---:|\n", p.Headline())
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		fmt.Fprintf(w, "| %s | %d | %d | %d |\n", n, len(sc.Added), len(sc.Changed), len(sc.Deleted))
	}
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		fmt.Fprintf(w, "\n<details><summary>%s</summary>\n\n", n)
		for _, r := range sc.Added {
			fmt.Fprintf(w, "- added `%s`\n", r)
		}
		for _, r := range sc.Changed {
			fmt.Fprintf(w, "- changed `%s`\n", r)
		}
		for _, r := range sc.Deleted {
			fmt.Fprintf(w, "- deleted `%s`\n", r)
		}
		fmt.Fprintf(w, "\n</details>\n")
	}
	return w.err
}

// maxMessageRefs bounds the refs listed in a commit message.
const maxMessageRefs = 500

// SourceLines returns "NAME: +A ~C -D" for each source, sorted by name.
func (p *Plan) SourceLines() []string {
	var lines []string
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
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
	return b.String()
}
