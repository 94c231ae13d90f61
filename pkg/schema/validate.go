package schema

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	"github.com/pane-dev/pane/pkg/catalog"
)

// Problem is one way an entity does not fit the schema of its kind.
type Problem struct {
	// Path is the field the problem is in, written as Backstage writes field paths:
	// spec.owner, metadata.tags.1, metadata.labels.tier. A key holding a dot is quoted:
	// metadata.annotations."example.com/x". Path is empty when the problem is with the
	// entity as a whole.
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Validate checks one entity against the schema of its kind and returns every
// problem, sorted by path; none means the entity is valid. A kind the schemas do not
// know is a problem that lists the known kinds. Validate never panics, whatever the
// entity holds.
//
// Most entities are valid, and the kind's fast checker (fast.go) passes them without
// CUE; an entity it does not pass, and every entity of a kind without one, goes
// through CUE, which alone says what is wrong.
func (s *Schemas) Validate(e catalog.Entity) []Problem { return s.validate(e, true) }

// validate is Validate, with the fast checker or without it (CUE alone).
func (s *Schemas) validate(e catalog.Entity, fast bool) (problems []Problem) {
	defer func() {
		// Belt and braces: a panic inside CUE on some odd input must not take the
		// compile down with it; the entity is reported instead.
		if r := recover(); r != nil {
			problems = []Problem{{Message: fmt.Sprintf("cannot be validated: internal error: %v", r)}}
		}
	}()
	if e == nil {
		return []Problem{{Message: "entity is empty"}}
	}
	raw, ok := e["kind"]
	if !ok {
		return []Problem{{Path: "kind", Message: msgRequired}}
	}
	kind, ok := raw.(string)
	if !ok {
		return []Problem{{Path: "kind", Message: fmt.Sprintf("must be a string, is %s", goTypeName(raw))}}
	}
	sch, ok := s.kinds[kind]
	if !ok {
		return []Problem{{Path: "kind", Message: s.unknownKind(kind)}}
	}
	if fast {
		if n := s.fast[kind]; n != nil && n.check(map[string]any(e)) {
			return nil
		}
	}
	data := s.ctx.Encode(map[string]any(e))
	if err := data.Err(); err != nil {
		return []Problem{{Message: "cannot be read as JSON-like data: " + firstMsg(err)}}
	}
	v := sch.Unify(data)
	if v.Validate(cue.Concrete(true)) == nil {
		return nil
	}
	c := &collector{s: s, data: data, merged: v, schema: sch, prefix: selectorStrings(sch.Path())}
	c.collect(nil)
	return c.problems()
}

func (s *Schemas) unknownKind(kind string) string {
	msg := fmt.Sprintf("unknown kind %q (known kinds: %s)", kind, strings.Join(s.names, ", "))
	for _, k := range s.names {
		if strings.EqualFold(k, kind) {
			return msg + fmt.Sprintf("; kinds are case-sensitive: did you mean %q?", k)
		}
	}
	return msg
}

// collector gathers every error under a value. CUE's Validate stops descending at a
// value that is itself an error (a struct with a failing field becomes one), so the
// problems further down, such as a missing required field next to an invalid one, would
// be lost; collect goes down those values itself.
type collector struct {
	s      *Schemas
	data   cue.Value // the entity alone, to walk and to show values as written
	merged cue.Value // the entity unified with its kind's schema
	schema cue.Value // the kind's schema
	prefix []string  // the kind's own path (kinds, Component), which CUE's error paths start with
	seen   map[string]bool
	errs   []rawError
	// truncated is set when collect stopped at maxErrors.
	truncated bool
}

// maxErrors bounds the work spent on one entity's errors: an entity with thousands of
// bad fields is reported by its first ones.
const maxErrors = 100

type rawError struct {
	path   []string // CUE selectors as strings, the kind's prefix dropped
	format string
	args   []any
}

// collect walks the entity's own fields, validating the merged value at each: CUE
// reports an error only once it reaches it, and a struct holding an invalid field is
// itself an error CUE does not look into. At each struct it also reports the fields
// the schema does not allow and the required fields the entity lacks. This runs only
// for an entity already known to be invalid.
func (c *collector) collect(sels []cue.Selector) {
	if len(c.errs) >= maxErrors {
		c.truncated = true
		return
	}
	path := cue.MakePath(sels...)
	v := c.merged.LookupPath(path)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		for _, e := range cueerrors.Errors(err) {
			format, args := e.Msg()
			c.add(c.local(e.Path()), format, args)
		}
	}
	d := c.data.LookupPath(path)
	switch d.Kind() {
	case cue.StructKind:
		it, err := d.Fields()
		if err != nil {
			return
		}
		// CUE's own "field not allowed" can be lost when a sibling field is invalid
		// too, so where this struct is in error, each field is tried on the schema
		// alone. A struct not in error allows all its fields.
		probe := v.Err() != nil
		for it.Next() {
			sel := it.Selector()
			child := append(sels[:len(sels):len(sels)], sel)
			if probe && !c.allowed(child) {
				c.add(selectorStrings(cue.MakePath(child...)), msgNotAllowedCUE, nil)
				continue // what is inside a field that may not be there does not matter
			}
			c.collect(child)
		}
		it, err = v.Fields(cue.Optional(true))
		if err != nil {
			return
		}
		for it.Next() {
			if sel := it.Selector(); sel.ConstraintType() == cue.RequiredConstraint {
				child := append(sels[:len(sels):len(sels)], cue.Str(sel.Unquoted()))
				c.add(selectorStrings(cue.MakePath(child...)), msgRequiredCUE, nil)
			}
		}
	case cue.ListKind:
		it, err := d.List()
		if err != nil {
			return
		}
		for i := 0; it.Next(); i++ {
			c.collect(append(sels[:len(sels):len(sels)], cue.Index(i)))
		}
	}
}

