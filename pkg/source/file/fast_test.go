package file

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pane-dev/pane/pkg/source"
)

// gen writes random JSON-ish text: nested values with the things decoders disagree on
// (escapes, surrogates, invalid UTF-8, big and odd numbers, duplicate keys, deep nesting),
// and, when asked, damage.
type gen struct {
	r *rand.Rand
	b strings.Builder
}

// genKeys are the keys objects use: few, so that duplicates and projection hits are
// common. The escaped ones decode to "kA", "x\ny" and "é".
var genKeys = []string{`a`, `b`, `c`, `id`, `name`, ``, `k\u0041`, `x\ny`, `\u00e9`, `é`}

// projKeys are the decoded keys a projection may name.
var projKeys = []string{"a", "b", "c", "id", "name", "", "kA", "x\ny", "é", "zz"}

var genStrings = []string{
	`plain`, `with space`, `é`, `日本語`, `😀`, `\n`, `\"`, `\\`, `\/`, `\b\f\r\t`, `\u00e9`,
	`\u0000`, `\u001f`, `\u2028`, `\ufffd`, `\ud83d\ude00`, `\ud800`, `\udc00`, `\ud800\u0041`,
	`\ud800\udbff`, `\uDFFF`, `\\ud800`, `\\\ud800`, "\xff", "\xc3", "\xed\xa0\x80", "\xef\xbf\xbd",
	"\u2028", `a long enough string to cross an eight byte block`, `0123456789abcdef`,
}

var genNumbers = []string{
	`0`, `-0`, `1`, `-1`, `42`, `123456789012345678`, `-123456789012345678`, `1234567890123456789`,
	`9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`,
	`12345678901234567890123`, `1.5`, `-0.0`, `0.1`, `1e400`, `-1e400`, `1e-400`, `1E+2`, `2.5e-3`,
	`1e2`, `0e0`, `-0E-0`, `3.141592653589793238462643383279`,
}

func (g *gen) ws() {
	if g.r.IntN(3) == 0 {
		g.b.WriteString([]string{" ", "\n", "\t", "\r\n", "  "}[g.r.IntN(5)])
	}
}

func (g *gen) value(depth int) {
	g.ws()
	n := 7
	if depth > 4 {
		n = 4 // scalars only
	}
	switch g.r.IntN(n) {
	case 0:
		g.b.WriteString(genNumbers[g.r.IntN(len(genNumbers))])
	case 1:
		g.str()
	case 2:
		g.b.WriteString([]string{"true", "false", "null"}[g.r.IntN(3)])
	case 3:
		g.str()
	case 4, 5:
		g.object(depth)
	case 6:
		if g.r.IntN(40) == 0 {
			g.deep(depth)
			break
		}
		g.b.WriteString("[")
		for i := range g.r.IntN(5) {
			if i > 0 {
				g.b.WriteString(",")
			}
			g.value(depth + 1)
		}
		g.ws()
		g.b.WriteString("]")
	}
	g.ws()
}

// deep nests a value around fastjson's and the fast path's depth limits.
func (g *gen) deep(depth int) {
	n := []int{250, 255, 256, 257, 299, 300, 301, 320}[g.r.IntN(8)]
	for i := range n {
		if i%2 == 0 {
			g.b.WriteString(`[`)
		} else {
			g.b.WriteString(`{"a":`)
		}
	}
	g.value(depth + 10)
	for i := n - 1; i >= 0; i-- {
		if i%2 == 0 {
			g.b.WriteString(`]`)
		} else {
			g.b.WriteString(`}`)
		}
	}
}

func (g *gen) str() {
	g.b.WriteString(`"`)
	for range g.r.IntN(4) {
		g.b.WriteString(genStrings[g.r.IntN(len(genStrings))])
	}
	g.b.WriteString(`"`)
}

func (g *gen) object(depth int) {
	g.b.WriteString("{")
	for i := range g.r.IntN(6) {
		if i > 0 {
			g.b.WriteString(",")
		}
		g.ws()
		g.b.WriteString(`"` + genKeys[g.r.IntN(len(genKeys))] + `"`)
		g.ws()
		g.b.WriteString(":")
		g.value(depth + 1)
	}
	g.ws()
	g.b.WriteString("}")
}

// record writes an array element: nearly always an object.
func (g *gen) record() {
	if g.r.IntN(50) == 0 {
		g.value(3)
		return
	}
	g.ws()
	g.object(0)
	g.ws()
}

