package github

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

func smallOrg() synth.Org { return synth.Generate(3, 150) }

// A fetch that had to wait or retry gives the records an undisturbed one gives.
func sameRecords(t *testing.T, faulty *env, recs any) {
	t.Helper()
	clean := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	want := clean.mustFetch(clean.source())
	if !sameJSON(t, recs, want) {
		t.Error("records differ from an undisturbed fetch's")
	}
}

func TestPrimaryRateLimitNearReset(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	reset := e.clock.Now().Add(5 * time.Minute)
	e.srv.SetRateLimit(0, reset)
	recs := e.mustFetch(e.source())
	if e.srv.Stats().RateLimited == 0 {
		t.Fatal("the fake never refused a request: the test tests nothing")
	}
	if !e.clock.Now().After(reset) {
		t.Errorf("the source did not wait for the reset (clock %s, reset %s)", e.clock.Now(), reset)
	}
	sameRecords(t, e, recs)
}

func TestPrimaryRateLimitFarReset(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	reset := e.clock.Now().Add(2 * time.Hour)
	e.srv.SetRateLimit(0, reset)
	start := e.clock.Now()
	recs, err := e.fetch(e.source())
	if err == nil {
		t.Fatal("fetch succeeded past an exhausted rate limit")
	}
	if len(recs) != 0 {
		t.Errorf("a failed fetch emitted %d records", len(recs))
	}
	var rl *RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("error is not a RateLimitError: %v", err)
	}
	msg := err.Error()
	for _, want := range []string{"rate limit", reset.UTC().Format("2006-01-02T15:04"), "rateLimit.maxWait (10m0s)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if waited := e.clock.Now().Sub(start); waited > DefaultMaxWait {
		t.Errorf("waited %s for a reset beyond maxWait", waited)
	}
}

// Below the reserve the source waits for the reset before GitHub refuses anything.
func TestPrimaryRateLimitReserve(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), func(c *Config, _ *Options) {
		r := 20
		c.RateLimit.Reserve = &r
	})
	reset := e.clock.Now().Add(3 * time.Minute)
	e.srv.SetRateLimit(30, reset)
	recs := e.mustFetch(e.source())
	if n := e.srv.Stats().RateLimited; n != 0 {
		t.Errorf("GitHub refused %d requests: the reserve did not hold", n)
	}
	if !e.clock.Now().After(reset) {
		t.Error("the source did not wait for the reset")
	}
	sameRecords(t, e, recs)
}

func TestSecondaryRateLimitRetryAfter(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/teams", Status: http.StatusForbidden, RetryAfter: "30", Times: 2})
	recs := e.mustFetch(e.source())
	if e.srv.Stats().Faults != 2 {
		t.Fatalf("%d faults served, want 2", e.srv.Stats().Faults)
	}
	if got := e.clock.total(); got < 60*time.Second {
		t.Errorf("slept %s, want Retry-After's 30s twice", got)
	}
	sameRecords(t, e, recs)
}

// GitHub sometimes sends a secondary limit without Retry-After: wait a minute.
func TestSecondaryRateLimitWithoutRetryAfter(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	e.srv.Inject(githubtest.Fault{Path: "users/", Status: http.StatusForbidden, Secondary: true})
	recs := e.mustFetch(e.source())
	if got := e.clock.total(); got < time.Minute {
		t.Errorf("slept %s, want at least a minute", got)
	}
	sameRecords(t, e, recs)
}

func TestTooManyRequests(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/repos", Status: http.StatusTooManyRequests, RetryAfter: "5"})
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/members", Status: http.StatusTooManyRequests})
	recs := e.mustFetch(e.source())
	if e.srv.Stats().Faults != 2 {
		t.Fatalf("%d faults served, want 2", e.srv.Stats().Faults)
	}
	sameRecords(t, e, recs)
}

