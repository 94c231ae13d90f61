package github

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Link headers come from the server: any value parses without panicking, and a next
// link found is one of the header's URLs.
func FuzzLinkNext(f *testing.F) {
	f.Add(`<https://api.github.com/organizations/1/repos?per_page=100&page=2>; rel="next", <https://api.github.com/organizations/1/repos?per_page=100&page=3>; rel="last"`)
	f.Add(`<a>; rel=next`)
	f.Add(`<>; rel="next"`)
	f.Add(`,,;;<`)
	f.Fuzz(func(t *testing.T, h string) {
		if u := linkNext(h); u != "" && !strings.Contains(h, "<"+u+">") {
			t.Errorf("linkNext(%q) = %q, not one of its URLs", h, u)
		}
	})
}

func TestLinkNext(t *testing.T) {
	for h, want := range map[string]string{
		`<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"`:                                    "https://x/a?page=2",
		`<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next", <https://x/a?page=1>; rel="first"`: "https://x/a?page=3",
		`<https://x/a?page=1>; rel="prev", <https://x/a?page=1>; rel="first"`:                                   "",
		``: "",
	} {
		if got := linkNext(h); got != want {
			t.Errorf("linkNext(%q) = %q, want %q", h, got, want)
		}
	}
}

// The cache file is read back whatever it holds: damage is an empty cache.
func FuzzCacheLoad(f *testing.F) {
	f.Add([]byte(cacheMagic + "\x00\x00\x00\x0b{\"key\":\"k\"}\x00\x00\x00\x02{}"))
	f.Add([]byte(cacheMagic + "\xff\xff\xff\xff"))
	f.Add([]byte("junk"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "c")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		c := newHTTPCache(p, nil)
		c.get("k")
	})
}

// Blob content comes from the server.
func FuzzBlobContent(f *testing.F) {
	f.Add("aGVsbG8K\n", "base64")
	f.Add("!!", "base64")
	f.Add("x", "utf-8")
	f.Fuzz(func(t *testing.T, content, enc string) {
		blobContent(map[string]any{"content": content, "encoding": enc})
	})
}
