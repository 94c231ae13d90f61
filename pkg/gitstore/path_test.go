package gitstore

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
)

func strconvQuote(s string) string { return strconv.Quote(s) }

var invalidPaths = []struct{ path, why string }{
	{"", "empty"},
	{"/abs.yaml", "absolute"},
	{"a//b.yaml", "empty segment"},
	{"a/", "empty segment"},
	{"./a.yaml", `"." segment`},
	{"a/./b", `"." segment`},
	{"a/../b", `".." segment`},
	{"..", `".." segment`},
	{"a\x00b", "NUL"},
	{`a\b.yaml`, "backslash"},
	{strings.Repeat("x", 256), "longer than 255"},
	{"ok/" + strings.Repeat("x", 256) + "/y", "longer than 255"},
	{".git/config", `".git" segment`},
	{"a/.GIT/b", `".git" segment`},
}

func TestValidatePath(t *testing.T) {
	for _, tc := range invalidPaths {
		err := ValidatePath(tc.path)
		if !errors.Is(err, ErrInvalidPath) || !strings.Contains(err.Error(), tc.why) || !strings.Contains(err.Error(), strconv.Quote(tc.path)) {
			t.Errorf("ValidatePath(%q) = %v, want ErrInvalidPath naming the path and %q", tc.path, err, tc.why)
		}
	}
	for _, ok := range []string{
		"a", "component/default/x.yaml", "a/b/c/d/e/f", ".hidden", "a/..b", "a/b..", "...",
		"sp ace/é.yaml", strings.Repeat("x", 255), ".gitignore", "x.git",
	} {
		if err := ValidatePath(ok); err != nil {
			t.Errorf("ValidatePath(%q) = %v, want nil", ok, err)
		}
	}
}

func FuzzValidatePath(f *testing.F) {
	for _, tc := range invalidPaths {
		f.Add(tc.path)
	}
	f.Add("component/default/x.yaml")
	f.Fuzz(func(t *testing.T, p string) {
		if ValidatePath(p) != nil {
			return
		}
		if p == "" || p[0] == '/' || strings.ContainsAny(p, "\x00\\") {
			t.Fatalf("accepted %q", p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "" || seg == "." || seg == ".." || len(seg) > 255 || strings.EqualFold(seg, ".git") {
				t.Fatalf("accepted %q with segment %q", p, seg)
			}
		}
	})
}

func TestGitTreeOrder(t *testing.T) {
	file := func(n string) entry { return entry{name: n, mode: filemode.Regular} }
	dir := func(n string) entry { return entry{name: n, mode: filemode.Dir} }
	// The order git write-tree produces for these names.
	want := []entry{file("a-"), file("a.b"), dir("a"), file("a0"), dir("ab"), file("abc")}
	got := slices.Clone(want)
	slices.Reverse(got)
	sortEntries(got)
	if !slices.Equal(got, want) {
		t.Errorf("git order:\n got %v\nwant %v", got, want)
	}
	// A file named like a directory sorts before its '/'-suffixed twin would.
	if compareEntries(file("a"), dir("a")) >= 0 {
		t.Error(`file "a" should sort before directory "a"`)
	}
}

func TestTreeRoundTrip(t *testing.T) {
	in := []entry{
		{name: "a.yaml", mode: filemode.Regular, hash: hashObject(plumbing.BlobObject, []byte("a"))},
		{name: "d", mode: filemode.Dir, hash: hashObject(plumbing.TreeObject, nil)},
		{name: "x", mode: filemode.Executable, hash: hashObject(plumbing.BlobObject, []byte("x"))},
	}
	out, err := decodeTree(encodeTree(in))
	if err != nil || !slices.Equal(in, out) {
		t.Fatalf("round trip: %v, %v", out, err)
	}
	if _, err := decodeTree([]byte("100644 a\x00short")); err == nil {
		t.Error("truncated tree decoded")
	}
}
