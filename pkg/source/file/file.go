// Package file is the file source: records read from JSON, YAML or NDJSON files in the
// workspace, chosen by doublestar globs. Recorded API responses make a source that needs
// no network, which is what the example workspace and the benchmarks use.
package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/pane-dev/pane/pkg/source"
)

// RecordSet says where one record type is and which field is its key.
type RecordSet struct {
	Path   string `json:"path"`   // doublestar glob relative to the workspace
	Key    string `json:"key"`    // dotted field path of the key
	Format string `json:"format"` // json, yaml or ndjson; empty: from the extension
}

// Config is a file source's configuration.
type Config struct {
	Records map[string]RecordSet `json:"records"`
}

// Source reads records from files under a root directory.
type Source struct {
	name   string
	root   string
	cfg    Config
	fields map[string]*source.Fields // by record type; absent: whole records
	fp     fingerprint               // what Fetch read, when asked (fingerprint.go)
}

// New returns a file source named name reading paths relative to root.
func New(name, root string, cfg Config) *Source { return &Source{name: name, root: root, cfg: cfg} }

// Project says which part of each record type is read downstream: Fetch then decodes
// only that part, plus the type's key path, and a record's Data is exactly
// source.Project(whole record, fields[type] with the key path). A type absent from fields
// is decoded whole, as it is before Project is called. Call it before Fetch, not during.
func (s *Source) Project(fields map[string]*source.Fields) { s.fields = fields }

// Name returns the source's name.
func (s *Source) Name() string { return s.name }

// Fetch reads every configured record type, in sorted type order and sorted file order,
// so records come out in the same order every time. A key seen twice is an error.
func (s *Source) Fetch(ctx context.Context, emit func(source.Record) error) error {
	types := make([]string, 0, len(s.cfg.Records))
	for t := range s.cfg.Records {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, typ := range types {
		rs := s.cfg.Records[typ]
		if err := s.fetchType(ctx, typ, rs, emit); err != nil {
			return err
		}
	}
	return nil
}

func (s *Source) fetchType(ctx context.Context, typ string, rs RecordSet, emit func(source.Record) error) error {
	if !doublestar.ValidatePattern(rs.Path) {
		return fmt.Errorf("records %q: path %q is not a valid glob", typ, rs.Path)
	}
	if filepath.IsAbs(rs.Path) || strings.HasPrefix(rs.Path, "../") || rs.Path == ".." {
		return fmt.Errorf("records %q: path %q must stay inside the workspace", typ, rs.Path)
	}
	// An os.Root, not os.DirFS: a symlink in the workspace must not lead out of it.
	root, err := os.OpenRoot(s.root)
	if err != nil {
		return fmt.Errorf("records %q: %w", typ, err)
	}
	defer root.Close()
	fsys := root.FS()
	matches, err := doublestar.Glob(fsys, rs.Path, doublestar.WithFilesOnly())
	if err != nil {
		return fmt.Errorf("records %q: %w", typ, err)
	}
	if len(matches) == 0 {
		return fmt.Errorf("records %q: no file matches %q", typ, rs.Path)
	}
	sort.Strings(matches)
	s.fp.recordSet(typ, rs, len(matches))
	var keep *source.Fields // nil: whole records
	if f, ok := s.fields[typ]; ok {
		keep = f.With(strings.Split(rs.Key, "."))
	}
	seen := map[string]string{}
	for _, m := range matches {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := fs.ReadFile(fsys, m)
		if err != nil {
			return fmt.Errorf("records %q: %w", typ, err)
		}
		// The fingerprint of the file is taken while it is decoded, not before: hashing
		// hundreds of megabytes is a good part of a second.
		hashed := make(chan struct{})
		go func() {
			defer close(hashed)
			s.fp.field([]byte(m))
			s.fp.raw(data)
			s.fp.num(int64(len(data)))
		}()
		format := rs.Format
		if format == "" {
			format = formatOf(m)
		}
		err = decode(m, format, data, keep, func(where string, v any) error {
			kv, ok := source.Lookup(v, rs.Key)
			if !ok {
				return fmt.Errorf("%s: record has no key field %q", where, rs.Key)
			}
			key, err := source.KeyString(kv)
			if err != nil {
				return fmt.Errorf("%s: key field %q: %v", where, rs.Key, err)
			}
			if prev, dup := seen[key]; dup {
				return fmt.Errorf("%s: duplicate %s key %q (first at %s)", where, typ, key, prev)
			}
			seen[key] = where
			return emit(source.Record{Type: typ, Key: key, Data: v, Where: where})
		})
		<-hashed // the next file's fingerprint follows this one's
		if err != nil {
			return fmt.Errorf("records %q: %w", typ, err)
		}
	}
	return nil
}

func formatOf(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml":
		return "yaml"
	case ".ndjson", ".jsonl":
		return "ndjson"
	}
	return "json"
}

// Decode parses one file's records: a JSON or YAML value that is one record (an object)
// or an array of them, or NDJSON with one record per line. where passed to each gives the
// file and the line (NDJSON) or array index.
func Decode(name, format string, data []byte, each func(where string, v any) error) error {
	return decode(name, format, data, nil, each)
}

func eachRecord(name string, v any, each func(string, any) error) error {
	switch v := v.(type) {
	case []any:
		for i, r := range v {
			if _, ok := r.(map[string]any); !ok {
				return fmt.Errorf("%s[%d]: a record must be an object, not %s", name, i, typeName(r))
			}
			if err := each(fmt.Sprintf("%s[%d]", name, i), r); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		return each(name, v)
	}
	return fmt.Errorf("%s: expected an object or an array of objects, found %s", name, typeName(v))
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64, int64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	}
	return "an object"
}

// parallelMin is the array length from which records are decoded on all cores.
const parallelMin = 256

// jsonErrorWhere puts the line and column of a JSON syntax error in front of it.
func jsonErrorWhere(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return " " + err.Error()
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	// Offset counts the bytes read, the offending one included.
	if off > 0 {
		off--
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("%d:%d: %v", line, col, err)
}

// normalizeYAML turns yaml.v3's decoded values into JSON-like ones.
func normalizeYAML(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			n, err := normalizeYAML(x)
			if err != nil {
				return nil, err
			}
			v[k] = n
		}
		return v, nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("mapping key %v is not a string", k)
			}
			n, err := normalizeYAML(x)
			if err != nil {
				return nil, err
			}
			m[ks] = n
		}
		return m, nil
	case []any:
		for i, x := range v {
			n, err := normalizeYAML(x)
			if err != nil {
				return nil, err
			}
			v[i] = n
		}
		return v, nil
	case int:
		return int64(v), nil // as decodeJSON gives integers, so CUE sees an int either way
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), nil
		}
		return float64(v), nil
	}
	return v, nil
}
