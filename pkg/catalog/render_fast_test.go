package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// checkFast renders e and rels both ways and fails unless they agree: the same bytes,
// or the fast path declining where yaml.v3 fails. It reports whether the fast path
// rendered the entity itself.
func checkFast(t *testing.T, e Entity, rels []Relation) (fast bool) {
	t.Helper()
	want, wantErr := renderYAML(e, rels)
	got, ok := renderFast(e, rels)
	switch {
	case ok && wantErr != nil:
		t.Fatalf("fast path rendered an entity yaml.v3 rejects (%v):\n%s\nentity: %#v", wantErr, got, e)
	case ok && !bytes.Equal(got, want):
		t.Fatalf("fast path differs from yaml.v3\nentity: %#v\nrels: %#v\n--- fast\n%s\n--- yaml.v3\n%s\n--- fast %q\n--- yaml.v3 %q", e, rels, got, want, got, want)
	}
	// Render is the one callers see: same bytes, or the very same error.
	out, err := Render(e, rels)
	if !bytes.Equal(out, want) || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
		t.Fatalf("Render = %q, %v; renderYAML = %q, %v", out, err, want, wantErr)
	}
	return ok
}

// adversarial pieces of strings: YAML indicators, quotes, blanks and breaks of every
// kind, characters yaml.v3 escapes, and words that resolve to other types.
var strAtoms = []string{
	"a", "b", "Z", "x", "0", "1", "9", "go", "team-a", "acme/shop", "https://github.com/org/repo",
	" ", "  ", ":", ": ", " :", "#", " #", "# ", "-", "- ", "--", "---", "...", "?", "? ", ",", "[", "]",
	"{", "}", "&", "*", "!", "|", ">", "%", "@", "`", "'", "''", "\"", "\\", "/", "=", "<<", "~",
	"\t", "\n", "\n\n", "\r", "\r\n", "\x00", "\x07", "\b", "\v", "\f", "\x1b", "\x7f", "\u0080", "\u0085", "\u00a0",
	"é", "ü", "✓", "中文", "😀", "\u2028", "\u2029", "\ufeff", "\ufffe", "\uffff", "\ue000", "\ud7ff",
	"true", "no", "null", "NULL", ".inf", "-.Inf", ".nan", "1e3", "0o17", "0x1F", "0b101", "1_000",
	"2026-01-01", "T10:00:00Z", "12:30", ".", "e", "E", "+", "_",
}

var wholeStrings = []string{
	"", " ", "  ", "true", "True", "TRUE", "false", "yes", "no", "on", "off", "y", "n", "~", "null",
	"Null", "NULL", "1", "-1", "+1", "01", "08", "0", "-0", "1.5", "-1.5", "+.5", ".5", "1.", "1e3", "1E-3",
	"1e", "0x1F", "0X1F", "0xZZ", "0o17", "0o19", "-0o17", "0b101", "-0b101", "0b", "0b-1", "0b+1", "0o-7", "0o+7", "-0b-1", "-0o+7", "0x-1", "1_000", "1__0", "_1",
	".inf", "-.inf", "+.INF", ".NaN", ".nan", "inf", "nan", "Infinity", "9223372036854775807",
	"9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775809",
	"2026-01-01", "2026-1-1", "2026-01-01T10:00:00Z", "2026-01-01t10:00:00+02:00", "2026-01-01 10:00:00",
	"2026-13-01", "20260101", "1:2:3", "12:30", "-", "--", "---", "---x", "...", "....", "<<", "<", "=",
	"- a", "-a", "? x", "?x", ": x", ":x", "x:", "x: y", "x:y", "a #b", "a#b", "#c", "@a", "`b", "!t",
	"!!str", "&a", "*a", "%p", "'q'", `"q"`, "{a: 1}", "[1]", ",", "|", "|-", ">", "\n", "\n\n", "a\n",
	"a\n\n", "\na", " a\nb", "a \nb", "a\n b", "a\n\tb", "\ta", "a\t", "a\r", "\r\n", "x\u2028y",
	"x\u2029", "\u2028", "\ufeffbom", "bom\ufeff", "a\x00b", "é", "😀", "a\u0085b",
	"description: with a colon", "Shared Go packages: config, structured logging, tracing and HTTP middleware.",
	"github.com/project-slug", "backstage.io/techdocs-ref", "dir:.", "url:https://x/y",
}

