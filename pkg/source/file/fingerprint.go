package file

import (
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// A fingerprint is all that Fetch reads, without decoding any of it: each record type's
// configuration, and the name, bytes and length of every file its glob matches, in the
// order Fetch reads them. Two fetches of sources with the same fingerprint give the same
// records, so a compile can tell that nothing changed without reading a record.

// fingerprint writes the stream; w nil writes nothing.
type fingerprint struct{ w io.Writer }

func (f fingerprint) field(b []byte) {
	if f.w == nil {
		return
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
	f.w.Write(n[:])
	f.w.Write(b)
}

func (f fingerprint) raw(b []byte) {
	if f.w != nil {
		f.w.Write(b)
	}
}

func (f fingerprint) num(v int64) {
	if f.w == nil {
		return
	}
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(v))
	f.w.Write(n[:])
}

// recordSet starts a record type: its configuration and how many files it matched.
func (f fingerprint) recordSet(typ string, rs RecordSet, files int) {
	for _, part := range []string{typ, rs.Path, rs.Key, rs.Format} {
		f.field([]byte(part))
	}
	f.num(int64(files))
}

// FingerprintTo makes Fetch write the fingerprint of exactly the bytes it decodes to w
// (a hash): what a compile remembers is then what it compiled, even if a file changes
// while it runs.
func (s *Source) FingerprintTo(w io.Writer) { s.fp = fingerprint{w} }

// Fingerprint writes the fingerprint of the files as they are now to w, reading them
// (streamed: record files run to hundreds of megabytes) but decoding nothing. An error
// means no fingerprint (Fetch would report the same problem).
func (s *Source) Fingerprint(w io.Writer) error {
	fp := fingerprint{w}
	buf := make([]byte, 1<<20)
	return s.eachFile(func(fsys fs.FS, typ string, rs RecordSet, matches []string) error {
		fp.recordSet(typ, rs, len(matches))
		for _, m := range matches {
			fp.field([]byte(m))
			f, err := fsys.Open(m)
			if err != nil {
				return err
			}
			size, err := io.CopyBuffer(w, f, buf)
			f.Close()
			if err != nil {
				return err
			}
			fp.num(size)
		}
		return nil
	})
}

// FileStat is what a file's metadata says of it: a cheap first look before its bytes.
type FileStat struct {
	Path    string
	Size    int64
	ModTime int64 // nanoseconds since the epoch
}

// Stat lists every file Fetch would read, with its size and modification time: if any
// differs from an earlier list, the fingerprint differs too, and need not be computed.
func (s *Source) Stat() ([]FileStat, error) {
	var out []FileStat
	err := s.eachFile(func(fsys fs.FS, typ string, rs RecordSet, matches []string) error {
		for _, m := range matches {
			fi, err := fs.Stat(fsys, m)
			if err != nil {
				return err
			}
			out = append(out, FileStat{Path: typ + ":" + m, Size: fi.Size(), ModTime: fi.ModTime().UnixNano()})
		}
		return nil
	})
	return out, err
}

// eachFile calls f for each record type, in Fetch's order, with the files it matches.
func (s *Source) eachFile(f func(fsys fs.FS, typ string, rs RecordSet, matches []string) error) error {
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
		if err := f(fsys, typ, rs, matches); err != nil {
			return err
		}
	}
	return nil
}
