package github

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

// discoverOrg is a small org whose repositories keep entity files: good ones, a
// malformed one, and some in a fork and an archive, which are not searched.
func discoverOrg(t *testing.T) (*githubtest.Org, map[string]string) {
	o := synth.Generate(5, 120)
	org := githubtest.FromSynth(o)
	roles := map[string]string{}
	var plain []string
	for _, r := range org.Repos {
		n := r["name"].(string)
		switch {
		case r["fork"] == true && roles["fork"] == "":
			roles["fork"] = n
		case r["archived"] == true && roles["archived"] == "":
			roles["archived"] = n
		case r["fork"] == false && r["archived"] == false:
			plain = append(plain, n)
		}
	}
	if roles["fork"] == "" || roles["archived"] == "" || len(plain) < 3 {
		t.Fatal("the synthetic org lacks a fork, an archive or plain repositories")
	}
	roles["good"], roles["nested"], roles["bad"] = plain[0], plain[1], plain[2]
	org.SetFile(roles["good"], "catalog-info.yaml", []byte(componentYAML(roles["good"])))
	org.SetFile(roles["nested"], ".pane/systems/billing.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: billing\nspec:\n  owner: initech\n"))
	org.SetFile(roles["nested"], ".pane/notes.txt", []byte("not an entity file"))
	org.SetFile(roles["nested"], "docs/catalog-info.yaml", []byte("not: matched\n"))
	org.SetFile(roles["bad"], "catalog-info.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: [broken\nspec: {}\n"))
	org.SetFile(roles["fork"], "catalog-info.yaml", []byte(componentYAML("upstream-thing")))
	org.SetFile(roles["archived"], "catalog-info.yaml", []byte(componentYAML("old-thing")))
	return org, roles
}

func TestDiscover(t *testing.T) {
	org, roles := discoverOrg(t)
	e := newEnv(t, org, func(c *Config, _ *Options) {
		c.Discover = []string{"catalog-info.yaml", ".pane/**/*.yaml"}
	})
	recs := e.mustFetch(e.source())
	files := map[string]source.Record{}
	for _, r := range recs {
		if r.Type == "file" {
			files[r.Key] = r
		}
	}
	want := []string{"initech/" + roles["bad"] + ":catalog-info.yaml", "initech/" + roles["good"] + ":catalog-info.yaml",
		"initech/" + roles["nested"] + ":.pane/systems/billing.yaml"}
	var got []string
	for k := range files {
		got = append(got, k)
	}
	if strings.Join(sortedStrings(got), " ") != strings.Join(sortedStrings(want), " ") {
		t.Fatalf("file records %v, want %v", sortedStrings(got), want)
	}

	good := files["initech/"+roles["good"]+":catalog-info.yaml"]
	data := good.Data.(map[string]any)
	sha := data["sha"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(sha) {
		t.Fatalf("sha %q is not a commit sha", sha)
	}
	if good.Where != "initech/"+roles["good"]+"@"+sha+":catalog-info.yaml" {
		t.Errorf("where %q", good.Where)
	}
	if u := data["url"].(string); u != "https://github.com/initech/"+roles["good"]+"/blob/"+sha+"/catalog-info.yaml" {
		t.Errorf("url %q", u)
	}
	docs := data["content"].([]any)
	if len(docs) != 2 {
		t.Fatalf("%d documents, want 2", len(docs))
	}
	if l := docs[1].(map[string]any)["line"]; l != int64(12) {
		t.Errorf("the second document is at line %v, want 12", l)
	}

	// pane's compile takes the documents as declared entities, from the repository.
	ds, problems, ok := Declared(good)
	if !ok || len(problems) != 0 || len(ds) != 2 {
		t.Fatalf("Declared: %d entities, problems %v, ok %v", len(ds), problems, ok)
	}
	if o := ds[1].Origin(); o != "initech/"+roles["good"]+"@"+sha+":catalog-info.yaml:12" {
		t.Errorf("origin %q", o)
	}
	if p := ds[0].FieldPos("spec.owner"); p != "initech/"+roles["good"]+"@"+sha+":catalog-info.yaml:10:10" {
		t.Errorf("spec.owner at %q", p)
	}

	// The malformed file: a problem naming repository, path and line; the rest of the
	// organization comes through.
	bad := files["initech/"+roles["bad"]+":catalog-info.yaml"]
	ds, problems, _ = Declared(bad)
	if len(ds) != 0 || len(problems) != 1 {
		t.Fatalf("malformed file: %d entities, problems %v", len(ds), problems)
	}
	if w := problems[0].Where; !regexp.MustCompile(`^initech/` + roles["bad"] + `@[0-9a-f]{40}:catalog-info.yaml:[0-9]+$`).MatchString(w) {
		t.Errorf("the problem is at %q, want repo@sha:path:line", w)
	} else {
		t.Logf("%s: %s", w, problems[0].Message)
	}
	if len(byKey(recs, "repository")) != 120 {
		t.Error("repositories are missing")
	}

	// Another record type is not an entity file.
	if _, _, ok := Declared(source.Record{Type: "repository", Data: map[string]any{}}); ok {
		t.Error("Declared took a repository record")
	}
}

// A repository that deletes its file has no file record at the next fetch, so its
// entities go; one that changes it has the new content.
func TestDiscoverChanges(t *testing.T) {
	org, roles := discoverOrg(t)
	e := newEnv(t, org, func(c *Config, _ *Options) { c.Discover = []string{"catalog-info.yaml", ".pane/**/*.yaml"} })
	e.mustFetch(e.source())
	e.srv.Update("initech", func(o *githubtest.Org) {
		o.SetFile(roles["good"], "catalog-info.yaml", nil)
		o.SetFile(roles["nested"], ".pane/systems/billing.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: payouts\nspec:\n  owner: initech\n"))
		for _, r := range o.Repos {
			if r["name"] == roles["good"] || r["name"] == roles["nested"] {
				r["pushed_at"] = "2027-01-01T00:00:00Z"
			}
		}
	})
	recs := e.mustFetch(e.source())
	files := byKey(recs, "file")
	if _, ok := files["initech/"+roles["good"]+":catalog-info.yaml"]; ok {
		t.Error("the deleted file is still a record")
	}
	nested := files["initech/"+roles["nested"]+":.pane/systems/billing.yaml"].(map[string]any)
	if !strings.Contains(nested["text"].(string), "payouts") {
		t.Error("the changed file has its old content")
	}
}

