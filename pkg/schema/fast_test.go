package schema

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/pane-dev/pane/pkg/catalog"
)

// The fast checker must be sound: whatever it passes, CUE passes. These tests hold
// it to CUE over the shared corpus, Backstage's field vectors and thousands of
// generated entities, and check that it is exact where it matters: on valid entities,
// which must not pay for CUE.

// fastSays is the fast checker's verdict, and whether the kind has a checker at all.
func fastSays(s *Schemas, e catalog.Entity) (valid, has bool) {
	n := s.fast[e.Kind()]
	if n == nil {
		return false, false
	}
	return n.check(map[string]any(e)), true
}

// cueAccepts is the verdict of Validate's CUE path (validate with fast false): the
// entity unified with its kind's schema validates. It skips collecting the problems,
// which is most of the cost of an invalid entity.
func cueAccepts(s *Schemas, e catalog.Entity) bool {
	sch, ok := s.kinds[e.Kind()]
	if !ok {
		return false
	}
	data := s.ctx.Encode(map[string]any(e))
	if data.Err() != nil {
		return false
	}
	return sch.Unify(data).Validate(cue.Concrete(true)) == nil
}

// tally counts verdicts; a fast "valid" where CUE says invalid is a failure.
type tally struct {
	total, cueValid, fastValid, agree int
}

func (tl *tally) add(t *testing.T, s *Schemas, e catalog.Entity, what string) (fast, cue bool) {
	t.Helper()
	fast, has := fastSays(s, e)
	if !has {
		t.Fatalf("%s: kind %s has no fast checker: %s", what, e.Kind(), s.noFast[e.Kind()])
	}
	cue = cueAccepts(s, e)
	tl.total++
	if cue {
		tl.cueValid++
	}
	if fast {
		tl.fastValid++
	}
	if fast == cue {
		tl.agree++
	}
	if fast && !cue {
		b, _ := json.Marshal(e)
		t.Errorf("%s: the fast checker passes an entity CUE rejects (%q): %s", what, s.validate(e, false), b)
	}
	return fast, cue
}

func (tl tally) String() string {
	return fmt.Sprintf("%d entities, CUE valid %d, fast valid %d, agreement %.2f%% (%d needless fallbacks)",
		tl.total, tl.cueValid, tl.fastValid, 100*float64(tl.agree)/float64(max(tl.total, 1)), tl.cueValid-tl.fastValid)
}

func TestFastCorpus(t *testing.T) {
	s := loadCorpusSchemas(t)
	if len(s.noFast) > 0 {
		t.Fatalf("kinds without a fast checker: %v", s.noFast)
	}
	for _, sub := range []string{"valid", "invalid"} {
		var tl tally
		for _, file := range corpusFiles(t, sub) {
			for i, e := range readEntities(t, file) {
				if _, ok := s.kinds[e.Kind()]; !ok {
					continue // an unknown kind never reaches the checker
				}
				what := fmt.Sprintf("%s document %d", filepath.Base(file), i+1)
				fast, _ := tl.add(t, s, e, what)
				// The full CUE path, as Validate runs it without the checker.
				full := len(s.validate(e, false)) == 0
				if fast && !full {
					t.Errorf("%s: fast valid, CUE path says %q", what, s.validate(e, false))
				}
				if sub == "valid" && !fast {
					t.Errorf("%s: a valid entity the fast checker does not pass", what)
				}
			}
		}
		t.Logf("corpus %s: %v", sub, tl)
	}
}

