package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pane-dev/pane/pkg/secret"
)

const token = "tok_VERY_s3cret"

// sleeper is a fake Sleep that records the waits and returns at once.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeper) Waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func authOpts(t *testing.T, base string) Options {
	return Options{
		BaseURL: mustURL(t, base),
		Auth: func(h http.Header) {
			h.Set("Authorization", "Bearer "+token)
			h.Set("X-Api-Key", token)
		},
		Secrets: []secret.Secret{secret.New(token)},
	}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, CleanError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, CleanError(err)
}

// headerLog records the credential headers of every request a server receives.
type headerLog struct {
	mu   sync.Mutex
	seen []http.Header
}

func (l *headerLog) record(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, r.Header.Clone())
}

func (l *headerLog) all() []http.Header {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]http.Header(nil), l.seen...)
}

func TestCredentialsBoundToBaseHost(t *testing.T) {
	var other headerLog
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.record(r)
		io.WriteString(w, "{}")
	}))
	defer evil.Close()
	var home headerLog
	base := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		home.record(r)
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, evil.URL+"/stolen", http.StatusFound)
		case "/away-307":
			http.Redirect(w, r, evil.URL+"/stolen", http.StatusTemporaryRedirect)
		case "/home":
			http.Redirect(w, r, "/ok", http.StatusFound)
		default:
			io.WriteString(w, "{}")
		}
	}))
	defer base.Close()

	c := NewClient(authOpts(t, base.URL))
	for _, p := range []string{"/away", "/away-307", "/home"} {
		if _, _, err := get(t, c, base.URL+p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	// A request made straight to the other host, with credentials set by the caller.
	req, _ := http.NewRequest(http.MethodGet, evil.URL+"/direct", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Proxy-Authorization", "Basic "+token)
	req.Header.Set("X-Api-Key", token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	for _, h := range home.all() {
		if h.Get("Authorization") != "Bearer "+token || h.Get("X-Api-Key") != token {
			t.Errorf("the base host did not get the credentials: %v", h)
		}
	}
	got := other.all()
	if len(got) != 3 {
		t.Fatalf("the other host got %d requests, want 3", len(got))
	}
	for _, h := range got {
		for k, vs := range h {
			for _, v := range vs {
				if strings.Contains(v, token) {
					t.Errorf("the other host received the secret in %s", k)
				}
			}
		}
	}
}

func TestSameHost(t *testing.T) {
	tr := New(nil, Options{BaseURL: mustURL(t, "https://API.example.com/v1")}).(*transport)
	for u, want := range map[string]bool{
		"https://api.example.com/x":          true,
		"https://api.example.com:443/x":      true,
		"http://api.example.com/x":           false,
		"https://api.example.com:8443/x":     false,
		"https://evil.api.example.com/x":     false,
		"https://api.example.com.evil.io/x":  false,
		"https://user:pw@api.example.com/x/": true,
	} {
		if got := tr.sameHost(mustURL(t, u)); got != want {
			t.Errorf("sameHost(%s) = %v, want %v", u, got, want)
		}
	}
	// No BaseURL: credentials go nowhere.
	called := false
	none := New(nil, Options{Auth: func(http.Header) { called = true }}).(*transport)
	if none.sameHost(mustURL(t, "https://x")) {
		t.Error("no BaseURL matched a host")
	}
	_ = called
}

func TestRetry500ThenSuccess(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	var sl sleeper
	var events []Event
	var mu sync.Mutex
	c := NewClient(Options{Sleep: sl.Sleep, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second,
		Observe: func(e Event) { mu.Lock(); events = append(events, e); mu.Unlock() }})
	resp, b, err := get(t, c, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || string(b) != "ok" || n.Load() != 3 {
		t.Fatalf("status %d body %q after %d requests", resp.StatusCode, b, n.Load())
	}
	w := sl.Waits()
	if len(w) != 2 || w[0] > 100*time.Millisecond || w[1] > 200*time.Millisecond {
		t.Errorf("waits %v, want two within the backoff caps 100ms, 200ms", w)
	}
	if len(events) != 3 || events[0].Status != 500 || events[2].Status != 200 || events[2].Attempt != 3 || events[0].Wait != w[0] {
		t.Errorf("events %+v", events)
	}
}

func TestRetriesExhaustedReturnsLastResponse(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusBadGateway)
	}))
	defer srv.Close()
	var sl sleeper
	c := NewClient(Options{Sleep: sl.Sleep, Retries: 2})
	resp, _, err := get(t, c, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 502 || n.Load() != 3 {
		t.Errorf("status %d after %d requests; want 502 after 3", resp.StatusCode, n.Load())
	}
	// Negative Retries: one attempt only.
	n.Store(0)
	c = NewClient(Options{Sleep: sl.Sleep, Retries: -1})
	get(t, c, srv.URL)
	if n.Load() != 1 {
		t.Errorf("Retries -1 made %d requests", n.Load())
	}
}

func TestBackoffIsCapped(t *testing.T) {
	tr := New(nil, Options{MinBackoff: time.Second, MaxBackoff: 4 * time.Second}).(*transport)
	for attempt := 1; attempt < 80; attempt++ {
		d := tr.backoff(attempt)
		limit := min(time.Second<<min(attempt-1, 10), 4*time.Second)
		if d < 0 || d > limit {
			t.Fatalf("backoff(%d) = %s, outside [0, %s]", attempt, d, limit)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header http.Header
		retry  bool
		wait   time.Duration
	}{
		{"429 seconds", 429, http.Header{"Retry-After": {"3"}}, true, 3 * time.Second},
		{"503 seconds", 503, http.Header{"Retry-After": {"7"}}, true, 7 * time.Second},
		{"403 secondary limit", 403, http.Header{"Retry-After": {"5"}}, true, 5 * time.Second},
		{"429 date", 429, http.Header{"Retry-After": {time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)}}, true, 90 * time.Second},
		{"403 primary limit", 403, http.Header{"X-Ratelimit-Remaining": {"0"}, "X-Ratelimit-Reset": {strconv.FormatInt(time.Now().Add(30*time.Second).Unix(), 10)}}, true, 31 * time.Second},
		{"plain 403", 403, nil, false, 0},
		{"404", 404, nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 {
					for k, v := range tt.header {
						w.Header()[k] = v
					}
					w.WriteHeader(tt.status)
					return
				}
				io.WriteString(w, "ok")
			}))
			defer srv.Close()
			var sl sleeper
			c := NewClient(Options{Sleep: sl.Sleep})
			resp, _, err := get(t, c, srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			w := sl.Waits()
			if !tt.retry {
				if resp.StatusCode != tt.status || len(w) != 0 {
					t.Fatalf("status %d, waits %v; want %d and no retry", resp.StatusCode, w, tt.status)
				}
				return
			}
			if resp.StatusCode != 200 || len(w) != 1 {
				t.Fatalf("status %d, waits %v", resp.StatusCode, w)
			}
			if d := w[0] - tt.wait; d < -2*time.Second || d > time.Second {
				t.Errorf("waited %s, want about %s", w[0], tt.wait)
			}
		})
	}
}

