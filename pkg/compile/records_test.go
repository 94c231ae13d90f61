package compile

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pane-dev/pane/pkg/source"
)

// TestRecordsRoundTrip: what is saved is read back as the sources gave it, numbers with
// their kinds (an integral float stays a float: CUE tells int from float).
func TestRecordsRoundTrip(t *testing.T) {
	recs := []source.Record{
		{Type: "repository", Key: "acme/shop", Where: "repos.json:3", Data: map[string]any{
			"name": "shop", "stars": int64(12), "ratio": 2.0, "half": 0.5, "big": 1e21, "neg": int64(-7),
			"null": nil, "yes": true, "no": false,
			"text":   "quote \" backslash \\ newline \n tab \t nul \x00 bell \x07 unicode é 世界 \u2028",
			"nested": map[string]any{"list": []any{int64(1), 1.0, "x", nil, []any{}, map[string]any{}}},
		}},
		{Type: "team", Key: "42", Where: "", Data: []any{"a", int64(1)}},
		{Type: "odd", Key: "k", Data: "just a string"},
	}
	dir := t.TempDir()
	path := recordsPath(dir, "github")
	fetched := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := saveRecords(path, "github", fetched, recs); err != nil {
		t.Fatal(err)
	}
	got, when, err := loadRecords(path, "github")
	if err != nil {
		t.Fatal(err)
	}
	if !when.Equal(fetched) {
		t.Errorf("fetched %v, want %v", when, fetched)
	}
	if !reflect.DeepEqual(got, recs) {
		t.Errorf("round trip:\n got %#v\nwant %#v", got, recs)
	}
	// The file is gzip'd JSON any tool can read.
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.NewDecoder(zr).Decode(&generic); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if generic["format"] != recordsFormat || generic["source"] != "github" || generic["count"] != float64(3) {
		t.Errorf("header: %v %v %v", generic["format"], generic["source"], generic["count"])
	}
	// No temporary file is left behind.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files in the cache dir: %v", entries)
	}
}

func TestRecordsRefused(t *testing.T) {
	dir := t.TempDir()
	if err := saveRecords(filepath.Join(dir, "x.json.gz"), "x", time.Now(), []source.Record{{Type: "t", Key: "k", Data: math.Inf(1)}}); err == nil {
		t.Error("saved +Inf")
	}
	if _, err := os.Stat(filepath.Join(dir, "x.json.gz")); err == nil {
		t.Error("a failed save left a file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed save left %v", entries)
	}

	write := func(name, body string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write([]byte(body))
		zw.Close()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for name, tc := range map[string]struct{ body, want string }{
		"format":  {`{"format":"other","source":"s","count":0,"records":[]}`, `format "other"`},
		"source":  {`{"format":"pane-records-v1","source":"t","count":0,"records":[]}`, `holds source "t", not "s"`},
		"count":   {`{"format":"pane-records-v1","source":"s","count":2,"records":[]}`, `0 records, the header says 2`},
		"json":    {`{"format":`, `unexpected EOF`},
		"trailer": {`{"format":"pane-records-v1","source":"s","count":0,"records":[]}`, ``},
	} {
		p := write(name, tc.body)
		if name == "trailer" {
			// A truncated gzip stream fails its checksum.
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-4], 0o644)
			tc.want = "unexpected EOF"
		}
		_, _, err := loadRecords(p, "s")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", name, err, tc.want)
		}
	}
}

// A source name that is not a plain file name cannot reach outside the cache.
func TestRecordsPath(t *testing.T) {
	for name, want := range map[string]string{
		"github":       "github.json.gz",
		"pager_duty.2": "pager_duty.2.json.gz",
		"../escape":    "_2e2e2f657363617065.json.gz",
		".hidden":      "_2e68696464656e.json.gz",
		"a/b":          "_612f62.json.gz",
	} {
		if got := recordsPath("/c", name); got != filepath.Join("/c", want) {
			t.Errorf("recordsPath(%q) = %s, want %s", name, got, want)
		}
	}
}

func TestCachedSourceReplays(t *testing.T) {
	s := &cachedSource{name: "x", recs: []source.Record{{Type: "a", Key: "1"}, {Type: "a", Key: "2"}}}
	var got []string
	if err := s.Fetch(context.Background(), func(r source.Record) error { got = append(got, r.ID()); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []string{"a:1", "a:2"}) {
		t.Errorf("replayed %v", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Fetch(ctx, func(source.Record) error { return nil }); err == nil {
		t.Error("a cancelled replay succeeded")
	}
}
