package mapping

import (
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/token"
)

// inType is the fast path's reading of a mapping's `in` declaration: what a record must
// be for CUE to accept it, and what CUE adds where the record is silent (an empty list for
// [...T], a struct of such defaults, a literal).
type inType struct {
	kinds uint8 // basic kinds accepted
	lits  []any // literal values accepted
	strct *inStruct
	list  *inType // element type of [...T]
}

const (
	kString uint8 = 1 << iota
	kBool
	kInt
	kFloat
	kNull
	kAny
)

type inStruct struct {
	names   []string
	fields  map[string]*inType
	pattern *inType // [string]: T
}

// predeclared type names; a field of that name in `in` would shadow one.
var inKinds = map[string]uint8{
	"string": kString, "bool": kBool, "int": kInt, "float": kFloat,
	"number": kInt | kFloat, "_": kAny,
}

func compileInType(n ast.Expr) (*inType, error) {
	switch n := n.(type) {
	case *ast.ParenExpr:
		return compileInType(n.X)
	case *ast.Ident:
		k, ok := inKinds[n.Name]
		if !ok {
			return nil, refuse(n, "type %s in `in`", n.Name)
		}
		return &inType{kinds: k}, nil
	case *ast.BasicLit:
		v, err := literalValue(n)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return &inType{kinds: kNull}, nil
		}
		return &inType{lits: []any{v}}, nil
	case *ast.BinaryExpr:
		if n.Op != token.OR {
			return nil, refuse(n, "operator %s in `in`", n.Op)
		}
		a, err := compileInType(n.X)
		if err != nil {
			return nil, err
		}
		b, err := compileInType(n.Y)
		if err != nil {
			return nil, err
		}
		if a.strct != nil && b.strct != nil || a.list != nil && b.list != nil {
			return nil, refuse(n, "disjunction of two structs or two lists in `in`")
		}
		if a.kinds&kAny != 0 || b.kinds&kAny != 0 {
			// T | _ keeps both where T is incomplete: CUE calls that ambiguous.
			return nil, refuse(n, "disjunction with _ in `in`")
		}
		// A struct that CUE would complete with defaults makes a disjunction ambiguous.
		for _, t := range []*inType{a, b} {
			if t.strct != nil && t.strct.hasDefaults() {
				return nil, refuse(n, "disjunction with a struct that has defaults")
			}
		}
		u := &inType{kinds: a.kinds | b.kinds, lits: append(append([]any{}, a.lits...), b.lits...), strct: a.strct, list: a.list}
		if b.strct != nil {
			u.strct = b.strct
		}
		if b.list != nil {
			u.list = b.list
		}
		return u, nil
	case *ast.ListLit:
		if len(n.Elts) != 1 {
			return nil, refuse(n, "list type in `in` other than [...T]")
		}
		el, ok := n.Elts[0].(*ast.Ellipsis)
		if !ok {
			return nil, refuse(n, "list type in `in` other than [...T]")
		}
		if el.Type == nil {
			return &inType{list: &inType{kinds: kAny}}, nil
		}
		t, err := compileInType(el.Type)
		if err != nil {
			return nil, err
		}
		return &inType{list: t}, nil
	case *ast.StructLit:
		st := &inStruct{fields: map[string]*inType{}}
		for _, d := range n.Elts {
			switch d := d.(type) {
			case *ast.Field:
				if pat, ok := d.Label.(*ast.ListLit); ok {
					id, ok := func() (*ast.Ident, bool) {
						if len(pat.Elts) != 1 {
							return nil, false
						}
						id, ok := pat.Elts[0].(*ast.Ident)
						return id, ok
					}()
					if !ok || id.Name != "string" || st.pattern != nil {
						return nil, refuse(d, "pattern constraint in `in` other than [string]: T")
					}
					t, err := compileInType(d.Value)
					if err != nil {
						return nil, err
					}
					st.pattern = t
					continue
				}
				name, isIdent, err := ast.LabelName(d.Label)
				if err != nil || !isIdent && !isSimpleString(d.Label) {
					return nil, refuse(d, "dynamic label in `in`")
				}
				if _, aliased := d.Label.(*ast.Alias); aliased || d.Alias != nil {
					return nil, refuse(d, "aliased field in `in`")
				}
				if d.Constraint != token.ILLEGAL {
					return nil, refuse(d, "optional or required field in `in`")
				}
				if _, shadow := inKinds[name]; shadow && isIdent {
					return nil, refuse(d, "field %q in `in` shadows a type", name)
				}
				if len(name) > 0 && (name[0] == '_' || name[0] == '#') {
					return nil, refuse(d, "field %q in `in`", name)
				}
				if _, dup := st.fields[name]; dup {
					return nil, refuse(d, "field %q declared twice in `in`", name)
				}
				t, err := compileInType(d.Value)
				if err != nil {
					return nil, err
				}
				st.names = append(st.names, name)
				st.fields[name] = t
			case *ast.Ellipsis:
				if d.Type != nil {
					return nil, refuse(d, "typed ... in `in`")
				}
			case *ast.CommentGroup, *ast.Attribute:
			default:
				return nil, refuse(d, "%T in `in`", d)
			}
		}
		if st.pattern != nil && st.pattern.kinds&kAny == 0 && len(st.fields) > 0 {
			return nil, refuse(n, "pattern constraint and fields together in `in`")
		}
		return &inType{strct: st}, nil
	}
	return nil, refuse(n, "%T in `in`", n)
}

