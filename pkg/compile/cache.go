package compile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/mapping"
)

// The cache keeps, under .pane/cache/, what CUE computed in earlier compiles: the
// entities each mapping made of each (projected) record, and which entities passed
// their schemas. An unchanged record never meets the CUE evaluator again.
//
// Every key is salted with the mapping sources, the schema sources and pane's own build,
// so an edit to any of them misses. The file carries a checksum: a corrupt, truncated or
// foreign file is detected, discarded and rebuilt, never trusted. Only entries used by a
// compile are written back, so the cache does not grow without bound.

const cacheMagic = "pane-cache-v2\n"

type cachedResult struct {
	Filtered bool
	Entities []map[string]any
}

type cache struct {
	path string
	salt [32]byte
	log  *slog.Logger

	mu      sync.Mutex
	mapped  map[[32]byte][]byte   // input hash -> gob of cachedResult
	valid   map[[32]byte]struct{} // entity hash -> passed its schema
	usedMap map[[32]byte][]byte
	usedOK  map[[32]byte]struct{}
	hits    int
	misses  int
	hitsBy  map[string]int // mapping name -> results found
	// dirty: this compile added entries the file does not hold.
	dirty bool
}

// buildID identifies this pane binary: its module version and VCS revision when built
// from a module, else a hash of the executable itself.
var buildID = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		id := bi.Main.Version
		modified := false
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				id += " " + s.Value
			}
			modified = modified || s.Key == "vcs.modified" && s.Value == "true"
		}
		// A build from a changed checkout has the commit's revision but not its code:
		// only the executable itself identifies it.
		if id != "(devel)" && id != "" && !modified {
			return id
		}
	}
	exe, err := os.Executable()
	if err == nil {
		if f, err := os.Open(exe); err == nil {
			defer f.Close()
			h := sha256.New()
			if _, err := io.Copy(h, f); err == nil {
				return fmt.Sprintf("exe %x", h.Sum(nil))
			}
		}
	}
	return "unknown"
})

func openCache(dir, mappingHash, schemaHash string, log *slog.Logger) *cache {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &cache{
		path: filepath.Join(dir, "results"), log: log,
		mapped: map[[32]byte][]byte{}, valid: map[[32]byte]struct{}{},
		usedMap: map[[32]byte][]byte{}, usedOK: map[[32]byte]struct{}{},
	}
	c.salt = sha256.Sum256([]byte(cacheMagic + buildID() + "\x00" + mappingHash + "\x00" + schemaHash))
	if err := c.load(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		log.Warn("cache discarded: it will be rebuilt", "file", c.path, "reason", err)
		c.mapped, c.valid = map[[32]byte][]byte{}, map[[32]byte]struct{}{}
	}
	return c
}

// File layout: magic, salt (32), body length (8), body checksum (32), body.
// Body: count of mapped entries (8), each key (32) + length (4) + gob bytes; count of
// valid entries (8), each key (32).
// loadInto is load on a cache that has only a path: for tests of the file format.
func (c *cache) loadInto() error {
	c.mapped, c.valid = map[[32]byte][]byte{}, map[[32]byte]struct{}{}
	return c.load()
}

