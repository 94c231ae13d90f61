package synth

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/github from the example organization")

// exampleDir holds the example workspace's recorded GitHub data.
var exampleDir = filepath.Join("..", "..", "testdata", "github")

func at(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

// exRepo is one repository of the example organization and the teams that may use it.
type exRepo struct {
	name, desc   string // desc "" is null
	lang         string // "" is null
	vis          string
	created      string
	pushed       string
	updated      string
	topics       []string
	admin        string            // slug of the team with admin permission, "" for none
	others       map[string]string // other teams' slugs and permissions
	props        map[string]any    // custom_properties
	archived     bool
	fork         bool
	homepage     any
	license      string
	size         int
	stars, forks int
	issues       int
	pages, wiki  bool
	noIssues     bool
	branch       string
}

// The example organization "acme": a small payments company.
var (
	acme = newOrg("acme", 71234567, at("2020-09-01T08:14:52Z"))

	exTeams = []struct {
		slug, name, desc, parent, privacy, created string
		notify                                     bool
		id                                         int64
	}{
		{"engineering", "Engineering", "Everyone who builds and runs Acme's software.", "", "closed", "2020-09-01T09:02:11Z", true, 4310201},
		{"payments", "Payments", "Payment processing, the ledger and the payments SDKs.", "engineering", "closed", "2020-09-01T09:04:37Z", true, 4310244},
		{"platform", "Platform", "Cloud infrastructure, shared libraries and developer tooling.", "engineering", "closed", "2020-09-01T09:05:02Z", true, 4310265},
		{"web", "Web", "Checkout, the marketing site, docs and the design system's code.", "engineering", "closed", "2020-09-01T09:05:40Z", true, 4310290},
		{"sre", "SRE", "Site reliability: clusters, observability and on-call.", "platform", "closed", "2020-11-16T14:21:09Z", false, 4587112},
		{"data", "Data", "Fraud models, data pipelines and the analytics warehouse.", "engineering", "closed", "2021-06-07T10:48:55Z", true, 5021337},
		{"security", "Security", "Application and infrastructure security.", "", "secret", "2022-03-14T16:30:00Z", true, 6170904},
		{"design", "Design", "", "", "closed", "2022-11-02T11:12:43Z", true, 7733518},
	}

	// exMembers: login -> team slug -> role.
	exMembers = []struct{ login, team, role string }{
		{"amara-okafor", "engineering", "maintainer"},
		{"bjorn-lindqvist", "engineering", "member"},
		{"bjorn-lindqvist", "payments", "maintainer"},
		{"chen-wei", "payments", "member"},
		{"dmitri-volkov", "payments", "member"},
		{"dmitri-volkov", "data", "member"},
		{"elena-garcia", "platform", "maintainer"},
		{"farah-haddad", "platform", "member"},
		{"farah-haddad", "sre", "member"},
		{"gabriel-santos", "sre", "maintainer"},
		{"hana-kobayashi", "web", "maintainer"},
		{"hana-kobayashi", "design", "member"},
		{"isaac-mensah", "web", "member"},
		{"julia-novak", "data", "maintainer"},
		{"kofi-asante", "data", "member"},
		{"lucia-romero", "security", "maintainer"},
		{"lucia-romero", "platform", "member"},
		{"mateo-silva", "security", "member"},
		{"nina-petrova", "design", "maintainer"},
		{"oliver-grant", "web", "member"},
	}

	exUsers = []userSpec{
		{login: "amara-okafor", id: 61240517, name: "Amara Okafor", company: "@acme", location: "London", email: "amara@acme.com",
			bio: "VP Engineering at Acme.", publicRepos: 12, publicGists: 3, followers: 214, following: 38,
			created: at("2020-02-11T18:03:27Z"), updated: at("2025-11-20T09:41:02Z")},
		{login: "bjorn-lindqvist", id: 9823141, name: "Björn Lindqvist", company: "@acme", location: "Stockholm",
			bio: "Payments, ledgers and other ways to move money.", blog: "https://bjorn.dev", twitter: "bjornlq",
			publicRepos: 57, publicGists: 14, followers: 380, following: 91,
			created: at("2014-11-04T20:15:49Z"), updated: at("2025-12-02T07:55:31Z")},
		{login: "chen-wei", id: 88120455, name: "Chen Wei", company: "Acme", location: "Singapore",
			publicRepos: 9, followers: 17, following: 22,
			created: at("2021-07-19T03:22:10Z"), updated: at("2025-09-30T12:08:44Z")},
		{login: "dmitri-volkov", id: 30512877, name: "Dmitri Volkov", location: "Berlin", bio: "Data and risk.",
			publicRepos: 24, publicGists: 2, followers: 63, following: 10,
			created: at("2017-08-02T11:47:36Z"), updated: at("2025-10-14T16:20:05Z")},
		{login: "elena-garcia", id: 47338190, name: "Elena García", company: "@acme", location: "Madrid", email: "elena.garcia@acme.com",
			bio: "Platform engineering lead.", publicRepos: 31, publicGists: 6, followers: 142, following: 57,
			created: at("2019-01-09T08:30:12Z"), updated: at("2025-12-18T10:02:47Z")},
		{login: "farah-haddad", id: 71502239, name: "Farah Haddad", company: "@acme", location: "Amsterdam",
			publicRepos: 7, followers: 12, following: 9,
			created: at("2020-08-25T13:11:58Z"), updated: at("2025-06-03T19:44:21Z")},
		{login: "gabriel-santos", id: 12877301, name: "Gabriel Santos", company: "@acme", location: "Lisbon",
			bio: "SRE. I like boring infrastructure.", blog: "https://gsantos.pt", publicRepos: 44, publicGists: 19, followers: 96, following: 73,
			created: at("2015-06-14T22:06:03Z"), updated: at("2025-11-07T08:13:39Z")},
		{login: "hana-kobayashi", id: 54011976, name: "Hana Kobayashi", company: "@acme", location: "Tokyo",
			bio: "Frontend and design systems.", twitter: "hanakoba", publicRepos: 28, publicGists: 4, followers: 301, following: 120,
			created: at("2019-10-30T05:52:17Z"), updated: at("2025-12-09T02:36:50Z")},
		{login: "isaac-mensah", id: 93417822, name: "Isaac Mensah", location: "Accra",
			publicRepos: 15, publicGists: 1, followers: 21, following: 30,
			created: at("2021-10-28T15:40:09Z"), updated: at("2025-08-22T11:17:26Z")},
		{login: "julia-novak", id: 40177263, name: "Julia Novák", company: "@acme", location: "Prague", email: "julia@novak.dev",
			bio: "Data engineering: Airflow, dbt, warehouses.", blog: "https://novak.dev", publicRepos: 38, publicGists: 11, followers: 155, following: 44,
			created: at("2018-06-21T09:25:44Z"), updated: at("2025-11-28T14:59:12Z")},
		{login: "kofi-asante", id: 102338417, name: "Kofi Asante", company: "Acme", location: "London",
			publicRepos: 6, followers: 8, following: 15,
			created: at("2022-04-12T17:03:55Z"), updated: at("2025-07-16T09:28:40Z")},
		{login: "lucia-romero", id: 36754020, name: "Lucía Romero", company: "@acme", location: "Buenos Aires",
			bio: "Application security.", publicRepos: 19, publicGists: 7, followers: 88, following: 26,
			created: at("2018-02-03T12:44:31Z"), updated: at("2025-10-29T21:05:18Z")},
		{login: "mateo-silva", id: 118840662, name: "Mateo Silva",
			publicRepos: 3, followers: 2, following: 5,
			created: at("2022-12-01T10:10:10Z"), updated: at("2025-05-12T13:37:02Z")},
		{login: "nina-petrova", id: 66019342, name: "Nina Petrova", company: "@acme", location: "Sofia", email: "nina@acme.com",
			bio: "Product designer who codes.", blog: "https://ninapetrova.design", publicRepos: 11, publicGists: 2, followers: 410, following: 150,
			created: at("2020-05-14T07:58:26Z"), updated: at("2025-12-11T16:40:33Z")},
		{login: "oliver-grant", id: 137880001,
			created: at("2023-06-20T09:00:41Z"), updated: at("2025-04-02T08:21:09Z")},
	}

	exRepos = []exRepo{
		{name: "legacy-billing", desc: "Billing monolith, replaced by payments-api and ledger. Read-only.", lang: "PHP", vis: "private",
			created: "2020-10-02T10:20:31Z", pushed: "2022-06-30T15:02:44Z", updated: "2023-01-16T09:12:05Z",
			topics: []string{"deprecated", "service"}, admin: "payments", archived: true,
			size: 48211, issues: 0, wiki: true, branch: "master", props: map[string]any{}},
		{name: "status-page-v1", desc: "First status page (Sinatra). Replaced by the hosted status page in 2023.", lang: "Ruby", vis: "private",
			created: "2020-11-19T16:45:02Z", pushed: "2022-11-03T11:27:19Z", updated: "2023-03-02T14:50:36Z",
			topics: []string{"deprecated", "website"}, admin: "sre", archived: true,
			size: 2204, branch: "master", props: map[string]any{}},
		{name: "payments-api", desc: "Payments API: authorizes, captures and refunds card and wallet payments.", lang: "Go", vis: "private",
			created: "2021-02-08T09:33:47Z", pushed: "2026-01-09T16:42:11Z", updated: "2026-01-09T16:42:15Z",
			topics: []string{"grpc", "lifecycle-production", "payments", "service"}, admin: "payments",
			others: map[string]string{"web": "pull", "data": "pull"},
			props:  map[string]any{"owner-team": "payments", "tier": "1"},
			size:   18734, issues: 23, branch: "main"},
		{name: "ledger", desc: "Double-entry ledger: the system of record for balances and money movement.", lang: "Go", vis: "private",
			created: "2021-03-22T14:05:10Z", pushed: "2026-01-08T11:19:52Z", updated: "2026-01-08T11:19:56Z",
			topics: []string{"lifecycle-production", "payments", "postgres", "service"}, admin: "payments",
			props: map[string]any{"tier": "1"}, size: 9120, issues: 11, branch: "main"},
		{name: "platform-infra", desc: "Terraform for Acme's AWS accounts, networks and EKS clusters.", lang: "HCL", vis: "private",
			created: "2021-04-06T08:51:29Z", pushed: "2026-01-12T09:03:37Z", updated: "2026-01-12T09:03:40Z",
			topics: []string{"aws", "infrastructure", "lifecycle-production", "terraform"}, admin: "platform",
			others: map[string]string{"sre": "maintain"}, props: map[string]any{"tier": "1"}, size: 6402, issues: 7, branch: "main"},
		{name: "checkout-web", desc: "Checkout pages served at pay.acme.com: cart, payment form and 3-D Secure.", lang: "TypeScript", vis: "private",
			created: "2021-05-10T12:17:58Z", pushed: "2026-01-13T17:25:06Z", updated: "2026-01-13T17:25:10Z",
			topics: []string{"lifecycle-production", "nextjs", "react", "website"}, admin: "web",
			others: map[string]string{"payments": "pull", "design": "triage"}, props: map[string]any{"tier": "1"},
			size: 25877, issues: 34, branch: "main"},
		{name: "acme-go", desc: "Shared Go packages: config, structured logging, tracing and HTTP middleware.", lang: "Go", vis: "public",
			created: "2021-06-14T10:02:33Z", pushed: "2025-12-17T13:48:21Z", updated: "2025-12-29T06:11:47Z",
			topics: []string{"go", "library", "lifecycle-production"}, admin: "platform",
			others: map[string]string{"engineering": "push"}, props: map[string]any{},
			license: "mit", size: 1288, stars: 41, forks: 6, issues: 4, branch: "main"},
		{name: "developer-docs", desc: "Public developer documentation at docs.acme.com: guides and API reference.", lang: "MDX", vis: "public",
			created: "2021-07-01T15:38:14Z", pushed: "2026-01-07T10:30:58Z", updated: "2026-01-07T10:31:02Z",
			topics: []string{"documentation", "lifecycle-production", "website"}, admin: "web",
			others: map[string]string{"payments": "push"}, props: map[string]any{"tier": "2"},
			homepage: "https://docs.acme.com", license: "mit", pages: true, size: 15309, stars: 23, forks: 9, issues: 6, branch: "main"},
		{name: "fraud-scoring", desc: "Real-time fraud scores for card and wallet transactions, called by payments-api.", lang: "Python", vis: "private",
			created: "2021-09-20T07:44:09Z", pushed: "2026-01-06T14:12:30Z", updated: "2026-01-06T14:12:34Z",
			topics: []string{"fastapi", "lifecycle-production", "ml", "service"}, admin: "data",
			others: map[string]string{"payments": "pull"}, props: map[string]any{"tier": "1"}, size: 7731, issues: 9, branch: "main"},
		{name: "notification-service", desc: "Sends email, SMS and push notifications for events on the bus.", lang: "Kotlin", vis: "private",
			created: "2021-11-03T13:26:45Z", pushed: "2025-12-19T08:57:13Z", updated: "2025-12-19T08:57:17Z",
			topics: []string{"kafka", "lifecycle-production", "service"}, admin: "platform",
			props: map[string]any{"tier": "2"}, size: 5518, issues: 5, branch: "main"},
		{name: "cluster-config", desc: "GitOps manifests for every EKS cluster, applied by Argo CD.", lang: "Shell", vis: "private",
			created: "2022-01-17T09:09:27Z", pushed: "2026-01-14T08:40:19Z", updated: "2026-01-14T08:40:22Z",
			topics: []string{"gitops", "infrastructure", "kubernetes", "lifecycle-production"}, admin: "sre",
			others: map[string]string{"platform": "push"}, props: map[string]any{"tier": "1"}, size: 3307, issues: 2, branch: "main"},
		{name: "observability-stack", desc: "Prometheus, Grafana dashboards and alerting rules for all services.", lang: "Jsonnet", vis: "private",
			created: "2022-02-28T16:14:50Z", pushed: "2026-01-05T12:06:44Z", updated: "2026-01-05T12:06:47Z",
			topics: []string{"infrastructure", "lifecycle-production", "monitoring", "prometheus"}, admin: "sre",
			props: map[string]any{"tier": "2"}, size: 4190, issues: 3, branch: "main"},
		{name: "oncall-runbooks", desc: "Runbooks for the on-call rotation, linked from alerts.", vis: "internal",
			created: "2022-03-15T11:52:06Z", pushed: "2025-12-30T22:18:09Z", updated: "2025-12-30T22:18:12Z",
			topics: []string{"documentation", "lifecycle-production"}, admin: "sre",
			others: map[string]string{"engineering": "push"}, props: map[string]any{}, size: 612, wiki: true, branch: "main"},
		{name: "data-pipelines", desc: "Airflow DAGs that load the analytics warehouse.", lang: "Python", vis: "private",
			created: "2022-04-25T08:37:21Z", pushed: "2026-01-10T06:55:38Z", updated: "2026-01-10T06:55:41Z",
			topics: []string{"airflow", "lifecycle-production", "service"}, admin: "data",
			props: map[string]any{"tier": "2"}, size: 2956, issues: 8, branch: "main"},
		{name: "design-system", desc: "Acme's design system: React components, tokens and icons.", lang: "TypeScript", vis: "public",
			created: "2022-05-30T14:49:13Z", pushed: "2026-01-11T15:33:27Z", updated: "2026-01-12T04:20:51Z",
			topics: []string{"library", "lifecycle-production", "react"}, admin: "web",
			others: map[string]string{"design": "push"}, props: map[string]any{},
			homepage: "https://design.acme.com", license: "mit", pages: true, size: 11873, stars: 120, forks: 14, issues: 12, branch: "main"},
		{name: "secrets-scanner", desc: "Blocks pushes that contain credentials and reports leaked secrets.", lang: "Go", vis: "private",
			created: "2022-08-08T10:11:02Z", pushed: "2025-12-22T09:46:15Z", updated: "2025-12-22T09:46:18Z",
			topics: []string{"lifecycle-production", "security", "service"}, admin: "security",
			props: map[string]any{"tier": "2"}, size: 1420, issues: 1, branch: "main"},
		{name: "payments-sdk-js", desc: "JavaScript and TypeScript client for the Payments API.", lang: "TypeScript", vis: "public",
			created: "2022-09-12T13:58:40Z", pushed: "2026-01-02T10:14:26Z", updated: "2026-01-04T18:02:13Z",
			topics: []string{"library", "lifecycle-production", "payments", "typescript"}, admin: "payments",
			others: map[string]string{"web": "push"}, props: map[string]any{},
			homepage: "https://www.npmjs.com/package/@acme/payments", license: "apache-2.0", size: 2087, stars: 87, forks: 11, issues: 5, branch: "main"},
		{name: "marketing-site", desc: "The acme.com marketing website.", lang: "Astro", vis: "private",
			created: "2022-10-24T09:21:35Z", pushed: "2026-01-13T11:09:48Z", updated: "2026-01-13T11:09:52Z",
			topics: []string{"lifecycle-production", "website"}, admin: "web",
			others: map[string]string{"design": "push"}, props: map[string]any{"tier": "3"},
			homepage: "https://www.acme.com", size: 38420, issues: 3, branch: "main"},
		{name: "load-tests", lang: "JavaScript", vis: "private",
			created: "2023-01-30T15:03:57Z", pushed: "2025-10-21T13:30:02Z", updated: "2025-10-21T13:30:05Z",
			admin: "sre", props: map[string]any{}, size: 318, branch: "main"},
		{name: "opentelemetry-collector-contrib", desc: "Contrib repository for the OpenTelemetry Collector", lang: "Go", vis: "public",
			created: "2023-04-11T08:26:19Z", pushed: "2025-11-18T14:41:33Z", updated: "2025-11-18T14:41:38Z",
			admin: "platform", fork: true, noIssues: true, props: map[string]any{},
			homepage: "https://opentelemetry.io", license: "apache-2.0", size: 301245, branch: "main"},
		{name: "merchant-dashboard", desc: "Self-service dashboard for merchants: payouts, disputes and API keys.", lang: "TypeScript", vis: "private",
			created: "2023-07-19T12:40:11Z", pushed: "2026-01-12T16:58:29Z", updated: "2026-01-12T16:58:33Z",
			topics: []string{"lifecycle-experimental", "react", "website"},
			others: map[string]string{"web": "push", "payments": "pull"},
			props:  map[string]any{"owner-team": "web", "tier": "3"}, size: 6105, issues: 14, branch: "main"},
		{name: "vuln-dashboard", desc: "Dashboard of open vulnerabilities across all repositories.", lang: "TypeScript", vis: "internal",
			created: "2024-02-05T10:05:44Z", pushed: "2025-12-04T15:22:18Z", updated: "2025-12-04T15:22:21Z",
			topics: []string{"lifecycle-experimental", "security", "website"}, admin: "security",
			props: map[string]any{"tier": "3"}, size: 1873, issues: 2, branch: "main"},
		{name: "fraud-model-training", desc: "Notebooks and jobs that train and evaluate the fraud-scoring models.", lang: "Jupyter Notebook", vis: "private",
			created: "2024-06-17T07:18:26Z", pushed: "2025-12-15T09:37:04Z", updated: "2025-12-15T09:37:08Z",
			topics: []string{"lifecycle-experimental", "ml"}, admin: "data",
			props: map[string]any{}, size: 20954, issues: 1, branch: "main"},
		{name: "handbook", desc: "Engineering handbook: how we work, review, deploy and run on-call.", vis: "internal",
			created: "2025-03-03T09:45:00Z", pushed: "2025-12-08T17:12:40Z", updated: "2025-12-08T17:12:43Z",
			topics: []string{"documentation"}, others: map[string]string{"engineering": "push"},
			props: map[string]any{}, size: 204, wiki: false, branch: "main"},
	}
)

// exampleOrg builds the example organization's records.
func exampleOrg() Org {
	var o Org
	teams := map[string]*teamSpec{}
	var order []*teamSpec
	for _, t := range exTeams {
		s := &teamSpec{id: t.id, created: at(t.created), name: t.name, slug: t.slug, description: t.desc,
			privacy: t.privacy, notify: t.notify, parent: teams[t.parent]}
		if t.parent != "" && s.parent == nil {
			panic("parent listed after child: " + t.slug)
		}
		teams[t.slug] = s
		order = append(order, s)
	}
	for _, m := range exMembers {
		teams[m.team].members = append(teams[m.team].members, member{m.login, m.role})
	}
	// Repository ids grow with creation time about as fast as GitHub's (some 400,000 a
	// day since 2020); the list is newest first, GET /orgs/{org}/repos' default order.
	for i, r := range exRepos {
		id := 300000000 + (at(r.created)-at("2020-10-01T00:00:00Z"))/86400*400000 + int64(i*7919%100000)
		s := &repoSpec{id: id, name: r.name, visibility: r.vis, fork: r.fork, archived: r.archived,
			created: at(r.created), pushed: at(r.pushed), updated: at(r.updated),
			size: r.size, stars: r.stars, forks: r.forks, issues: r.issues,
			hasIssues: !r.noIssues, hasProjects: !r.fork, hasWiki: r.wiki, hasPages: r.pages,
			hasDiscussions: r.vis == "public" && r.stars > 50,
			license:        r.license, topics: r.topics, defaultBranch: r.branch, customProperties: r.props}
		if r.desc != "" {
			s.description = r.desc
		}
		if r.lang != "" {
			s.language = r.lang
		}
		s.homepage = r.homepage
		o.Repositories = append(o.Repositories, repoRecord(acme, s))
		if r.admin != "" {
			teams[r.admin].repositories = append(teams[r.admin].repositories, teamRepo{r.name, "admin"})
		}
		for slug, perm := range r.others {
			teams[slug].repositories = append(teams[slug].repositories, teamRepo{r.name, perm})
		}
	}
	slices.Reverse(o.Repositories)
	for _, t := range order {
		slices.SortFunc(t.members, func(a, b member) int { return strings.Compare(a.login, b.login) })
		slices.SortFunc(t.repositories, func(a, b teamRepo) int { return strings.Compare(a.name, b.name) })
		o.Teams = append(o.Teams, teamRecord(acme, t))
	}
	for i := range exUsers {
		u := exUsers[i]
		o.Users = append(o.Users, userRecord(&u))
	}
	slices.SortFunc(o.Users, func(a, b map[string]any) int { return strings.Compare(str(a["login"]), str(b["login"])) })
	return JoinTeams(o)
}

// TestExampleOrg checks testdata/github against the example organization (with -update,
// rewrites it) and checks the example's invariants.
func TestExampleOrg(t *testing.T) {
	o := exampleOrg()
	noOwner := checkOrg(t, o)
	if want := []string{"handbook"}; !slices.Equal(noOwner, want) {
		t.Errorf("repositories without an owner: %v, want %v", noOwner, want)
	}
	if len(o.Repositories) != 24 || len(o.Teams) != 8 || len(o.Users) != 15 {
		t.Errorf("example has %d repositories, %d teams, %d users", len(o.Repositories), len(o.Teams), len(o.Users))
	}
	for _, f := range []struct {
		name   string
		recs   []map[string]any
		schema *schema
	}{
		{"repositories.json", o.Repositories, repoSchema},
		{"teams.json", o.Teams, teamSchema},
		{"users.json", o.Users, userSchema},
	} {
		got, err := encodeOrdered(f.recs, f.schema)
		if err != nil {
			t.Fatalf("%s: %v", f.name, err)
		}
		path := filepath.Join(exampleDir, f.name)
		if *update {
			if err := os.MkdirAll(exampleDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./internal/synth -run TestExampleOrg -update writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the example organization in example_test.go; "+
				"change the example and run go test ./internal/synth -run TestExampleOrg -update", path)
		}
		// The files decode to the records (numbers aside) and are arrays of objects.
		var back []map[string]any
		if err := json.Unmarshal(want, &back); err != nil || len(back) != len(f.recs) {
			t.Errorf("%s: %d records, %v", path, len(back), err)
		}
	}
}

// schema gives the keys of a GitHub object in the order GitHub sends them, and the
// schemas of nested objects (and of the objects in nested arrays). A nil schema is a free
// object, written with sorted keys.
type schema struct {
	keys     []string
	children map[string]*schema
}

var (
	simpleUserKeys = strings.Fields(`login id node_id avatar_url gravatar_id url html_url
		followers_url following_url gists_url starred_url subscriptions_url organizations_url
		repos_url events_url received_events_url type user_view_type site_admin`)
	simpleUserSchema = &schema{keys: simpleUserKeys}
	userSchema       = &schema{keys: append(slices.Clone(simpleUserKeys), strings.Fields(`name company blog
		location email hireable bio twitter_username public_repos public_gists followers following
		created_at updated_at`)...)}
	repoSchema = &schema{
		keys: strings.Fields(`id node_id name full_name private owner html_url description fork url
			forks_url keys_url collaborators_url teams_url hooks_url issue_events_url events_url
			assignees_url branches_url tags_url blobs_url git_tags_url git_refs_url trees_url
			statuses_url languages_url stargazers_url contributors_url subscribers_url
			subscription_url commits_url git_commits_url comments_url issue_comment_url
			contents_url compare_url merges_url archive_url downloads_url issues_url pulls_url
			milestones_url notifications_url labels_url releases_url deployments_url created_at
			updated_at pushed_at git_url ssh_url clone_url svn_url homepage size stargazers_count
			watchers_count language has_issues has_projects has_downloads has_wiki has_pages
			has_discussions forks_count mirror_url archived disabled open_issues_count license
			allow_forking is_template web_commit_signoff_required topics visibility forks
			open_issues watchers default_branch permissions custom_properties teams`),
		children: map[string]*schema{
			"owner":             simpleUserSchema,
			"license":           {keys: strings.Fields("key name spdx_id url node_id")},
			"permissions":       {keys: strings.Fields("admin maintain push triage pull")},
			"custom_properties": nil,
			"teams":             {keys: []string{"slug", "permission"}},
		},
	}
	teamSummaryKeys = strings.Fields(`name id node_id slug description privacy notification_setting
		url html_url members_url repositories_url permission`)
	teamSchema = &schema{
		keys: append(slices.Clone(teamSummaryKeys), "parent", "members", "repositories"),
		children: map[string]*schema{
			"parent":       {keys: teamSummaryKeys},
			"members":      {keys: []string{"login", "role"}},
			"repositories": {keys: []string{"full_name", "name", "permission"}},
		},
	}
)

// checkKeys reports whether m has exactly the schema's keys.
func checkKeys(m map[string]any, s *schema) error {
	if s == nil {
		return nil
	}
	if len(m) != len(s.keys) {
		var extra []string
		for k := range m {
			if !slices.Contains(s.keys, k) {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		return fmt.Errorf("%d keys, want %d (extra: %v)", len(m), len(s.keys), extra)
	}
	for _, k := range s.keys {
		if _, ok := m[k]; !ok {
			return fmt.Errorf("no key %q", k)
		}
	}
	return nil
}

// encodeOrdered writes records as a JSON array indented by two spaces, each object's keys
// in GitHub's order, and fails on any key the schema doesn't expect.
func encodeOrdered(recs []map[string]any, s *schema) ([]byte, error) {
	var b bytes.Buffer
	items := make([]any, len(recs))
	for i, r := range recs {
		items[i] = r
	}
	if err := writeValue(&b, items, s, 0); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func writeValue(b *bytes.Buffer, v any, s *schema, depth int) error {
	nl := func(d int) {
		b.WriteByte('\n')
		b.WriteString(strings.Repeat("  ", d))
	}
	switch v := v.(type) {
	case map[string]any:
		if err := checkKeys(v, s); err != nil {
			return err
		}
		if len(v) == 0 {
			b.WriteString("{}")
			return nil
		}
		var keys []string
		if s != nil {
			keys = s.keys
		} else {
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			writeString(b, k)
			b.WriteString(": ")
			var child *schema
			if s != nil {
				child = s.children[k]
			}
			if err := writeValue(b, v[k], child, depth+1); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
		}
		nl(depth)
		b.WriteByte('}')
	case []map[string]any:
		items := make([]any, len(v))
		for i, x := range v {
			items[i] = x
		}
		return writeValue(b, items, s, depth)
	case []string:
		items := make([]any, len(v))
		for i, x := range v {
			items[i] = x
		}
		return writeValue(b, items, s, depth)
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			nl(depth + 1)
			if err := writeValue(b, x, s, depth+1); err != nil {
				return fmt.Errorf("%d: %w", i, err)
			}
		}
		nl(depth)
		b.WriteByte(']')
	case string:
		writeString(b, v)
	case int:
		b.WriteString(strconv.Itoa(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	default:
		return fmt.Errorf("unexpected %T", v)
	}
	return nil
}

// writeString writes a JSON string as GitHub does: no HTML escaping, UTF-8 as is.
func writeString(b *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	b.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
}
