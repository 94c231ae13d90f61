package catalog

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pane-dev/pane/internal/par"
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
	g := NewGraph(entities)
	keys := make([]string, 0, len(entities))
	for k := range entities {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Each entity's relations are read from the graph alone: on all cores.
	rels := make([][]Relation, len(keys))
	found := make([][]Finding, len(keys))
	par.For(len(keys), 0, func(i int) {
		rels[i] = g.Relations(keys[i])
		found[i] = g.Findings(keys[i])
	})
	out := map[string][]Relation{}
	var findings []Finding
	for i, k := range keys {
		if len(rels[i]) > 0 {
			out[k] = rels[i]
		}
		findings = append(findings, found[i]...)
	}
	return out, findings
}

// edge is one reference in an entity's spec.
type edge struct {
	forward, reverse string
	field            string // spec field
	target           Ref    // as the spec field wrote it, defaults filled
	targetKey        string // target.Key(), computed once
}

// Graph holds the catalog's references so that relations can be computed for one
// entity, and kept up to date as single entities change: the incremental compile's
// path. DeriveRelations is Graph over a whole catalog.
type Graph struct {
	entities map[string]Entity
	refs     map[string]Ref // each entity's ref, read once
	edges    map[string][]edge
	bad      map[string][]Finding           // spec references that do not parse
	pointers map[string]map[string]struct{} // target key -> keys of entities referring to it
}

// NewGraph indexes the references of every entity. The map is the graph's own from
// then on: change it through Put.
func NewGraph(entities map[string]Entity) *Graph {
	g := &Graph{entities: entities, refs: make(map[string]Ref, len(entities)), edges: make(map[string][]edge, len(entities)),
		bad: map[string][]Finding{}, pointers: make(map[string]map[string]struct{}, len(entities))}
	// Reading the references is per entity, on all cores; the indexes are filled after.
	keys := make([]string, 0, len(entities))
	for k := range entities {
		keys = append(keys, k)
	}
	parsed := make([]parsedRefs, len(keys))
	par.For(len(keys), 0, func(i int) { parsed[i] = parseRefs(entities[keys[i]]) })
	for i, k := range keys {
		g.insert(k, parsed[i])
	}
	return g
}

// parsedRefs is what an entity's spec refers to.
type parsedRefs struct {
	self  Ref
	edges []edge
	bad   []Finding
}

func parseRefs(e Entity) parsedRefs {
	p := parsedRefs{self: e.Ref()}
	kind := strings.ToLower(p.self.Kind)
	spec := e.Spec()
	for _, rule := range relationRules {
		if rule.kind != kind {
			continue
		}
		for _, target := range refStrings(spec[rule.field]) {
			t, err := ParseRef(target, rule.defaultKind, p.self.Namespace)
			if err != nil {
				p.bad = append(p.bad, Finding{Ref: p.self, Field: "spec." + rule.field, Message: err.Error()})
				continue
			}
			p.edges = append(p.edges, edge{forward: rule.forward, reverse: rule.reverse, field: rule.field, target: t, targetKey: t.Key()})
		}
	}
	return p
}

func (g *Graph) index(key string, e Entity) { g.insert(key, parseRefs(e)) }

func (g *Graph) insert(key string, p parsedRefs) {
	g.refs[key] = p.self
	if len(p.bad) > 0 {
		g.bad[key] = p.bad
	}
	if len(p.edges) > 0 {
		g.edges[key] = p.edges
	}
	for _, ed := range p.edges {
		ps := g.pointers[ed.targetKey]
		if ps == nil {
			ps = map[string]struct{}{}
			g.pointers[ed.targetKey] = ps
		}
		ps[key] = struct{}{}
	}
}

func (g *Graph) unindex(key string) {
	for _, ed := range g.edges[key] {
		if ps := g.pointers[ed.targetKey]; ps != nil {
			delete(ps, key)
			if len(ps) == 0 {
				delete(g.pointers, ed.targetKey)
			}
		}
	}
	delete(g.edges, key)
	delete(g.bad, key)
	delete(g.refs, key)
}

// Put sets, replaces or (with nil) removes an entity.
func (g *Graph) Put(key string, e Entity) {
	g.unindex(key)
	if e == nil {
		delete(g.entities, key)
		return
	}
	g.entities[key] = e
	g.index(key, e)
}

