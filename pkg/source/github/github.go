// Package github is pane's GitHub source: an organization's repositories, teams and
// members, and the entity files kept in its repositories, read from GitHub's REST API
// (github.com or GitHub Enterprise Server) with the go-github v60 client.
//
// Records, each keyed stably:
//
//   - repository (key full_name): an item of GET /orgs/{org}/repos, with
//     custom_properties (from the listing, or from GET /orgs/{org}/properties/values)
//     and teams: [{slug, permission}], sorted by slug, joined from the teams' listings;
//   - team (key slug; org/slug when several orgs are read): an item of
//     GET /orgs/{org}/teams, with members: [{login, role}] and repositories:
//     [{full_name, name, permission}];
//   - user (key login): GET /users/{login} for every member of the organization;
//   - file (key owner/repo:path): an entity file found by `discover` on a repository's
//     default branch: {repo, path, sha, blob, url, text, content: [{line, column,
//     entity}], errors: [{where, message}]}. pane unifies its documents with the other
//     entities as declared ones, with origin owner/repo@sha:path:line (see Declared).
//
// The source behaves well with GitHub: 100 items a page, requests bounded in
// concurrency, conditional requests from a cache under the workspace (.pane/cache/)
// so that an unchanged organization costs almost no rate limit, waits for the primary
// rate limit's reset when that is near and fails clearly when it is not, and honours
// secondary limits, 429 and Retry-After. Credentials go to the API host only.
package github

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	gh "github.com/google/go-github/v60/github"

	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/transport"
)

// DefaultBaseURL is github.com's API root.
const DefaultBaseURL = "https://api.github.com/"

// Defaults of the configuration.
const (
	DefaultConcurrency = 4
	DefaultReserve     = 50
	DefaultMaxWait     = 10 * time.Minute
)

// Config is a github source's configuration (#GitHubSource in pane's config schema).
type Config struct {
	Org      string     `json:"org"`
	Orgs     []string   `json:"orgs"`
	BaseURL  string     `json:"baseURL"`
	Auth     AuthConfig `json:"auth"`
	Discover []string   `json:"discover"`
	// Concurrency bounds the requests in flight (default 4).
	Concurrency int `json:"concurrency"`
	RateLimit   struct {
		// Reserve: stop at this many requests left in the window (default 50), and wait
		// for the reset if it comes within MaxWait; otherwise fail the source.
		Reserve *int   `json:"reserve"`
		MaxWait string `json:"maxWait"` // a Go duration; default 10m
		// RPS spaces requests out (requests per second); 0: no spacing.
		RPS float64 `json:"rps"`
	} `json:"rateLimit"`
	// Cache turns the conditional-request cache off when false (default true).
	Cache *bool `json:"cache"`
}

// AuthConfig says where the credential is: a token, or a GitHub App installation.
type AuthConfig struct {
	Token *secret.Ref `json:"token"`
	App   *AppConfig  `json:"app"`
}

// AppConfig is a GitHub App installation.
type AppConfig struct {
	ID           int64      `json:"id"`
	Installation int64      `json:"installation"`
	PrivateKey   secret.Ref `json:"privateKey"`
}

// Credentials are the resolved secrets of a source.
type Credentials struct {
	Token  secret.Secret // a personal access token or any other bearer token
	AppID  int64
	Inst   int64
	AppKey secret.Secret // the App's private key (PEM)
}

// Credentials reads the configured credential. A relative file path is relative to
// the workspace dir. Errors name the variable or file, never the value.
func (c Config) Credentials(dir string) (Credentials, error) {
	abs := func(r secret.Ref) secret.Ref {
		if r.File != "" && !filepath.IsAbs(r.File) {
			r.File = filepath.Join(dir, r.File)
		}
		return r
	}
	switch {
	case c.Auth.Token != nil && c.Auth.App != nil:
		return Credentials{}, errors.New("auth: set token or app, not both")
	case c.Auth.Token != nil:
		s, err := abs(*c.Auth.Token).Resolve()
		if err != nil {
			return Credentials{}, fmt.Errorf("auth.token: %w", err)
		}
		return Credentials{Token: s}, nil
	case c.Auth.App != nil:
		s, err := abs(c.Auth.App.PrivateKey).Resolve()
		if err != nil {
			return Credentials{}, fmt.Errorf("auth.app.privateKey: %w", err)
		}
		return Credentials{AppID: c.Auth.App.ID, Inst: c.Auth.App.Installation, AppKey: s}, nil
	}
	return Credentials{}, errors.New("auth: set token (a personal access token) or app (a GitHub App installation)")
}

