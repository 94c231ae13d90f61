package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pane-dev/pane/pkg/source"
)

// DecodeJSON decodes one JSON value, numbers as int64 where integral and float64
// otherwise (as the file source does, so CUE sees 42 as an int). A syntax error names
// its line and column; data after the value is an error.
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the body is empty, expected a JSON value")
		}
		return nil, errors.New(jsonErrorWhere(b, err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New(jsonErrorWhere(b, fmt.Errorf("unexpected data after the JSON value at offset %d", dec.InputOffset())))
	}
	return source.Numbers(v), nil
}

// jsonErrorWhere puts the line and column of a JSON syntax error in front of it.
func jsonErrorWhere(data []byte, err error) string {
	var se *json.SyntaxError
	off := int64(-1)
	if errors.As(err, &se) {
		off = se.Offset
	}
	if off < 0 {
		return err.Error()
	}
	off = min(off, int64(len(data)))
	if off > 0 {
		off-- // Offset counts the bytes read, the offending one included.
	}
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// Items finds the records' array in a decoded page: at the dotted path, or the page
// itself for "".
func Items(page any, path string) ([]any, error) {
	if path == "" {
		l, ok := page.([]any)
		if !ok {
			return nil, fmt.Errorf("the page is %s, expected an array of records (or set items to where the array is)", typeName(page))
		}
		return l, nil
	}
	cur := page
	parts := strings.Split(path, ".")
	for i, part := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			at := "the page"
			if i > 0 {
				at = fmt.Sprintf("%q", strings.Join(parts[:i], "."))
			}
			return nil, fmt.Errorf("%s is %s, expected an object with %q (items: %q)", at, typeName(cur), part, path)
		}
		v, ok := m[part]
		if !ok {
			return nil, fmt.Errorf("no %q in the page, expected the records' array there (fields present: %s)", strings.Join(parts[:i+1], "."), fieldList(m))
		}
		cur = v
	}
	l, ok := cur.([]any)
	if !ok {
		return nil, fmt.Errorf("%q is %s, expected an array of records", path, typeName(cur))
	}
	return l, nil
}

func fieldList(m map[string]any) string {
	if len(m) == 0 {
		return "none"
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	if len(ks) > 10 {
		ks = append(ks[:10], "…")
	}
	return strings.Join(ks, ", ")
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64, int64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	}
	return "an object"
}

// NextLink finds the target of rel="next" in Link header values (RFC 8288):
// `<https://api/x?page=2>; rel="next", <...>; rel="last"`. rel may list several
// relation types; matching is case-insensitive.
func NextLink(values []string) (string, bool) {
	for _, v := range values {
		for rest := v; ; {
			rest = strings.TrimLeft(rest, " \t,")
			if !strings.HasPrefix(rest, "<") {
				break
			}
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				break
			}
			target := rest[1:end]
			rest = rest[end+1:]
			// Parameters up to the next link: a comma outside quotes.
			params, next := splitLinkParams(rest)
			rest = next
			for _, p := range params {
				name, val, _ := strings.Cut(p, "=")
				if !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				val = strings.Trim(strings.TrimSpace(val), `"`)
				for _, r := range strings.Fields(val) {
					if strings.EqualFold(r, "next") {
						return target, true
					}
				}
			}
		}
	}
	return "", false
}

// splitLinkParams reads ";param=value" pairs up to a comma outside quotes and returns
// them and the rest after the comma.
func splitLinkParams(s string) ([]string, string) {
	var params []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			inQuote = !inQuote
			cur.WriteByte(c)
		case c == '\\' && inQuote && i+1 < len(s):
			cur.WriteByte(s[i+1])
			i++
		case c == ';' && !inQuote:
			if p := strings.TrimSpace(cur.String()); p != "" {
				params = append(params, p)
			}
			cur.Reset()
		case c == ',' && !inQuote:
			if p := strings.TrimSpace(cur.String()); p != "" {
				params = append(params, p)
			}
			return params, s[i+1:]
		default:
			cur.WriteByte(c)
		}
	}
	if p := strings.TrimSpace(cur.String()); p != "" {
		params = append(params, p)
	}
	return params, ""
}