func TestServerErrorsThenSuccess(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/repos", Status: http.StatusBadGateway, Times: 3})
	e.srv.Inject(githubtest.Fault{Path: "users/", Status: http.StatusInternalServerError, Times: 2})
	recs := e.mustFetch(e.source())
	if e.srv.Stats().Faults != 5 {
		t.Fatalf("%d faults served, want 5", e.srv.Stats().Faults)
	}
	sameRecords(t, e, recs)
}

func TestServerErrorsPersist(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/teams", Status: http.StatusServiceUnavailable, Times: 100})
	recs, err := e.fetch(e.source())
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("fetch error %v, want the 503", err)
	}
	if len(recs) != 0 {
		t.Errorf("a failed fetch emitted %d records", len(recs))
	}
}

func TestTimeoutThenSuccess(t *testing.T) {
	// The timeout applies to every request: long enough that a loaded machine running
	// the race detector answers the others within it, far shorter than the fault's delay.
	e := newEnv(t, githubtest.FromSynth(smallOrg()), func(_ *Config, o *Options) { o.Timeout = time.Second })
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/teams", Status: http.StatusOK, Delay: 5 * time.Second})
	recs := e.mustFetch(e.source())
	sameRecords(t, e, recs)
}

// A repository deleted after the listing and before its files are read is left out,
// and the rest of the organization comes through.
func TestRepositoryDeletedDuringFetch(t *testing.T) {
	o := smallOrg()
	org := githubtest.FromSynth(o)
	e := newEnv(t, org, func(c *Config, _ *Options) { c.Discover = []string{"catalog-info.yaml"} })
	var victim string
	for _, r := range o.Repositories {
		if r["archived"] == false && r["fork"] == false && len(r["teams"].([]any)) > 0 {
			victim = r["name"].(string)
			break
		}
	}
	var deleted atomic.Bool
	e.srv.OnRequest = func(r *http.Request) {
		if strings.Contains(r.URL.Path, "/repos/initech/"+victim+"/git/trees/") && deleted.CompareAndSwap(false, true) {
			e.srv.DeleteRepo("initech", victim)
		}
	}
	recs := e.mustFetch(e.source())
	if !deleted.Load() {
		t.Fatal("the repository was not deleted mid-fetch")
	}
	repos := byKey(recs, "repository")
	if _, ok := repos["initech/"+victim]; ok {
		t.Error("the deleted repository is still a record")
	}
	if len(repos) != len(o.Repositories)-1 {
		t.Errorf("%d repositories, want %d", len(repos), len(o.Repositories)-1)
	}
	for _, tm := range byKey(recs, "team") {
		for _, r := range tm.(map[string]any)["repositories"].([]any) {
			if r.(map[string]any)["name"] == victim {
				t.Error("a team still lists the deleted repository")
			}
		}
	}
	if !strings.Contains(e.logs.String(), "deleted while it was read") {
		t.Error("the deletion is not logged")
	}
}

func TestTeamDeletedDuringFetch(t *testing.T) {
	o := smallOrg()
	e := newEnv(t, githubtest.FromSynth(o), nil)
	victim := o.Teams[len(o.Teams)-1]["slug"].(string)
	var deleted atomic.Bool
	e.srv.OnRequest = func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/teams/"+victim+"/repos") && deleted.CompareAndSwap(false, true) {
			e.srv.Update("initech", func(org *githubtest.Org) {
				var kept []map[string]any
				for _, tm := range org.Teams {
					if tm["slug"] != victim {
						kept = append(kept, tm)
					}
				}
				org.Teams = kept
			})
		}
	}
	recs := e.mustFetch(e.source())
	if !deleted.Load() {
		t.Fatal("the team was not deleted mid-fetch")
	}
	if _, ok := byKey(recs, "team")[victim]; ok {
		t.Error("the deleted team is still a record")
	}
	if len(byKey(recs, "team")) != len(o.Teams)-1 {
		t.Errorf("%d teams, want %d", len(byKey(recs, "team")), len(o.Teams)-1)
	}
}
