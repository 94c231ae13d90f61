package github

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

const testToken = "gho_TestToken0123456789abcdefghijklmnopq"

// clock is a fake clock: sleeping advances it at once, so waiting for a rate limit's
// reset takes no time and tests never depend on the wall clock.
type clock struct {
	mu    sync.Mutex
	t     time.Time
	slept []time.Duration
}

func newClock() *clock { return &clock{t: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.slept = append(c.slept, d)
	c.mu.Unlock()
	return ctx.Err()
}

func (c *clock) total() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var t time.Duration
	for _, d := range c.slept {
		t += d
	}
	return t
}

// env is a fake GitHub and a source reading it.
type env struct {
	t     testing.TB
	srv   *githubtest.Server
	org   *githubtest.Org
	clock *clock
	cache string
	logs  *bytes.Buffer
	cfg   Config
	opts  Options
}

func newEnv(t testing.TB, org *githubtest.Org, mutate func(*Config, *Options)) *env {
	t.Helper()
	c := newClock()
	srv := githubtest.New(githubtest.Options{Token: testToken, Now: c.Now}, org)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, org: org, clock: c, cache: t.TempDir(), logs: &bytes.Buffer{}}
	e.cfg = Config{Org: org.Login, BaseURL: srv.URL}
	tok := secret.New(testToken)
	_ = tok
	e.opts = Options{CacheDir: e.cache, Sleep: c.Sleep, Now: c.Now, MinBackoff: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mutate != nil {
		mutate(&e.cfg, &e.opts)
	}
	return e
}

func (e *env) source(creds ...Credentials) *Source {
	e.t.Helper()
	cr := Credentials{Token: secret.New(testToken)}
	if len(creds) > 0 {
		cr = creds[0]
	}
	s, err := New("github", e.cfg, cr, e.opts)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) fetch(s *Source) ([]source.Record, error) {
	var recs []source.Record
	err := s.Fetch(context.Background(), func(r source.Record) error {
		recs = append(recs, r)
		return nil
	})
	return recs, err
}

func (e *env) mustFetch(s *Source) []source.Record {
	e.t.Helper()
	recs, err := e.fetch(s)
	if err != nil {
		e.t.Fatalf("fetch: %v", err)
	}
	return recs
}

func byKey(recs []source.Record, typ string) map[string]any {
	out := map[string]any{}
	for _, r := range recs {
		if r.Type == typ {
			out[r.Key] = r.Data
		}
	}
	return out
}

// sameJSON reports whether two values encode to the same JSON (object keys sorted; an
// int64 and an int alike, a []string and a []any alike).
func sameJSON(t testing.TB, a, b any) bool {
	t.Helper()
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return bytes.Equal(x, y)
}

// norm makes values comparable: through JSON, numbers as json.Number.
func norm(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func jsonOf(t testing.TB, v any) string {
	b, err := json.MarshalIndent(norm(t, v), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// expectedTeams is synth's teams as the source records them: GitHub lists a team's
// members with its child teams' members, and the source keeps those no child lists.
func expectedTeams(o synth.Org) map[string]any {
	children := map[string][]string{}
	bySlug := map[string]map[string]any{}
	for _, t := range o.Teams {
		bySlug[t["slug"].(string)] = t
		if p, ok := t["parent"].(map[string]any); ok {
			children[p["slug"].(string)] = append(children[p["slug"].(string)], t["slug"].(string))
		}
	}
	var below func(slug string) map[string]bool
	below = func(slug string) map[string]bool {
		out := map[string]bool{}
		for _, c := range children[slug] {
			for _, m := range membersOf(bySlug[c]) {
				out[m] = true
			}
			for l := range below(c) {
				out[l] = true
			}
		}
		return out
	}
	out := map[string]any{}
	for _, t := range o.Teams {
		c := map[string]any{}
		for k, v := range t {
			c[k] = v
		}
		skip := below(t["slug"].(string))
		var ms []any
		forEach(t["members"], func(m map[string]any) {
			if !skip[m["login"].(string)] {
				ms = append(ms, m)
			}
		})
		sort.Slice(ms, func(i, j int) bool {
			return strings.ToLower(ms[i].(map[string]any)["login"].(string)) < strings.ToLower(ms[j].(map[string]any)["login"].(string))
		})
		if ms == nil {
			ms = []any{}
		}
		c["members"] = ms
		out[t["slug"].(string)] = c
	}
	return out
}

func membersOf(t map[string]any) []string {
	var out []string
	forEach(t["members"], func(m map[string]any) { out = append(out, m["login"].(string)) })
	return out
}

func forEach(v any, f func(map[string]any)) {
	switch xs := v.(type) {
	case []map[string]any:
		for _, m := range xs {
			f(m)
		}
	case []any:
		for _, x := range xs {
			f(x.(map[string]any))
		}
	}
}

func newLogBuffer() *bytes.Buffer { return &bytes.Buffer{} }