// Entity returns the entity with the key, if the graph has it.
func (g *Graph) Entity(key string) (Entity, bool) {
	e, ok := g.entities[key]
	return e, ok
}

// Targets returns the keys an entity's spec refers to.
func (g *Graph) Targets(key string) []string {
	var out []string
	for _, ed := range g.edges[key] {
		out = append(out, ed.targetKey)
	}
	return out
}

// Pointers returns the keys of the entities whose spec refers to key.
func (g *Graph) Pointers(key string) []string {
	out := make([]string, 0, len(g.pointers[key]))
	for k := range g.pointers[key] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Relations returns an entity's relations, both directions, sorted by type then target.
func (g *Graph) Relations(key string) []Relation {
	// Each relation with its target's key (known without lower-casing anything: an
	// edge's target key, or the key of the entity pointing here), sorted and with
	// duplicates dropped.
	type keyed struct {
		r   Relation
		key string
	}
	var ks []keyed
	for _, ed := range g.edges[key] {
		ks = append(ks, keyed{Relation{Type: ed.forward, TargetRef: g.canonical(ed.target, ed.targetKey)}, ed.targetKey})
	}
	if _, exists := g.entities[key]; exists {
		for src := range g.pointers[key] {
			from, ok := g.refs[src]
			if !ok {
				continue
			}
			for _, ed := range g.edges[src] {
				if ed.targetKey == key {
					ks = append(ks, keyed{Relation{Type: ed.reverse, TargetRef: from}, src})
				}
			}
		}
	}
	if len(ks) == 0 {
		return nil
	}
	sort.Slice(ks, func(i, j int) bool {
		a, b := &ks[i], &ks[j]
		if a.r.Type != b.r.Type {
			return a.r.Type < b.r.Type
		}
		if a.key != b.key {
			return a.key < b.key
		}
		// Refs that differ only in case: in a fixed order too.
		if a.r.TargetRef.Kind != b.r.TargetRef.Kind {
			return a.r.TargetRef.Kind < b.r.TargetRef.Kind
		}
		if a.r.TargetRef.Namespace != b.r.TargetRef.Namespace {
			return a.r.TargetRef.Namespace < b.r.TargetRef.Namespace
		}
		return a.r.TargetRef.Name < b.r.TargetRef.Name
	})
	list := make([]Relation, 0, len(ks))
	for i, k := range ks {
		if i > 0 && k.r == ks[i-1].r {
			continue
		}
		list = append(list, k.r)
	}
	return list
}

// Findings returns the problems with an entity's references: those that do not parse,
// and those that name no entity in the catalog.
func (g *Graph) Findings(key string) []Finding {
	e, ok := g.entities[key]
	if !ok {
		return nil
	}
	self := e.Ref()
	out := append([]Finding(nil), g.bad[key]...)
	// Keep the order DeriveRelations always had: rule by rule, parse errors among them.
	if len(out) > 0 {
		return g.findingsInOrder(key, e)
	}
	for _, ed := range g.edges[key] {
		if _, ok := g.entities[ed.targetKey]; !ok {
			out = append(out, Finding{Ref: self, Field: "spec." + ed.field, Target: ed.target,
				Message: fmt.Sprintf("refers to %s, which is not in the catalog", ed.target)})
		}
	}
	return out
}

// findingsInOrder recomputes an entity's findings in spec order when some references
// do not parse (rare), interleaving them as the fields come.
func (g *Graph) findingsInOrder(key string, e Entity) []Finding {
	self := e.Ref()
	kind := strings.ToLower(self.Kind)
	spec := e.Spec()
	var out []Finding
	for _, rule := range relationRules {
		if rule.kind != kind {
			continue
		}
		for _, target := range refStrings(spec[rule.field]) {
			t, err := ParseRef(target, rule.defaultKind, self.Namespace)
			if err != nil {
				out = append(out, Finding{Ref: self, Field: "spec." + rule.field, Message: err.Error()})
				continue
			}
			if _, ok := g.entities[t.Key()]; !ok {
				out = append(out, Finding{Ref: self, Field: "spec." + rule.field, Target: t,
					Message: fmt.Sprintf("refers to %s, which is not in the catalog", t)})
			}
		}
	}
	return out
}

// canonical returns the ref as the catalog spells it, so relations are written the same
// way however a spec field cased them.
func (g *Graph) canonical(r Ref, key string) Ref {
	if ref, ok := g.refs[key]; ok {
		return ref
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
