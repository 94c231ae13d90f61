package mapping

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/source"
)

// constructs are mappings built to exercise each construct the fast path takes, alone and
// together, including the ones where CUE's answer is not obvious (both sides of && are
// evaluated; a missing field compared with _|_; defaults CUE adds to `in`).
var constructs = map[string]string{
	"interp.cue": `package mappings

import "strings"

a: {
	source: "s"
	record: "r"
	in: {name: string, n: int, flag: bool, kind: "svc", ...}
	let base = strings.ToLower(in.name)
	let lower = "\(base)-\(in.n)-\(in.flag)"
	out: [{
		apiVersion: "backstage.io/v1alpha1"
		kind: "Component"
		metadata: {
			name: lower
			title: "Name: \(in.name) (\(in.kind))"
			annotations: "example.com/n": "\(in.n * 2 + 1 - 3)"
			labels: {"x": strings.TrimSpace(strings.TrimSuffix(in.name, "-svc"))}
		}
		spec: {owner: base + "-team", n: -in.n, k: in.kind}
	}]
}
`,
	"cond.cue": `package mappings

import (
	"list"
	"strings"
)

b: {
	source: "s"
	record: "r"
	in: {
		name: string
		note: null | string
		tags: [...string]
		props: {[string]: _}
		owner: login: string
		members: [...{login: string, role: string, ...}]
		...
	}
	filter: in.name != "skip" && !strings.HasPrefix(in.name, "tmp-")
	let admins = [for i, m in in.members if m.role == "admin" {"\(i):\(m.login)"}]
	out: [{
		kind: "Group"
		metadata: {
			name: in.name
			if in.note != null && in.note != "" {description: in.note}
			if in.note == null {annotations: "x/none": "true"}
			if in.props["team"] != _|_ {labels: team: "yes"}
			if in.props.team == _|_ {labels: team: "no"}
		}
		spec: {
			adminList: admins
			first: [if len(admins) > 0 {admins[0]}, in.owner.login][0]
			count: len(in.tags) + len(in.name)
			deprecated: list.Contains(in.tags, "deprecated")
			parts: strings.Split(in.name, "-")
			joined: strings.Join(in.tags, ",")
			replaced: strings.Replace(in.name, "-", "_", -1)
			rx: in.name =~ "^[a-z]+-[0-9]+$"
			nrx: in.name !~ "admin"
			cmp: len(in.tags) >= 2 || in.name < "m"
			tagsCopy: in.tags
			for t in in.tags if t == "x-tag" {xtag: true}
		}
	}, for m in in.members if m.role == "owner" {
		kind: "User"
		metadata: name: strings.ToLower(m.login)
		spec: memberOf: [in.name]
	}]
}
`,
	"prop.cue": `package mappings

c: {
	source: "s"
	record: "r"
	in: {
		id: int | string
		props: {[string]: string}
		list: [...(int | null)]
		nested: {a: [...string], b: {[string]: _}}
		...
	}
	out: [{
		kind: "Resource"
		metadata: name: "r-\(in.id)"
		spec: {props: in.props, list: in.list, nested: in.nested, whole: in}
	}]
}
`,
}

