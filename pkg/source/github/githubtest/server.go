// Package githubtest is a fake GitHub REST API on loopback, for tests and benchmarks of
// pane's GitHub source. It serves organizations (repositories, teams, members, users and
// the files on each repository's default branch) the way api.github.com does: the same
// object shapes (built by internal/synth, checked against npm @octokit/fixtures'
// recorded responses), pagination with Link headers as GitHub writes them, weak ETags
// and 304s on If-None-Match that cost no rate limit, x-ratelimit-* headers and a primary
// rate limit that runs out, installation tokens for GitHub Apps (RS256 JWTs checked), and
// injected faults: secondary limits with Retry-After, 429, 5xx, redirects.
package githubtest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v4"
)

// Options configure a Server.
type Options struct {
	// Token is a personal access token the server accepts ("" accepts none: only App
	// installation tokens work then).
	Token string
	// Limit is the primary rate limit per hour window (default 5000).
	Limit int
	// Now is the server's clock (default time.Now). Tests share a fake clock with the
	// client's sleep so that waiting for a reset takes no time.
	Now func() time.Time
	// Prefix is the API root's path, as on GitHub Enterprise Server ("/api/v3"); default "".
	Prefix string
	// MaxTreeEntries truncates recursive trees, as GitHub does at 100,000 entries.
	MaxTreeEntries int
}

// Server is a running fake GitHub API.
type Server struct {
	// URL is the API root with a trailing slash: what pane's baseURL is set to.
	URL string
	// OnRequest, if set, is called before each request is answered (not under the
	// server's lock): tests use it to change the organization mid-fetch.
	OnRequest func(r *http.Request)

	srv    *httptest.Server
	prefix string
	now    func() time.Time
	maxTE  int

	// data guards the organizations; mu the rest. Requests read the organizations
	// concurrently, as GitHub serves them.
	data    sync.RWMutex
	orgs    map[string]*Org // by lower-case login
	treesMu sync.Mutex
	trees   map[string]*repoTree // by full name; dropped when files change
	replies sync.Map             // path?query -> reply: GETs answered before, until Update

	mu        sync.Mutex
	tokens    map[string]time.Time
	apps      map[int64]app
	limit     int
	remaining int
	reset     time.Time
	faults    []*Fault
	stats     Stats
	log       []Request
}

type app struct {
	installation int64
	key          *rsa.PublicKey
}

// Stats count what the server answered.
type Stats struct {
	Requests    int            // every request, token exchanges and faults included
	NotModified int            // 304s
	RateLimited int            // requests refused for the primary limit
	Faults      int            // injected faults served
	ByKind      map[string]int // requests by route kind (repos, teams, members, ...)
}

// Request is a request the server received, for tests that check what was sent.
type Request struct {
	Method, Path string
	Query        string
	Auth         string // the Authorization header as received
}

// Fault is an injected response.
type Fault struct {
	Method string // default GET
	// Path matches request paths (after the API root, without a leading slash) that start
	// with it; "" matches every path.
	Path  string
	Skip  int // let this many matching requests through first
	Times int // answer this many matching requests (default 1)
	// Status is the response status: 500, 502, 403 (a secondary limit when RetryAfter is
	// set or Secondary), 429, 301/302/307 (with Location).
	Status     int
	RetryAfter string
	Secondary  bool   // 403 with GitHub's secondary rate limit message
	Location   string // for redirects
	Link       string // a Link header to send
	Body       string // default: GitHub's message for the status
	// Delay makes the server wait before answering (a timeout on the client's side).
	Delay time.Duration
}