// TestFastVectors holds the checker to CUE on Backstage's field vectors: each rule on
// its own, where the two must agree exactly (the rules are plain regular expressions),
// and a sample of the vectors put into whole entities.
func TestFastVectors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusDir, "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs vectors
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	var strs []string
	for _, row := range vs.Fields {
		strs = append(strs, row[0])
	}
	for _, row := range vs.URLs {
		strs = append(strs, row[0])
	}
	s := loadBuiltin(t)
	comp := s.fast["Component"]
	field := func(n *node, path ...string) *node {
		for _, p := range path {
			if n.kind == nodeList {
				n = n.elem
				continue
			}
			n = n.fields[p]
		}
		return n
	}
	chk := func(n *node) func(string) bool { return func(s string) bool { return n.check(s) } }
	meta := field(comp, "metadata")
	link := field(meta, "links", "[]")
	// Each rule: the checker's, and CUE's own value for the same place.
	rules := []struct {
		name string
		fast func(string) bool
		cue  string // the built-in definitions the schema uses there
	}{
		{"name", chk(field(meta, "name")), "#Name"},
		{"namespace", chk(field(meta, "namespace")), "#Namespace"},
		{"tag", chk(field(meta, "tags", "[]")), "#Tag"},
		{"label key", meta.fields["labels"].patterns[0].key.testString, "#QualifiedKey"},
		{"annotation key", meta.fields["annotations"].patterns[0].key.testString, "#QualifiedKey"},
		{"label value", chk(meta.fields["labels"].patterns[0].val), "#LabelValue"},
		{"owner", chk(field(comp, "spec", "owner")), "#EntityRef"},
		{"dependsOn", chk(field(comp, "spec", "dependsOn", "[]")), "#KindedEntityRef"},
		{"link url", chk(field(link, "url")), "#URL"},
		{"link title", chk(field(link, "title")), "#NonEmpty & #NonBlank"},
		{"relation type", chk(field(comp, "relations", "[]", "type")), "#RelationType"},
	}
	for _, rule := range rules {
		cv := s.ctx.CompileString(rule.cue, cue.Scope(s.pkg))
		if err := cv.Err(); err != nil {
			t.Fatalf("%s: %v", rule.cue, err)
		}
		agree := 0
		for _, str := range strs {
			want := s.ctx.Encode(str).Unify(cv).Validate(cue.Concrete(true)) == nil
			if got := rule.fast(str); got != want {
				t.Errorf("%s on %q: fast %v, CUE %v", rule.name, str, got, want)
			} else {
				agree++
			}
		}
		t.Logf("%s: %d of %d vectors agree", rule.name, agree, len(strs))
	}

	places := []func(e catalog.Entity, v string){
		func(e catalog.Entity, v string) { md(e)["name"] = v },
		func(e catalog.Entity, v string) { md(e)["namespace"] = v },
		func(e catalog.Entity, v string) { md(e)["tags"] = []any{"java", v} },
		func(e catalog.Entity, v string) { md(e)["labels"] = map[string]any{v: "x"} },
		func(e catalog.Entity, v string) { md(e)["annotations"] = map[string]any{v: "x"} },
		func(e catalog.Entity, v string) { md(e)["labels"] = map[string]any{"tier": v} },
		func(e catalog.Entity, v string) { spec(e)["owner"] = v },
		func(e catalog.Entity, v string) { spec(e)["dependsOn"] = []any{v} },
		func(e catalog.Entity, v string) { md(e)["links"] = []any{map[string]any{"url": v}} },
	}
	step := 3
	if testing.Short() {
		step = 15
	}
	var tl tally
	for i := 0; i < len(strs); i += step {
		e := component()
		places[(i/step)%len(places)](e, strs[i])
		tl.add(t, s, e, fmt.Sprintf("vector %q", strs[i]))
	}
	if tl.agree != tl.total {
		t.Errorf("vectors in entities: %v; want full agreement", tl)
	}
	t.Logf("vectors in entities: %v", tl)
}

// fastScale multiplies the number of entities TestFastAgreement generates: the
// default keeps go test -race quick; go test -run TestFastAgreement -fastscale 10
// looks harder.
var fastScale = flag.Int("fastscale", 1, "multiply the entities TestFastAgreement generates")

// Schema sets the generated entities are checked against.
const (
	// tightSchema tightens Component and adds Template, as a workspace would.
	tightSchema = workspaceSchema

	// exoticSchema adds a kind using every construct the compiler knows: numbers,
	// bounds, disjunctions, fixed and open lists, open and closed nested structs,
	// patterns.
	exoticSchema = `package schema

#Code: =~"^[A-Z]+$" & !~"X" & !="ABC"

kinds: Widget: {
	apiVersion!: "example.com/v1"
	spec!: {
		size!:    int & >=1 & <=10
		ratio?:   number & >0 & <1
		mode?:    "a" | "b" | *"c"
		level?:   >="b" & <"m"
		flag?:    bool
		nothing?: null
		pair?: [string, int]
		head?: [#NonEmpty, ...int]
		code?:   #Code
		either?: string | int
		nested?: {a?: {b?: string}}
		meta?: {[=~"^x-"]: string, ...}
		strict?: close({a?: int})
		weight?: float
		score?:  int & !=5
		fixed:   "constant"
		...
	}
}
`
)

// gen makes random entities that are valid by construction, for one schema set.
type gen struct {
	r     *rand.Rand
	tight bool // the tightSchema rules: Component names and lifecycles, Template owners
}

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits = "0123456789"
)

func (g *gen) pick(s string) string { return string(s[g.r.IntN(len(s))]) }

func (g *gen) str(alphabet string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(g.pick(alphabet))
	}
	return b.String()
}

