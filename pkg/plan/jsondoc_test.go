package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// docField is one row of the field table in docs/plan-json.md.
type docField struct {
	typ      string // string, integer, object, map of object, array of X, any
	optional bool
}

// documented reads the field table of docs/plan-json.md.
func documented(t *testing.T) map[string]docField {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "docs", "plan-json.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]docField{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		cells := strings.Split(line, "|")
		if len(cells) < 5 {
			t.Fatalf("docs/plan-json.md: a row with fewer than 4 cells: %s", line)
		}
		path := strings.Trim(strings.TrimSpace(cells[1]), "`")
		presence := strings.TrimSpace(cells[3])
		if presence != "always" && presence != "optional" {
			t.Errorf("docs/plan-json.md: %s: presence %q, want always or optional", path, presence)
		}
		if _, dup := out[path]; dup {
			t.Errorf("docs/plan-json.md: %s is listed twice", path)
		}
		out[path] = docField{typ: strings.TrimSpace(cells[2]), optional: presence == "optional"}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("docs/plan-json.md has no field table")
	}
	return out
}

var timeType = reflect.TypeOf(time.Time{})

// schemaOf lists every JSON field a Go type emits, with the type the documentation
// uses for it, by the type's json tags.
func schemaOf(t reflect.Type, prefix string, out map[string]docField) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		typ, elem, sub := docType(f.Type)
		out[path] = docField{typ: typ, optional: strings.Contains(opts, "omitempty")}
		if elem != nil {
			schemaOf(elem, path+sub, out)
		}
	}
}

// docType names a Go type as the documentation does, and gives the struct to descend
// into (with the path suffix for its elements) when there is one.
func docType(t reflect.Type) (string, reflect.Type, string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return "string", nil, ""
	case t.Kind() == reflect.String:
		return "string", nil, ""
	case t.Kind() == reflect.Int, t.Kind() == reflect.Int64:
		return "integer", nil, ""
	case t.Kind() == reflect.Bool:
		return "boolean", nil, ""
	case t.Kind() == reflect.Interface:
		return "any", nil, ""
	case t.Kind() == reflect.Struct:
		return "object", t, ""
	case t.Kind() == reflect.Slice:
		et, st, _ := docType(t.Elem())
		return "array of " + et, st, "[]"
	case t.Kind() == reflect.Map:
		et, st, _ := docType(t.Elem())
		return "map of " + et, st, ".*"
	}
	return "unknown " + t.String(), nil, ""
}

// TestJSONDocumented: every field the JSON form can have is in docs/plan-json.md with
// its type and presence, and the documentation lists nothing pane does not emit.
func TestJSONDocumented(t *testing.T) {
	doc := documented(t)
	code := map[string]docField{}
	schemaOf(reflect.TypeOf(Plan{}), "", code)
	var paths []string
	for p := range code {
		paths = append(paths, p)
	}
	for p := range doc {
		if _, ok := code[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	for _, p := range paths {
		c, inCode := code[p]
		d, inDoc := doc[p]
		switch {
		case !inDoc:
			t.Errorf("pkg/plan emits %s (%s) but docs/plan-json.md does not document it", p, c.typ)
		case !inCode:
			t.Errorf("docs/plan-json.md documents %s, which pkg/plan does not emit", p)
		case c.typ != d.typ:
			t.Errorf("%s: documented as %q, emitted as %q", p, d.typ, c.typ)
		case c.optional != d.optional:
			t.Errorf("%s: documented optional=%v, emitted optional=%v", p, d.optional, c.optional)
		}
	}
}

// TestJSONMatchesDocumentation emits a plan that uses every field and checks each value
// against the documented path, type and presence.
func TestJSONMatchesDocumentation(t *testing.T) {
	doc := documented(t)
	p := sample(t).diff(t)
	p.Changes = append(p.Changes, Change{Op: Changed, Ref: "component:default/x", Path: "component/default/x.yaml", Sources: []string{"github"},
		Fields: []FieldChange{
			{Path: "spec.owner", Old: "a", New: "b"},
			{Path: "metadata.tags", Added: []any{"x"}, Removed: []any{"y"}},
			{Path: "spec.depth", Old: map[string]any{"n": 1}, New: []any{1.5}},
		}})
	p.SetStatus("github", &SourceStatus{Failed: "boom", Kept: []string{"component:default/gone"}})
	p.SetStatus("declared", &SourceStatus{Blocked: "would delete 2 of its 3 entities"})
	p.SetCached("github", Cached{Fetched: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), AgeSeconds: 7200, Records: 48})
	var buf bytes.Buffer
	if err := p.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var v any
	dec := json.NewDecoder(&buf)
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	checkJSON(t, doc, "", v, seen)
	for path, d := range doc {
		if !seen[path] {
			t.Errorf("%s (%s) is documented but this plan, which should use every field, has none", path, d.typ)
		}
	}
}

// checkJSON checks an emitted object's fields against the documentation, recursively.
func checkJSON(t *testing.T, doc map[string]docField, prefix string, v any, seen map[string]bool) {
	t.Helper()
	obj, ok := v.(map[string]any)
	if !ok {
		t.Errorf("%s: not an object: %v", prefix, v)
		return
	}
	for path, d := range doc {
		// A field of this object that must always be there.
		if parent, name, ok := cutLast(path); ok && parent == templ(prefix) && !d.optional {
			if _, has := obj[name]; !has {
				t.Errorf("%s.%s is documented as always present, but is missing", prefix, name)
			}
		}
	}
	for k, val := range obj {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		d, ok := doc[templ(path)]
		if !ok {
			t.Errorf("%s is emitted but not documented", templ(path))
			continue
		}
		seen[templ(path)] = true
		if err := matches(d.typ, val); err != nil {
			t.Errorf("%s: %v", templ(path), err)
			continue
		}
		switch {
		case d.typ == "object":
			checkJSON(t, doc, path, val, seen)
		case d.typ == "map of object":
			for key, e := range val.(map[string]any) {
				checkJSON(t, doc, path+".\x00"+key, e, seen)
			}
		case d.typ == "array of object":
			for _, e := range val.([]any) {
				checkJSON(t, doc, path+"[]", e, seen)
			}
		}
	}
}

// templ turns a concrete path into the documentation's: map keys (marked by a NUL in
// checkJSON) become *.
func templ(path string) string {
	parts := strings.Split(path, ".")
	for i, p := range parts {
		if strings.HasPrefix(p, "\x00") {
			parts[i] = "*"
		}
	}
	return strings.Join(parts, ".")
}

func cutLast(path string) (string, string, bool) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return "", path, true
	}
	return path[:i], path[i+1:], true
}

// matches checks a decoded JSON value against a documented type.
func matches(typ string, v any) error {
	if elem, ok := strings.CutPrefix(typ, "array of "); ok {
		l, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%v is not an array", v)
		}
		for _, e := range l {
			if err := matches(elem, e); err != nil {
				return err
			}
		}
		return nil
	}
	if elem, ok := strings.CutPrefix(typ, "map of "); ok {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%v is not an object", v)
		}
		for _, e := range m {
			if err := matches(elem, e); err != nil {
				return err
			}
		}
		return nil
	}
	ok := false
	switch typ {
	case "any":
		ok = true
	case "string":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "object":
		_, ok = v.(map[string]any)
	case "integer":
		if n, isNum := v.(json.Number); isNum {
			f, err := n.Float64()
			ok = err == nil && f == math.Trunc(f)
		}
	}
	if !ok {
		return fmt.Errorf("%v (%T) is not a %s", v, v, typ)
	}
	return nil
}