// TestFastPathCoverage: the example's mappings and the construct mappings have a fast
// path; mappings beyond the subset do not, and say why.
func TestFastPathCoverage(t *testing.T) {
	set, _ := loadSet(t, exampleMapping(t))
	for _, m := range set.Mappings {
		if ok, why := m.FastPath(); !ok {
			t.Errorf("example mapping %s has no fast path: %s", m.Name, why)
		}
	}
	set, _ = loadSet(t, constructs)
	for _, m := range set.Mappings {
		if ok, why := m.FastPath(); !ok {
			t.Errorf("construct mapping %s has no fast path: %s", m.Name, why)
		}
	}
	refused := map[string]string{
		"default":    `in: {a: *"x" | string}`,
		"unify":      `in: {a: string & !=""}`,
		"definition": `in: #In`,
		"optional":   `in: {a?: string}`,
		"float":      `in: {...}, let f = 1.5, out: [{kind: "x", n: f}]`,
		"sibling":    `in: {...}, out: [{metadata: {name: "x", title: name}}]`,
		"helper":     `in: {...}, out: [{kind: _helper}]`,
		"bytes":      `in: {...}, out: [{kind: 'x'}]`,
		"dynamic":    `in: {n: string, ...}, out: [{(in.n): 1}]`,
		"embed":      `in: {...}, out: [{_helper}]`,
		"any-or":     `in: {l: {a: string} | _, ...}`,
	}
	// Whatever another file of the package adds to a mapping (an embedding, a
	// comprehension at the top) is CUE's to evaluate.
	for name, extra := range map[string]string{
		"embedding":     "package mappings\n\n{m: filter: false}\n",
		"comprehension": "package mappings\n\nif true {m: out: [{spec: owner: \"t\"}]}\n",
	} {
		set, _ := loadSet(t, map[string]string{"m.cue": "package mappings\n\nm: {source: \"s\", record: \"r\", in: {...}, out: [{kind: \"x\"}]}\n", "extra.cue": extra})
		if len(set.Mappings) != 1 {
			t.Fatalf("%s: %d mappings", name, len(set.Mappings))
		}
		if ok, _ := set.Mappings[0].FastPath(); ok {
			t.Errorf("%s in another file: the mapping got a fast path", name)
		}
	}
	for name, body := range refused {
		src := "package mappings\n\n#In: {...}\n_helper: \"x\"\n\nm: {source: \"s\", record: \"r\", " + body
		if !strings.Contains(body, "out:") {
			src += ", out: [{kind: \"x\"}]"
		}
		src += "}\n"
		set, _ := loadSet(t, map[string]string{"m.cue": src})
		if len(set.Mappings) != 1 {
			t.Fatalf("%s: %d mappings", name, len(set.Mappings))
		}
		if ok, _ := set.Mappings[0].FastPath(); ok {
			t.Errorf("%s: %s got a fast path", name, body)
		}
	}
}

