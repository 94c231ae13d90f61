package gitstore

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/go-git/go-git/v5/plumbing"
)

// PackThreshold is the number of new objects above which a commit writes them as one
// packfile instead of one loose object each: tens of thousands of loose objects cost
// seconds (19 s for 50,000 catalog files on the machine of DESIGN.md), one pack 1 s.
const PackThreshold = 256

// rawObject is a git object whose body is already in memory; a snapshot's file
// contents become blobs without being copied.
type rawObject struct {
	typ  plumbing.ObjectType
	hash plumbing.Hash
	data []byte
}

func newRawObject(t plumbing.ObjectType, data []byte) *rawObject {
	return &rawObject{typ: t, hash: hashObject(t, data), data: data}
}

// objectSet holds the objects one commit adds, in the order they were added (what an
// object refers to comes before it), without duplicates.
type objectSet struct {
	order  []plumbing.Hash
	byHash map[plumbing.Hash]*rawObject
}

func newObjectSet() *objectSet {
	return &objectSet{byHash: make(map[plumbing.Hash]*rawObject)}
}

func (s *objectSet) add(o *rawObject) {
	if _, ok := s.byHash[o.hash]; ok {
		return
	}
	s.byHash[o.hash] = o
	s.order = append(s.order, o.hash)
}

func (s *objectSet) len() int { return len(s.order) }

// writeObjects stores every object of set: as one pack when there are more than
// PackThreshold of them, loose otherwise.
//
// Both are written here in git's formats rather than through go-git's storer, for
// speed: go-git's loose writer compresses at zlib's default level (git uses level 1
// for loose objects) and its pack writer inflates the whole pack again to index it.
// go-git reads loose objects straight from disk, and refreshPacks makes it re-list
// the packs.
func (s *Store) writeObjects(set *objectSet) error {
	objects := filepath.Join(s.commonDir, "objects")
	if set.len() > PackThreshold {
		if err := writePackFile(filepath.Join(objects, "pack"), set); err != nil {
			return err
		}
		s.refreshPacks()
		return nil
	}
	for _, h := range set.order {
		if err := s.writeLoose(objects, set.byHash[h]); err != nil {
			return err
		}
	}
	return nil
}

// storeAbove is the size above which a loose object is stored, not deflated.
const storeAbove = 256 << 10

// writeLoose writes o as objects/xx/yyyy... the way git does: compressed into a
// temporary file next to its final name, made read-only, then renamed into place. An
// object the repository already has, loose or packed, is not written again.
func (s *Store) writeLoose(objects string, o *rawObject) (err error) {
	if s.repo.Storer.HasEncodedObject(o.hash) == nil {
		return nil
	}
	hex := o.hash.String()
	dir := filepath.Join(objects, hex[:2])
	dst := filepath.Join(dir, hex[2:])
	fail := func(err error) error { return fmt.Errorf("write %s %s: %w", o.typ, hex, err) }

	s.looseBuf.Reset()
	// A big object (the tree of a directory of tens of thousands of entities, rewritten
	// on every commit that touches one of them) is stored without compression: its
	// hashes do not compress, and deflating megabytes would be most of a one-entity
	// commit's time. It is still a zlib stream, as git requires; git gc packs it later.
	zw := &s.zw
	level := zlib.BestSpeed
	if len(o.data) > storeAbove {
		zw, level = &s.zwStore, zlib.NoCompression
	}
	if *zw == nil {
		*zw, _ = zlib.NewWriterLevel(&s.looseBuf, level) // the level is valid
	} else {
		(*zw).Reset(&s.looseBuf)
	}
	var hdr [32]byte
	h := append(hdr[:0], o.typ.Bytes()...)
	h = append(h, ' ')
	h = strconv.AppendInt(h, int64(len(o.data)), 10)
	h = append(h, 0)
	(*zw).Write(h) // writes to a bytes.Buffer do not fail
	(*zw).Write(o.data)
	(*zw).Close()

	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fail(err)
	}
	f, err := os.CreateTemp(dir, "tmp_obj_")
	if err != nil {
		return fail(err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(s.looseBuf.Bytes()); err != nil {
		return fail(err)
	}
	if err := f.Chmod(0o444); err != nil && !errors.Is(err, fs.ErrPermission) {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(f.Name(), dst); err != nil {
		return fail(err)
	}
	return nil
}

// looseBufferLimit is the largest compression buffer a Store keeps between commits.
const looseBufferLimit = 1 << 20

// trimBuffers drops a compression buffer grown by an unusually large object.
func (s *Store) trimBuffers() {
	if s.looseBuf.Cap() > looseBufferLimit {
		s.looseBuf = bytes.Buffer{}
		s.zw = nil
	}
}
