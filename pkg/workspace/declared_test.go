package workspace

import (
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue/cuecontext"

	"github.com/pane-dev/pane/pkg/catalog"
)

const multiDoc = `# Declared entities.
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: acme
spec:
  type: organization
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: shop
  annotations:
    github.com/project-slug: acme/shop
spec:
  type: service
  lifecycle: production
  owner: acme
  providesApis:
    - pay
    - orders
---
# an empty document is skipped
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata: {name: pay}
spec: {type: openapi, owner: acme, definition: "openapi: 3.0.0"}
...
`

func TestParseYAMLPositions(t *testing.T) {
	ds, findings := ParseYAML("catalog/acme.yaml", []byte(multiDoc))
	if len(findings) != 0 {
		t.Fatalf("findings: %v", findings)
	}
	if len(ds) != 3 {
		t.Fatalf("got %d entities, want 3", len(ds))
	}
	wantOrigins := []string{"catalog/acme.yaml:2", "catalog/acme.yaml:10", "catalog/acme.yaml:26"}
	for i, d := range ds {
		if d.Origin() != wantOrigins[i] {
			t.Errorf("entity %d origin %q, want %q", i, d.Origin(), wantOrigins[i])
		}
		if d.Col != 1 {
			t.Errorf("entity %d col %d, want 1", i, d.Col)
		}
		if d.Value.Exists() {
			t.Errorf("entity %d has a CUE value", i)
		}
	}
	shop := ds[1]
	fields := []struct{ path, want string }{
		{"spec.owner", "catalog/acme.yaml:19:10"},
		{"spec", "catalog/acme.yaml:17:3"},
		{"metadata.name", "catalog/acme.yaml:13:9"},
		{"metadata.annotations.github.com/project-slug", "catalog/acme.yaml:15:5"}, // a dotted key cannot be reached: the nearest found
		{"spec.providesApis.1", "catalog/acme.yaml:22:7"},
		{"spec.providesApis.7", "catalog/acme.yaml:21:5"}, // out of range: the nearest found
		{"spec.missing.deeper", "catalog/acme.yaml:17:3"}, // as far as it goes
		{"", "catalog/acme.yaml:10:1"},
	}
	for _, f := range fields {
		if got := shop.FieldPos(f.path); got != f.want {
			t.Errorf("FieldPos(%q) = %q, want %q", f.path, got, f.want)
		}
	}
	if got := ds[2].FieldPos("spec.owner"); got != "catalog/acme.yaml:29:30" {
		t.Errorf("flow-style FieldPos(spec.owner) = %q", got)
	}
	if got := ds[1].Entity.Annotation("github.com/project-slug"); got != "acme/shop" {
		t.Errorf("annotation = %q", got)
	}
}

func TestParseYAMLValues(t *testing.T) {
	huge, _ := new(big.Int).SetString("99999999999999999999", 10)
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"string", "v: hello", "hello"},
		{"int", "v: 42", int64(42)},
		{"negative int", "v: -7", int64(-7)},
		{"hex int", "v: 0x1F", int64(31)},
		{"uint64-sized int", "v: 18446744073709551615", new(big.Int).SetUint64(18446744073709551615)},
		{"tagged huge int", "v: !!int 99999999999999999999", huge},
		{"float", "v: 1.5", 1.5},
		{"bool", "v: true", true},
		{"YAML 1.1 bool stays a string", "v: yes", "yes"},
		{"null", "v: ~", nil},
		{"empty value", "v:", nil},
		{"timestamp kept as written", "v: 2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"},
		{"date kept as written", "v: 2024-01-02", "2024-01-02"},
		{"quoted number", `v: "42"`, "42"},
		{"literal block", "v: |\n  a\n  b\n", "a\nb\n"},
		{"list", "v: [a, 1, null]", []any{"a", int64(1), nil}},
		{"nested", "v: {a: {b: [x]}}", map[string]any{"a": map[string]any{"b": []any{"x"}}}},
		{"alias", "base: &b [x]\nv: *b", []any{"x"}},
		{"binary kept as written", "v: !!binary aGk=", "aGk="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, findings := ParseYAML("a.yaml", []byte(tt.in))
			if len(findings) != 0 || len(ds) != 1 {
				t.Fatalf("got %d entities, findings %v", len(ds), findings)
			}
			got := ds[0].Entity["v"]
			if b, ok := tt.want.(*big.Int); ok {
				if gb, ok := got.(*big.Int); !ok || gb.Cmp(b) != 0 {
					t.Errorf("v = %#v, want %v", got, b)
				}
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("v = %#v (%T), want %#v (%T)", got, got, tt.want, tt.want)
			}
		})
	}
}

