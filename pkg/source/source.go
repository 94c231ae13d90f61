// Package source defines what pane fetches from: a Source yields typed records with
// stable keys. Implementations live in sub-packages (file, and later github, http).
package source

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Record is one item fetched from a source system.
type Record struct {
	Type string // record type, e.g. "repository"; mappings select on it
	Key  string // stable key, unique per source and type
	Data any    // decoded JSON: map[string]any, []any, string, float64, bool, nil
	// Where says where the record came from, for errors: a file:line, a URL without
	// secrets, "owner/repo@sha:path".
	Where string
}

// ID is the record's identity within its source: "type:key".
func (r Record) ID() string { return r.Type + ":" + r.Key }

// Source fetches records. Fetch calls emit for every record and returns the first error
// that makes the fetch incomplete; an incomplete fetch is a failure of the source as a
// whole, and its records must not be treated as ground truth. Fetch must not panic.
type Source interface {
	Name() string
	Fetch(ctx context.Context, emit func(Record) error) error
}

// Lookup returns the value at a dotted field path (a.b.0.c) in decoded JSON.
func Lookup(data any, path string) (any, bool) {
	cur := data
	for _, part := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// KeyString renders a key value as a string: strings as-is, integral numbers without a
// decimal point. Anything else is not a usable key.
func KeyString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		if v == "" {
			return "", fmt.Errorf("key is empty")
		}
		return v, nil
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10), nil
		}
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case bool, nil:
		return "", fmt.Errorf("key is %v, not a string or number", v)
	}
	return "", fmt.Errorf("key is a %T, not a string or number", v)
}

// Numbers turns the json.Numbers of a value decoded with UseNumber into int64 where
// they are integers and float64 otherwise, in place, so that CUE sees 42 as an int, as
// the JSON says, and not as a float. Every source that decodes JSON uses it.
func Numbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = Numbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = Numbers(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