// damage breaks text in a random place, most of the time into something that is not JSON.
func (g *gen) damage(s string) string {
	if len(s) == 0 {
		return s
	}
	i := g.r.IntN(len(s))
	switch g.r.IntN(3) {
	case 0:
		return s[:i] + s[i+1:]
	case 1:
		return s[:i]
	}
	ins := []string{"{", "}", "[", "]", ",", ":", `"`, `\`, "\x01", "x", "\xff", "1", " ", "-", ".", "e"}
	return s[:i] + ins[g.r.IntN(len(ins))] + s[i:]
}

// document returns a JSON array or NDJSON of n records.
func (g *gen) document(format string, n int) string {
	g.b.Reset()
	switch format {
	case "json":
		g.ws()
		g.b.WriteString("[")
		for i := range n {
			if i > 0 {
				g.b.WriteString(",")
			}
			g.record()
		}
		g.b.WriteString("]")
		g.ws()
	case "ndjson":
		for i := range n {
			if i > 0 {
				g.b.WriteString([]string{"\n", "\r\n", "\n\n", "\n  \n"}[g.r.IntN(4)])
			}
			g.record()
		}
	}
	return g.b.String()
}

// fields returns a random projection over projKeys.
func (g *gen) fields(depth int) *source.Fields {
	switch g.r.IntN(8) {
	case 0:
		return nil
	case 1:
		return &source.Fields{Whole: true}
	case 2:
		return &source.Fields{} // keeps nothing of an object
	}
	f := &source.Fields{Sub: map[string]*source.Fields{}}
	for range 1 + g.r.IntN(4) {
		var c *source.Fields
		if depth < 3 && g.r.IntN(2) == 0 {
			c = g.fields(depth + 1)
		}
		f.Sub[projKeys[g.r.IntN(len(projKeys))]] = c
	}
	return f
}

type decoded struct {
	where string
	v     any
}

func collect(dec func(each func(string, any) error) error) ([]decoded, error) {
	var out []decoded
	err := dec(func(where string, v any) error {
		out = append(out, decoded{where, v})
		return nil
	})
	return out, err
}

// same reports whether a and b are the same decoded value, down to their Go types and
// the bits of their floats (-0 is not 0 here).
func same(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool, string, int64:
		return a == b
	case float64:
		bf, ok := b.(float64)
		return ok && math.Float64bits(a) == math.Float64bits(bf)
	case []any:
		bl, ok := b.([]any)
		if !ok || len(a) != len(bl) || (a == nil) != (bl == nil) {
			return false
		}
		for i := range a {
			if !same(a[i], bl[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok || len(a) != len(bm) || (a == nil) != (bm == nil) {
			return false
		}
		for k, x := range a {
			y, ok := bm[k]
			if !ok || !same(x, y) {
				return false
			}
		}
		return true
	}
	return false // a type a decoder must not give
}

// checkSameAsStd decodes data with the fast path and with the reference plus
// source.Project, and fails unless the records, places and errors are the same.
func checkSameAsStd(t *testing.T, format string, data []byte, keep *source.Fields) {
	t.Helper()
	want, wantErr := collect(func(each func(string, any) error) error {
		return decodeStd("f", format, data, func(where string, v any) error {
			return each(where, source.Project(v, keep))
		})
	})
	got, gotErr := collect(func(each func(string, any) error) error {
		return decode("f", format, data, keep, each)
	})
	if fmt.Sprint(wantErr) != fmt.Sprint(gotErr) {
		t.Fatalf("%s %.300q:\nerror %v\nwant  %v", format, data, gotErr, wantErr)
	}
	if len(got) != len(want) {
		t.Fatalf("%s %.300q: %d records, want %d", format, data, len(got), len(want))
	}
	for i := range want {
		if got[i].where != want[i].where || !same(got[i].v, want[i].v) {
			t.Fatalf("%s %.300q, fields %s:\nrecord %s %#v\nwant   %s %#v", format, data, fieldsString(keep),
				got[i].where, got[i].v, want[i].where, want[i].v)
		}
	}
}

func fieldsString(f *source.Fields) string {
	if f == nil {
		return "*"
	}
	if f.Whole {
		return "whole"
	}
	var parts []string
	for k, c := range f.Sub {
		parts = append(parts, fmt.Sprintf("%q:%s", k, fieldsString(c)))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// TestDecodeSameAsStd: over generated arrays and NDJSON, well-formed and damaged, small
// and large (the parallel path), the fast path gives what encoding/json and
// source.Project give, whole and projected, and the same errors. It also checks that the
// fast path is what decodes most of them, so that the comparison means something.
func TestDecodeSameAsStd(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(1, 2))}
	rounds := 800
	if testing.Short() {
		rounds = 200
	}
	fast, total := 0, 0
	for round := range rounds {
		format := []string{"json", "json", "ndjson"}[round%3]
		n := g.r.IntN(8)
		if round%10 == 0 {
			n = parallelMin + g.r.IntN(40)
		}
		data := g.document(format, n)
		if round%4 == 3 {
			data = g.damage(data)
		}
		keep := g.fields(0)
		if g.r.IntN(2) == 0 {
			keep = keep.With(strings.Split([]string{"id", "a.b", "kA.x\ny.c"}[g.r.IntN(3)], "."))
		}
		checkSameAsStd(t, format, []byte(data), keep)
		checkSameAsStd(t, format, []byte(data), nil)

		if format == "json" {
			if elems, ok := cutArray([]byte(data)); ok {
				for _, e := range elems {
					total++
					if wellFormed(e) {
						fast++
					}
				}
			}
		}
	}
	if total == 0 || fast < total/3 {
		t.Errorf("the fast path took %d of %d array elements; the generator should give it more", fast, total)
	}

	// encoding/json's nesting limit (10000) counts from the whole file for a small array
	// and from each element for a large one: an element 10000 deep fails only in the first.
	deep := strings.Repeat("[", 9999) + "{}" + strings.Repeat("]", 9999)
	many := strings.Repeat(`{"a": 1},`, parallelMin)
	for _, data := range []string{
		"[" + deep + "]",
		"[" + many + `{"a":` + deep + "}]",
		"[" + many + `{"a":[` + deep + "]}]",
		"[" + many + `{"a":` + deep + `},{"a":` + "\"\xff\"" + "}]",
	} {
		checkSameAsStd(t, "json", []byte(data), nil)
		checkSameAsStd(t, "json", []byte(data), &source.Fields{Sub: map[string]*source.Fields{"b": nil}})
	}
}

// TestWellFormed: wellFormed never accepts what encoding/json rejects, and accepts valid
// JSON that has none of what it leaves to encoding/json.
func TestWellFormed(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{`{}`, true}, {` [ ] `, true}, {`{"a":[1,{"b":null}],"c":"d"}`, true}, {`"x"`, true},
		{`0`, true}, {`-0`, true}, {`-0.0e+00`, true}, {`1E400`, true}, {`true`, true},
		{`"é😀\u00e9\n\\\/"`, true}, {`"\uD7FF\uE000"`, true}, {"\"\xef\xbf\xbd\"", true},
		{``, false}, {` `, false}, {`01`, false}, {`1.`, false}, {`.5`, false}, {`+1`, false},
		{`-`, false}, {`1e`, false}, {`1e+`, false}, {`NaN`, false}, {`Infinity`, false},
		{`-inf`, false}, {`nan`, false}, {`tru`, false}, {`truex`, false}, {`nul`, false},
		{`"a`, false}, {"\"\x01\"", false}, {`"\q"`, false}, {`"\u12"`, false}, {`"\u12g4"`, false},
		{`"\ud800"`, false}, {`"\ud83d\ude00"`, false}, {`"\uDBFF"`, false}, {"\"\xff\"", false},
		{"\"\xed\xa0\x80\"", false}, {`[1,]`, false}, {`[,1]`, false}, {`{"a" 1}`, false},
		{`{"a":1,}`, false}, {`{,}`, false}, {`{1:2}`, false}, {`[1 2]`, false}, {`[}`, false},
		{`{]`, false}, {`[1]]`, false}, {`{} {}`, false}, {`[`, false}, {"\v1", false},
		{strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth), true},
		{strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1), false},
	}
	for _, tt := range tests {
		if got := wellFormed([]byte(tt.in)); got != tt.want {
			t.Errorf("wellFormed(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if wellFormed([]byte(tt.in)) && !json.Valid([]byte(tt.in)) {
			t.Errorf("wellFormed(%q) accepts what encoding/json rejects", tt.in)
		}
	}
	g := &gen{r: rand.New(rand.NewPCG(3, 4))}
	for range 20000 {
		g.b.Reset()
		g.value(0)
		s := g.b.String()
		if g.r.IntN(2) == 0 {
			s = g.damage(s)
		}
		if wellFormed([]byte(s)) && !json.Valid([]byte(s)) {
			t.Fatalf("wellFormed(%q) accepts what encoding/json rejects", s)
		}
	}
}

func TestCutArray(t *testing.T) {
	for _, in := range []string{``, ` `, `[`, `[]`, ` [ ] `, `[1,]`, `[1, 2`, `[1, 2] x`, `[1, 2]]`,
		`{"a": 1}`, `[1}`, `["]`, `["\"]`, `[1]x`} {
		if elems, ok := cutArray([]byte(in)); ok {
			t.Errorf("cutArray(%q) = %q", in, elems)
		}
	}
	elems, ok := cutArray([]byte(" [ {\"a\": [1, \"],\\\\\"]} , [2,{}] ,\"x\\\",\" ] \n"))
	want := []string{` {"a": [1, "],\\"]} `, ` [2,{}] `, `"x\"," `}
	if !ok || fmt.Sprintf("%q", elems) != fmt.Sprintf("%q", want) {
		t.Errorf("cutArray = %q %v, want %q", elems, ok, want)
	}
}

// TestCutArrayParts: cut in parts (as on many cores), a well-formed array gives the
// elements one part gives; and whatever the parts give, if every element is JSON they
// are the array's elements, which is what makes a wrong cut harmless.
func TestCutArrayParts(t *testing.T) {
	g := &gen{r: rand.New(rand.NewPCG(7, 8))}
	for round := range 1000 {
		data := g.document("json", g.r.IntN(30))
		if round%2 == 1 {
			data = g.damage(data)
		}
		checkCutParts(t, []byte(data))
	}
}

func checkCutParts(t *testing.T, data []byte) {
	t.Helper()
	one, okOne := cutArrayIn(data, 1, 0)
	valid := json.Valid(data)
	for n := 2; n <= 7; n++ {
		parts, ok := cutArrayIn(data, n, 0)
		allJSON := ok
		for _, e := range parts {
			allJSON = allJSON && json.Valid(e)
		}
		if allJSON && !sameCut(parts, one) || valid && (ok != okOne || !sameCut(parts, one)) {
			t.Fatalf("%.300q in %d parts: %q %v, in one: %q %v", data, n, parts, ok, one, okOne)
		}
	}
}

func sameCut(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestProjectKeepsKey: a projected type keeps its key path, and nothing else than asked.
func TestProjectKeepsKey(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"r.json": `[{"meta": {"id": "a", "x": 1}, "name": "n", "big": {"k": [1, 2]}, "other": true}]`,
		"u.json": `[{"login": "u", "more": 1}]`,
	})
	s := New("recs", dir, Config{Records: map[string]RecordSet{
		"repo": {Path: "r.json", Key: "meta.id"},
		"user": {Path: "u.json", Key: "login"},
	}})
	s.Project(map[string]*source.Fields{"repo": {Sub: map[string]*source.Fields{
		"name": nil, "big": {Sub: map[string]*source.Fields{"k": nil}},
	}}})
	recs, err := collectFetch(s)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{
		map[string]any{"meta": map[string]any{"id": "a"}, "name": "n", "big": map[string]any{"k": []any{int64(1), int64(2)}}},
		map[string]any{"login": "u", "more": int64(1)}, // not in the map: whole
	}
	for i, r := range recs {
		if !same(r.Data, want[i]) {
			t.Errorf("%s: %#v, want %#v", r.Where, r.Data, want[i])
		}
	}
}

func collectFetch(s *Source) ([]source.Record, error) {
	var out []source.Record
	err := s.Fetch(context.Background(), func(r source.Record) error { out = append(out, r); return nil })
	return out, err
}

// FuzzDecodeSameAsStd: on any input, the fast path and the reference agree (see
// TestDecodeSameAsStd), whole and with a projection chosen by sel.
func FuzzDecodeSameAsStd(f *testing.F) {
	g := &gen{r: rand.New(rand.NewPCG(5, 6))}
	for i := range 20 {
		f.Add(i%2 == 0, uint64(i), []byte(g.document([]string{"json", "ndjson"}[i%2], 1+i%5)))
	}
	f.Add(false, uint64(0), []byte(`[{"a": "\ud800", "b": 1e400}]`))
	f.Fuzz(func(t *testing.T, ndjson bool, sel uint64, data []byte) {
		format := "json"
		if ndjson {
			format = "ndjson"
		}
		keep := (&gen{r: rand.New(rand.NewPCG(sel, 0))}).fields(0)
		checkSameAsStd(t, format, data, keep)
		checkSameAsStd(t, format, data, nil)
		if !ndjson {
			checkCutParts(t, data)
		}
	})
}
