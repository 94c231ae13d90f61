package github

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// pane's GitHub client sends each request through this stack:
//
//	go-github v60 client
//	  -> apiTransport   conditional requests from the cache; the primary rate limit
//	                    (wait for the reset, or fail naming it); GitHub's secondary
//	                    limit when it comes without Retry-After; the concurrency bound
//	  -> ghinstallation (GitHub App auth only: adds the installation token)
//	  -> pkg/transport  credentials for the API host only; retries of 5xx, timeouts,
//	                    429 and Retry-After with jittered backoff; body bound
//	  -> rateObserver   reads x-ratelimit-* from every response, retries included
//	  -> the network
//
// go-github v60 does none of this itself (see DESIGN.md), and after it sees a
// RateLimitError it refuses requests locally until the reset: so apiTransport marks
// what it returns X-From-Cache, the one way v60 offers to keep its own rate-limit
// bookkeeping out of the way, and handles rate limits itself.

// rateState is what GitHub last said of the primary rate limit ("core" resource).
type rateState struct {
	known     bool
	limit     int
	remaining int
	reset     time.Time
}

// counters are the numbers progress reports and the benchmark measures.
type counters struct {
	requests    atomic.Int64 // requests that reached the network, retries included
	notModified atomic.Int64 // 304s: answered from the cache, free of rate limit
	reused      atomic.Int64 // discovered files reused without a request
}

// rateObserver sits next to the network and notes the rate limit of every response.
type rateObserver struct {
	next  http.RoundTripper
	now   func() time.Time
	count *counters

	mu   sync.Mutex
	core rateState
}

func (o *rateObserver) RoundTrip(req *http.Request) (*http.Response, error) {
	o.count.requests.Add(1)
	resp, err := o.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	o.note(resp.Header)
	return resp, nil
}

func (o *rateObserver) note(h http.Header) {
	if res := h.Get("X-RateLimit-Resource"); res != "" && res != "core" {
		return
	}
	rem, err1 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err2 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	limit, _ := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	at := time.Unix(reset, 0)
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case !o.core.known || at.After(o.core.reset):
		o.core = rateState{known: true, limit: limit, remaining: rem, reset: at}
	case at.Equal(o.core.reset):
		// Responses to concurrent requests arrive in any order: the least is the latest.
		o.core.remaining = min(o.core.remaining, rem)
	}
}

func (o *rateObserver) state() rateState {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.core
}

// forget drops a state whose reset has passed.
func (o *rateObserver) forget(reset time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.core.reset.Equal(reset) {
		o.core.known = false
	}
}

// RateLimitError is a primary rate limit that resets later than the source may wait.
type RateLimitError struct {
	Limit, Remaining, Reserve int
	Reset                     time.Time
	In, MaxWait               time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("GitHub API rate limit: %d of %d requests left (the reserve is %d); it resets at %s, in %s, "+
		"longer than rateLimit.maxWait (%s): run again after the reset, or raise rateLimit.maxWait",
		e.Remaining, e.Limit, e.Reserve, e.Reset.UTC().Format(time.RFC3339), e.In.Round(time.Second), e.MaxWait)
}

// apiTransport is the GitHub-specific top of the stack.
type apiTransport struct {
	next    http.RoundTripper
	rate    *rateObserver
	cache   *httpCache // nil: no conditional requests
	sem     chan struct{}
	reserve int
	maxWait time.Duration
	sleep   func(ctx context.Context, d time.Duration) error
	now     func() time.Time
	count   *counters
	waiting func(until time.Time) // progress: waiting for a rate limit
}

