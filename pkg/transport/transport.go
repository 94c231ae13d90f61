// Package transport is the http.RoundTripper every network source of pane shares. It
// binds credentials to one host (a redirect or a hostile config cannot send them
// elsewhere), retries idempotent requests with jittered exponential backoff, honours
// Retry-After and rate-limit headers, spaces requests out to a rate, bounds the time of
// each attempt and the size of each body, and keeps secrets out of every error.
package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pane-dev/pane/pkg/secret"
)

// Defaults for the zero values of Options.
const (
	DefaultRetries       = 4
	DefaultMinBackoff    = 500 * time.Millisecond
	DefaultMaxBackoff    = 30 * time.Second
	DefaultMaxRetryAfter = 2 * time.Minute
	DefaultMaxBody       = 64 << 20
	DefaultTimeout       = 30 * time.Second
	// MaxRedirects is how many redirects a client from NewClient follows.
	MaxRedirects = 10
)

// Options configure a transport. The zero value is usable: no credentials, default
// retries, bounds and timeouts, no rate limit.
type Options struct {
	BaseURL       *url.URL                                         // credentials are sent only to this scheme+host(+port)
	Auth          func(h http.Header)                              // sets credential headers; called only for requests to BaseURL's host
	Retries       int                                              // retries after the first attempt; default 4 (negative: none)
	MinBackoff    time.Duration                                    // default 500ms; exponential with full jitter
	MaxBackoff    time.Duration                                    // default 30s
	MaxRetryAfter time.Duration                                    // longest Retry-After honoured, default 2m; longer is an error naming when to retry
	RPS           float64                                          // requests per second, 0 = unlimited (x/time/rate)
	MaxBody       int64                                            // default 64 MiB; a larger body is an error
	Timeout       time.Duration                                    // per attempt (the body's reading included), default 30s
	Sleep         func(ctx context.Context, d time.Duration) error // tests; default a timer honouring ctx
	Observe       func(Event)                                      // optional: every attempt (for progress and tests)
	Secrets       []secret.Secret                                  // redacted from every error message
}

// Event describes one attempt, after it is made.
type Event struct {
	Method, URL string        // URL as in errors: no userinfo, no secret query values
	Attempt     int           // 1 for the first attempt
	Status      int           // 0 when the attempt got no response
	Err         error         // the attempt's error, if any
	Wait        time.Duration // the wait before the next attempt; 0 when there is none
}

// credentialHeaders are removed from every request that does not go to BaseURL's host,
// whoever set them.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization"}

type transport struct {
	next    http.RoundTripper
	o       Options
	limiter *rate.Limiter // nil: unlimited

	mu       sync.Mutex
	authKeys map[string]bool // canonical names of the headers Auth has set
}

// New wraps next (nil: a clone of http.DefaultTransport) in pane's transport.
func New(next http.RoundTripper, o Options) http.RoundTripper {
	if next == nil {
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			next = dt.Clone()
		} else {
			next = http.DefaultTransport
		}
	}
	if o.Retries == 0 {
		o.Retries = DefaultRetries
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = DefaultMinBackoff
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = DefaultMaxBackoff
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = o.MinBackoff
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Sleep == nil {
		o.Sleep = Sleep
	}
	if o.BaseURL != nil {
		u := *o.BaseURL
		o.BaseURL = &u
	}
	o.Secrets = append([]secret.Secret(nil), o.Secrets...)
	t := &transport{next: next, o: o, authKeys: map[string]bool{}}
	if o.RPS > 0 {
		t.limiter = rate.NewLimiter(rate.Limit(o.RPS), 1)
	}
	// Learn which headers Auth sets, so they can be stripped from requests to other hosts
	// even before Auth has run for a request of our own.
	if o.Auth != nil {
		h := http.Header{}
		o.Auth(h)
		for k := range h {
			t.authKeys[http.CanonicalHeaderKey(k)] = true
		}
	}
	return t
}

