package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/compile"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/workspace"
)

func exampleMapping(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "cue", "mappings", "github.cue"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func clone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// edgeOrg is a generated org, a later state of it (so mutated descriptions and topics
// are in), and hand-made records for each branch of the mapping rules that generated
// records may miss.
func edgeOrg(n int) synth.Org {
	o := synth.Mutate(synth.Generate(11, n), 12, 0.2)
	base := o.Repositories[0]
	repo := func(name string, set map[string]any, del ...string) {
		c := clone(base)
		c["name"] = name
		c["full_name"] = "initech/" + name
		c["archived"] = false
		for k, v := range set {
			c[k] = v
		}
		for _, k := range del {
			delete(c, k)
		}
		o.Repositories = append(o.Repositories, c)
	}
	admin := []any{map[string]any{"slug": "a-team", "permission": "push"}, map[string]any{"slug": "b-team", "permission": "admin"}, map[string]any{"slug": "c-team", "permission": "admin"}}
	repo("Edge-Upper.Case_1", map[string]any{"description": ""})
	repo("edge-null-description", map[string]any{"description": nil})
	repo("edge-no-topics", nil, "topics")
	repo("edge-no-teams", nil, "teams", "custom_properties")
	repo("edge-deprecated", map[string]any{"topics": []any{"deprecated", "grpc"}})
	repo("edge-lifecycle-wins", map[string]any{"topics": []any{"deprecated", "lifecycle-beta", "lifecycle-alpha", "website", "library"}})
	repo("edge-documentation", map[string]any{"topics": []any{"documentation"}})
	repo("edge-owner-team", map[string]any{"custom_properties": map[string]any{"owner-team": "platform", "cost-center": "42"}, "teams": admin})
	repo("edge-second-admin", map[string]any{"teams": admin, "custom_properties": map[string]any{}})
	repo("edge-owner-case", map[string]any{"owner": map[string]any{"login": "IniTech", "type": "Organization"}}, "teams", "custom_properties")
	repo("edge-archived", map[string]any{"archived": true, "topics": []any{"deprecated"}})

	team := o.Teams[len(o.Teams)-1]
	t1 := clone(team)
	t1["slug"], t1["name"], t1["description"], t1["parent"], t1["members"] = "edge-root", "Edge Root", nil, nil, []any{map[string]any{"login": "Edge-Upper", "role": "member"}}
	t2 := clone(team)
	t2["slug"], t2["description"], t2["members"] = "edge-empty-description", "", []any{}
	o.Teams = append(o.Teams, t1, t2)

	user := o.Users[0]
	u1 := clone(user)
	u1["login"], u1["name"], u1["email"] = "Edge-Upper", nil, "edge@initech.example"
	u2 := clone(user)
	u2["login"], u2["name"], u2["email"] = "edge-empty", "", ""
	o.Users = append(o.Users, u1, u2)
	return o
}

// normalize turns decoded entities of any origin into the same Go shapes.
func normalize(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// diffValues lists the paths at which a and b (decoded JSON) differ.
func diffValues(path string, a, b any) []string {
	switch x := a.(type) {
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %v vs %v", path, a, b)}
		}
		keys := map[string]bool{}
		for k := range x {
			keys[k] = true
		}
		for k := range y {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		var out []string
		for _, k := range sorted {
			xv, xok := x[k]
			yv, yok := y[k]
			if xok != yok {
				out = append(out, fmt.Sprintf("%s.%s: present %v vs %v (%v vs %v)", path, k, xok, yok, xv, yv))
				continue
			}
			out = append(out, diffValues(path+"."+k, xv, yv)...)
		}
		return out
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return []string{fmt.Sprintf("%s: %v vs %v", path, a, b)}
		}
		var out []string
		for i := range x {
			out = append(out, diffValues(fmt.Sprintf("%s[%d]", path, i), x[i], y[i])...)
		}
		return out
	default:
		if a != b {
			return []string{fmt.Sprintf("%s: %v vs %v", path, a, b)}
		}
		return nil
	}
}

func TestDiffValues(t *testing.T) {
	a := map[string]any{"x": []any{"a", map[string]any{"y": 1.0}}, "z": "s"}
	b := map[string]any{"x": []any{"a", map[string]any{"y": 2.0}}, "w": true}
	got := diffValues("e", a, b)
	want := []string{"e.w: present false vs true (<nil> vs true)", "e.x[1].y: 1 vs 2", "e.z: present true vs false (s vs <nil>)"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if d := diffValues("e", a, a); d != nil {
		t.Errorf("equal values differ: %q", d)
	}
}

// paneEntities maps every record of the workspace in dir with pane's own mapping path:
// the file source, the workspace's compiled mappings, Mapping.Eval.
func paneEntities(t *testing.T, dir string) map[string]any {
	t.Helper()
	ws, findings, err := workspace.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if errs := findings.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	srcs, findings := compile.Sources(ws)
	if len(findings) > 0 || len(srcs) != 1 {
		t.Fatalf("sources: %v", findings)
	}
	out := map[string]any{}
	err = srcs[0].Fetch(context.Background(), func(r source.Record) error {
		ms := ws.Mappings.For(srcs[0].Name(), r.Type)
		if len(ms) != 1 {
			return fmt.Errorf("%d mappings for %s", len(ms), r.Type)
		}
		res, err := ms[0].Eval(r.Data)
		if err != nil {
			return fmt.Errorf("%s: %w", r.ID(), err)
		}
		var es []any
		for _, e := range res.Entities {
			es = append(es, map[string]any(e))
		}
		out[r.ID()] = normalize(t, es)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func collect(t *testing.T, into map[string]any) func(recordKind, string, Entities) {
	return func(k recordKind, key string, e Entities) {
		var es []any
		for _, x := range e {
			es = append(es, x)
		}
		into[k.Type+":"+key] = normalize(t, es)
	}
}

// TestBaselinesMapLikePane proves the baselines fair: on generated records and on
// hand-made ones for every rule of the mapping, the jq programs and the obvious CUE
// implementation give the entities pane's mapping gives, field by field.
func TestBaselinesMapLikePane(t *testing.T) {
	dir := t.TempDir()
	o := edgeOrg(300)
	if err := WriteWorkspace(dir, o, exampleMapping(t)); err != nil {
		t.Fatal(err)
	}
	want := paneEntities(t, dir)
	nRecords := len(o.Repositories) + len(o.Teams) + len(o.Users)
	if len(want) != nRecords {
		t.Fatalf("pane mapped %d records, want %d", len(want), nRecords)
	}
	filtered := 0
	for _, es := range want {
		if es == nil {
			filtered++
		}
	}
	if filtered < 2 {
		t.Fatalf("only %d records filtered out: the archived rule is not exercised", filtered)
	}

	jq, cue := map[string]any{}, map[string]any{}
	if _, err := runJQ(dir, 2, collect(t, jq)); err != nil {
		t.Fatal(err)
	}
	if _, err := runCUE(dir, exampleMapping(t), 2, 0, collect(t, cue)); err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]map[string]any{"jq": jq, "obvious CUE": cue} {
		if len(got) != len(want) {
			t.Errorf("%s mapped %d records, pane %d", name, len(got), len(want))
		}
		bad := 0
		for id, w := range want {
			g, ok := got[id]
			if !ok {
				t.Errorf("%s: %s not mapped", name, id)
				continue
			}
			for _, d := range diffValues(id, g, w) {
				if bad++; bad <= 20 {
					t.Errorf("%s differs from pane (%s vs pane): %s", name, name, d)
				}
			}
		}
	}
}