func (g *gen) length(maxLen int) int {
	// Mostly short, sometimes at the limit.
	switch g.r.IntN(6) {
	case 0:
		return maxLen
	case 1:
		return 1
	}
	return 1 + g.r.IntN(min(maxLen, 12))
}

// name is an object name: 1-63 of [-A-Za-z0-9_.], alphanumeric at both ends.
func (g *gen) name() string {
	alnum := lower + upper + digits
	n := g.length(63)
	if n == 1 {
		return g.pick(alnum)
	}
	return g.pick(alnum) + g.str(alnum+"-_.", n-2) + g.pick(alnum)
}

// dnsLabel is 1-63 of [-a-z0-9], alphanumeric at both ends.
func (g *gen) dnsLabel() string {
	n := g.length(63)
	if n == 1 {
		return g.pick(lower + digits)
	}
	return g.pick(lower+digits) + g.str(lower+digits+"-", n-2) + g.pick(lower+digits)
}

func (g *gen) qualifiedKey() string {
	key := g.name()
	if g.r.IntN(2) == 0 {
		prefix := g.dnsLabel()
		for range g.r.IntN(3) {
			prefix += "." + g.dnsLabel()
		}
		if len(prefix) <= 253 {
			key = prefix + "/" + key
		}
	}
	return key
}

func (g *gen) tag() string {
	alphabet := lower + digits + ":+#"
	t := g.str(alphabet, 1+g.r.IntN(8))
	for range g.r.IntN(3) {
		t += "-" + g.str(alphabet, 1+g.r.IntN(8))
	}
	return t
}

func (g *gen) kindName() string { return g.pick(lower+upper) + g.str(lower+upper+digits, g.r.IntN(10)) }

func (g *gen) ref() string {
	r := g.name()
	if g.r.IntN(2) == 0 {
		r = g.refNamespace() + "/" + r
	}
	if g.r.IntN(2) == 0 {
		r = g.kindName() + ":" + r
	}
	return r
}

func (g *gen) kindedRef() string {
	r := g.name()
	if g.r.IntN(2) == 0 {
		r = g.refNamespace() + "/" + r
	}
	return g.kindName() + ":" + r
}

func (g *gen) refNamespace() string {
	if g.r.IntN(3) == 0 {
		return "default"
	}
	ns := g.dnsLabel()
	return strings.ToUpper(ns[:1]) + ns[1:]
}

// text is any non-empty string, unicode included.
func (g *gen) text() string {
	words := []string{"Artist", "web", "ünïcödé", "日本語", "a b", "x", "emoji 🎵", "tab\tin", "<html>", `"quoted"`}
	return words[g.r.IntN(len(words))]
}

var validURLs = []string{
	"https://example.com", "http://localhost:3000/x?y=1#z", "mailto:artists@example.com",
	"https://admin.example-org.com/a/b", "ftp://files.example.org/x", "git+ssh://github.com/x/y",
	"file:///etc/hosts", "https://user@host.example.com:8080/p", "http://10.0.0.1/", "urn:isbn:0451450523",
	"HTTPS://EXAMPLE.COM/", "wss://stream.example.com/live", "slack://channel?id=1",
}

func (g *gen) some(f func() string) []any {
	out := []any{}
	for range g.r.IntN(4) {
		out = append(out, f())
	}
	return out
}

func (g *gen) maybe() bool { return g.r.IntN(2) == 0 }

func (g *gen) metadata(kind string) map[string]any {
	m := map[string]any{"name": g.name()}
	if g.tight && kind == "Component" {
		n := g.name()
		for len(n) > 59 {
			n = g.name()
		}
		m["name"] = []string{"svc-", "web-"}[g.r.IntN(2)] + n
	}
	if g.maybe() {
		m["namespace"] = g.dnsLabel()
	}
	if g.maybe() {
		m["title"] = g.text()
	}
	if g.maybe() {
		m["description"] = []string{"", g.text()}[g.r.IntN(2)]
	}
	if g.maybe() {
		labels := map[string]any{}
		for range g.r.IntN(4) {
			labels[g.qualifiedKey()] = []string{"", g.name()}[g.r.IntN(2)]
		}
		m["labels"] = labels
	}
	if g.maybe() {
		ann := map[string]any{}
		for range g.r.IntN(5) {
			ann[g.qualifiedKey()] = []string{"", g.text(), "https://example.com/x", "line\nline"}[g.r.IntN(4)]
		}
		m["annotations"] = ann
	}
	if g.maybe() {
		m["tags"] = g.some(g.tag)
	}
	if g.maybe() {
		var links []any
		for range g.r.IntN(3) {
			l := map[string]any{"url": validURLs[g.r.IntN(len(validURLs))]}
			if g.maybe() {
				l["title"] = g.text()
			}
			if g.maybe() {
				l["icon"] = "dashboard"
			}
			if g.maybe() {
				l["type"] = "admin-dashboard"
			}
			if g.r.IntN(4) == 0 {
				l["extra"] = g.text()
			}
			links = append(links, l)
		}
		m["links"] = links
	}
	if g.r.IntN(4) == 0 {
		m["uid"] = "2b3c5e4f-0000-4000-8000-000000000000"
		m["etag"] = "abc123"
	}
	if g.r.IntN(4) == 0 {
		m["extraField"] = map[string]any{"any": []any{1, "x", nil, true}}
	}
	return m
}

