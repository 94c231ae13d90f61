package file

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/pane-dev/pane/pkg/source"
)

// This file is the reference decoder, on encoding/json and yaml.v3: what Decode gave
// before the fast path (fast.go), and what that path falls back to for anything it cannot
// vouch for. Its errors, with file, line and column, are the ones users see.

// decodeStd is Decode on encoding/json and yaml.v3, whole records only.
func decodeStd(name, format string, data []byte, each func(where string, v any) error) error {
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