func TestRetryAfterTooLong(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	var sl sleeper
	c := NewClient(Options{Sleep: sl.Sleep, MaxRetryAfter: time.Minute})
	_, _, err := get(t, c, srv.URL+"/x?api_key="+token)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"429", "1h0m0s", "pane waits: retry after 20", "/x?api_key=%5Bredacted%5D"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, token) {
		t.Errorf("error has the secret: %s", msg)
	}
	if n.Load() != 1 || len(sl.Waits()) != 0 {
		t.Errorf("%d requests, waits %v; want 1 and none", n.Load(), sl.Waits())
	}
}

func TestTimeoutPerAttempt(t *testing.T) {
	var n, block atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= block.Load() {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	defer close(release)

	var sl sleeper
	// Every attempt times out.
	block.Store(2)
	// Long enough for the answering attempt on a loaded machine under the race detector.
	c := NewClient(Options{Sleep: sl.Sleep, Timeout: 500 * time.Millisecond, Retries: 1})
	_, _, err := get(t, c, srv.URL+"/slow")
	if err == nil || !strings.Contains(err.Error(), "no response within 500ms") || !strings.Contains(err.Error(), "after 2 attempts") {
		t.Fatalf("error = %v", err)
	}
	// The first attempt times out, the second answers: the timeout is per attempt.
	n.Store(0)
	block.Store(1)
	resp, b, err := get(t, c, srv.URL+"/slow")
	if err != nil || resp.StatusCode != 200 || string(b) != "ok" || n.Load() != 2 {
		t.Fatalf("after a timeout: %v, %v, %q, %d requests", err, resp, b, n.Load())
	}
}

func TestBodyReadTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "[")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient(Options{Timeout: 50 * time.Millisecond})
	_, _, err := get(t, c, srv.URL)
	if err == nil || !strings.Contains(err.Error(), "not done within 50ms") {
		t.Fatalf("error = %v", err)
	}
}

