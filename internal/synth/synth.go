// Package synth makes GitHub organizations of any size for benchmarks and load tests:
// repositories, teams and users in the shapes pane's GitHub source yields (GitHub's REST
// API objects; see shapes.go), generated deterministically from a seed, with no network.
//
// Generate builds an organization; Mutate derives a later state of it (some repositories
// changed, a few created and deleted), which is what an incremental compile or a resync
// sees; WriteFiles records an organization as the JSON files a `file` source reads.
//
// The same record builders produce the hand-written example organization "acme" of the
// example workspace: testdata/github/*.json are written by
//
//	go test ./internal/synth -run TestExampleOrg -update
//
// and that test fails when the files and the example in example_test.go disagree.
package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Org is a GitHub organization's records, in the shapes pane's GitHub source yields.
// Records may share nested values (every repository's owner is one map): treat them as
// read-only, as Mutate does.
type Org struct {
	Repositories []map[string]any // items of GET /orgs/{org}/repos, with custom_properties
	Teams        []map[string]any // items of GET /orgs/{org}/teams, with members and repositories
	Users        []map[string]any // GET /users/{login} responses
}

const (
	genOrgLogin   = "initech"
	genOrgID      = 118234501
	genOrgCreated = 1420070400 // 2015-01-01T00:00:00Z
	genNow        = 1767225600 // 2026-01-01T00:00:00Z: nothing generated is later
	genStart      = 1514764800 // 2018-01-01T00:00:00Z: the first repository
)

// rng is a small deterministic generator (SplitMix64) whose sequence, unlike math/rand's
// helpers, can never change under us.
type rng struct{ s uint64 }

func newRNG(seed int64, stream uint64) *rng {
	r := &rng{s: uint64(seed)*0x9e3779b97f4a7c15 ^ stream*0xbf58476d1ce4e5b9}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n); n must be positive.
func (r *rng) intn(n int) int { return int((r.next() >> 11) % uint64(n)) }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return float64(r.next()>>11)/(1<<53) < p }

func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

var (
	domains = []string{"payments", "billing", "ledger", "checkout", "orders", "catalog",
		"inventory", "shipping", "search", "identity", "auth", "accounts", "notifications",
		"messaging", "fraud", "risk", "pricing", "promotions", "loyalty", "reviews",
		"recommendations", "analytics", "reporting", "warehouse", "support", "onboarding",
		"compliance", "tax", "invoicing", "subscriptions", "merchants", "partners", "mobile",
		"growth", "marketing", "content", "media", "maps", "routing", "scheduling", "booking",
		"documents", "storage", "gateway", "edge", "observability", "logging", "metrics",
		"tracing", "deploy", "build", "secrets", "config", "feature-flags", "experiments",
		"events", "streaming", "payouts", "disputes", "kyc", "fx", "treasury", "returns"}
	components = []string{"api", "service", "worker", "web", "ui", "sdk", "client", "lib",
		"gateway", "proxy", "jobs", "cron", "consumer", "producer", "pipeline", "etl",
		"dashboard", "admin", "cli", "operator", "controller", "infra", "terraform", "helm",
		"docs", "schemas", "proto", "models", "migrations", "e2e", "loadtest", "bot",
		"exporter", "adapter", "connector", "sync", "cache", "store", "engine", "scheduler",
		"router", "indexer"}
	departments = []string{"commerce", "money", "platform", "data", "trust", "growth",
		"core", "infrastructure", "security", "marketplace", "logistics", "finance-eng",
		"developer-experience", "customer", "mobile-eng", "enterprise"}
	squads = []string{"core", "api", "web", "mobile", "data", "infra", "reliability",
		"experience", "integrations", "tooling", "foundations", "ops"}
	firstNames = []string{"ada", "ben", "carla", "dev", "emma", "felix", "grace", "hugo",
		"ines", "jonas", "kira", "liam", "maya", "noah", "olga", "pavel", "quinn", "rosa",
		"sami", "tara", "umar", "vera", "wei", "ximena", "yusuf", "zoe", "anil", "bea",
		"chidi", "dana", "eli", "fatima", "gus", "hana", "ivan", "jade", "kai", "lena",
		"mo", "nia", "omar", "priya", "raj", "sofia", "tomas", "uma", "vik", "wren"}
	lastNames = []string{"adams", "bauer", "costa", "diaz", "evans", "fischer", "garcia",
		"hansen", "ito", "jensen", "kim", "lopez", "muller", "nakamura", "okafor", "patel",
		"quist", "rossi", "silva", "tanaka", "ueda", "varga", "weber", "xu", "yilmaz",
		"zhang", "abara", "berg", "chen", "dubois", "eriksen", "ferrari", "gupta", "horvat",
		"iqbal", "jovanovic", "kowalski", "larsen", "mensah", "novak", "olsen", "petrov",
		"reyes", "schmidt", "torres", "usman", "vogel", "wong"}
	cities = []string{"Berlin", "London", "Lisbon", "Toronto", "Austin, TX", "Bangalore",
		"Amsterdam", "Warsaw", "Singapore", "São Paulo", "Nairobi", "Seattle, WA", "Remote"}
	languages = []string{"Go", "Go", "Go", "Go", "Go", "TypeScript", "TypeScript",
		"TypeScript", "TypeScript", "Python", "Python", "Python", "Java", "Java", "Kotlin",
		"JavaScript", "HCL", "Ruby", "Rust", "Shell", "C#", "Swift"}
	techTopics = []string{"grpc", "rest", "graphql", "kafka", "postgres", "redis",
		"kubernetes", "aws", "terraform", "react", "nextjs", "spring-boot", "django",
		"fastapi", "openapi", "protobuf", "helm", "airflow", "dbt", "snowflake"}
	licenses = []string{"", "", "", "", "", "", "mit", "apache-2.0", "bsd-3-clause", "mpl-2.0"}
)

