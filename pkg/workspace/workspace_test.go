package workspace

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pane-dev/pane/pkg/diag"
)

// writeWorkspace makes a workspace in a temporary directory from path -> content.
func writeWorkspace(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func mustLoad(t *testing.T, files map[string]string) (*Workspace, diag.List) {
	t.Helper()
	ws, findings, err := Load(writeWorkspace(t, files))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return ws, findings
}

func TestLoadConfigDefaults(t *testing.T) {
	ws, findings := mustLoad(t, map[string]string{"pane.cue": "package pane\n"})
	if len(findings) != 0 {
		t.Errorf("findings: %v", findings)
	}
	c := ws.Config
	checks := []struct {
		name      string
		got, want any
	}{
		{"output.branch", c.Output.Branch, "catalog"},
		{"output.repo", c.Output.Repo, ""},
		{"output.author.name", c.Output.Author.Name, "pane"},
		{"output.author.email", c.Output.Author.Email, "pane@localhost"},
		{"safety.danglingRefs", c.Safety.DanglingRefs, "error"},
		{"safety.deletionThreshold", c.Safety.DeletionThreshold, 0.5},
		{"catalog.include", c.Catalog.Include, []string{"catalog/**/*.{yaml,yml,cue}"}},
		{"catalog.exclude", len(c.Catalog.Exclude), 0},
		{"sources", len(c.Sources), 0},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %#v, want %#v", ch.name, ch.got, ch.want)
		}
	}
	if !filepath.IsAbs(ws.Dir) {
		t.Errorf("Dir %q is not absolute", ws.Dir)
	}
	if ws.Schemas == nil || ws.Mappings == nil {
		t.Error("Schemas or Mappings is nil")
	}
}

