package github

import (
	"context"
	"testing"
	"time"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

// BenchmarkFetchOrg10k fetches a 10,000-repository organization (400 teams, 2,000
// members, an entity file in every tenth repository) from the fake API: cold (an empty
// cache) and warm (the cache of a previous fetch, nothing changed). It reports the
// requests made and the rate limit they cost per fetch. The fake's rate limit is raised
// so that the time measured is pane's and the loopback's, not a wait for a reset; at
// GitHub's 5,000 an hour a cold fetch spans windows (see the requests reported).
func BenchmarkFetchOrg10k(b *testing.B) {
	o := synth.Generate(1, 10000)
	org := githubtest.FromSynth(o)
	for i, r := range org.Repos {
		if i%10 == 0 {
			org.SetFile(r["name"].(string), "catalog-info.yaml", []byte(componentYAML(r["name"].(string))))
		}
	}
	srv := githubtest.New(githubtest.Options{Token: testToken, Limit: 1 << 30}, org)
	defer srv.Close()
	cfg := Config{Org: "initech", BaseURL: srv.URL, Discover: []string{"catalog-info.yaml"}}
	fetch := func(b *testing.B, dir string) int {
		s, err := New("github", cfg, Credentials{Token: secret.New(testToken)}, Options{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		if err := s.Fetch(context.Background(), func(source.Record) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
		return n
	}
	// The fake encodes each answer once; a first fetch makes the runs below alike.
	fetch(b, b.TempDir())

	run := func(b *testing.B, warm bool) {
		var reqs, cost int
		var took time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			dir := b.TempDir()
			if warm {
				fetch(b, dir)
			}
			srv.ResetStats()
			start := time.Now()
			b.StartTimer()
			fetch(b, dir)
			b.StopTimer()
			took += time.Since(start)
			st := srv.Stats()
			reqs += st.Requests
			cost += st.Requests - st.NotModified
		}
		b.ReportMetric(float64(reqs)/float64(b.N), "requests/op")
		b.ReportMetric(float64(cost)/float64(b.N), "ratelimit/op")
		b.ReportMetric(took.Seconds()/float64(b.N), "s/fetch")
	}
	b.Run("cold", func(b *testing.B) { run(b, false) })
	b.Run("warm", func(b *testing.B) { run(b, true) })
}
