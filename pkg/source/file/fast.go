package file

import (
	"bytes"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/valyala/fastjson"

	"github.com/pane-dev/pane/pkg/source"
)

// The fast path for JSON arrays and NDJSON. A large recorded org is tens of megabytes of
// JSON of which the mappings read a few fields a record, and encoding/json decoding whole
// records was half of a warm compile. Here a scan that tracks only strings and depth cuts
// the array into elements, each element is checked (wellFormed) and parsed by fastjson on
// all cores, and only the part of the record that is read is turned into Go values.
//
// The results must be exactly the reference's (std.go) followed by source.Project, and so
// must the errors. Whatever the fast path cannot vouch for goes to the reference: a file
// that is not a well-formed array (for its errors, with line and column), and a record
// whose strings hold invalid UTF-8 or \u escapes of surrogates (which encoding/json turns
// into U+FFFD and fastjson does not) or that is nested very deep.

// decode is Decode keeping, of each record, only what keep keeps (nil: whole records).
func decode(name, format string, data []byte, keep *source.Fields, each func(string, any) error) error {
	switch format {
	case "json":
		if elems, ok := cutArray(data); ok {
			if done, err := decodeArray(name, elems, keep, each); done {
				return err
			}
		}
	case "ndjson":
		if lines, ok := cutLines(data); ok {
			return decodeLines(name, lines, keep, each)
		}
	}
	if keep != nil && !keep.Whole {
		whole := each
		each = func(where string, v any) error { return whole(where, source.Project(v, keep)) }
	}
	return decodeStd(name, format, data, each)
}

// decodeArray decodes the elements of a JSON array and hands them to each in order. done
// is false, with nothing handed to each, when the array is not well-formed: the reference
// then reports where.
func decodeArray(name string, elems [][]byte, keep *source.Fields, each func(string, any) error) (done bool, err error) {
	vals := make([]any, len(elems))
	big := len(elems) >= parallelMin
	p := compile(keep)
	ok := run(len(elems), big, func(d *decoder, i int) bool {
		if v, ok := d.record(elems[i], p); ok {
			vals[i] = v
			return true
		}
		if !big {
			return false // the reference decodes a small array whole; let it
		}
		// A large array the reference decodes element by element, as here.
		v, err := decodeJSON(elems[i])
		if err != nil {
			return false
		}
		vals[i] = source.Project(v, keep)
		return true
	})
	if !ok {
		return false, nil
	}
	for i, v := range vals {
		if _, ok := v.(map[string]any); !ok {
			return true, fmt.Errorf("%s[%d]: a record must be an object, not %s", name, i, typeName(v))
		}
		if err := each(fmt.Sprintf("%s[%d]", name, i), v); err != nil {
			return true, err
		}
		vals[i] = nil
	}
	return true, nil
}

// ndLine is a non-blank NDJSON line and its number.
type ndLine struct {
	n int
	b []byte
}

// decodeLines decodes NDJSON lines and hands them to each in order, stopping at the first
// line that is not JSON, with the reference's error for it.
func decodeLines(name string, lines []ndLine, keep *source.Fields, each func(string, any) error) error {
	vals := make([]any, len(lines))
	errs := make([]error, len(lines))
	p := compile(keep)
	run(len(lines), len(lines) >= parallelMin, func(d *decoder, i int) bool {
		if v, ok := d.record(lines[i].b, p); ok {
			vals[i] = v
			return true
		}
		v, err := decodeJSON(lines[i].b)
		vals[i], errs[i] = source.Project(v, keep), err
		return true
	})
	for i, l := range lines {
		if errs[i] != nil {
			return fmt.Errorf("%s:%d: %v", name, l.n, errs[i])
		}
		if err := each(fmt.Sprintf("%s:%d", name, l.n), vals[i]); err != nil {
			return err
		}
		vals[i] = nil
	}
	return nil
}