func TestLoadConfigValues(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		check func(t *testing.T, c *Config)
	}{
		{
			name: "explicit values",
			files: map[string]string{"pane.cue": `package pane
output: {
	repo:   "../catalog.git"
	branch: "cat/main"
	author: {name: "bot", email: "bot@example.com"}
}
safety: {danglingRefs: "warn", deletionThreshold: 0.2}
catalog: {include: ["entities/*.yaml"], exclude: ["entities/draft-*"]}
`},
			check: func(t *testing.T, c *Config) {
				want := Output{Repo: "../catalog.git", Branch: "cat/main", Relations: true}
				want.Author.Name, want.Author.Email = "bot", "bot@example.com"
				if c.Output != want {
					t.Errorf("output = %+v, want %+v", c.Output, want)
				}
				if c.Safety.DanglingRefs != "warn" || c.Safety.DeletionThreshold != 0.2 {
					t.Errorf("safety = %+v", c.Safety)
				}
				if !reflect.DeepEqual(c.Catalog.Include, []string{"entities/*.yaml"}) || !reflect.DeepEqual(c.Catalog.Exclude, []string{"entities/draft-*"}) {
					t.Errorf("catalog = %+v", c.Catalog)
				}
			},
		},
		{
			name:  "a threshold of zero is kept",
			files: map[string]string{"pane.cue": "package pane\nsafety: deletionThreshold: 0\n"},
			check: func(t *testing.T, c *Config) {
				if c.Safety.DeletionThreshold != 0 {
					t.Errorf("deletionThreshold = %v, want 0", c.Safety.DeletionThreshold)
				}
			},
		},
		{
			name: "local.cue overrides a default of pane.cue",
			files: map[string]string{
				"pane.cue":  "package pane\noutput: repo: *\"x\" | string\n",
				"local.cue": "package pane\noutput: repo: \"y\"\n",
			},
			check: func(t *testing.T, c *Config) {
				if c.Output.Repo != "y" {
					t.Errorf("output.repo = %q, want y", c.Output.Repo)
				}
			},
		},
		{
			name:  "the default applies without an override",
			files: map[string]string{"pane.cue": "package pane\noutput: repo: *\"x\" | string\n"},
			check: func(t *testing.T, c *Config) {
				if c.Output.Repo != "x" {
					t.Errorf("output.repo = %q, want x", c.Output.Repo)
				}
			},
		},
		{
			name: "a root .cue of another package is not config",
			files: map[string]string{
				"pane.cue":    "package pane\noutput: branch: \"cat\"\n",
				"other.cue":   "package other\noutput: branch: 3\nthis is not even valid\n",
				"nopkg.cue":   "output: branch: 4\n",
				"sub/sub.cue": "package pane\noutput: branch: 5\n",
			},
			check: func(t *testing.T, c *Config) {
				if c.Output.Branch != "cat" {
					t.Errorf("output.branch = %q, want cat", c.Output.Branch)
				}
			},
		},
		{
			name: "sources keyed by name",
			files: map[string]string{"pane.cue": `package pane
sources: {
	gh: {type: "github", org: "acme", auth: token: env: "GITHUB_TOKEN"}
	recs: {
		type: "file"
		records: repository: {path: "records/*.json", key: "id"}
	}
}
`},
			check: func(t *testing.T, c *Config) {
				if len(c.Sources) != 2 {
					t.Fatalf("sources = %v", c.Sources)
				}
				gh, recs := c.Sources["gh"], c.Sources["recs"]
				if gh.Name != "gh" || gh.Type != "github" || recs.Name != "recs" || recs.Type != "file" {
					t.Errorf("sources = %+v, %+v", gh, recs)
				}
				for _, s := range []SourceConfig{gh, recs} {
					if !strings.HasPrefix(s.Where, "pane.cue:") {
						t.Errorf("source %s declared at %q, want a place in pane.cue", s.Name, s.Where)
					}
				}
				if org, _ := gh.Value.LookupPath(cuePath("org")).String(); org != "acme" {
					t.Errorf("gh.org = %q", org)
				}
				if key, _ := recs.Value.LookupPath(cuePath("records.repository.key")).String(); key != "id" {
					t.Errorf("recs key = %q", key)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, findings := mustLoad(t, tt.files)
			if len(findings) != 0 {
				t.Errorf("findings: %v", findings)
			}
			tt.check(t, ws.Config)
		})
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		where string // Where of some finding ("" to not check)
		msg   string // substring of that finding's message
	}{
		{"no pane.cue", map[string]string{"catalog/a.yaml": "kind: Group\n"}, "", "no pane.cue"},
		{"only another package", map[string]string{"x.cue": "package other\n"}, "", "no pane.cue"},
		{"type error", map[string]string{"pane.cue": "package pane\n\nsafety: deletionThreshold: \"lots\"\n"},
			"pane.cue:3:28", "safety.deletionThreshold"},
		{"out of range", map[string]string{"pane.cue": "package pane\nsafety: deletionThreshold: 2\n"},
			"pane.cue:2:28", "safety.deletionThreshold"},
		{"bad danglingRefs", map[string]string{"pane.cue": "package pane\nsafety: {\n\tdanglingRefs: \"maybe\"\n}\n"},
			"pane.cue:3:16", "safety.danglingRefs"},
		{"unknown source type", map[string]string{"pane.cue": "package pane\nsources: s: type: \"ftp\"\n"},
			"pane.cue:2:19", `"ftp"`},
		{"syntax error", map[string]string{"pane.cue": "package pane\noutput: {\n"}, "pane.cue:2:", "expected"},
		{"error in an override file", map[string]string{
			"pane.cue":  "package pane\noutput: branch: \"main\"\n",
			"local.cue": "package pane\noutput: branch: \"dev\"\n",
		}, "", "output.branch: conflicting values"},
		{"branch with ..", map[string]string{"pane.cue": "package pane\noutput: branch: \"a..b\"\n"},
			"pane.cue:2:", "not a valid branch name"},
		{"branch ending .lock", map[string]string{"pane.cue": "package pane\noutput: branch: \"a.lock\"\n"},
			"pane.cue:2:", "not a valid branch name"},
		{"branch with a space", map[string]string{"pane.cue": "package pane\noutput: branch: \"a b\"\n"},
			"pane.cue:2:", "output.branch"},
		{"file source without a key", map[string]string{"pane.cue": "package pane\nsources: f: {\n\ttype: \"file\"\n\trecords: r: {path: \"x.json\"}\n}\n"},
			"pane.cue:2:", "records.r.key"},
		{"file source with a bad format", map[string]string{"pane.cue": "package pane\nsources: f: {\n\ttype: \"file\"\n\trecords: r: {path: \"x.json\", key: \"id\", format: \"xml\"}\n}\n"},
			"pane.cue:4:", "records.r.format"},
		{"file source with an unknown field", map[string]string{"pane.cue": "package pane\nsources: f: {\n\ttype: \"file\"\n\trecords: r: {path: \"x.json\", key: \"id\", extra: 1}\n}\n"},
			"pane.cue:4:", "records.r.extra: field not allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, findings, err := Load(writeWorkspace(t, tt.files))
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, %v, %v; want a *ConfigError", ws, findings, err)
			}
			if ws != nil {
				t.Error("Load returned a workspace with a ConfigError")
			}
			found := false
			for _, f := range ce.Findings {
				if strings.HasPrefix(f.Where, "pane:") {
					t.Errorf("finding points into pane's own schema: %v", f)
				}
				if strings.HasPrefix(f.Where, tt.where) && strings.Contains(f.Message, tt.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("no finding at %q containing %q in:\n%v", tt.where, tt.msg, ce)
			}
			if err.Error() != ce.Findings.Error() {
				t.Errorf("Error() = %q, want the findings", err)
			}
		})
	}
}

