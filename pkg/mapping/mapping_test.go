package mapping

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"cuelang.org/go/cue/cuecontext"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/source"
)

func writeMapping(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "cue", "mappings")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

const simple = `package mappings

import "strings"

repos: {
	source: "gh"
	record: "repository"
	in: {name: string, archived: *false | bool, note: null | string, ...}
	filter: !in.archived
	out: [{
		apiVersion: "backstage.io/v1alpha1"
		kind: "Component"
		metadata: name: strings.ToLower(in.name)
		if in.note != null { metadata: description: in.note }
		spec: {type: "service", lifecycle: "production", owner: "team-a"}
	}]
}

// A helper value is not a mapping.
#Common: {x: 1}
`

func loadSet(t testing.TB, files map[string]string) (*Set, string) {
	t.Helper()
	root := writeMapping(t, files)
	set, findings := Load(cuecontext.New(), root, filepath.Join(root, "cue", "mappings"))
	if len(findings) > 0 {
		t.Fatalf("load: %v", findings)
	}
	return set, root
}

func TestEval(t *testing.T) {
	set, _ := loadSet(t, map[string]string{"m.cue": simple})
	if len(set.Mappings) != 1 {
		t.Fatalf("got %d mappings, want 1", len(set.Mappings))
	}
	m := set.For("gh", "repository")[0]
	if m.Where != "cue/mappings/m.cue:5:1" {
		t.Errorf("Where = %q", m.Where)
	}
	tests := []struct {
		name     string
		in       map[string]any
		filtered bool
		wantName string
		wantDesc any
		wantErr  string
	}{
		{name: "plain", in: map[string]any{"name": "Payments", "note": nil}, wantName: "payments"},
		{name: "null stays null", in: map[string]any{"name": "a", "note": nil, "extra": nil}, wantName: "a"},
		{name: "optional field", in: map[string]any{"name": "b", "note": "hello"}, wantName: "b", wantDesc: "hello"},
		{name: "filtered", in: map[string]any{"name": "c", "archived": true, "note": nil}, filtered: true},
		{name: "type error names in.name", in: map[string]any{"name": int64(42), "note": nil}, wantErr: "in.name: conflicting values string and 42"},
		{name: "missing field", in: map[string]any{"note": nil}, wantErr: "in.name: incomplete value string"},
		{name: "filter on a wrong type", in: map[string]any{"name": "d", "archived": "yes", "note": nil}, wantErr: "in.archived"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := m.Eval(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				me, ok := err.(*Error)
				if !ok || me.Findings[0].Where == "" || !strings.HasPrefix(me.Findings[0].Where, "cue/mappings/m.cue:") {
					t.Fatalf("error has no mapping position: %#v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Filtered != tt.filtered {
				t.Fatalf("Filtered = %v", res.Filtered)
			}
			if tt.filtered {
				return
			}
			if len(res.Entities) != 1 {
				t.Fatalf("got %d entities", len(res.Entities))
			}
			e := res.Entities[0]
			if e.Name() != tt.wantName {
				t.Errorf("name = %q, want %q", e.Name(), tt.wantName)
			}
			if got := e.Metadata()["description"]; got != tt.wantDesc {
				t.Errorf("description = %v, want %v", got, tt.wantDesc)
			}
		})
	}
}

func TestLoadFindings(t *testing.T) {
	root := writeMapping(t, map[string]string{"m.cue": `package mappings

noSource: {record: "r", in: {...}, out: []}
noRecord: {source: "s", in: {...}, out: []}
noIn: {source: "s", record: "r", out: []}
outNotList: {source: "s", record: "r", in: {...}, out: {}}
`})
	set, findings := Load(cuecontext.New(), root, filepath.Join(root, "cue", "mappings"))
	if len(set.Mappings) != 0 {
		t.Errorf("broken mappings were loaded: %d", len(set.Mappings))
	}
	want := []string{
		`cue/mappings/m.cue:3:1: mapping "noSource": needs ` + "`source`",
		`cue/mappings/m.cue:4:1: mapping "noRecord": needs ` + "`record`",
		`cue/mappings/m.cue:5:1: mapping "noIn": needs ` + "`in`",
		`cue/mappings/m.cue:6:1: mapping "outNotList": ` + "`out` must be a list",
	}
	got := findings.Error()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("findings lack %q:\n%s", w, got)
		}
	}

	// A syntax error is reported with its position, and so is a type error.
	root = writeMapping(t, map[string]string{"m.cue": "package mappings\n\nx: {\n\tsource: \n}\n"})
	_, findings = Load(cuecontext.New(), root, filepath.Join(root, "cue", "mappings"))
	if len(findings) == 0 || !strings.HasPrefix(findings[0].Where, "cue/mappings/m.cue:5:") {
		t.Errorf("syntax error findings: %v", findings)
	}
}

