package mapping

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/pane-dev/pane/pkg/catalog"
)

// The fast path evaluates a mapping written in a small, common part of CUE directly on
// the decoded record, without the CUE evaluator, which costs ten to twenty times more
// per record. It is compiled from the mapping's syntax at Load and is used only where it
// gives what CUE gives:
//
//   - at Load, any construct outside the subset (definitions, disjunction defaults,
//     unification, references to other fields, floats, ...) leaves the mapping without a
//     fast path: every record goes to CUE;
//   - per record, anything the fast path cannot decide for certain (a record that does not
//     fit `in`, a missing field, a type it does not handle, two values for one field)
//     hands that record to CUE, which gives the result or the precise error.
//
// TestFastSameAsCUE compares the two over generated records for every mapping in the
// repository and a set of mappings built to exercise each construct.
//
// The subset: a mapping struct of source, record, in, filter, out and let clauses; in
// declared as (nested) structs of the types string, bool, int, float, number, null, _,
// literals, [...T], {[string]: T} and disjunctions of these; expressions of literals
// (strings, integers, bools, null), interpolation, references to in, lets and
// comprehension variables, field selection and indexing, ! - && || == != < <= > >= + - *
// =~ !~, comparison with _|_, len, list literals with for and if comprehensions, struct
// literals with if and for comprehensions, and the builtins listed in fastFuncs.

// errFallback means the fast path cannot decide a record: CUE must.
var errFallback = errors.New("fast path: left to CUE")

// errMissing is a reference CUE certainly evaluates to bottom: a field a concrete struct
// lacks, an index past a concrete list's end. Only `x != _|_` and `x == _|_` look at it;
// everywhere else it is a fallback like any other.
var errMissing = errors.New("fast path: missing")

// unsupported is a Load-time refusal, with the reason, for debugging.
type unsupported struct{ why string }

func (u *unsupported) Error() string { return u.why }

func refuse(n ast.Node, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if n != nil && n.Pos().IsValid() {
		msg = fmt.Sprintf("%s: %s", n.Pos().Position(), msg)
	}
	return &unsupported{why: msg}
}

// fexpr is a compiled expression.
type fexpr func(e *fenv) (any, error)

// fenv is one record's evaluation.
type fenv struct {
	p    *fastProgram
	in   map[string]any
	lets []any
	// letState: 0 not evaluated, 1 in progress, 2 done
	letState []byte
	letErr   []error
	vars     []any
	// partial: in is the record as it came, not known to fit; only fields read by name
	// are checked, one by one (see inField).
	partial bool
}

// inField is in.name when the record as a whole does not fit `in`: the field is checked
// against its declaration alone.
func (e *fenv) inField(name string) (any, error) {
	st := e.p.in.strct
	if st == nil {
		return nil, errFallback
	}
	v, present := e.in[name]
	t := st.fields[name]
	if t == nil {
		if st.pattern != nil && st.pattern.kinds&kAny == 0 {
			return nil, errFallback
		}
		if !present {
			return nil, errMissing
		}
		return v, nil
	}
	if !present {
		if d, ok := t.missing(); ok {
			return d, nil
		}
		return nil, errFallback
	}
	c, _, f := t.conform(v)
	if f != fits {
		return nil, errFallback
	}
	return c, nil
}

type fastProgram struct {
	in     *inType
	filter fexpr
	out    fexpr
	lets   []fexpr
	nvars  int
}

// binding kinds
const (
	bindBlocked = iota // a name the fast path does not follow (a field, a definition)
	bindIn
	bindLet
	bindVar
	bindPkg
)

type binding struct {
	kind int
	idx  int
	pkg  string // import path for bindPkg
}

type fscope struct {
	parent *fscope
	names  map[string]binding
}

func (s *fscope) lookup(name string) (binding, bool) {
	for c := s; c != nil; c = c.parent {
		if b, ok := c.names[name]; ok {
			return b, true
		}
	}
	return binding{}, false
}

type fcompiler struct {
	p       *fastProgram
	letDefs map[string]int
}

