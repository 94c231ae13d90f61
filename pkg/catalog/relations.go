package catalog

import (
	"fmt"
	"sort"
	"strings"
)

// Relation is one outgoing edge of an entity, as Backstage writes it on output.
type Relation struct {
	Type      string
	TargetRef Ref
}

// relationRule says which spec field of which kind yields which pair of relations.
type relationRule struct {
	kind        string // lower case
	field       string // spec field: a ref string or a list of them
	defaultKind string // kind assumed when the ref names none; "" means the ref must name it
	forward     string // relation from the entity to the target
	reverse     string // relation from the target back to the entity
}

// Backstage's BuiltinKindsEntityProcessor, field by field.
var relationRules = []relationRule{
	{"component", "owner", "Group", "ownedBy", "ownerOf"},
	{"component", "system", "System", "partOf", "hasPart"},
	{"component", "subcomponentOf", "Component", "partOf", "hasPart"},
	{"component", "providesApis", "API", "providesApi", "apiProvidedBy"},
	{"component", "consumesApis", "API", "consumesApi", "apiConsumedBy"},
	{"component", "dependsOn", "", "dependsOn", "dependencyOf"},
	{"component", "dependencyOf", "", "dependencyOf", "dependsOn"},
	{"api", "owner", "Group", "ownedBy", "ownerOf"},
	{"api", "system", "System", "partOf", "hasPart"},
	{"resource", "owner", "Group", "ownedBy", "ownerOf"},
	{"resource", "system", "System", "partOf", "hasPart"},
	{"resource", "dependsOn", "", "dependsOn", "dependencyOf"},
	{"resource", "dependencyOf", "", "dependencyOf", "dependsOn"},
	{"system", "owner", "Group", "ownedBy", "ownerOf"},
	{"system", "domain", "Domain", "partOf", "hasPart"},
	{"domain", "owner", "Group", "ownedBy", "ownerOf"},
	{"domain", "subdomainOf", "Domain", "partOf", "hasPart"},
	{"group", "parent", "Group", "childOf", "parentOf"},
	{"group", "children", "Group", "parentOf", "childOf"},
	{"group", "members", "User", "hasMember", "memberOf"},
	{"user", "memberOf", "Group", "memberOf", "hasMember"},
}

// Finding is a problem found in the assembled catalog, tied to the entity it is about.
type Finding struct {
	Ref     Ref
	Field   string // spec field the problem is in
	Target  Ref    // the ref that is missing, for a dangling reference
	Message string
}

// DeriveRelations computes every entity's relations in both directions from spec fields,
// keyed by the entity's ref key, sorted by type then target. A reference that cannot be
// parsed, or that names no entity in the catalog, is returned as a finding; its forward
// relation is still emitted, as Backstage does.
func DeriveRelations(entities map[string]Entity) (map[string][]Relation, []Finding) {
	rels := map[string]map[Relation]struct{}{}
	add := func(from string, r Relation) {
		set := rels[from]
		if set == nil {
			set = map[Relation]struct{}{}
			rels[from] = set
		}
		set[r] = struct{}{}
	}
	var findings []Finding
	keys := make([]string, 0, len(entities))
	for k := range entities {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		e := entities[key]
		self := e.Ref()
		kind := strings.ToLower(self.Kind)
		spec := e.Spec()
		for _, rule := range relationRules {
			if rule.kind != kind {
				continue
			}
			for _, target := range refStrings(spec[rule.field]) {
				t, err := ParseRef(target, rule.defaultKind, self.Namespace)
				if err != nil {
					findings = append(findings, Finding{Ref: self, Field: "spec." + rule.field, Message: err.Error()})
					continue
				}
				t = canonical(t, entities)
				add(key, Relation{Type: rule.forward, TargetRef: t})
				if _, ok := entities[t.Key()]; !ok {
					findings = append(findings, Finding{Ref: self, Field: "spec." + rule.field, Target: t,
						Message: fmt.Sprintf("refers to %s, which is not in the catalog", t)})
					continue
				}
				add(t.Key(), Relation{Type: rule.reverse, TargetRef: self})
			}
		}
	}
	out := make(map[string][]Relation, len(rels))
	for k, set := range rels {
		list := make([]Relation, 0, len(set))
		for r := range set {
			list = append(list, r)
		}
		sort.Slice(list, func(i, j int) bool {
			if list[i].Type != list[j].Type {
				return list[i].Type < list[j].Type
			}
			return list[i].TargetRef.Key() < list[j].TargetRef.Key()
		})
		out[k] = list
	}
	return out, findings
}

// canonical returns the ref as the catalog spells it, so relations are written the same
// way however a spec field cased them.
func canonical(r Ref, entities map[string]Entity) Ref {
	if e, ok := entities[r.Key()]; ok {
		return e.Ref()
	}
	return r
}

func refStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
