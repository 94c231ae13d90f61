package mapping

import (
	"strconv"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
)

// projection finds the top-level fields of `in` that a mapping can observe: those it
// declares in `in` and those it selects (in.x, in["x"]) anywhere in its body. Filling
// `in` with only those fields gives the same result as filling the whole record, and is
// much cheaper: GitHub's repository JSON has about 80 fields, a mapping reads ten.
//
// It returns ok=false, and the record is filled whole, whenever that equality cannot be
// shown from the syntax: `in` used other than through a selector (passed whole, aliased
// with let), or an `in` that is closed (extra fields would be an error).
func projection(files []*ast.File, name string, mv cue.Value) (fields map[string]bool, ok bool) {
	in := mv.LookupPath(pathIn)
	if !in.Allows(cue.Str("\x00pane-probe")) {
		return nil, false
	}
	fields = map[string]bool{}
	iter, err := in.Fields(cue.Optional(true))
	if err != nil {
		return nil, false
	}
	for iter.Next() {
		fields[iter.Selector().Unquoted()] = true
	}
	found := false
	for _, f := range files {
		for _, d := range f.Decls {
			field, isField := d.(*ast.Field)
			if !isField {
				continue
			}
			label, _, err := ast.LabelName(field.Label)
			if err != nil || label != name {
				continue
			}
			found = true
			if !collect(field.Value, fields) {
				return nil, false
			}
		}
	}
	return fields, found
}

// collect adds the fields selected from `in` under n; false when `in` is referred to in
// any other way.
func collect(n ast.Node, fields map[string]bool) bool {
	consumed := map[*ast.Ident]bool{}
	labels := map[*ast.Ident]bool{}
	var refs []*ast.Ident
	ast.Walk(n, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Field:
			if id, ok := x.Label.(*ast.Ident); ok {
				labels[id] = true
			}
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "in" {
				if sel, _, err := ast.LabelName(x.Sel); err == nil {
					fields[sel] = true
					consumed[id] = true
				}
			}
		case *ast.IndexExpr:
			if id, ok := x.X.(*ast.Ident); ok && id.Name == "in" {
				if lit, ok := x.Index.(*ast.BasicLit); ok {
					if s, err := strconv.Unquote(lit.Value); err == nil {
						fields[s] = true
						consumed[id] = true
					}
				}
			}
		case *ast.Ident:
			if x.Name == "in" {
				refs = append(refs, x)
			}
		}
		return true
	}, nil)
	for _, id := range refs {
		if !consumed[id] && !labels[id] {
			return false
		}
	}
	return true
}

// project returns the record with only the given top-level fields.
func project(data any, fields map[string]bool) any {
	m, ok := data.(map[string]any)
	if !ok || fields == nil {
		return data
	}
	out := make(map[string]any, len(fields))
	for k := range fields {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}