// gen makes random values. A hostile gen also makes what Render rejects (NaN, invalid
// UTF-8, types it cannot write) and keys yaml.v3 writes as complex keys, which the fast
// path leaves to yaml.v3; a friendly one leaves those out, so most of what it makes
// stays on the fast path.
type gen struct {
	r       *rand.Rand
	hostile bool
}

func (g gen) str() string {
	r := g.r
	switch r.IntN(10) {
	case 0, 1:
		return wholeStrings[r.IntN(len(wholeStrings))]
	case 2:
		// Long, with or without spaces: yaml.v3 would fold these at a set width.
		n := 60 + r.IntN(200)
		var b strings.Builder
		for b.Len() < n {
			if r.IntN(3) == 0 {
				b.WriteString(strAtoms[r.IntN(len(strAtoms))])
			} else if r.IntN(2) == 0 {
				b.WriteString("word ")
			} else {
				b.WriteString("x")
			}
		}
		return b.String()
	case 3:
		// Things that look like numbers and times.
		const alpha = "0123456789._-+eEoxbT: Z"
		b := make([]byte, 1+r.IntN(12))
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	case 4:
		if g.hostile && r.IntN(20) == 0 {
			return "bad\xffutf8"
		}
		fallthrough
	default:
		var b strings.Builder
		for range 1 + r.IntN(6) {
			b.WriteString(strAtoms[r.IntN(len(strAtoms))])
		}
		return b.String()
	}
}

func (g gen) key() string {
	r := g.r
	if !g.hostile {
		k := g.str()
		if a, _ := analyzeScalar(k); len(k) > 128 || a.multiline {
			return "k"
		}
		return k
	}
	switch r.IntN(8) {
	case 0:
		return metadataOrder[r.IntN(len(metadataOrder))]
	case 1:
		return topOrder[r.IntN(len(topOrder))]
	case 2, 3:
		return g.str()
	case 4:
		return strings.Repeat("k", 120+r.IntN(20)) // around the 128-byte simple-key limit
	}
	return []string{"name", "type", "owner", "a", "b", "zz", "A", "_x", "github.com/project-slug"}[r.IntN(9)]
}

func (g gen) float() float64 {
	r := g.r
	switch r.IntN(12) {
	case 0:
		if g.hostile {
			return math.NaN()
		}
		return 0
	case 1:
		if g.hostile {
			return math.Inf(1 - 2*r.IntN(2))
		}
		return 1
	case 2:
		return math.Copysign(0, -1)
	case 3:
		return []float64{1e15, -1e15, 1e15 - 1, 999999999999999.9, 1e-7, 1e21, 0.1, 123456.5, math.MaxFloat64, math.SmallestNonzeroFloat64}[r.IntN(10)]
	case 4:
		return math.Float64frombits(r.Uint64())
	case 5:
		return float64(r.IntN(1000))
	}
	return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(40)-20))
}

func (g gen) scalar() any {
	r := g.r
	switch r.IntN(16) {
	case 0:
		return r.IntN(2) == 0
	case 1:
		return nil
	case 2:
		return int(r.Int64()) >> r.IntN(64)
	case 3:
		return r.Int64() >> r.IntN(64) * int64(1-2*r.IntN(2))
	case 4:
		return r.Uint64() >> r.IntN(64)
	case 5, 6:
		return g.float()
	case 7:
		n := new(big.Int).Lsh(big.NewInt(r.Int64N(1000)+1), uint(r.IntN(100)))
		if r.IntN(2) == 0 {
			n.Neg(n)
		}
		return n
	case 8:
		if g.hostile && r.IntN(10) == 0 {
			// Types toNode rejects.
			return []any{struct{}{}, int32(1), Entity{}, map[string]string{}, []int{1}}[r.IntN(5)]
		}
		return []string{g.str(), g.str()}[:r.IntN(3)]
	}
	return g.str()
}