func (g *gen) relations() []any {
	var out []any
	for range 1 + g.r.IntN(3) {
		rel := map[string]any{"type": []string{"ownedBy", "partOf", "dependsOn", "has_part"}[g.r.IntN(4)], "targetRef": "component:default/" + g.name()}
		if g.maybe() {
			rel["target"] = map[string]any{"kind": "component", "namespace": "default", "name": g.name()}
		}
		out = append(out, rel)
	}
	return out
}

// entity makes a valid entity of kind.
func (g *gen) entity(kind string) catalog.Entity {
	e := catalog.Entity{"apiVersion": []string{"backstage.io/v1alpha1", "backstage.io/v1beta1"}[g.r.IntN(2)], "kind": kind, "metadata": g.metadata(kind)}
	sp := map[string]any{}
	opt := func(key string, f func() any) {
		if g.maybe() {
			sp[key] = f()
		}
	}
	ref := func() any { return g.ref() }
	refs := func() any { return g.some(g.ref) }
	krefs := func() any { return g.some(g.kindedRef) }
	profile := func() any {
		p := map[string]any{}
		for _, k := range []string{"displayName", "email", "picture"} {
			if g.maybe() {
				p[k] = g.text()
			}
		}
		return p
	}
	switch kind {
	case "Component":
		sp["type"], sp["lifecycle"], sp["owner"] = "service", "production", g.ref()
		if g.tight {
			sp["lifecycle"] = []string{"production", "experimental"}[g.r.IntN(2)]
		}
		opt("system", ref)
		opt("subcomponentOf", ref)
		opt("providesApis", refs)
		opt("consumesApis", refs)
		opt("dependsOn", krefs)
		opt("dependencyOf", krefs)
		opt("custom", func() any { return map[string]any{"x": []any{1.5, "y"}} })
	case "API":
		sp["type"], sp["lifecycle"], sp["owner"], sp["definition"] = "openapi", "production", g.ref(), "openapi: 3.0.0\n"
		opt("system", ref)
	case "Resource":
		sp["type"], sp["owner"] = "database", g.ref()
		opt("system", ref)
		opt("dependsOn", krefs)
		opt("dependencyOf", krefs)
	case "System":
		sp["owner"] = g.ref()
		opt("domain", ref)
		opt("type", func() any { return "product" })
	case "Domain":
		sp["owner"] = g.ref()
		opt("subdomainOf", ref)
		opt("type", func() any { return "area" })
	case "Group":
		sp["type"], sp["children"] = "team", g.some(g.ref)
		opt("profile", profile)
		opt("parent", ref)
		opt("members", refs)
	case "User":
		sp["memberOf"] = g.some(g.ref)
		opt("profile", profile)
	case "Location":
		opt("type", func() any { return "url" })
		opt("target", func() any { return "https://example.com/catalog-info.yaml" })
		opt("targets", func() any { return []any{"./a.yaml", "./b.yaml"} })
		opt("presence", func() any { return []string{"required", "optional"}[g.r.IntN(2)] })
	case "Template":
		e["apiVersion"] = "scaffolder.backstage.io/v1beta3"
		sp["type"] = "service"
		if g.tight || g.maybe() {
			sp["owner"] = g.ref()
		}
		opt("steps", func() any {
			var steps []any
			for range g.r.IntN(3) {
				st := map[string]any{"action": "fetch:template"}
				if g.maybe() {
					st["id"] = "fetch"
				}
				if g.maybe() {
					st["input"] = map[string]any{"url": "./skeleton"}
				}
				steps = append(steps, st)
			}
			return steps
		})
	case "Widget":
		e["apiVersion"] = "example.com/v1"
		sp["size"] = 1 + g.r.IntN(10)
		if g.maybe() {
			sp["fixed"] = "constant"
		}
		opt("ratio", func() any { return []any{0.5, 0.999, 1e-9}[g.r.IntN(3)] })
		opt("mode", func() any { return []string{"a", "b", "c"}[g.r.IntN(3)] })
		opt("level", func() any { return []string{"b", "hello", "lzzz"}[g.r.IntN(3)] })
		opt("flag", func() any { return g.maybe() })
		opt("nothing", func() any { return nil })
		opt("pair", func() any { return []any{"x", g.r.IntN(100)} })
		opt("head", func() any { return []any{"h", 1, int64(2)}[:1+g.r.IntN(3)] })
		opt("code", func() any { return []string{"AB", "ZZZ", "ABCD"}[g.r.IntN(3)] })
		opt("either", func() any { return []any{"s", 3}[g.r.IntN(2)] })
		opt("nested", func() any { return map[string]any{"a": map[string]any{"b": "x", "more": 1}, "other": true} })
		opt("meta", func() any { return map[string]any{"x-team": "a", "free": []any{1}} })
		opt("strict", func() any { return map[string]any{"a": 1} })
		opt("weight", func() any { return 2.5 })
		opt("score", func() any { return []int{4, 6, -1}[g.r.IntN(3)] })
		opt("open", func() any { return "specs stay open" })
	}
	e["spec"] = sp
	if g.r.IntN(4) == 0 {
		e["relations"] = g.relations()
	}
	return e
}

