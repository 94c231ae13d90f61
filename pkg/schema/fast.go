package schema

// The fast checker: a kind's schema compiled, once per Load, into plain Go that
// decides most entities without the CUE evaluator. Validate asks it first; only an
// entity it does not pass goes through CUE, which also writes the problem messages.
//
// The checker is sound, not complete: it may call an entity invalid that CUE accepts
// (that costs only the time of the CUE path), never the other way round. To keep that
// promise the compiler refuses, for the whole kind, anything it does not understand
// exactly; a kind it refuses has no checker and every entity of it goes through CUE.
//
// The compiler reads the evaluated schema value, which is only the truth about an
// entity if the schema does not depend on the entity itself: a reference from inside
// a kind to one of its own fields (spec: b: a), a comprehension or a label alias
// would be evaluated once against the schema alone. safeSources looks for every such
// construct in the sources before any value is read; finding one, it leaves every
// kind without a checker.

import (
	"fmt"
	"math/big"
	"regexp"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
)

// maxFastDepth bounds how deep the compiler walks a schema, against a recursive
// definition (#Tree: children?: [...#Tree]) that CUE unfolded without end. (CUE
// v0.17 does not: the recursive element is an error in the schema alone, which
// compiles to nodeNever, so a nested tree goes through CUE.) A kind deeper than this
// gets no checker.
const maxFastDepth = 24

// nodeKind is what a checker node accepts.
type nodeKind uint8

const (
	nodeNever  nodeKind = iota // nothing: the schema's value here is an error
	nodeTop                    // any value (_)
	nodeLeaf                   // a scalar satisfying pred
	nodeStruct                 // a struct
	nodeList                   // a list
)

// node checks one value of an entity.
type node struct {
	kind nodeKind

	// nodeLeaf
	kinds scalarKinds // the kinds the value may have, from the schema's IncompleteKind
	pred  *pred

	// nodeStruct
	fields   map[string]*node // every regular, optional and required field
	need     []string         // fields the entity must have: required ones, and regular ones that are not concrete
	patterns []pattern        // [key]: value constraints
	open     bool             // a field that is neither declared nor matches a pattern is allowed
	rest     *node            // when open and not nil, what such a field must satisfy

	// nodeList
	prefix []*node // the schema's own elements, [a, b, ...]
	elem   *node   // the element type of an open list ([...T]); nil for a closed list
}

type pattern struct {
	key *pred
	val *node
}

// scalarKinds is a set of the scalar kinds an entity's value can have.
type scalarKinds uint8

const (
	kNull scalarKinds = 1 << iota
	kBool
	kInt
	kFloat
	kString
)

const kNumber = kInt | kFloat

// predOp is the operation of a pred.
type predOp uint8

const (
	pAnd predOp = iota
	pOr
	pKind     // the value's kind is in kinds
	pConst    // the value equals a concrete one
	pMatch    // =~
	pNotMatch // !~
	pNotEqual // !=
	pLess     // <
	pLessEq   // <=
	pGreater  // >
	pGreaterEq
)

// pred is a constraint on one scalar, as CUE evaluates it: kinds, concrete values,
// bounds and regular expressions, combined with & and |.
type pred struct {
	op    predOp
	subs  []*pred // pAnd, pOr
	kinds scalarKinds
	re    *regexp.Regexp
	// The operand of pConst and the bounds: its kind, and its value.
	vk  scalarKinds
	str string
	num *big.Rat
	b   bool
}

// refuse says what the compiler does not take on, for tests and for a reader
// wondering why a kind has no checker.
func refuse(format string, args ...any) error { return fmt.Errorf(format, args...) }

// compileFast compiles a checker for each kind. A kind left out of the result has
// none; why is in the second map.
func compileFast(files []*ast.File, kinds map[string]cue.Value) (map[string]*node, map[string]string) {
	checkers := map[string]*node{}
	why := map[string]string{}
	if err := safeSources(files); err != nil {
		for name := range kinds {
			why[name] = err.Error()
		}
		return checkers, why
	}
	c := &fastCompiler{regexps: map[string]*regexp.Regexp{}}
	for name, v := range kinds {
		n, err := c.node(v, 0)
		if err == nil && n.kind != nodeStruct {
			err = refuse("the kind is not a struct")
		}
		if err != nil {
			why[name] = err.Error()
			continue
		}
		checkers[name] = n
	}
	return checkers, why
}

