package compile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/plan"
	"github.com/pane-dev/pane/pkg/workspace"
)

// projectRoot is the repository root: its example workspace is compiled by these tests.
func projectRoot(t testing.TB) string {
	t.Helper()
	abs, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

func loadWS(t testing.TB, dir string) *workspace.Workspace {
	t.Helper()
	ws, findings, err := workspace.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if errs := findings.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	return ws
}

func compileOK(t testing.TB, ws *workspace.Workspace, opts Options) *Snapshot {
	t.Helper()
	res, err := Compile(context.Background(), ws, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Snapshot == nil {
		t.Fatalf("compile failed: %v", res.Findings)
	}
	return res.Snapshot
}

// TestExampleDeterministic compiles the example workspace with one worker and with
// many: the files must be the same bytes.
func TestExampleDeterministic(t *testing.T) {
	ws := loadWS(t, projectRoot(t))
	a := compileOK(t, ws, Options{Workers: 1})
	b := compileOK(t, ws, Options{Workers: 8})
	if len(a.Files) == 0 {
		t.Fatal("no files")
	}
	if len(a.Files) != len(b.Files) {
		t.Fatalf("%d files with 1 worker, %d with 8", len(a.Files), len(b.Files))
	}
	for p, x := range a.Files {
		if !bytes.Equal(x, b.Files[p]) {
			t.Errorf("%s differs between 1 and 8 workers", p)
		}
	}
	// Every entity has provenance.
	for k, e := range a.Entities {
		if e.Annotation("pane.dev/source") == "" || e.Annotation("pane.dev/origin") == "" {
			t.Errorf("%s has no provenance", k)
		}
	}
}

// syntheticWorkspace writes a workspace compiling a synthetic org of n repositories
// with the example's GitHub mapping, through the file source.
func syntheticWorkspace(t testing.TB, n int) string {
	t.Helper()
	dir := t.TempDir()
	org := synth.Generate(1, n)
	if err := synth.WriteFiles(filepath.Join(dir, "records"), org); err != nil {
		t.Fatal(err)
	}
	mapping, err := os.ReadFile(filepath.Join(projectRoot(t), "cue", "mappings", "github.cue"))
	if err != nil {
		t.Fatal(err)
	}
	login := org.Repositories[0]["owner"].(map[string]any)["login"].(string)
	files := map[string]string{
		"pane.cue": `package pane
sources: github: {
	type: "file"
	records: {
		repository: {path: "records/repositories.json", key: "full_name"}
		team: {path: "records/teams.json", key: "slug"}
		user: {path: "records/users.json", key: "login"}
	}
}
`,
		"cue/mappings/github.cue": string(mapping),
		"catalog/org.yaml": fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: %s
spec:
  type: organization
  children: []
`, login),
	}
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSyntheticOrg compiles a generated org: every non-archived repository, team and
// user becomes an entity, and owners resolve.
func TestSyntheticOrg(t *testing.T) {
	const n = 300
	dir := syntheticWorkspace(t, n)
	ws := loadWS(t, dir)
	res, err := Compile(context.Background(), ws, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Snapshot == nil {
		t.Fatalf("compile failed: %v", res.Findings)
	}
	org := synth.Generate(1, n)
	live := 0
	for _, r := range org.Repositories {
		if r["archived"] != true {
			live++
		}
	}
	want := live + len(org.Teams) + len(org.Users) + 1
	if got := len(res.Snapshot.Files); got != want {
		t.Errorf("%d files, want %d", got, want)
	}
	st := res.Sources["github"]
	if st.Records != n+len(org.Teams)+len(org.Users) || st.Filtered != n-live {
		t.Errorf("stats: %+v", st)
	}
	var paths []string
	for p := range res.Snapshot.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if paths[0][:10] != "component/" {
		t.Errorf("first path %s", paths[0])
	}
}

// BenchmarkCompile compiles a synthetic org end to end through the file source:
// read and decode, map, merge, validate, derive relations, render. No git.
func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		dir := syntheticWorkspace(b, n)
		ws := loadWS(b, dir)
		b.Run(fmt.Sprintf("repos=%d/cold", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				compileOK(b, ws, Options{})
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "repos/s")
			b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
		})
		b.Run(fmt.Sprintf("repos=%d/warm-cache", n), func(b *testing.B) {
			cacheDir := filepath.Join(dir, ".pane", "cache")
			compileOK(b, ws, Options{CacheDir: cacheDir})
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				compileOK(b, ws, Options{CacheDir: cacheDir})
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "repos/s")
		})
	}
}

// TestCacheSameResult compiles the same inputs without a cache, with a cold cache, with
// a warm one, with a corrupt one and after a mapping edit: the files must be the same
// bytes every time, and the warm run must not evaluate anything.
func TestCacheSameResult(t *testing.T) {
	dir := syntheticWorkspace(t, 200)
	ws := loadWS(t, dir)
	want := compileOK(t, ws, Options{})
	cacheDir := filepath.Join(dir, ".pane", "cache")
	same := func(name string, got *Snapshot) {
		t.Helper()
		if len(got.Files) != len(want.Files) {
			t.Fatalf("%s: %d files, want %d", name, len(got.Files), len(want.Files))
		}
		for p, b := range want.Files {
			if !bytes.Equal(got.Files[p], b) {
				t.Fatalf("%s: %s differs:\n%s\nwant:\n%s", name, p, got.Files[p], b)
			}
		}
	}
	// The fast paths (mappings and schema checks without the CUE evaluator) change
	// nothing either.
	slow := loadWS(t, dir)
	slow.Mappings.DisableFast()
	slow.Schemas.DisableFast()
	same("CUE alone", compileOK(t, slow, Options{}))
	same("cold cache", compileOK(t, ws, Options{CacheDir: cacheDir}))
	if _, err := os.Stat(filepath.Join(cacheDir, "results")); err != nil {
		t.Fatal("no cache written:", err)
	}

	// Warm: every mapping result and schema verdict comes from the cache.
	c := workspaceCache(cacheDir, ws, nil)
	if len(c.mapped) == 0 || len(c.valid) == 0 {
		t.Fatalf("cache holds %d results, %d verdicts", len(c.mapped), len(c.valid))
	}
	same("warm cache", compileOK(t, ws, Options{CacheDir: cacheDir}))

	// Corrupt: flip a byte in the body; the cache is discarded, not trusted.
	path := filepath.Join(cacheDir, "results")
	data, _ := os.ReadFile(path)
	data[len(data)-10] ^= 0xff
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := (&cache{path: path}).loadInto(); err == nil {
		t.Fatal("a corrupt cache loaded")
	}
	same("corrupt cache", compileOK(t, ws, Options{CacheDir: cacheDir}))

	// Truncated and foreign files too.
	for _, junk := range [][]byte{data[:40], []byte("hello"), nil} {
		if err := os.WriteFile(path, junk, 0o644); err != nil {
			t.Fatal(err)
		}
		same("junk cache", compileOK(t, ws, Options{CacheDir: cacheDir}))
	}

	// A mapping edit changes the salt: nothing old is used, and the result follows the
	// new mapping.
	mp := filepath.Join(dir, "cue", "mappings", "github.cue")
	src, _ := os.ReadFile(mp)
	edited := bytes.Replace(src, []byte(`title: "Repository"`), []byte(`title: "Source"`), 1)
	if bytes.Equal(edited, src) {
		t.Fatal("mapping edit did not apply")
	}
	if err := os.WriteFile(mp, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	ws2 := loadWS(t, dir)
	fresh := compileOK(t, ws2, Options{})
	cached := compileOK(t, ws2, Options{CacheDir: cacheDir})
	for p, b := range fresh.Files {
		if !bytes.Equal(cached.Files[p], b) {
			t.Fatalf("after a mapping edit, %s differs from an uncached compile", p)
		}
	}
}

func TestCacheEncodingRoundTrip(t *testing.T) {
	cr := cachedResult{Filtered: false, Entities: []map[string]any{{
		"a": int64(-5), "b": 5.0, "c": "x\x00y", "d": []any{nil, true, false, int(7)},
		"e": map[string]any{"f": []any{}, "g": map[string]any{}},
	}}}
	b, err := encodeResult(cr)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeResult(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, cr) {
		t.Errorf("round trip:\n got %#v\nwant %#v", back, cr)
	}
	for i := range b {
		if _, err := decodeResult(b[:i]); err == nil && i < len(b) {
			t.Errorf("a prefix of %d bytes decoded", i)
		}
	}
}

func FuzzDecodeResult(f *testing.F) {
	b, _ := encodeResult(cachedResult{Entities: []map[string]any{{"k": "v", "n": int64(1), "l": []any{1.5}}}})
	f.Add(b)
	f.Add([]byte{0, 1, 'm', 255, 255, 255, 255, 15})
	f.Fuzz(func(t *testing.T, data []byte) {
		cr, err := decodeResult(data)
		if err != nil {
			return
		}
		again, err := encodeResult(cr)
		if err != nil {
			t.Fatalf("decoded value does not encode: %v", err)
		}
		if _, err := decodeResult(again); err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
	})
}

// TestDiffKnownSameAsDiff: the plan from what the snapshot knows (hashes, refs, owners)
// is the plan Diff makes by hashing and parsing every file.
func TestDiffKnownSameAsDiff(t *testing.T) {
	ws := loadWS(t, syntheticWorkspace(t, 120))
	snap := compileOK(t, ws, Options{})
	old := map[string]plumbing.Hash{}
	oldBytes := map[string][]byte{}
	i := 0
	for _, p := range sortedKeys(snap.Files) {
		switch i % 4 {
		case 0: // unchanged
			old[p] = snap.Hashes[p]
			oldBytes[p] = snap.Files[p]
		case 1: // changed
			b := append([]byte("# before\n"), snap.Files[p]...)
			old[p] = plumbing.ComputeHash(plumbing.BlobObject, b)
			oldBytes[p] = b
		} // else: added
		i++
	}
	gone := "component/default/gone.yaml"
	oldBytes[gone] = []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: gone\n  annotations:\n    pane.dev/source: github\n")
	old[gone] = plumbing.ComputeHash(plumbing.BlobObject, oldBytes[gone])
	read := func(p string) ([]byte, error) { return oldBytes[p], nil }
	want, err := plan.Diff("catalog", plumbing.ZeroHash, old, read, snap.Files)
	if err != nil {
		t.Fatal(err)
	}
	got, err := plan.DiffKnown("catalog", plumbing.ZeroHash, old, read, snap.Files,
		&plan.Known{Hashes: snap.Hashes, Refs: snap.Refs, Sources: snap.Owners})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("DiffKnown differs from Diff:\n got %s\nwant %s", got.Headline(), want.Headline())
	}
	if want.Summary.Added == 0 || want.Summary.Changed == 0 || want.Summary.Deleted != 1 {
		t.Fatalf("the test did not exercise every op: %s", want.Headline())
	}
}