// TestFastSameAsCUE: for every mapping in the repository (the example workspace, pane
// init's starter) and the construct mappings, over generated records that mostly fit
// `in` and sometimes do not (a field missing, null, of another type), the fast path
// either leaves the record to CUE or gives exactly CUE's result; and it does decide most
// records that CUE maps without error.
func TestFastSameAsCUE(t *testing.T) {
	sets := map[string]map[string]string{
		"example":    readMappings(t, filepath.Join("..", "..", "cue", "mappings")),
		"starter":    readMappings(t, filepath.Join("..", "scaffold", "template", "cue", "mappings")),
		"constructs": constructs,
	}
	n := 1500
	if testing.Short() {
		n = 300
	}
	for setName, files := range sets {
		set, _ := loadSet(t, files)
		for _, m := range set.Mappings {
			if m.fast == nil {
				continue
			}
			g := newRecordGen(t, files, m, int64(len(m.Name)))
			var fast, cueOK, fellBack int
			for i := 0; i < n; i++ {
				rec := g.record()
				want, werr := m.evalCUE(rec)
				got, ok := m.fast.eval(m.project(rec))
				if werr == nil {
					cueOK++
				}
				if !ok {
					if werr == nil {
						fellBack++
					}
					continue
				}
				fast++
				if werr != nil {
					t.Fatalf("%s/%s: record %v: fast path mapped it, CUE says %v", setName, m.Name, rec, werr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%s/%s: record %v:\nfast %#v\ncue  %#v", setName, m.Name, rec, got, want)
				}
			}
			t.Logf("%s/%s: %d records, CUE mapped %d, fast path decided %d, left %d that CUE maps", setName, m.Name, n, cueOK, fast, fellBack)
			if cueOK > 0 && fast*10 < cueOK*9 {
				t.Errorf("%s/%s: the fast path decided %d of the %d records CUE maps", setName, m.Name, fast, cueOK)
			}
		}
	}
}

// TestFastSyntheticOrg: on the synthetic org the benchmarks use, every record takes the
// fast path and gives CUE's result.
func TestFastSyntheticOrg(t *testing.T) {
	set, _ := loadSet(t, exampleMapping(t))
	org := synth.Generate(3, 300)
	for _, m := range set.Mappings {
		recs := orgRecords(t, org, m.Record)
		for i, r := range recs {
			want, err := m.evalCUE(r)
			if err != nil {
				t.Fatalf("%s record %d: %v", m.Name, i, err)
			}
			got, ok := m.fast.eval(m.project(r))
			if !ok {
				t.Fatalf("%s record %d: left to CUE", m.Name, i)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s record %d:\nfast %#v\ncue  %#v", m.Name, i, got, want)
			}
		}
	}
}

// TestFastNoAliasing: entities from the fast path share no map or slice with the record
// or with each other, so later changes (provenance annotations) stay local.
func TestFastNoAliasing(t *testing.T) {
	set, _ := loadSet(t, constructs)
	var m *Mapping
	for _, x := range set.Mappings {
		if x.Name == "c" {
			m = x
		}
	}
	rec := map[string]any{"id": int64(1), "props": map[string]any{"a": "b"}, "list": []any{int64(1), nil},
		"nested": map[string]any{"a": []any{"x"}, "b": map[string]any{}}}
	res, ok := m.fast.eval(m.project(rec))
	if !ok {
		t.Fatal("left to CUE")
	}
	spec := res.Entities[0]["spec"].(map[string]any)
	spec["props"].(map[string]any)["a"] = "changed"
	spec["list"].([]any)[0] = "changed"
	spec["whole"].(map[string]any)["id"] = "changed"
	if rec["props"].(map[string]any)["a"] != "b" || rec["list"].([]any)[0] != int64(1) || rec["id"] != int64(1) {
		t.Fatalf("the record changed with the entity: %v", rec)
	}
}

// orgRecords returns the org's records of one type, as a source hands them over.
func orgRecords(t testing.TB, org synth.Org, record string) []map[string]any {
	switch record {
	case "repository":
		return asDecoded(t, org.Repositories)
	case "team":
		return asDecoded(t, org.Teams)
	case "user":
		return asDecoded(t, org.Users)
	}
	t.Fatalf("no %s records in the org", record)
	return nil
}

// asDecoded gives records as a source hands them over: decoded from JSON ([]any, int64,
// float64), not the generator's Go values ([]string, int).
func asDecoded(t testing.TB, recs []map[string]any) []map[string]any {
	t.Helper()
	out := make([]map[string]any, len(recs))
	for i, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v map[string]any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		out[i] = source.Numbers(v).(map[string]any)
	}
	return out
}

func readMappings(t *testing.T, dir string) map[string]string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "*.cue"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no mappings in %s: %v", dir, err)
	}
	out := map[string]string{}
	for _, p := range matches {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(p)] = string(b)
	}
	return out
}

// recordGen makes records for a mapping from its `in` declaration: values that fit most
// of the time, with strings drawn from the literals of the mapping's own source (so that
// comparisons and prefixes in it hit), and now and then a value that does not fit.
type recordGen struct {
	r       *rand.Rand
	in      *inType
	strs    []string
	keys    []string
	mutate  float64
	maxList int
}