type fastCompiler struct {
	// regexps shares one compiled expression between the kinds that use it.
	regexps map[string]*regexp.Regexp
}

func (c *fastCompiler) node(v cue.Value, depth int) (*node, error) {
	if depth > maxFastDepth {
		return nil, refuse("deeper than %d levels (a recursive definition?)", maxFastDepth)
	}
	if v.Err() != nil {
		// An optional field whose constraints contradict each other: any value
		// there is an error.
		return &node{kind: nodeNever}, nil
	}
	k := v.IncompleteKind()
	op, args := v.Eval().Expr()
	switch {
	case k == cue.TopKind:
		if op == cue.NoOp && len(args) == 1 && isBasicType(args[0], "_") {
			return &node{kind: nodeTop}, nil
		}
		return nil, refuse("a value of any kind that is not _: %v", v)
	case k == cue.StructKind:
		if op != cue.NoOp {
			return nil, refuse("a struct that is %v of several: %v", op, v)
		}
		return c.structNode(v, depth)
	case k == cue.ListKind:
		if op != cue.NoOp {
			return nil, refuse("a list that is %v of several: %v", op, v)
		}
		return c.listNode(v, depth)
	case k != cue.BottomKind && k&(cue.StructKind|cue.ListKind) == 0:
		sk, err := scalarKindsOf(k)
		if err != nil {
			return nil, err
		}
		p, err := c.pred(v, 0)
		if err != nil {
			return nil, err
		}
		return &node{kind: nodeLeaf, kinds: sk, pred: p}, nil
	}
	return nil, refuse("a value of kind %v: %v", k, v)
}

func (c *fastCompiler) structNode(v cue.Value, depth int) (*node, error) {
	n := &node{kind: nodeStruct, fields: map[string]*node{}}
	it, err := v.Fields(cue.Optional(true), cue.Patterns(true), cue.Hidden(true), cue.Definitions(true))
	if err != nil {
		return nil, refuse("struct fields: %v", err)
	}
	for it.Next() {
		sel := it.Selector()
		if sel.ConstraintType() == cue.PatternConstraint {
			key, err := c.pred(sel.Pattern(), 0)
			if err != nil {
				return nil, err
			}
			val, err := c.node(it.Value(), depth+1)
			if err != nil {
				return nil, err
			}
			n.patterns = append(n.patterns, pattern{key: key, val: val})
			continue
		}
		if sel.LabelType() != cue.StringLabel {
			// Hidden fields and definitions are no part of an entity, but whether
			// CUE's validation looks into them is not this compiler's to guess.
			return nil, refuse("a hidden field or definition in a kind: %v", sel)
		}
		name := sel.Unquoted()
		fn, err := c.node(it.Value(), depth+1)
		if err != nil {
			return nil, err
		}
		n.fields[name] = fn
		switch sel.ConstraintType() {
		case cue.RequiredConstraint:
			n.need = append(n.need, name)
		case cue.OptionalConstraint:
		case 0:
			// A regular field the entity leaves out keeps the schema's value, which
			// must then be concrete.
			if !fn.concreteAlone() {
				n.need = append(n.need, name)
			}
		default:
			return nil, refuse("field %v of constraint type %v", sel, sel.ConstraintType())
		}
	}
	// Whether a field the schema does not name is allowed is asked of CUE itself,
	// with a name that matches no pattern; CUE's closedness rules are subtle enough
	// that the compiler does not derive them. A struct is taken as open only when
	// both Allows and the way it was written (not closed, or with ...) say so.
	rest := v.LookupPath(cue.MakePath(cue.AnyString))
	if probe, ok := probeLabel(n); ok && v.Allows(cue.Str(probe)) && (!v.IsClosed() || rest.Exists()) {
		n.open = true
		if rest.Exists() {
			r, err := c.node(rest, depth+1)
			if err != nil {
				return nil, err
			}
			if r.kind != nodeTop {
				n.rest = r
			}
		}
	}
	return n, nil
}