// hasDefaults reports whether CUE would add anything to a record that lacks some field.
func (s *inStruct) hasDefaults() bool {
	for _, t := range s.fields {
		if _, ok := t.missing(); ok {
			return true
		}
	}
	return false
}

// fit is how a record (or a value in it) fits `in`.
type fit uint8

const (
	fits       fit = iota
	incomplete     // a field is missing that CUE cannot complete: an error only if CUE needs it
	conflict       // a value of the wrong kind: an error in CUE whatever is read
)

// conform checks a present value against t and returns it as CUE would see it (with
// defaults added where the record is silent; changed says so, and the result is then a
// copy). A value that does not fit is a conflict, or incomplete where only fields are
// missing; the fast path cannot tell types it does not know from conflicts, and says
// conflict for them too.
func (t *inType) conform(v any) (out any, changed bool, f fit) {
	ok := false
	switch x := v.(type) {
	case nil:
		ok = t.kinds&kNull != 0
	case string:
		ok = t.kinds&kString != 0 || t.hasLit(v)
	case bool:
		ok = t.kinds&kBool != 0 || t.hasLit(v)
	case int64:
		ok = t.kinds&kInt != 0 || t.hasLit(v)
	case float64:
		ok = t.kinds&kFloat != 0
	case map[string]any:
		if t.kinds&kAny != 0 {
			return v, false, fits
		}
		if t.strct == nil {
			return nil, false, conflict
		}
		return t.strct.conform(x)
	case []any:
		if t.kinds&kAny != 0 {
			return v, false, fits
		}
		if t.list == nil {
			return nil, false, conflict
		}
		var cp []any
		worst := fits
		for i, el := range x {
			c, ch, f := t.list.conform(el)
			if f == conflict {
				return nil, false, conflict
			}
			worst = max(worst, f)
			if ch && cp == nil {
				cp = make([]any, len(x))
				copy(cp, x)
			}
			if cp != nil {
				cp[i] = c
			}
		}
		if worst != fits {
			return nil, false, worst
		}
		if cp != nil {
			return cp, true, fits
		}
		return x, false, fits
	}
	if ok || t.kinds&kAny != 0 {
		return v, false, fits
	}
	return nil, false, conflict
}

func (t *inType) hasLit(v any) bool {
	for _, l := range t.lits {
		if l == v {
			return true
		}
	}
	return false
}

func (s *inStruct) conform(m map[string]any) (any, bool, fit) {
	var cp map[string]any
	set := func(k string, v any) {
		if cp == nil {
			cp = make(map[string]any, len(m)+len(s.fields))
			for k2, v2 := range m {
				cp[k2] = v2
			}
		}
		cp[k] = v
	}
	worst := fits
	for _, name := range s.names {
		t := s.fields[name]
		v, present := m[name]
		if !present {
			d, ok := t.missing()
			if !ok {
				worst = incomplete
				continue
			}
			set(name, d)
			continue
		}
		c, ch, f := t.conform(v)
		if f == conflict {
			return nil, false, conflict
		}
		worst = max(worst, f)
		if ch {
			set(name, c)
		}
	}
	if s.pattern != nil && s.pattern.kinds&kAny == 0 {
		for k, v := range m {
			c, ch, f := s.pattern.conform(v)
			if f == conflict {
				return nil, false, conflict
			}
			worst = max(worst, f)
			if ch {
				set(k, c)
			}
		}
	}
	if worst != fits {
		return nil, false, worst
	}
	if cp != nil {
		return cp, true, fits
	}
	return m, false, fits
}

// missing is what CUE makes of a field the record lacks: ok only when that is concrete.
func (t *inType) missing() (any, bool) {
	alternatives := 0
	if t.kinds != 0 {
		alternatives += 2 // a type is never concrete
	}
	alternatives += len(t.lits)
	if t.strct != nil {
		alternatives++
	}
	if t.list != nil {
		alternatives++
	}
	if alternatives != 1 {
		return nil, false
	}
	switch {
	case len(t.lits) == 1:
		return t.lits[0], true
	case t.list != nil:
		return []any{}, true
	case t.strct != nil:
		v, _, f := t.strct.conform(map[string]any{})
		return v, f == fits
	}
	return nil, false
}
