package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pane-dev/pane/internal/synth"
)

const tok = "gho_fake0123456789abcdefghijklmnopqrstu"

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "token "+tok)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Link headers are written as GitHub writes them: the /organizations/{id}/ form, the
// query's other parameters kept in order, page last, rels in GitHub's order.
func TestLinkHeaders(t *testing.T) {
	s := New(Options{Token: tok}, FromSynth(synth.Generate(1, 250)))
	defer s.Close()
	base := strings.TrimSuffix(s.URL, "/")
	id := fmt.Sprint(FromSynth(synth.Generate(1, 1)).ID)
	org := base + "/organizations/" + id + "/repos?sort=created&per_page=100&page="
	for _, tc := range []struct{ page, link string }{
		{"", `<` + org + `2>; rel="next", <` + org + `3>; rel="last"`},
		{"&page=2", `<` + org + `1>; rel="prev", <` + org + `3>; rel="next", <` + org + `3>; rel="last", <` + org + `1>; rel="first"`},
		{"&page=3", `<` + org + `2>; rel="prev", <` + org + `1>; rel="first"`},
	} {
		resp, body := get(t, s.URL+"orgs/initech/repos?sort=created&per_page=100"+tc.page)
		if got := resp.Header.Get("Link"); got != tc.link {
			t.Errorf("page %q: Link\n %s\nwant\n %s", tc.page, got, tc.link)
		}
		var items []map[string]any
		if err := json.Unmarshal(body, &items); err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"": 100, "&page=2": 100, "&page=3": 50}[tc.page]; len(items) != want {
			t.Errorf("page %q: %d items, want %d", tc.page, len(items), want)
		}
	}
	// The links work.
	resp, _ := get(t, org+"3")
	if resp.StatusCode != 200 {
		t.Errorf("following the last link: %s", resp.Status)
	}
	// 30 a page by default.
	_, body := get(t, s.URL+"orgs/initech/repos")
	var items []any
	json.Unmarshal(body, &items)
	if len(items) != 30 {
		t.Errorf("%d items by default, want 30", len(items))
	}
}

func TestETagsAndRateLimit(t *testing.T) {
	now := time.Unix(1767225600, 0)
	s := New(Options{Token: tok, Now: func() time.Time { return now }, Limit: 10}, FromSynth(synth.Generate(1, 20)))
	defer s.Close()
	resp, _ := get(t, s.URL+"orgs/initech/teams")
	etag := resp.Header.Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) || resp.Header.Get("X-RateLimit-Remaining") != "9" ||
		resp.Header.Get("X-RateLimit-Limit") != "10" || resp.Header.Get("X-RateLimit-Resource") != "core" {
		t.Fatalf("headers %v", resp.Header)
	}
	resp, body := get(t, s.URL+"orgs/initech/teams", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 || resp.Header.Get("X-RateLimit-Remaining") != "9" {
		t.Fatalf("conditional request: %s, %d bytes, remaining %s", resp.Status, len(body), resp.Header.Get("X-RateLimit-Remaining"))
	}
	for range 9 {
		get(t, s.URL+"orgs/initech/members")
	}
	resp, body = get(t, s.URL+"orgs/initech/members")
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-RateLimit-Remaining") != "0" ||
		!strings.Contains(string(body), "API rate limit exceeded") {
		t.Fatalf("past the limit: %s %s", resp.Status, body)
	}
	if r := resp.Header.Get("X-RateLimit-Reset"); r != fmt.Sprint(now.Add(time.Hour).Unix()) {
		t.Errorf("reset %s", r)
	}
	now = now.Add(time.Hour)
	if resp, _ = get(t, s.URL+"orgs/initech/members"); resp.StatusCode != 200 {
		t.Errorf("after the reset: %s", resp.Status)
	}

	// Without a valid token: 401, as GitHub answers.
	req, _ := http.NewRequest("GET", s.URL+"orgs/initech/teams", nil)
	req.Header.Set("Authorization", "token nope")
	r2, _ := http.DefaultClient.Do(req)
	r2.Body.Close()
	if r2.StatusCode != http.StatusUnauthorized {
		t.Errorf("a bad token: %s", r2.Status)
	}
}

func TestFaults(t *testing.T) {
	s := New(Options{Token: tok}, FromSynth(synth.Generate(1, 20)))
	defer s.Close()
	s.Inject(Fault{Path: "orgs/initech/teams", Status: 403, RetryAfter: "7"})
	s.Inject(Fault{Path: "orgs/", Status: 502, Skip: 1})
	resp, body := get(t, s.URL+"orgs/initech/teams")
	if resp.StatusCode != 403 || resp.Header.Get("Retry-After") != "7" || !strings.Contains(string(body), "secondary rate limit") {
		t.Errorf("secondary limit: %s %s %s", resp.Status, resp.Header.Get("Retry-After"), body)
	}
	if resp, _ = get(t, s.URL+"orgs/initech/teams"); resp.StatusCode != 200 {
		t.Errorf("skipped request: %s", resp.Status)
	}
	if resp, _ = get(t, s.URL+"orgs/initech/teams"); resp.StatusCode != 502 {
		t.Errorf("second matching request: %s", resp.Status)
	}
	if resp, _ = get(t, s.URL+"orgs/initech/teams"); resp.StatusCode != 200 {
		t.Errorf("after the faults: %s", resp.Status)
	}
}

// Trees and blobs have git's object ids: the same content, the same sha.
func TestGitObjects(t *testing.T) {
	org := FromSynth(synth.Generate(1, 5))
	name := org.Repos[0]["name"].(string)
	org.SetFile(name, "catalog-info.yaml", []byte("hello\n"))
	s := New(Options{Token: tok}, org)
	defer s.Close()
	branch := org.Repos[0]["default_branch"].(string)
	_, body := get(t, s.URL+"repos/initech/"+name+"/git/trees/"+branch+"?recursive=1")
	var tree struct {
		Tree []struct{ Path, Type, SHA string }
	}
	json.Unmarshal(body, &tree)
	var sha string
	for _, e := range tree.Tree {
		if e.Path == "catalog-info.yaml" {
			sha = e.SHA
		}
	}
	// git hash-object of "hello\n"
	if sha != "ce013625030ba8dba906f756967f9e9ca394464a" {
		t.Errorf("blob sha %s", sha)
	}
	_, body = get(t, s.URL+"repos/initech/"+name+"/git/blobs/"+sha)
	var blob map[string]any
	json.Unmarshal(body, &blob)
	if blob["content"] != "aGVsbG8K\n" || blob["encoding"] != "base64" {
		t.Errorf("blob %v", blob)
	}
	if resp, _ := get(t, s.URL+"repos/initech/nope/git/trees/main"); resp.StatusCode != 404 {
		t.Errorf("a missing repository: %s", resp.Status)
	}
}