func (c *cache) load() error {
	data, err := os.ReadFile(c.path)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(data, []byte(cacheMagic)) {
		return fmt.Errorf("not a pane cache file")
	}
	data = data[len(cacheMagic):]
	if len(data) < 72 {
		return fmt.Errorf("truncated")
	}
	var salt, sum [32]byte
	copy(salt[:], data[:32])
	n := binary.LittleEndian.Uint64(data[32:40])
	copy(sum[:], data[40:72])
	body := data[72:]
	if uint64(len(body)) != n || sha256.Sum256(body) != sum {
		return fmt.Errorf("checksum mismatch (corrupt or truncated)")
	}
	if salt != c.salt {
		return nil // another pane build or other mappings/schemas: start empty
	}
	// Entries are slices of the file's bytes: one allocation, however many entries.
	short := fmt.Errorf("entry longer than the file")
	if len(body) < 8 {
		return short
	}
	count := binary.LittleEndian.Uint64(body)
	body = body[8:]
	if count > uint64(len(body))/36 {
		return short
	}
	c.mapped = make(map[[32]byte][]byte, count)
	for i := uint64(0); i < count; i++ {
		if len(body) < 36 {
			return short
		}
		k := [32]byte(body[:32])
		l := uint64(binary.LittleEndian.Uint32(body[32:36]))
		body = body[36:]
		if l > uint64(len(body)) {
			return short
		}
		c.mapped[k] = body[:l:l]
		body = body[l:]
	}
	if len(body) < 8 {
		return short
	}
	count = binary.LittleEndian.Uint64(body)
	body = body[8:]
	if count != uint64(len(body))/32 || uint64(len(body))%32 != 0 {
		return short
	}
	c.valid = make(map[[32]byte]struct{}, count)
	for i := uint64(0); i < count; i++ {
		c.valid[[32]byte(body[i*32:])] = struct{}{}
	}
	return nil
}

// save writes the entries this compile used, atomically; when those are exactly the
// entries the file holds, it leaves the file as it is.
func (c *cache) save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dirty && len(c.usedMap) == len(c.mapped) && len(c.usedOK) == len(c.valid) {
		return nil
	}
	size := 16
	for _, v := range c.usedMap {
		size += 36 + len(v)
	}
	size += 32 * len(c.usedOK)
	body := make([]byte, 0, size)
	body = binary.LittleEndian.AppendUint64(body, uint64(len(c.usedMap)))
	for k, v := range c.usedMap {
		body = append(body, k[:]...)
		body = binary.LittleEndian.AppendUint32(body, uint32(len(v)))
		body = append(body, v...)
	}
	body = binary.LittleEndian.AppendUint64(body, uint64(len(c.usedOK)))
	for k := range c.usedOK {
		body = append(body, k[:]...)
	}
	return writeAtomic(c.path, func(f io.Writer) error {
		w := bufio.NewWriter(f)
		w.WriteString(cacheMagic)
		w.Write(c.salt[:])
		w.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(body))))
		sum := sha256.Sum256(body)
		w.Write(sum[:])
		w.Write(body)
		return w.Flush()
	})
}

// writeAtomic writes a file of pane's caches so that a reader sees the old one or the
// whole new one, never a part: a temporary file in the same directory, renamed. It is not
// synced: after a crash the file may be empty or torn, which every reader detects (the
// results cache's checksum, gzip's CRC, the memo's JSON and inputs) and treats as no
// cache; a sync would cost more than the whole compile saves on a large catalog.
func writeAtomic(path string, write func(io.Writer) error) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

func (c *cache) key(kind string, h [32]byte) [32]byte {
	x := sha256.New()
	x.Write(c.salt[:])
	x.Write([]byte(kind))
	x.Write(h[:])
	var k [32]byte
	x.Sum(k[:0])
	return k
}

// mappedResult returns a cached mapping result.
func (c *cache) mappedResult(m *mapping.Mapping, data any) (mapping.Result, [32]byte, bool) {
	k := c.key("map", m.InputHash(data))
	c.mu.Lock()
	b, ok := c.mapped[k]
	c.mu.Unlock()
	if !ok {
		return mapping.Result{}, k, false
	}
	cr, err := decodeResult(b)
	if err != nil {
		return mapping.Result{}, k, false
	}
	c.mu.Lock()
	c.usedMap[k] = b
	c.hits++
	if c.hitsBy == nil {
		c.hitsBy = map[string]int{}
	}
	c.hitsBy[m.Name]++
	c.mu.Unlock()
	res := mapping.Result{Filtered: cr.Filtered}
	for _, e := range cr.Entities {
		res.Entities = append(res.Entities, catalog.Entity(e))
	}
	return res, k, true
}

