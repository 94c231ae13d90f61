package github

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gh "github.com/google/go-github/v60/github"
	"golang.org/x/sync/errgroup"

	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/source/file"
	"github.com/pane-dev/pane/pkg/transport"
)

// Fetch reads every configured organization and emits its records: repositories
// (sorted by full name), teams, users, files (each sorted by key). Records are emitted
// only once everything is read, so a failed fetch emits nothing.
func (s *Source) Fetch(ctx context.Context, emit func(source.Record) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := time.Now()
	req0, nm0, re0 := s.count.requests.Load(), s.count.notModified.Load(), s.count.reused.Load()
	f := &fetch{s: s, prog: newProgress(s.progress, s.name, s.rate, s.count)}
	s.api.waiting = f.prog.waiting
	defer f.prog.stop()

	if err := f.loadDiscoverState(); err != nil && s.log != nil {
		s.log.Debug("discover state unreadable; starting afresh", "source", s.name, "err", err)
	}
	var recs []source.Record
	for _, org := range s.orgs {
		r, err := f.org(ctx, org)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return s.redact(fmt.Errorf("org %s: %w", org, err))
		}
		recs = append(recs, r...)
	}
	f.prog.stop()
	byType := map[string]int{}
	for _, r := range recs {
		if err := emit(r); err != nil {
			return err
		}
		byType[r.Type]++
	}
	// A complete fetch: what it did not use is gone from GitHub.
	if s.api.cache != nil {
		if err := f.saveDiscoverState(); err != nil && s.log != nil {
			s.log.Warn("cannot write the discover state", "source", s.name, "err", err)
		}
		if err := s.api.cache.save(); err != nil && s.log != nil {
			s.log.Warn("cannot write the cache", "source", s.name, "err", err)
		}
	}
	if s.log != nil {
		st := s.rate.state()
		attrs := []any{"source", s.name,
			"repositories", byType["repository"], "teams", byType["team"], "users", byType["user"], "files", byType["file"],
			"requests", s.count.requests.Load() - req0, "not_modified", s.count.notModified.Load() - nm0,
			"files_reused", s.count.reused.Load() - re0, "took", time.Since(start).Round(time.Millisecond)}
		if st.known {
			attrs = append(attrs, "rate_limit_left", fmt.Sprintf("%d/%d", st.remaining, st.limit),
				"rate_limit_reset", st.reset.UTC().Format(time.RFC3339))
		}
		s.log.Info("fetched from GitHub", attrs...)
	}
	return nil
}

// fetch is one Fetch's state.
type fetch struct {
	s    *Source
	prog *progress

	stateMu sync.Mutex
	prev    *discoverState // the last complete fetch's discovered files
	next    *discoverState // this fetch's
}

// orgData is what one organization's listings gave.
type orgData struct {
	login     string
	repos     []map[string]any
	teams     []map[string]any
	logins    []string
	props     map[string]map[string]any // full_name -> custom properties, when listed apart
	members   map[string]*teamMembers   // by slug
	teamRepos map[string][]any          // by slug
	users     map[string]map[string]any // by login
	files     map[string][]source.Record
	gone      map[string]bool // repositories deleted while we read them
	goneTeams map[string]bool // teams deleted while we read them
	mu        sync.Mutex
}

type teamMembers struct{ maintainers, members []string }