// allowed reports whether the kind's schema allows a field at path, whatever its value.
func (c *collector) allowed(path []cue.Selector) bool {
	p := cue.MakePath(path...)
	err := c.schema.FillPath(p, c.s.top).Validate()
	want := strings.Join(selectorStrings(p), "\x00")
	for _, e := range cueerrors.Errors(err) {
		if format, _ := e.Msg(); format == msgNotAllowedCUE && strings.Join(c.local(e.Path()), "\x00") == want {
			return false
		}
	}
	return true
}

// local drops the kind's own path (kinds.Component) from the path of a CUE error.
func (c *collector) local(path []string) []string {
	if len(path) >= len(c.prefix) && slices.Equal(path[:len(c.prefix)], c.prefix) {
		return path[len(c.prefix):]
	}
	return path
}

// add records one error at a path in the entity.
func (c *collector) add(path []string, format string, args []any) {
	key := strings.Join(path, "\x00") + "\x01" + fmt.Sprintf(format, args...)
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	if c.seen[key] {
		return
	}
	if len(c.errs) >= maxErrors {
		c.truncated = true
		return
	}
	c.seen[key] = true
	c.errs = append(c.errs, rawError{path: append([]string(nil), path...), format: format, args: args})
}

// problems turns the raw errors into one message per path where they can be said
// together, and sorts them.
func (c *collector) problems() []Problem {
	type group struct {
		path        []string
		disjunction bool
		errs        []rawError
	}
	// What is inside a field that may not be there at all does not matter.
	var disallowed [][]string
	for _, e := range c.errs {
		if e.format == msgNotAllowedCUE {
			disallowed = append(disallowed, e.path)
		}
	}
	groups := map[string]*group{}
	var order []string
	for _, e := range c.errs {
		if under(e.path, disallowed) {
			continue
		}
		k := strings.Join(e.path, "\x00")
		g := groups[k]
		if g == nil {
			g = &group{path: e.path}
			groups[k] = g
			order = append(order, k)
		}
		if strings.HasSuffix(e.format, "errors in empty disjunction:") {
			g.disjunction = true
			continue
		}
		g.errs = append(g.errs, e)
	}
	var out []Problem
	for _, k := range order {
		g := groups[k]
		out = append(out, c.explain(g.path, g.disjunction, g.errs)...)
	}
	if c.truncated {
		out = append(out, Problem{Message: fmt.Sprintf("further problems not listed: stopped after the first %d errors", maxErrors)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// under reports whether path lies strictly inside one of roots.
func under(path []string, roots [][]string) bool {
	for _, r := range roots {
		if len(path) > len(r) && slices.Equal(path[:len(r)], r) {
			return true
		}
	}
	return false
}

func selectorStrings(p cue.Path) []string {
	sels := p.Selectors()
	out := make([]string, len(sels))
	for i, s := range sels {
		out[i] = s.String()
	}
	return out
}

// formatPath writes CUE selectors as a field path the way Backstage writes them
// (metadata.tags.1, links.0.url): dots between fields, list indexes as numbers. A key
// is written as it is unless it holds a dot, is empty or is all digits, which would
// make the path ambiguous; such a key is quoted: metadata.annotations."backstage.io/x".
func formatPath(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		if isIndex(p) {
			parts[i] = p
			continue
		}
		key := p
		if u, err := strconv.Unquote(p); err == nil {
			key = u
		}
		if key == "" || isIndex(key) || strings.Contains(key, ".") {
			key = strconv.Quote(key)
		}
		parts[i] = key
	}
	return strings.Join(parts, ".")
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func firstMsg(err error) string {
	errs := cueerrors.Errors(err)
	if len(errs) == 0 {
		return err.Error()
	}
	format, args := errs[0].Msg()
	return fmt.Sprintf(format, args...)
}

func goTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case float64, float32, int, int64, int32, uint64, uint32:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}