func newRecordGen(t *testing.T, files map[string]string, m *Mapping, seed int64) *recordGen {
	g := &recordGen{r: rand.New(rand.NewPCG(uint64(seed), 99)), in: m.fast.in, mutate: 0.04, maxList: 4}
	strs := map[string]bool{"": true, "a": true, "Mixed-Case": true, "x y": true, "ünï": true, "a-1": true, "x-tag": true, "skip": true, "tmp-x": true, "admin": true, "owner": true}
	keys := map[string]bool{"extra": true}
	for name, src := range files {
		f, err := parser.ParseFile(name, src)
		if err != nil {
			t.Fatal(err)
		}
		ast.Walk(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if n.Kind == token.STRING {
					if s, err := strconv.Unquote(n.Value); err == nil {
						strs[s] = true
						// Prefixes become values with something after them.
						strs[s+"beta"] = true
					}
				}
			case *ast.Ident:
				keys[n.Name] = true
			}
			return true
		}, nil)
	}
	for s := range strs {
		g.strs = append(g.strs, s)
	}
	for k := range keys {
		g.keys = append(g.keys, k)
	}
	sort.Strings(g.strs)
	sort.Strings(g.keys)
	return g
}

func (g *recordGen) record() map[string]any {
	for {
		if m, ok := g.value(g.in, 0).(map[string]any); ok {
			return m
		}
	}
}

func (g *recordGen) str() string { return g.strs[g.r.IntN(len(g.strs))] }

// anything is a value of any type.
func (g *recordGen) anything(depth int) any {
	switch k := g.r.IntN(8); {
	case k == 0:
		return nil
	case k == 1:
		return g.r.IntN(2) == 0
	case k == 2:
		return int64(g.r.IntN(200) - 100)
	case k == 3:
		return float64(g.r.IntN(100)) / 4
	case k == 4 && depth < 3:
		l := make([]any, g.r.IntN(3))
		for i := range l {
			l[i] = g.anything(depth + 1)
		}
		return l
	case k == 5 && depth < 3:
		m := map[string]any{}
		for i := g.r.IntN(3); i > 0; i-- {
			m[g.keys[g.r.IntN(len(g.keys))]] = g.anything(depth + 1)
		}
		return m
	}
	return g.str()
}

func (g *recordGen) value(t *inType, depth int) any {
	if g.r.Float64() < g.mutate || depth > 5 {
		return g.anything(depth)
	}
	var choices []func() any
	if t.kinds&kAny != 0 {
		choices = append(choices, func() any { return g.anything(depth) })
	}
	if t.kinds&kString != 0 {
		choices = append(choices, func() any { return g.str() })
	}
	if t.kinds&kBool != 0 {
		choices = append(choices, func() any { return g.r.IntN(2) == 0 })
	}
	if t.kinds&kInt != 0 {
		choices = append(choices, func() any { return int64(g.r.IntN(2000) - 1000) })
	}
	if t.kinds&kFloat != 0 {
		choices = append(choices, func() any { return float64(g.r.IntN(100)) / 8 })
	}
	if t.kinds&kNull != 0 {
		choices = append(choices, func() any { return nil })
	}
	for _, l := range t.lits {
		choices = append(choices, func() any { return l })
	}
	if t.list != nil {
		choices = append(choices, func() any {
			l := make([]any, g.r.IntN(g.maxList+1))
			for i := range l {
				l[i] = g.value(t.list, depth+1)
			}
			return l
		})
	}
	if s := t.strct; s != nil {
		choices = append(choices, func() any {
			m := map[string]any{}
			for _, name := range s.names {
				if g.r.Float64() < 0.97 {
					m[name] = g.value(s.fields[name], depth+1)
				}
			}
			if s.pattern != nil {
				for i := g.r.IntN(3); i > 0; i-- {
					m[g.keys[g.r.IntN(len(g.keys))]] = g.value(s.pattern, depth+1)
				}
			}
			if g.r.IntN(3) == 0 {
				m[g.keys[g.r.IntN(len(g.keys))]] = g.anything(depth + 1)
			}
			return m
		})
	}
	if len(choices) == 0 {
		return g.anything(depth)
	}
	return choices[g.r.IntN(len(choices))]()
}
