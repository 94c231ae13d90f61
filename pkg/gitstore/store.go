// Package gitstore reads and commits catalog snapshots with go-git plumbing.
//
// A catalog snapshot is a set of files (path -> content) that pane commits to a branch
// (by default "catalog") of a git repository. gitstore writes blobs, trees and commits
// straight into the object store and moves the branch with a compare-and-swap; it never
// touches a worktree, the index or HEAD, so the repository may be bare or a developer's
// checkout with work in progress. Only the trees along changed paths are rewritten, and
// the same files always give the same tree hash.
//
// Reading goes through go-git's storage. Writing builds the objects in memory and
// stores them in git's own on-disk formats (loose objects, or one pack with its index
// for a big commit) and moves the branch with git's lock-file protocol: go-git's
// writers are several times slower for this (see writeObjects) and its reference
// update can neither create a branch only if it is absent nor exclude the git binary.
package gitstore

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// DefaultBranch is the branch pane commits the catalog to unless told otherwise.
const DefaultBranch = "catalog"

// Store is a git repository that catalog snapshots are read from and committed to.
//
// A Store is not safe for concurrent use: go-git's object storage is not, so one
// goroutine owns a Store (and the repository behind it) and others hand it work.
type Store struct {
	repo *git.Repository
	root string // the worktree root, or the git directory of a bare repository

	gitDir    string // HEAD of this worktree lives here
	commonDir string // refs, objects, packed-refs and worktrees/ live here
	// mainWorktree is true when commonDir/HEAD is checked out somewhere, i.e. the
	// repository is not bare.
	mainWorktree bool

	trees treeCache
	// lastCommit and lastTree remember the commit made last, so that the next one need
	// not read it back to find its tree.
	lastCommit, lastTree plumbing.Hash

	zw       *zlib.Writer // reused for loose objects
	zwStore  *zlib.Writer // the same, for big ones (stored, not deflated)
	looseBuf bytes.Buffer

	// packStamp is the modification time of objects/pack when go-git last listed it.
	packStamp time.Time
}

// treeCacheLimit bounds the tree entries a Store keeps decoded: a 50,000-file catalog
// fits, so committing the next change reads no tree from disk.
const treeCacheLimit = 1 << 17

// treeCache keeps decoded trees by hash. Trees never change under a hash, so nothing
// is ever stale; when full it starts over rather than tracking recency.
type treeCache struct {
	m       map[plumbing.Hash][]entry
	entries int
}

func (c *treeCache) get(h plumbing.Hash) ([]entry, bool) {
	e, ok := c.m[h]
	return e, ok
}

func (c *treeCache) put(h plumbing.Hash, entries []entry) {
	if c.m == nil || c.entries+len(entries) > treeCacheLimit {
		c.m, c.entries = make(map[plumbing.Hash][]entry), 0
	}
	if _, ok := c.m[h]; !ok {
		c.m[h] = entries
		c.entries += len(entries) + 1
	}
}

// Open opens the git repository whose root is path: a bare repository, or a directory
// holding .git (a directory, or a file pointing at one as in a linked worktree). It does
// not walk up to parent directories (Find does).
//
// If path does not exist, or is an empty directory, and create is true, Open creates a
// bare repository there (and any missing parents) whose HEAD names main. A path that
// exists but is not a git repository is an error naming it.
func Open(path string, create bool) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", path, err)
	}
	l, found, err := detect(abs)
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", abs, err)
	}
	if found {
		return open(l)
	}
	if !create {
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("open git repository %s: %w", abs, err)
		}
		return nil, fmt.Errorf("open git repository %s: not a git repository", abs)
	}
	empty, err := emptyOrMissing(abs)
	if err != nil {
		return nil, fmt.Errorf("create git repository %s: %w", abs, err)
	}
	if !empty {
		return nil, fmt.Errorf("create git repository %s: exists, is not empty and is not a git repository", abs)
	}
	return initBare(abs)
}

// Find opens the repository containing dir, walking up from dir to the first directory
// that holds .git or is itself a bare repository, as git does. It returns the Store and
// the repository's root (the worktree root, or the git directory when bare).
func Find(dir string) (*Store, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", fmt.Errorf("find git repository from %s: %w", dir, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, "", fmt.Errorf("find git repository from %s: %w", abs, err)
	}
	for d := abs; ; {
		l, found, err := detect(d)
		if err != nil {
			return nil, "", fmt.Errorf("find git repository from %s: %w", abs, err)
		}
		if found {
			s, err := open(l)
			if err != nil {
				return nil, "", err
			}
			return s, l.root, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return nil, "", fmt.Errorf("find git repository from %s: no git repository in it or any parent", abs)
		}
		d = parent
	}
}

// Root returns the repository's root: its worktree root, or its git directory when bare.
func (s *Store) Root() string { return s.root }

// Repository returns the go-git repository behind s, for the operations gitstore does not
// offer (pushing, for one). The same single-goroutine rule applies to it.
func (s *Store) Repository() *git.Repository { return s.repo }

// layout is where a repository's parts live on disk.
type layout struct {
	root      string
	gitDir    string
	commonDir string
	worktree  bool // root is a worktree with .git in it
}

