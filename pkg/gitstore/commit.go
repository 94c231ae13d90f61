package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Signature names who made a commit and when; it is used as both author and committer.
// A zero When means the time of the commit.
type Signature struct {
	Name  string
	Email string
	When  time.Time
}

func (sig Signature) validate() error {
	if sig.Name == "" {
		return errors.New("invalid signature: empty name")
	}
	for _, f := range []struct{ what, v string }{{"name", sig.Name}, {"email", sig.Email}} {
		if strings.ContainsAny(f.v, "<>\n\x00") {
			return fmt.Errorf("invalid signature: %s %q contains '<', '>', a newline or NUL", f.what, f.v)
		}
	}
	return nil
}

// Commit makes the branch's tree exactly files (path -> content: the full snapshot, every
// file mode 100644) in one commit whose parent is the current tip, or the first commit of
// the branch when it does not exist. When the resulting tree equals the tip's tree it
// makes no commit and returns the tip and changed=false.
//
// Every path is validated (ValidatePath) before anything is written. Only blobs that
// differ from the tip's at the same path and only trees that changed are written (and,
// below PackThreshold new objects, none the repository already has); the worktree, the
// index and HEAD are never touched. Committing to a branch checked out in a worktree is refused
// (ErrCheckedOut). The branch is moved with a compare-and-swap against the tip read at
// the start; if it moved meanwhile, nothing is committed and the error wraps
// ErrBranchMoved (the objects written stay behind, unreachable, for git gc).
func (s *Store) Commit(ctx context.Context, branch string, files map[string][]byte, message string, author Signature) (commit plumbing.Hash, changed bool, err error) {
	name, err := s.prepare(branch, author)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	for p := range files {
		if err := ValidatePath(p); err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("commit to %s: %w", branch, err)
		}
	}
	// The snapshot as an exact edit: every directory holds what files puts in it and
	// nothing else, so the tip's tree is only read along directories that exist in
	// both, and a directory that did not change costs a comparison.
	ed := edits{exact: true}
	n := 0
	for p, content := range files {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return plumbing.ZeroHash, false, fmt.Errorf("commit to %s: %w", branch, err)
			}
		}
		ed.upsert(p, newRawObject(plumbing.BlobObject, content))
	}
	tip, tree, err := s.tipTree(branch)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	return s.commit(ctx, branch, name, tip, tree, &ed, message, author)
}

// CommitChanges is Commit for a delta: starting from the tip's tree it writes upserts
// (path -> content, mode 100644) and removes deletes, rewriting only the trees along
// those paths, so its cost follows the size of the change rather than of the catalog.
// Deleting a path that does not exist is a no-op; deleting a directory, writing a file
// where a directory is, or a path both written and deleted, is an error. A directory
// left empty is removed. Everything else is as for Commit, including changed=false
// when the tree comes out unchanged.
func (s *Store) CommitChanges(ctx context.Context, branch string, upserts map[string][]byte, deletes []string, message string, author Signature) (commit plumbing.Hash, changed bool, err error) {
	return s.commitChanges(ctx, branch, nil, upserts, deletes, message, author)
}

// CommitChangesOn is CommitChanges for a delta computed against a known commit: parent
// must be the branch's tip (the zero hash for a branch that does not exist yet), both
// when the commit starts and when the branch moves, or nothing is committed and the
// error wraps ErrBranchMoved. A delta applied to any other tree could undo someone
// else's commit.
func (s *Store) CommitChangesOn(ctx context.Context, branch string, parent plumbing.Hash, upserts map[string][]byte, deletes []string, message string, author Signature) (commit plumbing.Hash, changed bool, err error) {
	return s.commitChanges(ctx, branch, &parent, upserts, deletes, message, author)
}

func (s *Store) commitChanges(ctx context.Context, branch string, parent *plumbing.Hash, upserts map[string][]byte, deletes []string, message string, author Signature) (commit plumbing.Hash, changed bool, err error) {
	name, err := s.prepare(branch, author)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	var ed edits
	for p := range upserts {
		if err := ValidatePath(p); err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("commit to %s: %w", branch, err)
		}
	}
	for _, p := range deletes {
		if err := ValidatePath(p); err != nil {
			return plumbing.ZeroHash, false, fmt.Errorf("commit to %s: %w", branch, err)
		}
		if _, ok := upserts[p]; ok {
			return plumbing.ZeroHash, false, fmt.Errorf("commit to %s: path %q is both written and deleted", branch, p)
		}
		ed.delete(p)
	}
	tip, tree, err := s.tipTree(branch)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if parent != nil && *parent != tip {
		return plumbing.ZeroHash, false, fmt.Errorf("commit to %s: the branch is at %s, not at %s the changes were computed on: %w", branch, tip, *parent, ErrBranchMoved)
	}
	for p, content := range upserts {
		ed.upsert(p, newRawObject(plumbing.BlobObject, content))
	}
	return s.commit(ctx, branch, name, tip, tree, &ed, message, author)
}