func (g gen) value(depth int) any {
	r := g.r
	if depth <= 0 || r.IntN(3) > 0 {
		return g.scalar()
	}
	if r.IntN(2) == 0 {
		m := map[string]any{}
		for range r.IntN(6) {
			m[g.key()] = g.value(depth - 1)
		}
		return m
	}
	l := make([]any, r.IntN(5))
	for i := range l {
		l[i] = g.value(depth - 1)
	}
	return l
}

func (g gen) entity() (Entity, []Relation) {
	r := g.r
	e := Entity{}
	if r.IntN(10) > 0 {
		e["apiVersion"] = "backstage.io/v1alpha1"
		e["kind"] = []string{"Component", "API", "Group", g.str()}[r.IntN(4)]
	}
	md := map[string]any{}
	for range r.IntN(8) {
		md[g.key()] = g.value(3)
	}
	if r.IntN(4) == 0 {
		md["metadata"] = g.value(2) // toNode orders this one as metadata too
	}
	if r.IntN(10) > 0 {
		e["metadata"] = md
	}
	for range r.IntN(5) {
		e[g.key()] = g.value(4)
	}
	if r.IntN(5) == 0 {
		e["relations"] = g.value(2)
	}
	var rels []Relation
	for range r.IntN(4) {
		rels = append(rels, Relation{
			Type: []string{"ownedBy", "partOf", "dependsOn", g.str()}[r.IntN(4)],
			TargetRef: Ref{
				Kind:      []string{"Group", "API", "", "1x", "-", g.str()}[r.IntN(6)],
				Namespace: []string{"default", "Team-A", "", g.str()}[r.IntN(4)],
				Name:      []string{"team-a", "Web.Platform_2", "", g.str()}[r.IntN(4)],
			},
		})
	}
	return e, rels
}

// TestRenderFastMatchesYAML renders thousands of random entities, built to hit every
// style yaml.v3 picks for a scalar and every way values nest, both ways.
func TestRenderFastMatchesYAML(t *testing.T) {
	n := 20000
	switch {
	case testing.Short():
		n = 2000
	case raceEnabled:
		n = 4000
	}
	var fast, friendly int
	for seed := range uint64(n) {
		g := gen{r: rand.New(rand.NewPCG(seed, 0x9a4e)), hostile: seed%4 == 0}
		e, rels := g.entity()
		if !g.hostile {
			friendly++
		}
		if checkFast(t, e, rels) {
			fast++
		}
	}
	t.Logf("%d of %d random entities (%d friendly) rendered without yaml.v3", fast, n, friendly)
}

// Every string, as a value in each position and as a key, renders as yaml.v3 writes it.
func TestRenderFastScalars(t *testing.T) {
	strs := append(append([]string{}, wholeStrings...), strAtoms...)
	strs = append(strs, strings.Repeat("long ", 40), strings.Repeat("x", 300), strings.Repeat("k", 128),
		strings.Repeat("k", 129), strings.Repeat("é", 64), strings.Repeat("é", 65))
	for _, s := range strs {
		for _, e := range scalarPositions(s) {
			checkFast(t, e, []Relation{{Type: s, TargetRef: Ref{"Group", "default", s}}})
		}
	}
}

// Indentation past the width of the emitter's run of spaces, and mappings with more
// keys than it sorts on the stack.
func TestRenderFastDeepAndWide(t *testing.T) {
	var v any = map[string]any{"leaf": "a\n b\n", "list": []any{"x\ny", []any{}}}
	for i := range 50 {
		if i%2 == 0 {
			v = map[string]any{"k": v}
		} else {
			v = []any{v, "s"}
		}
	}
	wide := map[string]any{}
	for i := range 100 {
		wide[strings.Repeat("k", i%7)+string(rune('a'+i%26))+strings.Repeat("z", i/26)] = i
	}
	e := Entity{"spec": v, "metadata": wide}
	if !checkFast(t, e, benchRelations()) {
		t.Error("fast path fell back")
	}
}

// scalarPositions puts s everywhere a scalar can be: top-level, nested values and
// sequence items at several depths, and keys.
func scalarPositions(s string) []Entity {
	return append(valuePositions(s),
		Entity{s: "v"},
		Entity{"metadata": map[string]any{s: s}},
		Entity{"a": []any{map[string]any{s: []any{s}}}, "b": map[string]any{"c": map[string]any{s: map[string]any{s: s}}}},
	)
}

