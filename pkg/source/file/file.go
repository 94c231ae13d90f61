// Package file is the file source: records read from JSON, YAML or NDJSON files in the
// workspace, chosen by doublestar globs. Recorded API responses make a source that needs
// no network, which is what the example workspace and the benchmarks use.
package file

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

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
	name string
	root string
	cfg  Config
}

// New returns a file source named name reading paths relative to root.
func New(name, root string, cfg Config) *Source { return &Source{name: name, root: root, cfg: cfg} }

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
	seen := map[string]string{}
	for _, m := range matches {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := fs.ReadFile(fsys, m)
		if err != nil {
			return fmt.Errorf("records %q: %w", typ, err)
		}
		format := rs.Format
		if format == "" {
			format = formatOf(m)
		}
		err = Decode(m, format, data, func(where string, v any) error {
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
	switch format {
	case "ndjson":
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
		line := 0
		for sc.Scan() {
			line++
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 {
				continue
			}
			v, err := decodeJSON(b)
			if err != nil {
				return fmt.Errorf("%s:%d: %v", name, line, err)
			}
			if err := each(fmt.Sprintf("%s:%d", name, line), v); err != nil {
				return err
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("%s:%d: %v", name, line+1, err)
		}
		return nil
	case "json":
		if elems, ok := splitArray(data); ok && len(elems) >= parallelMin {
			return eachRecordParallel(name, elems, each)
		}
		v, err := decodeJSON(data)
		if err != nil {
			return fmt.Errorf("%s:%s", name, jsonErrorWhere(data, err))
		}
		return eachRecord(name, v, each)
	case "yaml":
		var v any
		if err := yaml.Unmarshal(data, &v); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		v, err := normalizeYAML(v)
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		return eachRecord(name, v, each)
	}
	return fmt.Errorf("%s: unknown format %q (json, yaml or ndjson)", name, format)
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

// splitArray returns the elements of a valid JSON array, undecoded; ok is false for
// anything else (which then takes the sequential path, with its precise errors).
func splitArray(data []byte) ([]json.RawMessage, bool) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, false
	}
	// One pass: the decoder checks each element as it cuts it out, then the closing
	// bracket and that nothing follows.
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		return nil, false
	}
	var out []json.RawMessage
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, false
		}
		out = append(out, raw)
	}
	if t, err := dec.Token(); err != nil || t != json.Delim(']') {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return out, true
}

// eachRecordParallel decodes array elements on all cores and hands them to each in
// order: decoding is most of what reading a large recorded org costs.
func eachRecordParallel(name string, elems []json.RawMessage, each func(string, any) error) error {
	vals := make([]any, len(elems))
	errs := make([]error, len(elems))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(elems); i += workers {
				vals[i], errs[i] = decodeJSON(elems[i])
			}
		}(w)
	}
	wg.Wait()
	for i, v := range vals {
		if errs[i] != nil {
			return fmt.Errorf("%s[%d]: %v", name, i, errs[i])
		}
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("%s[%d]: a record must be an object, not %s", name, i, typeName(v))
		}
		if err := each(fmt.Sprintf("%s[%d]", name, i), v); err != nil {
			return err
		}
	}
	return nil
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return source.Numbers(v), nil
}

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