// detect reports whether dir is a repository root and where its parts are.
func detect(dir string) (layout, bool, error) {
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return layout{}, false, nil
	}
	var l layout
	dotgit := filepath.Join(dir, git.GitDirName)
	fi, err := os.Stat(dotgit)
	switch {
	case err == nil && fi.IsDir():
		l = layout{root: dir, gitDir: dotgit, worktree: true}
	case err == nil:
		gd, err := readGitFile(dotgit)
		if err != nil {
			return layout{}, false, err
		}
		l = layout{root: dir, gitDir: gd, worktree: true}
	case !errors.Is(err, fs.ErrNotExist):
		return layout{}, false, err
	case isGitDir(dir):
		l = layout{root: dir, gitDir: dir}
	default:
		return layout{}, false, nil
	}
	l.commonDir = l.gitDir
	if b, err := os.ReadFile(filepath.Join(l.gitDir, "commondir")); err == nil {
		cd := strings.TrimSpace(string(b))
		if !filepath.IsAbs(cd) {
			cd = filepath.Join(l.gitDir, cd)
		}
		l.commonDir = filepath.Clean(cd)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return layout{}, false, err
	}
	return l, true, nil
}

// readGitFile returns the git directory a ".git" file ("gitdir: <path>") points at.
func readGitFile(p string) (string, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	gd, ok := strings.CutPrefix(strings.TrimSpace(line), "gitdir:")
	if !ok {
		return "", fmt.Errorf("%s: no gitdir: line", p)
	}
	gd = strings.TrimSpace(gd)
	if !filepath.IsAbs(gd) {
		gd = filepath.Join(filepath.Dir(p), gd)
	}
	return filepath.Clean(gd), nil
}

// isGitDir mirrors git's is_git_directory: HEAD, objects/ and refs/ are there.
func isGitDir(dir string) bool {
	head, err := os.Stat(filepath.Join(dir, "HEAD"))
	if err != nil || !head.Mode().IsRegular() {
		return false
	}
	for _, d := range []string{"objects", "refs"} {
		if fi, err := os.Stat(filepath.Join(dir, d)); err != nil || !fi.IsDir() {
			return false
		}
	}
	return true
}

func emptyOrMissing(dir string) (bool, error) {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return len(names) == 0, err
}

func initBare(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("create git repository %s: %w", dir, err)
	}
	opts := &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.Main},
		Bare:        true,
	}
	if _, err := git.PlainInitWithOptions(dir, opts); err != nil {
		return nil, fmt.Errorf("create git repository %s: %w", dir, err)
	}
	l, found, err := detect(dir)
	if err != nil || !found {
		return nil, fmt.Errorf("create git repository %s: not a git repository after init (%v)", dir, err)
	}
	return open(l)
}

func open(l layout) (*Store, error) {
	repo, err := git.PlainOpenWithOptions(l.root, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", l.root, err)
	}
	cfg, err := repo.Config()
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: read config: %w", l.root, err)
	}
	return &Store{
		repo:      repo,
		root:      l.root,
		gitDir:    l.gitDir,
		commonDir: l.commonDir,
		// A main worktree has HEAD checked out whatever core.bare says; otherwise trust
		// core.bare, erring towards "checked out" when it is missing.
		mainWorktree: (l.worktree && l.gitDir == l.commonDir) || !cfg.Core.IsBare,
	}, nil
}

// branchRef returns the full reference name of branch, or an error when git would
// not accept it as a branch name.
func branchRef(branch string) (plumbing.ReferenceName, error) {
	name := plumbing.NewBranchReferenceName(branch)
	if branch == "" || strings.HasPrefix(branch, "refs/") || name.Validate() != nil {
		return "", fmt.Errorf("invalid branch name %q", branch)
	}
	return name, nil
}

// Tip returns the commit the branch points at, or the zero hash when it does not exist.
func (s *Store) Tip(branch string) (plumbing.Hash, error) {
	name, err := branchRef(branch)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	ref, err := s.repo.Storer.Reference(name)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read branch %s: %w", branch, err)
	}
	if ref.Type() != plumbing.HashReference {
		return plumbing.ZeroHash, fmt.Errorf("read branch %s: is a symbolic reference to %s", branch, ref.Target())
	}
	return ref.Hash(), nil
}

// TreeOf returns the root tree of commit c.
func (s *Store) TreeOf(c plumbing.Hash) (plumbing.Hash, error) {
	if c == s.lastCommit && !c.IsZero() {
		return s.lastTree, nil
	}
	s.refreshPacks()
	obj, err := s.object(plumbing.CommitObject, c)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read commit %s: %w", c, err)
	}
	commit, err := object.DecodeCommit(s.repo.Storer, obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("decode commit %s: %w", c, err)
	}
	return commit.TreeHash, nil
}