func (c *cache) storeResult(k [32]byte, res mapping.Result) {
	cr := cachedResult{Filtered: res.Filtered}
	for _, e := range res.Entities {
		cr.Entities = append(cr.Entities, map[string]any(e))
	}
	b, err := encodeResult(cr)
	if err != nil {
		return // an unencodable value is simply not cached
	}
	c.mu.Lock()
	c.usedMap[k] = b
	c.misses++
	c.dirty = true
	c.mu.Unlock()
}

// hitsOf is how many results of a mapping came from the cache.
func (c *cache) hitsOf(mapping string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hitsBy[mapping]
}

// entityHash is the hash the cache knows an entity by (none without a cache).
func entityHash(c *cache, e catalog.Entity) [32]byte {
	if c == nil {
		return [32]byte{}
	}
	return mapping.Hash(map[string]any(e))
}

// render returns the entity rendered with its relations and the file's git blob hash,
// from the cache when this exact entity (eh: mapping.Hash of it) and relations were
// rendered before. A cached render is the blob hash (20 bytes) and the file.
func (c *cache) render(e catalog.Entity, eh [32]byte, rels []catalog.Relation) ([]byte, plumbing.Hash, error) {
	if c == nil {
		b, err := catalog.Render(e, rels)
		if err != nil {
			return nil, plumbing.ZeroHash, err
		}
		return b, plumbing.ComputeHash(plumbing.BlobObject, b), nil
	}
	// The key: the entity and its relations, in one buffer.
	kb := append(make([]byte, 0, 64+48*len(rels)), eh[:]...)
	for _, r := range rels {
		kb = append(append(append(kb, 0), r.Type...), 0)
		kb = append(append(append(append(append(kb, strings.ToLower(r.TargetRef.Kind)...), ':'), strings.ToLower(r.TargetRef.Namespace)...), '/'), r.TargetRef.Name...)
	}
	k := c.key("render", sha256.Sum256(kb))
	c.mu.Lock()
	v, ok := c.mapped[k]
	if ok {
		c.usedMap[k] = v
	}
	c.mu.Unlock()
	if ok && len(v) >= len(plumbing.ZeroHash) {
		return v[len(plumbing.ZeroHash):], plumbing.Hash(v[:len(plumbing.ZeroHash)]), nil
	}
	b, err := catalog.Render(e, rels)
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	bh := plumbing.ComputeHash(plumbing.BlobObject, b)
	v = make([]byte, 0, len(bh)+len(b))
	v = append(append(v, bh[:]...), b...)
	c.mu.Lock()
	c.usedMap[k] = v
	c.dirty = true
	c.mu.Unlock()
	return b, bh, nil
}

// validated reports whether the entity whose mapping.Hash is eh passed its schema before.
func (c *cache) validated(eh [32]byte) ([32]byte, bool) {
	k := c.key("valid", eh)
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.valid[k]; ok {
		c.usedOK[k] = struct{}{}
		return k, true
	}
	return k, false
}

func (c *cache) storeValid(k [32]byte) {
	c.mu.Lock()
	c.usedOK[k] = struct{}{}
	c.dirty = true
	c.mu.Unlock()
}

// encodeResult writes a mapping result in a compact typed binary form: the exact Go
// types come back (int64 stays int64, float64 stays float64), which JSON would lose.
func encodeResult(cr cachedResult) ([]byte, error) {
	var b []byte
	if cr.Filtered {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(cr.Entities)))
	for _, e := range cr.Entities {
		var err error
		if b, err = appendValue(b, map[string]any(e)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, 'n'), nil
	case bool:
		if x {
			return append(b, 't'), nil
		}
		return append(b, 'f'), nil
	case string:
		b = append(b, 's')
		b = binary.AppendUvarint(b, uint64(len(x)))
		return append(b, x...), nil
	case int:
		return binary.AppendVarint(append(b, 'I'), int64(x)), nil
	case int64:
		return binary.AppendVarint(append(b, 'i'), x), nil
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, 'd'), math.Float64bits(x)), nil
	case []any:
		b = binary.AppendUvarint(append(b, 'l'), uint64(len(x)))
		for _, e := range x {
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[string]any:
		b = binary.AppendUvarint(append(b, 'm'), uint64(len(x)))
		for k, e := range x {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			var err error
			if b, err = appendValue(b, e); err != nil {
				return nil, err
			}
		}
		return b, nil
	}
	return nil, fmt.Errorf("cannot cache a %T", v)
}