// secondaryRetries bounds the retries of a secondary limit that gave no Retry-After.
const secondaryRetries = 3

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	if err := t.admit(ctx); err != nil {
		return nil, err
	}
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.sem }()

	var key string
	var ent *cacheEntry
	if t.cache != nil && req.Method == http.MethodGet && ctx.Value(noCacheKey{}) == nil {
		key = cacheKey(req.Method, req.URL.String(), req.Header.Get("Accept"))
		if e, ok := t.cache.get(key); ok {
			ent = e
			req = req.Clone(ctx)
			if e.ETag != "" {
				req.Header.Set("If-None-Match", e.ETag)
			} else if e.LastModified != "" {
				req.Header.Set("If-Modified-Since", e.LastModified)
			}
		}
	}
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			if rl := t.exhausted(); rl != nil {
				return nil, rl
			}
			return nil, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		switch {
		case resp.StatusCode == http.StatusNotModified && ent != nil:
			t.count.notModified.Add(1)
			resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
			if ent.ContentType != "" {
				resp.Header.Set("Content-Type", ent.ContentType)
			}
			if ent.Link != "" {
				resp.Header.Set("Link", ent.Link)
			}
			body = ent.Body
		case resp.StatusCode == http.StatusOK && key != "":
			e := &cacheEntry{URL: req.URL.String(), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"),
				ContentType: resp.Header.Get("Content-Type"), Link: resp.Header.Get("Link"), Body: body}
			if e.ETag != "" || e.LastModified != "" {
				t.cache.put(key, e)
			}
		case (resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests) &&
			resp.Header.Get("X-RateLimit-Remaining") == "0":
			if rl := t.exhausted(); rl != nil {
				return nil, rl
			}
		case resp.StatusCode == http.StatusForbidden && resp.Header.Get("Retry-After") == "" &&
			bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit")) && attempt < secondaryRetries:
			// GitHub: without Retry-After, wait at least a minute, longer each time.
			wait := time.Minute << attempt
			if wait > t.maxWait {
				return nil, fmt.Errorf("GitHub's secondary rate limit: waiting %s is longer than rateLimit.maxWait (%s)", wait, t.maxWait)
			}
			if t.waiting != nil {
				t.waiting(t.now().Add(wait))
			}
			if err := t.sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		resp.Header.Set("X-From-Cache", "1")
		resp.Body = io.NopCloser(bytes.NewReader(body))
		resp.ContentLength = int64(len(body))
		resp.Header.Del("Content-Length")
		resp.Header.Del("Content-Encoding")
		return resp, nil
	}
}

// admit waits while the primary rate limit is at or below the reserve and its reset is
// within maxWait; beyond that it fails.
func (t *apiTransport) admit(ctx context.Context) error {
	for {
		st := t.rate.state()
		now := t.now()
		if !st.known || st.remaining > t.reserve || !now.Before(st.reset) {
			return ctx.Err()
		}
		wait := st.reset.Sub(now) + time.Second // GitHub's reset second is inclusive
		if wait > t.maxWait {
			return &RateLimitError{Limit: st.limit, Remaining: st.remaining, Reserve: t.reserve, Reset: st.reset, In: wait, MaxWait: t.maxWait}
		}
		if t.waiting != nil {
			t.waiting(st.reset)
		}
		if err := t.sleep(ctx, wait); err != nil {
			return err
		}
		t.rate.forget(st.reset)
	}
}

// exhausted returns the error for a primary limit that ran out, when its reset is
// further away than the source may wait (the lower transport waits for nearer ones).
func (t *apiTransport) exhausted() *RateLimitError {
	st := t.rate.state()
	now := t.now()
	if !st.known || st.remaining > 0 || !now.Before(st.reset) {
		return nil
	}
	wait := st.reset.Sub(now) + time.Second
	if wait <= t.maxWait {
		return nil
	}
	return &RateLimitError{Limit: st.limit, Remaining: st.remaining, Reserve: t.reserve, Reset: st.reset, In: wait, MaxWait: t.maxWait}
}

// linkNext returns the rel="next" URL of a Link header.
func linkNext(h string) string {
	for _, part := range strings.Split(h, ",") {
		seg := strings.Split(part, ";")
		if len(seg) < 2 {
			continue
		}
		u := strings.TrimSpace(seg[0])
		if !strings.HasPrefix(u, "<") || !strings.HasSuffix(u, ">") {
			continue
		}
		for _, p := range seg[1:] {
			p = strings.TrimSpace(p)
			if p == `rel="next"` || p == "rel=next" {
				return u[1 : len(u)-1]
			}
		}
	}
	return ""
}

type noCacheKey struct{}

// withoutCache marks a request's context: its answer is not worth a cache file (each
// costs a file: at 10,000 repositories, seconds).
func withoutCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, noCacheKey{}, true)
}
