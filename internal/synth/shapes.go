package synth

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// This file builds records in the shapes GitHub's REST API returns (checked against the
// recorded api.github.com responses of npm @octokit/fixtures and current live responses):
//
//   - repository: an item of GET /orgs/{org}/repos, plus custom_properties;
//   - team: an item of GET /orgs/{org}/teams, plus pane's members and repositories;
//   - user: GET /users/{login}.
//
// The example workspace's testdata/github/*.json and Generate both use these builders, so
// the two can't drift apart.

const (
	apiBase  = "https://api.github.com"
	webBase  = "https://github.com"
	avatarCa = "https://avatars.githubusercontent.com/u/"
)

// org identifies the organization that owns the records.
type org struct {
	login   string
	id      int64
	created int64
	owner   map[string]any // simple-user object of the org, shared by all its repositories
}

func newOrg(login string, id, created int64) *org {
	o := &org{login: login, id: id, created: created}
	o.owner = simpleUser(login, nodeIDAt("Organization", created, id), id, "Organization")
	return o
}

// nodeID returns a GitHub global node id in the current format: a type prefix ("R_",
// "U_", "O_", "T_") and the URL-safe, unpadded base64 of the MessagePack array
// [0, ids...]. For example repository 1122723587 is "R_kgDOQutnAw".
func nodeID(prefix string, ids ...int64) string {
	b := make([]byte, 0, 2+9*len(ids))
	b = append(b, 0x90|byte(len(ids)+1), 0x00)
	for _, id := range ids {
		u := uint64(id)
		switch {
		case u < 0x80:
			b = append(b, byte(u))
		case u <= 0xff:
			b = append(b, 0xcc, byte(u))
		case u <= 0xffff:
			b = append(b, 0xcd, byte(u>>8), byte(u))
		case u <= 0xffffffff:
			b = append(b, 0xce, byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
		default:
			b = append(b, 0xcf, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32),
				byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
		}
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// newNodeIDs is about when GitHub began to give new objects node ids in the current
// format; objects created before keep their legacy ids (base64 of "04:User1234").
const newNodeIDs = 1633046400 // 2021-10-01T00:00:00Z

// nodeIDAt returns the node id GitHub gives an object of type typ (User, Organization,
// Repository, Team) created at the Unix time created: legacy for old objects, else the
// current format with ids (a team's is its organization's id and its own).
func nodeIDAt(typ string, created int64, ids ...int64) string {
	if created < newNodeIDs {
		id := ids[len(ids)-1]
		return base64.StdEncoding.EncodeToString([]byte("0" + strconv.Itoa(len(typ)) + ":" + typ + strconv.FormatInt(id, 10)))
	}
	return nodeID(typ[:1]+"_", ids...)
}

// ts formats a Unix time the way GitHub does: RFC 3339, UTC, whole seconds.
func ts(unix int64) string { return time.Unix(unix, 0).UTC().Format(time.RFC3339) }

// simpleUser is GitHub's simple-user object (a repository's owner, a team member).
func simpleUser(login, node string, id int64, typ string) map[string]any {
	var sb strings.Builder
	api := apiBase + "/users/" + login
	sb.Grow(12*len(api) + 200)
	cut := func(parts ...string) string {
		start := sb.Len()
		for _, p := range parts {
			sb.WriteString(p)
		}
		return sb.String()[start:]
	}
	u := make(map[string]any, 20)
	u["login"] = login
	u["id"] = id
	u["node_id"] = node
	u["avatar_url"] = avatarCa + strconv.FormatInt(id, 10) + "?v=4"
	u["gravatar_id"] = ""
	u["url"] = api
	u["html_url"] = webBase + "/" + login
	u["followers_url"] = cut(api, "/followers")
	u["following_url"] = cut(api, "/following{/other_user}")
	u["gists_url"] = cut(api, "/gists{/gist_id}")
	u["starred_url"] = cut(api, "/starred{/owner}{/repo}")
	u["subscriptions_url"] = cut(api, "/subscriptions")
	u["organizations_url"] = cut(api, "/orgs")
	u["repos_url"] = cut(api, "/repos")
	u["events_url"] = cut(api, "/events{/privacy}")
	u["received_events_url"] = cut(api, "/received_events")
	u["type"] = typ
	u["user_view_type"] = "public"
	u["site_admin"] = false
	return u
}

// userSpec is what varies between GET /users/{login} responses.
type userSpec struct {
	login                         string
	id                            int64
	name                          any // string or nil
	company, location, email, bio any // string or nil
	twitter                       any // string or nil
	blog                          string
	publicRepos, publicGists      int
	followers, following          int
	created, updated              int64
}

// userRecord is a GET /users/{login} response.
func userRecord(s *userSpec) map[string]any {
	u := simpleUser(s.login, nodeIDAt("User", s.created, s.id), s.id, "User")
	u["name"] = s.name
	u["company"] = s.company
	u["blog"] = s.blog
	u["location"] = s.location
	u["email"] = s.email
	u["hireable"] = nil
	u["bio"] = s.bio
	u["twitter_username"] = s.twitter
	u["public_repos"] = s.publicRepos
	u["public_gists"] = s.publicGists
	u["followers"] = s.followers
	u["following"] = s.following
	u["created_at"] = ts(s.created)
	u["updated_at"] = ts(s.updated)
	return u
}

// licenses holds the license-simple objects GitHub gives for the license keys used here;
// they are shared, read-only, by every repository that has the license.
var licenseObjects = map[string]map[string]any{
	"mit":          licenseObject("mit", "MIT License", "MIT", "MDc6TGljZW5zZTEz"),
	"apache-2.0":   licenseObject("apache-2.0", "Apache License 2.0", "Apache-2.0", "MDc6TGljZW5zZTI="),
	"bsd-3-clause": licenseObject("bsd-3-clause", `BSD 3-Clause "New" or "Revised" License`, "BSD-3-Clause", "MDc6TGljZW5zZTU="),
	"mpl-2.0":      licenseObject("mpl-2.0", "Mozilla Public License 2.0", "MPL-2.0", "MDc6TGljZW5zZTE0"),
	"other":        {"key": "other", "name": "Other", "spdx_id": "NOASSERTION", "url": nil, "node_id": "MDc6TGljZW5zZTA="},
}

func licenseObject(key, name, spdx, node string) map[string]any {
	return map[string]any{"key": key, "name": name, "spdx_id": spdx, "url": apiBase + "/licenses/" + key, "node_id": node}
}

// license returns the license object for a key, nil for "".
func license(key string) any {
	if key == "" {
		return nil
	}
	if l, ok := licenseObjects[key]; ok {
		return l
	}
	return licenseObjects["other"]
}

// readOnly is the permissions object of a repository listed with a token that may only
// read it (pane's), shared by every repository.
var readOnly = map[string]any{"admin": false, "maintain": false, "push": false, "triage": false, "pull": true}

// repoSpec is what varies between repositories.
type repoSpec struct {
	id                         int64
	name                       string
	description                any    // string or nil
	visibility                 string // public, private, internal
	fork, archived, template   bool
	created, updated, pushed   int64
	homepage                   any // string or nil
	language                   any // string or nil
	size, stars, forks, issues int
	hasIssues, hasProjects     bool
	hasWiki, hasPages          bool
	hasDiscussions             bool
	license                    string // license key, "" for none
	topics                     []string
	defaultBranch              string
	customProperties           map[string]any
}

// repoRecord is an item of GET /orgs/{org}/repos as a read-only installation sees it,
// with custom_properties (present when the organization defines custom properties).
func repoRecord(o *org, s *repoSpec) map[string]any {
	full := o.login + "/" + s.name
	api := apiBase + "/repos/" + full
	html := webBase + "/" + full

	// All URL fields are cut from one buffer: one allocation instead of forty.
	var sb strings.Builder
	sb.Grow(45*len(api) + 1100)
	cut := func(parts ...string) string {
		start := sb.Len()
		for _, p := range parts {
			sb.WriteString(p)
		}
		return sb.String()[start:]
	}

	r := make(map[string]any, 96)
	r["id"] = s.id
	r["node_id"] = nodeIDAt("Repository", s.created, s.id)
	r["name"] = s.name
	r["full_name"] = full
	r["private"] = s.visibility != "public"
	r["owner"] = o.owner
	r["html_url"] = html
	r["description"] = s.description
	r["fork"] = s.fork
	r["url"] = api
	r["forks_url"] = cut(api, "/forks")
	r["keys_url"] = cut(api, "/keys{/key_id}")
	r["collaborators_url"] = cut(api, "/collaborators{/collaborator}")
	r["teams_url"] = cut(api, "/teams")
	r["hooks_url"] = cut(api, "/hooks")
	r["issue_events_url"] = cut(api, "/issues/events{/number}")
	r["events_url"] = cut(api, "/events")
	r["assignees_url"] = cut(api, "/assignees{/user}")
	r["branches_url"] = cut(api, "/branches{/branch}")
	r["tags_url"] = cut(api, "/tags")
	r["blobs_url"] = cut(api, "/git/blobs{/sha}")
	r["git_tags_url"] = cut(api, "/git/tags{/sha}")
	r["git_refs_url"] = cut(api, "/git/refs{/sha}")
	r["trees_url"] = cut(api, "/git/trees{/sha}")
	r["statuses_url"] = cut(api, "/statuses/{sha}")
	r["languages_url"] = cut(api, "/languages")
	r["stargazers_url"] = cut(api, "/stargazers")
	r["contributors_url"] = cut(api, "/contributors")
	r["subscribers_url"] = cut(api, "/subscribers")
	r["subscription_url"] = cut(api, "/subscription")
	r["commits_url"] = cut(api, "/commits{/sha}")
	r["git_commits_url"] = cut(api, "/git/commits{/sha}")
	r["comments_url"] = cut(api, "/comments{/number}")
	r["issue_comment_url"] = cut(api, "/issues/comments{/number}")
	r["contents_url"] = cut(api, "/contents/{+path}")
	r["compare_url"] = cut(api, "/compare/{base}...{head}")
	r["merges_url"] = cut(api, "/merges")
	r["archive_url"] = cut(api, "/{archive_format}{/ref}")
	r["downloads_url"] = cut(api, "/downloads")
	r["issues_url"] = cut(api, "/issues{/number}")
	r["pulls_url"] = cut(api, "/pulls{/number}")
	r["milestones_url"] = cut(api, "/milestones{/number}")
	r["notifications_url"] = cut(api, "/notifications{?since,all,participating}")
	r["labels_url"] = cut(api, "/labels{/name}")
	r["releases_url"] = cut(api, "/releases{/id}")
	r["deployments_url"] = cut(api, "/deployments")
	r["created_at"] = ts(s.created)
	r["updated_at"] = ts(s.updated)
	r["pushed_at"] = ts(s.pushed)
	r["git_url"] = cut("git://github.com/", full, ".git")
	r["ssh_url"] = cut("git@github.com:", full, ".git")
	r["clone_url"] = cut(html, ".git")
	r["svn_url"] = html
	r["homepage"] = s.homepage
	r["size"] = s.size
	r["stargazers_count"] = s.stars
	r["watchers_count"] = s.stars
	r["language"] = s.language
	r["has_issues"] = s.hasIssues
	r["has_projects"] = s.hasProjects
	r["has_downloads"] = true
	r["has_wiki"] = s.hasWiki
	r["has_pages"] = s.hasPages
	r["has_discussions"] = s.hasDiscussions
	r["forks_count"] = s.forks
	r["mirror_url"] = nil
	r["archived"] = s.archived
	r["disabled"] = false
	r["open_issues_count"] = s.issues
	r["license"] = license(s.license)
	r["allow_forking"] = s.visibility == "public"
	r["is_template"] = s.template
	r["web_commit_signoff_required"] = false
	topics := s.topics
	if topics == nil {
		topics = []string{}
	}
	r["topics"] = topics
	r["visibility"] = s.visibility
	r["forks"] = s.forks
	r["open_issues"] = s.issues
	r["watchers"] = s.stars
	r["default_branch"] = s.defaultBranch
	r["permissions"] = readOnly
	cp := s.customProperties
	if cp == nil {
		cp = map[string]any{}
	}
	r["custom_properties"] = cp
	return r
}

// teamSpec is what varies between teams.
type teamSpec struct {
	id           int64
	created      int64 // not in GitHub's team object, but its node id depends on it
	name, slug   string
	description  string
	privacy      string // closed or secret
	notify       bool
	parent       *teamSpec
	members      []member
	repositories []teamRepo
}

// member is one entry of a team's members list: pane adds it to GitHub's team object from
// GET /orgs/{org}/teams/{team_slug}/members and .../memberships/{username}.
type member struct {
	login, role string // role: maintainer or member
}

// teamRepo is one entry of a team's repositories list: pane adds it to GitHub's team object
// from GET /orgs/{org}/teams/{team_slug}/repos.
type teamRepo struct {
	name, permission string // permission: admin, maintain, push, triage or pull
}

// teamSummary is the team object of GET /orgs/{org}/teams without pane's additions and
// without parent: the shape GitHub gives a team's parent in.
func teamSummary(o *org, s *teamSpec) map[string]any {
	api := apiBase + "/organizations/" + strconv.FormatInt(o.id, 10) + "/team/" + strconv.FormatInt(s.id, 10)
	notify := "notifications_enabled"
	if !s.notify {
		notify = "notifications_disabled"
	}
	var desc any
	if s.description != "" {
		desc = s.description
	}
	t := make(map[string]any, 16)
	t["name"] = s.name
	t["id"] = s.id
	t["node_id"] = nodeIDAt("Team", s.created, o.id, s.id)
	t["slug"] = s.slug
	t["description"] = desc
	t["privacy"] = s.privacy
	t["notification_setting"] = notify
	t["url"] = api
	t["html_url"] = webBase + "/orgs/" + o.login + "/teams/" + s.slug
	t["members_url"] = api + "/members{/member}"
	t["repositories_url"] = api + "/repos"
	t["permission"] = "pull"
	return t
}

// teamRecord is pane's team record: GitHub's team object plus members and repositories.
func teamRecord(o *org, s *teamSpec) map[string]any {
	t := teamSummary(o, s)
	if s.parent != nil {
		t["parent"] = teamSummary(o, s.parent)
	} else {
		t["parent"] = nil
	}
	ms := make([]map[string]any, len(s.members))
	for i, m := range s.members {
		ms[i] = map[string]any{"login": m.login, "role": m.role}
	}
	t["members"] = ms
	rs := make([]map[string]any, len(s.repositories))
	for i, r := range s.repositories {
		rs[i] = teamRepoRecord(o, r)
	}
	t["repositories"] = rs
	return t
}

func teamRepoRecord(o *org, r teamRepo) map[string]any {
	return map[string]any{"full_name": o.login + "/" + r.name, "name": r.name, "permission": r.permission}
}
