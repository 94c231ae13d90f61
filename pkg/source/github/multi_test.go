package github

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

// Several organizations: repositories and users are keyed as always, teams by org/slug
// (slugs are unique per organization only).
func TestSeveralOrgs(t *testing.T) {
	acme, err := githubtest.LoadDir("../../../testdata/github")
	if err != nil {
		t.Fatal(err)
	}
	o := synth.Generate(3, 50)
	c := newClock()
	srv := githubtest.New(githubtest.Options{Token: testToken, Now: c.Now}, githubtest.FromSynth(o), acme)
	defer srv.Close()
	s, err := New("github", Config{Orgs: []string{"initech", "acme"}, BaseURL: srv.URL},
		Credentials{Token: secret.New(testToken)}, Options{Sleep: c.Sleep, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	var recs []source.Record
	if err := s.Fetch(context.Background(), func(r source.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	teams := byKey(recs, "team")
	if _, ok := teams["acme/payments"]; !ok {
		t.Errorf("no team acme/payments among %d teams", len(teams))
	}
	if len(teams) != 8+len(o.Teams) {
		t.Errorf("%d teams, want %d", len(teams), 8+len(o.Teams))
	}
	if n := len(byKey(recs, "repository")); n != 24+50 {
		t.Errorf("%d repositories, want %d", n, 24+50)
	}
}

func TestNewRejects(t *testing.T) {
	cr := Credentials{Token: secret.New(testToken)}
	for _, tc := range []struct {
		cfg Config
		err string
	}{
		{Config{}, "no org"},
		{Config{Org: "a", Orgs: []string{"b"}}, "not both"},
		{Config{Orgs: []string{"a", "A"}}, "listed twice"},
		{Config{Org: "-bad"}, "not a GitHub organization name"},
		{Config{Org: "a", BaseURL: "https://user:pw@ghe.example.com/api/v3/"}, "baseURL"},
		{Config{Org: "a", BaseURL: "ghe.example.com"}, "baseURL"},
		{Config{Org: "a", Discover: []string{"/x.yaml"}}, "discover"},
	} {
		if _, err := New("x", tc.cfg, cr, Options{}); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("New(%+v): %v, want %q", tc.cfg, err, tc.err)
		}
	}
	c := Config{Org: "a"}
	c.RateLimit.MaxWait = "soon"
	if _, err := New("x", c, cr, Options{}); err == nil || !strings.Contains(err.Error(), "maxWait") {
		t.Errorf("a bad maxWait: %v", err)
	}
	if _, err := New("x", Config{Org: "a"}, Credentials{}, Options{}); err == nil {
		t.Error("no credential accepted")
	}
	f := Failed("gh", errFake)
	if f.Name() != "gh" || f.Fetch(context.Background(), nil) != errFake {
		t.Error("Failed")
	}
}

var errFake = bytes.ErrTooLarge

// On a terminal the fetch keeps a progress line: records per type, requests, the rate
// limit left; it ends with a newline.
func TestProgress(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	var buf bytes.Buffer
	s := e.source()
	s.SetOutput(nil, &buf)
	e.mustFetch(s)
	out := buf.String()
	if !strings.HasPrefix(out, "\r\x1b[K") || !strings.HasSuffix(out, "\n") {
		t.Fatalf("progress %q", out)
	}
	last := out[strings.LastIndex(out, "\r\x1b[K")+4:]
	for _, want := range []string{"github: 150 repositories", "teams 6/6", "users 30/30", "requests", "rate limit 4"} {
		if !strings.Contains(last, want) {
			t.Errorf("progress line %q lacks %q", last, want)
		}
	}
}