// valuePositions puts s everywhere a value can be.
func valuePositions(s string) []Entity {
	return []Entity{
		{"v": s},
		{"metadata": map[string]any{"name": "x", "description": s}},
		{"spec": map[string]any{"a": map[string]any{"b": []any{s, []any{s, map[string]any{"k": s}}}}}},
		{"spec": []any{s}, "x": []string{s, s}},
		{"a": []any{[]any{[]any{s}}, map[string]any{"k": []any{map[string]any{"k": s}}}}},
	}
}

// The cases typical entities are made of never need yaml.v3.
func TestRenderFastCoversTypicalEntities(t *testing.T) {
	for _, e := range []Entity{benchComponent(), richEntity()} {
		if !checkFast(t, e, benchRelations()) {
			t.Errorf("fast path fell back for %s", e.Ref())
		}
	}
	for _, s := range []string{
		"shop", "Payments API", "https://github.com/acme/shop", "acme/shop", "dir:.", "url:https://x",
		"Shared Go packages: config, structured logging, tracing and HTTP middleware.",
		"It's a 'quoted' \"thing\" #1 - with {braces}, [brackets] & more!", "true", "1.2.3", "2026-01-01",
		"line one\nline two\n", "  indented\nblock", "é ✓ 中文", "😀", "tab\there", "a\r\nb", "",
	} {
		positions := valuePositions(s)
		if !strings.Contains(s, "\n") {
			positions = scalarPositions(s)
		}
		for _, e := range positions {
			if !checkFast(t, e, []Relation{{"ownedBy", Ref{"Group", "default", s}}}) {
				t.Errorf("fast path fell back for %q in %v", s, e)
			}
		}
	}
}

// FuzzRenderFast holds the fast path to yaml.v3 for any string in any position.
func FuzzRenderFast(f *testing.F) {
	for _, s := range wholeStrings {
		f.Add(s, int64(0), 0.5)
	}
	f.Add("x", int64(math.MinInt64), math.Inf(1))
	f.Fuzz(func(t *testing.T, s string, i int64, x float64) {
		for _, e := range scalarPositions(s) {
			e["n"] = []any{i, x, uint64(i), new(big.Int).Mul(big.NewInt(i), big.NewInt(i))}
			checkFast(t, e, []Relation{{Type: s, TargetRef: Ref{"Group", "default", s}}})
		}
	})
}

// TestRenderFastCorpus re-renders every entity and record the repository holds: the
// YAML under catalog/, testdata/ and test/backstage/testdata/, the JSON records under
// testdata/, and the catalog `pane compile` last wrote for the example, if there is one.
func TestRenderFastCorpus(t *testing.T) {
	root := filepath.Join("..", "..")
	var n, fast int
	check := func(name string, e Entity) {
		t.Helper()
		var rels []Relation
		if list, ok := e["relations"].([]any); ok {
			for _, x := range list {
				m, _ := x.(map[string]any)
				typ, _ := m["type"].(string)
				target, _ := m["targetRef"].(string)
				if ref, err := ParseRef(target, "", ""); err == nil {
					rels = append(rels, Relation{typ, ref})
				}
			}
		}
		n++
		if checkFast(t, e, rels) {
			fast++
		} else {
			t.Logf("%s: rendered by yaml.v3", name)
		}
	}
	decodeYAML := func(name string, data []byte) {
		t.Helper()
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for {
			var doc any
			err := dec.Decode(&doc)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Logf("%s: not YAML: %v", name, err)
				return
			}
			if m, ok := doc.(map[string]any); ok {
				check(name, m)
			}
		}
	}

	for _, dir := range []string{"catalog", "testdata", "test/backstage/testdata", "pkg"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			ext := filepath.Ext(path)
			if d.IsDir() || (ext != ".yaml" && ext != ".yml" && ext != ".json") {
				return nil
			}
			if dir == "pkg" && !strings.Contains(filepath.ToSlash(path), "/testdata/") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if ext != ".json" {
				decodeYAML(path, data)
				return nil
			}
			var v any
			if json.Unmarshal(data, &v) != nil {
				return nil
			}
			records, ok := v.([]any)
			if !ok {
				records = []any{v}
			}
			for _, rec := range records {
				if m, ok := rec.(map[string]any); ok {
					check(path, m)
					// The same record as an entity's spec, under an envelope.
					check(path, Entity{"apiVersion": "x/v1", "kind": "Record", "metadata": map[string]any{"name": "r"}, "spec": m})
				}
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}

	// The example's compiled catalog (go run ./cmd/pane compile writes it).
	repo := filepath.Join(root, ".pane", "demo-catalog.git")
	if _, err := os.Stat(repo); err == nil {
		if _, err := exec.LookPath("git"); err == nil {
			out, err := exec.Command("git", "-C", repo, "ls-tree", "-r", "--name-only", "catalog").Output()
			if err != nil {
				t.Logf("demo catalog: %v", err)
			}
			files := strings.Fields(string(out))
			for _, f := range files {
				data, err := exec.Command("git", "-C", repo, "show", "catalog:"+f).Output()
				if err != nil {
					t.Fatalf("git show %s: %v", f, err)
				}
				decodeYAML("demo-catalog:"+f, data)
			}
			t.Logf("demo catalog: %d files", len(files))
		}
	}
	if n == 0 {
		t.Fatal("no entities found")
	}
	t.Logf("%d entities, %d rendered without yaml.v3", n, fast)
}