// Values and keys mutations put in: wrong types, near misses of every field rule,
// unicode, empty and blank strings, odd Go values.
var (
	mutantValues = []any{
		"", " ", "\t", "a b", "-x", "x-", "x.", "a..b", "ünï", "日本", "\u00a0", "\u200b", "\x00", "\xffbad",
		strings.Repeat("a", 63), strings.Repeat("a", 64), "A", "Component", "component:x", "a:b:c", "x/y/z", "default/x",
		"https://example.com", "http://", "https://xn--bcher-kva.example", "ftp://a b", "javascript:alert(1)", "file:x",
		"backstage.io/v1alpha1", "backstage.io/v1", "scaffolder.backstage.io/v1beta3", "example.com/v1",
		"production", "experimental", "deprecated", "required", "optional", "c++", "a--b", "a-", "#", "Tag",
		"a", "b", "c", "m", "ABC", "AXB", "constant", "svc-x", "web-", "x-team",
		0, 1, -1, 5, 11, int64(7), uint64(math.MaxUint64), 0.5, 1.0, 2.5, math.Copysign(0, -1), 1e300, math.NaN(), math.Inf(1),
		true, false, nil,
		[]any{}, []any{"a"}, []any{1}, []any{nil}, []any{"x", 1}, []any{"h", "i"},
		map[string]any{}, map[string]any{"a": "b"}, map[string]any{"a": 1}, map[string]any{"url": "https://a.b"},
		[]string{"a"}, map[any]any{"a": 1}, struct{ A int }{1},
	}
	mutantKeys = []string{
		"x", "status", "extra", "a/b", "example.com/x", "a/b/c", "", "-a", "a..b/c", "Ü", "#x", "_x", "0", "x-y",
		strings.Repeat("p", 254) + "/a", "type", "name", "url", "targetRef", "target", "kind", "a", "b", "more",
		"x-free", "\xff",
	}
)

// walkPaths lists every place in v a mutation can go: each map and list, and each
// value, by path from the root.
type place struct {
	parent any    // map[string]any or []any
	key    string // for a map
	index  int    // for a list
}

func places(v any, out []place) []place {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, place{parent: v, key: k})
			out = places(v[k], out)
		}
	case []any:
		for i := range v {
			out = append(out, place{parent: v, index: i})
			out = places(v[i], out)
		}
	}
	return out
}

func containers(v any, out []any) []any {
	switch v := v.(type) {
	case map[string]any:
		out = append(out, v)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = containers(v[k], out)
		}
	case []any:
		out = append(out, v)
		for _, x := range v {
			out = containers(x, out)
		}
	}
	return out
}

// deepCopy copies the maps and lists an entity is made of.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = deepCopy(x)
		}
		return m
	case catalog.Entity:
		return deepCopy(map[string]any(v))
	case []any:
		l := make([]any, len(v))
		for i, x := range v {
			l[i] = deepCopy(x)
		}
		return l
	}
	return v
}