// GitHub truncates very large trees; the source then reads only the directories the
// patterns can match in.
func TestDiscoverTruncatedTree(t *testing.T) {
	o := synth.Generate(5, 30)
	org := githubtest.FromSynth(o)
	name := org.Repos[0]["name"].(string)
	for i := 0; i < 50; i++ {
		org.SetFile(name, "src/pkg"+string(rune('a'+i%26))+"/file"+string(rune('a'+i/26))+".go", []byte("package x\n"))
	}
	org.SetFile(name, ".pane/one.yaml", []byte(componentYAML("one")))
	org.SetFile(name, ".pane/deep/two.yaml", []byte(componentYAML("two")))
	c := newClock()
	srv := githubtest.New(githubtest.Options{Token: testToken, Now: c.Now, MaxTreeEntries: 20}, org)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, org: org, clock: c, cache: t.TempDir(), logs: newLogBuffer()}
	e.cfg = Config{Org: "initech", BaseURL: srv.URL, Discover: []string{".pane/**/*.yaml"}}
	e.opts = Options{CacheDir: e.cache, Sleep: c.Sleep, Now: c.Now}
	recs := e.mustFetch(e.source())
	files := byKey(recs, "file")
	for _, p := range []string{".pane/one.yaml", ".pane/deep/two.yaml"} {
		if _, ok := files["initech/"+name+":"+p]; !ok {
			t.Errorf("%s not found in the truncated tree", p)
		}
	}

	// A pattern that can match anywhere cannot be narrowed: the fetch fails rather than
	// miss files (and so delete entities).
	e.cfg.Discover = []string{"**/catalog-info.yaml"}
	if _, err := e.fetch(e.source()); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("fetch error %v, want the tree too large", err)
	}
}

func TestCheckPattern(t *testing.T) {
	for p, ok := range map[string]bool{"catalog-info.yaml": true, ".pane/**/*.yaml": true, "/abs.yaml": false,
		"": false, "../x.yaml": false, "a/./b.yaml": false, "[": false} {
		if err := checkPattern(p); (err == nil) != ok {
			t.Errorf("checkPattern(%q) = %v", p, err)
		}
	}
}

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
