package gitstore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

var snapshot = map[string][]byte{
	"component/default/checkout.yaml": []byte("kind: Component\nmetadata:\n  name: checkout\n"),
	"component/default/payments.yaml": []byte("kind: Component\nmetadata:\n  name: payments\n"),
	"group/default/team-a.yaml":       []byte("kind: Group\nmetadata:\n  name: team-a\n"),
	"system/shop/shop.yaml":           []byte("kind: System\nmetadata:\n  name: shop\n"),
	"user/default/ann.yaml":           []byte("kind: User\nmetadata:\n  name: ann\n"),
}

// repoCase is a repository to commit into, and what must stay as it was in it.
type repoCase struct {
	name  string
	setup func(t *testing.T) (s *Store, g *gitT, unchanged func() string)
}

var repoCases = []repoCase{
	{"fresh bare", func(t *testing.T) (*Store, *gitT, func() string) {
		dir := filepath.Join(t.TempDir(), "deep", "er", "catalog.git")
		s, err := Open(dir, true)
		if err != nil {
			t.Fatal(err)
		}
		g := newGit(t, dir)
		if got := strings.TrimSpace(g.run("rev-parse", "--is-bare-repository")); got != "true" {
			t.Fatalf("created repository is not bare: %s", got)
		}
		return s, g, func() string { return g.run("symbolic-ref", "HEAD") }
	}},
	{"worktree with work in progress", func(t *testing.T) (*Store, *gitT, func() string) {
		dir, g := initWorktree(t)
		s, err := Open(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		return s, g, func() string {
			var b strings.Builder
			b.WriteString(g.run("symbolic-ref", "HEAD"))
			b.WriteString(g.run("rev-parse", "HEAD"))
			b.WriteString(g.run("status", "--porcelain=v1", "--untracked-files=all"))
			b.WriteString(g.run("diff", "--cached", "--name-status"))
			b.WriteString(g.run("ls-files", "--stage"))
			for _, f := range []string{"README.md", "src/main.go", "staged.txt", "untracked.txt"} {
				data, err := os.ReadFile(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString(f + ":" + string(data))
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				b.WriteString(e.Name() + "\n")
			}
			return b.String()
		}
	}},
}

func TestCommitIntoRepositories(t *testing.T) {
	for _, rc := range repoCases {
		t.Run(rc.name, func(t *testing.T) {
			s, g, unchanged := rc.setup(t)
			before := unchanged()

			c1, changed := mustCommit(t, s, "catalog", snapshot, "catalog: first")
			if !changed || c1.IsZero() {
				t.Fatalf("first commit: changed=%v hash=%s", changed, c1)
			}
			g.fsck()
			if got := g.revParse("catalog"); got != c1.String() {
				t.Fatalf("catalog is %s, Commit returned %s", got, c1)
			}
			if got := g.run("log", "--format=%s", "catalog"); got != "catalog: first\n" {
				t.Errorf("git log: %q", got)
			}
			if got := g.run("log", "-1", "--format=%an <%ae> %aI|%cn <%ce> %cI", "catalog"); got != "pane <pane@example.com> 2025-01-02T03:04:05+00:00|pane <pane@example.com> 2025-01-02T03:04:05+00:00\n" {
				t.Errorf("author/committer: %q", got)
			}
			if got, want := g.lsTree("catalog"), sortedKeys(snapshot); !reflect.DeepEqual(got, want) {
				t.Errorf("git ls-tree -r catalog:\n got %q\nwant %q", got, want)
			}
			for p, want := range snapshot {
				if got := g.run("show", "catalog:"+p); got != string(want) {
					t.Errorf("git show catalog:%s = %q, want %q", p, got, want)
				}
			}
			modes := g.run("ls-tree", "-r", "-t", "catalog")
			for line := range strings.SplitSeq(strings.TrimSpace(modes), "\n") {
				if !strings.HasPrefix(line, "100644 blob ") && !strings.HasPrefix(line, "040000 tree ") {
					t.Errorf("unexpected mode or type: %s", line)
				}
			}
			if after := unchanged(); after != before {
				t.Errorf("repository state changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}

			// The same files again: no commit.
			c2, changed := mustCommit(t, s, "catalog", snapshot, "catalog: again")
			if changed || c2 != c1 {
				t.Errorf("same files: changed=%v hash=%s, want false and %s", changed, c2, c1)
			}
			if got := g.run("rev-list", "--count", "catalog"); got != "1\n" {
				t.Errorf("commits on catalog: %s", got)
			}

			// Change one, delete one, add one.
			next := clone(snapshot)
			next["component/default/checkout.yaml"] = []byte("kind: Component\nmetadata:\n  name: checkout\n  title: Checkout\n")
			delete(next, "group/default/team-a.yaml")
			next["api/default/orders.yaml"] = []byte("kind: API\nmetadata:\n  name: orders\n")
			c3, changed := mustCommit(t, s, "catalog", next, "catalog: second")
			if !changed {
				t.Fatal("second commit: changed=false")
			}
			g.fsck()
			want := "A\tapi/default/orders.yaml\nM\tcomponent/default/checkout.yaml\nD\tgroup/default/team-a.yaml\n"
			if got := g.run("diff", "--name-status", c1.String(), c3.String()); got != want {
				t.Errorf("git diff --name-status:\n%s\nwant:\n%s", got, want)
			}
			if got := g.run("rev-parse", "catalog^"); strings.TrimSpace(got) != c1.String() {
				t.Errorf("parent of second commit is %s, want %s", got, c1)
			}
			if got := g.run("ls-tree", "-d", "catalog", "group"); got != "" {
				t.Errorf("group/ should be gone with its last file, ls-tree shows %q", got)
			}
			if got, want := g.lsTree("catalog"), sortedKeys(next); !reflect.DeepEqual(got, want) {
				t.Errorf("git ls-tree -r catalog:\n got %q\nwant %q", got, want)
			}
			if after := unchanged(); after != before {
				t.Errorf("repository state changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func clone(m map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// trickyNames exercise git's tree order: a directory sorts as if it ended in '/', which
// falls between '.' and '0'.
var trickyNames = map[string][]byte{
	"a-":            []byte("1\n"),
	"a.b":           []byte("2\n"),
	"a/x":           []byte("3\n"),
	"a0":            []byte("4\n"),
	"ab":            []byte("5\n"),
	"b/c/d/e.yaml":  []byte("6\n"),
	"b/c.d":         []byte("7\n"),
	"b/c-d/e":       []byte("8\n"),
	"b/c0":          []byte("9\n"),
	"Z":             []byte("10\n"),
	"z/z":           []byte("11\n"),
	"sp ace/é.yaml": []byte("12\n"),
	"dup1":          []byte("same\n"),
	"dup2":          []byte("same\n"),
	"empty":         {},
}

func TestSameFilesSameTree(t *testing.T) {
	files := clone(trickyNames)
	for p, c := range snapshot {
		files[p] = c
	}

	// What the git binary makes of the same files.
	scratch := t.TempDir()
	g := newGit(t, scratch)
	g.run("init", "-q", "-b", "main")
	for p, c := range files {
		write(t, filepath.Join(scratch, filepath.FromSlash(p)), string(c))
	}
	g.run("add", "-A")
	want := strings.TrimSpace(g.run("write-tree"))

	var trees []string
	for _, rc := range repoCases {
		s, g, _ := rc.setup(t)
		mustCommit(t, s, "catalog", files, "snapshot")
		g.fsck()
		trees = append(trees, g.revParse("catalog^{tree}"))
	}
	for i, tree := range trees {
		if tree != want {
			t.Errorf("%s: tree %s, git write-tree of the same files gives %s", repoCases[i].name, tree, want)
		}
	}
}

func TestCommitEmptySnapshot(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	g := newGit(t, s.Root())
	c, changed := mustCommit(t, s, "catalog", nil, "empty")
	if !changed || c.IsZero() {
		t.Fatalf("changed=%v hash=%s", changed, c)
	}
	g.fsck()
	if got := g.revParse("catalog^{tree}"); got != "4b825dc642cb6eb9a060e54bf8d69288fbee4904" {
		t.Errorf("tree of an empty snapshot: %s", got)
	}
	mustCommit(t, s, "catalog", snapshot, "full")
	c3, changed := mustCommit(t, s, "catalog", map[string][]byte{}, "emptied")
	if !changed {
		t.Fatal("emptying the catalog made no commit")
	}
	g.fsck()
	if got := g.lsTree(c3.String()); len(got) != 0 {
		t.Errorf("files after emptying: %q", got)
	}
}

func TestCommitReplacesFileAndDirectory(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	g := newGit(t, s.Root())
	steps := []map[string][]byte{
		{"a": []byte("file a\n"), "b/c": []byte("c\n")},
		{"a/x": []byte("now a dir\n"), "b": []byte("now a file\n")},
		{"a": []byte("file again\n"), "b/c/d": []byte("deeper\n")},
	}
	tip, _ := mustCommit(t, s, "catalog", snapshot, "base")
	objects := g.countObjects()
	bad := map[string][]byte{"x/y": []byte("a file\n"), "x/y/z": []byte("under it\n"), "new.yaml": []byte("new\n")}
	if _, _, err := s.Commit(context.Background(), "catalog", bad, "bad", sig()); err == nil || !strings.Contains(err.Error(), "x/y is both a file and a directory") {
		t.Errorf("snapshot with x/y both a file and a directory: %v", err)
	}
	if got, _ := s.Tip("catalog"); got != tip {
		t.Errorf("tip moved after a refused snapshot")
	}
	if after := g.countObjects(); !reflect.DeepEqual(objects, after) {
		t.Errorf("a refused snapshot wrote objects: %v -> %v", objects, after)
	}
	for i, files := range steps {
		c, changed := mustCommit(t, s, "catalog", files, "step")
		if !changed {
			t.Fatalf("step %d made no commit", i)
		}
		g.fsck()
		if got, want := g.lsTree(c.String()), sortedKeys(files); !reflect.DeepEqual(got, want) {
			t.Errorf("step %d: files %q, want %q", i, got, want)
		}
	}
}

func TestCommitChanges(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	g := newGit(t, s.Root())
	c1, _ := mustCommit(t, s, "catalog", snapshot, "base")

	c2, changed, err := s.CommitChanges(ctx, "catalog",
		map[string][]byte{
			"system/shop/shop.yaml":     []byte("kind: System\nmetadata:\n  name: shop\n  title: Shop\n"),
			"domain/default/sales.yaml": []byte("kind: Domain\n"),
		},
		[]string{"user/default/ann.yaml", "does/not/exist.yaml"},
		"delta", sig())
	if err != nil || !changed {
		t.Fatalf("CommitChanges: changed=%v err=%v", changed, err)
	}
	g.fsck()
	want := "A\tdomain/default/sales.yaml\nM\tsystem/shop/shop.yaml\nD\tuser/default/ann.yaml\n"
	if got := g.run("diff", "--name-status", c1.String(), c2.String()); got != want {
		t.Errorf("git diff --name-status:\n%s\nwant:\n%s", got, want)
	}
	if got := g.run("ls-tree", "-d", c2.String(), "user"); got != "" {
		t.Errorf("user/ should be gone with its last file: %q", got)
	}

	// The same as a full snapshot gives the same tree.
	full := clone(snapshot)
	full["system/shop/shop.yaml"] = []byte("kind: System\nmetadata:\n  name: shop\n  title: Shop\n")
	full["domain/default/sales.yaml"] = []byte("kind: Domain\n")
	delete(full, "user/default/ann.yaml")
	other, err := Open(filepath.Join(t.TempDir(), "other.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, other, "catalog", full, "full")
	if a, b := g.revParse(c2.String()+"^{tree}"), newGit(t, other.Root()).revParse("catalog^{tree}"); a != b {
		t.Errorf("CommitChanges tree %s != Commit tree %s of the same files", a, b)
	}

	// No-ops: unchanged content, deleting what is not there.
	c3, changed, err := s.CommitChanges(ctx, "catalog",
		map[string][]byte{"domain/default/sales.yaml": []byte("kind: Domain\n")},
		[]string{"nope.yaml", "user/default/ann.yaml"}, "noop", sig())
	if err != nil || changed || c3 != c2 {
		t.Errorf("no-op CommitChanges: hash=%s changed=%v err=%v, want %s false nil", c3, changed, err, c2)
	}

	errCases := []struct {
		name    string
		upserts map[string][]byte
		deletes []string
		want    string
	}{
		{"delete a directory", nil, []string{"component"}, "it is a directory"},
		{"file over a directory", map[string][]byte{"component/default": []byte("x")}, nil, "it is a directory"},
		{"file under a file", map[string][]byte{"system/shop/shop.yaml/x": []byte("x")}, nil, "it is a file"},
		{"written and deleted", map[string][]byte{"a.yaml": []byte("x")}, []string{"a.yaml"}, "both written and deleted"},
		{"file and directory at once", map[string][]byte{"n": []byte("x"), "n/m": []byte("y")}, nil, "n is both a file and a directory"},
		{"file over a directory not emptied", map[string][]byte{"component": []byte("x")}, []string{"component/default/checkout.yaml"}, "directory with files in it"},
	}
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			before := g.countObjects()
			_, _, err := s.CommitChanges(ctx, "catalog", tc.upserts, tc.deletes, "bad", sig())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if tip, _ := s.Tip("catalog"); tip != c2 {
				t.Errorf("tip moved to %s", tip)
			}
			if after := g.countObjects(); !reflect.DeepEqual(before, after) {
				t.Errorf("objects written: %v -> %v", before, after)
			}
		})
	}
}

func TestRefuseCheckedOutBranch(t *testing.T) {
	dir, g := initWorktree(t)
	g.run("branch", "linked")
	wt := filepath.Join(t.TempDir(), "linked-wt")
	g.run("worktree", "add", "-q", wt, "linked")

	s, err := Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	head := g.revParse("main")
	for _, branch := range []string{"main", "linked"} {
		_, _, err := s.Commit(context.Background(), branch, snapshot, "nope", sig())
		if !errors.Is(err, ErrCheckedOut) {
			t.Errorf("commit to %s: err = %v, want ErrCheckedOut", branch, err)
		}
	}
	if got := g.revParse("main"); got != head {
		t.Errorf("main moved: %s -> %s", head, got)
	}

	// From inside the linked worktree, main is still checked out elsewhere.
	ls, err := Open(wt, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ls.Commit(context.Background(), "main", snapshot, "nope", sig()); !errors.Is(err, ErrCheckedOut) {
		t.Errorf("commit to main from the linked worktree: err = %v, want ErrCheckedOut", err)
	}
	c, _ := mustCommit(t, ls, "catalog", snapshot, "from linked worktree")
	g.fsck()
	if got := g.revParse("catalog"); got != c.String() {
		t.Errorf("catalog = %s, want %s", got, c)
	}

	// A bare repository has nothing checked out: its HEAD branch may be committed to.
	bare, err := Open(filepath.Join(t.TempDir(), "b.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, bare, "main", snapshot, "into bare main")
	newGit(t, bare.Root()).fsck()
}

func TestInvalidPathsWriteNothing(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	g := newGit(t, s.Root())
	tip, _ := mustCommit(t, s, "catalog", snapshot, "base")
	objectsBefore := listObjects(t, filepath.Join(s.Root(), "objects"))

	for _, bad := range invalidPaths {
		files := clone(snapshot)
		files["new/ok.yaml"] = []byte("a new blob that must not be written\n")
		files[bad.path] = []byte("x")
		_, _, err := s.Commit(ctx, "catalog", files, "bad", sig())
		if !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), strconvQuote(bad.path)) {
			t.Errorf("Commit with %q: err = %v, want ErrInvalidPath naming the path", bad.path, err)
		}
		_, _, err = s.CommitChanges(ctx, "catalog", map[string][]byte{"new/ok.yaml": []byte("new\n")}, []string{bad.path}, "bad", sig())
		if !errors.Is(err, ErrInvalidPath) {
			t.Errorf("CommitChanges deleting %q: err = %v, want ErrInvalidPath", bad.path, err)
		}
	}
	if got, _ := s.Tip("catalog"); got != tip {
		t.Errorf("tip moved: %s -> %s", tip, got)
	}
	if after := listObjects(t, filepath.Join(s.Root(), "objects")); !reflect.DeepEqual(objectsBefore, after) {
		t.Errorf("objects changed:\nbefore %q\nafter  %q", objectsBefore, after)
	}
	g.fsck()
}

func listObjects(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, dir))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestPackfileForBigCommit(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	g := newGit(t, s.Root())
	files := catalogFiles(3000)
	mustCommit(t, s, "catalog", files, "big first commit")
	g.fsck()
	counts := g.countObjects()
	if counts["count"] != "0" || counts["packs"] != "1" {
		t.Errorf("git count-objects -v: %v, want every object in one pack", counts)
	}
	if got := len(g.lsTree("catalog")); got != len(files) {
		t.Errorf("git ls-tree lists %d files, want %d", got, len(files))
	}
	for _, p := range []string{"component/ns0/entity-0.yaml", "location/ns24/entity-2999.yaml"} {
		if got := g.run("show", "catalog:"+p); got != string(files[p]) {
			t.Errorf("git show catalog:%s = %q", p, got)
		}
		// And back through go-git, from the pack it just indexed.
		got, err := s.ReadFile("catalog", p)
		if err != nil || !bytes.Equal(got, files[p]) {
			t.Errorf("ReadFile(%s) = %q, %v", p, got, err)
		}
	}

	// A new path whose content is already packed: only trees and the commit are new.
	before := g.countObjects()
	same := files["api/ns0/entity-1.yaml"]
	if _, changed, err := s.CommitChanges(context.Background(), "catalog", map[string][]byte{"copy/of/entity-1.yaml": same}, nil, "copy", sig()); err != nil || !changed {
		t.Fatalf("CommitChanges: changed=%v err=%v", changed, err)
	}
	if after := g.countObjects(); after["count"] != "4" || after["packs"] != before["packs"] {
		t.Errorf("copying a packed blob: git count-objects -v %v, want 4 loose objects (3 trees, commit) and no blob", after)
	}
	g.fsck()
	if _, _, err := s.CommitChanges(context.Background(), "catalog", nil, []string{"copy/of/entity-1.yaml"}, "uncopy", sig()); err != nil {
		t.Fatal(err)
	}
	g.run("prune-packed")
	g.run("repack", "-q", "-a", "-d")

	// A small change goes loose: one blob, the trees above it, the commit.
	files["component/ns0/entity-0.yaml"] = entityYAML("component", "ns0", "entity-0", 1)
	mustCommit(t, s, "catalog", files, "small change")
	g.fsck()
	if counts := g.countObjects(); counts["count"] != "5" || counts["packs"] != "1" {
		// (repack -a above folded everything into one pack again)
		t.Errorf("after a one-file change, git count-objects -v: %v, want 5 loose objects (blob, 3 trees, commit)", counts)
	}
}

func TestGCBetweenCommits(t *testing.T) {
	dir, g := initWorktree(t)
	s, err := Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	mustCommit(t, s, "catalog", snapshot, "before gc")
	g.run("pack-refs", "--all")
	g.run("gc", "-q", "--prune=now")
	if _, err := os.Stat(filepath.Join(dir, ".git", "refs", "heads", "catalog")); !os.IsNotExist(err) {
		t.Fatalf("want catalog only in packed-refs after git pack-refs, stat: %v", err)
	}
	got, err := s.ReadFile("catalog", "user/default/ann.yaml")
	if err != nil || !bytes.Equal(got, snapshot["user/default/ann.yaml"]) {
		t.Fatalf("ReadFile after git gc: %q, %v", got, err)
	}
	next := clone(snapshot)
	next["user/default/bob.yaml"] = []byte("kind: User\n")
	c, changed := mustCommit(t, s, "catalog", next, "after gc")
	if !changed {
		t.Fatal("no commit after gc")
	}
	g.fsck()
	if got := g.revParse("catalog"); got != c.String() {
		t.Errorf("catalog = %s, want %s", got, c)
	}
}

func TestBranchMovedIsRefused(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := mustCommit(t, s, "catalog", snapshot, "one")
	name := plumbing.NewBranchReferenceName("catalog")

	// Expected the branch absent, but it exists.
	if err := s.updateRef(name, plumbing.ZeroHash, c1); !errors.Is(err, ErrBranchMoved) {
		t.Errorf("create over an existing branch: %v, want ErrBranchMoved", err)
	}
	// Expected another tip.
	other := plumbing.NewHash("1111111111111111111111111111111111111111")
	if err := s.updateRef(name, other, c1); !errors.Is(err, ErrBranchMoved) {
		t.Errorf("update from a stale tip: %v, want ErrBranchMoved", err)
	}
	// Someone holds the lock.
	lock := filepath.Join(s.Root(), "refs", "heads", "catalog.lock")
	write(t, lock, "")
	next := clone(snapshot)
	next["x.yaml"] = []byte("x\n")
	if _, _, err := s.Commit(context.Background(), "catalog", next, "two", sig()); !errors.Is(err, ErrBranchMoved) {
		t.Errorf("commit while the ref is locked: %v, want ErrBranchMoved", err)
	}
	if data, err := os.ReadFile(lock); err != nil || len(data) != 0 {
		t.Errorf("someone else's lock file was touched: %q, %v", data, err)
	}
	os.Remove(lock)
	if tip, _ := s.Tip("catalog"); tip != c1 {
		t.Errorf("tip moved to %s", tip)
	}
	if _, changed := mustCommit(t, s, "catalog", next, "two"); !changed {
		t.Error("commit after the lock went away made no commit")
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("lock left behind: %v", err)
	}
}

func TestCommitCancelled(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Commit(ctx, "catalog", snapshot, "x", sig()); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if tip, err := s.Tip("catalog"); err != nil || !tip.IsZero() {
		t.Errorf("tip = %s, %v; want none", tip, err)
	}
}

func TestCommitRejectsBadInput(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, branch := range []string{"", "a..b", "with space", "refs/heads/x", "x.lock", "-x", "a//b"} {
		if _, _, err := s.Commit(ctx, branch, snapshot, "m", sig()); err == nil {
			t.Errorf("branch %q accepted", branch)
		}
	}
	for _, bad := range []Signature{{}, {Name: "a<b", Email: "e"}, {Name: "n", Email: "e>\n"}} {
		if _, _, err := s.Commit(ctx, "catalog", snapshot, "m", bad); err == nil {
			t.Errorf("signature %+v accepted", bad)
		}
	}
}

// TestObjectsPrunedBehindItsBack: git gc may delete a pack go-git has indexed. A blob
// that was in it must be written again, not assumed present.
func TestObjectsPrunedBehindItsBack(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	g := newGit(t, s.Root())
	files := map[string][]byte{"x.yaml": []byte("the blob that goes away\n")}
	mustCommit(t, s, "catalog", files, "one")
	g.run("repack", "-q", "-a", "-d")
	if got, err := s.ReadFile("catalog", "x.yaml"); err != nil || !bytes.Equal(got, files["x.yaml"]) {
		t.Fatalf("ReadFile from the pack: %q, %v", got, err) // go-git has now indexed the pack
	}
	g.run("update-ref", "-d", "refs/heads/catalog")
	g.run("gc", "-q", "--prune=now")
	blob := hashObject(plumbing.BlobObject, files["x.yaml"]).String()
	if _, err := g.try("cat-file", "-e", blob); err == nil {
		t.Fatal("git gc --prune=now kept the blob; the test proves nothing")
	}
	mustCommit(t, s, "catalog", files, "again")
	g.fsck()
	if got := g.run("show", "catalog:x.yaml"); got != string(files["x.yaml"]) {
		t.Errorf("git show catalog:x.yaml = %q", got)
	}
}

// TestCommitChangesOnRefusesAnotherParent: a delta computed on one commit is not applied
// on top of another.
func TestCommitChangesOnRefusesAnotherParent(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	sig := Signature{Name: "t", Email: "t@example.com", When: time.Unix(1700000000, 0)}
	first, _, err := s.CommitChangesOn(ctx, "catalog", plumbing.ZeroHash, map[string][]byte{"a.yaml": []byte("a\n")}, nil, "one", sig)
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := s.CommitChangesOn(ctx, "catalog", first, map[string][]byte{"b.yaml": []byte("b\n")}, nil, "two", sig)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.CommitChangesOn(ctx, "catalog", first, map[string][]byte{"c.yaml": []byte("c\n")}, nil, "stale", sig)
	if !errors.Is(err, ErrBranchMoved) {
		t.Fatalf("stale parent: err = %v, want ErrBranchMoved", err)
	}
	if tip, _ := s.Tip("catalog"); tip != second {
		t.Fatalf("tip moved to %s", tip)
	}
}

// TestBigLooseObjectStored: an object above storeAbove (a big directory's tree, a big
// file) is written loose as a stored zlib stream, which git reads and fsck accepts.
func TestBigLooseObjectStored(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "r.git"), true)
	if err != nil {
		t.Fatal(err)
	}
	g := newGit(t, s.Root())
	mustCommit(t, s, "catalog", snapshot, "base")
	big := bytes.Repeat([]byte("name: x\n"), storeAbove/8+1000)
	c, changed, err := s.CommitChanges(ctx, "catalog", map[string][]byte{"resource/default/big.yaml": big}, nil, "big", sig())
	if err != nil || !changed {
		t.Fatalf("CommitChanges: changed=%v err=%v", changed, err)
	}
	g.fsck()
	if got := g.run("cat-file", "-p", c.String()+":resource/default/big.yaml"); got != string(big) {
		t.Fatalf("git reads %d bytes back, want %d", len(got), len(big))
	}
	h := strings.TrimSpace(g.run("rev-parse", c.String()+":resource/default/big.yaml"))
	st, err := os.Stat(filepath.Join(s.Root(), "objects", h[:2], h[2:]))
	if err != nil {
		t.Fatal("the big blob is not loose:", err)
	}
	if st.Size() < int64(len(big)) {
		t.Fatalf("the loose object is %d bytes, less than its %d: deflated, not stored", st.Size(), len(big))
	}
}