func TestContextCancelStopsRetrying(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c := NewClient(Options{Sleep: func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := c.Do(req)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
}

func TestNetworkErrorRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	var sl sleeper
	var attempts atomic.Int32
	c := NewClient(Options{Sleep: sl.Sleep, Retries: 2, Secrets: []secret.Secret{secret.New(token)},
		Observe: func(Event) { attempts.Add(1) }})
	_, _, err = get(t, c, "http://user:"+token+"@"+addr+"/p?token="+token+"&page=2")
	if err == nil {
		t.Fatal("no error")
	}
	if attempts.Load() != 3 || len(sl.Waits()) != 2 {
		t.Errorf("%d attempts, waits %v; want 3 and 2", attempts.Load(), sl.Waits())
	}
	if strings.Contains(err.Error(), token) {
		t.Errorf("error has the secret: %v", err)
	}
}

func TestNonIdempotentNotRetried(t *testing.T) {
	var n atomic.Int32
	var bodies []string
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if n.Add(1) == 1 {
			w.WriteHeader(503)
		}
	}))
	defer srv.Close()
	var sl sleeper
	c := NewClient(Options{Sleep: sl.Sleep})

	// A body that cannot be made again: no retry.
	req, _ := http.NewRequest(http.MethodPost, srv.URL, io.NopCloser(strings.NewReader("once")))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || n.Load() != 1 {
		t.Errorf("POST without GetBody: status %d after %d requests", resp.StatusCode, n.Load())
	}
	// A body with GetBody is sent again, whole.
	n.Store(0)
	req, _ = http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader([]byte("again")))
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if resp.StatusCode != 200 || n.Load() != 2 || bodies[1] != "again" || bodies[2] != "again" {
		t.Errorf("POST with GetBody: status %d after %d requests, bodies %q", resp.StatusCode, n.Load(), bodies)
	}
}

func TestRateLimit(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	defer srv.Close()
	var sl sleeper
	c := NewClient(Options{Sleep: sl.Sleep, RPS: 10})
	for range 5 {
		if _, _, err := get(t, c, srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	// The fake Sleep does not sleep, so each request reserves the next 100ms slot: the
	// waits the transport asked for grow by about 100ms each.
	w := sl.Waits()
	if len(w) != 4 || n.Load() != 5 {
		t.Fatalf("waits %v for %d requests; want 4 for 5", w, n.Load())
	}
	var total time.Duration
	for _, d := range w {
		total += d
	}
	if total < 500*time.Millisecond || total > time.Second {
		t.Errorf("asked to wait %s in all (%v), want about 1s", total, w)
	}
	// No RPS: no waits.
	sl = sleeper{}
	c = NewClient(Options{Sleep: sl.Sleep})
	for range 5 {
		get(t, c, srv.URL)
	}
	if len(sl.Waits()) != 0 {
		t.Errorf("unlimited transport waited %v", sl.Waits())
	}
}

func TestMaxBody(t *testing.T) {
	big := strings.Repeat("x", 1000)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		if r.URL.Query().Get("chunked") != "" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		io.WriteString(w, big[:n])
	}))
	defer srv.Close()
	c := NewClient(Options{MaxBody: 100})
	for _, q := range []string{"n=101", "n=1000", "n=101&chunked=1", "n=1000&chunked=1"} {
		_, _, err := get(t, c, srv.URL+"/?"+q)
		if err == nil || !strings.Contains(err.Error(), "larger than the 100 bytes allowed") && !strings.Contains(err.Error(), "larger than the 100 allowed") {
			t.Errorf("%s: error = %v", q, err)
		}
	}
	for _, q := range []string{"n=100", "n=100&chunked=1", "n=0"} {
		_, b, err := get(t, c, srv.URL+"/?"+q)
		if err != nil || len(b) != len(big[:mustAtoi(q)]) {
			t.Errorf("%s: %v, %d bytes", q, err, len(b))
		}
	}
}