// NewClient returns a client over New(nil, o) that follows at most MaxRedirects
// redirects. It has no overall timeout: Options.Timeout bounds each attempt. Its Do
// wraps errors in a *url.Error that quotes the full URL: show them through CleanError.
func NewClient(o Options) *http.Client {
	return &http.Client{
		Transport: New(nil, o),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", MaxRedirects)
			}
			return nil
		},
	}
}

// Sleep waits for d or until ctx is done, whichever comes first: the default of
// Options.Sleep, and of any other waiting a source does.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// RoundTrip sends req, retrying as Options say. It never modifies req.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req == nil || req.URL == nil {
		return nil, errors.New("transport: nil request or URL")
	}
	ctx := req.Context()
	where := req.Method + " " + t.redactURL(req.URL)
	retriable := canRetry(req)
	bodyUsed := false
	closeBody := func() {
		if req.Body != nil && !bodyUsed {
			req.Body.Close()
		}
	}
	for attempt := 1; ; attempt++ {
		if err := t.waitRate(ctx); err != nil {
			closeBody()
			return nil, t.errorf(err, "%s: %v", where, err)
		}
		areq, cancel, err := t.prepare(req, attempt)
		if err != nil {
			closeBody()
			return nil, t.errorf(err, "%s: %v", where, err)
		}
		bodyUsed = true
		resp, err := t.next.RoundTrip(areq)
		last := !retriable || attempt > t.o.Retries
		ev := Event{Method: req.Method, URL: t.redactURL(req.URL), Attempt: attempt}

		if err != nil {
			cancel()
			timedOut := ctx.Err() == nil && errors.Is(areq.Context().Err(), context.DeadlineExceeded)
			if timedOut {
				err = t.errorf(err, "%s: no response within %s", where, t.o.Timeout)
			} else {
				err = t.errorf(err, "%s: %v", where, t.describe(err))
			}
			ev.Err = err
			if ctx.Err() != nil || last || !(timedOut || isNetError(err)) {
				t.observe(ev)
				if attempt > 1 {
					return nil, t.errorf(err, "%v (after %d attempts)", err, attempt)
				}
				return nil, err
			}
			ev.Wait = t.backoff(attempt)
			t.observe(ev)
			if err := t.o.Sleep(ctx, ev.Wait); err != nil {
				return nil, t.errorf(err, "%s: %v", where, err)
			}
			continue
		}

		ev.Status = resp.StatusCode
		wait, hinted, retryStatus := t.retryAfter(resp)
		if retryStatus && retriable && hinted && wait > t.o.MaxRetryAfter {
			drain(resp)
			cancel()
			at := time.Now().Add(wait).UTC().Truncate(time.Second)
			err := fmt.Errorf("%s: %s: the server asks to wait %s, longer than the %s pane waits: retry after %s",
				where, resp.Status, wait.Round(time.Second), t.o.MaxRetryAfter, at.Format(time.RFC3339))
			ev.Err = err
			t.observe(ev)
			return nil, t.errorf(err, "%s", err)
		}
		if !retryStatus || last {
			if resp.ContentLength > t.o.MaxBody {
				drain(resp)
				cancel()
				err := fmt.Errorf("%s: response body of %d bytes is larger than the %d allowed", where, resp.ContentLength, t.o.MaxBody)
				ev.Err = err
				t.observe(ev)
				return nil, t.errorf(err, "%s", err)
			}
			t.observe(ev)
			resp.Body = &body{rc: resp.Body, cancel: cancel, max: t.o.MaxBody, t: t, where: where, ctx: ctx, actx: areq.Context()}
			return resp, nil
		}
		if !hinted {
			wait = t.backoff(attempt)
		}
		drain(resp)
		cancel()
		ev.Wait = wait
		t.observe(ev)
		if err := t.o.Sleep(ctx, wait); err != nil {
			return nil, t.errorf(err, "%s: %v", where, err)
		}
	}
}