// compileFast builds the fast path of the mapping named name from the package's files,
// or returns why it cannot.
func compileFast(files []*ast.File, name string) (*fastProgram, error) {
	var mfield *ast.Field
	var mfile *ast.File
	top := &fscope{names: map[string]binding{}}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.Field:
				lbl, _, err := ast.LabelName(d.Label)
				if err != nil {
					return nil, refuse(d, "dynamic top-level label")
				}
				top.names[lbl] = binding{kind: bindBlocked}
				if lbl == name {
					if mfield != nil {
						return nil, refuse(d, "mapping %q is defined more than once", name)
					}
					mfield, mfile = d, f
				}
			case *ast.LetClause:
				top.names[d.Ident.Name] = binding{kind: bindBlocked}
			case *ast.Alias:
				top.names[d.Ident.Name] = binding{kind: bindBlocked}
			case *ast.ImportDecl, *ast.Package, *ast.Attribute, *ast.CommentGroup:
			default:
				// An embedding or a comprehension at the top of any file may add to
				// the mapping: only CUE can say what.
				return nil, refuse(d, "%T at the top of a file of the package", d)
			}
			if f, ok := d.(*ast.Field); ok && f.Alias != nil {
				return nil, refuse(d, "postfix alias")
			}
		}
	}
	if mfield == nil {
		return nil, refuse(nil, "mapping %q not found in the syntax", name)
	}
	// Imports of the mapping's file: only these packages are known by name.
	file := &fscope{parent: top, names: map[string]binding{}}
	for _, d := range mfile.Decls {
		imp, ok := d.(*ast.ImportDecl)
		if !ok {
			continue
		}
		for _, spec := range imp.Specs {
			path, err := literal.Unquote(spec.Path.Value)
			if err != nil {
				return nil, refuse(spec, "bad import")
			}
			local := path[strings.LastIndex(path, "/")+1:]
			if spec.Name != nil {
				local = spec.Name.Name
			}
			file.names[local] = binding{kind: bindPkg, pkg: path}
		}
	}
	if mfield.Constraint != token.ILLEGAL {
		return nil, refuse(mfield, "mapping field with a constraint marker")
	}
	body, ok := mfield.Value.(*ast.StructLit)
	if !ok {
		return nil, refuse(mfield.Value, "mapping is not a plain struct")
	}
	p := &fastProgram{}
	c := &fcompiler{p: p, letDefs: map[string]int{}}
	ms := &fscope{parent: file, names: map[string]binding{}}
	var inDecl, filterDecl, outDecl ast.Expr
	var lets []*ast.LetClause
	seen := map[string]bool{}
	for _, d := range body.Elts {
		switch d := d.(type) {
		case *ast.Field:
			lbl, isIdent, err := ast.LabelName(d.Label)
			if err != nil || !isIdent && !isSimpleString(d.Label) {
				return nil, refuse(d, "dynamic label in the mapping")
			}
			if d.Constraint != token.ILLEGAL {
				return nil, refuse(d, "optional or required field in the mapping")
			}
			if _, aliased := d.Label.(*ast.Alias); aliased || d.Alias != nil {
				return nil, refuse(d, "aliased field")
			}
			if seen[lbl] {
				return nil, refuse(d, "field %q defined twice", lbl)
			}
			seen[lbl] = true
			switch lbl {
			case "source", "record":
				if lit, ok := d.Value.(*ast.BasicLit); !ok || lit.Kind != token.STRING {
					return nil, refuse(d, "%s is not a string literal", lbl)
				}
				ms.names[lbl] = binding{kind: bindBlocked}
			case "in":
				inDecl = d.Value
				ms.names[lbl] = binding{kind: bindIn}
			case "filter":
				filterDecl = d.Value
				ms.names[lbl] = binding{kind: bindBlocked}
			case "out":
				outDecl = d.Value
				ms.names[lbl] = binding{kind: bindBlocked}
			default:
				return nil, refuse(d, "field %q besides source, record, in, filter, out", lbl)
			}
		case *ast.LetClause:
			if _, dup := ms.names[d.Ident.Name]; dup {
				return nil, refuse(d, "let %q shadows a field", d.Ident.Name)
			}
			c.letDefs[d.Ident.Name] = len(lets)
			ms.names[d.Ident.Name] = binding{kind: bindLet, idx: len(lets)}
			lets = append(lets, d)
		case *ast.CommentGroup, *ast.Attribute:
		default:
			return nil, refuse(d, "%T in the mapping", d)
		}
	}
	if inDecl == nil || outDecl == nil {
		return nil, refuse(body, "mapping without in or out")
	}
	var err error
	if p.in, err = compileInType(inDecl); err != nil {
		return nil, err
	}
	if p.out, err = c.value(outDecl, ms); err != nil {
		return nil, err
	}
	if filterDecl != nil {
		if p.filter, err = c.expr(filterDecl, ms); err != nil {
			return nil, err
		}
	}
	p.lets = make([]fexpr, len(lets))
	for i, l := range lets {
		if p.lets[i], err = c.expr(l.Expr, ms); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func isSimpleString(l ast.Label) bool {
	lit, ok := l.(*ast.BasicLit)
	return ok && lit.Kind == token.STRING
}

// eval maps one (projected) record. ok is false when CUE must decide.
func (p *fastProgram) eval(data any) (res Result, ok bool) {
	defer func() {
		// The fast path never fails a compile: anything unexpected is CUE's to decide.
		if r := recover(); r != nil {
			res, ok = Result{}, false
		}
	}()
	rec, isMap := data.(map[string]any)
	if !isMap {
		return Result{}, false
	}
	in, _, f := p.in.conform(rec)
	if f != fits {
		// CUE looks at the filter first and at nothing else of a record it drops: a
		// record that does not fit `in` elsewhere is still dropped when the fields the
		// filter reads fit and make it false.
		if p.filter == nil || f != incomplete {
			return Result{}, false
		}
		e := &fenv{p: p, in: rec, partial: true, lets: make([]any, len(p.lets)), letState: make([]byte, len(p.lets)),
			letErr: make([]error, len(p.lets)), vars: make([]any, p.nvars)}
		if v, err := p.filter(e); err == nil && v == false {
			return Result{Filtered: true}, true
		}
		return Result{}, false
	}
	e := &fenv{p: p, in: in.(map[string]any), lets: make([]any, len(p.lets)), letState: make([]byte, len(p.lets)),
		letErr: make([]error, len(p.lets)), vars: make([]any, p.nvars)}
	if p.filter != nil {
		v, err := p.filter(e)
		keep, isBool := v.(bool)
		if err != nil || !isBool {
			return Result{}, false
		}
		if !keep {
			return Result{Filtered: true}, true
		}
	}
	v, err := p.out(e)
	if err != nil {
		return Result{}, false
	}
	// CUE validates every let of the mapping too, used or not.
	for i := range p.lets {
		if _, err := e.let(i); err != nil {
			return Result{}, false
		}
	}
	list, isList := v.([]any)
	if !isList {
		return Result{}, false
	}
	res.Entities = make([]catalog.Entity, len(list))
	for i, x := range list {
		m, isMap := x.(map[string]any)
		if !isMap {
			return Result{}, false
		}
		res.Entities[i] = catalog.Entity(m)
	}
	return res, true
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

func (e *fenv) let(i int) (any, error) {
	switch e.letState[i] {
	case 2:
		return e.lets[i], e.letErr[i]
	case 1:
		return nil, errFallback // a cycle: CUE reports it
	}
	e.letState[i] = 1
	v, err := e.p.lets[i](e)
	e.lets[i], e.letErr[i], e.letState[i] = v, err, 2
	return v, err
}

// expr compiles an expression in scope s.
func (c *fcompiler) expr(n ast.Expr, s *fscope) (fexpr, error) {
	switch n := n.(type) {
	case *ast.ParenExpr:
		return c.expr(n.X, s)
	case *ast.BasicLit:
		v, err := literalValue(n)
		if err != nil {
			return nil, err
		}
		return func(*fenv) (any, error) { return v, nil }, nil
	case *ast.Interpolation:
		return c.interpolation(n, s)
	case *ast.Ident:
		return c.ident(n, s)
	case *ast.SelectorExpr:
		x, err := c.expr(n.X, s)
		if err != nil {
			return nil, err
		}
		name, _, err := ast.LabelName(n.Sel)
		if err != nil || strings.HasPrefix(name, "#") || strings.HasPrefix(name, "_") {
			return nil, refuse(n, "selector %v", n.Sel)
		}
		if id, ok := n.X.(*ast.Ident); ok {
			if b, _ := s.lookup(id.Name); b.kind == bindIn {
				return func(e *fenv) (any, error) {
					if e.partial {
						return e.inField(name)
					}
					return field(e.in, name)
				}, nil
			}
		}
		return func(e *fenv) (any, error) {
			v, err := x(e)
			if err != nil {
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, errFallback
			}
			return field(m, name)
		}, nil
	case *ast.IndexExpr:
		x, err := c.expr(n.X, s)
		if err != nil {
			return nil, err
		}
		idx, err := c.expr(n.Index, s)
		if err != nil {
			return nil, err
		}
		return func(e *fenv) (any, error) {
			v, err := x(e)
			if err != nil {
				return nil, err
			}
			i, err := idx(e)
			if err != nil {
				return nil, err
			}
			switch v := v.(type) {
			case []any:
				k, ok := i.(int64)
				if !ok || k < 0 {
					return nil, errFallback
				}
				if k >= int64(len(v)) {
					return nil, errMissing
				}
				return v[k], nil
			case map[string]any:
				k, ok := i.(string)
				if !ok {
					return nil, errFallback
				}
				return field(v, k)
			}
			return nil, errFallback
		}, nil
	case *ast.UnaryExpr:
		x, err := c.expr(n.X, s)
		if err != nil {
			return nil, err
		}
		switch n.Op {
		case token.NOT:
			return func(e *fenv) (any, error) {
				v, err := x(e)
				if err != nil {
					return nil, fallback(err)
				}
				b, ok := v.(bool)
				if !ok {
					return nil, errFallback
				}
				return !b, nil
			}, nil
		case token.SUB:
			return func(e *fenv) (any, error) {
				v, err := x(e)
				if err != nil {
					return nil, fallback(err)
				}
				i, ok := v.(int64)
				if !ok || i == math.MinInt64 {
					return nil, errFallback
				}
				return -i, nil
			}, nil
		}
		if n.Op == token.MUL {
			return nil, refuse(n, "a default (*value | ...): defaults are unified by CUE")
		}
		return nil, refuse(n, "unary %s", n.Op)
	case *ast.BinaryExpr:
		return c.binary(n, s)
	case *ast.CallExpr:
		return c.call(n, s)
	case *ast.ListLit:
		return c.list(n, s)
	case *ast.StructLit:
		return c.structLit(n, s)
	}
	return nil, refuse(n, "expression %T", n)
}

// field is a struct's field; one the struct lacks is bottom in CUE.
func field(m map[string]any, name string) (any, error) {
	f, ok := m[name]
	if !ok {
		return nil, errMissing
	}
	return f, nil
}

// fallback turns errMissing into errFallback where bottom is not being tested for.
func fallback(err error) error {
	if err == errMissing {
		return errFallback
	}
	return err
}

func literalValue(n *ast.BasicLit) (any, error) {
	switch n.Kind {
	case token.STRING:
		info, nStart, _, err := literal.ParseQuotes(n.Value, n.Value)
		if err != nil || !info.IsDouble() {
			return nil, refuse(n, "string literal %s", n.Value)
		}
		s, err := info.Unquote(n.Value[nStart:])
		if err != nil {
			return nil, refuse(n, "string literal %s", n.Value)
		}
		return s, nil
	case token.INT:
		i, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil || strconv.FormatInt(i, 10) != n.Value {
			return nil, refuse(n, "integer literal %s", n.Value)
		}
		return i, nil
	case token.TRUE:
		return true, nil
	case token.FALSE:
		return false, nil
	case token.NULL:
		return nil, nil
	}
	return nil, refuse(n, "literal %s", n.Value)
}

func (c *fcompiler) interpolation(n *ast.Interpolation, s *fscope) (fexpr, error) {
	if len(n.Elts) == 1 {
		return c.expr(n.Elts[0], s)
	}
	first, last := n.Quotes()
	info, prefixLen, _, err := literal.ParseQuotes(first.Value, last.Value)
	if err != nil || !info.IsDouble() {
		return nil, refuse(n, "interpolation")
	}
	var parts []fexpr
	var lits []string
	prefix := ""
	for i := 0; i < len(n.Elts); i += 2 {
		l, ok := n.Elts[i].(*ast.BasicLit)
		if !ok || !strings.HasPrefix(l.Value, prefix) {
			return nil, refuse(n, "interpolation")
		}
		str, err := info.Unquote(l.Value[prefixLen:])
		if err != nil {
			return nil, refuse(n, "interpolation")
		}
		lits = append(lits, str)
		if i+1 < len(n.Elts) {
			x, err := c.expr(n.Elts[i+1], s)
			if err != nil {
				return nil, err
			}
			parts = append(parts, x)
		}
		prefix, prefixLen = ")", 1
	}
	return func(e *fenv) (any, error) {
		var b strings.Builder
		for i, l := range lits {
			b.WriteString(l)
			if i < len(parts) {
				v, err := parts[i](e)
				if err != nil {
					return nil, fallback(err)
				}
				switch v := v.(type) {
				case string:
					b.WriteString(v)
				case int64:
					b.WriteString(strconv.FormatInt(v, 10))
				case bool:
					b.WriteString(strconv.FormatBool(v))
				default:
					return nil, errFallback // floats print as CUE's decimals do; lists and structs are errors
				}
			}
		}
		return b.String(), nil
	}, nil
}

func (c *fcompiler) ident(n *ast.Ident, s *fscope) (fexpr, error) {
	b, ok := s.lookup(n.Name)
	if !ok {
		if _, isType := inKinds[n.Name]; isType {
			return nil, refuse(n, "the type %s where a value is needed: CUE's to evaluate", n.Name)
		}
		return nil, refuse(n, "refers to %s, which the fast path does not follow (it follows in, lets and comprehension variables)", n.Name)
	}
	switch b.kind {
	case bindIn:
		return func(e *fenv) (any, error) {
			if e.partial {
				return nil, errFallback
			}
			return e.in, nil
		}, nil
	case bindLet:
		i := b.idx
		return func(e *fenv) (any, error) { return e.let(i) }, nil
	case bindVar:
		i := b.idx
		return func(e *fenv) (any, error) { return e.vars[i], nil }, nil
	}
	return nil, refuse(n, "refers to %s, which the fast path does not follow (it follows in, lets and comprehension variables)", n.Name)
}

// selection recognizes in.a.b chains so that using in through them does not count as
// using it whole.
func (c *fcompiler) isInChain(n ast.Expr, s *fscope) bool {
	for {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			n = x.X
		case *ast.IndexExpr:
			n = x.X
		case *ast.Ident:
			b, ok := s.lookup(x.Name)
			return ok && b.kind == bindIn
		default:
			return false
		}
	}
}

func (c *fcompiler) binary(n *ast.BinaryExpr, s *fscope) (fexpr, error) {
	switch n.Op {
	case token.AND:
		return nil, refuse(n, "unification (&): CUE's to evaluate")
	case token.OR:
		for _, side := range []ast.Expr{n.X, n.Y} {
			if u, ok := side.(*ast.UnaryExpr); ok && u.Op == token.MUL {
				return nil, refuse(n, "a default (*value | ...): defaults are unified by CUE")
			}
		}
		return nil, refuse(n, "a disjunction (|): CUE's to evaluate")
	}
	// x == _|_ and x != _|_
	if _, ok := n.Y.(*ast.BottomLit); ok && (n.Op == token.EQL || n.Op == token.NEQ) {
		x, err := c.expr(n.X, s)
		if err != nil {
			return nil, err
		}
		eq := n.Op == token.EQL
		return func(e *fenv) (any, error) {
			_, err := x(e)
			switch err {
			case nil:
				return !eq, nil
			case errMissing:
				return eq, nil
			}
			return nil, err
		}, nil
	}
	x, err := c.expr(n.X, s)
	if err != nil {
		return nil, err
	}
	y, err := c.expr(n.Y, s)
	if err != nil {
		return nil, err
	}
	var op func(a, b any) (any, error)
	switch n.Op {
	case token.LAND, token.LOR:
		and := n.Op == token.LAND
		op = func(a, b any) (any, error) {
			p, ok1 := a.(bool)
			q, ok2 := b.(bool)
			if !ok1 || !ok2 {
				return nil, errFallback
			}
			if and {
				return p && q, nil
			}
			return p || q, nil
		}
	case token.EQL, token.NEQ:
		neq := n.Op == token.NEQ
		op = func(a, b any) (any, error) {
			eq, err := equal(a, b)
			if err != nil {
				return nil, err
			}
			return eq != neq, nil
		}
	case token.LSS, token.LEQ, token.GTR, token.GEQ:
		o := n.Op
		op = func(a, b any) (any, error) {
			cmp, err := compare(a, b)
			if err != nil {
				return nil, err
			}
			switch o {
			case token.LSS:
				return cmp < 0, nil
			case token.LEQ:
				return cmp <= 0, nil
			case token.GTR:
				return cmp > 0, nil
			}
			return cmp >= 0, nil
		}
	case token.ADD, token.SUB, token.MUL:
		o := n.Op
		op = func(a, b any) (any, error) { return arith(o, a, b) }
	case token.MAT, token.NMAT:
		lit, ok := n.Y.(*ast.BasicLit)
		if !ok {
			return nil, refuse(n, "regular expression that is not a literal")
		}
		pat, err := literalValue(lit)
		if err != nil {
			return nil, err
		}
		ps, _ := pat.(string)
		re, err := regexp.Compile(ps)
		if err != nil {
			return nil, refuse(n, "regular expression %q", ps)
		}
		match := n.Op == token.MAT
		op = func(a, _ any) (any, error) {
			s, ok := a.(string)
			if !ok {
				return nil, errFallback
			}
			return re.MatchString(s) == match, nil
		}
	default:
		return nil, refuse(n, "operator %s", n.Op)
	}
	return func(e *fenv) (any, error) {
		// CUE evaluates both operands, even of && and ||: an error on either side is
		// CUE's to report.
		a, err := x(e)
		if err != nil {
			return nil, fallback(err)
		}
		b, err := y(e)
		if err != nil {
			return nil, fallback(err)
		}
		return op(a, b)
	}, nil
}

// maxExact is the largest integer every float64 holds exactly.
const maxExact = 1 << 53

func equal(a, b any) (bool, error) {
	if a == nil || b == nil {
		// null compares with a value of any kind.
		return a == nil && b == nil, nil
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return x == y, nil
		}
	case bool:
		if y, ok := b.(bool); ok {
			return x == y, nil
		}
	case int64, float64:
		c, err := compare(a, b)
		return c == 0, err
	}
	return false, errFallback
}

