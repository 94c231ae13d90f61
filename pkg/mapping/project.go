package mapping

import (
	"strconv"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"

	"github.com/pane-dev/pane/pkg/source"
)

// fieldTree is the part of a record a mapping can observe. A node with whole set keeps
// its value entirely; otherwise only its children are kept.
type fieldTree struct {
	whole    bool
	children map[string]*fieldTree
}

func (t *fieldTree) child(name string) *fieldTree {
	if t.children == nil {
		t.children = map[string]*fieldTree{}
	}
	c := t.children[name]
	if c == nil {
		c = &fieldTree{}
		t.children[name] = c
	}
	return c
}

// add marks path as observed in full.
func (t *fieldTree) add(path []string) {
	n := t
	for _, p := range path {
		if n.whole {
			return
		}
		n = n.child(p)
	}
	n.whole = true
	n.children = nil
}

// projection finds the parts of `in` that a mapping can observe: the fields it declares
// in `in` (down through nested structs) and the selector chains it reads (in.owner.login,
// in["x"]) anywhere in its body. Filling `in` with only those gives the same result as
// filling the whole record, and is much cheaper: GitHub's repository JSON has about 80
// fields and an owner object of 20; a mapping reads ten.
//
// It returns ok=false, and the record is filled whole, whenever that equality cannot be
// shown from the syntax: `in` used other than through a selector (passed whole, aliased
// with let), or an `in` that is closed (extra fields would be an error).
func projection(files []*ast.File, mv cue.Value) (*fieldTree, bool) {
	in := mv.LookupPath(pathIn)
	tree := &fieldTree{}
	if !declared(in, tree, 0) {
		return nil, false
	}
	// Selections are collected from the whole package, not only the mapping's own field:
	// a mapping built from a definition (alpha: #Map & {...}) reads `in` inside it.
	for _, f := range files {
		if !collect(f, tree) {
			return nil, false
		}
	}
	return tree, true
}

const maxDeclDepth = 8

// declared adds the fields a struct value declares to t: structs are followed down,
// anything else is kept whole. A closed struct cannot be projected (the record's other
// fields would make it fail), so it makes the whole projection fail.
func declared(v cue.Value, t *fieldTree, depth int) bool {
	if !v.Allows(cue.Str("\x00pane-probe")) {
		return false
	}
	iter, err := v.Fields(cue.Optional(true))
	if err != nil {
		return false
	}
	for iter.Next() {
		c := t.child(iter.Selector().Unquoted())
		fv := iter.Value()
		if fv.IncompleteKind() == cue.StructKind && depth < maxDeclDepth {
			if !declared(fv, c, depth+1) {
				return false
			}
			if len(c.children) == 0 {
				c.whole = true // {...}: the mapping may look anywhere in it
			}
			continue
		}
		c.whole = true
		c.children = nil
	}
	return true
}

// collect adds the selector chains read from `in` under n; false when `in` is referred
// to in any other way.
func collect(n ast.Node, tree *fieldTree) bool {
	consumed := map[*ast.Ident]bool{}
	labels := map[*ast.Ident]bool{}
	inner := map[ast.Node]bool{} // selectors that are part of a longer chain
	var refs []*ast.Ident
	var chains [][]string
	aliased := false
	ast.Walk(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Alias:
			aliased = true // X=expr: a second name for a value, maybe for in
		case *ast.Field:
			if id, ok := x.Label.(*ast.Ident); ok {
				labels[id] = true
			}
			if _, ok := x.Label.(*ast.Alias); ok {
				aliased = true
			}
		case *ast.SelectorExpr, *ast.IndexExpr:
			if inner[n] {
				return true
			}
			// The outermost expression of a chain: walk down to its root.
			var path []string
			cur := n
			for {
				var next ast.Node
				label, ok := "", false
				switch y := cur.(type) {
				case *ast.SelectorExpr:
					if id, isID := y.Sel.(*ast.Ident); isID {
						labels[id] = true
					}
					if s, _, err := ast.LabelName(y.Sel); err == nil {
						label, ok = s, true
					}
					next = y.X
				case *ast.IndexExpr:
					if lit, isLit := y.Index.(*ast.BasicLit); isLit {
						if s, err := strconv.Unquote(lit.Value); err == nil {
							label, ok = s, true
						}
					}
					next = y.X
				}
				if next == nil {
					break
				}
				inner[next] = true
				if ok {
					path = append([]string{label}, path...)
				} else {
					path = nil // a computed index: keep what is below whole
				}
				if id, isID := next.(*ast.Ident); isID {
					if id.Name == "in" {
						consumed[id] = true
						chains = append(chains, path)
					}
					break
				}
				cur = next
			}
		case *ast.Ident:
			if x.Name == "in" {
				refs = append(refs, x)
			}
		}
		return true
	}, nil)
	if aliased {
		return false
	}
	for _, id := range refs {
		if !consumed[id] && !labels[id] {
			return false
		}
	}
	for _, c := range chains {
		if len(c) == 0 {
			return false // in[expr]: anything may be read
		}
		tree.add(c)
	}
	return true
}

// project returns the part of a record the mapping can observe.
func (m *Mapping) project(data any) any { return source.Project(data, m.proj) }

// paths lists the tree's kept paths, for tests and debugging: "a", "owner.login".
func (t *fieldTree) paths(prefix string) []string {
	if t.whole {
		return []string{prefix}
	}
	var out []string
	for k, c := range t.children {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		out = append(out, c.paths(p)...)
	}
	return out
}

// Fields returns the part of a source's records of one type that its mappings can
// observe, for sources that can decode only that; nil means the whole record (no
// mapping takes the type, or one of them may read anything).
func (s *Set) Fields(src, record string) *source.Fields {
	ms := s.For(src, record)
	if len(ms) == 0 {
		return nil
	}
	var out *source.Fields
	for i, m := range ms {
		if m.fields == nil {
			return nil
		}
		f := m.fields.export()
		if i == 0 {
			out = f
		} else {
			out = source.Union(out, f)
		}
		if out == nil {
			return nil
		}
	}
	return out
}

func (t *fieldTree) export() *source.Fields {
	if t == nil || t.whole {
		return &source.Fields{Whole: true}
	}
	f := &source.Fields{Sub: make(map[string]*source.Fields, len(t.children))}
	for k, c := range t.children {
		f.Sub[k] = c.export()
	}
	return f
}

// FieldsFor returns Fields for every record type of a source that its mappings can be
// shown to read only part of; types not in the map are read whole.
func (s *Set) FieldsFor(src string) map[string]*source.Fields {
	out := map[string]*source.Fields{}
	for _, m := range s.Mappings {
		if m.Source != src {
			continue
		}
		if _, done := out[m.Record]; done {
			continue
		}
		if f := s.Fields(src, m.Record); f != nil {
			out[m.Record] = f
		}
	}
	return out
}