// probeLabel finds a field name the struct neither declares nor matches by a pattern.
func probeLabel(n *node) (string, bool) {
	for _, probe := range []string{"\x00pane-probe", "pane probe/\x01", "-", "0", "\U0010FFFF"} {
		if _, ok := n.fields[probe]; ok {
			continue
		}
		matched := false
		for _, p := range n.patterns {
			if p.key.test(probe) {
				matched = true
				break
			}
		}
		if !matched {
			return probe, true
		}
	}
	return "", false
}

func (c *fastCompiler) listNode(v cue.Value, depth int) (*node, error) {
	n := &node{kind: nodeList}
	it, err := v.List()
	if err != nil {
		return nil, refuse("list: %v", err)
	}
	for it.Next() {
		e, err := c.node(it.Value(), depth+1)
		if err != nil {
			return nil, err
		}
		n.prefix = append(n.prefix, e)
	}
	elem := v.LookupPath(cue.MakePath(cue.AnyIndex))
	// The length says whether the list is open; it must agree with the element type.
	l := v.Len()
	switch n64, err := l.Int64(); {
	case elem.Exists() && !l.IsConcrete():
		e, err := c.node(elem, depth+1)
		if err != nil {
			return nil, err
		}
		n.elem = e
	case !elem.Exists() && err == nil && n64 == int64(len(n.prefix)):
	default:
		return nil, refuse("a list whose length %v does not fit its %d elements", l, len(n.prefix))
	}
	return n, nil
}

// concreteAlone reports whether the schema's value here is valid without anything
// from the entity: what a regular field left out of the entity must be.
func (n *node) concreteAlone() bool {
	switch n.kind {
	case nodeLeaf:
		return n.pred.op == pConst
	case nodeStruct:
		return len(n.need) == 0
	}
	return false // lists and _ are left to CUE: being wrong here only costs time
}

// pred compiles the evaluated value of a scalar.
func (c *fastCompiler) pred(v cue.Value, depth int) (*pred, error) {
	if depth > maxFastDepth {
		return nil, refuse("an expression deeper than %d levels", maxFastDepth)
	}
	if err := v.Err(); err != nil {
		return nil, refuse("an error in a constraint: %v", err)
	}
	op, args := v.Eval().Expr()
	switch op {
	case cue.NoOp:
		if len(args) != 1 {
			return nil, refuse("a value of %d parts: %v", len(args), v)
		}
		return c.atom(args[0])
	case cue.AndOp, cue.OrOp:
		p := &pred{op: pAnd}
		if op == cue.OrOp {
			p.op = pOr
		}
		for _, a := range args {
			if op == cue.OrOp && a.IncompleteKind()&(cue.StructKind|cue.ListKind) != 0 {
				return nil, refuse("a disjunction with a struct or list: %v", v)
			}
			s, err := c.pred(a, depth+1)
			if err != nil {
				return nil, err
			}
			p.subs = append(p.subs, s)
		}
		if len(p.subs) == 0 {
			return nil, refuse("an empty %v", op)
		}
		return p, nil
	case cue.RegexMatchOp, cue.NotRegexMatchOp:
		if len(args) != 1 {
			return nil, refuse("%v with %d operands", op, len(args))
		}
		s, err := args[0].String()
		if err != nil || !args[0].IsConcrete() {
			return nil, refuse("%v of a value that is not a string: %v", op, args[0])
		}
		re, ok := c.regexps[s]
		if !ok {
			// The same package CUE uses, so the same language and the same answers.
			if re, err = regexp.Compile(s); err != nil {
				return nil, refuse("regular expression %q: %v", s, err)
			}
			c.regexps[s] = re
		}
		p := &pred{op: pMatch, re: re}
		if op == cue.NotRegexMatchOp {
			p.op = pNotMatch
		}
		return p, nil
	case cue.NotEqualOp, cue.LessThanOp, cue.LessThanEqualOp, cue.GreaterThanOp, cue.GreaterThanEqualOp:
		if len(args) != 1 || !args[0].IsConcrete() {
			return nil, refuse("a bound %v without a concrete operand: %v", op, v)
		}
		p, err := constant(args[0])
		if err != nil {
			return nil, err
		}
		switch op {
		case cue.NotEqualOp:
			p.op = pNotEqual
		case cue.LessThanOp:
			p.op = pLess
		case cue.LessThanEqualOp:
			p.op = pLessEq
		case cue.GreaterThanOp:
			p.op = pGreater
		case cue.GreaterThanEqualOp:
			p.op = pGreaterEq
		}
		if p.op != pNotEqual && p.vk != kString && p.vk&kNumber == 0 {
			return nil, refuse("bound %v on a %v", op, args[0].Kind())
		}
		return p, nil
	}
	return nil, refuse("operation %v: %v", op, v)
}