// prepare makes the request of one attempt: its own context with the attempt's
// timeout, its own body, and the credentials that belong to its host and no others.
func (t *transport) prepare(req *http.Request, attempt int) (*http.Request, context.CancelFunc, error) {
	actx, cancel := context.WithTimeout(req.Context(), t.o.Timeout)
	areq := req.Clone(actx)
	if attempt > 1 && req.Body != nil && req.Body != http.NoBody {
		b, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, nil, fmt.Errorf("cannot resend the request body: %w", err)
		}
		areq.Body = b
	}
	if t.sameHost(req.URL) {
		if t.o.Auth != nil {
			h := http.Header{}
			t.o.Auth(h)
			t.mu.Lock()
			for k, v := range h {
				ck := http.CanonicalHeaderKey(k)
				t.authKeys[ck] = true
				areq.Header[ck] = v
			}
			t.mu.Unlock()
		}
	} else {
		for _, k := range credentialHeaders {
			areq.Header.Del(k)
		}
		t.mu.Lock()
		for k := range t.authKeys {
			areq.Header.Del(k)
		}
		t.mu.Unlock()
	}
	return areq, cancel, nil
}

// sameHost reports whether u has BaseURL's scheme, host and port (default ports
// spelled out or not).
func (t *transport) sameHost(u *url.URL) bool {
	b := t.o.BaseURL
	if b == nil || u == nil {
		return false
	}
	return strings.EqualFold(u.Scheme, b.Scheme) && hostPort(u) == hostPort(b)
}

func hostPort(u *url.URL) string {
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return net.JoinHostPort(host, port)
}

// canRetry: a request may be sent again if its method is idempotent and it has no
// body to lose, or if its body can be made again.
func canRetry(req *http.Request) bool {
	if req.GetBody != nil {
		return true
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions:
		return req.Body == nil || req.Body == http.NoBody
	}
	return false
}

// retryAfter says whether resp is worth another attempt and how long the server asks
// to wait (hinted: it said so, through Retry-After or an exhausted rate limit's reset).
func (t *transport) retryAfter(resp *http.Response) (wait time.Duration, hinted, retry bool) {
	code := resp.StatusCode
	wait, hinted = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if !hinted && (code == http.StatusForbidden || code == http.StatusTooManyRequests) &&
		resp.Header.Get("X-RateLimit-Remaining") == "0" {
		// GitHub's (and others') primary rate limit: wait for the reset.
		if reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			wait = max(time.Until(time.Unix(reset, 0))+time.Second, 0)
			hinted = true
		}
	}
	switch {
	case code >= 500, code == http.StatusTooManyRequests:
		retry = true
	case code == http.StatusForbidden:
		retry = hinted // GitHub's secondary limit says Retry-After; a plain 403 is final
	}
	return wait, hinted, retry
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		if n > int64(100*365*24*time.Hour/time.Second) {
			n = int64(100 * 365 * 24 * time.Hour / time.Second)
		}
		return time.Duration(n) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now), 0), true
	}
	return 0, false
}

// backoff is the full-jitter wait after the attempt-th attempt: uniform in
// [0, min(MaxBackoff, MinBackoff*2^(attempt-1))].
func (t *transport) backoff(attempt int) time.Duration {
	d := t.o.MinBackoff
	for i := 1; i < attempt && d < t.o.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, t.o.MaxBackoff)
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// waitRate waits for the rate limiter's turn, through Sleep so tests see the wait.
func (t *transport) waitRate(ctx context.Context) error {
	if t.limiter == nil {
		return ctx.Err()
	}
	now := time.Now()
	r := t.limiter.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("rate limiter refused the request")
	}
	d := r.DelayFrom(now)
	if d <= 0 {
		return ctx.Err()
	}
	if err := t.o.Sleep(ctx, d); err != nil {
		r.Cancel()
		return err
	}
	return nil
}

func (t *transport) observe(ev Event) {
	if t.o.Observe != nil {
		t.o.Observe(ev)
	}
}

