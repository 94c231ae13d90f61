package compile

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pane-dev/pane/pkg/gitstore"
	"github.com/pane-dev/pane/pkg/plan"
)

// TestPlanMemo: a plan whose inputs and branch are as the last plan left them is
// answered from the memo; a change to any input, or to the branch, compiles again, and
// every plan equals one made with no cache at all.
func TestPlanMemo(t *testing.T) {
	dir := syntheticWorkspace(t, 60)
	// The catalog goes to a bare repository of its own, as the benchmarks' does.
	edit0 := filepath.Join(dir, "pane.cue")
	cfg, err := os.ReadFile(edit0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(edit0, append(cfg, []byte("\noutput: repo: \".pane/catalog.git\"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	cacheDir := filepath.Join(dir, ".pane", "cache")
	ctx := context.Background()

	// step plans with the cache, checks it against a plan without one and that it used the
	// memo or not as expected, and commits.
	step := func(name string, wantMemo bool) {
		t.Helper()
		ws := loadWS(t, dir)
		target, err := OpenTarget(ws, "")
		if err != nil {
			t.Fatal(err)
		}
		ref, err := Plan(ctx, ws, target, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Plan(ctx, ws, target, Options{CacheDir: cacheDir})
		if err != nil {
			t.Fatal(err)
		}
		if got.Result.Memo != wantMemo {
			t.Fatalf("%s: memo used: %v, want %v", name, got.Result.Memo, wantMemo)
		}
		if got.Plan == nil || ref.Plan == nil {
			t.Fatalf("%s: compile failed: %v / %v", name, got.Result.Findings, ref.Result.Findings)
		}
		if a, b := summary(got.Plan), summary(ref.Plan); a != b {
			t.Fatalf("%s: plan with the cache:\n%s\nwithout:\n%s", name, a, b)
		}
		if a, b := got.Result.Findings.Error(), ref.Result.Findings.Error(); a != b {
			t.Fatalf("%s: findings with the cache %q, without %q", name, a, b)
		}
		if len(got.Result.Snapshot.Files) != len(ref.Result.Snapshot.Files) {
			t.Fatalf("%s: %d files, want %d", name, len(got.Result.Snapshot.Files), len(ref.Result.Snapshot.Files))
		}
		if _, _, err := Commit(ctx, got); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(rel string, from, to string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		nb := bytes.Replace(b, []byte(from), []byte(to), 1)
		if bytes.Equal(b, nb) {
			t.Fatalf("edit of %s did not apply", rel)
		}
		if err := os.WriteFile(p, nb, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	step("first compile", false)
	step("nothing changed", true)
	step("nothing changed again", true)

	// A record file: one description.
	edit("records/repositories.json", `"description":"`, `"description":"Now `)
	step("record changed", false)
	step("after the record change", true)

	// A mapping.
	edit("cue/mappings/github.cue", `title: "Repository"`, `title: "Source"`)
	step("mapping changed", false)
	step("after the mapping change", true)

	// A declared entity, and a new declaration file.
	edit("catalog/org.yaml", "type: organization", "type: org")
	step("declared entity changed", false)
	if err := os.WriteFile(filepath.Join(dir, "catalog", "extra.yaml"), []byte(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: extra
spec:
  type: team
  children: []
`), 0o644); err != nil {
		t.Fatal(err)
	}
	step("declaration added", false)
	step("after the declaration", true)

	// A package the mapping imports, through cue.mod.
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cue.mod/module.cue", "module: \"acme.example/ws\"\nlanguage: version: \"v0.12.0\"\n")
	write("cue/lib/lib.cue", "package lib\n\nTitle: \"Repo\"\n")
	edit("cue/mappings/github.cue", "import (\n", "import (\n\t\"acme.example/ws/cue/lib\"\n")
	edit("cue/mappings/github.cue", `title: "Source"`, `title: lib.Title`)
	step("mapping imports a package", false)
	step("after the import", true)
	edit("cue/lib/lib.cue", `"Repo"`, `"Code"`)
	step("imported package changed", false)
	step("after the imported package changed", true)

	// A declaration edited after the workspace was read (while pane compiled): what is
	// remembered is what was compiled, so the next plan sees the edit.
	{
		ws := loadWS(t, dir)
		target, err := OpenTarget(ws, "")
		if err != nil {
			t.Fatal(err)
		}
		edit("catalog/extra.yaml", "type: team", "type: squad")
		out, err := Plan(ctx, ws, target, Options{CacheDir: cacheDir})
		if err != nil || out.Plan == nil {
			t.Fatalf("plan: %v", err)
		}
		if _, _, err := Commit(ctx, out); err != nil {
			t.Fatal(err)
		}
	}
	step("declaration edited while pane ran", false)
	step("after that edit", true)

	// The configuration.
	edit("pane.cue", "package pane", "package pane\n\noutput: relations: false")
	step("config changed", false)
	step("after the config change", true)

	// The branch moved: someone committed to it. The memo is not trusted; the compile
	// puts the catalog back.
	ws := loadWS(t, dir)
	target, err := OpenTarget(ws, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := target.Store.CommitChanges(ctx, target.Branch, map[string][]byte{"component/default/hand-made.yaml": []byte("x: 1\n")}, nil, "by hand", gitstore.Signature{Name: "t", Email: "t@example.com"}); err != nil {
		t.Fatal(err)
	}
	step("branch moved", false)
	step("after the branch was restored", true)

	// A corrupt memo is not trusted.
	if err := os.WriteFile(filepath.Join(cacheDir, memoFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("corrupt memo", false)
	step("after the corrupt memo", true)
}

func summary(p *plan.Plan) string {
	var b bytes.Buffer
	for _, c := range p.Changes {
		b.WriteString(string(c.Op) + " " + c.Path + "\n")
	}
	return b.String()
}