// atom compiles a value Expr does not take apart further: a concrete scalar or a
// basic type.
func (c *fastCompiler) atom(a cue.Value) (*pred, error) {
	if a.IsConcrete() {
		return constant(a)
	}
	k := a.IncompleteKind()
	names := map[cue.Kind]string{
		cue.StringKind: "string", cue.IntKind: "int", cue.FloatKind: "float",
		cue.NumberKind: "number", cue.BoolKind: "bool", cue.BytesKind: "bytes", cue.TopKind: "_",
	}
	name, ok := names[k]
	if !ok || !isBasicType(a, name) {
		return nil, refuse("a value the compiler does not know: %v", a)
	}
	if k == cue.TopKind {
		// Inside a scalar's constraints, _ allows every scalar.
		return &pred{op: pKind, kinds: kNull | kBool | kNumber | kString}, nil
	}
	sk, err := scalarKindsOf(k)
	if err != nil {
		return nil, err
	}
	return &pred{op: pKind, kinds: sk}, nil
}

// isBasicType reports whether a is exactly the basic type spelled name: a kind with
// nothing else attached.
func isBasicType(a cue.Value, name string) bool {
	return !a.IsConcrete() && fmt.Sprint(a) == name
}

// constant compiles a concrete scalar into a pConst.
func constant(a cue.Value) (*pred, error) {
	p := &pred{op: pConst}
	switch a.Kind() {
	case cue.NullKind:
		p.vk = kNull
	case cue.BoolKind:
		b, err := a.Bool()
		if err != nil {
			return nil, refuse("bool: %v", err)
		}
		p.vk, p.b = kBool, b
	case cue.StringKind:
		s, err := a.String()
		if err != nil {
			return nil, refuse("string: %v", err)
		}
		p.vk, p.str = kString, s
	case cue.IntKind, cue.FloatKind:
		mant := new(big.Int)
		exp, err := a.MantExp(mant)
		if err != nil {
			return nil, refuse("number: %v", err)
		}
		if exp > 400 || exp < -400 {
			return nil, refuse("number %v: too large an exponent", a)
		}
		p.vk, p.num = kInt, decimalRat(mant, exp)
		if a.Kind() == cue.FloatKind {
			p.vk = kFloat
		}
	default:
		return nil, refuse("a concrete %v", a.Kind())
	}
	return p, nil
}

// decimalRat is mant × 10^exp, exactly.
func decimalRat(mant *big.Int, exp int) *big.Rat {
	pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(exp))), nil)
	if exp >= 0 {
		return new(big.Rat).SetInt(new(big.Int).Mul(mant, pow))
	}
	return new(big.Rat).SetFrac(mant, pow)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func scalarKindsOf(k cue.Kind) (scalarKinds, error) {
	if k&^(cue.NullKind|cue.BoolKind|cue.IntKind|cue.FloatKind|cue.StringKind|cue.BytesKind) != 0 {
		return 0, refuse("kind %v", k)
	}
	var sk scalarKinds
	for _, m := range []struct {
		c cue.Kind
		s scalarKinds
	}{{cue.NullKind, kNull}, {cue.BoolKind, kBool}, {cue.IntKind, kInt}, {cue.FloatKind, kFloat}, {cue.StringKind, kString}} {
		if k&m.c != 0 {
			sk |= m.s
		}
	}
	// Bytes never come out of an entity: a bytes-only constraint rejects every value.
	return sk, nil
}

// DisableFast makes Validate use CUE alone for every kind: for tests that compare the
// two, and for PANE_FASTPATH=off.
func (s *Schemas) DisableFast() {
	for k := range s.fast {
		s.noFast[k] = "disabled (PANE_FASTPATH=off, or a test)"
	}
	s.fast = map[string]*node{}
}