func isNetError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded)
}

// describe gives a transport error's message without the *url.Error wrapping that
// repeats the URL with its query.
func (t *transport) describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// drain reads a little of a response we will not use, so the connection can be reused,
// and closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	resp.Body.Close()
}

// Error is a transport failure whose message is free of secrets; Unwrap gives the
// cause for errors.Is (context.Canceled, DeadlineExceeded).
type Error struct {
	msg   string
	cause error
}

func (e *Error) Error() string { return e.msg }
func (e *Error) Unwrap() error { return e.cause }

func (t *transport) errorf(cause error, format string, args ...any) error {
	return &Error{msg: secret.RedactAll(fmt.Sprintf(format, args...), t.o.Secrets...), cause: cause}
}

// CleanError returns err fit for a message: http.Client.Do wraps every transport error
// in a *url.Error that quotes the request's URL with its query string, which may hold a
// credential. CleanError returns the *Error inside (whose message is already clean), or
// else err's message with URLs rendered by RedactURL and the secrets given redacted. It
// keeps err in the chain for errors.Is. nil stays nil.
func CleanError(err error, secrets ...secret.Secret) error {
	if err == nil {
		return nil
	}
	var te *Error
	if errors.As(err, &te) {
		return &Error{msg: secret.RedactAll(te.msg, secrets...), cause: err}
	}
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		u := "[invalid URL]"
		if pu, perr := url.Parse(ue.URL); perr == nil {
			u = RedactURL(pu)
		}
		inner := "<nil>"
		if ue.Err != nil {
			inner = ue.Err.Error()
		}
		msg = ue.Op + " " + u + ": " + inner
	}
	return &Error{msg: secret.RedactAll(msg, secrets...), cause: err}
}

// redactURL is u as errors show it: no userinfo, secret-looking query values and
// secret values replaced.
func (t *transport) redactURL(u *url.URL) string {
	return secret.RedactAll(RedactURL(u), t.o.Secrets...)
}

// RedactURL renders u without userinfo and with the values of query parameters whose
// names suggest a credential (token, key, secret, password, signature, ...) replaced by
// "[redacted]". It is what pane puts in messages.
func RedactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	c.Fragment, c.RawFragment = "", ""
	if c.RawQuery != "" {
		q, err := url.ParseQuery(c.RawQuery)
		if err != nil {
			c.RawQuery = "[redacted]"
		} else {
			changed := false
			for k := range q {
				if sensitiveParam(k) {
					q[k] = []string{"[redacted]"}
					changed = true
				}
			}
			if changed {
				c.RawQuery = q.Encode()
			}
		}
	}
	return c.String()
}

func sensitiveParam(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"token", "key", "secret", "pass", "auth", "sig", "credential", "session", "code"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// body bounds a response body's size and ends the attempt's context when closed.
type body struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	max    int64
	n      int64
	t      *transport
	where  string
	ctx    context.Context // the request's
	actx   context.Context // the attempt's
	once   sync.Once
}

func (b *body) Read(p []byte) (int, error) {
	if b.n > b.max {
		return 0, b.tooLarge()
	}
	// Read at most one byte past the bound, to tell "exactly max" from "more".
	if rem := b.max - b.n + 1; int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	if b.n > b.max {
		return n - int(b.n-b.max), b.tooLarge()
	}
	if err != nil && err != io.EOF {
		if b.ctx.Err() == nil && errors.Is(b.actx.Err(), context.DeadlineExceeded) {
			return n, b.t.errorf(err, "%s: reading the response: not done within %s", b.where, b.t.o.Timeout)
		}
		return n, b.t.errorf(err, "%s: reading the response: %v", b.where, err)
	}
	return n, err
}

func (b *body) tooLarge() error {
	return b.t.errorf(nil, "%s: response body is larger than the %d bytes allowed", b.where, b.max)
}

func (b *body) Close() error {
	err := b.rc.Close()
	b.once.Do(b.cancel)
	return err
}