var (
	verbs = map[string][]string{
		"service": {"Serves the %s API for internal and partner clients.",
			"Owns %s state and publishes change events to the event bus.",
			"Backend for %s: request validation, persistence and idempotent retries.",
			"Handles %s requests behind the edge gateway; horizontally scaled on Kubernetes."},
		"library": {"Shared %s client library with retries, tracing and typed errors.",
			"Generated %s types and helpers, versioned with semantic versioning.",
			"Protocol buffer and OpenAPI definitions for %s."},
		"website": {"Web front end for %s, built with React and served from the CDN.",
			"Internal %s dashboard for operations and customer support.",
			"Documentation site for %s, published on every merge to main."},
		"": {"Infrastructure as code for %s: accounts, networks and clusters.",
			"Scripts and jobs that keep %s data in shape.",
			"End-to-end and load tests for %s."},
	}
	componentKind = map[string]string{"api": "service", "service": "service", "worker": "service",
		"gateway": "service", "proxy": "service", "jobs": "service", "cron": "service",
		"consumer": "service", "producer": "service", "pipeline": "service", "etl": "service",
		"operator": "service", "controller": "service", "exporter": "service", "adapter": "service",
		"connector": "service", "sync": "service", "cache": "service", "store": "service",
		"engine": "service", "scheduler": "service", "router": "service", "indexer": "service",
		"bot": "service", "sdk": "library", "client": "library", "lib": "library",
		"schemas": "library", "proto": "library", "models": "library", "cli": "library",
		"web": "website", "ui": "website", "dashboard": "website", "admin": "website", "docs": "website"}
)

// gen holds what generating repositories needs, for Generate and Mutate alike.
type gen struct {
	r      *rng
	org    *org
	names  *namer // repository names
	leaves []int  // team indices that may be a repository's admin, leaves first
	nLeaf  int
	slugs  []string
}

// namer hands out unique names: base, then base-2, base-3, ...
type namer struct {
	taken map[string]bool
	next  map[string]int
}

func newNamer(n int) *namer {
	return &namer{taken: make(map[string]bool, n), next: make(map[string]int)}
}