// Options are what the configuration does not say: where to cache, and hooks for tests.
type Options struct {
	// CacheDir holds the conditional-request cache ("": none).
	CacheDir string
	// Transport is the network (default: a clone of http.DefaultTransport).
	Transport http.RoundTripper
	// Sleep and Now replace the clock (tests: waiting for a reset takes no time).
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
	// MinBackoff and Timeout tune the retries (defaults: pkg/transport's).
	MinBackoff time.Duration
	Timeout    time.Duration
	Retries    int
	Logger     *slog.Logger
	Progress   io.Writer // "": no progress line
}

// Source is a github source.
type Source struct {
	name  string
	cfg   Config
	orgs  []string
	creds Credentials
	opts  Options
	base  *url.URL
	pats  []string // discover patterns

	client  *gh.Client
	api     *apiTransport
	rate    *rateObserver
	count   *counters
	install *ghinstallation.Transport

	mu       sync.Mutex // one fetch at a time: the client's cache and counters are per fetch
	log      *slog.Logger
	progress io.Writer
}

var loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)

// New makes a source from its configuration and resolved credentials.
func New(name string, cfg Config, creds Credentials, opts Options) (*Source, error) {
	s := &Source{name: name, cfg: cfg, creds: creds, opts: opts, count: &counters{}}
	switch {
	case cfg.Org != "" && len(cfg.Orgs) > 0:
		return nil, errors.New("set org or orgs, not both")
	case cfg.Org != "":
		s.orgs = []string{cfg.Org}
	default:
		s.orgs = append(s.orgs, cfg.Orgs...)
	}
	if len(s.orgs) == 0 {
		return nil, errors.New("no org: set org (or orgs)")
	}
	seen := map[string]bool{}
	for _, o := range s.orgs {
		if !loginRE.MatchString(o) {
			return nil, fmt.Errorf("org %q is not a GitHub organization name", o)
		}
		if seen[strings.ToLower(o)] {
			return nil, fmt.Errorf("org %q is listed twice", o)
		}
		seen[strings.ToLower(o)] = true
	}
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("baseURL %q: want an http(s) URL of GitHub's API root, such as %s or https://ghe.example.com/api/v3/", cfg.BaseURL, DefaultBaseURL)
	}
	s.base = u
	for _, p := range cfg.Discover {
		if err := checkPattern(p); err != nil {
			return nil, fmt.Errorf("discover %q: %v", p, err)
		}
		s.pats = append(s.pats, p)
	}
	if s.opts.Now == nil {
		s.opts.Now = time.Now
	}
	if s.opts.Sleep == nil {
		s.opts.Sleep = transport.Sleep
	}
	maxWait := DefaultMaxWait
	if cfg.RateLimit.MaxWait != "" {
		d, err := time.ParseDuration(cfg.RateLimit.MaxWait)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("rateLimit.maxWait %q: want a duration such as 10m or 1h", cfg.RateLimit.MaxWait)
		}
		maxWait = d
	}
	reserve := DefaultReserve
	if cfg.RateLimit.Reserve != nil {
		reserve = max(*cfg.RateLimit.Reserve, 0)
	}
	conc := cfg.Concurrency
	if conc <= 0 {
		conc = DefaultConcurrency
	}
	if creds.Token.IsZero() && creds.AppKey.IsZero() {
		return nil, errors.New("no credential")
	}

	s.rate = &rateObserver{next: opts.Transport, now: s.opts.Now, count: s.count}
	if s.rate.next == nil {
		ht := http.DefaultTransport.(*http.Transport).Clone()
		ht.MaxIdleConnsPerHost = conc // keep a connection per request in flight
		s.rate.next = ht
	}
	topts := transport.Options{
		BaseURL: u, Retries: opts.Retries, MinBackoff: opts.MinBackoff, MaxRetryAfter: maxWait,
		RPS: cfg.RateLimit.RPS, Timeout: opts.Timeout, Sleep: s.opts.Sleep, Secrets: s.secrets(),
	}
	if !creds.Token.IsZero() {
		tok := creds.Token
		topts.Auth = func(h http.Header) { h.Set("Authorization", "Bearer "+tok.Reveal()) }
	}
	var next http.RoundTripper = transport.New(s.rate, topts)
	if !creds.AppKey.IsZero() {
		// ghinstallation adds the installation token to every request it is given; the
		// transport below it strips it from any request to another host.
		atr, err := ghinstallation.NewAppsTransport(next, creds.AppID, []byte(creds.AppKey.Reveal()))
		if err != nil {
			return nil, errors.New("auth.app.privateKey: not an RSA private key in PEM form")
		}
		atr.BaseURL = strings.TrimRight(u.String(), "/")
		s.install = ghinstallation.NewFromAppsTransport(atr, creds.Inst)
		next = s.install
	}
	var cache *httpCache
	if opts.CacheDir != "" && (cfg.Cache == nil || *cfg.Cache) {
		cache = newHTTPCache(filepath.Join(opts.CacheDir, "http.cache"), s.secrets)
	}
	s.api = &apiTransport{next: next, rate: s.rate, cache: cache, sem: make(chan struct{}, conc),
		reserve: reserve, maxWait: maxWait, sleep: s.opts.Sleep, now: s.opts.Now, count: s.count}
	s.client = gh.NewClient(&http.Client{
		Transport: s.api,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= transport.MaxRedirects {
				return fmt.Errorf("stopped after %d redirects", transport.MaxRedirects)
			}
			return nil
		},
	})
	s.client.BaseURL = u
	s.client.UserAgent = "pane"
	s.log = opts.Logger
	s.progress = opts.Progress
	return s, nil
}

