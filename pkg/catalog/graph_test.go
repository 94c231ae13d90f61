package catalog

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"
)

// TestGraphIncremental changes entities one at a time through Graph.Put and checks, after
// every change, that each entity's relations and findings are what DeriveRelations gives
// for the whole catalog as it then stands.
func TestGraphIncremental(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	names := []string{"a", "b", "c", "d", "e"}
	random := func() (string, Entity) {
		kinds := []string{"Component", "Group", "User", "System", "API"}
		kind := kinds[r.Intn(len(kinds))]
		name := names[r.Intn(len(names))]
		if r.Intn(4) == 0 {
			name = "B" // casing differs from b: refs are case-insensitive
		}
		spec := map[string]any{}
		pick := func() string { return names[r.Intn(len(names))] }
		switch kind {
		case "Component":
			spec["owner"] = pick()
			spec["system"] = pick()
			spec["dependsOn"] = []any{"component:" + pick(), "resource:" + pick()}
			spec["providesApis"] = []any{pick()}
			if r.Intn(5) == 0 {
				spec["dependsOn"] = []any{"no-kind"} // does not parse
			}
		case "Group":
			spec["parent"] = pick()
			spec["members"] = []any{pick(), pick()}
			spec["children"] = []any{}
		case "User":
			spec["memberOf"] = []any{pick()}
		case "System", "API":
			spec["owner"] = pick()
		}
		e := Entity{"apiVersion": "backstage.io/v1alpha1", "kind": kind,
			"metadata": map[string]any{"name": name}, "spec": spec}
		return e.Ref().Key(), e
	}
	world := map[string]Entity{}
	g := NewGraph(map[string]Entity{})
	for step := 0; step < 600; step++ {
		k, e := random()
		if r.Intn(4) == 0 {
			delete(world, k)
			g.Put(k, nil)
		} else {
			world[k] = e
			g.Put(k, e)
		}
		copyWorld := map[string]Entity{}
		for k, v := range world {
			copyWorld[k] = v
		}
		wantRels, wantFindings := DeriveRelations(copyWorld)
		var gotFindings []Finding
		for _, k := range sortedEntityKeys(world) {
			got := g.Relations(k)
			if !reflect.DeepEqual(got, wantRels[k]) {
				t.Fatalf("step %d: relations of %s:\n got %v\nwant %v", step, k, got, wantRels[k])
			}
			gotFindings = append(gotFindings, g.Findings(k)...)
		}
		if fmt.Sprint(gotFindings) != fmt.Sprint(wantFindings) {
			t.Fatalf("step %d: findings\n got %v\nwant %v", step, gotFindings, wantFindings)
		}
	}
}

func sortedEntityKeys(m map[string]Entity) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}
