package file

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Fingerprint writes to w all that Fetch reads, without decoding any of it: each record
// type's configuration, and the name, length and bytes of every file its glob matches.
// Two fetches of sources with the same fingerprint give the same records, so a compile
// can tell that nothing changed without reading a record. An error means no fingerprint
// (Fetch would report the same problem).
func (s *Source) Fingerprint(w io.Writer) error {
	types := make([]string, 0, len(s.cfg.Records))
	for t := range s.cfg.Records {
		types = append(types, t)
	}
	sort.Strings(types)
	root, err := os.OpenRoot(s.root)
	if err != nil {
		return err
	}
	defer root.Close()
	fsys := root.FS()
	var n [8]byte
	buf := make([]byte, 1<<20)
	field := func(b []byte) error {
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		if _, err := w.Write(n[:]); err != nil {
			return err
		}
		_, err := w.Write(b)
		return err
	}
	for _, typ := range types {
		rs := s.cfg.Records[typ]
		if !doublestar.ValidatePattern(rs.Path) || filepath.IsAbs(rs.Path) || strings.HasPrefix(rs.Path, "../") || rs.Path == ".." {
			return fmt.Errorf("records %q: bad path %q", typ, rs.Path)
		}
		matches, err := doublestar.Glob(fsys, rs.Path, doublestar.WithFilesOnly())
		if err != nil {
			return err
		}
		sort.Strings(matches)
		for _, part := range []string{typ, rs.Path, rs.Key, rs.Format} {
			if err := field([]byte(part)); err != nil {
				return err
			}
		}
		binary.LittleEndian.PutUint64(n[:], uint64(len(matches)))
		if _, err := w.Write(n[:]); err != nil {
			return err
		}
		for _, m := range matches {
			if err := field([]byte(m)); err != nil {
				return err
			}
			// Streamed, not read whole: record files run to hundreds of megabytes.
			f, err := fsys.Open(m)
			if err != nil {
				return err
			}
			size, err := io.CopyBuffer(w, f, buf)
			f.Close()
			if err != nil {
				return err
			}
			binary.LittleEndian.PutUint64(n[:], uint64(size))
			if _, err := w.Write(n[:]); err != nil {
				return err
			}
		}
	}
	return nil
}
