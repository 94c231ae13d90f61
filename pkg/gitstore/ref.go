package gitstore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
)

// ErrBranchMoved is wrapped by the error of a commit whose branch moved (or appeared)
// between reading its tip and updating it; nothing was committed. Retrying re-reads it.
var ErrBranchMoved = errors.New("branch moved concurrently")

// ErrCheckedOut is wrapped by the error of a commit to a branch checked out in a
// worktree: moving it would leave that worktree's index and files out of step.
var ErrCheckedOut = errors.New("branch is checked out")

// checkNotCheckedOut returns an error wrapping ErrCheckedOut when name is the branch
// HEAD names in the main worktree or in any linked worktree.
func (s *Store) checkNotCheckedOut(name plumbing.ReferenceName) error {
	var heads []string
	if s.mainWorktree {
		heads = append(heads, filepath.Join(s.commonDir, "HEAD"))
	}
	if s.gitDir != s.commonDir {
		heads = append(heads, filepath.Join(s.gitDir, "HEAD"))
	}
	linked, err := filepath.Glob(filepath.Join(s.commonDir, "worktrees", "*", "HEAD"))
	if err != nil {
		return fmt.Errorf("list worktrees: %w", err)
	}
	heads = append(heads, linked...)
	for _, h := range heads {
		b, err := os.ReadFile(h)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", h, err)
		}
		target, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref:")
		if ok && plumbing.ReferenceName(strings.TrimSpace(target)) == name {
			return fmt.Errorf("%w: %s names %s", ErrCheckedOut, h, name)
		}
	}
	return nil
}

// updateRef moves name from old (zero: it must not exist) to next the way git does: it
// takes name.lock with O_EXCL, checks the current value under it, writes the new value
// to the lock and renames the lock over the ref. git and other gitstore writers honour
// the lock; go-git's own SetReference does not take it and cannot create a ref only if
// it is absent, hence this.
func (s *Store) updateRef(name plumbing.ReferenceName, old, next plumbing.Hash) (err error) {
	refPath := filepath.Join(s.commonDir, filepath.FromSlash(string(name)))
	lockPath := refPath + ".lock"
	if err := os.MkdirAll(filepath.Dir(refPath), 0o777); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	lock, err := os.OpenFile(lockPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("update %s: %s exists: another process is updating it (remove the file if that process died): %w",
			name, lockPath, ErrBranchMoved)
	}
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	committed := false
	defer func() {
		if !committed {
			lock.Close()
			os.Remove(lockPath)
		}
	}()

	cur := plumbing.ZeroHash
	ref, err := s.repo.Storer.Reference(name)
	switch {
	case errors.Is(err, plumbing.ErrReferenceNotFound):
	case err != nil:
		return fmt.Errorf("update %s: read current value: %w", name, err)
	case ref.Type() != plumbing.HashReference:
		return fmt.Errorf("update %s: is a symbolic reference to %s", name, ref.Target())
	default:
		cur = ref.Hash()
	}
	if cur != old {
		return fmt.Errorf("update %s: expected %s, found %s: %w", name, old, cur, ErrBranchMoved)
	}

	if _, err := lock.WriteString(next.String() + "\n"); err != nil {
		return fmt.Errorf("update %s: write %s: %w", name, lockPath, err)
	}
	if err := lock.Close(); err != nil {
		return fmt.Errorf("update %s: write %s: %w", name, lockPath, err)
	}
	if err := os.Rename(lockPath, refPath); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	committed = true
	return nil
}
