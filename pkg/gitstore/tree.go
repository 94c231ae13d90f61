package gitstore

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

// entry is one tree entry.
type entry struct {
	name string
	mode filemode.FileMode
	hash plumbing.Hash
}

func (e entry) isDir() bool { return e.mode == filemode.Dir }

// compareEntries orders tree entries as git does (base_name_compare): byte-wise by
// name, where a directory compares as if its name ended with '/'. go-git's encoder
// writes entries in the order given, so every tree pane writes goes through this.
func compareEntries(a, b entry) int {
	n := min(len(a.name), len(b.name))
	if c := strings.Compare(a.name[:n], b.name[:n]); c != 0 {
		return c
	}
	ca, cb := terminator(a, n), terminator(b, n)
	switch {
	case ca < cb:
		return -1
	case ca > cb:
		return 1
	}
	return 0
}

// terminator is the byte git compares at position n of e's name: the byte itself, or
// past the end '/' for a directory and NUL for anything else.
func terminator(e entry, n int) byte {
	if n < len(e.name) {
		return e.name[n]
	}
	if e.isDir() {
		return '/'
	}
	return 0
}

// encodeTree returns the canonical body of a tree object holding entries, which must
// already be in git order.
func encodeTree(entries []entry) []byte {
	size := 0
	for _, e := range entries {
		size += 7 + 1 + len(e.name) + 1 + len(e.hash)
	}
	buf := make([]byte, 0, size)
	for _, e := range entries {
		buf = strconv.AppendUint(buf, uint64(e.mode), 8)
		buf = append(buf, ' ')
		buf = append(buf, e.name...)
		buf = append(buf, 0)
		buf = append(buf, e.hash[:]...)
	}
	return buf
}

// decodeTree parses the body of a tree object. It accepts any entries git would have
// written; sortedness is checked by the caller that relies on it.
func decodeTree(data []byte) ([]entry, error) {
	var entries []entry
	for len(data) > 0 {
		sp := bytes.IndexByte(data, ' ')
		if sp < 0 {
			return nil, fmt.Errorf("malformed tree entry: no space after mode")
		}
		mode, err := strconv.ParseUint(string(data[:sp]), 8, 32)
		if err != nil {
			return nil, fmt.Errorf("malformed tree entry mode %q: %w", data[:sp], err)
		}
		data = data[sp+1:]
		nul := bytes.IndexByte(data, 0)
		if nul < 0 || len(data) < nul+1+len(plumbing.ZeroHash) {
			return nil, fmt.Errorf("malformed tree entry: truncated")
		}
		e := entry{name: string(data[:nul]), mode: filemode.FileMode(mode)}
		copy(e.hash[:], data[nul+1:])
		entries = append(entries, e)
		data = data[nul+1+len(plumbing.ZeroHash):]
	}
	return entries, nil
}

// sortEntries puts entries in git order unless they already are.
func sortEntries(entries []entry) {
	if !slices.IsSortedFunc(entries, compareEntries) {
		slices.SortFunc(entries, compareEntries)
	}
}

// hashObject returns the git object id of an object of type t with the given body.
// crypto/sha1 rather than go-git's collision-detecting hasher: these are bodies pane
// produced itself, and hashing every file of a snapshot is on the hot path.
func hashObject(t plumbing.ObjectType, data []byte) plumbing.Hash {
	h := sha1.New()
	var hdr [32]byte
	b := append(hdr[:0], t.Bytes()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(data)), 10)
	b = append(b, 0)
	h.Write(b)
	h.Write(data)
	var out plumbing.Hash
	h.Sum(out[:0])
	return out
}