// benchComponent is a typical Component as a GitHub mapping produces it.
func benchComponent() Entity {
	return Entity{
		"apiVersion": "backstage.io/v1alpha1",
		"kind":       "Component",
		"metadata": map[string]any{
			"name":        "checkout-web",
			"title":       "Checkout Web",
			"description": "The storefront's checkout: cart, payment (cards, wallets & invoices), order confirmation; see the #checkout channel.",
			"annotations": map[string]any{
				"github.com/project-slug":   "acme/checkout-web",
				"backstage.io/techdocs-ref": "dir:.",
				"pane.dev/source":           "github",
				"pane.dev/origin":           "repository:acme/checkout-web",
			},
			"labels": map[string]any{"tier": "1", "language": "typescript"},
			"tags":   []any{"typescript", "web", "payments"},
			"links": []any{
				map[string]any{"title": "Repository", "url": "https://github.com/acme/checkout-web"},
				map[string]any{"title": "Runbook", "url": "https://acme.pagerduty.com/service-directory/PX7K2AB"},
			},
		},
		"spec": map[string]any{
			"type":         "website",
			"lifecycle":    "production",
			"owner":        "group:default/web-platform",
			"system":       "storefront",
			"dependsOn":    []any{"component:default/payments-api", "resource:default/checkout-db"},
			"providesApis": []any{"checkout-api"},
			"stars":        int64(128),
		},
	}
}

func benchRelations() []Relation {
	return []Relation{
		{"dependsOn", Ref{"Component", "default", "payments-api"}},
		{"dependsOn", Ref{"Resource", "default", "checkout-db"}},
		{"ownedBy", Ref{"Group", "default", "web-platform"}},
		{"partOf", Ref{"System", "default", "storefront"}},
		{"providesApi", Ref{"API", "default", "checkout-api"}},
	}
}

// BenchmarkRender compares Render with the yaml.v3 path it replaced, on a typical
// Component and on one with a multi-line description.
func BenchmarkRender(b *testing.B) {
	multi := benchComponent()
	multi["metadata"].(map[string]any)["description"] = "The storefront's checkout.\n\nCart, payment and order confirmation.\n"
	for _, c := range []struct {
		name string
		e    Entity
	}{{"component", benchComponent()}, {"multiline", multi}} {
		for _, impl := range []struct {
			name   string
			render func(Entity, []Relation) ([]byte, error)
		}{{"fast", Render}, {"yaml", renderYAML}} {
			b.Run(c.name+"/"+impl.name, func(b *testing.B) {
				b.ReportAllocs()
				var size int
				for b.Loop() {
					out, err := impl.render(c.e, benchRelations())
					if err != nil {
						b.Fatal(err)
					}
					size = len(out)
				}
				b.SetBytes(int64(size))
			})
		}
	}
}
