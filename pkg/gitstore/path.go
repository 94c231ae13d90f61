package gitstore

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidPath is wrapped by every error about a file path that cannot be stored.
var ErrInvalidPath = errors.New("invalid path")

// maxSegment is the longest path segment accepted: most filesystems a catalog branch
// is checked out on refuse longer names.
const maxSegment = 255

// ValidatePath reports whether p can be stored as a file of a catalog branch: relative,
// '/'-separated, with no empty, "." or ".." segment, no NUL or backslash, no segment
// longer than 255 bytes, and no ".git" segment (git refuses to check those out).
// The error wraps ErrInvalidPath and names p.
func ValidatePath(p string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidPath, p, why) }
	switch {
	case p == "":
		return bad("empty")
	case p[0] == '/':
		return bad("absolute")
	case strings.IndexByte(p, 0) >= 0:
		return bad("contains NUL")
	case strings.IndexByte(p, '\\') >= 0:
		return bad("contains a backslash")
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch {
		case seg == "":
			return bad("empty segment")
		case seg == "." || seg == "..":
			return bad(fmt.Sprintf("%q segment", seg))
		case len(seg) > maxSegment:
			return bad(fmt.Sprintf("segment longer than %d bytes", maxSegment))
		case strings.EqualFold(seg, ".git"):
			return bad(`".git" segment`)
		}
	}
	return nil
}