func TestLoadNotADirectory(t *testing.T) {
	dir := writeWorkspace(t, map[string]string{"file": "x"})
	for _, p := range []string{filepath.Join(dir, "file"), filepath.Join(dir, "missing")} {
		_, _, err := Load(p)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("Load(%s) = %v, want a ConfigError saying it is not a directory", p, err)
		}
	}
}

func TestLoadSecrets(t *testing.T) {
	token := "ghp_" + strings.Repeat("aB3", 12) // 36 characters
	tests := []struct {
		name    string
		source  string
		secret  string // the literal, which must not appear in the finding
		wantPos string // "" for no finding
	}{
		// The token pasted where its variable's name belongs.
		{"GitHub token", "gh: {\n\ttype: \"github\", org: \"acme\"\n\tauth: token: env: \"" + token + "\"\n}", token, "pane.cue:5:20"},
		{"fine-grained PAT", "gh: {\n\ttype: \"github\", org: \"acme\"\n\tauth: token: file: \"github_pat_" + strings.Repeat("x", 30) + "\"\n}", "github_pat_", "pane.cue:5:"},
		{"Slack token", "hook: {\n\ttype: \"http\", baseURL: \"https://hooks.example.com\"\n\theaders: auth: \"xoxb-1234567890-abcdef\"\n}", "xoxb-1234567890", "pane.cue:5:"},
		{"AWS key", "s3: {\n\ttype: \"http\", baseURL: \"https://s3.example.com\"\n\theaders: \"X-Key\": \"AKIAABCDEFGHIJKLMNOP\"\n}", "AKIAABCDEFGHIJKLMNOP", "pane.cue:5:"},
		{"bearer", "api: {\n\ttype: \"http\", baseURL: \"https://api.example.com\"\n\theaders: Authorization: \"Bearer abcdefghijklmnopqrstuvwxyz\"\n}", "abcdefghijklmnopqrstuvwxyz", "pane.cue:5:"},
		{"private key", "api: {\n\ttype: \"http\", baseURL: \"https://api.example.com\"\n\theaders: \"X-Key\": \"-----BEGIN RSA PRIVATE KEY-----\\nMIIE\"\n}", "MIIE", "pane.cue:5:"},
		{"referenced by name", "gh: {\n\ttype: \"github\", org: \"acme\"\n\tauth: token: env: \"GITHUB_TOKEN\"\n}", "", ""},
		{"short prefix is not a token", "gh: {\n\ttype: \"github\", org: \"acme\"\n\tauth: token: env: \"ghp_team\"\n}", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, findings := mustLoad(t, map[string]string{"pane.cue": "package pane\n\nsources: " + tt.source + "\n"})
			if tt.wantPos == "" {
				if len(findings) != 0 {
					t.Errorf("findings: %v", findings)
				}
				return
			}
			if len(findings) != 1 {
				t.Fatalf("findings = %v, want one", findings)
			}
			f := findings[0]
			if !strings.HasPrefix(f.Where, tt.wantPos) || !strings.Contains(f.Message, "credential") || f.Severity != diag.Error {
				t.Errorf("finding = %+v, want an error at %s about a credential", f, tt.wantPos)
			}
			if strings.Contains(f.String(), tt.secret) {
				t.Errorf("finding repeats the secret: %v", f)
			}
		})
	}
}