func TestParseYAMLFindings(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		entities []string // origins of the entities still returned
		findings []string // "where: message" prefixes
	}{
		{"syntax error", "kind: Group\nmetadata: [\n", nil,
			[]string{"a.yaml:2: YAML: did not find expected"}},
		{"syntax error after a good document", "kind: Group\n---\nkind: : :\n", []string{"a.yaml:1"},
			[]string{"a.yaml:3: YAML: mapping values are not allowed"}},
		{"syntax error without a line", "\t", nil,
			[]string{"a.yaml: YAML: "}},
		{"non-mapping documents", "- a\n---\njust text\n---\nkind: Group\n---\n42\n", []string{"a.yaml:5"},
			[]string{"a.yaml:1:1: an entity must be a YAML mapping", "a.yaml:3:1: an entity must be a YAML mapping", "a.yaml:7:1: an entity must be a YAML mapping"}},
		{"duplicate keys", "kind: Group\nmetadata:\n  name: a\n  name: b\n", nil,
			[]string{`a.yaml:4:3: duplicate key "name"`}},
		{"duplicate keys only fail their document", "kind: Group\nkind: User\n---\nkind: API\n", []string{"a.yaml:4"},
			[]string{`a.yaml:2:1: duplicate key "kind"`}},
		{"merge keys", "base: &b {x: 1}\nspec:\n  <<: *b\n  y: 2\n", nil,
			[]string{"a.yaml:3:3: YAML merge keys (<<) are not supported"}},
		{"quoted << is a plain key", "spec:\n  \"<<\": 1\n", []string{"a.yaml:1"}, nil},
		{"non-string key", "? [a]\n: 1\n", nil,
			[]string{"a.yaml:1:3: mapping keys must be strings"}},
		{"recursive alias", "a: &x [*x]\n", nil,
			[]string{"a.yaml:1:"}},
		{"bad float", "v: !!float nope\n", nil,
			[]string{"a.yaml:1:4: "}},
		{"bad bool", "v: !!bool nope\n", nil,
			[]string{"a.yaml:1:4: "}},
		{"empty file", "", nil, nil},
		{"only comments", "# nothing\n", nil, nil},
		{"only separators", "---\n---\n...\n", nil, nil},
		{"empty docs between entities", "---\nkind: A\n---\n\n---\nkind: B\n---\n", []string{"a.yaml:2", "a.yaml:6"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, findings := ParseYAML("a.yaml", []byte(tt.in))
			var origins []string
			for _, d := range ds {
				origins = append(origins, d.Origin())
			}
			if !reflect.DeepEqual(origins, tt.entities) {
				t.Errorf("entities at %q, want %q", origins, tt.entities)
			}
			if len(findings) != len(tt.findings) {
				t.Fatalf("findings = %q, want %d", findings, len(tt.findings))
			}
			for i, f := range findings {
				if !strings.HasPrefix(f.String(), tt.findings[i]) {
					t.Errorf("finding %d = %q, want prefix %q", i, f.String(), tt.findings[i])
				}
			}
		})
	}
}

// A few hundred bytes of aliases must not expand into billions of values.
func TestParseYAMLAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	ds, findings := ParseYAML("bomb.yaml", []byte(b.String()))
	if len(ds) != 0 || len(findings) != 1 || !strings.Contains(findings[0].Message, "too many values") {
		t.Errorf("got %d entities, findings %v; want one finding about too many values", len(ds), findings)
	}
	// Modest use of aliases is fine.
	ds, findings = ParseYAML("ok.yaml", []byte("tags: &t [a, b]\nspec: {x: *t, y: *t, z: *t}\n"))
	if len(ds) != 1 || len(findings) != 0 {
		t.Errorf("got %d entities, findings %v", len(ds), findings)
	}
}

func TestParseYAMLDeepNesting(t *testing.T) {
	in := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	ds, findings := ParseYAML("deep.yaml", []byte("v: "+in+"\n"))
	if len(ds) != 0 || len(findings) != 1 {
		t.Errorf("got %d entities, findings %v", len(ds), findings)
	}
}