// mutate changes e in one random way.
func (g *gen) mutate(e map[string]any) {
	ps := places(e, nil)
	switch op := g.r.IntN(10); {
	case op < 4: // replace a value
		p := ps[g.r.IntN(len(ps))]
		// A copy: the pool's maps and lists must not change, nor end up inside
		// themselves.
		v := deepCopy(mutantValues[g.r.IntN(len(mutantValues))])
		switch parent := p.parent.(type) {
		case map[string]any:
			parent[p.key] = v
		case []any:
			parent[p.index] = v
		}
	case op < 6: // drop a field
		var fields []place
		for _, p := range ps {
			if _, ok := p.parent.(map[string]any); ok {
				fields = append(fields, p)
			}
		}
		p := fields[g.r.IntN(len(fields))]
		delete(p.parent.(map[string]any), p.key)
	case op < 8: // add a field to a struct
		var maps []map[string]any
		for _, c := range containers(e, nil) {
			if m, ok := c.(map[string]any); ok {
				maps = append(maps, m)
			}
		}
		m := maps[g.r.IntN(len(maps))]
		m[mutantKeys[g.r.IntN(len(mutantKeys))]] = deepCopy(mutantValues[g.r.IntN(len(mutantValues))])
	case op < 9: // a string where a valid one was, near its rule's edge
		var strs []place
		for _, p := range ps {
			var v any
			switch parent := p.parent.(type) {
			case map[string]any:
				v = parent[p.key]
			case []any:
				v = parent[p.index]
			}
			if _, ok := v.(string); ok {
				strs = append(strs, p)
			}
		}
		if len(strs) == 0 {
			return
		}
		p := strs[g.r.IntN(len(strs))]
		var old string
		switch parent := p.parent.(type) {
		case map[string]any:
			old = parent[p.key].(string)
		case []any:
			old = parent[p.index].(string)
		}
		edits := []func(string) string{
			func(s string) string { return s + "-" },
			func(s string) string { return "-" + s },
			func(s string) string { return s + s + s + s + s + s + s + s },
			func(s string) string { return strings.ToUpper(s) },
			func(s string) string { return s + " " },
			func(s string) string { return s + "/x" },
			func(s string) string { return s + "é" },
			func(s string) string { return s + strings.Repeat("a", 63-min(len(s), 63)) },
			func(s string) string { return s + strings.Repeat("a", 64-min(len(s), 64)) },
			func(s string) string { return "" },
		}
		v := edits[g.r.IntN(len(edits))](old)
		switch parent := p.parent.(type) {
		case map[string]any:
			parent[p.key] = v
		case []any:
			parent[p.index] = v
		}
	default: // append to a list, or rename a key
		var lists []place
		for _, p := range ps {
			if m, ok := p.parent.(map[string]any); ok {
				if _, ok := m[p.key].([]any); ok {
					lists = append(lists, p)
				}
			}
		}
		if len(lists) > 0 && g.maybe() {
			p := lists[g.r.IntN(len(lists))]
			m := p.parent.(map[string]any)
			m[p.key] = append(slices.Clone(m[p.key].([]any)), deepCopy(mutantValues[g.r.IntN(len(mutantValues))]))
			return
		}
		var fields []place
		for _, p := range ps {
			if _, ok := p.parent.(map[string]any); ok {
				fields = append(fields, p)
			}
		}
		p := fields[g.r.IntN(len(fields))]
		m := p.parent.(map[string]any)
		v := m[p.key]
		delete(m, p.key)
		m[mutantKeys[g.r.IntN(len(mutantKeys))]] = v
	}
}

// TestFastAgreement generates valid entities of every kind, and mutants of them, for
// each schema set, and holds the fast checker to CUE: never valid where CUE says
// invalid, and valid on every generated entity CUE accepts unmutated.
func TestFastAgreement(t *testing.T) {
	sets := []struct {
		name  string
		files map[string]string // nil: built-in schemas alone
		tight bool
	}{
		{"builtin", nil, false},
		{"corpus (adds Template)", map[string]string{"template.cue": mustRead(t, filepath.Join(corpusSchema, "template.cue"))}, false},
		{"tightened (Component lifecycle and name, Template)", map[string]string{"workspace.cue": tightSchema}, true},
		{"exotic (Widget)", map[string]string{"widget.cue": exoticSchema}, false},
	}
	valid, mutants := 40*(*fastScale), 160*(*fastScale)
	if testing.Short() {
		valid, mutants = 10, 40
	}
	for i, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			dir := ""
			if set.files != nil {
				dir = writeFiles(t, set.files)
			}
			s, err := Load(cuecontext.New(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.noFast) > 0 {
				t.Fatalf("kinds without a fast checker: %v", s.noFast)
			}
			g := &gen{r: rand.New(rand.NewPCG(uint64(i), 42)), tight: set.tight}
			// Mutants holding what no JSON or YAML decoder makes (invalid UTF-8, Go
			// structs, []string, NaN) are left to CUE by design; on the rest the
			// checker must be exact.
			var vt, mt, odd tally
			for _, kind := range s.Kinds() {
				for n := range valid {
					e := g.entity(kind)
					what := fmt.Sprintf("%s valid #%d", kind, n)
					fast, cue := vt.add(t, s, e, what)
					if cue && !fast {
						b, _ := json.Marshal(e)
						t.Errorf("%s: CUE accepts it, the fast checker does not: %s", what, b)
					}
					if !cue {
						t.Errorf("%s: the generator made an entity CUE rejects: %q", what, s.validate(e, false))
					}
					for m := range mutants / valid {
						me := deepCopy(e).(map[string]any)
						for range 1 + g.r.IntN(3) {
							g.mutate(me)
						}
						if _, ok := s.kinds[catalog.Entity(me).Kind()]; !ok {
							continue // kind mutated away: Validate never reaches a checker
						}
						what := fmt.Sprintf("%s mutant #%d.%d", kind, n, m)
						if !jsonLike(me) {
							odd.add(t, s, me, what)
							continue
						}
						if fast, cue := mt.add(t, s, me, what); cue && !fast {
							b, _ := json.Marshal(me)
							t.Errorf("%s: CUE accepts it, the fast checker does not: %s", what, b)
						}
					}
				}
			}
			t.Logf("generated valid: %v", vt)
			t.Logf("mutants: %v", mt)
			t.Logf("mutants with odd Go values: %v", odd)
		})
	}
}