func (nm *namer) unique(base string) string {
	name := base
	n := max(nm.next[base], 2)
	for nm.taken[name] {
		name = base + "-" + strconv.Itoa(n)
		n++
	}
	nm.next[base] = n
	nm.taken[name] = true
	return name
}

// repoSpec makes one repository; created is its creation time.
func (g *gen) repoSpec(id, created int64) *repoSpec {
	r := g.r
	domain, comp := pick(r, domains), pick(r, components)
	s := &repoSpec{
		id:            id,
		name:          g.names.unique(domain + "-" + comp),
		visibility:    "private",
		created:       created,
		defaultBranch: "main",
		hasIssues:     true,
		hasProjects:   r.chance(0.3),
		hasWiki:       r.chance(0.2),
		language:      pick(r, languages),
		size:          50 + int(math.Exp(float64(r.intn(1000))/1000*11)),
		issues:        r.intn(30),
	}
	switch v := r.intn(100); {
	case v < 12:
		s.visibility = "public"
		s.stars, s.forks = r.intn(400), r.intn(60)
		s.license = pick(r, licenses[6:])
	case v < 30:
		s.visibility = "internal"
	}
	if s.visibility != "public" {
		s.license = pick(r, licenses)
		s.stars = r.intn(8)
	}
	if created < 1577836800 { // before 2020
		s.defaultBranch = "master"
	}
	kind := componentKind[comp]
	if r.chance(0.03) {
		s.description = nil
	} else {
		s.description = fmt.Sprintf(pick(r, verbs[kind]), strings.ReplaceAll(domain, "-", " "))
	}
	var topics []string
	if kind != "" {
		topics = append(topics, kind)
	}
	switch v := r.intn(100); {
	case v < 70:
		topics = append(topics, "lifecycle-production")
	case v < 88:
		topics = append(topics, "lifecycle-experimental")
	}
	topics = append(topics, domain)
	for range r.intn(4) {
		if t := pick(r, techTopics); !slices.Contains(topics, t) {
			topics = append(topics, t)
		}
	}
	span := genNow - created
	s.pushed = created + int64(r.intn(int(span)+1))
	s.updated = s.pushed + int64(r.intn(3600))
	if r.chance(0.03) {
		s.archived = true
		s.pushed = created + int64(r.intn(int(span)/4+1))
		s.updated = s.pushed + int64(r.intn(int(genNow-s.pushed)+1))
		if r.chance(0.6) {
			topics = append(topics, "deprecated")
		}
	}
	if r.chance(0.02) {
		// A fork of an outside project: GitHub lists it with the upstream's description.
		s.fork = true
		s.description = "Fork of the upstream " + domain + " " + comp + " project with our patches."
		topics = nil
	}
	slices.Sort(topics)
	s.topics = topics
	if kind == "website" && s.visibility == "public" {
		s.homepage = "https://" + s.name + ".example.com"
		s.hasPages = r.chance(0.5)
	} else if r.chance(0.5) {
		s.homepage = ""
	}
	s.hasDiscussions = s.visibility == "public" && r.chance(0.3)
	s.template = comp == "service" && r.chance(0.02)
	cp := map[string]any{}
	if kind == "service" {
		cp["tier"] = strconv.Itoa(1 + r.intn(3))
	}
	if r.chance(0.3) {
		cp["data-classification"] = pick(r, []string{"public", "internal", "confidential", "restricted"})
	}
	s.customProperties = cp
	return s
}

// adminTeam picks the team that administers a new repository, or -1 when the repository
// is owned through its owner-team custom property instead.
func (g *gen) adminTeam(s *repoSpec) int {
	t := g.leaves[g.r.intn(g.nLeaf)]
	if g.r.chance(0.15) {
		t = g.leaves[g.r.intn(len(g.leaves))]
	}
	if g.r.chance(0.03) {
		s.customProperties["owner-team"] = g.slugs[t]
		return -1
	}
	if g.r.chance(0.1) {
		s.customProperties["owner-team"] = g.slugs[t] // agrees with the admin team
	}
	return t
}