func mustAtoi(q string) int {
	v, _ := url.ParseQuery(q)
	n, _ := strconv.Atoi(v.Get("n"))
	return n
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow":
			<-r.Context().Done()
		case "/limited":
			w.Header().Set("Retry-After", "99999")
			w.WriteHeader(429)
		default:
			io.WriteString(w, "more than MaxBody")
		}
	}))
	defer srv.Close()
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	o := authOpts(t, srv.URL)
	o.Sleep = (&sleeper{}).Sleep
	o.Retries = 1
	o.Timeout = 500 * time.Millisecond
	o.MaxBody = 1
	o.Observe = func(e Event) { log.Info("attempt", "method", e.Method, "url", e.URL, "status", e.Status, "err", e.Err) }
	c := NewClient(o)
	var msgs []string
	for _, p := range []string{
		"/slow?key=" + token,
		"/limited?x=" + token, // a secret under an innocent name: Options.Secrets catches it
		"/" + token + "/path",
		"/fail?password=" + token,
	} {
		_, _, err := get(t, c, strings.Replace(srv.URL, "http://", "http://me:"+token+"@", 1)+p)
		if err != nil {
			msgs = append(msgs, err.Error())
		}
		log.Error("fetch", "err", err)
	}
	if len(msgs) != 4 {
		t.Fatalf("expected errors, got %q", msgs)
	}
	out := strings.Join(msgs, "\n") + logs.String()
	if strings.Contains(out, token) {
		t.Errorf("the secret appears in errors or logs:\n%s", out)
	}
	if !strings.Contains(out, "[redacted]") {
		t.Errorf("nothing was redacted:\n%s", out)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:p@h/x?page=2":                 "https://h/x?page=2",
		"https://h/x?access_token=abc&page=2":    "https://h/x?access_token=%5Bredacted%5D&page=2",
		"https://h/x?API_KEY=abc":                "https://h/x?API_KEY=%5Bredacted%5D",
		"https://h/x?page=3#frag":                "https://h/x?page=3",
		"https://h/x?offset=100&limit=50&sig=zz": "https://h/x?limit=50&offset=100&sig=%5Bredacted%5D",
	} {
		if got := RedactURL(mustURL(t, in)); got != want {
			t.Errorf("RedactURL(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"0":                             0,
		"12":                            12 * time.Second,
		"Fri, 02 Jan 2026 03:05:05 GMT": time.Minute,
		"Fri, 02 Jan 2026 03:00:00 GMT": 0,
	} {
		d, ok := parseRetryAfter(v, now)
		if !ok || d != want {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s", v, d, ok, want)
		}
	}
	for _, v := range []string{"", "-1", "soon", "1.5"} {
		if _, ok := parseRetryAfter(v, now); ok {
			t.Errorf("parseRetryAfter(%q) accepted", v)
		}
	}
	if d, ok := parseRetryAfter("99999999999999999", now); !ok || d <= 0 {
		t.Errorf("a huge value gave %s, %v", d, ok)
	}
}

func TestNeverPanics(t *testing.T) {
	tr := New(nil, Options{})
	if _, err := tr.RoundTrip(&http.Request{Method: "GET"}); err == nil {
		t.Error("nil URL accepted")
	}
	if _, err := tr.RoundTrip(nil); err == nil {
		t.Error("nil request accepted")
	}
	req, _ := http.NewRequest("GET", "nope://x", nil)
	if _, err := tr.RoundTrip(req); err == nil {
		t.Error("bad scheme accepted")
	}
}

func TestTooManyRedirects(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		http.Redirect(w, r, fmt.Sprintf("%s/%d", srv.URL, n+1), http.StatusFound)
	}))
	defer srv.Close()
	_, _, err := get(t, NewClient(Options{}), srv.URL+"/0")
	if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
		t.Fatalf("error = %v", err)
	}
}

func TestCleanError(t *testing.T) {
	if CleanError(nil) != nil {
		t.Error("nil became an error")
	}
	ue := &url.Error{Op: "Get", URL: "https://me:pw@h/x?token=" + token + "&page=2", Err: errors.New("boom " + token)}
	err := CleanError(ue, secret.New(token))
	if got := err.Error(); got != "Get https://h/x?page=2&token=%5Bredacted%5D: boom [redacted]" {
		t.Errorf("CleanError = %q", got)
	}
	if !errors.Is(err, ue) {
		t.Error("the cause is lost")
	}
	te := &Error{msg: "GET https://h/x: clean"}
	if got := CleanError(&url.Error{Op: "Get", URL: "https://h/x?token=" + token, Err: te}).Error(); got != "GET https://h/x: clean" {
		t.Errorf("CleanError of a transport error = %q", got)
	}
	if got := CleanError(context.Canceled); !errors.Is(got, context.Canceled) {
		t.Errorf("CleanError(context.Canceled) = %v", got)
	}
}
