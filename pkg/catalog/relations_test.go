package catalog

import (
	"reflect"
	"strings"
	"testing"
)

func ent(kind, ns, name string, spec map[string]any) Entity {
	md := map[string]any{"name": name}
	if ns != "" {
		md["namespace"] = ns
	}
	e := Entity{"apiVersion": "backstage.io/v1alpha1", "kind": kind, "metadata": md}
	if spec != nil {
		e["spec"] = spec
	}
	return e
}

func catalogOf(es ...Entity) map[string]Entity {
	m := map[string]Entity{}
	for _, e := range es {
		m[e.Ref().Key()] = e
	}
	return m
}

func rel(typ, ref string) Relation {
	r, err := ParseRef(ref, "", "")
	if err != nil {
		panic(err)
	}
	return Relation{Type: typ, TargetRef: r}
}

// Backstage's relation pairs, field by field (BuiltinKindsEntityProcessor). Written out
// independently of relationRules so a wrong rule shows up as a difference.
var backstageRules = []struct {
	kind, field, targetKind, forward, reverse string
}{
	{"Component", "owner", "Group", "ownedBy", "ownerOf"},
	{"Component", "system", "System", "partOf", "hasPart"},
	{"Component", "subcomponentOf", "Component", "partOf", "hasPart"},
	{"Component", "providesApis", "API", "providesApi", "apiProvidedBy"},
	{"Component", "consumesApis", "API", "consumesApi", "apiConsumedBy"},
	{"Component", "dependsOn", "", "dependsOn", "dependencyOf"},
	{"Component", "dependencyOf", "", "dependencyOf", "dependsOn"},
	{"API", "owner", "Group", "ownedBy", "ownerOf"},
	{"API", "system", "System", "partOf", "hasPart"},
	{"Resource", "owner", "Group", "ownedBy", "ownerOf"},
	{"Resource", "system", "System", "partOf", "hasPart"},
	{"Resource", "dependsOn", "", "dependsOn", "dependencyOf"},
	{"Resource", "dependencyOf", "", "dependencyOf", "dependsOn"},
	{"System", "owner", "Group", "ownedBy", "ownerOf"},
	{"System", "domain", "Domain", "partOf", "hasPart"},
	{"Domain", "owner", "Group", "ownedBy", "ownerOf"},
	{"Domain", "subdomainOf", "Domain", "partOf", "hasPart"},
	{"Group", "parent", "Group", "childOf", "parentOf"},
	{"Group", "children", "Group", "parentOf", "childOf"},
	{"Group", "members", "User", "hasMember", "memberOf"},
	{"User", "memberOf", "Group", "memberOf", "hasMember"},
}

func TestRelationRulesMatchBackstage(t *testing.T) {
	if len(relationRules) != len(backstageRules) {
		t.Fatalf("relationRules has %d rules, Backstage %d", len(relationRules), len(backstageRules))
	}
	for i, want := range backstageRules {
		got := relationRules[i]
		if got.kind != strings.ToLower(want.kind) || got.field != want.field || got.defaultKind != want.targetKind ||
			got.forward != want.forward || got.reverse != want.reverse {
			t.Errorf("relationRules[%d] = %+v, want %+v", i, got, want)
		}
	}
}

// Every rule, in both directions: with the target's kind left to the default, and with
// it written out (the only way for dependsOn/dependencyOf).
func TestDeriveRelationsEveryRule(t *testing.T) {
	for _, r := range backstageRules {
		targetKind := r.targetKind
		if targetKind == "" {
			targetKind = "Resource"
		}
		for _, explicit := range []bool{false, true} {
			if r.targetKind == "" && !explicit {
				continue
			}
			ref := "target"
			if explicit {
				ref = strings.ToLower(targetKind) + ":default/target"
			}
			name := r.kind + "." + r.field
			if explicit {
				name += "/explicit"
			}
			t.Run(name, func(t *testing.T) {
				// A list for the plural fields, a string for the singular ones: both are accepted.
				var val any = ref
				if strings.HasSuffix(r.field, "s") || r.field == "children" || r.field == "memberOf" {
					val = []any{ref}
				}
				src := ent(r.kind, "", "source", map[string]any{r.field: val})
				dst := ent(targetKind, "", "target", nil)
				rels, findings := DeriveRelations(catalogOf(src, dst))
				if len(findings) != 0 {
					t.Fatalf("findings: %+v", findings)
				}
				srcRef := Ref{r.kind, "default", "source"}
				dstRef := Ref{targetKind, "default", "target"}
				wantFwd := []Relation{{r.forward, dstRef}}
				wantRev := []Relation{{r.reverse, srcRef}}
				if got := rels[srcRef.Key()]; !reflect.DeepEqual(got, wantFwd) {
					t.Errorf("relations of %s = %v, want %v", srcRef, got, wantFwd)
				}
				if got := rels[dstRef.Key()]; !reflect.DeepEqual(got, wantRev) {
					t.Errorf("relations of %s = %v, want %v", dstRef, got, wantRev)
				}
			})
		}
	}
}

