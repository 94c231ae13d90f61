package compile

import (
	"context"
	"strings"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/source"
)

func fileRec(text string) source.Record {
	return source.Record{Type: "file", Key: "initech/svc:catalog-info.yaml", Where: "initech/svc@abc:catalog-info.yaml",
		Data: map[string]any{"repo": "initech/svc", "path": "catalog-info.yaml", "text": text, "content": []any{}}}
}

// TestIncrementalDiscoveredFiles: an entity file found in a repository (a `file`
// record) that changes or goes away updates the State exactly as a full compile would.
func TestIncrementalDiscoveredFiles(t *testing.T) {
	ctx := context.Background()
	dir := syntheticWorkspace(t, 20)
	ws := loadWS(t, dir)
	src := orgSource(synth.Generate(1, 20))
	owner := ""
	for _, id := range sortedKeys(src.recs) {
		if r := src.recs[id]; r.Type == "team" {
			owner = r.Data.(map[string]any)["slug"].(string)
			break
		}
	}
	doc := func(extra string) string {
		return "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: disc-api\n" + extra +
			"spec:\n  type: openapi\n  lifecycle: production\n  owner: " + owner + "\n  definition: x\n"
	}
	fr := fileRec(doc(""))
	src.recs[fr.ID()] = fr
	st, _, err := NewState(ctx, ws, Options{Sources: []source.Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	const path = "api/default/disc-api.yaml"
	if _, ok := st.Files()[path]; !ok {
		t.Fatal("no discovered entity in the full compile")
	}
	sameAsFull := func(what string) {
		t.Helper()
		full := compileOK(t, ws, Options{Sources: []source.Source{src}})
		if !equalFiles(full.Files, st.Files()) {
			t.Fatalf("%s: the State differs from a full compile:\n%s\nfull:\n%s", what, st.Files()[path], full.Files[path])
		}
	}

	// The file changes.
	fr2 := fileRec(doc("  description: changed\n"))
	d, findings, err := st.Apply(ctx, "github", []source.Record{fr2}, nil)
	if err != nil || len(findings.Errors()) > 0 {
		t.Fatal(err, findings)
	}
	st.Accept(d)
	src.recs[fr2.ID()] = fr2
	if got := string(st.Files()[path]); !strings.Contains(got, "description: changed") || strings.Count(got, "initech/svc@") != 1 {
		t.Fatalf("after the change:\n%s", got)
	}
	sameAsFull("after the change")

	// The file goes away: so does its entity.
	d, findings, err = st.Apply(ctx, "github", nil, []string{fr.ID()})
	if err != nil || len(findings.Errors()) > 0 {
		t.Fatal(err, findings)
	}
	st.Accept(d)
	delete(src.recs, fr.ID())
	if _, ok := st.Files()[path]; ok {
		t.Fatal("the entity survived the deletion of its file")
	}
	sameAsFull("after the deletion")
}
