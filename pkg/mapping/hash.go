package mapping

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sync"
)

// InputHash identifies what a mapping sees of a record: the mapping's name and the
// projected record, exactly (types included). Two records with the same InputHash give
// the same result from the same mapping sources.
func (m *Mapping) InputHash(data any) [32]byte {
	bp := bufPool.Get().(*[]byte)
	b := append((*bp)[:0], "mapping\x00"...)
	b = append(b, m.Name...)
	b = append(b, 0)
	b = appendProjected(b, data, m.fields)
	sum := sha256.Sum256(b)
	*bp = b
	bufPool.Put(bp)
	return sum
}

// Hash returns the sha256 of AppendValue's encoding of v.
func Hash(v any) [32]byte {
	bp := bufPool.Get().(*[]byte)
	b := AppendValue((*bp)[:0], v)
	sum := sha256.Sum256(b)
	*bp = b
	bufPool.Put(bp)
	return sum
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// AppendValue appends a canonical, typed encoding of a decoded JSON-like value to b:
// maps with sorted keys, and a type tag on every value, so that 5 and 5.0 and "5" differ.
func AppendValue(b []byte, v any) []byte {
	return appendProjected(b, v, nil)
}

func put(b []byte, tag byte, n uint64) []byte {
	b = append(b, tag)
	return binary.LittleEndian.AppendUint64(b, n)
}

// appendProjected appends the encoding of project(v, t) without building it.
func appendProjected(b []byte, v any, t *fieldTree) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, 'n')
	case bool:
		if x {
			return append(b, 't')
		}
		return append(b, 'f')
	case string:
		b = put(b, 's', uint64(len(x)))
		return append(b, x...)
	case int:
		return put(b, 'i', uint64(x))
	case int64:
		return put(b, 'i', uint64(x))
	case uint64:
		return put(b, 'u', x)
	case float64:
		return put(b, 'd', math.Float64bits(x))
	case *big.Int:
		s := x.String()
		b = put(b, 'b', uint64(len(s)))
		return append(b, s...)
	case []any:
		b = put(b, 'l', uint64(len(x)))
		for _, e := range x {
			b = appendProjected(b, e, nil)
		}
		return b
	case map[string]any:
		var arr [32]string
		keys := arr[:0]
		if t == nil || t.whole {
			t = nil
			for k := range x {
				keys = append(keys, k)
			}
		} else {
			for k := range t.children {
				if _, ok := x[k]; ok {
					keys = append(keys, k)
				}
			}
		}
		slices.Sort(keys)
		b = put(b, 'm', uint64(len(keys)))
		for _, k := range keys {
			b = put(b, 'k', uint64(len(k)))
			b = append(b, k...)
			var ct *fieldTree
			if t != nil {
				ct = t.children[k]
			}
			b = appendProjected(b, x[k], ct)
		}
		return b
	}
	s := fmt.Sprintf("%T:%v", v, v)
	b = put(b, '?', uint64(len(s)))
	return append(b, s...)
}
