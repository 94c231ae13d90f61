package http

import (
	"strings"
	"testing"

	"github.com/pane-dev/pane/pkg/source"
)

// FuzzPage feeds arbitrary bodies and paths through what Fetch does with a page:
// decode, find the items, read each key. It must fail with an error, never panic.
func FuzzPage(f *testing.F) {
	for _, seed := range []struct{ body, items, key string }{
		{`{"services": [{"id": "P1", "n": 1}, {"id": 2}]}`, "services", "id"},
		{`[{"a": {"b": 1.5}}]`, "", "a.b"},
		{`{"data": {"list": [{"id": 1e400}]}}`, "data.list", "id"},
		{`{"x": [[1]]}`, "x", "0"},
		{`{"services": [{"id": "P1"},]}`, "services", "id"},
		{`{"a": 99999999999999999999999}`, "a", "a"},
		{"\xff", "", ""},
		{`{}{}`, "", "id"},
		{`{"services": null}`, "services.x.y", "id.0"},
	} {
		f.Add([]byte(seed.body), seed.items, seed.key)
	}
	f.Fuzz(func(t *testing.T, body []byte, items, key string) {
		doc, err := DecodeJSON(body)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error message")
			}
			return
		}
		list, err := Items(doc, items)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an empty error message")
			}
			return
		}
		for _, it := range list {
			if key == "" {
				continue
			}
			if kv, ok := source.Lookup(it, key); ok {
				k, err := source.KeyString(kv)
				if err == nil && k == "" {
					t.Fatal("an empty key accepted")
				}
			}
		}
	})
}

// FuzzNextLink: any Link header parses without panicking, and a target it finds came
// from between angle brackets.
func FuzzNextLink(f *testing.F) {
	for _, s := range []string{
		`<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"`,
		`<a>; title="x, \"y\"; z"; rel=next`,
		`<a`, `<>; rel=next`, `,,,<a>;;;rel="next`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, ok := NextLink([]string{v})
		if ok && !strings.Contains(v, "<"+got+">") {
			t.Fatalf("NextLink(%q) = %q, which is not in angle brackets there", v, got)
		}
	})
}