// prepare checks what can be checked before reading anything.
func (s *Store) prepare(branch string, author Signature) (plumbing.ReferenceName, error) {
	name, err := branchRef(branch)
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	s.refreshPacks()
	if err := author.validate(); err != nil {
		return "", fmt.Errorf("commit to %s: %w", branch, err)
	}
	if err := s.checkNotCheckedOut(name); err != nil {
		return "", fmt.Errorf("commit to %s: %w", branch, err)
	}
	return name, nil
}

// commit applies ed to tree, and when that changes it writes the new objects (blobs
// that differ from the tree's at the same path, changed trees, the commit) and moves the
// branch from tip.
func (s *Store) commit(ctx context.Context, branch string, name plumbing.ReferenceName, tip, tree plumbing.Hash,
	ed *edits, message string, author Signature) (plumbing.Hash, bool, error) {
	fail := func(err error) (plumbing.Hash, bool, error) {
		return plumbing.ZeroHash, false, fmt.Errorf("commit to %s: %w", branch, err)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	ed.root.exact = ed.exact
	a := applier{s: s, trees: newObjectSet()}
	root, err := a.apply(tree, &ed.root)
	if err != nil {
		return fail(err)
	}
	if root.IsZero() {
		root = a.addTree(nil) // an empty snapshot is the empty tree
	}
	if root == tree {
		return tip, false, nil
	}

	objs := newObjectSet()
	for _, b := range a.blobs {
		objs.add(b)
	}
	for _, h := range a.trees.order {
		objs.add(a.trees.byHash[h])
	}
	c, err := encodeCommit(root, tip, message, author)
	if err != nil {
		return fail(err)
	}
	objs.add(c)

	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	err = s.writeObjects(objs)
	s.trimBuffers()
	if err != nil {
		return fail(err)
	}
	for _, t := range a.decoded {
		s.trees.put(t.hash, t.entries)
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := s.updateRef(name, tip, c.hash); err != nil {
		return fail(err)
	}
	s.lastCommit, s.lastTree = c.hash, root
	return c.hash, true, nil
}

func encodeCommit(tree, parent plumbing.Hash, message string, author Signature) (*rawObject, error) {
	if author.When.IsZero() {
		author.When = time.Now()
	}
	if message != "" && !strings.HasSuffix(message, "\n") {
		message += "\n"
	}
	sig := object.Signature{Name: author.Name, Email: author.Email, When: author.When}
	c := &object.Commit{Author: sig, Committer: sig, Message: message, TreeHash: tree}
	if !parent.IsZero() {
		c.ParentHashes = []plumbing.Hash{parent}
	}
	mem := &plumbing.MemoryObject{}
	if err := c.Encode(mem); err != nil {
		return nil, fmt.Errorf("encode commit: %w", err)
	}
	r, err := mem.Reader()
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return newRawObject(plumbing.CommitObject, data), nil
}

// edits is a trie of changes to a tree, one node per directory touched.
type edits struct {
	root dirEdit
	// exact makes every directory hold exactly its kids: a snapshot, not a delta.
	exact bool
}

type dirEdit struct {
	kids  map[string]*nameEdit
	exact bool // names not in kids are removed
}

// nameEdit is what happens to one name in a directory. set and del may both be false
// when only sub is given (a directory touched further down); set with sub is a file
// replacing a directory whose files are all deleted; del with sub a directory replacing
// a file.
type nameEdit struct {
	set  *rawObject // write this blob as a regular file
	del  bool       // remove the file
	sub  *dirEdit   // changes below this name, as a directory
	path string
}

func (d *dirEdit) kid(name, path string) *nameEdit {
	if d.kids == nil {
		d.kids = make(map[string]*nameEdit)
	}
	e := d.kids[name]
	if e == nil {
		e = &nameEdit{path: path}
		d.kids[name] = e
	}
	return e
}

// leaf returns the edit for p's last segment, creating the directories above it.
func (ed *edits) leaf(p string) *nameEdit {
	d := &ed.root
	start := 0
	for {
		i := strings.IndexByte(p[start:], '/')
		if i < 0 {
			return d.kid(p[start:], p)
		}
		e := d.kid(p[start:start+i], p[:start+i])
		if e.sub == nil {
			e.sub = &dirEdit{exact: ed.exact}
		}
		d = e.sub
		start += i + 1
	}
}

func (ed *edits) upsert(p string, blob *rawObject) { ed.leaf(p).set = blob }
func (ed *edits) delete(p string)                  { ed.leaf(p).del = true }

// applier applies edits to trees, collecting the blobs and trees it creates.
type applier struct {
	s     *Store
	blobs []*rawObject // blobs the new trees reference that the old ones did not
	trees *objectSet   // new trees, children before parents
	// decoded are the new trees' entries, for the Store's cache once they are written.
	decoded []decodedTree
}

type decodedTree struct {
	hash    plumbing.Hash
	entries []entry
}

func (a *applier) addTree(entries []entry) plumbing.Hash {
	o := newRawObject(plumbing.TreeObject, encodeTree(entries))
	a.trees.add(o)
	a.decoded = append(a.decoded, decodedTree{o.hash, entries})
	return o.hash
}

// apply returns the hash of the tree old (zero: none) with d applied, or the zero hash
// when the result is empty. It returns old itself when nothing changes.
func (a *applier) apply(old plumbing.Hash, d *dirEdit) (plumbing.Hash, error) {
	var entries []entry
	if !old.IsZero() {
		var err error
		if entries, err = a.s.readTree(old); err != nil {
			return plumbing.ZeroHash, err
		}
		sortEntries(entries)
	}
	find := finder(entries, len(d.kids))

	var replaced map[int]bool // entries of old that kids replace or remove
	if !d.exact {
		replaced = make(map[int]bool, len(d.kids))
	}
	added := make([]entry, 0, len(d.kids))
	for name, e := range d.kids {
		i := find(name)
		var prev *entry
		if i >= 0 {
			prev = &entries[i]
			if replaced != nil {
				replaced[i] = true
			}
		}
		next, err := a.resolve(prev, name, e, d.exact)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if next != nil {
			added = append(added, *next)
		}
	}
	sortEntries(added)

	result := added
	if !d.exact {
		kept := make([]entry, 0, len(entries))
		for i, e := range entries {
			if !replaced[i] {
				kept = append(kept, e)
			}
		}
		result = mergeEntries(kept, added)
	}
	if len(result) == 0 {
		return plumbing.ZeroHash, nil
	}
	if !old.IsZero() && equalEntries(entries, result) {
		return old, nil
	}
	return a.addTree(result), nil
}

// resolve returns the entry name should have after e is applied to prev (nil: absent
// before, or after). In an exact directory e says what name is, replacing whatever
// was there; in a delta, a file may not silently replace a directory or vice versa.
func (a *applier) resolve(prev *entry, name string, e *nameEdit, exact bool) (*entry, error) {
	prevDir := prev != nil && prev.isDir()
	switch {
	case e.set != nil && e.sub != nil && (exact || !e.del && e.sub.writes()):
		return nil, fmt.Errorf("%s is both a file and a directory", e.path)
	case exact:
	case e.del && prevDir:
		return nil, fmt.Errorf("cannot delete %s: it is a directory", e.path)
	case e.set != nil && prevDir && e.sub == nil:
		return nil, fmt.Errorf("cannot write file %s: it is a directory", e.path)
	case e.sub != nil && prev != nil && !prevDir && !e.del && e.set == nil:
		if e.sub.writes() {
			return nil, fmt.Errorf("cannot write under %s: it is a file", e.path)
		}
		return prev, nil // only deletes below a file: nothing is there to delete
	case e.set == nil && e.sub == nil:
		return nil, nil // a plain delete
	}
	var next *entry
	if e.sub != nil {
		base := plumbing.ZeroHash
		if prevDir {
			base = prev.hash
		}
		h, err := a.apply(base, e.sub)
		if err != nil {
			return nil, err
		}
		if !h.IsZero() {
			if e.set != nil {
				return nil, fmt.Errorf("cannot write file %s: it is a directory with files in it", e.path)
			}
			next = &entry{name: name, mode: filemode.Dir, hash: h}
		}
	}
	if e.set != nil {
		next = &entry{name: name, mode: filemode.Regular, hash: e.set.hash}
		if prev == nil || prev.hash != e.set.hash {
			a.blobs = append(a.blobs, e.set)
		}
	}
	return next, nil
}

// writes reports whether d or a directory below it writes a file.
func (d *dirEdit) writes() bool {
	for _, e := range d.kids {
		if e.set != nil || e.sub != nil && e.sub.writes() {
			return true
		}
	}
	return false
}

// finder returns a lookup of names in entries: a linear scan for a few lookups, a map
// for many (a directory of 50,000 entries with one change should not pay for a map).
func finder(entries []entry, lookups int) func(string) int {
	if lookups <= 8 || len(entries) <= 16 {
		return func(name string) int {
			for i := range entries {
				if entries[i].name == name {
					return i
				}
			}
			return -1
		}
	}
	idx := make(map[string]int, len(entries))
	for i, e := range entries {
		idx[e.name] = i
	}
	return func(name string) int {
		if i, ok := idx[name]; ok {
			return i
		}
		return -1
	}
}

// mergeEntries merges two lists already in git order.
func mergeEntries(a, b []entry) []entry {
	if len(b) == 0 {
		return a
	}
	out := make([]entry, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if compareEntries(a[0], b[0]) <= 0 {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	out = append(out, a...)
	return append(out, b...)
}

func equalEntries(a, b []entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