// Generate returns an organization with repos repositories, about repos/25 teams nested
// three levels deep and about repos/5 users; the same seed always gives the same records.
// Every repository has exactly one admin team (listed in that team's repositories) or,
// for about 3%, an owner-team custom property instead. About 3% are archived, 2% forks,
// 3% without a description.
func Generate(seed int64, repos int) Org {
	repos = max(repos, 0)
	r := newRNG(seed, 1)
	g := &gen{r: r, org: newOrg(genOrgLogin, genOrgID, genOrgCreated), names: newNamer(repos)}

	// Teams: departments, their groups, and the groups' squads.
	nTeams := max(3, repos/25)
	nTop := max(1, nTeams/25)
	nMid := max(1, nTeams/5)
	nLeaf := nTeams - nTop - nMid
	teams := make([]*teamSpec, nTeams)
	slugs := newNamer(nTeams)
	g.slugs = make([]string, nTeams)
	nextTeamID := int64(4000000)
	newTeam := func(i int, base string, parent *teamSpec) {
		nextTeamID += 1 + int64(r.intn(5000))
		slug := slugs.unique(base)
		words := strings.Split(slug, "-")
		for j, w := range words {
			words[j] = strings.ToUpper(w[:1]) + w[1:]
		}
		t := &teamSpec{id: nextTeamID, created: genStart + int64(i)*(genNow-genStart)/int64(nTeams),
			name: strings.Join(words, " "), slug: slug,
			privacy: "closed", notify: !r.chance(0.05), parent: parent}
		switch {
		case parent == nil:
			t.description = "Everyone in the " + t.name + " department."
		case parent.parent == nil:
			t.description = "The " + t.name + " group of " + parent.name + "."
		case r.chance(0.9):
			t.description = "Squad of " + parent.name + " that " + pick(r, []string{"builds and runs", "owns", "maintains"}) +
				" its " + strings.ReplaceAll(strings.TrimPrefix(slug, parent.slug+"-"), "-", " ") + " systems."
		}
		teams[i] = t
		g.slugs[i] = slug
	}
	for i := range nTop {
		newTeam(i, departments[i%len(departments)], nil)
	}
	for i := range nMid {
		newTeam(nTop+i, domains[i%len(domains)], teams[i%nTop])
	}
	for i := range nLeaf {
		p := teams[nTop+i%nMid]
		newTeam(nTop+nMid+i, p.slug+"-"+squads[(i/nMid)%len(squads)], p)
	}
	// Admin teams are mostly squads, sometimes groups: squads first in g.leaves.
	for i := nTop + nMid; i < nTeams; i++ {
		g.leaves = append(g.leaves, i)
	}
	for i := nTop; i < nTop+nMid; i++ {
		g.leaves = append(g.leaves, i)
	}
	g.nLeaf = max(nLeaf, 1)
	if nLeaf == 0 {
		g.nLeaf = len(g.leaves)
	}

	// Users: each in one team, some in two; a team's first member maintains it.
	nUsers := max(2, repos/5)
	users := make([]map[string]any, nUsers)
	logins := newNamer(nUsers)
	uid := int64(30000000)
	for i := range nUsers {
		uid += 1 + int64(r.intn(9000))
		first, last := pick(r, firstNames), pick(r, lastNames)
		login := logins.unique(first + "-" + last)
		created := genStart - 3*365*86400 + int64(r.intn(8*365*86400))
		us := &userSpec{login: login, id: uid,
			name:    strings.ToUpper(first[:1]) + first[1:] + " " + strings.ToUpper(last[:1]) + last[1:],
			blog:    "",
			created: created, updated: created + int64(r.intn(int(genNow-created)+1)),
			publicRepos: r.intn(40), publicGists: r.intn(5), followers: r.intn(150), following: r.intn(60)}
		if r.chance(0.6) {
			us.company = "@" + genOrgLogin
		}
		if r.chance(0.7) {
			us.location = pick(r, cities)
		}
		if r.chance(0.2) {
			us.email = login + "@" + genOrgLogin + ".example"
		}
		if r.chance(0.4) {
			us.bio = pick(r, []string{"Software engineer.", "Backend engineer. Distributed systems, databases.",
				"Frontend and design systems.", "SRE. Pager carrier.", "Data engineer.", "Engineering manager."})
		}
		if r.chance(0.15) {
			us.blog = "https://" + login + ".dev"
		}
		if r.chance(0.1) {
			us.twitter = strings.ReplaceAll(login, "-", "_")
		}
		users[i] = userRecord(us)
		t := teams[i%nTeams]
		role := "member"
		if len(t.members) == 0 {
			role = "maintainer"
		}
		t.members = append(t.members, member{login, role})
		if r.chance(0.25) {
			if t2 := teams[r.intn(nTeams)]; t2 != t {
				t2.members = append(t2.members, member{login, "member"})
			}
		}
	}

	// Repositories, newest first as GET /orgs/{org}/repos lists them by default.
	specs := make([]*repoSpec, repos)
	id := int64(150000000)
	step := (genNow - genStart - 86400*30) / int64(max(repos, 1))
	for i := range repos {
		id += 1 + int64(r.intn(12000))
		created := genStart + int64(i)*step + int64(r.intn(int(step)+1))
		s := g.repoSpec(id, created)
		t := g.adminTeam(s)
		if t >= 0 {
			teams[t].repositories = append(teams[t].repositories, teamRepo{s.name, "admin"})
		}
		if r.chance(0.4) {
			if t2 := r.intn(nTeams); t2 != t {
				teams[t2].repositories = append(teams[t2].repositories, teamRepo{s.name, pick(r, otherPermissions)})
			}
		}
		specs[repos-1-i] = s
	}
	// The records themselves depend on nothing random: build them on every core.
	out := make([]map[string]any, repos)
	var wg sync.WaitGroup
	workers := max(1, min(runtime.GOMAXPROCS(0), repos/1000))
	for w := range workers {
		wg.Go(func() {
			for i := w; i < repos; i += workers {
				out[i] = repoRecord(g.org, specs[i])
			}
		})
	}
	wg.Wait()

	o := Org{Repositories: out, Users: users, Teams: make([]map[string]any, nTeams)}
	for i, t := range teams {
		slices.SortFunc(t.members, func(a, b member) int { return strings.Compare(a.login, b.login) })
		slices.SortFunc(t.repositories, func(a, b teamRepo) int { return strings.Compare(a.name, b.name) })
		o.Teams[i] = teamRecord(g.org, t)
	}
	return JoinTeams(o)
}

