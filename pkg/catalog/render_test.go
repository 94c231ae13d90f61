package catalog

import (
	"bytes"
	"flag"
	"maps"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// richEntity has every kind of value Render must write, with its keys in no useful order.
func richEntity() Entity {
	return Entity{
		"spec": map[string]any{
			"type":      "service",
			"lifecycle": "production",
			"owner":     "team-a",
			"system":    "store",
			"replicas":  int64(3),
			"ratio":     0.25,
			"count":     float64(12), // a JSON number that is integral
			"big":       new(big.Int).Lsh(big.NewInt(1), 70),
			"enabled":   true,
			"nothing":   nil,
			"notes":     "line one\nline two\n",
			"looksLike": []any{"yes", "no", "on", "off", "true", "false", "null", "~", "1", "1.5", "1e3", "0x1F", "012", "2024-01-02", ".inf", ""},
			"nested":    map[string]any{"z": 1, "a": []any{map[string]any{"y": "b", "x": "a"}}},
		},
		"relations": []any{"ignored: Render writes the relations it is given"},
		"metadata": map[string]any{
			"zzz":         "last",
			"links":       []any{map[string]any{"url": "https://example.com", "title": "Home"}},
			"tags":        []any{"go", "web"},
			"annotations": map[string]any{"pane.dev/source": "github", "pane.dev/origin": "acme/shop", "backstage.io/techdocs-ref": "dir:."},
			"labels":      map[string]any{"tier": "1"},
			"description": "The shop.\nIt sells things.",
			"title":       "Shop",
			"namespace":   "default",
			"name":        "shop",
			"aaa":         "first of the rest",
			"uid":         "1234",
		},
		"kind":       "Component",
		"apiVersion": "backstage.io/v1alpha1",
		"extra":      "unknown top-level keys come after the envelope, sorted",
		"another":    1,
	}
}

func richRelations() []Relation {
	return []Relation{
		{"ownedBy", Ref{"Group", "default", "Team-A"}},
		{"partOf", Ref{"System", "default", "store"}},
	}
}

func TestRenderGolden(t *testing.T) {
	got, err := Render(richEntity(), richRelations())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "render.golden.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Render differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}

// keysOf returns the keys of a YAML mapping node in document order.
func keysOf(t *testing.T, n *yaml.Node) []string {
	t.Helper()
	if n.Kind != yaml.MappingNode {
		t.Fatalf("node at line %d is not a mapping", n.Line)
	}
	var keys []string
	for i := 0; i < len(n.Content); i += 2 {
		keys = append(keys, n.Content[i].Value)
	}
	return keys
}

func child(t *testing.T, n *yaml.Node, key string) *yaml.Node {
	t.Helper()
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	t.Fatalf("no key %q", key)
	return nil
}

func TestRenderKeyOrder(t *testing.T) {
	out, err := Render(richEntity(), richRelations())
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	root := doc.Content[0]
	checks := []struct {
		path []string
		want []string
	}{
		{nil, []string{"apiVersion", "kind", "metadata", "spec", "relations", "another", "extra"}},
		{[]string{"metadata"}, []string{"name", "namespace", "title", "description", "labels", "annotations", "tags", "links", "aaa", "uid", "zzz"}},
		{[]string{"metadata", "annotations"}, []string{"backstage.io/techdocs-ref", "pane.dev/origin", "pane.dev/source"}},
		{[]string{"spec"}, []string{"big", "count", "enabled", "lifecycle", "looksLike", "nested", "notes", "nothing", "owner", "ratio", "replicas", "system", "type"}},
		{[]string{"spec", "nested"}, []string{"a", "z"}},
	}
	for _, c := range checks {
		n := root
		for _, p := range c.path {
			n = child(t, n, p)
		}
		if got := keysOf(t, n); !reflect.DeepEqual(got, c.want) {
			t.Errorf("keys of %s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
	// A links item is not metadata: its keys are sorted, not put in metadata order.
	links := child(t, child(t, root, "metadata"), "links")
	if got := keysOf(t, links.Content[0]); !reflect.DeepEqual(got, []string{"title", "url"}) {
		t.Errorf("link keys = %v", got)
	}
	rels := child(t, root, "relations")
	if rels.Kind != yaml.SequenceNode || len(rels.Content) != 2 {
		t.Fatalf("relations: %v", rels.Kind)
	}
	for _, r := range rels.Content {
		if got := keysOf(t, r); !reflect.DeepEqual(got, []string{"type", "targetRef"}) {
			t.Errorf("relation keys = %v, want [type targetRef]", got)
		}
	}
}

func TestRenderRelations(t *testing.T) {
	e := ent("Component", "", "shop", map[string]any{"owner": "team-a"})
	e["relations"] = []any{map[string]any{"type": "stale", "targetRef": "group:default/old"}}
	out, err := Render(e, richRelations())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Relations []map[string]string `yaml:"relations"`
	}
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]string{
		{"type": "ownedBy", "targetRef": "group:default/Team-A"},
		{"type": "partOf", "targetRef": "system:default/store"},
	}
	if !reflect.DeepEqual(got.Relations, want) {
		t.Errorf("relations = %v, want %v", got.Relations, want)
	}
	if _, ok := e["relations"].([]any); !ok {
		t.Error("Render modified the entity's relations")
	}

	// No relations given: any relations the entity carries are dropped, no key is written.
	out, err = Render(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("relations")) {
		t.Errorf("Render with no relations wrote:\n%s", out)
	}
}

func TestRenderScalars(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string // the YAML line for "v: ..."
	}{
		{"int", 3, "v: 3"},
		{"int64", int64(-42), "v: -42"},
		{"uint64", uint64(math.MaxUint64), "v: 18446744073709551615"},
		{"big int in uint64", new(big.Int).SetUint64(math.MaxUint64), "v: 18446744073709551615"},
		{"big int", new(big.Int).Lsh(big.NewInt(1), 64), "v: 18446744073709551616"},
		{"negative big int", new(big.Int).Sub(big.NewInt(math.MinInt64), big.NewInt(1)), "v: -9223372036854775809"},
		{"integral float", 12.0, "v: 12"},
		{"negative zero", math.Copysign(0, -1), "v: 0"},
		{"float", 0.25, "v: 0.25"},
		{"small float", 1e-7, "v: 1e-07"},
		{"large float", 1e20, "v: 1e+20"},
		{"bool", false, "v: false"},
		{"null", nil, "v: null"},
		{"string", "hello", "v: hello"},
		{"empty string", "", `v: ""`},
		{"string list", []string{"a", "b"}, "v:\n  - a\n  - b"},
		{"empty list", []any{}, "v: []"},
		{"empty map", map[string]any{}, "v: {}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Render(Entity{"v": tt.in}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSuffix(string(out), "\n"); got != tt.want {
				t.Errorf("Render(%#v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Whatever Render writes reads back with yaml.v3, as plan and gitstore read it: integers
// too large for 64 bits included (a CUE literal decodes to a *big.Int).
func TestRenderReadsBack(t *testing.T) {
	huge, _ := new(big.Int).SetString("100000000000000000000", 10)
	for _, e := range []Entity{
		richEntity(),
		{"spec": map[string]any{"n": huge}},
		{"spec": map[string]any{"n": new(big.Int).Neg(huge)}},
	} {
		out, err := Render(e, richRelations())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(out, &m); err != nil {
			t.Errorf("rendered output does not read back: %v\n%s", err, out)
		}
	}
}

func TestRenderIntsAndFloatsParseBack(t *testing.T) {
	out, err := Render(Entity{"spec": map[string]any{
		"i": int64(7), "f": 7.5, "whole": 8.0, "tiny": 1e-9, "huge": 1e300,
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Spec map[string]any `yaml:"spec"`
	}
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"i": 7, "f": 7.5, "whole": 8, "tiny": 1e-9, "huge": 1e300}
	if !reflect.DeepEqual(back.Spec, want) {
		t.Errorf("parsed back %#v, want %#v\n%s", back.Spec, want, out)
	}
}

func TestRenderRejects(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"NaN", math.NaN(), "cannot be written"},
		{"+Inf", math.Inf(1), "cannot be written"},
		{"-Inf", math.Inf(-1), "cannot be written"},
		{"struct", struct{}{}, "struct {}"},
		{"chan", make(chan int), "chan int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ent("Component", "", "shop", map[string]any{"deep": []any{map[string]any{"v": tt.in}}})
			_, err := Render(e, nil)
			if err == nil {
				t.Fatalf("Render accepted %#v", tt.in)
			}
			for _, s := range []string{tt.want, "component:default/shop", "spec: deep: [0]: v:"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

// Strings stay strings, byte for byte, when the output is parsed back, however much they
// look like something else.
func TestRenderStringsRoundTrip(t *testing.T) {
	strs := []string{
		"", " ", "yes", "no", "on", "off", "y", "n", "Y", "N", "true", "False", "TRUE",
		"null", "Null", "~", "1", "-1", "+1", "1.5", "1e3", "1E3", ".5", "0x1F", "0o17", "012", "0b101",
		"1_000", ".inf", "-.Inf", ".nan", "2024-01-02", "2024-01-02T03:04:05Z", "12:30", "1:2:3",
		"-", "- a", "? x", ": x", "x: y", "a #b", "#c", "@a", "`b", "!t", "!!str", "&a", "*a", "%p",
		"'q'", `"q"`, "{a: 1}", "[1]", ",", "|", ">", "---", "...", "<<", "=",
		"line one\nline two", "trailing newline\n", "two trailing\n\n", "\n", "\n\nleading",
		" leading space\nx", "trailing space \nx", "tab\tin", "\t", "crlf\r\nline", "cr\r", "nul\x00",
		"é unicode ✓", "\u2028sep", "\ufeffbom", "a\\b", strings.Repeat("long ", 40),
	}
	spec := map[string]any{}
	for i, s := range strs {
		spec[string(rune('a'+i/26))+string(rune('a'+i%26))] = s
	}
	out, err := Render(Entity{"spec": spec, "metadata": map[string]any{"name": "yes", "description": "on\noff"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Spec     map[string]any `yaml:"spec"`
		Metadata map[string]any `yaml:"metadata"`
	}
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for k, want := range spec {
		got, ok := back.Spec[k].(string)
		if !ok || got != want {
			t.Errorf("%q came back as %#v (%T)", want, back.Spec[k], back.Spec[k])
		}
	}
	if back.Metadata["name"] != "yes" || back.Metadata["description"] != "on\noff" {
		t.Errorf("metadata came back as %#v", back.Metadata)
	}
}

func TestRenderMultiLineIsLiteralBlock(t *testing.T) {
	out, err := Render(Entity{"metadata": map[string]any{"description": "first\nsecond\n"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "metadata:\n  description: |\n    first\n    second\n"
	if string(out) != want {
		t.Errorf("got\n%q\nwant\n%q", out, want)
	}
}

func TestRenderLineEndings(t *testing.T) {
	e := richEntity()
	e["spec"].(map[string]any)["cr"] = "a\r\nb\rc"
	out, err := Render(e, richRelations())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(out, '\r') {
		t.Error("output contains a CR")
	}
	if !bytes.HasSuffix(out, []byte("\n")) || bytes.HasSuffix(out, []byte("\n\n")) {
		t.Errorf("output does not end with exactly one newline: %q", out[max(0, len(out)-20):])
	}
	if bytes.HasPrefix(out, []byte("---")) {
		t.Error("output starts with a document marker")
	}
	if bytes.Contains(out, []byte("\t")) {
		t.Error("output is indented with tabs")
	}
}

// rebuild copies a value into freshly made maps, inserting keys in another order, so a
// map's iteration order cannot leak into the output.
func rebuild(v any, reverse bool) any {
	switch v := v.(type) {
	case Entity:
		return Entity(rebuild(map[string]any(v), reverse).(map[string]any))
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range maps.Keys(v) {
			keys = append(keys, k)
		}
		if reverse {
			for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
		m := make(map[string]any, 1)
		for _, k := range keys {
			m[k] = rebuild(v[k], reverse)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = rebuild(x, reverse)
		}
		return l
	}
	return v
}

func TestRenderDeterministic(t *testing.T) {
	first, err := Render(richEntity(), richRelations())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		e := rebuild(richEntity(), i%2 == 0).(Entity)
		got, err := Render(e, richRelations())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("run %d differs:\n%s\n---\n%s", i, got, first)
		}
	}
}

// Render leaves the entity as it was.
func TestRenderDoesNotModify(t *testing.T) {
	e := richEntity()
	before := rebuild(e, false)
	if _, err := Render(e, richRelations()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(map[string]any(e), map[string]any(before.(Entity))) {
		t.Error("Render modified its input")
	}
}