// jsonLike reports whether v holds only what a JSON or YAML decoder makes.
func jsonLike(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if !utf8.ValidString(k) || !jsonLike(x) {
				return false
			}
		}
		return true
	case []any:
		for _, x := range v {
			if !jsonLike(x) {
				return false
			}
		}
		return true
	case string:
		return utf8.ValidString(v)
	case float64:
		return !math.IsNaN(v) && !math.IsInf(v, 0)
	case nil, bool, int, int64, uint64:
		return true
	}
	return false
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFastUnsupported loads schemas using constructs the compiler does not take on:
// the kinds they touch get no checker, and Validate still answers as CUE does.
func TestFastUnsupported(t *testing.T) {
	withSpec := func(f func(map[string]any)) catalog.Entity {
		e := component()
		f(spec(e))
		return e
	}
	tests := []struct {
		name   string
		schema string
		noFast []string // kinds without a checker; "*" for all
		valid  []catalog.Entity
		bad    []catalog.Entity
	}{
		{
			name: "builtin call",
			schema: `import "strings"
kinds: Component: metadata: name: strings.MaxRunes(12)`,
			noFast: []string{"Component"},
			valid:  []catalog.Entity{component()},
			bad:    []catalog.Entity{func() catalog.Entity { e := component(); md(e)["name"] = "artist-web-is-long"; return e }()},
		},
		{
			name:   "reference to a sibling field",
			schema: `kinds: Component: spec: {type!: string, subtype?: type}`,
			noFast: []string{"*"},
			valid:  []catalog.Entity{withSpec(func(s map[string]any) { s["subtype"] = "website" })},
			bad:    []catalog.Entity{withSpec(func(s map[string]any) { s["subtype"] = "service" })},
		},
		{
			name:   "comprehension",
			schema: `kinds: Component: spec: {type!: string, if type == "service" {port!: int}}`,
			noFast: []string{"*"},
			valid:  []catalog.Entity{component(), withSpec(func(s map[string]any) { s["type"], s["port"] = "service", 80 })},
			bad:    []catalog.Entity{withSpec(func(s map[string]any) { s["type"] = "service" })},
		},
		{
			name:   "label alias",
			schema: `kinds: Component: metadata: labels: [K=string]: K`,
			noFast: []string{"*"},
			valid:  []catalog.Entity{func() catalog.Entity { e := component(); md(e)["labels"] = map[string]any{"tier": "tier"}; return e }()},
			bad:    []catalog.Entity{component()},
		},
		{
			name: "disjunction of structs",
			schema: `#Git: {git!: string}
#SVN: {svn!: string}
kinds: Component: spec: source?: #Git | #SVN`,
			noFast: []string{"Component"},
			valid:  []catalog.Entity{component(), withSpec(func(s map[string]any) { s["source"] = map[string]any{"git": "x"} })},
			bad:    []catalog.Entity{withSpec(func(s map[string]any) { s["source"] = map[string]any{"hg": "x"} })},
		},
		{
			// CUE does not unfold the recursion: the element of parts is an error in
			// the schema alone, which the checker takes as "never valid", so a nested
			// part goes through CUE while the rest of the kind keeps its checker.
			name: "recursive definition",
			schema: `#Part: {name!: #Name, parts?: [...#Part]}
kinds: Component: spec: part?: #Part`,
			valid: []catalog.Entity{withSpec(func(s map[string]any) {
				s["part"] = map[string]any{"name": "a", "parts": []any{map[string]any{"name": "b"}}}
			})},
			bad: []catalog.Entity{withSpec(func(s map[string]any) {
				s["part"] = map[string]any{"name": "a", "parts": []any{map[string]any{"name": "-b"}}}
			})},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string]string{"s.cue": "package schema\n\n" + tt.schema + "\n"})
			s, err := Load(cuecontext.New(), dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range s.Kinds() {
				want := slices.Contains(tt.noFast, "*") || slices.Contains(tt.noFast, k)
				if got := s.fast[k] == nil; got != want {
					t.Errorf("kind %s: no checker %v, want %v (%s)", k, got, want, s.noFast[k])
				}
				if want && s.noFast[k] == "" {
					t.Errorf("kind %s has no checker and no reason", k)
				}
			}
			t.Logf("why: %s", s.noFast["Component"])
			for i, e := range tt.valid {
				if ps := s.Validate(e); len(ps) > 0 {
					t.Errorf("valid #%d: %q", i, ps)
				}
			}
			for i, e := range tt.bad {
				ps := s.Validate(e)
				if len(ps) == 0 {
					t.Errorf("bad #%d: no problems", i)
				}
				if slow := s.validate(e, false); !slices.Equal(ps, slow) {
					t.Errorf("bad #%d: Validate %q, the CUE path %q", i, ps, slow)
				}
			}
		})
	}
}