var otherPermissions = []string{"push", "push", "push", "pull", "pull", "triage", "maintain"}

// Mutate returns a later state of o: round(fraction*len(o.Repositories)) repositories
// changed (pushed_at and updated_at, and the description, the topics or both), and about
// one in twenty of that number deleted and as many created, each new one with an admin
// team or an owner-team property like Generate's. The same o, seed and fraction always give
// the same result. o is not modified; unchanged records are shared with it.
func Mutate(o Org, seed int64, fraction float64) Org {
	n := len(o.Repositories)
	k := min(max(int(math.Round(fraction*float64(n))), 0), n)
	out := Org{Repositories: slices.Clone(o.Repositories), Teams: slices.Clone(o.Teams), Users: slices.Clone(o.Users)}
	if k == 0 {
		return out
	}
	r := newRNG(seed, 2)
	nDel := min((k+19)/20, n-k)
	nAdd := (k + 19) / 20

	// Which repositories change and which go: a partial Fisher-Yates shuffle.
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < k+nDel; i++ {
		j := i + r.intn(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	// Changes happen after everything o holds (RFC 3339 UTC strings sort by time).
	latest := ""
	for _, rec := range o.Repositories {
		latest = max(latest, str(rec["pushed_at"]), str(rec["updated_at"]))
	}
	now := int64(genNow)
	if t, err := time.Parse(time.RFC3339, latest); err == nil {
		now = max(now, t.Unix())
	}
	now += int64(3600 + r.intn(7*86400))
	for _, i := range idx[:k] {
		c := make(map[string]any, len(o.Repositories[i]))
		for key, v := range o.Repositories[i] {
			c[key] = v
		}
		now += int64(1 + r.intn(600))
		c["pushed_at"] = ts(now)
		c["updated_at"] = ts(now + int64(r.intn(60)))
		switch r.intn(3) {
		case 0:
			mutateDescription(r, c)
		case 1:
			mutateTopics(r, c)
		default:
			mutateDescription(r, c)
			mutateTopics(r, c)
		}
		out.Repositories[i] = c
	}
	removed := make(map[string]bool, nDel)
	for _, i := range idx[k : k+nDel] {
		removed[str(o.Repositories[i]["name"])] = true
	}
	kept := out.Repositories[:0:0]
	for _, rec := range out.Repositories {
		if !removed[str(rec["name"])] {
			kept = append(kept, rec)
		}
	}

	// Creations, with the organization and teams the records already have.
	g := &gen{r: r, names: newNamer(n + nAdd)}
	var maxID int64
	for _, rec := range o.Repositories {
		g.names.taken[str(rec["name"])] = true
		maxID = max(maxID, toInt64(rec["id"]))
		if g.org == nil {
			if own, ok := rec["owner"].(map[string]any); ok {
				g.org = &org{login: str(own["login"]), id: toInt64(own["id"]), owner: own}
			}
		}
	}
	if g.org == nil {
		g.org = newOrg(genOrgLogin, genOrgID, genOrgCreated)
	}
	for i, t := range o.Teams {
		g.slugs = append(g.slugs, str(t["slug"]))
		if t["parent"] != nil {
			g.leaves = append(g.leaves, i)
		}
	}
	g.nLeaf = len(g.leaves)
	if g.nLeaf == 0 {
		for i := range o.Teams {
			g.leaves = append(g.leaves, i)
		}
		g.nLeaf = len(g.leaves)
	}
	added := make(map[int][]teamRepo)
	var fresh []map[string]any
	for range nAdd {
		maxID += 1 + int64(r.intn(5000))
		now += int64(1 + r.intn(600))
		s := g.repoSpec(maxID, now)
		s.pushed, s.updated = now, now+int64(r.intn(60))
		if g.nLeaf > 0 {
			if t := g.adminTeam(s); t >= 0 {
				added[t] = append(added[t], teamRepo{s.name, "admin"})
			}
		}
		fresh = append(fresh, repoRecord(g.org, s))
	}
	slices.Reverse(fresh) // newest first
	out.Repositories = append(fresh, kept...)

	// Teams lose deleted repositories and gain the new ones they administer.
	for i, t := range o.Teams {
		var list []map[string]any
		changed := false
		forEachMap(t["repositories"], func(m map[string]any) {
			if removed[str(m["name"])] {
				changed = true
				return
			}
			list = append(list, m)
		})
		for _, tr := range added[i] {
			list = append(list, teamRepoRecord(g.org, tr))
			changed = true
		}
		if !changed {
			continue
		}
		slices.SortFunc(list, func(a, b map[string]any) int { return strings.Compare(str(a["name"]), str(b["name"])) })
		if list == nil {
			list = []map[string]any{}
		}
		c := make(map[string]any, len(t))
		for key, v := range t {
			c[key] = v
		}
		c["repositories"] = list
		out.Teams[i] = c
	}
	return JoinTeams(out)
}

var addenda = []string{"Now multi-region.", "Runs on the shared Kubernetes platform.",
	"See docs/runbook.md for on-call.", "Being replaced by v2.", "Owned jointly with support."}

func mutateDescription(r *rng, c map[string]any) {
	d, ok := c["description"].(string)
	switch {
	case !ok:
		c["description"] = "Documented at last: " + str(c["name"]) + "."
	case strings.HasSuffix(d, ".") && len(d) < 200:
		c["description"] = d + " " + pick(r, addenda)
	default:
		c["description"] = strings.TrimSpace(strings.SplitN(d, ".", 2)[0]) + "."
	}
}

func mutateTopics(r *rng, c map[string]any) {
	var topics []string
	switch tp := c["topics"].(type) {
	case []string:
		topics = slices.Clone(tp)
	case []any:
		for _, t := range tp {
			topics = append(topics, str(t))
		}
	}
	t := pick(r, techTopics)
	if i := slices.Index(topics, t); i >= 0 {
		topics = slices.Delete(topics, i, i+1)
	} else {
		topics = append(topics, t)
		slices.Sort(topics)
	}
	if topics == nil {
		topics = []string{}
	}
	c["topics"] = topics
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// Str, Int64 and ForEachMap read decoded records the way the generator does; the fake
// GitHub API in pkg/source/github/githubtest uses them too.
var (
	Str        = str
	Int64      = toInt64
	ForEachMap = forEachMap
)

func toInt64(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int:
		return int64(v)
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return 0
}

// forEachMap calls f for each object of a []map[string]any or a decoded []any.
func forEachMap(v any, f func(map[string]any)) {
	switch xs := v.(type) {
	case []map[string]any:
		for _, m := range xs {
			f(m)
		}
	case []any:
		for _, x := range xs {
			if m, ok := x.(map[string]any); ok {
				f(m)
			}
		}
	}
}

// WriteFiles writes o as repositories.json, teams.json and users.json in dir (created if
// missing): each a JSON array with one compact record per line.
func WriteFiles(dir string, o Org) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		recs []map[string]any
	}{{"repositories.json", o.Repositories}, {"teams.json", o.Teams}, {"users.json", o.Users}} {
		if err := writeArray(filepath.Join(dir, f.name), f.recs); err != nil {
			return err
		}
	}
	return nil
}

func writeArray(path string, recs []map[string]any) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<16)
	var e encoder
	var b []byte
	w.WriteString("[")
	for i, rec := range recs {
		if i > 0 {
			w.WriteString(",")
		}
		w.WriteString("\n")
		if b, err = e.appendObject(b[:0], rec); err != nil {
			return fmt.Errorf("%s: record %d: %w", path, i, err)
		}
		w.Write(b)
	}
	if len(recs) > 0 {
		w.WriteString("\n")
	}
	w.WriteString("]\n")
	return w.Flush()
}

