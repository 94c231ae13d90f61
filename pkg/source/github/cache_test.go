package github

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

// A second fetch of an unchanged organization costs no rate limit: every request is
// conditional and answered 304 from the cache. A changed organization costs only the
// pages that changed.
func TestConditionalRequests(t *testing.T) {
	o := synth.Generate(11, 600)
	org := githubtest.FromSynth(o)
	for _, r := range org.Repos[:40] {
		org.SetFile(r["name"].(string), "catalog-info.yaml", []byte(componentYAML(r["name"].(string))))
	}
	e := newEnv(t, org, func(c *Config, _ *Options) { c.Discover = []string{"catalog-info.yaml"} })
	cold := e.mustFetch(e.source())
	st := e.srv.Stats()
	left0, _ := e.srv.RateLimit()
	if st.NotModified != 0 {
		t.Fatalf("%d 304s on a cold cache", st.NotModified)
	}

	e.srv.ResetStats()
	warm := e.mustFetch(e.source())
	if !sameJSON(t, warm, cold) {
		t.Fatal("the warm fetch's records differ from the cold one's")
	}
	st = e.srv.Stats()
	left1, _ := e.srv.RateLimit()
	if left1 != left0 {
		t.Errorf("the warm fetch cost %d of the rate limit, want 0", left0-left1)
	}
	if st.NotModified != st.Requests {
		t.Errorf("%d of %d requests were 304s, want all", st.NotModified, st.Requests)
	}
	// Repositories nobody pushed to are not asked for their trees at all.
	if n := st.ByKind["tree"] + st.ByKind["blob"] + st.ByKind["branch"]; n != 0 {
		t.Errorf("%d tree, branch and blob requests on a warm fetch, want 0", n)
	}

	// Some repositories change: only their pages cost.
	m := synth.Mutate(o, 5, 0.01)
	org2 := githubtest.FromSynth(m)
	for _, r := range org2.Repos {
		if f, ok := org.Files[r["name"].(string)]; ok {
			org2.Files[r["name"].(string)] = f
		}
	}
	e.srv.SetOrg(org2)
	e.srv.ResetStats()
	changed := e.mustFetch(e.source())
	left2, _ := e.srv.RateLimit()
	t.Logf("cold: %d requests; warm: %d, all 304; after a 1%% change: %d cost rate limit", 5000-left0, st.Requests, left1-left2)
	if cost := left1 - left2; cost == 0 || cost > 40 {
		t.Errorf("a 1%% change cost %d requests, want a few", cost)
	}
	want := map[string]any{}
	for _, r := range synth.JoinTeams(m).Repositories {
		want[r["full_name"].(string)] = r
	}
	if got := byKey(changed, "repository"); !sameJSON(t, got, want) {
		t.Error("records after the change are not the changed organization's")
	}
}

// The cache holds GitHub's answers and never a credential, and forgets what a complete
// fetch no longer needs.
func TestCacheHasNoCredentials(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	e.mustFetch(e.source())
	files := 0
	filepath.WalkDir(e.cache, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, _ := os.ReadFile(p)
		if strings.Contains(string(b), testToken) {
			t.Errorf("%s holds the token", p)
		}
		return nil
	})
	if files == 0 {
		t.Fatal("nothing cached")
	}

	// A body that holds a credential is not stored at all.
	c := newHTTPCache(filepath.Join(t.TempDir(), "c"), func() []secret.Secret { return []secret.Secret{secret.New(testToken)} })
	key := cacheKey("GET", "https://api.github.com/users/x", "")
	c.put(key, &cacheEntry{URL: "https://api.github.com/users/x", ETag: `"x"`, Body: []byte(`{"bio":"` + testToken + `"}`)})
	if _, ok := c.get(key); ok {
		t.Error("a body holding the token was cached")
	}
}

func TestCachePrune(t *testing.T) {
	o := smallOrg()
	e := newEnv(t, githubtest.FromSynth(o), nil)
	e.mustFetch(e.source())
	entries := func() int {
		c := newHTTPCache(filepath.Join(e.cache, "http.cache"), nil)
		c.load()
		return len(c.old)
	}
	before := entries()
	if before == 0 {
		t.Fatal("nothing cached")
	}
	// A user leaves the organization: their cached answer goes at the next fetch.
	org := githubtest.FromSynth(o)
	org.Users = org.Users[1:]
	e.srv.SetOrg(org)
	e.mustFetch(e.source())
	if after := entries(); after != before-1 {
		t.Errorf("%d cache entries after a user left, want %d", after, before-1)
	}
	// A failed fetch leaves the cache as it was.
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/teams", Status: 404})
	if _, err := e.fetch(e.source()); err == nil {
		t.Fatal("fetch succeeded on a 404")
	}
	if after := entries(); after != before-1 {
		t.Errorf("%d cache entries after a failed fetch, want %d", after, before-1)
	}
}

// A damaged cache file is an empty cache, not an error.
func TestCacheDamaged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "http.cache")
	for _, b := range []string{"", "junk", cacheMagic + "\x00\x00\x01", cacheMagic + "\x00\x00\x00\x02{}\x00\x00\x00\x00"} {
		os.WriteFile(p, []byte(b), 0o600)
		c := newHTTPCache(p, nil)
		if _, ok := c.get("x"); ok {
			t.Errorf("%q: an entry from a damaged file", b)
		}
	}
}

func TestCacheOff(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), func(c *Config, _ *Options) {
		off := false
		c.Cache = &off
	})
	e.mustFetch(e.source())
	e.srv.ResetStats()
	e.mustFetch(e.source())
	if n := e.srv.Stats().NotModified; n != 0 {
		t.Errorf("%d 304s with the cache off", n)
	}
}

func componentYAML(name string) string {
	return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ` + name + `
  annotations:
    example.com/declared-in: repo
spec:
  type: service
  lifecycle: production
  owner: initech
---
apiVersion: backstage.io/v1alpha1
kind: API
metadata:
  name: ` + name + `-api
spec:
  type: openapi
  lifecycle: production
  owner: initech
  definition: "openapi: 3.0.0"
`
}
