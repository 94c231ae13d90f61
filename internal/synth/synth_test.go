package synth

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// backstageName is Backstage's rule for entity names (1-63 characters).
var backstageName = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)

func validName(s string) bool { return len(s) <= 63 && backstageName.MatchString(s) }

// checkOrg checks what every organization, generated or the example, must satisfy, and
// returns the names of repositories that have neither an admin team nor an owner-team.
func checkOrg(t *testing.T, o Org) (noOwner []string) {
	t.Helper()
	for i, r := range o.Repositories {
		if err := checkKeys(r, repoSchema); err != nil {
			t.Fatalf("repository %d: %v", i, err)
		}
		if err := checkKeys(r["owner"].(map[string]any), simpleUserSchema); err != nil {
			t.Fatalf("repository %d owner: %v", i, err)
		}
	}
	for i, tm := range o.Teams {
		if err := checkKeys(tm, teamSchema); err != nil {
			t.Fatalf("team %d: %v", i, err)
		}
	}
	for i, u := range o.Users {
		if err := checkKeys(u, userSchema); err != nil {
			t.Fatalf("user %d: %v", i, err)
		}
	}

	repos := map[string]map[string]any{}
	ids := map[int64]bool{}
	for _, r := range o.Repositories {
		name := str(r["name"])
		if !validName(name) {
			t.Errorf("repository name %q is not a valid Backstage name", name)
		}
		if repos[name] != nil {
			t.Errorf("repository %q twice", name)
		}
		repos[name] = r
		if id := toInt64(r["id"]); ids[id] {
			t.Errorf("repository id %d twice", id)
		} else {
			ids[id] = true
		}
		own := r["owner"].(map[string]any)
		if r["full_name"] != str(own["login"])+"/"+name {
			t.Errorf("repository %q: full_name %v", name, r["full_name"])
		}
	}
	users := map[string]bool{}
	for _, u := range o.Users {
		login := str(u["login"])
		if !validName(login) {
			t.Errorf("user login %q is not a valid Backstage name", login)
		}
		if users[login] {
			t.Errorf("user %q twice", login)
		}
		users[login] = true
	}

	teams := map[string]map[string]any{}
	byID := map[int64]map[string]any{}
	for _, tm := range o.Teams {
		slug := str(tm["slug"])
		if !validName(slug) {
			t.Errorf("team slug %q is not a valid Backstage name", slug)
		}
		if teams[slug] != nil {
			t.Errorf("team %q twice", slug)
		}
		teams[slug] = tm
		byID[toInt64(tm["id"])] = tm
	}
	admins := map[string][]string{}
	teamsOf := map[string]int{}
	for slug, tm := range teams {
		if p, ok := tm["parent"].(map[string]any); ok {
			parent := byID[toInt64(p["id"])]
			if parent == nil || parent["slug"] != p["slug"] {
				t.Errorf("team %q: parent %v does not exist", slug, p["slug"])
			} else {
				for k, v := range p {
					if !equalJSON(parent[k], v) {
						t.Errorf("team %q: parent's %s is %v, the parent team's is %v", slug, k, v, parent[k])
					}
				}
			}
		}
		forEachMap(tm["members"], func(m map[string]any) {
			if !users[str(m["login"])] {
				t.Errorf("team %q: member %v is not a user", slug, m["login"])
			}
			if m["role"] != "member" && m["role"] != "maintainer" {
				t.Errorf("team %q: role %v", slug, m["role"])
			}
			teamsOf[str(m["login"])]++
		})
		seen := map[string]bool{}
		forEachMap(tm["repositories"], func(m map[string]any) {
			name := str(m["name"])
			r := repos[name]
			if r == nil {
				t.Errorf("team %q: repository %q does not exist", slug, name)
				return
			}
			if m["full_name"] != r["full_name"] {
				t.Errorf("team %q: full_name %v, repository's %v", slug, m["full_name"], r["full_name"])
			}
			if seen[name] {
				t.Errorf("team %q: repository %q twice", slug, name)
			}
			seen[name] = true
			switch m["permission"] {
			case "admin":
				admins[name] = append(admins[name], slug)
			case "maintain", "push", "triage", "pull":
			default:
				t.Errorf("team %q: permission %v", slug, m["permission"])
			}
		})
	}
	// Depth: parents first, at most three levels.
	depth := func(tm map[string]any) int {
		d := 1
		for p, ok := tm["parent"].(map[string]any); ok && d < 10; d++ {
			p, ok = byID[toInt64(p["id"])]["parent"].(map[string]any)
		}
		return d
	}
	for slug, tm := range teams {
		if d := depth(tm); d > 3 {
			t.Errorf("team %q is %d levels deep", slug, d)
		}
	}
	for login := range users {
		if n := teamsOf[login]; n < 1 || n > 2 {
			t.Errorf("user %q is in %d teams", login, n)
		}
	}
	for _, r := range o.Repositories {
		name := str(r["name"])
		cp, _ := r["custom_properties"].(map[string]any)
		owner, hasOwner := cp["owner-team"].(string)
		if hasOwner && teams[owner] == nil {
			t.Errorf("repository %q: owner-team %q is not a team", name, owner)
		}
		switch a := admins[name]; {
		case len(a) > 1:
			t.Errorf("repository %q has admin teams %v", name, a)
		case len(a) == 1 && hasOwner && owner != a[0]:
			t.Errorf("repository %q: owner-team %q but admin team %q", name, owner, a[0])
		case len(a) == 0 && !hasOwner:
			noOwner = append(noOwner, name)
		}
	}
	slices.Sort(noOwner)
	return noOwner
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func orgBytes(t testing.TB, o Org) []byte {
	t.Helper()
	dir := t.TempDir()
	if err := WriteFiles(dir, o); err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, f := range []string{"repositories.json", "teams.json", "users.json"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

var testEncoder encoder // tests don't run in parallel

func recBytes(r map[string]any) []byte {
	b, err := testEncoder.appendObject(nil, r)
	if err != nil {
		panic(err)
	}
	return b
}

func TestGenerateDeterministic(t *testing.T) {
	a, b := orgBytes(t, Generate(7, 3000)), orgBytes(t, Generate(7, 3000))
	if !bytes.Equal(a, b) {
		t.Fatal("Generate(7, 3000) gave different bytes twice")
	}
	if c := orgBytes(t, Generate(8, 3000)); bytes.Equal(a, c) {
		t.Fatal("seeds 7 and 8 gave the same organization")
	}
	o := Generate(7, 3000)
	m1, m2 := orgBytes(t, Mutate(o, 3, 0.05)), orgBytes(t, Mutate(o, 3, 0.05))
	if !bytes.Equal(m1, m2) {
		t.Fatal("Mutate gave different bytes twice")
	}
}

func TestGenerateShape(t *testing.T) {
	for _, n := range []int{0, 1, 10, 100, 5000} {
		o := Generate(int64(n), n)
		if len(o.Repositories) != n {
			t.Fatalf("Generate(_, %d): %d repositories", n, len(o.Repositories))
		}
		noOwner := checkOrg(t, o)
		if len(noOwner) > 0 {
			t.Errorf("n=%d: repositories without an owner: %v", n, noOwner)
		}
	}

	const n = 5000
	o := Generate(42, n)
	if got, want := len(o.Teams), n/25; got != want {
		t.Errorf("%d teams, want %d", got, want)
	}
	if got, want := len(o.Users), n/5; got != want {
		t.Errorf("%d users, want %d", got, want)
	}
	var archived, forks, noDesc, byProperty, prod, exp, deprecated int
	for _, r := range o.Repositories {
		if r["archived"] == true {
			archived++
		}
		if r["fork"] == true {
			forks++
		}
		if r["description"] == nil {
			noDesc++
		}
		topics := r["topics"].([]string)
		if slices.Contains(topics, "lifecycle-production") {
			prod++
		}
		if slices.Contains(topics, "lifecycle-experimental") {
			exp++
		}
		if slices.Contains(topics, "deprecated") {
			deprecated++
		}
	}
	admin := map[string]bool{}
	levels := map[int]int{}
	byID := map[int64]map[string]any{}
	for _, tm := range o.Teams {
		byID[toInt64(tm["id"])] = tm
	}
	for _, tm := range o.Teams {
		d := 1
		for p, ok := tm["parent"].(map[string]any); ok; d++ {
			p, ok = byID[toInt64(p["id"])]["parent"].(map[string]any)
		}
		levels[d]++
		for _, r := range tm["repositories"].([]map[string]any) {
			if r["permission"] == "admin" {
				admin[str(r["name"])] = true
			}
		}
	}
	byProperty = n - len(admin)
	t.Logf("archived %d, forks %d, no description %d, owned by property %d, production %d, experimental %d, deprecated %d, teams by level %v",
		archived, forks, noDesc, byProperty, prod, exp, deprecated, levels)
	within := func(what string, got int, frac float64) {
		if want := frac * n; math.Abs(float64(got)-want) > want/2 {
			t.Errorf("%s: %d of %d, want about %.0f", what, got, n, want)
		}
	}
	within("archived", archived, 0.03)
	within("forks", forks, 0.02)
	within("without description", noDesc, 0.03)
	within("owned by owner-team property", byProperty, 0.03)
	within("lifecycle-production", prod, 0.7)
	within("lifecycle-experimental", exp, 0.18)
	if levels[1] == 0 || levels[2] == 0 || levels[3] == 0 || len(levels) != 3 {
		t.Errorf("teams by level: %v, want three levels", levels)
	}
}

// TestGenerateSize measures the average repository record. GitHub's real list item, with
// its ~45 URL fields, owner object and custom_properties, is 4-6 KB of compact JSON (the
// recorded @octokit/fixtures repository is 5.6 KB); the generator matches that.
func TestGenerateSize(t *testing.T) {
	o := Generate(1, 2000)
	total := 0
	for _, r := range o.Repositories {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		total += len(b)
	}
	avg := total / len(o.Repositories)
	t.Logf("average repository: %d bytes of compact JSON", avg)
	if avg < 4000 || avg > 6500 {
		t.Errorf("average repository is %d bytes, want 4000-6500 like GitHub's", avg)
	}
	ex := exampleOrg()
	total = 0
	for _, r := range ex.Repositories {
		b, _ := json.Marshal(r)
		total += len(b)
	}
	t.Logf("example organization: average repository %d bytes", total/len(ex.Repositories))
}

func TestMutate(t *testing.T) {
	const n = 2000
	o := Generate(11, n)
	before := orgBytes(t, o)
	old := map[int64][]byte{}
	for _, r := range o.Repositories {
		old[toInt64(r["id"])] = recBytes(r)
	}
	for _, frac := range []float64{0, 0.01, 0.1, 0.5} {
		m := Mutate(o, 5, frac)
		if !bytes.Equal(before, orgBytes(t, o)) {
			t.Fatal("Mutate modified its input")
		}
		if noOwner := checkOrg(t, m); len(noOwner) > 0 {
			t.Errorf("fraction %v: repositories without an owner: %v", frac, noOwner)
		}
		var changed, added, kept int
		for _, r := range m.Repositories {
			b := recBytes(r)
			ob, ok := old[toInt64(r["id"])]
			switch {
			case !ok:
				added++
			case !bytes.Equal(ob, b):
				changed++
				kept++
			default:
				kept++
			}
		}
		removed := n - kept
		t.Logf("fraction %v: %d changed, %d added, %d removed", frac, changed, added, removed)
		if want := int(math.Round(frac * n)); changed != want {
			t.Errorf("fraction %v: %d changed, want %d", frac, changed, want)
		}
		if frac == 0 {
			if added+removed != 0 || !bytes.Equal(before, orgBytes(t, m)) {
				t.Errorf("fraction 0 changed something")
			}
			continue
		}
		if want := (int(math.Round(frac*n)) + 19) / 20; added != want || removed != want {
			t.Errorf("fraction %v: %d added and %d removed, want %d", frac, added, removed, want)
		}
		// Changed repositories were pushed after everything in the original.
		var latest string
		for _, r := range o.Repositories {
			latest = max(latest, str(r["updated_at"]))
		}
		for _, r := range m.Repositories {
			if b, ok := old[toInt64(r["id"])]; ok {
				if bytes.Equal(b, recBytes(r)) {
					continue
				}
			}
			if p := str(r["pushed_at"]); p <= latest {
				t.Errorf("changed or new repository %v pushed at %s, not after %s", r["name"], p, latest)
				break
			}
		}
	}
	// Mutating a mutation goes on in time.
	m2 := Mutate(Mutate(o, 1, 0.1), 2, 0.1)
	checkOrg(t, m2)
}

// TestMutateDecoded mutates an organization read back from its files, as a benchmark
// that loads recorded data would.
func TestMutateDecoded(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFiles(dir, Generate(3, 500)); err != nil {
		t.Fatal(err)
	}
	var o Org
	for _, f := range []struct {
		name string
		dst  *[]map[string]any
	}{{"repositories.json", &o.Repositories}, {"teams.json", &o.Teams}, {"users.json", &o.Users}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, f.dst); err != nil {
			t.Fatal(err)
		}
	}
	m := Mutate(o, 9, 0.2)
	if len(m.Repositories) != 500 {
		t.Errorf("%d repositories after Mutate, want 500", len(m.Repositories))
	}
	if err := WriteFiles(t.TempDir(), m); err != nil {
		t.Fatal(err)
	}
	checkOrg(t, m)
}

func TestNodeID(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		// Node ids seen in live GitHub responses.
		{nodeID("R_", 1122723587), "R_kgDOQutnAw"},
		{nodeID("U_", 175595543), "U_kgDOCndgFw"},
		{nodeID("O_", 167290420), "O_kgDOCfimNA"},
		{nodeID("T_", 167290420, 9942050), "T_kwDOCfimNM4Al7Qi"},
		{nodeIDAt("User", 0, 1), "MDQ6VXNlcjE="},
		{nodeIDAt("Team", 0, 99, 1), "MDQ6VGVhbTE="},
		{nodeIDAt("Repository", 0, 1296269), "MDEwOlJlcG9zaXRvcnkxMjk2MjY5"},
	} {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
}

func TestWriteFilesEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new")
	if err := WriteFiles(dir, Org{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "teams.json"))
	if err != nil || strings.TrimSpace(string(b)) != "[]" {
		t.Fatalf("teams.json = %q, %v", b, err)
	}
}

func BenchmarkGenerate50k(b *testing.B) {
	for b.Loop() {
		Generate(1, 50000)
	}
}

func BenchmarkMutate50k(b *testing.B) {
	o := Generate(1, 50000)
	b.ResetTimer()
	for b.Loop() {
		Mutate(o, 2, 0.01)
	}
}

func BenchmarkWriteFiles50k(b *testing.B) {
	o := Generate(1, 50000)
	dir := b.TempDir()
	b.ResetTimer()
	for b.Loop() {
		if err := WriteFiles(dir, o); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncoder checks WriteFiles' encoder against encoding/json (without HTML escaping).
func TestEncoder(t *testing.T) {
	o := Generate(5, 300)
	var recs []map[string]any
	recs = append(recs, o.Repositories...)
	recs = append(recs, o.Teams...)
	recs = append(recs, o.Users...)
	recs = append(recs, exampleOrg().Repositories...)
	recs = append(recs, map[string]any{
		"s":     "quote \" backslash \\ nl \n tab \t ctl \x01 html <&> é 日本 \u2028 bad \xff end",
		"f":     []any{1.5, 1e21, -3.0, 450034054.0, json.Number("12")},
		"empty": map[string]any{}, "nil": nil, "list": []any{}, "strs": []string{},
	})
	special := []string{"\"", "\\", "\n", "\x00", "\x1f", "é", "\xff", "\u2028", "<", "\x7f"}
	long := strings.Repeat("abcdefgh", 5)
	for i := range len(long) {
		for _, sp := range special {
			recs = append(recs, map[string]any{"k": long[:i] + sp + long[i:]})
		}
	}
	// decoded records too: float64 numbers and []any
	b, _ := json.Marshal(o.Teams[:5])
	var decoded []map[string]any
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	recs = append(recs, decoded...)
	var e encoder
	for i, r := range recs {
		got, err := e.appendObject(nil, r)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
		if w := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, w) {
			t.Fatalf("record %d:\n got %s\nwant %s", i, got, w)
		}
	}
}