// TestFastSameProblems checks that the checker changes no answer Validate gives:
// with it and without it, the same problems for every corpus file.
func TestFastSameProblems(t *testing.T) {
	s := loadCorpusSchemas(t)
	for _, sub := range []string{"valid", "invalid"} {
		for _, file := range corpusFiles(t, sub) {
			for i, e := range readEntities(t, file) {
				if got, want := s.Validate(e), s.validate(e, false); !slices.Equal(got, want) {
					t.Errorf("%s document %d: %q with the checker, %q without", filepath.Base(file), i+1, got, want)
				}
			}
		}
	}
}

// TestFastLeaves compiles single constraints and holds each to CUE on a grid of
// values: kinds, concrete values, bounds on numbers and strings, regular
// expressions, conjunctions and disjunctions. Here the checker must be exact.
func TestFastLeaves(t *testing.T) {
	constraints := []string{
		`string`, `int`, `float`, `number`, `bool`, `null`, `_`, `bytes`,
		`"a"`, `1`, `1.0`, `2.5`, `true`, `null | "a"`,
		`int & >=1 & <=10`, `number & >0 & <1`, `>="b" & <"m"`, `<"b"`, `>0.1`, `<=0.1`, `>=0`, `uint`, `int8`,
		`!=5`, `!=""`, `string & !=null`, `!=0.5 & number`,
		`"a" | "b" | *"c"`, `string | int`, `1 | 2.5`, `=~"^a" | =~"b$"`, `=~"^[A-Z]+$" & !~"X" & !="ABC"`,
		`string & !="" & =~"[^ ]"`, `(=~".*" | =~"b") & !=""`, `*"x" | string`, `bool | *1`,
	}
	values := []any{
		"", "a", "b", "c", "m", "ABC", "AB", "AXB", "é", "ab", " ", "x",
		0, 1, 2, 5, 10, 11, -1, int64(5), uint64(math.MaxUint64), int8(-3),
		0.1, 0.5, 1.0, 2.5, 5.0, math.Copysign(0, -1), 1e300, 1e-300, math.NaN(),
		true, false, nil, []any{}, []any{1}, map[string]any{}, map[string]any{"a": 1},
		[]byte("a"), "\xff",
	}
	ctx := cuecontext.New()
	c := &fastCompiler{regexps: map[string]*regexp.Regexp{}}
	for _, src := range constraints {
		v := ctx.CompileString("x: " + src).LookupPath(cue.ParsePath("x"))
		if err := v.Err(); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		n, err := c.node(v, 0)
		if err != nil {
			t.Errorf("%s: refused: %v", src, err)
			continue
		}
		for _, val := range values {
			data := ctx.Encode(val)
			want := data.Err() == nil && v.Unify(data).Validate(cue.Concrete(true)) == nil
			got := n.check(val)
			switch {
			case got && !want:
				t.Errorf("%s on %#v: the checker passes what CUE rejects", src, val)
			case !got && want && kindOf(val) != 0:
				t.Errorf("%s on %#v: CUE accepts, the checker does not", src, val)
			}
		}
	}
}