func TestHashChangesWithSource(t *testing.T) {
	a, _ := loadSet(t, map[string]string{"m.cue": simple})
	b, _ := loadSet(t, map[string]string{"m.cue": simple + "\n// edited\n"})
	c, _ := loadSet(t, map[string]string{"m.cue": simple})
	if a.Hash == b.Hash {
		t.Error("an edit did not change the hash")
	}
	if a.Hash != c.Hash {
		t.Error("the same sources gave different hashes")
	}
}

// TestConcurrentEval evaluates one shared compiled mapping from many goroutines (run
// with -race) and checks every result against a sequential evaluation.
func TestConcurrentEval(t *testing.T) {
	set, _ := loadSet(t, exampleMapping(t))
	m := set.For("github", "repository")[0]
	org := synth.Generate(3, 200)
	want := make([]string, len(org.Repositories))
	for i, r := range org.Repositories {
		res, err := m.Eval(r)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = summary(res)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(org.Repositories); i += 4 {
				res, err := m.Eval(org.Repositories[i])
				if err != nil {
					t.Error(err)
					return
				}
				if got := summary(res); got != want[i] {
					t.Errorf("record %d: concurrent %q, sequential %q", i, got, want[i])
				}
			}
		}(w)
	}
	wg.Wait()
}

func summary(r Result) string {
	if r.Filtered {
		return "filtered"
	}
	var b strings.Builder
	for _, e := range r.Entities {
		b.WriteString(e.Ref().String() + " " + e.Spec()["owner"].(string) + " " + e.Spec()["lifecycle"].(string) + ";")
	}
	return b.String()
}

// exampleMapping is the example workspace's GitHub mapping, the one pane init ships.
func exampleMapping(t testing.TB) map[string]string {
	b, err := os.ReadFile(filepath.Join("..", "..", "cue", "mappings", "github.cue"))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"github.cue": string(b)}
}

// BenchmarkMapRepository maps synthetic GitHub repository records (real API shape, about
// 5 KB of JSON each) with the example mapping, on one core and on all of them.
func BenchmarkMapRepository(b *testing.B) {
	set, _ := loadSet(b, exampleMapping(b))
	m := set.For("github", "repository")[0]
	org := synth.Generate(1, 10000)
	recs := asDecoded(b, org.Repositories)
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := m.Eval(recs[i%len(recs)]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/record")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(1)
		var next int64
		var mu sync.Mutex
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if _, err := m.Eval(recs[int(i)%len(recs)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/record")
		b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
	})
}

// TestProjectionSameResult: filling `in` with only the fields the mapping can see gives
// exactly the entities that filling the whole record gives, over generated records with
// the example mapping (archived, forks, owner properties, missing descriptions).
func TestProjectionSameResult(t *testing.T) {
	set, _ := loadSet(t, exampleMapping(t))
	org := synth.Generate(7, 400)
	for _, m := range set.Mappings {
		if m.fields == nil {
			t.Fatalf("mapping %s is not projected", m.Name)
		}
		whole := *m
		whole.fields, whole.proj = nil, nil
		var recs []map[string]any
		switch m.Record {
		case "repository":
			recs = org.Repositories
		case "team":
			recs = org.Teams
		case "user":
			recs = org.Users
		}
		for i, r := range recs {
			a, errA := m.evalCUE(r)
			b, errB := whole.evalCUE(r)
			if (errA == nil) != (errB == nil) || summaryAll(a) != summaryAll(b) {
				t.Fatalf("%s record %d: projected %v %v, whole %v %v", m.Name, i, summaryAll(a), errA, summaryAll(b), errB)
			}
		}
	}
}

func summaryAll(r Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v:", r.Filtered)
	for _, e := range r.Entities {
		j, _ := json.Marshal(e)
		b.Write(j)
	}
	return b.String()
}

func TestProjectionFields(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // sorted fields, or "none" when not projected
	}{
		{"selectors and declared", `m: {source: "s", record: "r", in: {a: string, ...}, out: [{x: in.b, y: in["c"], z: in.d.e}]}`, "a,b,c,d.e"},
		{"nested declared", `m: {source: "s", record: "r", in: {o: {l: string, ...}, t: [...{s: string}], ...}, out: [{x: in.o.l, y: in.o}]}`, "o,t"},
		{"nested only", `m: {source: "s", record: "r", in: {o: {l: string, ...}, ...}, out: [{x: in.o.l, y: in.p.q.r}]}`, "o.l,p.q.r"},
		{"computed index", `m: {source: "s", record: "r", in: {...}, let i = 0
out: [{x: in.t[i].s}]}`, "t"},
		{"for over a list", `m: {source: "s", record: "r", in: {teams: [...], ...}, out: [for t in in.teams {x: t.slug}]}`, "teams"},
		{"whole struct declared open", `m: {source: "s", record: "r", in: {p: {...}, ...}, out: [{x: in.p.q}]}`, "p"},
		{"through a definition", `#M: {source: string, record: string, in: {...}, out: [{x: in.deep.field}]}
m: #M & {source: "s", record: "r"}`, "deep.field"},
		{"label alias", `m: {source: "s", record: "r", in: {...}, X=in: {...}, out: [{x: X.a}]}`, "none"},
		{"in as a field name elsewhere", `m: {source: "s", record: "r", in: {...}, out: [{x: {in: 1}.in, y: in.a}]}`, "a"},
		{"in passed whole", `m: {source: "s", record: "r", in: {...}, out: [{x: in}]}`, "none"},
		{"let alias", `m: {source: "s", record: "r", in: {...}, let r = in
out: [{x: r.a}]}`, "none"},
		{"closed in", `m: {source: "s", record: "r", in: close({a: string}), out: [{x: in.a}]}`, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, _ := loadSet(t, map[string]string{"m.cue": "package mappings\n\n" + tt.src + "\n"})
			m := set.Mappings[0]
			got := "none"
			if m.fields != nil {
				fs := m.fields.paths("")
				sort.Strings(fs)
				got = strings.Join(fs, ",")
			}
			if got != tt.want {
				t.Errorf("fields = %s, want %s", got, tt.want)
			}
		})
	}
}