// Name returns the source's name.
func (s *Source) Name() string { return s.name }

// SetOutput sets where the source logs (nil: nowhere) and writes its progress line
// (nil: none). pane's compile sets them from its options.
func (s *Source) SetOutput(log *slog.Logger, progress io.Writer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.progress = log, progress
}

// secrets are the credentials in play, for redaction: the configured ones and the
// installation token ghinstallation holds, if it has one.
func (s *Source) secrets() []secret.Secret {
	out := []secret.Secret{s.creds.Token, s.creds.AppKey}
	if s.install != nil {
		if _, refresh, err := s.install.Expiry(); err == nil && time.Now().Before(refresh) {
			// The token is current: Token returns it without a request.
			if tok, err := s.install.Token(context.Background()); err == nil {
				out = append(out, secret.New(tok))
			}
		}
	}
	return out
}

// redact keeps credentials out of an error's message (a server could echo one back).
func (s *Source) redact(err error) error {
	if err == nil {
		return nil
	}
	return &redacted{msg: secret.RedactAll(err.Error(), s.secrets()...), err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

var plainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// cacheSubdir is a name safe as a directory for a source name.
func cacheSubdir(name string) string {
	if plainName.MatchString(name) {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:8])
}

// CacheDir is where a source of this name caches under a workspace.
func CacheDir(workspace, name string) string {
	return filepath.Join(workspace, ".pane", "cache", "github", cacheSubdir(name))
}

// Failed is a source that could not be made (its credential cannot be read, say): its
// fetch fails with err, so pane reports it as that source's failure.
func Failed(name string, err error) source.Source { return failed{name, err} }

type failed struct {
	name string
	err  error
}

func (f failed) Name() string { return f.name }
func (f failed) Fetch(context.Context, func(source.Record) error) error {
	return f.err
}