// run calls fn(d, i) for i in [0, n), on all cores when parallel, each goroutine with its
// own decoder. It stops early, and returns false, when fn returns false.
func run(n int, parallel bool, fn func(d *decoder, i int) bool) bool {
	if !parallel {
		d := &decoder{}
		for i := range n {
			if !fn(d, i) {
				return false
			}
		}
		return true
	}
	const batch = 16 // records a goroutine takes at a time: few atomics, even shares
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), (n+batch-1)/batch) {
		wg.Go(func() {
			d := &decoder{}
			for !failed.Load() {
				lo := int(next.Add(batch)) - batch
				if lo >= n {
					return
				}
				for i := lo; i < min(lo+batch, n); i++ {
					if !fn(d, i) {
						failed.Store(true)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return !failed.Load()
}

// cutArray returns the elements of a top-level JSON array, found by a scan that tracks
// only strings (with their escapes) and nesting depth. It checks no element: the decoder
// does, and if every element is a JSON value then the file is an array of exactly these,
// so a cut in a wrong place can only send the file to the reference. ok is false for
// anything not shaped like a non-empty array: [] and [1,] are left to the reference.
//
// A large file is scanned on all cores, in parts that start after a newline: JSON has no
// newline inside a string, so a part starts outside one.
func cutArray(data []byte) (elems [][]byte, ok bool) {
	return cutArrayIn(data, runtime.GOMAXPROCS(0), cutParallelMin)
}

// cutArrayIn is cutArray in at most n parts when data is at least minParallel long.
func cutArrayIn(data []byte, n, minParallel int) (elems [][]byte, ok bool) {
	i := skipSpace(data, 0)
	end := len(data)
	for end > i && isSpace(data[end-1]) {
		end--
	}
	if end-i < 2 || data[i] != '[' || data[end-1] != ']' {
		return nil, false
	}
	body := data[i+1 : end-1]
	bounds := []int{0}
	if len(body) >= minParallel && n > 1 {
		for k := 1; k < n; k++ {
			at := max(k*len(body)/n, bounds[len(bounds)-1])
			j := bytes.IndexByte(body[at:], '\n')
			if j < 0 {
				break
			}
			if at+j+1 < len(body) {
				bounds = append(bounds, at+j+1)
			}
		}
	}
	bounds = append(bounds, len(body))
	parts := make([]cutPart, len(bounds)-1)
	if len(parts) == 1 {
		parts[0] = scanPart(body, 0, len(body))
	} else {
		var wg sync.WaitGroup
		for k := range parts {
			wg.Go(func() { parts[k] = scanPart(body, bounds[k], bounds[k+1]) })
		}
		wg.Wait()
	}
	// Commas at depth 1 separate the elements. The array closes only at the end.
	depth, start := 1, 0
	for _, p := range parts {
		if !p.ok || depth+p.min < 1 {
			return nil, false
		}
		if depth+p.min == 1 {
			for _, c := range p.commas {
				elems = append(elems, body[start:c])
				start = c + 1
			}
		}
		depth += p.depth
	}
	if depth != 1 {
		return nil, false
	}
	elems = append(elems, body[start:])
	for _, e := range elems {
		if skipSpace(e, 0) == len(e) {
			return nil, false
		}
	}
	return elems, true
}

// cutParallelMin is the size of array from which cutArray scans on all cores.
const cutParallelMin = 1 << 20

// cutPart is what scanning a part of an array's body finds.
type cutPart struct {
	ok     bool  // the part ends outside a string
	depth  int   // nesting depth at the end, from 0 at the start
	min    int   // the lowest depth reached
	commas []int // offsets of the commas at depth min
}

func scanPart(body []byte, lo, hi int) cutPart {
	p := cutPart{ok: true}
	in := body[:hi]
	d := 0
	for i := lo; i < hi; i++ {
		switch in[i] {
		case '"':
			end, ok := stringEnd(in, i+1)
			if !ok {
				return cutPart{}
			}
			i = end
		case '[', '{':
			d++
		case ']', '}':
			if d--; d < p.min {
				p.min = d
				p.commas = p.commas[:0]
			}
		case ',':
			if d == p.min {
				p.commas = append(p.commas, i)
			}
		}
	}
	p.depth = d
	return p
}

// stringEnd returns the index of the quote that closes the string whose text starts at i.
func stringEnd(data []byte, i int) (int, bool) {
	for {
		k := bytes.IndexByte(data[i:], '"')
		if k < 0 {
			return 0, false
		}
		i += k
		// The quote is escaped if an odd number of backslashes precede it. The opening
		// quote stops the count.
		n := 0
		for data[i-1-n] == '\\' {
			n++
		}
		if n%2 == 0 {
			return i, true
		}
		i++
	}
}

// skipSpace returns the index of the first byte from i on that is not JSON white space.
func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// maxLine is the longest NDJSON line the fast path takes. The reference's line scanner
// fails on lines of 64 MB; leaving far shorter lines to it keeps those errors its own.
const maxLine = 16 << 20

// cutLines returns the non-blank lines of NDJSON as the reference's line scanner and
// bytes.TrimSpace find them, with their numbers.
func cutLines(data []byte) ([]ndLine, bool) {
	var out []ndLine
	for n := 1; len(data) > 0; n++ {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(l) > maxLine {
			return nil, false
		}
		if b := bytes.TrimSpace(l); len(b) > 0 {
			out = append(out, ndLine{n, b})
		}
	}
	return out, true
}

// projection is a compiled source.Fields: nil keeps a value whole; otherwise an object
// keeps the fields in sub, and any other value is kept whole.
type projection struct {
	sub map[string]projField
	// first holds, by key length (mod 32), the first bytes of the keys in sub: most keys
	// of a record are not kept, and this turns them away without hashing them.
	first [32][4]uint64
}

// mayKeep reports whether k may be in p.sub.
func (p *projection) mayKeep(k []byte) bool {
	if len(k) == 0 {
		return p.first[0][0]&1 != 0
	}
	c := k[0]
	return p.first[len(k)&31][c>>6]>>(c&63)&1 != 0
}

type projField struct {
	name string // the key, to use without allocating one per record
	p    *projection
}

func compile(f *source.Fields) *projection {
	if f == nil || f.Whole {
		return nil
	}
	p := &projection{sub: make(map[string]projField, len(f.Sub))}
	for k, c := range f.Sub {
		p.sub[k] = projField{k, compile(c)}
		var c0 byte
		if len(k) > 0 {
			c0 = k[0]
		}
		p.first[len(k)&31][c0>>6] |= 1 << (c0 & 63)
	}
	return p
}

// decoder turns JSON records into the Go values encoding/json gives them (with numbers as
// source.Numbers makes them). It is not safe for concurrent use: each goroutine has one.
type decoder struct {
	p    fastjson.Parser
	num  []byte
	keys map[string]string
	strs map[string]any
}

// record decodes one JSON record keeping what p keeps. ok is false when encoding/json
// must decode it instead (see wellFormed).
func (d *decoder) record(b []byte, p *projection) (v any, ok bool) {
	if !wellFormed(b) {
		return nil, false
	}
	fv, err := d.p.ParseBytes(b)
	if err != nil {
		return nil, false
	}
	return d.value(fv, p), true
}

func (d *decoder) value(v *fastjson.Value, p *projection) any {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		if p == nil {
			m := make(map[string]any, o.Len())
			o.Visit(func(k []byte, x *fastjson.Value) { m[d.key(k)] = d.value(x, nil) })
			return m
		}
		m := make(map[string]any, len(p.sub))
		// Later duplicates replace earlier ones, as in encoding/json.
		o.Visit(func(k []byte, x *fastjson.Value) {
			if !p.mayKeep(k) {
				return
			}
			if f, ok := p.sub[string(k)]; ok {
				m[f.name] = d.value(x, f.p)
			}
		})
		return m
	case fastjson.TypeArray:
		a, _ := v.Array()
		out := make([]any, len(a))
		for i, x := range a {
			out[i] = d.value(x, nil)
		}
		return out
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return d.str(s)
	case fastjson.TypeNumber:
		d.num = v.MarshalTo(d.num[:0]) // the number's text
		return number(d.num)
	case fastjson.TypeTrue:
		return true
	case fastjson.TypeFalse:
		return false
	}
	return nil
}

// key returns k as a string, the same string for the same key: records of one shape
// repeat their keys, and sharing them saves an allocation a key.
func (d *decoder) key(k []byte) string {
	if s, ok := d.keys[string(k)]; ok {
		return s
	}
	s := string(k)
	if d.keys == nil {
		d.keys = make(map[string]string)
	}
	if len(d.keys) < 4096 {
		d.keys[s] = s
	}
	return s
}

// str returns s as a string in an interface, the same one for the same short string:
// records repeat many values (an owner's login, a permission, a topic, a property's
// value), and sharing them saves two allocations each.
func (d *decoder) str(s []byte) any {
	if len(s) > 32 {
		return string(s)
	}
	if v, ok := d.strs[string(s)]; ok {
		return v
	}
	v := any(string(s))
	if d.strs == nil {
		d.strs = make(map[string]any)
	}
	if len(d.strs) < 8192 {
		d.strs[v.(string)] = v
	}
	return v
}

// number converts a JSON number's text as source.Numbers converts a json.Number: int64
// when it is an integer that fits, float64 otherwise (±Inf beyond float64's range).
func number(b []byte) any {
	if i, ok := smallInt(b); ok {
		return i
	}
	s := string(b)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

// smallInt parses an optionally negative integer of at most 18 digits, which cannot
// overflow: the common case, without strconv's allocation of a string.
func smallInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