const mappingFile = `package mappings

repos: {
	source: "nope"
	record: "repository"
	in: {...}
	out: []
}

teams: {
	source: "gh"
	record: "team"
	in: {...}
	out: []
}
`

func TestLoadMappingUndefinedSource(t *testing.T) {
	ws, findings := mustLoad(t, map[string]string{
		"pane.cue":           "package pane\nsources: gh: {type: \"github\", org: \"acme\", auth: token: env: \"GITHUB_TOKEN\"}\nsources: alt: {type: \"http\", baseURL: \"https://api.example.com\"}\n",
		"cue/mappings/m.cue": mappingFile,
	})
	if len(findings) != 1 {
		t.Fatalf("findings = %v, want one", findings)
	}
	f := findings[0]
	if !strings.HasPrefix(f.Where, "cue/mappings/m.cue:3:") {
		t.Errorf("Where = %q, want the mapping's place cue/mappings/m.cue:3", f.Where)
	}
	for _, s := range []string{`mapping "repos"`, `source "nope"`, "sources: alt, gh"} {
		if !strings.Contains(f.Message, s) {
			t.Errorf("Message %q lacks %q", f.Message, s)
		}
	}
	if len(ws.Mappings.Mappings) != 2 {
		t.Errorf("mappings = %d, want 2", len(ws.Mappings.Mappings))
	}
}

func TestLoadDeclared(t *testing.T) {
	ws, findings := mustLoad(t, map[string]string{
		"pane.cue": "package pane\n",
		"catalog/groups.yaml": `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-a
spec:
  type: team
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-b
spec:
  type: team
`,
		"catalog/deep/nested/api.yml": "kind: API\nmetadata:\n  name: pay\n",
		"catalog/svc.cue":             "kind: \"Component\"\nmetadata: name: \"shop\"\nspec: owner: \"team-a\"\n",
		"catalog/README.md":           "# not an entity\n",
		"catalog/notes.txt":           "kind: Group\n",
		"elsewhere/x.yaml":            "kind: Group\nmetadata:\n  name: x\n",
		"catalog/dir.yaml/inner.yaml": "kind: User\nmetadata:\n  name: u\n",
	})
	if len(findings) != 0 {
		t.Fatalf("findings: %v", findings)
	}
	var got []string
	for _, d := range ws.Declared {
		got = append(got, d.Origin()+" "+d.Entity.Ref().String())
	}
	want := []string{
		"catalog/deep/nested/api.yml:1 api:default/pay",
		"catalog/dir.yaml/inner.yaml:1 user:default/u",
		"catalog/groups.yaml:1 group:default/team-a",
		"catalog/groups.yaml:8 group:default/team-b",
		"catalog/svc.cue:1 component:default/shop",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("declared:\n got %q\nwant %q", got, want)
	}
	for _, d := range ws.Declared {
		if strings.HasSuffix(d.File, ".cue") != d.Value.Exists() {
			t.Errorf("%s: CUE value present = %v", d.File, d.Value.Exists())
		}
	}
}