// TestExampleMappingMissingFields: a repository record without topics, custom
// properties or teams maps with empty ones, owned by the org.
func TestExampleMappingMissingFields(t *testing.T) {
	set, _ := loadSet(t, exampleMapping(t))
	m := set.For("github", "repository")[0]
	res, err := m.Eval(map[string]any{
		"name": "Widget", "full_name": "acme/Widget", "html_url": "https://github.com/acme/Widget",
		"archived": false, "fork": false, "owner": map[string]any{"login": "Acme"}, "description": nil,
	})
	if err != nil {
		t.Fatal(err)
	}
	e := res.Entities[0]
	if e.Name() != "widget" || e.Spec()["owner"] != "acme" || e.Spec()["lifecycle"] != "production" || e.Spec()["type"] != "service" {
		t.Errorf("entity: %v", e)
	}
	if tags := e.Metadata()["tags"].([]any); len(tags) != 0 {
		t.Errorf("tags: %v", tags)
	}
}

func TestSplitDefinitionWarning(t *testing.T) {
	root := writeMapping(t, map[string]string{
		"a.cue": simple,
		"b.cue": "package mappings\n\n// pasted from a.cue\nrepos: {filter: true}\n",
	})
	set, findings := Load(cuecontext.New(), root, filepath.Join(root, "cue", "mappings"))
	if len(set.Mappings) != 1 {
		t.Fatalf("mappings: %d", len(set.Mappings))
	}
	if len(findings) != 1 || findings[0].Severity != diag.Warning || findings[0].Where != "cue/mappings/b.cue:4:1" ||
		!strings.Contains(findings[0].Message, `"repos" is also defined at cue/mappings/a.cue:5:1`) {
		t.Fatalf("findings: %v", findings)
	}
	// Within one file, and for definitions and hidden fields, nothing is said.
	root = writeMapping(t, map[string]string{"a.cue": simple + "\n#Common: {y: 2}\n", "b.cue": "package mappings\n\n#Common: {z: 3}\n"})
	if _, findings := Load(cuecontext.New(), root, filepath.Join(root, "cue", "mappings")); len(findings) != 0 {
		t.Fatalf("findings: %v", findings)
	}
}

// TestFieldsSameAsProjection: a record cut down to Set.Fields (what a source decodes)
// projects to what the mapping sees of the whole record.
func TestFieldsSameAsProjection(t *testing.T) {
	set, _ := loadSet(t, exampleMapping(t))
	org := synth.Generate(5, 50)
	for _, m := range set.Mappings {
		f := set.Fields(m.Source, m.Record)
		if f == nil {
			t.Fatalf("%s: no fields", m.Name)
		}
		recs := orgRecords(t, org, m.Record)
		for i, r := range recs {
			a := m.project(source.Project(r, f))
			b := m.project(r)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%s record %d: %v != %v", m.Name, i, a, b)
			}
		}
	}
	if f := set.Fields("github", "nothing"); f != nil {
		t.Fatalf("a type no mapping takes: %v, want nil (whole)", f)
	}
}

// TestOutDependsOnIn: an out list whose elements depend on the record ([if in.x {...}])
// is a list once the record is filled: it loads, and maps to none or some entities.
func TestOutDependsOnIn(t *testing.T) {
	set, _ := loadSet(t, map[string]string{"m.cue": `package mappings

archived: {
	source: "s"
	record: "r"
	in: {name: string, archived: bool, ...}
	out: [if in.archived {apiVersion: "backstage.io/v1alpha1", kind: "Component", metadata: name: in.name}]
}
`})
	if len(set.Mappings) != 1 {
		t.Fatalf("%d mappings", len(set.Mappings))
	}
	m := set.Mappings[0]
	for _, c := range []struct {
		archived bool
		want     int
	}{{true, 1}, {false, 0}} {
		res, err := m.Eval(map[string]any{"name": "a", "archived": c.archived})
		if err != nil || len(res.Entities) != c.want {
			t.Fatalf("archived=%v: %d entities, %v; want %d", c.archived, len(res.Entities), err, c.want)
		}
	}
}