// JoinTeams returns o with each repository's `teams` set: the teams that list the
// repository in their `repositories`, as {slug, permission}, sorted by slug. This is the
// join pane's GitHub source makes from the org's team listings, so that a mapping sees a
// repository's admin team on the repository record itself. Records whose teams are
// unchanged are shared with o; changed ones are copies.
func JoinTeams(o Org) Org {
	byRepo := map[string][]any{}
	for _, t := range o.Teams {
		slug := str(t["slug"])
		repos, _ := t["repositories"].([]any)
		var list []map[string]any
		if repos == nil {
			list, _ = t["repositories"].([]map[string]any)
		}
		for _, x := range repos {
			if m, ok := x.(map[string]any); ok {
				list = append(list, m)
			}
		}
		for _, m := range list {
			fn := str(m["full_name"])
			byRepo[fn] = append(byRepo[fn], map[string]any{"slug": slug, "permission": str(m["permission"])})
		}
	}
	out := o
	out.Repositories = make([]map[string]any, len(o.Repositories))
	for i, r := range o.Repositories {
		teams := byRepo[str(r["full_name"])]
		slices.SortFunc(teams, func(a, b any) int {
			return strings.Compare(str(a.(map[string]any)["slug"]), str(b.(map[string]any)["slug"]))
		})
		if teams == nil {
			teams = []any{}
		}
		if equalTeams(r["teams"], teams) {
			out.Repositories[i] = r
			continue
		}
		c := make(map[string]any, len(r)+1)
		for k, v := range r {
			c[k] = v
		}
		c["teams"] = teams
		out.Repositories[i] = c
	}
	return out
}

func equalTeams(have any, want []any) bool {
	h, ok := have.([]any)
	if !ok || len(h) != len(want) {
		return false
	}
	for i := range h {
		a, _ := h[i].(map[string]any)
		b := want[i].(map[string]any)
		if a == nil || str(a["slug"]) != str(b["slug"]) || str(a["permission"]) != str(b["permission"]) {
			return false
		}
	}
	return true
}