func isComposite(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

func compare(a, b any) (int, error) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), nil
		}
	case int64:
		switch y := b.(type) {
		case int64:
			return cmpInt(x, y), nil
		case float64:
			if x > -maxExact && x < maxExact && !math.IsNaN(y) {
				return cmpFloat(float64(x), y), nil
			}
		}
	case float64:
		switch y := b.(type) {
		case float64:
			if !math.IsNaN(x) && !math.IsNaN(y) {
				return cmpFloat(x, y), nil
			}
		case int64:
			if y > -maxExact && y < maxExact && !math.IsNaN(x) {
				return cmpFloat(x, float64(y)), nil
			}
		}
	}
	return 0, errFallback
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func arith(op token.Token, a, b any) (any, error) {
	if op == token.ADD {
		if x, ok := a.(string); ok {
			if y, ok := b.(string); ok {
				return x + y, nil
			}
			return nil, errFallback
		}
	}
	x, ok1 := a.(int64)
	y, ok2 := b.(int64)
	if !ok1 || !ok2 {
		return nil, errFallback // floats: CUE's decimal arithmetic, not float64's
	}
	var r int64
	switch op {
	case token.ADD:
		r = x + y
		if (r > x) != (y > 0) {
			return nil, errFallback
		}
	case token.SUB:
		r = x - y
		if (r < x) != (y > 0) {
			return nil, errFallback
		}
	case token.MUL:
		if x != 0 && y != 0 {
			r = x * y
			if r/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
				return nil, errFallback
			}
		}
	}
	return r, nil
}

