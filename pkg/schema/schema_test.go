package schema

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/format"

	"github.com/pane-dev/pane/pkg/catalog"
)

func loadBuiltin(t testing.TB) *Schemas {
	t.Helper()
	s, err := Load(cuecontext.New(), "")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// component returns a fresh valid Component for a test to break.
func component() catalog.Entity {
	return catalog.Entity{
		"apiVersion": "backstage.io/v1alpha1",
		"kind":       "Component",
		"metadata": map[string]any{
			"name":        "artist-web",
			"namespace":   "music",
			"labels":      map[string]any{"tier": "frontend"},
			"annotations": map[string]any{"pane.dev/source": "declared"},
			"tags":        []any{"java", "data"},
			"links":       []any{map[string]any{"url": "https://example.com", "title": "Home"}},
		},
		"spec": map[string]any{
			"type":      "website",
			"lifecycle": "production",
			"owner":     "team-a",
		},
	}
}

func md(e catalog.Entity) map[string]any   { return e["metadata"].(map[string]any) }
func spec(e catalog.Entity) map[string]any { return e["spec"].(map[string]any) }

func TestKinds(t *testing.T) {
	s := loadBuiltin(t)
	want := []string{"API", "Component", "Domain", "Group", "Location", "Resource", "System", "User"}
	if got := s.Kinds(); !reflect.DeepEqual(got, want) {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
	if !s.Has("Component") || s.Has("component") || s.Has("Template") {
		t.Errorf("Has: Component %v, component %v, Template %v", s.Has("Component"), s.Has("component"), s.Has("Template"))
	}
	// Kinds returns a copy.
	s.Kinds()[0] = "x"
	if s.Kinds()[0] != "API" {
		t.Error("Kinds() shares its slice")
	}
}

func TestValidate(t *testing.T) {
	s := loadBuiltin(t)
	tests := []struct {
		name   string
		mutate func(e catalog.Entity)
		path   string // "" with msg "" means valid
		msg    string // a substring of the message
	}{
		{"valid", func(catalog.Entity) {}, "", ""},
		{"v1beta1", func(e catalog.Entity) { e["apiVersion"] = "backstage.io/v1beta1" }, "", ""},
		{"relations", func(e catalog.Entity) {
			e["relations"] = []any{map[string]any{"type": "ownedBy", "targetRef": "group:default/team-a"}}
		}, "", ""},
		{"no namespace", func(e catalog.Entity) { delete(md(e), "namespace") }, "", ""},
		{"extra spec field", func(e catalog.Entity) { spec(e)["x"] = map[string]any{"y": 1} }, "", ""},
		{"extra metadata field", func(e catalog.Entity) { md(e)["x"] = 1 }, "", ""},
		{"empty label value", func(e catalog.Entity) { md(e)["labels"] = map[string]any{"x": ""} }, "", ""},
		{"ref with kind and namespace", func(e catalog.Entity) { spec(e)["owner"] = "Group:Music/team-a" }, "", ""},

		{"name ..", func(e catalog.Entity) { md(e)["name"] = ".." }, "metadata.name", `invalid value "..": must be 1-63 characters`},
		{"name a/b", func(e catalog.Entity) { md(e)["name"] = "a/b" }, "metadata.name", `invalid value "a/b"`},
		{"name -x", func(e catalog.Entity) { md(e)["name"] = "-x" }, "metadata.name", `invalid value "-x"`},
		{"name x-", func(e catalog.Entity) { md(e)["name"] = "x-" }, "metadata.name", `invalid value "x-"`},
		{"name 64", func(e catalog.Entity) { md(e)["name"] = strings.Repeat("a", 64) }, "metadata.name", "must be 1-63 characters"},
		{"name 63", func(e catalog.Entity) { md(e)["name"] = strings.Repeat("a", 63) }, "", ""},
		{"name NUL", func(e catalog.Entity) { md(e)["name"] = "a\x00b" }, "metadata.name", `invalid value "a\u0000b"`},
		{"name empty", func(e catalog.Entity) { md(e)["name"] = "" }, "metadata.name", `invalid value ""`},
		{"name unicode", func(e catalog.Entity) { md(e)["name"] = "café" }, "metadata.name", "invalid value"},
		{"name number", func(e catalog.Entity) { md(e)["name"] = 42 }, "metadata.name", "must be of type string"},
		{"name missing", func(e catalog.Entity) { delete(md(e), "name") }, "metadata.name", "required field is missing"},
		{"namespace upper case", func(e catalog.Entity) { md(e)["namespace"] = "Music" }, "metadata.namespace", "must be a DNS label"},
		{"namespace dot", func(e catalog.Entity) { md(e)["namespace"] = "a.b" }, "metadata.namespace", "must be a DNS label"},
		{"namespace 64", func(e catalog.Entity) { md(e)["namespace"] = strings.Repeat("a", 64) }, "metadata.namespace", "must be a DNS label: 1-63 characters"},
		{"namespace empty", func(e catalog.Entity) { md(e)["namespace"] = "" }, "metadata.namespace", "must be a DNS label"},
		{"tag upper case", func(e catalog.Entity) { md(e)["tags"] = []any{"java", "Go"} }, "metadata.tags.1", `invalid value "Go"`},
		{"tag space", func(e catalog.Entity) { md(e)["tags"] = []any{"a b"} }, "metadata.tags.0", "must be 1-63 characters of [a-z0-9:+#]"},
		{"tag leading dash", func(e catalog.Entity) { md(e)["tags"] = []any{"-a"} }, "metadata.tags.0", "invalid value"},
		{"tag 64", func(e catalog.Entity) { md(e)["tags"] = []any{strings.Repeat("a", 64)} }, "metadata.tags.0", "must be 1-63 characters"},
		{"tags not a list", func(e catalog.Entity) { md(e)["tags"] = "java" }, "metadata.tags", "must be of type list"},
		{"label key", func(e catalog.Entity) { md(e)["labels"] = map[string]any{"a/b/c": "x"} }, `metadata.labels.a/b/c`, "invalid key"},
		{"label key prefix too long", func(e catalog.Entity) {
			md(e)["labels"] = map[string]any{strings.Repeat("a.", 127) + "a/x": "y"}
		}, `metadata.labels."` + strings.Repeat("a.", 127) + `a/x"`, "invalid key"},
		{"label value", func(e catalog.Entity) { md(e)["labels"] = map[string]any{"x": "a b"} }, "metadata.labels.x", `must be "" or 1-63 characters`},
		{"annotation value", func(e catalog.Entity) { md(e)["annotations"] = map[string]any{"example.com/n": true} }, `metadata.annotations."example.com/n"`, "must be of type string"},
		{"link url", func(e catalog.Entity) { md(e)["links"] = []any{map[string]any{"url": "example.com"}} }, "metadata.links.0.url", "must be an absolute URL"},
		{"link title blank", func(e catalog.Entity) {
			md(e)["links"] = []any{map[string]any{"url": "https://x.org", "title": "\u00a0"}}
		}, "metadata.links.0.title", "must be more than white space"},
		{"title empty", func(e catalog.Entity) { md(e)["title"] = "" }, "metadata.title", "must be a non-empty string"},
		{"apiVersion v2", func(e catalog.Entity) { e["apiVersion"] = "backstage.io/v2" }, "apiVersion",
			`invalid value "backstage.io/v2": must be "backstage.io/v1alpha1" or "backstage.io/v1beta1"`},
		{"apiVersion missing", func(e catalog.Entity) { delete(e, "apiVersion") }, "apiVersion", "required field is missing"},
		{"spec missing", func(e catalog.Entity) { delete(e, "spec") }, "spec", "required field is missing"},
		{"spec not a struct", func(e catalog.Entity) { e["spec"] = []any{} }, "spec", "must be of type struct"},
		{"metadata missing", func(e catalog.Entity) { delete(e, "metadata") }, "metadata", "required field is missing"},
		{"owner missing", func(e catalog.Entity) { delete(spec(e), "owner") }, "spec.owner", "required field is missing"},
		{"owner empty", func(e catalog.Entity) { spec(e)["owner"] = "" }, "spec.owner", "must be an entity reference"},
		{"lifecycle missing", func(e catalog.Entity) { delete(spec(e), "lifecycle") }, "spec.lifecycle", "required field is missing"},
		{"type empty", func(e catalog.Entity) { spec(e)["type"] = "" }, "spec.type", "must be a non-empty string"},
		{"providesApis item", func(e catalog.Entity) { spec(e)["providesApis"] = []any{"a", ""} }, "spec.providesApis.1", "must be an entity reference"},
		{"dependsOn without kind", func(e catalog.Entity) { spec(e)["dependsOn"] = []any{"db"} }, "spec.dependsOn.0", "names its kind"},
		{"root field", func(e catalog.Entity) { e["status"] = map[string]any{} }, "status", "field not allowed"},
		{"relation field", func(e catalog.Entity) {
			e["relations"] = []any{map[string]any{"type": "ownedBy", "targetRef": "group:a", "x": 1}}
		}, "relations.0.x", "field not allowed"},

		// pane is stricter than Backstage's JSON schemas here: these pass Backstage's
		// schema, but a reference that cannot name an entity never resolves.
		{"owner with a space (stricter)", func(e catalog.Entity) { spec(e)["owner"] = "team a" }, "spec.owner", "must be an entity reference"},
		{"owner with two colons (stricter)", func(e catalog.Entity) { spec(e)["owner"] = "a:b:c" }, "spec.owner", "must be an entity reference"},
		// And here: a URL the WHATWG parser takes but pane's grammar does not.
		{"link url shortcut (stricter)", func(e catalog.Entity) { md(e)["links"] = []any{map[string]any{"url": "http:example.com"}} }, "metadata.links.0.url", "must be an absolute URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := component()
			tt.mutate(e)
			got := s.Validate(e)
			if tt.path == "" && tt.msg == "" {
				if len(got) > 0 {
					t.Fatalf("want valid, got %q", got)
				}
				return
			}
			for _, p := range got {
				if p.Path == tt.path && strings.Contains(p.Message, tt.msg) {
					return
				}
			}
			t.Fatalf("want a problem at %s containing %q, got %q", tt.path, tt.msg, got)
		})
	}
}

func TestValidateEveryKind(t *testing.T) {
	s := loadBuiltin(t)
	for _, kind := range s.Kinds() {
		t.Run(kind, func(t *testing.T) {
			e := catalog.Entity{"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": map[string]any{"name": "x"}, "spec": map[string]any{}}
			ps := s.Validate(e)
			var required []string
			for _, p := range ps {
				if p.Message != msgRequired {
					t.Errorf("unexpected problem %s", p)
				}
				required = append(required, p.Path)
			}
			want := map[string][]string{
				"API":       {"spec.definition", "spec.lifecycle", "spec.owner", "spec.type"},
				"Component": {"spec.lifecycle", "spec.owner", "spec.type"},
				"Domain":    {"spec.owner"},
				"Group":     {"spec.children", "spec.type"},
				"Location":  nil,
				"Resource":  {"spec.owner", "spec.type"},
				"System":    {"spec.owner"},
				"User":      {"spec.memberOf"},
			}[kind]
			if !slices.Equal(required, want) {
				t.Errorf("required spec fields: got %v, want %v", required, want)
			}
		})
	}
}

// TestValidateAllProblems checks that every problem is reported, in path order, with
// the messages users see.
func TestValidateAllProblems(t *testing.T) {
	s := loadBuiltin(t)
	e := catalog.Entity{
		"apiVersion": "backstage.io/v2",
		"kind":       "Component",
		"metadata": map[string]any{
			"name":   "-bad",
			"labels": map[string]any{"a/b/c": "x", "ok": "not ok"},
			"tags":   []any{"fine", "Bad"},
			"links":  []any{map[string]any{"title": "no url"}},
		},
		"spec":   map[string]any{"type": "service", "owner": "user:"},
		"status": map[string]any{"items": []any{}},
	}
	var got []string
	for _, p := range s.Validate(e) {
		got = append(got, p.String())
	}
	want := []string{
		`apiVersion: invalid value "backstage.io/v2": must be "backstage.io/v1alpha1" or "backstage.io/v1beta1"`,
		`metadata.labels.a/b/c: invalid key: must be [prefix/]name: the prefix a DNS subdomain of at most 253 characters, the name 1-63 characters of [A-Za-z0-9-_.] starting and ending with a letter or digit`,
		`metadata.labels.ok: invalid value "not ok": must be "" or 1-63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit`,
		`metadata.links.0.url: required field is missing`,
		`metadata.name: invalid value "-bad": must be 1-63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit`,
		`metadata.tags.1: invalid value "Bad": must be 1-63 characters of [a-z0-9:+#], in words joined by single '-'`,
		`spec.lifecycle: required field is missing`,
		`spec.owner: invalid value "user:": must be an entity reference [kind:][namespace/]name, each part a valid kind, namespace or name`,
		`status: field not allowed: an entity has only apiVersion, kind, metadata, spec and relations at its root`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

func TestValidateKind(t *testing.T) {
	s := loadBuiltin(t)
	tests := []struct {
		name string
		e    catalog.Entity
		want string
	}{
		{"nil", nil, "entity is empty"},
		{"no kind", catalog.Entity{"apiVersion": "backstage.io/v1alpha1"}, "kind: required field is missing"},
		{"kind not a string", catalog.Entity{"kind": 3}, "kind: must be a string, is a number"},
		{"unknown", catalog.Entity{"kind": "Template"},
			`kind: unknown kind "Template" (known kinds: API, Component, Domain, Group, Location, Resource, System, User)`},
		{"case", catalog.Entity{"kind": "component"},
			`kind: unknown kind "component" (known kinds: API, Component, Domain, Group, Location, Resource, System, User); kinds are case-sensitive: did you mean "Component"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.Validate(tt.e)
			if len(got) != 1 || got[0].String() != tt.want {
				t.Errorf("got %q, want [%s]", got, tt.want)
			}
		})
	}
}

// TestValidateOddInputs feeds values no YAML or JSON decoder makes. Validate must
// report them, not panic.
func TestValidateOddInputs(t *testing.T) {
	s := loadBuiltin(t)
	odd := []any{
		math.NaN(), math.Inf(1), make(chan int), func() {}, struct{ X int }{1}, &struct{}{},
		map[any]any{1: "x"}, map[int]any{1: "x"}, []string{"a"}, []byte("x"), uint64(math.MaxUint64),
		int8(1), complex(1, 2), nil, map[string]any{"a": map[string]any{"b": []any{nil, map[string]any{}}}},
	}
	for _, v := range odd {
		for _, place := range []func(catalog.Entity){
			func(e catalog.Entity) { e["spec"] = v },
			func(e catalog.Entity) { spec(e)["owner"] = v },
			func(e catalog.Entity) { md(e)["labels"] = v },
			func(e catalog.Entity) { md(e)["x"] = v },
			func(e catalog.Entity) { e["apiVersion"] = v },
		} {
			e := component()
			place(e)
			_ = s.Validate(e) // must not panic
		}
	}
	e := component()
	spec(e)["owner"] = math.NaN()
	if ps := s.Validate(e); len(ps) == 0 {
		t.Error("NaN owner: want a problem")
	}
	e = component()
	md(e)["x"] = make(chan int)
	if ps := s.Validate(e); len(ps) == 0 {
		t.Error("channel in metadata: want a problem")
	}
}

func TestConcurrentValidate(t *testing.T) {
	s := loadBuiltin(t)
	inputs := []func() catalog.Entity{
		component,
		func() catalog.Entity { e := component(); md(e)["name"] = "-x"; delete(spec(e), "owner"); return e },
		func() catalog.Entity { e := component(); e["kind"] = "Nope"; return e },
		func() catalog.Entity { e := component(); md(e)["labels"] = map[string]any{"a/b/c": "d"}; return e },
	}
	want := make([][]Problem, len(inputs))
	for i, in := range inputs {
		want[i] = s.Validate(in())
	}
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 50; n++ {
				i := (g + n) % len(inputs)
				if got := s.Validate(inputs[i]()); !reflect.DeepEqual(got, want[i]) {
					select {
					case errs <- "concurrent Validate differs":
					default:
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// writeFiles makes a directory holding files.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const workspaceSchema = `package schema

// Component lifecycles are a closed set in this workspace.
kinds: Component: spec: lifecycle: "production" | "experimental"

// Names of Components start with a team prefix, and must still be valid names.
#ServiceName: #Name & =~"^(svc|web)-"
kinds: Component: metadata: name: #ServiceName

kinds: Template: {
	apiVersion!: "scaffolder.backstage.io/v1beta3"
	spec!: {
		type!:  #NonEmpty
		owner!: #EntityRef
		...
	}
}
`

func TestWorkspace(t *testing.T) {
	ws := writeFiles(t, map[string]string{"cue/schema/workspace.cue": workspaceSchema})
	s, err := Load(cuecontext.New(), filepath.Join(ws, "cue", "schema"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Has("Template") || !slices.Contains(s.Kinds(), "Template") {
		t.Fatalf("Kinds() = %v, want Template among them", s.Kinds())
	}
	template := func() catalog.Entity {
		return catalog.Entity{
			"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
			"metadata": map[string]any{"name": "new-service"},
			"spec":     map[string]any{"type": "service", "owner": "team-a", "steps": []any{}},
		}
	}
	tests := []struct {
		name string
		e    func() catalog.Entity
		want []string // problems, as strings; none means valid
	}{
		{"component", func() catalog.Entity { e := component(); md(e)["name"] = "web-artist"; return e }, nil},
		{"component lifecycle", func() catalog.Entity {
			e := component()
			md(e)["name"] = "web-artist"
			spec(e)["lifecycle"] = "deprecated"
			return e
		}, []string{`spec.lifecycle: invalid value "deprecated": must be "experimental" or "production"`}},
		{"component lifecycle missing", func() catalog.Entity {
			e := component()
			md(e)["name"] = "web-artist"
			delete(spec(e), "lifecycle")
			return e
		}, []string{`spec.lifecycle: required field is missing (want "production" | "experimental")`}},
		{"component name", func() catalog.Entity { return component() },
			[]string{`metadata.name: invalid value "artist-web": must satisfy =~"^(svc|web)-"`}},
		{"component name still a name", func() catalog.Entity { e := component(); md(e)["name"] = "web-a/b"; return e },
			[]string{`metadata.name: invalid value "web-a/b": must be 1-63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit`}},
		{"template", template, nil},
		{"template apiVersion", func() catalog.Entity { e := template(); e["apiVersion"] = "backstage.io/v1alpha1"; return e },
			[]string{`apiVersion: invalid value "backstage.io/v1alpha1": must be "scaffolder.backstage.io/v1beta3"`}},
		{"template owner", func() catalog.Entity { e := template(); delete(e["spec"].(map[string]any), "owner"); return e },
			[]string{`spec.owner: required field is missing`}},
		{"template metadata", func() catalog.Entity { e := template(); md(e)["name"] = "a b"; return e },
			[]string{`metadata.name: invalid value "a b": must be 1-63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit`}},
		{"template root", func() catalog.Entity { e := template(); e["status"] = 1; return e },
			[]string{`status: field not allowed: an entity has only apiVersion, kind, metadata, spec and relations at its root`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range s.Validate(tt.e()) {
				got = append(got, p.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

var posRE = regexp.MustCompile(`^(.+):(\d+):(\d+): `)

func TestWorkspaceErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // per error line, a substring; the first names file:line:col
	}{
		{"syntax error", map[string]string{"bad.cue": "package schema\n\nkinds: Template: {\n\tspec: {type: string\n}\n"},
			[]string{"bad.cue:5:3: expected '}', found 'EOF'"}},
		{"two syntax errors in two files", map[string]string{
			"a.cue": "package schema\nkinds: A: spec: x: \n",
			"b.cue": "package schema\nkinds: B: ]\n",
		}, []string{"a.cue:2:21: expected operand", "b.cue:2:11: expected operand, found ']'"}},
		{"tightened into a conflict", map[string]string{"tight.cue": "package schema\n\nkinds: Component: spec: lifecycle: 5\n"},
			[]string{"tight.cue:3:36: kinds.Component.spec.lifecycle: conflicting values", "see also pane:builtin/"}},
		{"bad kind name", map[string]string{"k.cue": "package schema\n\nkinds: \"my-kind\": {}\n"},
			[]string{`k.cue:3:8: kinds: "my-kind" is not a valid kind name`}},
		{"kind not a struct", map[string]string{"k.cue": "package schema\n\nkinds: Thing: 5\n"},
			[]string{"k.cue:3:15: kinds.Thing: conflicting values 5 and {"}},
		{"other package", map[string]string{"a.cue": "package schema\n", "b.cue": "package other\n"},
			[]string{`: found packages "schema" (a.cue) and "other" (b.cue)`}},
		{"no package clause", map[string]string{"a.cue": "package schema\n", "b.cue": "kinds: Foo: spec: x: int\n"},
			[]string{"b.cue:1:1: not loaded: no package name (a schema file must start with package schema)"}},
		{"undefined reference", map[string]string{"a.cue": "package schema\n\nkinds: Component: spec: x: #Undefined\n"},
			[]string{`a.cue:3:28: kinds.Component.spec.x: reference "#Undefined" not found`}},
		{"import without a module", map[string]string{"a.cue": "package schema\n\nimport \"example.com/x\"\n\nkinds: Foo: spec: x: x.y\n"},
			[]string{"a.cue:3:8: import failed: imports are unavailable because there is no cue.mod/module.cue file"}},
		{"reserved name", map[string]string{"pane.builtin.kinds.cue": "package schema\n"},
			[]string{"reserved for pane's built-in schema"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, tt.files)
			_, err := Load(cuecontext.New(), dir)
			if err == nil {
				t.Fatal("want an error")
			}
			msg := err.Error()
			t.Log(msg)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			var le *LoadError
			if errors.As(err, &le) {
				for _, e := range le.Errors {
					if e.Pos == dir {
						continue // no position from CUE: the directory is named
					}
					if e.Pos == "" || !posRE.MatchString(e.String()) {
						t.Errorf("error without file:line:col: %q", e)
					}
					if !strings.HasPrefix(e.Pos, dir) && !strings.HasPrefix(e.Pos, builtinPrefix) {
						t.Errorf("position %q is neither in the workspace nor built in", e.Pos)
					}
				}
			}
		})
	}
}

func TestLoadDirs(t *testing.T) {
	ctx := cuecontext.New()
	builtin, err := Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	missing, err := Load(ctx, filepath.Join(t.TempDir(), "cue", "schema"))
	if err != nil {
		t.Fatalf("a missing dir must give the built-in schemas: %v", err)
	}
	if missing.Hash() != builtin.Hash() || !slices.Equal(missing.Kinds(), builtin.Kinds()) {
		t.Error("a missing dir gives other schemas than no dir")
	}
	empty, err := Load(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("an empty dir: %v", err)
	}
	if empty.Hash() != builtin.Hash() {
		t.Error("an empty dir gives another hash than no dir")
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(ctx, file); err == nil {
		t.Error("a file as schema dir: want an error")
	}
}

func TestHash(t *testing.T) {
	ctx := cuecontext.New()
	dir := writeFiles(t, map[string]string{"w.cue": workspaceSchema})
	a, err := Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Load(cuecontext.New(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.Hash() != b.Hash() {
		t.Error("the same sources hash differently")
	}
	if err := os.WriteFile(filepath.Join(dir, "w.cue"), []byte(workspaceSchema+"\n// changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hash() == a.Hash() {
		t.Error("a changed source hashes the same")
	}
	if loadBuiltin(t).Hash() == a.Hash() {
		t.Error("workspace schemas hash like the built-in ones")
	}
	if len(a.Hash()) != 64 {
		t.Errorf("Hash() = %q, want 64 hex digits", a.Hash())
	}
}

// TestURLSchemes checks the spelled-out "any scheme but a special one" of #URL: a
// special scheme must be followed by //host, any other may be opaque.
func TestURLSchemes(t *testing.T) {
	s := loadBuiltin(t)
	special := map[string]bool{"http": true, "https": true, "ws": true, "wss": true, "ftp": true, "file": true}
	schemes := map[string]bool{"a": true, "z": true, "mailto": true, "urn": true, "slack": true, "x-y.z+1": true}
	for w := range special {
		for i := 1; i <= len(w); i++ {
			schemes[w[:i]] = true
			for _, c := range "aefhilpstwz0+.-" {
				schemes[w[:i]+string(c)] = true
			}
		}
		schemes[w+"s"] = true
		schemes[strings.ToUpper(w)] = true
	}
	for scheme := range schemes {
		e := component()
		md(e)["links"] = []any{map[string]any{"url": scheme + ":opaque"}}
		gotValid := len(s.Validate(e)) == 0
		if wantValid := !special[strings.ToLower(scheme)]; gotValid != wantValid {
			t.Errorf("%s:opaque: valid = %v, want %v", scheme, gotValid, wantValid)
		}
	}
}

// TestBuiltinFormatted keeps the embedded CUE as cue fmt writes it.
func TestBuiltinFormatted(t *testing.T) {
	srcs, err := builtinSources()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range srcs {
		got, err := format.Source(f.src)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		if !bytes.Equal(got, f.src) {
			t.Errorf("builtin/%s is not formatted as cue fmt would:\n%s", f.name, got)
		}
	}
}

// TestValidateManyProblems checks that an entity with thousands of bad fields is
// reported by its first ones, and says so.
func TestValidateManyProblems(t *testing.T) {
	s := loadBuiltin(t)
	e := component()
	var tags []any
	for i := range 500 {
		tags = append(tags, "Bad"+strings.Repeat("x", i%5))
	}
	md(e)["tags"] = tags
	ps := s.Validate(e)
	if len(ps) == 0 || len(ps) > maxErrors+1 {
		t.Fatalf("got %d problems, want 1 to %d", len(ps), maxErrors+1)
	}
	if ps[0].Path != "" || !strings.Contains(ps[0].Message, "further problems not listed") {
		t.Errorf("first problem = %q, want the note that the list was cut", ps[0])
	}
}

// TestReadmeSchema loads the workspace schema the README shows, written in the style
// of a kind spelled out in full (kind, metadata: #Metadata) rather than left to the
// built-in pattern.
func TestReadmeSchema(t *testing.T) {
	dir := writeFiles(t, map[string]string{"schema.cue": `package schema

kinds: Component: spec: lifecycle: "production" | "experimental" | "deprecated"

kinds: Template: {
	apiVersion: "scaffolder.backstage.io/v1beta3"
	kind:       "Template"
	metadata:   #Metadata
	spec: {owner: string, type: string, ...}
}
`})
	s, err := Load(cuecontext.New(), dir)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := catalog.Entity{
		"apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
		"metadata": map[string]any{"name": "new-service"},
		"spec":     map[string]any{"owner": "team-a", "type": "service"},
	}
	if ps := s.Validate(tmpl); len(ps) > 0 {
		t.Errorf("Template: %q", ps)
	}
	delete(tmpl["spec"].(map[string]any), "owner")
	if ps := s.Validate(tmpl); len(ps) != 1 || ps[0].Path != "spec.owner" {
		t.Errorf("Template without owner: got %q, want one problem at spec.owner", ps)
	}
	e := component()
	spec(e)["lifecycle"] = "retired"
	if ps := s.Validate(e); len(ps) != 1 || ps[0].Path != "spec.lifecycle" {
		t.Errorf("lifecycle retired: got %q, want one problem at spec.lifecycle", ps)
	}
}

// TestTightenedDefinition checks that a bound a workspace adds to a built-in
// definition is shown as written, not explained as the built-in rule.
func TestTightenedDefinition(t *testing.T) {
	dir := writeFiles(t, map[string]string{"a.cue": "package schema\n\n#Name: =~\"^svc-\"\n"})
	s, err := Load(cuecontext.New(), dir)
	if err != nil {
		t.Fatal(err)
	}
	e := component()
	md(e)["name"] = "web"
	want := []Problem{{Path: "metadata.name", Message: `invalid value "web": must satisfy =~"^svc-"`}}
	if got := s.Validate(e); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	md(e)["name"] = "svc-a/b"
	if got := s.Validate(e); len(got) != 1 || !strings.Contains(got[0].Message, "must be 1-63 characters") {
		t.Errorf("got %q, want the built-in rule explained", got)
	}
}