type valueReader struct {
	b   []byte
	err error
}

func (r *valueReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errCacheFormat
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *valueReader) take(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.err = errCacheFormat
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

var errCacheFormat = errors.New("cache entry is malformed")

// interned are the strings every cached entity repeats (field names, kinds, API
// versions): decoding shares one copy of each instead of allocating it again.
var interned = func() map[string]string {
	m := map[string]string{}
	for _, s := range []string{
		"apiVersion", "kind", "metadata", "spec", "relations", "name", "namespace", "title",
		"description", "labels", "annotations", "tags", "links", "url", "icon", "type",
		"lifecycle", "owner", "system", "subcomponentOf", "providesApis", "consumesApis",
		"dependsOn", "dependencyOf", "profile", "displayName", "email", "picture", "parent",
		"children", "members", "memberOf", "domain", "subdomainOf", "definition", "target",
		"targets", "targetRef", "default", "backstage.io/v1alpha1", "backstage.io/v1beta1",
		"Component", "API", "Resource", "System", "Domain", "Group", "User", "Location",
		"service", "website", "library", "documentation", "production", "experimental",
		"deprecated", "team", "organization", "Repository", "github.com/project-slug",
	} {
		m[s] = s
	}
	return m
}()

func intern(b []byte) string {
	if s, ok := interned[string(b)]; ok {
		return s
	}
	return string(b)
}

const maxCacheDepth = 200

func (r *valueReader) value(depth int) any {
	if r.err != nil || len(r.b) == 0 || depth > maxCacheDepth {
		r.err = errCacheFormat
		return nil
	}
	tag := r.b[0]
	r.b = r.b[1:]
	switch tag {
	case 'n':
		return nil
	case 't':
		return true
	case 'f':
		return false
	case 's':
		return intern(r.take(r.uvarint()))
	case 'I', 'i':
		v, n := binary.Varint(r.b)
		if n <= 0 {
			r.err = errCacheFormat
			return nil
		}
		r.b = r.b[n:]
		if tag == 'I' {
			return int(v)
		}
		return v
	case 'd':
		b := r.take(8)
		if b == nil {
			return nil
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	case 'l':
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			r.err = errCacheFormat
			return nil
		}
		l := make([]any, 0, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			l = append(l, r.value(depth+1))
		}
		return l
	case 'm':
		n := r.uvarint()
		if n > uint64(len(r.b)) {
			r.err = errCacheFormat
			return nil
		}
		m := make(map[string]any, n)
		for i := uint64(0); i < n && r.err == nil; i++ {
			k := intern(r.take(r.uvarint()))
			m[k] = r.value(depth + 1)
		}
		return m
	}
	r.err = errCacheFormat
	return nil
}

func decodeResult(b []byte) (cachedResult, error) {
	r := &valueReader{b: b}
	var cr cachedResult
	flag := r.take(1)
	if flag == nil {
		return cr, errCacheFormat
	}
	cr.Filtered = flag[0] == 1
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		m, ok := r.value(0).(map[string]any)
		if !ok {
			return cr, errCacheFormat
		}
		cr.Entities = append(cr.Entities, m)
	}
	if r.err != nil || len(r.b) != 0 {
		return cr, errCacheFormat
	}
	return cr, nil
}