// fastFuncs are the builtins the fast path runs: CUE's strings and list packages wrap
// these very Go functions.
var fastFuncs = map[string]func(args []any) (any, error){
	"strings.ToLower":    str1(strings.ToLower),
	"strings.ToUpper":    str1(strings.ToUpper),
	"strings.TrimSpace":  str1(strings.TrimSpace),
	"strings.HasPrefix":  strBool2(strings.HasPrefix),
	"strings.HasSuffix":  strBool2(strings.HasSuffix),
	"strings.Contains":   strBool2(strings.Contains),
	"strings.TrimPrefix": str2(strings.TrimPrefix),
	"strings.TrimSuffix": str2(strings.TrimSuffix),
	"strings.Trim":       str2(strings.Trim),
	"strings.TrimLeft":   str2(strings.TrimLeft),
	"strings.TrimRight":  str2(strings.TrimRight),
	"strings.Split": func(args []any) (any, error) {
		s, ok1 := args[0].(string)
		sep, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, errFallback
		}
		parts := strings.Split(s, sep)
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	},
	"strings.Join": func(args []any) (any, error) {
		l, ok1 := args[0].([]any)
		sep, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, errFallback
		}
		parts := make([]string, len(l))
		for i, x := range l {
			s, ok := x.(string)
			if !ok {
				return nil, errFallback
			}
			parts[i] = s
		}
		return strings.Join(parts, sep), nil
	},
	"strings.Replace": func(args []any) (any, error) {
		s, ok1 := args[0].(string)
		o, ok2 := args[1].(string)
		n, ok3 := args[2].(string)
		k, ok4 := args[3].(int64)
		if !ok1 || !ok2 || !ok3 || !ok4 || k > math.MaxInt32 || k < math.MinInt32 {
			return nil, errFallback
		}
		return strings.Replace(s, o, n, int(k)), nil
	},
	"list.Contains": func(args []any) (any, error) {
		// Strings only: CUE's equality across kinds is its to decide.
		l, ok1 := args[0].([]any)
		s, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, errFallback
		}
		found := false
		for _, x := range l {
			xs, ok := x.(string)
			if !ok {
				return nil, errFallback
			}
			found = found || xs == s
		}
		return found, nil
	},
	"len": func(args []any) (any, error) {
		switch x := args[0].(type) {
		case []any:
			return int64(len(x)), nil
		case string:
			return int64(len(x)), nil
		}
		return nil, errFallback
	},
}

