package compile

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/gitstore"
	"github.com/pane-dev/pane/pkg/source"
)

// memSource serves an org's records from memory, keyed as the example workspace keys
// them.
type memSource struct {
	name string
	recs map[string]source.Record // id -> record
}

func (m *memSource) Name() string { return m.name }
func (m *memSource) Fetch(_ context.Context, emit func(source.Record) error) error {
	ids := make([]string, 0, len(m.recs))
	for id := range m.recs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := emit(m.recs[id]); err != nil {
			return err
		}
	}
	return nil
}

func orgSource(org synth.Org) *memSource {
	m := &memSource{name: "github", recs: map[string]source.Record{}}
	add := func(typ, keyField string, list []map[string]any) {
		for _, r := range list {
			rec := source.Record{Type: typ, Key: r[keyField].(string), Data: clone(r), Where: "memory"}
			m.recs[rec.ID()] = rec
		}
	}
	add("repository", "full_name", org.Repositories)
	add("team", "slug", org.Teams)
	add("user", "login", org.Users)
	return m
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = clone(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = clone(e)
		}
		return l
	case []map[string]any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = clone(e)
		}
		return l
	case int:
		return int64(x)
	}
	return v
}

// TestIncrementalSameAsFull applies random record changes to a State one at a time and
// checks after each that its files are, byte for byte, those a full compile of the same
// records gives; a change that fails leaves the State as it was.
func TestIncrementalSameAsFull(t *testing.T) {
	ctx := context.Background()
	dir := syntheticWorkspace(t, 150)
	ws := loadWS(t, dir)
	src := orgSource(synth.Generate(1, 150))
	st, _, err := NewState(ctx, ws, Options{Sources: []source.Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewSource(5))
	ids := func(prefix string) []string {
		var out []string
		for id := range src.recs {
			if len(id) > len(prefix) && id[:len(prefix)] == prefix {
				out = append(out, id)
			}
		}
		sort.Strings(out)
		return out
	}
	applied, refused := 0, 0
	for step := 0; step < 60; step++ {
		var ups []source.Record
		var dels []string
		repos, teams, users := ids("repository:"), ids("team:"), ids("user:")
		switch op := r.Intn(7); op {
		case 0, 1: // change a repository's description and topics
			rec := src.recs[repos[r.Intn(len(repos))]]
			d := clone(rec.Data).(map[string]any)
			d["description"] = fmt.Sprintf("changed at step %d", step)
			d["topics"] = []any{"lifecycle-experimental", fmt.Sprintf("t%d", step)}
			rec.Data = d
			ups = append(ups, rec)
		case 2: // move a repository to another owner
			rec := src.recs[repos[r.Intn(len(repos))]]
			d := clone(rec.Data).(map[string]any)
			team := src.recs[teams[r.Intn(len(teams))]].Data.(map[string]any)["slug"]
			d["custom_properties"] = map[string]any{"owner-team": team}
			rec.Data = d
			ups = append(ups, rec)
		case 3: // delete a repository
			dels = append(dels, repos[r.Intn(len(repos))])
		case 4: // add a repository
			rec := src.recs[repos[r.Intn(len(repos))]]
			d := clone(rec.Data).(map[string]any)
			name := fmt.Sprintf("new-%d", step)
			d["name"], d["full_name"] = name, "initech/"+name
			d["archived"] = false
			ups = append(ups, source.Record{Type: "repository", Key: "initech/" + name, Data: d, Where: "memory"})
		case 5: // archive a repository: the mapping filters it out, its entity goes
			rec := src.recs[repos[r.Intn(len(repos))]]
			d := clone(rec.Data).(map[string]any)
			d["archived"] = true
			rec.Data = d
			ups = append(ups, rec)
		case 6: // delete a user: a team still lists them, so the change must be refused
			dels = append(dels, users[r.Intn(len(users))])
		}
		before := snapshotFiles(st.Files())
		d, findings, err := st.Apply(ctx, "github", ups, dels)
		if err != nil {
			t.Fatal(err)
		}
		if len(findings.Errors()) > 0 {
			refused++
			if !equalFiles(before, st.Files()) {
				t.Fatalf("step %d: a refused change altered the state", step)
			}
			continue
		}
		applied++
		if !equalFiles(before, st.Files()) {
			t.Fatalf("step %d: Apply changed the state before the delta was accepted", step)
		}
		st.Accept(d)
		for _, u := range ups {
			src.recs[u.ID()] = u
		}
		for _, id := range dels {
			delete(src.recs, id)
		}
		full := compileOK(t, ws, Options{Sources: []source.Source{src}})
		if !equalFiles(full.Files, st.Files()) {
			for p, b := range full.Files {
				if !bytes.Equal(st.Files()[p], b) {
					t.Fatalf("step %d: %s differs from a full compile:\n%s\nfull:\n%s", step, p, st.Files()[p], b)
				}
			}
			for p := range st.Files() {
				if _, ok := full.Files[p]; !ok {
					t.Fatalf("step %d: %s is in the state, not in a full compile", step, p)
				}
			}
		}
		// The delta is exactly the difference.
		for p, b := range d.Upserts {
			if before[p] != nil && bytes.Equal(before[p], b) {
				t.Fatalf("step %d: %s in the delta but unchanged", step, p)
			}
		}
	}
	if applied < 30 || refused == 0 {
		t.Errorf("applied %d, refused %d: the test did not exercise both", applied, refused)
	}
}

func snapshotFiles(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func equalFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for p, x := range a {
		if !bytes.Equal(x, b[p]) {
			return false
		}
	}
	return true
}

// BenchmarkOneRecordToCommit measures the watch path: one changed repository record in
// an org of 10,000 (set PANE_BENCH_N for another size), from the record to the new
// commit on the catalog branch.
func BenchmarkOneRecordToCommit(b *testing.B) {
	ctx := context.Background()
	n := 10000
	if v := benchN(); v > 0 {
		n = v
	}
	dir := syntheticWorkspace(b, n)
	ws := loadWS(b, dir)
	src := orgSource(synth.Generate(1, n))
	st, res, err := NewState(ctx, ws, Options{Sources: []source.Source{src}})
	if err != nil {
		b.Fatal(err)
	}
	store, err := gitstore.Open(b.TempDir()+"/out.git", true)
	if err != nil {
		b.Fatal(err)
	}
	first, _, err := store.Commit(ctx, "catalog", res.Snapshot.Files, "first", gitstore.Signature{Name: "t", Email: "t@example.com"})
	if err != nil {
		b.Fatal(err)
	}
	st.SetBase(first)
	var repos []string
	for id := range src.recs {
		if strings.HasPrefix(id, "repository:") {
			repos = append(repos, id)
		}
	}
	sort.Strings(repos)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rec := src.recs[repos[i%len(repos)]]
		d := clone(rec.Data).(map[string]any)
		d["description"] = fmt.Sprintf("edit %d", i)
		d["archived"] = false
		rec.Data = d
		delta, findings, err := st.Apply(ctx, "github", []source.Record{rec}, nil)
		if err != nil || len(findings.Errors()) > 0 {
			b.Fatal(err, findings)
		}
		if _, _, err := st.Commit(ctx, store, "catalog", delta); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/change")
	b.ReportMetric(float64(len(st.Files())), "entities")
}

func benchN() int {
	var n int
	fmt.Sscan(os.Getenv("PANE_BENCH_N"), &n)
	return n
}
