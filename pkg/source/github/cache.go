package github

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/pane-dev/pane/pkg/secret"
)

// httpCache remembers GitHub's responses by request, with the validators (ETag,
// Last-Modified) that make the next request for them conditional.
//
// It is one file, read whole when first needed and written whole (atomically, by a
// rename) after a complete fetch, holding the entries that fetch used: what it no
// longer asked for (a deleted repository's, a departed member's) is gone with it, and
// a failed fetch leaves the file as it was. One file and not one per response: creating
// thousands of small files costs seconds.
//
// Nothing of a request's headers is stored, so no credential can be: the key is the
// method, URL and Accept header, and a body that contains a credential is not stored.
type httpCache struct {
	path    string
	secrets func() []secret.Secret

	mu     sync.Mutex
	loaded bool
	old    map[string]*cacheEntry // the file's entries
	used   map[string]*cacheEntry // entries this fetch read or stored
	dirty  bool
}

// cacheEntry is one remembered response.
type cacheEntry struct {
	Key          string `json:"key"`
	URL          string `json:"url"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	ContentType  string `json:"content_type,omitempty"`
	Link         string `json:"link,omitempty"`
	Body         []byte `json:"-"`
}

const cacheMagic = "pane github cache 1\n"

func newHTTPCache(path string, secrets func() []secret.Secret) *httpCache {
	return &httpCache{path: path, secrets: secrets, used: map[string]*cacheEntry{}}
}

func cacheKey(method, url, accept string) string {
	sum := sha256.Sum256([]byte(method + " " + url + "\n" + accept))
	return hex.EncodeToString(sum[:])
}

// load reads the file once. A missing, foreign or damaged file is an empty cache.
func (c *httpCache) load() {
	if c.loaded {
		return
	}
	c.loaded = true
	c.old = map[string]*cacheEntry{}
	b, err := os.ReadFile(c.path)
	if err != nil || !bytes.HasPrefix(b, []byte(cacheMagic)) {
		return
	}
	entries := map[string]*cacheEntry{}
	b = b[len(cacheMagic):]
	next := func() ([]byte, bool) {
		if len(b) < 4 {
			return nil, false
		}
		n := binary.BigEndian.Uint32(b)
		if uint64(len(b)-4) < uint64(n) {
			return nil, false
		}
		part := b[4 : 4+n]
		b = b[4+n:]
		return part, true
	}
	for len(b) > 0 {
		meta, ok1 := next()
		body, ok2 := next()
		var e cacheEntry
		if !ok1 || !ok2 || json.Unmarshal(meta, &e) != nil || e.Key == "" {
			return // damaged: start afresh
		}
		e.Body = body
		entries[e.Key] = &e
	}
	c.old = entries
}

// get returns the entry stored under key, and keeps it for the next file.
func (c *httpCache) get(key string) (*cacheEntry, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.used[key]; ok {
		return e, true
	}
	c.load()
	e, ok := c.old[key]
	if ok {
		c.used[key] = e
	}
	return e, ok
}

// put stores an entry, unless its body holds a credential.
func (c *httpCache) put(key string, e *cacheEntry) {
	if c == nil {
		return
	}
	if c.secrets != nil {
		for _, s := range c.secrets() {
			if v := s.Reveal(); v != "" && (bytes.Contains(e.Body, []byte(v)) || strings.Contains(e.URL, v)) {
				return
			}
		}
	}
	e.Key = key
	c.mu.Lock()
	defer c.mu.Unlock()
	c.used[key] = e
	c.dirty = true
}

// save writes the entries this fetch used, if they differ from the file's. Call it
// after a complete fetch only.
func (c *httpCache) save() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if !c.dirty && len(c.used) == len(c.old) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.path), ".cache-*")
	if err != nil {
		return err
	}
	err = c.write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing the cache: %w", err)
	}
	c.old, c.used, c.dirty = c.used, map[string]*cacheEntry{}, false
	return nil
}

func (c *httpCache) write(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(cacheMagic)
	var n [4]byte
	part := func(b []byte) {
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		bw.Write(n[:])
		bw.Write(b)
	}
	for _, e := range c.used {
		meta, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if uint64(len(e.Body)) > 1<<32-1 {
			return errors.New("a response too large to cache")
		}
		part(meta)
		part(e.Body)
	}
	return bw.Flush()
}