// fastArity is each builtin's number of arguments.
var fastArity = map[string]int{
	"strings.ToLower": 1, "strings.ToUpper": 1, "strings.TrimSpace": 1,
	"strings.HasPrefix": 2, "strings.HasSuffix": 2, "strings.Contains": 2,
	"strings.TrimPrefix": 2, "strings.TrimSuffix": 2, "strings.Trim": 2,
	"strings.TrimLeft": 2, "strings.TrimRight": 2, "strings.Split": 2, "strings.Join": 2,
	"strings.Replace": 4, "list.Contains": 2, "len": 1,
}

func str1(f func(string) string) func([]any) (any, error) {
	return func(args []any) (any, error) {
		s, ok := args[0].(string)
		if !ok {
			return nil, errFallback
		}
		return f(s), nil
	}
}

func str2(f func(string, string) string) func([]any) (any, error) {
	return func(args []any) (any, error) {
		a, ok1 := args[0].(string)
		b, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, errFallback
		}
		return f(a, b), nil
	}
}

func strBool2(f func(string, string) bool) func([]any) (any, error) {
	return func(args []any) (any, error) {
		a, ok1 := args[0].(string)
		b, ok2 := args[1].(string)
		if !ok1 || !ok2 {
			return nil, errFallback
		}
		return f(a, b), nil
	}
}

