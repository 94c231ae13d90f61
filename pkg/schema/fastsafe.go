package schema

import (
	"fmt"

	"cuelang.org/go/cue/ast"
)

// predeclared are the identifiers CUE knows without a declaration that the fast
// checker's compiler can meet: types and builtin functions. Any other undeclared name
// (self, for one) is refused.
var predeclared = map[string]bool{
	"_": true, "string": true, "bytes": true, "bool": true, "int": true, "float": true, "number": true,
	"null": true, "true": true, "false": true,
	"int8": true, "int16": true, "int32": true, "int64": true, "int128": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true, "uint128": true,
	"rune": true, "byte": true, "float32": true, "float64": true,
	"len": true, "close": true, "and": true, "or": true, "div": true, "mod": true, "quo": true, "rem": true,
}

// safeSources reports the first construct in the schema sources that could make a
// kind's schema depend on the entity being validated, so that its value evaluated
// alone would not be the constraint CUE applies.
//
// Unifying an entity with a kind evaluates the kind's struct literals again, in the
// entity's place. A reference that resolves inside those literals (a field, a value
// or label alias, a let within a struct) then sees the entity's values, and so does a
// comprehension. A reference to a declaration at the top of a file (a definition, a
// top-level let, kinds itself) does not: that is evaluated once, in the package. So
// every identifier must resolve to the top of a file or be predeclared, with one
// exception: the label alias of the kinds pattern ([Kind=string]), which stands for
// the kind's own name.
func safeSources(files []*ast.File) error {
	sc := &sourceScan{top: map[string]bool{}, kindPatterns: map[ast.Node]bool{}}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.Field:
				label := d.Label
				if a, ok := label.(*ast.Alias); ok {
					sc.top[a.Ident.Name] = true
					label, _ = a.Expr.(ast.Label)
				}
				if label == nil {
					continue
				}
				name, _, err := ast.LabelName(label)
				if err != nil {
					continue
				}
				sc.top[name] = true
				if name == "kinds" {
					sc.markKindPatterns(d.Value)
				}
			case *ast.LetClause:
				sc.top[d.Ident.Name] = true
			case *ast.Alias:
				sc.top[d.Ident.Name] = true
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d.(type) {
			case *ast.Package, *ast.ImportDecl, *ast.Attribute, *ast.CommentGroup:
				continue
			}
			ast.Walk(d, sc.before, nil)
			if sc.err != nil {
				return sc.err
			}
		}
	}
	return nil
}

type sourceScan struct {
	top          map[string]bool   // names declared at the top of some file
	kindPatterns map[ast.Node]bool // the [Kind=string] pattern fields of kinds
	err          error
}

// markKindPatterns records the pattern fields directly inside the value of a
// top-level kinds field.
func (sc *sourceScan) markKindPatterns(v ast.Expr) {
	s, ok := v.(*ast.StructLit)
	if !ok {
		return
	}
	for _, e := range s.Elts {
		if f, ok := e.(*ast.Field); ok {
			if _, ok := f.Label.(*ast.ListLit); ok {
				sc.kindPatterns[f] = true
			}
		}
	}
}

func (sc *sourceScan) fail(n ast.Node, format string, args ...any) {
	if sc.err == nil {
		sc.err = refuse("%s: %s", n.Pos(), fmt.Sprintf(format, args...))
	}
}

func (sc *sourceScan) walk(n ast.Node) {
	if n != nil && sc.err == nil {
		ast.Walk(n, sc.before, nil)
	}
}

// before visits every expression, skipping what is a name rather than a reference:
// field labels, selectors after a dot, the names aliases and lets declare.
func (sc *sourceScan) before(n ast.Node) bool {
	if sc.err != nil {
		return false
	}
	switch x := n.(type) {
	case *ast.Comprehension:
		sc.fail(x, "a comprehension")
		return false
	case *ast.Field:
		sc.label(x.Label)
		sc.walk(x.Value)
		return false
	case *ast.SelectorExpr:
		sc.walk(x.X)
		return false
	case *ast.Alias:
		sc.walk(x.Expr)
		return false
	case *ast.LetClause:
		sc.walk(x.Expr)
		return false
	case *ast.Attribute, *ast.CommentGroup, *ast.ImportDecl, *ast.Package:
		return false
	case *ast.Ident:
		sc.ident(x)
		return false
	}
	return true
}

func (sc *sourceScan) label(l ast.Label) {
	switch l := l.(type) {
	case *ast.Ident, *ast.BasicLit:
	case *ast.Alias:
		if inner, ok := l.Expr.(ast.Label); ok {
			sc.label(inner)
		} else {
			sc.walk(l.Expr)
		}
	case *ast.ListLit:
		// A pattern constraint: its alias declares a name, its expression is one.
		for _, e := range l.Elts {
			if a, ok := e.(*ast.Alias); ok {
				sc.walk(a.Expr)
			} else {
				sc.walk(e)
			}
		}
	default:
		// A dynamic label, (expr) or "\(x)".
		sc.walk(l)
	}
}

func (sc *sourceScan) ident(id *ast.Ident) {
	switch {
	case id.Node == nil:
		// Left unresolved by the parser: a declaration at the top of another file of
		// the package, or a predeclared name.
		if !sc.top[id.Name] && !predeclared[id.Name] {
			sc.fail(id, "the name %s", id.Name)
		}
	case isFile(id.Scope):
	case sc.kindPatterns[id.Scope]:
	default:
		if _, ok := id.Node.(*ast.ImportSpec); ok {
			return // a builtin package: what is called is judged on the value
		}
		sc.fail(id, "%s refers to a declaration inside a struct", id.Name)
	}
}

func isFile(n ast.Node) bool {
	_, ok := n.(*ast.File)
	return ok
}
