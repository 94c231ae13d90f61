package github

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

// The records of an org of several thousand repositories over many pages are exactly
// the shapes the example workspace records (internal/synth builds both).
func TestFetchOrg(t *testing.T) {
	o := synth.Generate(7, 2500)
	e := newEnv(t, githubtest.FromSynth(o), nil)
	recs := e.mustFetch(e.source())

	// Emitted in a stable order: repositories, teams, users, each by key.
	var order []string
	for _, r := range recs {
		order = append(order, r.Type+" "+r.Key)
	}
	sorted := append([]string(nil), order...)
	rank := map[string]int{"repository": 0, "team": 1, "user": 2, "file": 3}
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := strings.SplitN(sorted[i], " ", 2), strings.SplitN(sorted[j], " ", 2)
		if a[0] != b[0] {
			return rank[a[0]] < rank[b[0]]
		}
		return a[1] < b[1]
	})
	if !reflect.DeepEqual(order, sorted) {
		t.Error("records are not in type and key order")
	}

	repos := byKey(recs, "repository")
	if len(repos) != len(o.Repositories) {
		t.Fatalf("%d repositories, want %d", len(repos), len(o.Repositories))
	}
	for _, want := range o.Repositories {
		got := repos[want["full_name"].(string)]
		if !sameJSON(t, got, want) {
			t.Fatalf("repository %s:\n got %s\nwant %s", want["full_name"], jsonOf(t, got), jsonOf(t, want))
		}
	}
	teams := byKey(recs, "team")
	wantTeams := expectedTeams(o)
	if len(teams) != len(wantTeams) {
		t.Fatalf("%d teams, want %d", len(teams), len(wantTeams))
	}
	nested := 0
	for slug, want := range wantTeams {
		if !sameJSON(t, teams[slug], want) {
			t.Fatalf("team %s:\n got %s\nwant %s", slug, jsonOf(t, teams[slug]), jsonOf(t, want))
		}
		if want.(map[string]any)["parent"] != nil {
			nested++
		}
	}
	if nested == 0 {
		t.Error("no nested teams in the test org")
	}
	users := byKey(recs, "user")
	if len(users) != len(o.Users) {
		t.Fatalf("%d users, want %d", len(users), len(o.Users))
	}
	for _, want := range o.Users {
		if got := users[want["login"].(string)]; !sameJSON(t, got, want) {
			t.Fatalf("user %s:\n got %s\nwant %s", want["login"], jsonOf(t, got), jsonOf(t, want))
		}
	}

	// 100 a page everywhere: 25 pages of repositories.
	st := e.srv.Stats()
	if st.ByKind["repos"] != 25 {
		t.Errorf("%d repository pages, want 25", st.ByKind["repos"])
	}
	for _, r := range e.srv.Requests() {
		if strings.HasPrefix(r.Path, "orgs/") || strings.HasPrefix(r.Path, "organizations/") {
			if !strings.Contains(r.Query, "per_page=100") {
				t.Errorf("%s?%s: a listing not at 100 a page", r.Path, r.Query)
			}
		}
	}
}

// The example workspace's recorded org, served by the fake, comes back as recorded
// (except for members of child teams, which GitHub lists under the parent too).
func TestFetchExampleOrg(t *testing.T) {
	org, err := githubtest.LoadDir("../../../testdata/github")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, org, nil)
	recs := e.mustFetch(e.source())
	repos := byKey(recs, "repository")
	if len(repos) != 24 {
		t.Fatalf("%d repositories, want 24", len(repos))
	}
	if got := jsonOf(t, repos["acme/payments-api"].(map[string]any)["teams"]); !strings.Contains(got, `"slug": "payments"`) {
		t.Errorf("payments-api teams: %s", got)
	}
	if len(byKey(recs, "team")) != 8 || len(byKey(recs, "user")) != 15 {
		t.Errorf("%d teams, %d users", len(byKey(recs, "team")), len(byKey(recs, "user")))
	}
}