func (c *fcompiler) call(n *ast.CallExpr, s *fscope) (fexpr, error) {
	var name string
	switch f := n.Fun.(type) {
	case *ast.Ident:
		if _, shadowed := s.lookup(f.Name); shadowed || f.Name != "len" {
			return nil, refuse(n, "call of %s", f.Name)
		}
		name = "len"
	case *ast.SelectorExpr:
		pkg, ok := f.X.(*ast.Ident)
		if !ok {
			return nil, refuse(n, "call")
		}
		b, ok := s.lookup(pkg.Name)
		if !ok || b.kind != bindPkg {
			return nil, refuse(n, "call of %s", pkg.Name)
		}
		sel, _, err := ast.LabelName(f.Sel)
		if err != nil {
			return nil, refuse(n, "call")
		}
		name = b.pkg + "." + sel
	default:
		return nil, refuse(n, "call")
	}
	fn, ok := fastFuncs[name]
	if !ok || fastArity[name] != len(n.Args) {
		return nil, refuse(n, "builtin %s", name)
	}
	args := make([]fexpr, len(n.Args))
	for i, a := range n.Args {
		x, err := c.expr(a, s)
		if err != nil {
			return nil, err
		}
		args[i] = x
	}
	return func(e *fenv) (any, error) {
		vals := make([]any, len(args))
		for i, a := range args {
			v, err := a(e)
			if err != nil {
				return nil, fallback(err)
			}
			vals[i] = v
		}
		return fn(vals)
	}, nil
}

