package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pane-dev/pane/pkg/source"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fetch runs a file source over files and returns "type key where" per record.
func fetch(t *testing.T, files map[string]string, records map[string]RecordSet) ([]source.Record, error) {
	t.Helper()
	s := New("recs", writeFiles(t, files), Config{Records: records})
	var got []source.Record
	err := s.Fetch(context.Background(), func(r source.Record) error {
		got = append(got, r)
		return nil
	})
	return got, err
}

func summary(recs []source.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Type+" "+r.Key+" "+r.Where)
	}
	return out
}

func TestFetch(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		records map[string]RecordSet
		want    []string
	}{
		{
			name:    "JSON array",
			files:   map[string]string{"r/repos.json": `[{"id": "a"}, {"id": "b"}]`},
			records: map[string]RecordSet{"repo": {Path: "r/repos.json", Key: "id"}},
			want:    []string{"repo a r/repos.json[0]", "repo b r/repos.json[1]"},
		},
		{
			name:    "single JSON object per file",
			files:   map[string]string{"r/a.json": `{"id": "a"}`, "r/b.json": `{"id": "b"}`},
			records: map[string]RecordSet{"repo": {Path: "r/*.json", Key: "id"}},
			want:    []string{"repo a r/a.json", "repo b r/b.json"},
		},
		{
			name:    "YAML",
			files:   map[string]string{"r/teams.yaml": "- slug: core\n  size: 3\n- slug: web\n", "r/one.yml": "slug: solo\n"},
			records: map[string]RecordSet{"team": {Path: "r/*.{yaml,yml}", Key: "slug"}},
			want:    []string{"team solo r/one.yml", "team core r/teams.yaml[0]", "team web r/teams.yaml[1]"},
		},
		{
			name:    "NDJSON with blank lines",
			files:   map[string]string{"r/users.ndjson": "{\"login\": \"a\"}\n\n  \n{\"login\": \"b\"}\r\n{\"login\": \"c\"}"},
			records: map[string]RecordSet{"user": {Path: "r/users.ndjson", Key: "login"}},
			want:    []string{"user a r/users.ndjson:1", "user b r/users.ndjson:4", "user c r/users.ndjson:5"},
		},
		{
			name:    "JSONL extension and explicit format",
			files:   map[string]string{"r/u.jsonl": "{\"k\": 1}\n", "r/v.txt": "{\"k\": 2}\n{\"k\": 3}\n"},
			records: map[string]RecordSet{"a": {Path: "r/u.jsonl", Key: "k"}, "b": {Path: "r/v.txt", Key: "k", Format: "ndjson"}},
			want:    []string{"a 1 r/u.jsonl:1", "b 2 r/v.txt:1", "b 3 r/v.txt:2"},
		},
		{
			name:    "dotted key path into objects and arrays",
			files:   map[string]string{"r.json": `[{"meta": {"ids": [{"v": "x1"}]}}, {"meta": {"ids": [{"v": "x2"}]}}]`},
			records: map[string]RecordSet{"t": {Path: "r.json", Key: "meta.ids.0.v"}},
			want:    []string{"t x1 r.json[0]", "t x2 r.json[1]"},
		},
		{
			name:    "numeric keys",
			files:   map[string]string{"r.json": `[{"id": 42}, {"id": 9007199254740993}, {"id": 1.5}, {"id": -3}, {"id": 1e3}]`, "r.yaml": "- id: 7\n- id: 2.25\n"},
			records: map[string]RecordSet{"j": {Path: "r.json", Key: "id"}, "y": {Path: "r.yaml", Key: "id"}},
			want:    []string{"j 42 r.json[0]", "j 9007199254740993 r.json[1]", "j 1.5 r.json[2]", "j -3 r.json[3]", "j 1000 r.json[4]", "y 7 r.yaml[0]", "y 2.25 r.yaml[1]"},
		},
		{
			name: "types in sorted order, files in sorted order",
			files: map[string]string{
				"b/2.json": `{"id": "b2"}`, "b/10.json": `{"id": "b10"}`, "b/1.json": `{"id": "b1"}`,
				"a/z.json": `{"id": "az"}`, "a/sub/y.json": `{"id": "ay"}`,
			},
			records: map[string]RecordSet{"zeta": {Path: "b/*.json", Key: "id"}, "alpha": {Path: "a/**/*.json", Key: "id"}},
			want:    []string{"alpha ay a/sub/y.json", "alpha az a/z.json", "zeta b1 b/1.json", "zeta b10 b/10.json", "zeta b2 b/2.json"},
		},
		{
			name:    "same key in two types is fine",
			files:   map[string]string{"a.json": `{"id": "x"}`, "b.json": `{"id": "x"}`},
			records: map[string]RecordSet{"a": {Path: "a.json", Key: "id"}, "b": {Path: "b.json", Key: "id"}},
			want:    []string{"a x a.json", "b x b.json"},
		},
		{
			name:    "directories are not files",
			files:   map[string]string{"r/d.json/x.json": `{"id": "x"}`},
			records: map[string]RecordSet{"t": {Path: "r/*.json", Key: "id"}},
			want:    nil, // no files: an error, checked below
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fetch(t, tt.files, tt.records)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Fetch = %v, want an error", summary(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if s := summary(got); !reflect.DeepEqual(s, tt.want) {
				t.Errorf("records:\n got %q\nwant %q", s, tt.want)
			}
		})
	}
}