func TestParseCUE(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		refs     []string // entity refs, in order
		lines    []int
		findings []string // "where: message" prefixes
	}{
		{
			name:  "one entity",
			in:    "apiVersion: \"backstage.io/v1alpha1\"\nkind: \"Component\"\nmetadata: name: \"shop\"\nspec: owner: \"team-a\"\n",
			refs:  []string{"component:default/shop"},
			lines: []int{1},
		},
		{
			name: "several top-level entities, helpers skipped",
			in: `package catalog

#Team: {kind: "Group", spec: type: "team", ...}

a: #Team & {metadata: name: "team-a"}

b: {
	kind: "API"
	metadata: {name: "pay", namespace: "payments"}
}

helper: 3
_hidden: {kind: "Group", metadata: name: "hidden"}
`,
			refs:  []string{"group:default/team-a", "api:payments/pay"},
			lines: []int{5, 7},
		},
		{
			name: "an entity with an error",
			in: `a: {
	kind: "Component"
	metadata: name: int & "shop"
}
b: {
	kind: "Group"
	metadata: name: "ok"
}
`,
			// The file does not evaluate, so none of it is returned; the error is placed.
			findings: []string{"catalog/x.cue:3:18: a.metadata.name: conflicting values"},
		},
		{
			name:     "incomplete entity",
			in:       "kind: \"Group\"\nmetadata: name: string\n",
			findings: []string{"catalog/x.cue:2:17: metadata.name: incomplete value"},
		},
		{
			name:     "no entity",
			in:       "x: 1\ny: {name: \"a\"}\n",
			findings: []string{"catalog/x.cue: no entity here"},
		},
		{
			name:     "syntax error",
			in:       "a: {\n\tkind: \"Group\"\n",
			findings: []string{"catalog/x.cue:2:16: expected '}'"},
		},
		{
			name:     "conflict at the top",
			in:       "kind: \"Group\"\nkind: \"User\"\n",
			findings: []string{"catalog/x.cue:"},
		},
	}
	ctx := cuecontext.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds, findings := ParseCUE(ctx, "/ws", "catalog/x.cue", []byte(tt.in))
			var refs []string
			var lines []int
			for _, d := range ds {
				refs = append(refs, d.Entity.Ref().String())
				lines = append(lines, d.Line)
				if d.File != "catalog/x.cue" || !d.Value.Exists() || d.Col < 1 {
					t.Errorf("declared %+v", d)
				}
				if _, ok := d.Entity["kind"].(string); !ok {
					t.Errorf("entity %v has no kind string", d.Entity)
				}
			}
			if !reflect.DeepEqual(refs, tt.refs) || !reflect.DeepEqual(lines, tt.lines) {
				t.Errorf("entities %q at lines %v, want %q at %v", refs, lines, tt.refs, tt.lines)
			}
			if len(findings) != len(tt.findings) {
				t.Fatalf("findings = %q, want %d", findings, len(tt.findings))
			}
			for i, f := range findings {
				if !strings.HasPrefix(f.String(), tt.findings[i]) {
					t.Errorf("finding %d = %q, want prefix %q", i, f.String(), tt.findings[i])
				}
			}
		})
	}
}

// FuzzParseYAML feeds arbitrary bytes to the declared-entity parser: it must not panic,
// and whatever it returns as an entity is a mapping with a place.
func FuzzParseYAML(f *testing.F) {
	seeds := []string{
		multiDoc,
		"kind: Group\nmetadata:\n  name: a\n",
		"apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata: {name: jdoe}\nspec: {memberOf: [team-a], profile: {email: j@example.com}}\n",
		"base: &b {x: 1}\nspec:\n  <<: *b\n",
		"a: &x [*x]\n",
		"kind: Group\nkind: User\n",
		"- a\n---\n42\n---\n",
		"? [a]\n: 1\n",
		"v: !!int 99999999999999999999\nw: !!float nope\n",
		"metadata:\n  description: |\n    text\n    more\n",
		"\t",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, findings := ParseYAML("f.yaml", data)
		for _, d := range ds {
			if d.Entity == nil {
				t.Fatal("nil entity")
			}
			if _, ok := any(map[string]any(d.Entity)).(map[string]any); !ok {
				t.Fatalf("entity is %T", d.Entity)
			}
			if d.Line <= 0 || d.Col <= 0 {
				t.Fatalf("entity at line %d col %d", d.Line, d.Col)
			}
			if !strings.HasPrefix(d.FieldPos("metadata.name"), "f.yaml:") {
				t.Fatalf("FieldPos = %q", d.FieldPos("metadata.name"))
			}
			_ = catalog.Entity(d.Entity).Ref()
		}
		for _, fd := range findings {
			if !strings.HasPrefix(fd.Where, "f.yaml") {
				t.Fatalf("finding without the file: %v", fd)
			}
		}
	})
}

func TestSplitPath(t *testing.T) {
	tests := map[string][]string{
		"spec.owner":                           {"spec", "owner"},
		"metadata.tags[1]":                     {"metadata", "tags", "1"},
		`metadata.annotations."example.com/x"`: {"metadata", "annotations", "example.com/x"},
		`metadata.annotations."a\"b".c`:        {"metadata", "annotations", `a"b`, "c"},
		"out.0.kind":                           {"out", "0", "kind"},
		"":                                     nil,
		"spec.links[0].url":                    {"spec", "links", "0", "url"},
	}
	for in, want := range tests {
		if got := SplitPath(in); !slices.Equal(got, want) {
			t.Errorf("SplitPath(%q) = %q, want %q", in, got, want)
		}
	}
}