// clause is one step of a comprehension: it calls yield once per binding it makes.
type clause func(e *fenv, yield func() error) error

func (c *fcompiler) clauses(cl []ast.Clause, s *fscope) ([]clause, *fscope, error) {
	var out []clause
	for _, x := range cl {
		switch x := x.(type) {
		case *ast.IfClause:
			cond, err := c.expr(x.Condition, s)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, func(e *fenv, yield func() error) error {
				v, err := cond(e)
				if err != nil {
					return fallback(err)
				}
				b, ok := v.(bool)
				if !ok {
					return errFallback
				}
				if b {
					return yield()
				}
				return nil
			})
		case *ast.ForClause:
			src, err := c.expr(x.Source, s)
			if err != nil {
				return nil, nil, err
			}
			inner := &fscope{parent: s, names: map[string]binding{}}
			key, val := -1, c.p.nvars
			c.p.nvars++
			if x.Key != nil {
				key = c.p.nvars
				c.p.nvars++
				inner.names[x.Key.Name] = binding{kind: bindVar, idx: key}
			}
			inner.names[x.Value.Name] = binding{kind: bindVar, idx: val}
			s = inner
			out = append(out, func(e *fenv, yield func() error) error {
				v, err := src(e)
				if err != nil {
					return fallback(err)
				}
				l, ok := v.([]any)
				if !ok {
					return errFallback // structs iterate in CUE's field order
				}
				for i, el := range l {
					if key >= 0 {
						e.vars[key] = int64(i)
					}
					e.vars[val] = el
					if err := yield(); err != nil {
						return err
					}
				}
				return nil
			})
		default:
			return nil, nil, refuse(x, "comprehension clause %T", x)
		}
	}
	return out, s, nil
}

func runClauses(e *fenv, cl []clause, body func() error) error {
	if len(cl) == 0 {
		return body()
	}
	return cl[0](e, func() error { return runClauses(e, cl[1:], body) })
}

