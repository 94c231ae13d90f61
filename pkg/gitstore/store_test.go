package gitstore

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func TestOpen(t *testing.T) {
	tmp := t.TempDir()

	missing := filepath.Join(tmp, "missing")
	if _, err := Open(missing, false); err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Open(missing, false) = %v, want a not-exist error naming the path", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("Open(create=false) created %s", missing)
	}

	notRepo := filepath.Join(tmp, "not-a-repo")
	write(t, filepath.Join(notRepo, "file.txt"), "x")
	for _, create := range []bool{false, true} {
		if _, err := Open(notRepo, create); err == nil || !strings.Contains(err.Error(), notRepo) {
			t.Errorf("Open(non-repo, %v) = %v, want an error naming the path", create, err)
		}
	}
	if _, err := Open(filepath.Join(notRepo, "file.txt"), true); err == nil {
		t.Error("Open(a file, true) succeeded")
	}

	emptyDir := filepath.Join(tmp, "empty")
	if err := os.Mkdir(emptyDir, 0o777); err != nil {
		t.Fatal(err)
	}
	s, err := Open(emptyDir, true)
	if err != nil {
		t.Fatalf("Open(empty dir, true): %v", err)
	}
	g := newGit(t, emptyDir)
	if got := g.run("symbolic-ref", "HEAD"); got != "refs/heads/main\n" {
		t.Errorf("HEAD of a created repository: %q", got)
	}
	if s.Root() != emptyDir {
		t.Errorf("Root() = %s, want %s", s.Root(), emptyDir)
	}
	// Reopening finds it, and does not re-create it.
	mustCommit(t, s, "catalog", snapshot, "one")
	s2, err := Open(emptyDir, true)
	if err != nil {
		t.Fatal(err)
	}
	if tip, _ := s2.Tip("catalog"); tip.IsZero() {
		t.Error("reopened repository lost its catalog branch")
	}

	// A worktree root opens; a directory inside it does not (no walking up).
	dir, _ := initWorktree(t)
	if _, err := Open(dir, false); err != nil {
		t.Errorf("Open(worktree root): %v", err)
	}
	if _, err := Open(filepath.Join(dir, "src"), false); err == nil {
		t.Error("Open(subdirectory of a worktree) walked up")
	}
}

func TestFind(t *testing.T) {
	dir, _ := initWorktree(t)
	for _, from := range []string{dir, filepath.Join(dir, "src"), filepath.Join(dir, ".git", "objects")} {
		s, root, err := Find(from)
		if err != nil {
			t.Errorf("Find(%s): %v", from, err)
			continue
		}
		want := dir
		if strings.Contains(from, ".git") {
			want = filepath.Join(dir, ".git") // inside the git directory, as git sees it
		}
		if root != want || s.Root() != want {
			t.Errorf("Find(%s) root = %s, want %s", from, root, want)
		}
	}

	bare := filepath.Join(t.TempDir(), "b.git")
	if _, err := Open(bare, true); err != nil {
		t.Fatal(err)
	}
	_, root, err := Find(filepath.Join(bare, "refs", "heads"))
	if err != nil || root != bare {
		t.Errorf("Find(inside bare) = %s, %v; want %s", root, err, bare)
	}

	nowhere := t.TempDir()
	if _, _, err := Find(nowhere); err == nil {
		// t.TempDir is not inside a repository on any sane machine.
		t.Errorf("Find(%s) found a repository", nowhere)
	}
}

func TestReadBack(t *testing.T) {
	dir, g := initWorktree(t)
	s, err := Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}

	if tip, err := s.Tip("catalog"); err != nil || !tip.IsZero() {
		t.Errorf("Tip of a missing branch = %s, %v", tip, err)
	}
	if files, err := s.Files("catalog"); err != nil || files == nil || len(files) != 0 {
		t.Errorf("Files of a missing branch = %v, %v; want an empty map", files, err)
	}
	if _, err := s.ReadFile("catalog", "a.yaml"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ReadFile on a missing branch: %v", err)
	}

	files := clone(snapshot)
	for p, c := range trickyNames {
		files[p] = c
	}
	c, _ := mustCommit(t, s, "catalog", files, "read me")
	if tip, err := s.Tip("catalog"); err != nil || tip != c {
		t.Errorf("Tip = %s, %v; want %s", tip, err, c)
	}
	if tip, err := s.Tip("main"); err != nil || tip.String() != g.revParse("main") {
		t.Errorf("Tip(main) = %s, %v", tip, err)
	}

	got, err := s.Files("catalog")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]plumbing.Hash{}
	for line := range strings.SplitSeq(strings.TrimRight(g.run("ls-tree", "-r", "-z", "catalog"), "\x00"), "\x00") {
		meta, path, _ := strings.Cut(line, "\t")
		f := strings.Fields(meta)
		want[path] = plumbing.NewHash(f[2])
	}
	if len(got) != len(want) {
		t.Errorf("Files: %d entries, git ls-tree: %d", len(got), len(want))
	}
	for p, h := range want {
		if got[p] != h {
			t.Errorf("Files[%s] = %s, git says %s", p, got[p], h)
		}
	}

	for p, content := range files {
		data, err := s.ReadFile("catalog", p)
		if err != nil || !bytes.Equal(data, content) {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", p, data, err, content)
		}
		blob, err := s.ReadBlob(got[p])
		if err != nil || !bytes.Equal(blob, content) {
			t.Errorf("ReadBlob(%s) = %q, %v", got[p], blob, err)
		}
	}
	for _, p := range []string{"nope.yaml", "component", "component/default/checkout.yaml/x", "a"} {
		if _, err := s.ReadFile("catalog", p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile(%s) = %v, want fs.ErrNotExist", p, err)
		}
	}
	if _, err := s.ReadFile("catalog", "../x"); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("ReadFile(../x) = %v, want ErrInvalidPath", err)
	}
	if _, err := s.ReadBlob(plumbing.NewHash("1111111111111111111111111111111111111111")); err == nil {
		t.Error("ReadBlob of a missing object succeeded")
	}
	if _, err := s.Tip("bad..name"); err == nil {
		t.Error("Tip accepted an invalid branch name")
	}
}