func (f *fetch) org(ctx context.Context, org string) ([]source.Record, error) {
	d := &orgData{login: org, members: map[string]*teamMembers{}, teamRepos: map[string][]any{},
		users: map[string]map[string]any{}, files: map[string][]source.Record{}, gone: map[string]bool{}, goneTeams: map[string]bool{}}
	esc := url.PathEscape(org)

	// The listings first: repositories oldest first, so that a new repository changes only
	// the last page and the others stay 304s.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return f.list(gctx, "orgs/"+esc+"/repos?sort=created&direction=asc&per_page=100", func(m map[string]any) error {
			d.repos = append(d.repos, m)
			f.prog.repos.Add(1)
			return nil
		})
	})
	g.Go(func() error {
		return f.list(gctx, "orgs/"+esc+"/teams?per_page=100", func(m map[string]any) error {
			d.teams = append(d.teams, m)
			f.prog.teamsTotal.Add(1)
			return nil
		})
	})
	g.Go(func() error {
		return listOf(gctx, f, "orgs/"+esc+"/members?per_page=100", func(u login) error {
			if u.Login != "" {
				d.logins = append(d.logins, u.Login)
				f.prog.usersTotal.Add(1)
			}
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, r := range d.repos {
		if _, ok := r["full_name"].(string); !ok {
			return nil, fmt.Errorf("a repository without full_name in the listing")
		}
	}

	// Then everything per team, user and repository, bounded by the transport.
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(2 * cap(f.s.api.sem))
	needProps := false
	for _, r := range d.repos {
		if _, ok := r["custom_properties"]; !ok {
			needProps = true
		}
	}
	if needProps {
		g.Go(func() error { return f.properties(gctx, d) })
	}
	for _, t := range d.teams {
		slug, _ := t["slug"].(string)
		if slug == "" {
			return nil, fmt.Errorf("a team without slug in the listing")
		}
		tm := &teamMembers{}
		d.members[slug] = tm
		base := "orgs/" + esc + "/teams/" + url.PathEscape(slug)
		// A team deleted since the listing answers 404: it is left out.
		teamGone := func(err error) error {
			if isNotFound(err) {
				d.mu.Lock()
				d.goneTeams[slug] = true
				d.mu.Unlock()
				return nil
			}
			return err
		}
		g.Go(func() error {
			return teamGone(listOf(gctx, f, base+"/members?role=maintainer&per_page=100", func(u login) error {
				tm.maintainers = append(tm.maintainers, u.Login)
				return nil
			}))
		})
		g.Go(func() error {
			return teamGone(listOf(gctx, f, base+"/members?role=member&per_page=100", func(u login) error {
				tm.members = append(tm.members, u.Login)
				return nil
			}))
		})
		g.Go(func() error {
			var repos []any
			err := listOf(gctx, f, base+"/repos?per_page=100", func(r teamRepo) error {
				repos = append(repos, map[string]any{"full_name": r.FullName, "name": r.Name, "permission": r.permission()})
				return nil
			})
			d.mu.Lock()
			d.teamRepos[slug] = repos
			d.mu.Unlock()
			f.prog.teams.Add(1)
			return teamGone(err)
		})
	}
	for _, login := range d.logins {
		g.Go(func() error {
			u, err := f.object(gctx, "users/"+url.PathEscape(login))
			f.prog.users.Add(1)
			if isNotFound(err) {
				return nil // left the organization, or deleted, since the listing
			}
			if err != nil {
				return err
			}
			d.mu.Lock()
			d.users[login] = u
			d.mu.Unlock()
			return nil
		})
	}
	if len(f.s.pats) > 0 {
		for _, r := range d.repos {
			if r["archived"] == true || r["fork"] == true {
				continue // a fork carries its upstream's entity files, an archive its old ones
			}
			g.Go(func() error { return f.discover(gctx, d, r) })
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return d.records(len(f.s.orgs) > 1), nil
}

// login is an item of a listing of users; the rest of it is not needed.
type login struct {
	Login string `json:"login"`
}

// teamRepo is an item of a team's repositories: a repository object, of which a team
// record needs only these.
type teamRepo struct {
	FullName    string          `json:"full_name"`
	Name        string          `json:"name"`
	Permissions map[string]bool `json:"permissions"`
	RoleName    string          `json:"role_name"`
}

// permission is the team's permission on the repository, from the listing's
// permissions, in the words GitHub's team API uses (admin, maintain, push, triage, pull).
func (r teamRepo) permission() string {
	for _, k := range []string{"admin", "maintain", "push", "triage", "pull"} {
		if r.Permissions[k] {
			return k
		}
	}
	switch r.RoleName {
	case "write":
		return "push"
	case "read":
		return "pull"
	case "":
		return "pull"
	default:
		return r.RoleName
	}
}

// properties lists the organization's custom property values, for listings that lack
// them (GitHub Enterprise Server versions before custom properties, or a token that
// may not read them: then every repository has none).
func (f *fetch) properties(ctx context.Context, d *orgData) error {
	props := map[string]map[string]any{}
	err := f.list(ctx, "orgs/"+url.PathEscape(d.login)+"/properties/values?per_page=100", func(m map[string]any) error {
		cp := map[string]any{}
		if ps, ok := m["properties"].([]any); ok {
			for _, p := range ps {
				if pm, ok := p.(map[string]any); ok {
					if n, _ := pm["property_name"].(string); n != "" && pm["value"] != nil {
						cp[n] = pm["value"]
					}
				}
			}
		}
		props[str(m["repository_full_name"])] = cp
		return nil
	})
	if isStatus(err, http.StatusNotFound, http.StatusForbidden) {
		if f.s.log != nil {
			f.s.log.Info("custom properties are not readable: repositories get none", "source", f.s.name, "org", d.login)
		}
		err, props = nil, map[string]map[string]any{}
	}
	d.mu.Lock()
	d.props = props
	d.mu.Unlock()
	return err
}

// records joins what was read into records.
func (d *orgData) records(multiOrg bool) []source.Record {
	var out []source.Record
	// Teams: direct members, and the repositories they have (those not deleted since).
	parent := map[string]string{}
	for _, t := range d.teams {
		if p, ok := t["parent"].(map[string]any); ok {
			parent[str(t["slug"])] = str(p["slug"])
		}
	}
	// GitHub lists a team's members together with its child teams' members; a team's
	// own are those no child team lists.
	inChild := map[string]map[string]bool{}
	for slug, p := range parent {
		if inChild[p] == nil {
			inChild[p] = map[string]bool{}
		}
		for _, l := range d.members[slug].maintainers {
			inChild[p][l] = true
		}
		for _, l := range d.members[slug].members {
			inChild[p][l] = true
		}
	}
	repoTeams := map[string][]any{}
	var teams []source.Record
	for _, t := range d.teams {
		slug := str(t["slug"])
		if d.goneTeams[slug] {
			continue
		}
		tm := d.members[slug]
		role := map[string]string{}
		for _, l := range tm.members {
			role[l] = "member"
		}
		for _, l := range tm.maintainers {
			role[l] = "maintainer"
		}
		logins := make([]string, 0, len(role))
		for l := range role {
			if !inChild[slug][l] {
				logins = append(logins, l)
			}
		}
		sort.Slice(logins, func(i, j int) bool { return strings.ToLower(logins[i]) < strings.ToLower(logins[j]) })
		members := make([]any, 0, len(logins))
		for _, l := range logins {
			members = append(members, map[string]any{"login": l, "role": role[l]})
		}
		repos := make([]any, 0, len(d.teamRepos[slug]))
		for _, r := range d.teamRepos[slug] {
			if !d.gone[str(r.(map[string]any)["full_name"])] {
				repos = append(repos, r)
			}
		}
		sort.Slice(repos, func(i, j int) bool {
			return str(repos[i].(map[string]any)["name"]) < str(repos[j].(map[string]any)["name"])
		})
		for _, r := range repos {
			rm := r.(map[string]any)
			fn := str(rm["full_name"])
			repoTeams[fn] = append(repoTeams[fn], map[string]any{"slug": slug, "permission": rm["permission"]})
		}
		rec := make(map[string]any, len(t)+2)
		for k, v := range t {
			rec[k] = v
		}
		rec["members"] = members
		rec["repositories"] = repos
		key := slug
		if multiOrg {
			key = d.login + "/" + slug
		}
		teams = append(teams, source.Record{Type: "team", Key: key, Data: rec, Where: "team " + d.login + "/" + slug})
	}

	// Repositories, with custom properties and their teams.
	for _, r := range d.repos {
		fn := str(r["full_name"])
		if d.gone[fn] {
			continue
		}
		rec := make(map[string]any, len(r)+2)
		for k, v := range r {
			rec[k] = v
		}
		if _, ok := rec["custom_properties"]; !ok {
			cp := d.props[fn]
			if cp == nil {
				cp = map[string]any{}
			}
			rec["custom_properties"] = cp
		}
		ts := repoTeams[fn]
		sort.Slice(ts, func(i, j int) bool {
			return str(ts[i].(map[string]any)["slug"]) < str(ts[j].(map[string]any)["slug"])
		})
		if ts == nil {
			ts = []any{}
		}
		rec["teams"] = ts
		out = append(out, source.Record{Type: "repository", Key: fn, Data: rec, Where: "repository " + fn})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	sort.Slice(teams, func(i, j int) bool { return teams[i].Key < teams[j].Key })
	out = append(out, teams...)

	var users []source.Record
	for login, u := range d.users {
		users = append(users, source.Record{Type: "user", Key: str(u["login"]), Data: u, Where: "user " + login})
	}
	sort.Slice(users, func(i, j int) bool { return users[i].Key < users[j].Key })
	out = append(out, users...)

	var files []source.Record
	for fn, fs := range d.files {
		if !d.gone[fn] {
			files = append(files, fs...)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Key < files[j].Key })
	return append(out, files...)
}

// list reads every page of a listing, following the Link header's rel="next" as GitHub
// writes it.
func (f *fetch) list(ctx context.Context, path string, each func(map[string]any) error) error {
	u := path
	for u != "" {
		body, resp, err := f.get(ctx, u)
		if err != nil {
			return err
		}
		err = file.Decode(u, "json", body, func(_ string, v any) error {
			m, _ := v.(map[string]any)
			return each(m)
		})
		if err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		if u, err = f.nextPage(resp); err != nil {
			return err
		}
	}
	return nil
}

// listOf reads every page of a listing into items of type T (decoding only what T
// holds: a team's repositories are whole repository objects).
func listOf[T any](ctx context.Context, f *fetch, path string, each func(T) error) error {
	u := path
	for u != "" {
		body, resp, err := f.get(ctx, u)
		if err != nil {
			return err
		}
		var items []T
		if err := json.Unmarshal(body, &items); err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		for _, it := range items {
			if err := each(it); err != nil {
				return err
			}
		}
		if u, err = f.nextPage(resp); err != nil {
			return err
		}
	}
	return nil
}

// nextPage is a listing's next page, from the Link header. A link to another host than the
// API's is refused: GitHub never sends one, and following it would go without the
// credential at best.
func (f *fetch) nextPage(resp *gh.Response) (string, error) {
	n := linkNext(resp.Header.Get("Link"))
	if n == "" {
		return "", nil
	}
	u, err := url.Parse(n)
	if err != nil {
		return "", fmt.Errorf("the Link header's next page %q: %v", n, err)
	}
	if u.IsAbs() && (!strings.EqualFold(u.Scheme, f.s.base.Scheme) || !strings.EqualFold(u.Host, f.s.base.Host)) {
		return "", fmt.Errorf("the Link header's next page is on another host (%s), not the API's (%s)", u.Host, f.s.base.Host)
	}
	return n, nil
}

// object reads one JSON object.
func (f *fetch) object(ctx context.Context, path string) (map[string]any, error) {
	body, _, err := f.get(ctx, path)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = file.Decode(path, "json", body, func(_ string, v any) error {
		out, _ = v.(map[string]any)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if out == nil {
		return nil, fmt.Errorf("GET %s: expected a JSON object", path)
	}
	return out, nil
}

func (f *fetch) get(ctx context.Context, u string) ([]byte, *gh.Response, error) {
	req, err := f.s.client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	var buf bytes.Buffer
	resp, err := f.s.client.Do(ctx, req, &buf)
	if err != nil {
		return nil, resp, describe(req, err)
	}
	return buf.Bytes(), resp, nil
}

// describe words a request's failure: the request, GitHub's status and message.
func describe(req *http.Request, err error) error {
	where := req.Method + " " + req.URL.RequestURI()
	var er *gh.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		msg := where + ": " + er.Response.Status
		if er.Message != "" {
			msg += ": " + er.Message
		}
		return &requestError{msg: msg, err: err}
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return te // it names the request
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &requestError{msg: where + ": " + err.Error(), err: err}
}

// requestError is a failed request, worded by describe; Unwrap gives the cause
// (a *github.ErrorResponse, a *RateLimitError, a context error).
type requestError struct {
	msg string
	err error
}

func (e *requestError) Error() string { return e.msg }
func (e *requestError) Unwrap() error { return e.err }

// cached returns what the cache holds for a GET of path, without a request.
func (f *fetch) cached(path string) ([]byte, bool) {
	c := f.s.api.cache
	if c == nil {
		return nil, false
	}
	req, err := f.s.client.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		return nil, false
	}
	e, ok := c.get(cacheKey(req.Method, req.URL.String(), req.Header.Get("Accept")))
	if !ok {
		return nil, false
	}
	return e.Body, true
}

func isNotFound(err error) bool { return isStatus(err, http.StatusNotFound) }

func isStatus(err error, codes ...int) bool {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false
	}
	for _, c := range codes {
		if er.Response.StatusCode == c {
			return true
		}
	}
	return false
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// progress is the line a long fetch keeps up to date on a terminal.
type progress struct {
	w     interface{ Write([]byte) (int, error) }
	name  string
	rate  *rateObserver
	count *counters

	repos, teams, teamsTotal, users, usersTotal, files atomic.Int64
	waitUntil                                          atomic.Int64 // unix seconds; 0: not waiting

	once sync.Once
	done chan struct{}
	wg   sync.WaitGroup
}

func newProgress(w interface{ Write([]byte) (int, error) }, name string, rate *rateObserver, count *counters) *progress {
	p := &progress{w: w, name: name, rate: rate, count: count, done: make(chan struct{})}
	if w == nil {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				p.draw(true)
				return
			case <-t.C:
				p.draw(false)
			}
		}
	}()
	return p
}

func (p *progress) waiting(until time.Time) { p.waitUntil.Store(until.Unix()) }

func (p *progress) draw(final bool) {
	if p.count == nil {
		return
	}
	line := fmt.Sprintf("%s: %d repositories, teams %d/%d, users %d/%d, %d files; %d requests (%d not modified)",
		p.name, p.repos.Load(), p.teams.Load(), p.teamsTotal.Load(), p.users.Load(), p.usersTotal.Load(), p.files.Load(),
		p.count.requests.Load(), p.count.notModified.Load())
	if st := p.rate.state(); st.known {
		line += fmt.Sprintf(", rate limit %d/%d left", st.remaining, st.limit)
	}
	if w := p.waitUntil.Load(); w > 0 && time.Now().Unix() < w {
		line += ", waiting until " + time.Unix(w, 0).UTC().Format("15:04:05Z")
	}
	end := ""
	if final {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s%s", line, end)
}

func (p *progress) stop() {
	p.once.Do(func() {
		close(p.done)
		p.wg.Wait()
	})
}
