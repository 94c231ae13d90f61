package schema

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// check reports whether x, a value of an entity, satisfies the node. false means
// "not known to be valid": the caller asks CUE.
//
// Only the Go types JSON and YAML decoders make are understood; anything else (a Go
// struct, a channel, a []string) is left to CUE's encoder, as is a string that is not
// valid UTF-8 (the encoder replaces bad bytes, which changes what a pattern sees)
// and a float that is not finite (which the encoder refuses).
func (n *node) check(x any) bool {
	switch n.kind {
	case nodeTop:
		return plain(x)
	case nodeLeaf:
		k := kindOf(x)
		return k != 0 && n.kinds&k != 0 && n.pred.test(x)
	case nodeStruct:
		m, ok := x.(map[string]any)
		if !ok {
			return false
		}
		for _, name := range n.need {
			if _, ok := m[name]; !ok {
				return false
			}
		}
		for key, v := range m {
			if !utf8.ValidString(key) {
				return false
			}
			f, declared := n.fields[key]
			if declared && !f.check(v) {
				return false
			}
			matched := false
			for _, p := range n.patterns {
				if p.key.test(key) {
					matched = true
					if !p.val.check(v) {
						return false
					}
				}
			}
			if declared || matched {
				continue
			}
			if !n.open {
				return false
			}
			if n.rest != nil {
				if !n.rest.check(v) {
					return false
				}
			} else if !plain(v) {
				return false
			}
		}
		return true
	case nodeList:
		l, ok := x.([]any)
		if !ok || len(l) < len(n.prefix) || (n.elem == nil && len(l) != len(n.prefix)) {
			return false
		}
		for i, v := range l {
			if i < len(n.prefix) {
				if !n.prefix[i].check(v) {
					return false
				}
			} else if !n.elem.check(v) {
				return false
			}
		}
		return true
	}
	return false // nodeNever
}

// plain reports whether x is data the checker understands, all the way down.
func plain(x any) bool {
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if !utf8.ValidString(k) || !plain(v) {
				return false
			}
		}
		return true
	case []any:
		for _, v := range x {
			if !plain(v) {
				return false
			}
		}
		return true
	}
	return kindOf(x) != 0
}

// kindOf is the CUE kind ctx.Encode gives a scalar, or 0 for anything the checker
// leaves to CUE.
func kindOf(x any) scalarKinds {
	switch x := x.(type) {
	case nil:
		return kNull
	case bool:
		return kBool
	case string:
		if !utf8.ValidString(x) {
			return 0
		}
		return kString
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return kInt
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return 0
		}
		return kFloat
	}
	return 0
}

// ratOf is a number's exact value as CUE holds it: a float64 is the shortest decimal
// that reads back as it (what apd's SetFloat64 makes), not its binary value.
func ratOf(x any) *big.Rat {
	r := new(big.Rat)
	switch x := x.(type) {
	case int:
		return r.SetInt64(int64(x))
	case int8:
		return r.SetInt64(int64(x))
	case int16:
		return r.SetInt64(int64(x))
	case int32:
		return r.SetInt64(int64(x))
	case int64:
		return r.SetInt64(x)
	case uint:
		return r.SetUint64(uint64(x))
	case uint8:
		return r.SetUint64(uint64(x))
	case uint16:
		return r.SetUint64(uint64(x))
	case uint32:
		return r.SetUint64(uint64(x))
	case uint64:
		return r.SetUint64(x)
	case float64:
		if _, ok := r.SetString(strconv.FormatFloat(x, 'E', -1, 64)); ok {
			return r
		}
	}
	return nil
}

// testString is test for a string, as a pattern tests a field name.
func (p *pred) testString(s string) bool { return utf8.ValidString(s) && p.test(s) }

// test reports whether the scalar x, already known to be of a kind kindOf accepts,
// satisfies p.
func (p *pred) test(x any) bool {
	switch p.op {
	case pAnd:
		for _, s := range p.subs {
			if !s.test(x) {
				return false
			}
		}
		return true
	case pOr:
		for _, s := range p.subs {
			if s.test(x) {
				return true
			}
		}
		return false
	case pKind:
		return p.kinds&kindOf(x) != 0
	case pMatch, pNotMatch:
		s, ok := x.(string)
		return ok && p.re.MatchString(s) == (p.op == pMatch)
	case pConst:
		if kindOf(x) != p.vk {
			return false // 1 and 1.0 conflict in CUE too
		}
		c, ok := p.cmp(x)
		return ok && c == 0
	case pNotEqual:
		k := kindOf(x)
		switch {
		case p.vk == kNull:
			return k != kNull && k != 0
		case p.vk&kNumber != 0 && k&kNumber == 0, p.vk&kNumber == 0 && k != p.vk:
			return false
		}
		c, ok := p.cmp(x)
		return ok && c != 0
	case pLess, pLessEq, pGreater, pGreaterEq:
		k := kindOf(x)
		if k == 0 || (k == kString) != (p.vk == kString) || (k != kString && k&kNumber == 0) {
			return false
		}
		c, ok := p.cmp(x)
		if !ok {
			return false
		}
		switch p.op {
		case pLess:
			return c < 0
		case pLessEq:
			return c <= 0
		case pGreater:
			return c > 0
		default:
			return c >= 0
		}
	}
	return false
}

// cmp compares x with p's operand, both of one kind (numbers count as one), as CUE
// does: strings byte by byte, numbers by exact value. ok is false when they cannot
// be compared, which every caller takes as "not valid".
func (p *pred) cmp(x any) (c int, ok bool) {
	switch p.vk {
	case kNull:
		return 0, x == nil
	case kBool:
		b, ok := x.(bool)
		if !ok {
			return 0, false
		}
		if b == p.b {
			return 0, true
		}
		return 1, true
	case kString:
		s, ok := x.(string)
		return strings.Compare(s, p.str), ok
	case kInt, kFloat:
		r := ratOf(x)
		if r == nil {
			return 0, false
		}
		return r.Cmp(p.num), true
	}
	return 0, false
}