func TestLoadDeclaredGlobs(t *testing.T) {
	files := map[string]string{
		"catalog/a.yaml":          "kind: Group\nmetadata:\n  name: a\n",
		"catalog/drafts/b.yaml":   "kind: Group\nmetadata:\n  name: b\n",
		"catalog/drafts/c.yaml":   "kind: Group\nmetadata:\n  name: c\n",
		"teams/d.yaml":            "kind: Group\nmetadata:\n  name: d\n",
		"teams/e.json":            "{}",
		"catalog/broken/bad.yaml": "kind: [\n",
	}
	tests := []struct {
		name    string
		catalog string
		want    []string
		finding string
	}{
		{"default", "", []string{"catalog/a.yaml", "catalog/drafts/b.yaml", "catalog/drafts/c.yaml"}, "catalog/broken/bad.yaml:"},
		{"exclude a tree", `catalog: exclude: ["catalog/drafts/**", "catalog/broken/*"]`, []string{"catalog/a.yaml"}, ""},
		{"exclude one file", `catalog: exclude: ["**/c.yaml", "**/bad.yaml"]`, []string{"catalog/a.yaml", "catalog/drafts/b.yaml"}, ""},
		{"several includes, overlapping", `catalog: include: ["teams/*.yaml", "catalog/*.yaml", "catalog/a.yaml"]`, []string{"catalog/a.yaml", "teams/d.yaml"}, ""},
		{"include matching nothing", `catalog: include: ["nothing/**/*.yaml"]`, nil, ""},
		{"invalid include", `catalog: include: ["catalog/[a.yaml"]`, nil, "catalog.include"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := map[string]string{"pane.cue": "package pane\n" + tt.catalog + "\n"}
			for k, v := range files {
				fs[k] = v
			}
			ws, findings := mustLoad(t, fs)
			var got []string
			for _, d := range ws.Declared {
				got = append(got, d.File)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("files = %q, want %q", got, tt.want)
			}
			if tt.finding == "" {
				if len(findings) != 0 {
					t.Errorf("findings: %v", findings)
				}
				return
			}
			if len(findings) != 1 || !strings.Contains(findings[0].String(), tt.finding) {
				t.Errorf("findings = %v, want one mentioning %q", findings, tt.finding)
			}
		})
	}
}

// Every problem of the workspace is reported in one run, sorted by place.
func TestLoadReportsEverything(t *testing.T) {
	_, findings := mustLoad(t, map[string]string{
		"pane.cue":            "package pane\nsources: gh: {type: \"github\", org: \"acme\", auth: token: env: \"GITHUB_TOKEN\"}\n",
		"cue/mappings/m.cue":  mappingFile,
		"catalog/b.yaml":      "kind: Group\nkind: User\n",
		"catalog/a.yaml":      "- not a mapping\n",
		"catalog/c.cue":       "x: 1\n",
		"actions/actions.cue": "package actions\n\nscaffold: {}\nbad: 3\n",
	})
	var got []string
	for _, f := range findings {
		got = append(got, f.Where)
	}
	want := []string{"actions/actions.cue:4:1", "catalog/a.yaml:1:1", "catalog/b.yaml:2:1", "catalog/c.cue", "cue/mappings/m.cue:3:1"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("places = %q, want %q\n%v", got, want, findings)
	}
}

func TestLoadActions(t *testing.T) {
	ws, findings := mustLoad(t, map[string]string{
		"pane.cue":          "package pane\n",
		"actions/owner.cue": "package actions\n\nchangeOwner: {input: owner: string}\n",
		"actions/env.cue":   "package actions\n\nrequestEnv: {}\n",
	})
	if len(findings) != 0 {
		t.Errorf("findings: %v", findings)
	}
	if !reflect.DeepEqual(ws.Actions, []string{"requestEnv", "changeOwner"}) && !reflect.DeepEqual(ws.Actions, []string{"changeOwner", "requestEnv"}) {
		t.Errorf("actions = %q", ws.Actions)
	}
}