func TestFetchData(t *testing.T) {
	got, err := fetch(t, map[string]string{
		"r.json": `{"id": "a", "n": 3, "f": 0.5, "ok": true, "none": null, "list": [1, "x"], "obj": {"k": "v"}}`,
		"r.yaml": "id: b\nn: 3\nf: 0.5\nok: true\nnone: ~\nlist: [1, x]\nobj: {k: v}\n",
	}, map[string]RecordSet{"j": {Path: "r.json", Key: "id"}, "y": {Path: "r.yaml", Key: "id"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("records: %v", summary(got))
	}
	for _, r := range got {
		m, ok := r.Data.(map[string]any)
		if !ok {
			t.Fatalf("%s: data is %T", r.Where, r.Data)
		}
		if num(m["n"]) != 3 || num(m["f"]) != 0.5 || m["ok"] != true || m["none"] != nil {
			t.Errorf("%s: scalars %#v", r.Where, m)
		}
		if _, isFloat := m["f"].(float64); !isFloat {
			t.Errorf("%s: f is %T, want float64", r.Where, m["f"])
		}
		l, ok := m["list"].([]any)
		if !ok || len(l) != 2 || num(l[0]) != 1 || l[1] != "x" {
			t.Errorf("%s: list %#v", r.Where, m["list"])
		}
		if o, ok := m["obj"].(map[string]any); !ok || o["k"] != "v" {
			t.Errorf("%s: obj %#v", r.Where, m["obj"])
		}
		if r.ID() != r.Type+":"+r.Key {
			t.Errorf("ID() = %q", r.ID())
		}
	}
	// The JSON and the YAML say the same thing, and decode to the same values.
	if !reflect.DeepEqual(without(got[0].Data, "id"), without(got[1].Data, "id")) {
		t.Errorf("JSON and YAML differ:\n%#v\n%#v", got[0].Data, got[1].Data)
	}
}

func num(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	case int:
		return float64(v)
	}
	return -1
}

func without(v any, key string) map[string]any {
	m := map[string]any{}
	for k, x := range v.(map[string]any) {
		if k != key {
			m[k] = x
		}
	}
	return m
}

func TestFetchErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		records map[string]RecordSet
		want    []string // substrings of the error
	}{
		{"missing key", map[string]string{"r.json": `[{"id": "a"}, {"name": "b"}]`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{`records "repo"`, `r.json[1]: record has no key field "id"`}},
		{"missing dotted key", map[string]string{"r.json": `{"meta": {}}`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "meta.id"}},
			[]string{`r.json: record has no key field "meta.id"`}},
		{"null key", map[string]string{"r.ndjson": "{\"id\": \"a\"}\n{\"id\": null}\n"},
			map[string]RecordSet{"repo": {Path: "r.ndjson", Key: "id"}},
			[]string{`r.ndjson:2: key field "id"`}},
		{"empty key", map[string]string{"r.json": `[{"id": ""}]`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{`r.json[0]: key field "id"`, "empty"}},
		{"object key", map[string]string{"r.json": `[{"id": {"a": 1}}]`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{`r.json[0]: key field "id"`}},
		{"duplicate key in one file", map[string]string{"r.json": `[{"id": "a"}, {"id": "b"}, {"id": "a"}]`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{`r.json[2]: duplicate repo key "a" (first at r.json[0])`}},
		{"duplicate key across files", map[string]string{"a.json": `{"id": "x"}`, "b.ndjson": "{}\n" + `{"id": "x"}` + "\n"},
			map[string]RecordSet{"repo": {Path: "*.{json,ndjson}", Key: "id"}},
			[]string{"b.ndjson:1"}},
		{"duplicate numeric key", map[string]string{"a.json": `[{"id": 1}, {"id": 1.0}]`},
			map[string]RecordSet{"repo": {Path: "a.json", Key: "id"}},
			[]string{`a.json[1]: duplicate repo key "1" (first at a.json[0])`}},
		{"malformed JSON", map[string]string{"r.json": "[\n  {\"id\": \"a\"},\n  {\"id\" \"b\"}\n]"},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{"r.json:3:9: "}},
		{"truncated JSON", map[string]string{"r.json": "[{\"id\": \"a\"}"},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{"r.json:"}},
		{"trailing data", map[string]string{"r.json": `{"id": "a"} {"id": "b"}`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{"r.json", "after the JSON value"}},
		{"malformed NDJSON line", map[string]string{"r.ndjson": "{\"id\": \"a\"}\n\n{\"id\": }\n"},
			map[string]RecordSet{"repo": {Path: "r.ndjson", Key: "id"}},
			[]string{"r.ndjson:3: "}},
		{"malformed YAML", map[string]string{"r.yaml": "- id: a\n- id: [\n"},
			map[string]RecordSet{"repo": {Path: "r.yaml", Key: "id"}},
			[]string{"r.yaml: ", "line"}},
		{"YAML alias bomb", map[string]string{"r.yaml": aliasBomb()},
			map[string]RecordSet{"repo": {Path: "r.yaml", Key: "id"}},
			[]string{"r.yaml: "}},
		{"YAML non-string key", map[string]string{"r.yaml": "- id: a\n  1: x\n"},
			map[string]RecordSet{"repo": {Path: "r.yaml", Key: "id"}},
			[]string{"r.yaml: mapping key 1 is not a string"}},
		{"array of scalars", map[string]string{"r.json": `[{"id": "a"}, 3]`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{"r.json[1]: a record must be an object, not a number"}},
		{"scalar file", map[string]string{"r.json": `"just a string"`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id"}},
			[]string{"r.json: expected an object or an array of objects, found a string"}},
		{"NDJSON array line", map[string]string{"r.ndjson": "[1, 2]\n"},
			map[string]RecordSet{"repo": {Path: "r.ndjson", Key: "id"}},
			[]string{"r.ndjson:1"}},
		{"unknown format", map[string]string{"r.json": `{}`},
			map[string]RecordSet{"repo": {Path: "r.json", Key: "id", Format: "xml"}},
			[]string{`unknown format "xml"`}},
		{"glob matches nothing", map[string]string{"r.json": `{}`},
			map[string]RecordSet{"repo": {Path: "records/*.json", Key: "id"}},
			[]string{`records "repo": no file matches "records/*.json"`}},
		{"invalid glob", map[string]string{"r.json": `{}`},
			map[string]RecordSet{"repo": {Path: "r[.json", Key: "id"}},
			[]string{"not a valid glob"}},
		{"parent path", nil, map[string]RecordSet{"repo": {Path: "../x.json", Key: "id"}},
			[]string{"must stay inside the workspace"}},
		{"parent dir", nil, map[string]RecordSet{"repo": {Path: "..", Key: "id"}},
			[]string{"must stay inside the workspace"}},
		{"absolute path", nil, map[string]RecordSet{"repo": {Path: "/etc/passwd", Key: "id"}},
			[]string{"must stay inside the workspace"}},
		{"parent in the middle", map[string]string{"a/x.json": `{"id": "a"}`}, map[string]RecordSet{"repo": {Path: "a/../../x.json", Key: "id"}},
			[]string{`records "repo"`}},
		{"first type's error stops the fetch", map[string]string{"a.json": `{}`, "b.json": `{"id": "b"}`},
			map[string]RecordSet{"a": {Path: "a.json", Key: "id"}, "b": {Path: "b.json", Key: "id"}},
			[]string{`records "a"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := fetch(t, tt.files, tt.records)
			if err == nil {
				t.Fatal("Fetch succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// A symlink inside the workspace that points outside it must not be followed.
func TestFetchSymlinkEscape(t *testing.T) {
	outside := writeFiles(t, map[string]string{"secret.json": `{"id": "secret"}`})
	dir := writeFiles(t, map[string]string{"records/ok.json": `{"id": "ok"}`})
	if err := os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(dir, "records", "link.json")); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "records", "linkdir")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"records/link.json", "records/*.json", "records/linkdir/secret.json", "records/**/*.json"} {
		s := New("recs", dir, Config{Records: map[string]RecordSet{"t": {Path: path, Key: "id"}}})
		var keys []string
		err := s.Fetch(context.Background(), func(r source.Record) error {
			keys = append(keys, r.Key)
			return nil
		})
		for _, k := range keys {
			if k == "secret" {
				t.Errorf("path %q: read a file outside the workspace through a symlink", path)
			}
		}
		if err == nil && path == "records/link.json" {
			t.Errorf("path %q: no error for a link out of the workspace", path)
		}
	}
}

func TestFetchEmitError(t *testing.T) {
	dir := writeFiles(t, map[string]string{"r.json": `[{"id": "a"}, {"id": "b"}, {"id": "c"}]`})
	s := New("recs", dir, Config{Records: map[string]RecordSet{"t": {Path: "r.json", Key: "id"}}})
	stop := errors.New("stop")
	n := 0
	err := s.Fetch(context.Background(), func(r source.Record) error {
		n++
		if r.Key == "b" {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Fetch = %v, want the emit error", err)
	}
	if n != 2 {
		t.Errorf("emit called %d times, want 2", n)
	}
}

func TestFetchCancelled(t *testing.T) {
	files := map[string]string{}
	for i := range 5 {
		files[fmt.Sprintf("r/%d.json", i)] = fmt.Sprintf(`{"id": "%d"}`, i)
	}
	dir := writeFiles(t, files)
	s := New("recs", dir, Config{Records: map[string]RecordSet{"t": {Path: "r/*.json", Key: "id"}}})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	err := s.Fetch(ctx, func(source.Record) error { n++; return nil })
	if !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("Fetch on a cancelled context = %v after %d records", err, n)
	}

	// Cancelled part way: the fetch stops and says so.
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	n = 0
	err = s.Fetch(ctx, func(source.Record) error {
		n++
		if n == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch cancelled part way = %v, want context.Canceled", err)
	}
	if n >= 5 {
		t.Errorf("Fetch went on after the cancel: %d records", n)
	}
}

// Fetching twice gives the same records in the same order.
func TestFetchDeterministic(t *testing.T) {
	files := map[string]string{}
	records := map[string]RecordSet{}
	for i := range 20 {
		files[fmt.Sprintf("t%d/%02d.json", i%4, i)] = fmt.Sprintf(`[{"id": "%d-a"}, {"id": "%d-b"}]`, i, i)
		records[fmt.Sprintf("type%d", i%4)] = RecordSet{Path: fmt.Sprintf("t%d/*.json", i%4), Key: "id"}
	}
	dir := writeFiles(t, files)
	var first []string
	for run := range 10 {
		s := New("recs", dir, Config{Records: records})
		var got []string
		if err := s.Fetch(context.Background(), func(r source.Record) error {
			got = append(got, r.ID()+"@"+r.Where)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			first = got
			if len(first) != 40 {
				t.Fatalf("got %d records, want 40", len(first))
			}
			continue
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("run %d differs", run)
		}
	}
}

func TestName(t *testing.T) {
	if got := New("github", t.TempDir(), Config{}).Name(); got != "github" {
		t.Errorf("Name() = %q", got)
	}
	// No record types: nothing to do, no error.
	if err := New("x", t.TempDir(), Config{}).Fetch(context.Background(), func(source.Record) error {
		t.Error("emit called")
		return nil
	}); err != nil {
		t.Errorf("Fetch with no records = %v", err)
	}
}

func TestDecodeWhere(t *testing.T) {
	tests := []struct {
		format, data string
		want         []string
	}{
		{"json", `[{}, {}]`, []string{"f[0]", "f[1]"}},
		{"json", `{}`, []string{"f"}},
		{"json", `[]`, nil},
		{"yaml", "- {}\n- {}\n", []string{"f[0]", "f[1]"}},
		{"yaml", "a: 1\n", []string{"f"}},
		{"ndjson", "{}\n\n{}\n", []string{"f:1", "f:3"}},
		{"ndjson", "", nil},
	}
	for _, tt := range tests {
		var got []string
		err := Decode("f", tt.format, []byte(tt.data), func(where string, v any) error {
			got = append(got, where)
			return nil
		})
		if err != nil {
			t.Errorf("Decode(%s, %q): %v", tt.format, tt.data, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Decode(%s, %q) places %q, want %q", tt.format, tt.data, got, tt.want)
		}
	}
}

func TestJSONErrorWhere(t *testing.T) {
	tests := []struct {
		data string
		want string
	}{
		{"{\"a\": }", "1:7: "},
		{"[\n1,\n2,,\n]", "3:3: "},
		{"\n\n   x", "3:4: "},
	}
	for _, tt := range tests {
		err := Decode("f.json", "json", []byte(tt.data), func(string, any) error { return nil })
		if err == nil || !strings.HasPrefix(err.Error(), "f.json:"+tt.want) {
			t.Errorf("Decode(%q) = %v, want f.json:%s...", tt.data, err, tt.want)
		}
	}
}

// FuzzDecode feeds arbitrary bytes to the three decoders: no panic, and what comes out as
// a record is an object with a place in the file.
func FuzzDecode(f *testing.F) {
	seeds := []struct{ format, data string }{
		{"json", `[{"full_name": "acme/shop", "owner": {"login": "acme"}, "topics": ["go"], "stars": 3}]`},
		{"json", `{"slug": "core", "members": [{"login": "a"}]}`},
		{"json", `[1, "x", null]`},
		{"json", "{\"a\": }"},
		{"yaml", "- slug: core\n  size: 3\n- slug: web\n"},
		{"yaml", "a: &x [*x]\n"},
		{"yaml", "? [a]\n: 1\n"},
		{"yaml", "1: 2\n"},
		{"ndjson", "{\"login\": \"a\"}\n\n{\"login\": \"b\"}\n"},
		{"ndjson", "[1]\n{\n"},
	}
	for _, s := range seeds {
		f.Add(s.format, []byte(s.data))
	}
	f.Fuzz(func(t *testing.T, format string, data []byte) {
		switch format {
		case "json", "yaml", "ndjson":
		default:
			format = []string{"json", "yaml", "ndjson"}[len(format)%3]
		}
		_ = Decode("f", format, data, func(where string, v any) error {
			if !strings.HasPrefix(where, "f") {
				t.Fatalf("record place %q", where)
			}
			if _, ok := v.(map[string]any); !ok && format != "ndjson" {
				t.Fatalf("record is %T", v)
			}
			_, _ = source.KeyString(v)
			_, _ = source.Lookup(v, "a.0.b")
			return nil
		})
	})
}

// TestDecodeParallelSameAsSequential: large arrays are decoded on all cores; the records,
// their order, their places and the errors are the ones the sequential path gives.
func TestDecodeParallelSameAsSequential(t *testing.T) {
	var b strings.Builder
	b.WriteString("[\n")
	for i := 0; i < 700; i++ {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"name": "r%d", "n": %d, "f": %d.5, "tags": ["a", null, true]}`, i, i, i)
	}
	b.WriteString("\n]\n")
	data := []byte(b.String())
	type rec struct {
		where string
		v     any
	}
	collect := func(data []byte, parallel bool) ([]rec, error) {
		var out []rec
		each := func(where string, v any) error { out = append(out, rec{where, v}); return nil }
		if parallel {
			elems, ok := splitArray(data)
			if !ok {
				t.Fatal("not split")
			}
			return out, eachRecordParallel("f.json", elems, each)
		}
		v, err := decodeJSON(data)
		if err != nil {
			return nil, err
		}
		return out, eachRecord("f.json", v, each)
	}
	seq, err1 := collect(data, false)
	par, err2 := collect(data, true)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(seq, par) {
		t.Fatalf("parallel decode differs: %v %v", err1, err2)
	}
	// Decode picks the parallel path for this file, and gives the same.
	var viaDecode []rec
	if err := Decode("f.json", "json", data, func(w string, v any) error { viaDecode = append(viaDecode, rec{w, v}); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seq, viaDecode) {
		t.Fatal("Decode differs from the sequential path")
	}
	// A non-object element is reported at its index.
	bad := bytes.Replace(data, []byte(`{"name": "r300"`), []byte(`[{"name": "r300"`), 1)
	bad = bytes.Replace(bad, []byte(`"tags": ["a", null, true]},`+"\n"+`{"name": "r301"`), []byte(`"tags": ["a", null, true]}],`+"\n"+`{"name": "r301"`), 1)
	err := Decode("f.json", "json", bad, func(string, any) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "f.json[300]: a record must be an object, not an array") {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitArrayRejects(t *testing.T) {
	for _, in := range []string{`[1, 2`, `[1, 2] x`, `[1, 2]]`, `{"a": 1}`, `[1 2]`, `[{"a": }]`, ``} {
		if _, ok := splitArray([]byte(in)); ok {
			t.Errorf("splitArray(%q) accepted", in)
		}
	}
	if elems, ok := splitArray([]byte(" [ {\"a\": 1} , [2] , \"x\" ] \n")); !ok || len(elems) != 3 {
		t.Errorf("valid array: %v %v", elems, ok)
	}
}

// TestFingerprintSameAsFetch: the fingerprint Fetch writes of what it decodes is the one
// Fingerprint computes from the files, and any change to a file changes it.
func TestFingerprintSameAsFetch(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"recs/a.json":  `[{"id": "1"}, {"id": "2"}]`,
		"recs/b.json":  `{"id": "3"}`,
		"users.ndjson": "{\"login\": \"x\"}\n",
	})
	src := New("s", dir, Config{Records: map[string]RecordSet{
		"thing": {Path: "recs/*.json", Key: "id"},
		"user":  {Path: "*.ndjson", Key: "login"},
	}})
	fingerprints := func() (string, string) {
		var fetched, read bytes.Buffer
		src.FingerprintTo(&fetched)
		if err := src.Fetch(context.Background(), func(source.Record) error { return nil }); err != nil {
			t.Fatal(err)
		}
		src.FingerprintTo(nil)
		if err := src.Fingerprint(&read); err != nil {
			t.Fatal(err)
		}
		return fetched.String(), read.String()
	}
	a, b := fingerprints()
	if a != b || a == "" {
		t.Fatalf("Fetch wrote %q, Fingerprint %q", a, b)
	}
	stats, err := src.Stat()
	if err != nil || len(stats) != 3 {
		t.Fatalf("Stat: %v %v", stats, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "recs", "b.json"), []byte(`{"id": "4"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	c, d := fingerprints()
	if c != d || c == a {
		t.Fatal("a changed file left the fingerprint as it was, or Fetch and Fingerprint disagree")
	}
}