// tipTree returns the branch's tip commit and its tree, both zero when the branch does
// not exist.
func (s *Store) tipTree(branch string) (tip, tree plumbing.Hash, err error) {
	tip, err = s.Tip(branch)
	if err != nil || tip.IsZero() {
		return tip, plumbing.ZeroHash, err
	}
	tree, err = s.TreeOf(tip)
	if err != nil {
		return plumbing.ZeroHash, plumbing.ZeroHash, fmt.Errorf("branch %s: %w", branch, err)
	}
	return tip, tree, nil
}

// Files returns every file at the branch's tip as path -> blob hash; an empty map when
// the branch does not exist. Symlinks and submodules are listed like files.
func (s *Store) Files(branch string) (map[string]plumbing.Hash, error) {
	s.refreshPacks()
	_, tree, err := s.tipTree(branch)
	if err != nil {
		return nil, err
	}
	files := make(map[string]plumbing.Hash)
	if tree.IsZero() {
		return files, nil
	}
	err = s.walk(tree, "", func(p string, e entry) { files[p] = e.hash })
	if err != nil {
		return nil, fmt.Errorf("list files of branch %s: %w", branch, err)
	}
	return files, nil
}

// walk calls fn for every non-directory entry under tree, with its full path.
func (s *Store) walk(tree plumbing.Hash, prefix string, fn func(string, entry)) error {
	entries, err := s.readTree(tree)
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := prefix + e.name
		if e.isDir() {
			if err := s.walk(e.hash, p+"/", fn); err != nil {
				return err
			}
			continue
		}
		fn(p, e)
	}
	return nil
}

// ReadFile returns the content of the file at path at the branch's tip. When the branch
// or the file does not exist the error wraps fs.ErrNotExist.
func (s *Store) ReadFile(branch, path string) ([]byte, error) {
	if err := ValidatePath(path); err != nil {
		return nil, err
	}
	s.refreshPacks()
	_, tree, err := s.tipTree(branch)
	if err != nil {
		return nil, err
	}
	if tree.IsZero() {
		return nil, fmt.Errorf("read %s:%s: no branch %s: %w", branch, path, branch, fs.ErrNotExist)
	}
	segs := strings.Split(path, "/")
	h := tree
	for i, seg := range segs {
		entries, err := s.readTree(h)
		if err != nil {
			return nil, fmt.Errorf("read %s:%s: %w", branch, path, err)
		}
		e, ok := lookup(entries, seg)
		last := i == len(segs)-1
		switch {
		case !ok, last && e.isDir(), !last && !e.isDir():
			return nil, fmt.Errorf("read %s:%s: %w", branch, path, fs.ErrNotExist)
		case last && e.mode == filemode.Submodule:
			return nil, fmt.Errorf("read %s:%s: is a submodule", branch, path)
		}
		h = e.hash
	}
	data, err := s.ReadBlob(h)
	if err != nil {
		return nil, fmt.Errorf("read %s:%s: %w", branch, path, err)
	}
	return data, nil
}

func lookup(entries []entry, name string) (entry, bool) {
	for _, e := range entries {
		if e.name == name {
			return e, true
		}
	}
	return entry{}, false
}

// ReadBlob returns the content of the blob h.
func (s *Store) ReadBlob(h plumbing.Hash) ([]byte, error) {
	s.refreshPacks()
	data, err := s.readObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	return data, nil
}

// readTree returns the entries of tree h. The slice may be shared with the cache:
// callers must not change it (sorting an unsorted one in place is harmless).
func (s *Store) readTree(h plumbing.Hash) ([]entry, error) {
	if entries, ok := s.trees.get(h); ok {
		return entries, nil
	}
	data, err := s.readObject(plumbing.TreeObject, h)
	if err != nil {
		return nil, fmt.Errorf("read tree %s: %w", h, err)
	}
	entries, err := decodeTree(data)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", h, err)
	}
	s.trees.put(h, entries)
	return entries, nil
}

func (s *Store) readObject(t plumbing.ObjectType, h plumbing.Hash) ([]byte, error) {
	obj, err := s.object(t, h)
	if err != nil {
		return nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	buf := make([]byte, obj.Size())
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// refreshPacks makes go-git re-list the packs when objects/pack changed since it last
// did: go-git lists them once, and git gc or repack by the git binary replaces them.
// Without this a pack that was deleted would still be believed to hold its objects.
// It costs one stat, and runs at the start of every operation.
func (s *Store) refreshPacks() {
	var stamp time.Time
	if fi, err := os.Stat(filepath.Join(s.commonDir, "objects", "pack")); err == nil {
		stamp = fi.ModTime()
	}
	if stamp.Equal(s.packStamp) {
		return
	}
	s.packStamp = stamp
	if fst, ok := s.repo.Storer.(*filesystem.Storage); ok {
		fst.Reindex()
	}
}

// object reads an object, re-reading the pack index once when it is missing: go-git
// loads the list of packs once, and a git gc or a push by the git binary replaces them.
func (s *Store) object(t plumbing.ObjectType, h plumbing.Hash) (plumbing.EncodedObject, error) {
	obj, err := s.repo.Storer.EncodedObject(t, h)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		if fst, ok := s.repo.Storer.(*filesystem.Storage); ok {
			fst.Reindex()
			obj, err = s.repo.Storer.EncodedObject(t, h)
		}
	}
	return obj, err
}