// New starts a fake serving orgs.
func New(opts Options, orgs ...*Org) *Server {
	s := &Server{
		orgs: map[string]*Org{}, tokens: map[string]time.Time{}, apps: map[int64]app{},
		limit: opts.Limit, now: opts.Now, prefix: strings.TrimRight(opts.Prefix, "/"),
		maxTE: opts.MaxTreeEntries, trees: map[string]*repoTree{},
	}
	if s.limit <= 0 {
		s.limit = 5000
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxTE <= 0 {
		s.maxTE = 100000
	}
	s.remaining = s.limit
	s.reset = s.now().Add(time.Hour).Truncate(time.Second)
	if opts.Token != "" {
		s.tokens[opts.Token] = time.Time{}
	}
	for _, o := range orgs {
		s.orgs[strings.ToLower(o.Login)] = o
	}
	s.stats.ByKind = map[string]int{}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL + s.prefix + "/"
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// AddApp registers a GitHub App installation: JWTs signed with the key's private half
// and issued by the app id get installation tokens.
func (s *Server) AddApp(id, installation int64, key *rsa.PublicKey) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[id] = app{installation, key}
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	if f.Method == "" {
		f.Method = http.MethodGet
	}
	s.faults = append(s.faults, &f)
}

// SetRateLimit sets what is left of the current window and when it resets.
func (s *Server) SetRateLimit(remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining, s.reset = remaining, reset
}

// RateLimit returns what is left of the current window.
func (s *Server) RateLimit() (remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remaining, s.reset
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByKind = make(map[string]int, len(s.stats.ByKind))
	for k, v := range s.stats.ByKind {
		st.ByKind[k] = v
	}
	return st
}

// ResetStats zeroes the counts and the request log.
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{ByKind: map[string]int{}}
	s.log = nil
}

// Requests returns every request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

// Update changes an organization under the server's lock.
func (s *Server) Update(login string, f func(o *Org)) {
	s.data.Lock()
	defer s.data.Unlock()
	o := s.orgs[strings.ToLower(login)]
	f(o)
	o.indexOnce = sync.Once{} // the lookups by name are made anew
	s.replies.Clear()
	s.treesMu.Lock()
	defer s.treesMu.Unlock()
	for k := range s.trees {
		if strings.HasPrefix(k, strings.ToLower(o.Login)+"/") {
			delete(s.trees, k)
		}
	}
}

// SetOrg replaces an organization (the one with o's login) with o, or adds it.
func (s *Server) SetOrg(o *Org) {
	s.data.Lock()
	defer s.data.Unlock()
	s.orgs[strings.ToLower(o.Login)] = o
	s.replies.Clear()
	s.treesMu.Lock()
	defer s.treesMu.Unlock()
	s.trees = map[string]*repoTree{}
}

// DeleteRepo deletes a repository: it leaves the listings, and its API answers 404.
func (s *Server) DeleteRepo(login, name string) {
	s.Update(login, func(o *Org) {
		kept := o.Repos[:0:0]
		for _, r := range o.Repos {
			if str(r["name"]) != name {
				kept = append(kept, r)
			}
		}
		o.Repos = kept
		for slug, trs := range o.TeamRepos {
			var k []TeamRepo
			for _, tr := range trs {
				if tr.Name != name {
					k = append(k, tr)
				}
			}
			o.TeamRepos[slug] = k
		}
		delete(o.Files, name)
	})
}