func (c *fcompiler) list(n *ast.ListLit, s *fscope) (fexpr, error) {
	type elem struct {
		x  fexpr
		cl []clause
	}
	var elems []elem
	for _, el := range n.Elts {
		switch el := el.(type) {
		case *ast.Comprehension:
			cl, inner, err := c.clauses(el.Clauses, s)
			if err != nil {
				return nil, err
			}
			body, ok := el.Value.(*ast.StructLit)
			if !ok {
				return nil, refuse(el, "comprehension body")
			}
			var x fexpr
			if len(body.Elts) == 1 {
				if emb, ok := body.Elts[0].(*ast.EmbedDecl); ok {
					x, err = c.value(emb.Expr, inner)
				} else {
					x, err = c.structLit(body, inner)
				}
			} else {
				x, err = c.structLit(body, inner)
			}
			if err != nil {
				return nil, err
			}
			elems = append(elems, elem{x: x, cl: cl})
		case *ast.Ellipsis:
			return nil, refuse(el, "open list")
		default:
			x, err := c.value(el, s)
			if err != nil {
				return nil, err
			}
			elems = append(elems, elem{x: x})
		}
	}
	return func(e *fenv) (any, error) {
		out := make([]any, 0, len(elems))
		for _, el := range elems {
			if el.cl == nil {
				v, err := el.x(e)
				if err != nil {
					return nil, fallback(err)
				}
				out = append(out, v)
				continue
			}
			err := runClauses(e, el.cl, func() error {
				v, err := el.x(e)
				if err != nil {
					return fallback(err)
				}
				out = append(out, v)
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}, nil
}

// value compiles an expression whose result is placed in a list or struct: a value
// taken from the record is copied, so no two entities share a map or slice.
func (c *fcompiler) value(n ast.Expr, s *fscope) (fexpr, error) {
	x, err := c.expr(n, s)
	if err != nil {
		return nil, err
	}
	if !c.isInChain(n, s) && !c.refersToVar(n, s) {
		return x, nil
	}
	return func(e *fenv) (any, error) {
		v, err := x(e)
		if err != nil {
			return nil, err
		}
		if isComposite(v) {
			return deepCopy(v), nil
		}
		return v, nil
	}, nil
}

func (c *fcompiler) refersToVar(n ast.Expr, s *fscope) bool {
	for {
		switch x := n.(type) {
		case *ast.SelectorExpr:
			n = x.X
		case *ast.IndexExpr:
			n = x.X
		case *ast.ParenExpr:
			n = x.X
		case *ast.Ident:
			b, ok := s.lookup(x.Name)
			return ok && (b.kind == bindVar || b.kind == bindLet)
		default:
			return false
		}
	}
}

// structLit compiles a struct literal of out: fields with constant labels, and if/for
// comprehensions adding fields. A field given twice is CUE's to unify.
func (c *fcompiler) structLit(n *ast.StructLit, s *fscope) (fexpr, error) {
	inner := &fscope{parent: s, names: map[string]binding{}}
	// Every field label is a name in the struct's scope; a reference to one (a sibling
	// field) is not followed.
	for _, d := range n.Elts {
		if f, ok := d.(*ast.Field); ok {
			if id, ok := f.Label.(*ast.Ident); ok {
				inner.names[id.Name] = binding{kind: bindBlocked}
			}
		}
	}
	type field struct {
		name string
		x    fexpr
	}
	type comp struct {
		cl   []clause
		body fexpr
	}
	var fields []field
	var comps []comp
	for _, d := range n.Elts {
		switch d := d.(type) {
		case *ast.Field:
			name, isIdent, err := ast.LabelName(d.Label)
			if err != nil || !isIdent && !isSimpleString(d.Label) {
				return nil, refuse(d, "dynamic label")
			}
			if d.Constraint != token.ILLEGAL || strings.HasPrefix(name, "_") || strings.HasPrefix(name, "#") {
				return nil, refuse(d, "field %q is not a regular field", name)
			}
			if _, aliased := d.Label.(*ast.Alias); aliased || d.Alias != nil {
				return nil, refuse(d, "aliased field %q", name)
			}
			if isSimpleString(d.Label) && (strings.HasPrefix(name, "_") || strings.HasPrefix(name, "#")) {
				return nil, refuse(d, "label %q", name)
			}
			x, err := c.value(d.Value, inner)
			if err != nil {
				return nil, err
			}
			fields = append(fields, field{name, x})
		case *ast.Comprehension:
			cl, cs, err := c.clauses(d.Clauses, inner)
			if err != nil {
				return nil, err
			}
			body, ok := d.Value.(*ast.StructLit)
			if !ok {
				return nil, refuse(d, "comprehension body")
			}
			for _, el := range body.Elts {
				if _, ok := el.(*ast.Field); !ok {
					if _, ok := el.(*ast.CommentGroup); !ok {
						return nil, refuse(el, "comprehension body with %T", el)
					}
				}
			}
			b, err := c.structLit(body, cs)
			if err != nil {
				return nil, err
			}
			comps = append(comps, comp{cl, b})
		case *ast.CommentGroup, *ast.Attribute:
		default:
			return nil, refuse(d, "%T in a struct", d)
		}
	}
	return func(e *fenv) (any, error) {
		out := make(map[string]any, len(fields))
		for _, f := range fields {
			v, err := f.x(e)
			if err != nil {
				return nil, fallback(err)
			}
			if _, dup := out[f.name]; dup {
				return nil, errFallback
			}
			out[f.name] = v
		}
		for _, cm := range comps {
			err := runClauses(e, cm.cl, func() error {
				v, err := cm.body(e)
				if err != nil {
					return fallback(err)
				}
				for k, x := range v.(map[string]any) {
					if _, dup := out[k]; dup {
						return errFallback
					}
					out[k] = x
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}, nil
}
