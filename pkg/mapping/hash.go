package mapping

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math"
	"math/big"
	"sort"
)

// InputHash identifies what a mapping sees of a record: the mapping's name and the
// projected record, exactly (types included). Two records with the same InputHash give
// the same result from the same mapping sources.
func (m *Mapping) InputHash(data any) [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "mapping\x00%s\x00", m.Name)
	HashValue(h, project(data, m.fields))
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// HashValue writes a canonical, typed encoding of a decoded JSON-like value to h: maps
// with sorted keys, and a type tag on every value, so that 5 and 5.0 and "5" differ.
func HashValue(h hash.Hash, v any) {
	var buf [9]byte
	put := func(tag byte, n uint64) {
		buf[0] = tag
		binary.LittleEndian.PutUint64(buf[1:], n)
		h.Write(buf[:])
	}
	switch x := v.(type) {
	case nil:
		h.Write([]byte{'n'})
	case bool:
		if x {
			h.Write([]byte{'t'})
		} else {
			h.Write([]byte{'f'})
		}
	case string:
		put('s', uint64(len(x)))
		h.Write([]byte(x))
	case int:
		put('i', uint64(x))
	case int64:
		put('i', uint64(x))
	case uint64:
		put('u', x)
	case float64:
		put('d', math.Float64bits(x))
	case *big.Int:
		b := x.String()
		put('b', uint64(len(b)))
		h.Write([]byte(b))
	case []any:
		put('l', uint64(len(x)))
		for _, e := range x {
			HashValue(h, e)
		}
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		put('m', uint64(len(keys)))
		for _, k := range keys {
			put('k', uint64(len(k)))
			h.Write([]byte(k))
			HashValue(h, x[k])
		}
	default:
		s := fmt.Sprintf("%T:%v", v, v)
		put('?', uint64(len(s)))
		h.Write([]byte(s))
	}
}