func TestDeriveRelations(t *testing.T) {
	tests := []struct {
		name     string
		entities []Entity
		want     map[string][]Relation
		findings []Finding
	}{
		{
			name: "namespace inherited from the entity",
			entities: []Entity{
				ent("Component", "web", "shop", map[string]any{"owner": "team-a", "system": "default/store"}),
				ent("Group", "web", "team-a", nil),
				ent("System", "", "store", nil),
			},
			want: map[string][]Relation{
				"component:web/shop":   {rel("ownedBy", "Group:web/team-a"), rel("partOf", "System:default/store")},
				"group:web/team-a":     {rel("ownerOf", "Component:web/shop")},
				"system:default/store": {rel("hasPart", "Component:web/shop")},
			},
		},
		{
			name: "default namespace when the entity names none",
			entities: []Entity{
				ent("API", "", "pay", map[string]any{"owner": "group:team-a"}),
				ent("Group", "", "team-a", nil),
			},
			want: map[string][]Relation{
				"api:default/pay":      {rel("ownedBy", "Group:default/team-a")},
				"group:default/team-a": {rel("ownerOf", "API:default/pay")},
			},
		},
		{
			name: "targets take the catalog's spelling",
			entities: []Entity{
				ent("Component", "", "shop", map[string]any{"owner": "GROUP:Default/TEAM-a", "providesApis": []any{"pay-API"}}),
				ent("Group", "", "Team-A", nil),
				ent("API", "", "Pay-Api", nil),
			},
			want: map[string][]Relation{
				"component:default/shop": {
					{"ownedBy", Ref{"Group", "default", "Team-A"}},
					{"providesApi", Ref{"API", "default", "Pay-Api"}},
				},
				"group:default/team-a": {{"ownerOf", Ref{"Component", "default", "shop"}}},
				"api:default/pay-api":  {{"apiProvidedBy", Ref{"Component", "default", "shop"}}},
			},
		},
		{
			name: "dangling ref keeps the forward relation and is a finding",
			entities: []Entity{
				ent("Component", "", "shop", map[string]any{"owner": "ghost", "system": "store"}),
				ent("System", "", "store", nil),
			},
			want: map[string][]Relation{
				"component:default/shop": {rel("ownedBy", "Group:default/ghost"), rel("partOf", "System:default/store")},
				"system:default/store":   {rel("hasPart", "Component:default/shop")},
			},
			findings: []Finding{{Ref: Ref{"Component", "default", "shop"}, Field: "spec.owner",
				Target:  Ref{"Group", "default", "ghost"},
				Message: "refers to group:default/ghost, which is not in the catalog"}},
		},
		{
			name: "dependsOn without a kind is a finding",
			entities: []Entity{
				ent("Component", "", "shop", map[string]any{"dependsOn": []any{"db", "resource:db"}}),
				ent("Resource", "", "db", nil),
			},
			want: map[string][]Relation{
				"component:default/shop": {rel("dependsOn", "Resource:default/db")},
				"resource:default/db":    {rel("dependencyOf", "Component:default/shop")},
			},
			findings: []Finding{{Ref: Ref{"Component", "default", "shop"}, Field: "spec.dependsOn",
				Message: `entity ref "db" has no kind`}},
		},
		{
			name: "both sides declaring the same edge give it once",
			entities: []Entity{
				ent("Component", "", "shop", map[string]any{"dependsOn": []any{"resource:db"}}),
				ent("Resource", "", "db", map[string]any{"dependencyOf": []any{"component:shop"}}),
			},
			want: map[string][]Relation{
				"component:default/shop": {rel("dependsOn", "Resource:default/db")},
				"resource:default/db":    {rel("dependencyOf", "Component:default/shop")},
			},
		},
		{
			name: "sorted by type then target; non-strings ignored",
			entities: []Entity{
				ent("Component", "", "shop", map[string]any{
					"consumesApis": []any{"zeta", 3, nil, "alpha"},
					"providesApis": []any{"beta"},
					"owner":        "team-a",
					"lifecycle":    "production",
				}),
				ent("API", "", "zeta", nil),
				ent("API", "", "alpha", nil),
				ent("API", "", "beta", nil),
				ent("Group", "", "team-a", nil),
			},
			want: map[string][]Relation{
				"component:default/shop": {
					rel("consumesApi", "API:default/alpha"),
					rel("consumesApi", "API:default/zeta"),
					rel("ownedBy", "Group:default/team-a"),
					rel("providesApi", "API:default/beta"),
				},
				"api:default/alpha":    {rel("apiConsumedBy", "Component:default/shop")},
				"api:default/zeta":     {rel("apiConsumedBy", "Component:default/shop")},
				"api:default/beta":     {rel("apiProvidedBy", "Component:default/shop")},
				"group:default/team-a": {rel("ownerOf", "Component:default/shop")},
			},
		},
		{
			name: "reverse relations of many entities on one target are sorted",
			entities: []Entity{
				ent("User", "", "bob", map[string]any{"memberOf": []any{"team-a"}}),
				ent("User", "", "alice", map[string]any{"memberOf": []any{"team-a"}}),
				ent("Group", "", "team-a", map[string]any{"members": []any{"carol"}, "parent": "org"}),
				ent("User", "", "carol", nil),
				ent("Group", "", "org", map[string]any{"children": []any{"team-a"}}),
			},
			want: map[string][]Relation{
				"user:default/alice": {rel("memberOf", "Group:default/team-a")},
				"user:default/bob":   {rel("memberOf", "Group:default/team-a")},
				"user:default/carol": {rel("memberOf", "Group:default/team-a")},
				"group:default/team-a": {
					rel("childOf", "Group:default/org"),
					rel("hasMember", "User:default/alice"),
					rel("hasMember", "User:default/bob"),
					rel("hasMember", "User:default/carol"),
				},
				"group:default/org": {rel("parentOf", "Group:default/team-a")},
			},
		},
		{
			name: "kinds without rules and custom kinds give nothing",
			entities: []Entity{
				ent("Location", "", "here", map[string]any{"owner": "team-a"}),
				ent("Template", "", "t", map[string]any{"owner": "team-a"}),
				ent("Group", "", "team-a", nil),
			},
			want: map[string][]Relation{},
		},
		{
			name: "kind matched case-insensitively",
			entities: []Entity{
				ent("component", "", "shop", map[string]any{"owner": "team-a"}),
				ent("Group", "", "team-a", nil),
			},
			want: map[string][]Relation{
				"component:default/shop": {rel("ownedBy", "Group:default/team-a")},
				// The reverse relation names the entity as it spells its own kind.
				"group:default/team-a": {rel("ownerOf", "component:default/shop")},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, findings := DeriveRelations(catalogOf(tt.entities...))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("relations:\n got %v\nwant %v", got, tt.want)
			}
			if !reflect.DeepEqual(findings, tt.findings) {
				t.Errorf("findings:\n got %+v\nwant %+v", findings, tt.findings)
			}
		})
	}
}

// Findings come out in the same order whatever the map's iteration order.
func TestDeriveRelationsFindingsStable(t *testing.T) {
	var es []Entity
	for _, n := range []string{"e", "a", "d", "b", "c"} {
		es = append(es, ent("Component", "", n, map[string]any{"owner": "ghost-" + n, "dependsOn": "x"}))
	}
	_, first := DeriveRelations(catalogOf(es...))
	if len(first) != 10 {
		t.Fatalf("got %d findings, want 10: %+v", len(first), first)
	}
	for i := 1; i < len(first); i++ {
		if first[i-1].Ref.Key() > first[i].Ref.Key() {
			t.Errorf("findings not in ref order: %v before %v", first[i-1].Ref, first[i].Ref)
		}
	}
	for range 20 {
		_, again := DeriveRelations(catalogOf(es...))
		if !reflect.DeepEqual(first, again) {
			t.Fatalf("findings differ between runs:\n%+v\n%+v", first, again)
		}
	}
}