// reply is a response being built.
type reply struct {
	status int
	header http.Header
	body   []byte
	free   bool // costs no rate limit (token exchanges, /rate_limit)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.OnRequest != nil {
		s.OnRequest(r)
	}
	path := strings.TrimPrefix(r.URL.Path, s.prefix)
	path = strings.TrimPrefix(path, "/")

	s.mu.Lock()
	s.stats.Requests++
	s.log = append(s.log, Request{Method: r.Method, Path: path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization")})
	if f := s.fault(r.Method, path); f != nil {
		s.stats.Faults++
		s.mu.Unlock()
		s.serveFault(w, r, f)
		return
	}
	now := s.now()
	if !now.Before(s.reset) {
		s.remaining = s.limit
		s.reset = now.Add(time.Hour).Truncate(time.Second)
	}
	authOK := s.authorized(r, now)
	s.mu.Unlock()

	s.data.RLock()
	var rep reply
	key := path + "?" + r.URL.RawQuery
	if c, ok := s.replies.Load(key); ok && authOK && r.Method == http.MethodGet {
		// The same organization gives the same bytes: encode them once.
		rep = c.(reply)
		rep.header = rep.header.Clone()
		s.kind(routeKind(path))
	} else {
		rep = s.route(r, path, now, authOK)
		if authOK && r.Method == http.MethodGet && rep.status == http.StatusOK && path != "rate_limit" {
			s.replies.Store(key, reply{status: rep.status, header: rep.header.Clone(), body: rep.body, free: rep.free})
		}
	}
	s.data.RUnlock()
	if rep.header == nil {
		rep.header = http.Header{}
	}
	s.mu.Lock()
	h := w.Header()
	for k, v := range rep.header {
		h[k] = v
	}
	h.Set("Server", "github.com")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Request-Id", fmt.Sprintf("FAKE:%X", s.stats.Requests))
	if !rep.free && rep.status != http.StatusUnauthorized {
		// Rate limit: the primary limit runs out; a 304 costs nothing.
		if s.remaining <= 0 {
			s.stats.RateLimited++
			rep = reply{status: http.StatusForbidden, body: message("API rate limit exceeded for installation ID 1. If you reach out to GitHub Support for help, please include the request ID FAKE.", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api")}
		} else if rep.status == http.StatusOK && etagMatch(r.Header.Get("If-None-Match"), h.Get("ETag")) {
			rep.status = http.StatusNotModified
			rep.body = nil
			s.stats.NotModified++
		} else {
			s.remaining--
		}
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(s.remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
		h.Set("X-RateLimit-Used", strconv.Itoa(s.limit-s.remaining))
		h.Set("X-RateLimit-Resource", "core")
	}
	s.mu.Unlock()
	if rep.status == http.StatusNotModified {
		h.Del("Content-Type")
		h.Del("Link")
	} else if rep.body != nil && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(rep.status)
	if rep.status != http.StatusNotModified {
		w.Write(rep.body)
	}
}

func (s *Server) fault(method, path string) *Fault {
	for i, f := range s.faults {
		if f.Method != method || !strings.HasPrefix(path, f.Path) {
			continue
		}
		if f.Skip > 0 {
			f.Skip--
			continue
		}
		f.Times--
		if f.Times <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return f
	}
	return nil
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f *Fault) {
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	body := f.Body
	switch {
	case f.Location != "":
		h.Set("Location", f.Location)
	case body != "":
	case f.Status == http.StatusForbidden && (f.Secondary || f.RetryAfter != ""):
		body = string(message("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID FAKE.", "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"))
	case f.Status == http.StatusTooManyRequests:
		body = string(message("API rate limit exceeded. Please wait a few minutes before you try again.", "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"))
	case f.Status >= 500:
		h.Set("Content-Type", "text/html; charset=utf-8")
		body = "<html><body><h1>" + strconv.Itoa(f.Status) + " " + http.StatusText(f.Status) + "</h1></body></html>\n"
	default:
		body = string(message(http.StatusText(f.Status), "https://docs.github.com/rest"))
	}
	if f.RetryAfter != "" {
		h.Set("Retry-After", f.RetryAfter)
	}
	if f.Link != "" {
		h.Set("Link", f.Link)
	}
	if f.Status == http.StatusForbidden || f.Status == http.StatusTooManyRequests {
		s.mu.Lock()
		h.Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(s.remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
		h.Set("X-RateLimit-Resource", "core")
		s.mu.Unlock()
	}
	w.WriteHeader(f.Status)
	w.Write([]byte(body))
}

func message(msg, doc string) []byte {
	b, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": doc})
	return b
}

func notFound(doc string) reply {
	b, _ := json.Marshal(map[string]string{"message": "Not Found", "documentation_url": doc, "status": "404"})
	return reply{status: http.StatusNotFound, body: b}
}

// etagMatch compares an If-None-Match header with an ETag, weakly, as GitHub does.
func etagMatch(inm, etag string) bool {
	if inm == "" || etag == "" {
		return false
	}
	strip := func(e string) string { return strings.TrimPrefix(strings.TrimSpace(e), "W/") }
	for _, c := range strings.Split(inm, ",") {
		if strings.TrimSpace(c) == "*" || strip(c) == strip(etag) {
			return true
		}
	}
	return false
}

// authorized checks the Authorization header: a token the server issued or accepts.
func (s *Server) authorized(r *http.Request, now time.Time) bool {
	a := r.Header.Get("Authorization")
	var tok string
	switch {
	case strings.HasPrefix(a, "token "):
		tok = strings.TrimPrefix(a, "token ")
	case strings.HasPrefix(a, "Bearer "):
		tok = strings.TrimPrefix(a, "Bearer ")
	default:
		return false
	}
	exp, ok := s.tokens[tok]
	return ok && (exp.IsZero() || now.Before(exp))
}

func (s *Server) route(r *http.Request, path string, now time.Time, authOK bool) reply {
	parts := strings.Split(path, "/")
	if r.Method == http.MethodPost && len(parts) == 4 && parts[0] == "app" && parts[1] == "installations" && parts[3] == "access_tokens" {
		s.kind("token")
		return s.accessToken(r, parts[2], now)
	}
	if !authOK {
		b, _ := json.Marshal(map[string]string{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return reply{status: http.StatusUnauthorized, body: b}
	}
	if r.Method != http.MethodGet {
		return reply{status: http.StatusNotFound, body: message("Not Found", "https://docs.github.com/rest")}
	}
	q := r.URL.Query()
	switch {
	case len(parts) == 1 && parts[0] == "rate_limit":
		s.kind("rate_limit")
		s.mu.Lock()
		core := map[string]any{"limit": s.limit, "remaining": s.remaining, "reset": s.reset.Unix(), "used": s.limit - s.remaining, "resource": "core"}
		s.mu.Unlock()
		return s.json(map[string]any{"resources": map[string]any{"core": core}, "rate": core}, true)
	case len(parts) == 2 && parts[0] == "users":
		s.kind("user")
		for _, o := range s.orgs {
			if u := o.user(parts[1]); u != nil {
				return s.json(u, false)
			}
		}
		return notFound("https://docs.github.com/rest/users/users#get-a-user")
	case len(parts) >= 2 && (parts[0] == "orgs" || parts[0] == "organizations"):
		return s.orgRoute(r, parts, q)
	case len(parts) >= 4 && parts[0] == "repos":
		return s.repoRoute(parts, q)
	}
	return notFound("https://docs.github.com/rest")
}

// orgRoute serves /orgs/{org}/... and the /organizations/{id}/... form GitHub's Link
// headers use.
func (s *Server) orgRoute(r *http.Request, parts []string, q url.Values) reply {
	var o *Org
	if parts[0] == "orgs" {
		o = s.orgs[strings.ToLower(parts[1])]
	} else {
		id, _ := strconv.ParseInt(parts[1], 10, 64)
		for _, x := range s.orgs {
			if x.ID == id {
				o = x
			}
		}
	}
	if o == nil {
		return notFound("https://docs.github.com/rest/orgs/orgs#get-an-organization")
	}
	base := "organizations/" + strconv.FormatInt(o.ID, 10)
	rest := parts[2:]
	switch {
	case len(rest) == 0:
		s.kind("org")
		return s.json(map[string]any{"login": o.Login, "id": o.ID, "url": s.srv.URL + s.prefix + "/orgs/" + o.Login,
			"repos_url": s.srv.URL + s.prefix + "/orgs/" + o.Login + "/repos", "type": "Organization"}, false)
	case len(rest) == 1 && rest[0] == "repos":
		s.kind("repos")
		repos := append([]map[string]any(nil), o.Repos...)
		sortRepos(repos, q.Get("sort"), q.Get("direction"))
		return s.page(r, base+"/repos", toAny(repos))
	case len(rest) == 2 && rest[0] == "properties" && rest[1] == "values":
		s.kind("properties")
		var items []any
		for _, rp := range o.Repos {
			var props []any
			cp, _ := rp["custom_properties"].(map[string]any)
			keys := make([]string, 0, len(cp))
			for k := range cp {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				props = append(props, map[string]any{"property_name": k, "value": cp[k]})
			}
			if props == nil {
				props = []any{}
			}
			items = append(items, map[string]any{"repository_id": rp["id"], "repository_name": rp["name"],
				"repository_full_name": rp["full_name"], "properties": props})
		}
		return s.page(r, base+"/properties/values", items)
	case len(rest) == 1 && rest[0] == "teams":
		s.kind("teams")
		return s.page(r, base+"/teams", toAny(o.Teams))
	case len(rest) == 1 && rest[0] == "members":
		s.kind("org_members")
		users := append([]map[string]any(nil), o.Users...)
		sort.Slice(users, func(i, j int) bool { return toInt64(users[i]["id"]) < toInt64(users[j]["id"]) })
		var items []any
		for _, u := range users {
			items = append(items, simpleUser(u))
		}
		return s.page(r, base+"/members", items)
	case len(rest) == 3 && (rest[0] == "teams" || rest[0] == "team"):
		var t map[string]any
		if rest[0] == "teams" {
			t = o.team(rest[1])
		} else {
			id, _ := strconv.ParseInt(rest[1], 10, 64)
			t = o.teamByID(id)
		}
		if t == nil {
			return notFound("https://docs.github.com/rest/teams/teams#get-a-team-by-name")
		}
		slug := str(t["slug"])
		tbase := base + "/team/" + strconv.FormatInt(toInt64(t["id"]), 10)
		switch rest[2] {
		case "members":
			s.kind("members")
			role := q.Get("role")
			// GitHub lists a team's members with its child teams' members.
			seen := map[string]bool{}
			var items []any
			for _, d := range o.descendants(slug) {
				for _, m := range o.Members[d] {
					if seen[m.Login] || (role != "" && role != "all" && role != m.Role) {
						continue
					}
					seen[m.Login] = true
					if u := o.user(m.Login); u != nil {
						items = append(items, simpleUser(u))
					} else {
						items = append(items, map[string]any{"login": m.Login, "type": "User"})
					}
				}
			}
			sort.Slice(items, func(i, j int) bool {
				return toInt64(items[i].(map[string]any)["id"]) < toInt64(items[j].(map[string]any)["id"])
			})
			return s.page(r, tbase+"/members", items)
		case "repos":
			s.kind("team_repos")
			var items []any
			for _, tr := range o.TeamRepos[slug] {
				rp := o.repo(tr.Name)
				if rp == nil {
					continue
				}
				c := make(map[string]any, len(rp)+2)
				for k, v := range rp {
					c[k] = v
				}
				c["permissions"] = permissions(tr.Permission)
				c["role_name"] = roleName(tr.Permission)
				items = append(items, c)
			}
			return s.page(r, tbase+"/repos", items)
		}
	}
	return notFound("https://docs.github.com/rest")
}

func permissions(p string) map[string]any {
	rank := map[string]int{"pull": 1, "triage": 2, "push": 3, "maintain": 4, "admin": 5}[p]
	return map[string]any{"admin": rank >= 5, "maintain": rank >= 4, "push": rank >= 3, "triage": rank >= 2, "pull": rank >= 1}
}

func roleName(p string) string {
	switch p {
	case "push":
		return "write"
	case "pull":
		return "read"
	}
	return p
}

func sortRepos(repos []map[string]any, by, dir string) {
	key := "created_at"
	switch by {
	case "full_name", "updated", "pushed":
		key = map[string]string{"full_name": "full_name", "updated": "updated_at", "pushed": "pushed_at"}[by]
	}
	desc := dir == "desc" || (dir == "" && key != "full_name")
	sort.SliceStable(repos, func(i, j int) bool {
		a, b := str(repos[i][key]), str(repos[j][key])
		if a == b {
			a, b = str(repos[i]["full_name"]), str(repos[j]["full_name"])
		}
		if desc {
			return a > b
		}
		return a < b
	})
}

// page serves one page of items with GitHub's Link header. canonical is the path GitHub
// writes in its links (organizations/{id}/...).
func (s *Server) page(r *http.Request, canonical string, items []any) reply {
	q := r.URL.Query()
	per := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	pg := 1
	if v, err := strconv.Atoi(q.Get("page")); err == nil && v > 0 {
		pg = v
	}
	last := max(1, (len(items)+per-1)/per)
	lo := min((pg-1)*per, len(items))
	hi := min(lo+per, len(items))
	pageItems := items[lo:hi]
	if pageItems == nil {
		pageItems = []any{} // GitHub: an empty list, never null
	}
	rep := s.json(pageItems, false)
	if last > 1 {
		link := func(n int, rel string) string {
			// GitHub keeps the query's other parameters in their order and puts page last.
			var b strings.Builder
			for _, kv := range strings.Split(r.URL.RawQuery, "&") {
				if kv == "" || strings.HasPrefix(kv, "page=") {
					continue
				}
				b.WriteString(kv)
				b.WriteString("&")
			}
			b.WriteString("page=" + strconv.Itoa(n))
			return fmt.Sprintf("<%s%s/%s?%s>; rel=%q", s.srv.URL, s.prefix, canonical, b.String(), rel)
		}
		var links []string
		if pg > 1 {
			links = append(links, link(pg-1, "prev"))
		}
		if pg < last {
			links = append(links, link(pg+1, "next"), link(last, "last"))
		}
		if pg > 1 {
			links = append(links, link(1, "first"))
		}
		rep.header.Set("Link", strings.Join(links, ", "))
	}
	return rep
}

// json makes a 200 with a weak ETag of the body, as GitHub's JSON responses have.
func (s *Server) json(v any, free bool) reply {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return reply{status: 500, body: message(err.Error(), "")}
	}
	b := bytes.TrimRight(buf.Bytes(), "\n")
	sum := sha256.Sum256(b)
	h := http.Header{}
	h.Set("ETag", `W/"`+hex.EncodeToString(sum[:])+`"`)
	h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
	return reply{status: http.StatusOK, header: h, body: b, free: free}
}

func toAny(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

// accessToken exchanges a GitHub App's JWT for an installation token.
func (s *Server) accessToken(r *http.Request, inst string, now time.Time) reply {
	deny := func(msg string) reply {
		b, _ := json.Marshal(map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return reply{status: http.StatusUnauthorized, body: b, free: true}
	}
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return deny("A JSON web token could not be decoded")
	}
	var claims jwt.RegisteredClaims
	p := jwt.NewParser(jwt.WithoutClaimsValidation())
	var appID int64
	_, err := p.ParseWithClaims(raw, &claims, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() != "RS256" {
			return nil, fmt.Errorf("unexpected algorithm %s", t.Method.Alg())
		}
		c := t.Claims.(*jwt.RegisteredClaims)
		id, err := strconv.ParseInt(c.Issuer, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("bad issuer")
		}
		s.mu.Lock()
		a, ok := s.apps[id]
		s.mu.Unlock()
		if !ok {
			return nil, fmt.Errorf("unknown app")
		}
		appID = id
		return a.key, nil
	})
	if err != nil {
		return deny("A JSON web token could not be decoded")
	}
	if claims.ExpiresAt == nil || claims.IssuedAt == nil || claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 10*time.Minute {
		return deny("Expiration time' claim ('exp') is too far in the future")
	}
	s.mu.Lock()
	want := s.apps[appID].installation
	s.mu.Unlock()
	if id, _ := strconv.ParseInt(inst, 10, 64); want != id {
		return notFound("https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app")
	}
	b := make([]byte, 18)
	rand.Read(b)
	tok := "ghs_" + hex.EncodeToString(b)
	exp := now.Add(time.Hour).Truncate(time.Second)
	s.mu.Lock()
	s.tokens[tok] = exp
	s.mu.Unlock()
	rep := s.json(map[string]any{"token": tok, "expires_at": exp.UTC().Format(time.RFC3339),
		"permissions": map[string]any{"members": "read", "metadata": "read", "contents": "read"}, "repository_selection": "all"}, true)
	rep.status = http.StatusCreated
	rep.header.Del("ETag")
	return rep
}

func (s *Server) kind(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.ByKind[k]++
}

// routeKind names a path's route for Stats.ByKind, as route counts it.
func routeKind(path string) string {
	p := strings.Split(path, "/")
	switch {
	case len(p) == 2 && p[0] == "users":
		return "user"
	case len(p) >= 2 && (p[0] == "orgs" || p[0] == "organizations"):
		switch {
		case len(p) == 2:
			return "org"
		case len(p) == 3 && p[2] == "repos":
			return "repos"
		case len(p) == 3 && p[2] == "teams":
			return "teams"
		case len(p) == 3 && p[2] == "members":
			return "org_members"
		case len(p) == 4 && p[2] == "properties":
			return "properties"
		case len(p) == 5 && p[4] == "members":
			return "members"
		case len(p) == 5 && p[4] == "repos":
			return "team_repos"
		}
	case len(p) >= 4 && p[0] == "repos":
		switch {
		case len(p) == 3:
			return "repo"
		case p[3] == "git" && len(p) > 4 && p[4] == "trees":
			return "tree"
		case p[3] == "git" && len(p) > 4 && p[4] == "blobs":
			return "blob"
		case p[3] == "branches":
			return "branch"
		}
	}
	return "other"
}
