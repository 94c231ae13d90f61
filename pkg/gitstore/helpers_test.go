package gitstore

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

// gitEnv isolates the git binary from the machine's and the user's configuration.
func gitEnv(home string) []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL="+filepath.Join(home, ".gitconfig"),
		"HOME="+home,
		"LC_ALL=C",
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=Test", "GIT_COMMITTER_EMAIL=test@example.com",
	)
}

// gitT runs the git binary in one directory for a test.
type gitT struct {
	t    testing.TB
	dir  string
	home string
}

func newGit(t testing.TB, dir string) *gitT {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git binary not found")
	}
	return &gitT{t: t, dir: dir, home: t.TempDir()}
}

// run runs git and returns its stdout, failing the test on a non-zero exit.
func (g *gitT) run(args ...string) string {
	g.t.Helper()
	out, err := g.try(args...)
	if err != nil {
		g.t.Fatalf("git %s (in %s): %v", strings.Join(args, " "), g.dir, err)
	}
	return out
}

func (g *gitT) try(args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = g.dir
	cmd.Env = gitEnv(g.home)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &gitError{err: err, stderr: stderr.String()}
	}
	return stdout.String(), nil
}

type gitError struct {
	err    error
	stderr string
}

func (e *gitError) Error() string { return e.err.Error() + ": " + strings.TrimSpace(e.stderr) }

// fsck fails the test unless git fsck --full --strict exits cleanly and reports nothing
// but the notice that a bare repository's HEAD names a branch with no commit yet (pane
// commits to catalog, not to main).
func (g *gitT) fsck() {
	g.t.Helper()
	cmd := exec.Command("git", "fsck", "--full", "--strict", "--no-dangling")
	cmd.Dir = g.dir
	cmd.Env = gitEnv(g.home)
	out, err := cmd.CombinedOutput()
	report := strings.TrimSpace(strings.Replace(string(out), "notice: HEAD points to an unborn branch (main)", "", 1))
	if err != nil || report != "" {
		g.t.Fatalf("git fsck --full in %s: %v\n%s", g.dir, err, out)
	}
}

// lsTree returns the sorted file list of rev.
func (g *gitT) lsTree(rev string) []string {
	g.t.Helper()
	out := strings.TrimSpace(g.run("ls-tree", "-r", "--name-only", "-z", rev))
	var names []string
	for n := range strings.SplitSeq(strings.TrimRight(out, "\x00"), "\x00") {
		if n != "" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// countObjects returns git count-objects -v as a map.
func (g *gitT) countObjects() map[string]string {
	g.t.Helper()
	m := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(g.run("count-objects", "-v")), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		m[k] = v
	}
	return m
}

func (g *gitT) revParse(rev string) string {
	g.t.Helper()
	return strings.TrimSpace(g.run("rev-parse", "--verify", "--quiet", rev))
}

// initWorktree creates a non-bare repository with main checked out and work in progress:
// a commit, a modified tracked file, a staged new file and an untracked file.
func initWorktree(t testing.TB) (dir string, g *gitT) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "work")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	g = newGit(t, dir)
	g.run("init", "-q", "-b", "main")
	write(t, filepath.Join(dir, "README.md"), "hello\n")
	write(t, filepath.Join(dir, "src/main.go"), "package main\n")
	g.run("add", "-A")
	g.run("commit", "-q", "-m", "initial")
	write(t, filepath.Join(dir, "README.md"), "hello, dirty\n")
	write(t, filepath.Join(dir, "staged.txt"), "staged\n")
	g.run("add", "staged.txt")
	write(t, filepath.Join(dir, "untracked.txt"), "untracked\n")
	return dir, g
}

func write(t testing.TB, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o666); err != nil {
		t.Fatal(err)
	}
}

func sig() Signature {
	return Signature{Name: "pane", Email: "pane@example.com", When: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func mustCommit(t testing.TB, s *Store, branch string, files map[string][]byte, msg string) (plumbing.Hash, bool) {
	t.Helper()
	h, changed, err := s.Commit(context.Background(), branch, files, msg, sig())
	if err != nil {
		t.Fatalf("Commit(%s, %q): %v", branch, msg, err)
	}
	return h, changed
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// catalogFiles returns n catalog-shaped files spread over kinds and namespaces.
func catalogFiles(n int) map[string][]byte {
	kinds := []string{"component", "api", "resource", "system", "domain", "group", "user", "location"}
	files := make(map[string][]byte, n)
	for i := range n {
		kind := kinds[i%len(kinds)]
		ns := "ns" + strconv.Itoa(i/len(kinds)%50)
		name := "entity-" + strconv.Itoa(i)
		files[kind+"/"+ns+"/"+name+".yaml"] = entityYAML(kind, ns, name, 0)
	}
	return files
}

func entityYAML(kind, ns, name string, rev int) []byte {
	var b strings.Builder
	b.WriteString("apiVersion: backstage.io/v1alpha1\nkind: " + kind + "\nmetadata:\n")
	b.WriteString("  name: " + name + "\n  namespace: " + ns + "\n")
	b.WriteString("  annotations:\n    pane.dev/source: github\n    pane.dev/origin: org/" + name + "\n")
	b.WriteString("  description: A catalog entity used to measure commits, revision " + strconv.Itoa(rev) + ".\n")
	b.WriteString("spec:\n  owner: group:" + ns + "/team\n  lifecycle: production\n  type: service\n")
	return []byte(b.String())
}
