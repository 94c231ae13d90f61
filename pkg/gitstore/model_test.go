package gitstore

import (
	"context"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

// TestRandomEditsMatchModel drives Commit and CommitChanges with random edits over
// names chosen to collide in git's tree order and as files against directories, and
// checks after every step that the branch holds exactly what a plain map says.
func TestRandomEditsMatchModel(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	segs := []string{"a", "b", "a.b", "a-", "a0", "ab"}
	randPath := func() string {
		n := 1 + rng.IntN(3)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = segs[rng.IntN(len(segs))]
		}
		return strings.Join(parts, "/")
	}
	// conflicts reports whether p cannot sit beside the files of m: a prefix of p is a
	// file, or p is a prefix of a file.
	conflicts := func(m map[string][]byte, p string) bool {
		for q := range m {
			if q != p && (strings.HasPrefix(p, q+"/") || strings.HasPrefix(q, p+"/")) {
				return true
			}
		}
		return false
	}

	model := map[string][]byte{}
	for step := range 300 {
		next := maps.Clone(model)
		var changed bool
		if rng.IntN(3) == 0 {
			// A snapshot: conflicting files give way to the new one.
			for range 1 + rng.IntN(4) {
				p := randPath()
				for q := range next {
					if q != p && (strings.HasPrefix(p, q+"/") || strings.HasPrefix(q, p+"/")) {
						delete(next, q)
					}
				}
				next[p] = []byte("v" + strconv.Itoa(rng.IntN(3)) + "\n")
			}
			for q := range next {
				if rng.IntN(10) == 0 {
					delete(next, q)
				}
			}
			_, changed, err = s.Commit(ctx, "catalog", next, "snapshot "+strconv.Itoa(step), sig())
		} else {
			up := map[string][]byte{}
			var del []string
			for range 1 + rng.IntN(4) {
				p := randPath()
				_, isUp := up[p]
				switch {
				case isUp:
				case rng.IntN(3) == 0:
					del = append(del, p)
					delete(next, p) // a no-op unless p is a file
				case !conflicts(next, p):
					c := []byte("v" + strconv.Itoa(rng.IntN(3)) + "\n")
					up[p], next[p] = c, c
				}
			}
			// Deleting a directory of the tip is refused: drop those. (A file deleted and
			// a directory written in its place is fine.)
			isDir := func(m map[string][]byte, p string) bool {
				for q := range m {
					if strings.HasPrefix(q, p+"/") {
						return true
					}
				}
				return false
			}
			var kept []string
			for _, p := range del {
				if _, isUp := up[p]; !isUp && !isDir(model, p) {
					kept = append(kept, p)
				}
			}
			_, changed, err = s.CommitChanges(ctx, "catalog", up, kept, "delta "+strconv.Itoa(step), sig())
		}
		if err != nil {
			t.Fatalf("step %d: %v", step, err)
		}
		if want := !maps.EqualFunc(model, next, func(a, b []byte) bool { return string(a) == string(b) }); changed != want && step > 0 {
			t.Fatalf("step %d: changed=%v, want %v", step, changed, want)
		}
		model = next

		files, err := s.Files("catalog")
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != len(model) {
			t.Fatalf("step %d: %d files on the branch, model has %d:\n%v\n%v", step, len(files), len(model), sortedKeys(files), sortedKeys(model))
		}
		for p, c := range model {
			if files[p] != hashObject(plumbing.BlobObject, c) {
				t.Fatalf("step %d: %s is %s on the branch, want content %q", step, p, files[p], c)
			}
		}
	}
	g := newGit(t, s.Root())
	g.fsck()

	// The tree reached by 300 edits is the tree of the final files committed at once.
	other, err := Open(filepath.Join(t.TempDir(), "o.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, other, "catalog", model, "at once")
	if a, b := g.revParse("catalog^{tree}"), newGit(t, other.Root()).revParse("catalog^{tree}"); a != b {
		t.Errorf("tree after edits %s, tree of the same files at once %s", a, b)
	}
}
