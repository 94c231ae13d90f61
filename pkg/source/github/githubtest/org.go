package githubtest

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pane-dev/pane/internal/synth"
)

// Org is what the fake serves for one organization: GitHub's objects as its REST API
// lists them, and the files on each repository's default branch.
type Org struct {
	Login string
	ID    int64
	// Repos are items of GET /orgs/{org}/repos, custom_properties included (as GitHub
	// gives them to a token that can read them).
	Repos []map[string]any
	// Teams are items of GET /orgs/{org}/teams (parent included).
	Teams []map[string]any
	// Members are each team's direct members, by team slug. GitHub lists a team's
	// members together with its child teams' members; the fake does too.
	Members map[string][]Member
	// TeamRepos are each team's repositories, by team slug.
	TeamRepos map[string][]TeamRepo
	// Users are GET /users/{login} responses: the organization's members.
	Users []map[string]any
	// Files are the files on each repository's default branch, by repository name and
	// path. A repository without files has a README.md.
	Files map[string]map[string][]byte

	indexOnce    sync.Once
	reposByName  map[string]map[string]any
	usersByLogin map[string]map[string]any
}

// Member is a team membership.
type Member struct{ Login, Role string } // Role: maintainer or member

// TeamRepo is a team's permission on a repository.
type TeamRepo struct{ Name, Permission string } // admin, maintain, push, triage, pull

// FromSynth splits a synthetic organization (records in the shapes pane's GitHub source
// yields) into what GitHub's API serves.
func FromSynth(o synth.Org) *Org {
	org := &Org{Members: map[string][]Member{}, TeamRepos: map[string][]TeamRepo{}, Files: map[string]map[string][]byte{}}
	for _, r := range o.Repositories {
		c := make(map[string]any, len(r))
		for k, v := range r {
			if k != "teams" { // pane's join, not GitHub's
				c[k] = v
			}
		}
		org.Repos = append(org.Repos, c)
		if org.Login == "" {
			if own, ok := r["owner"].(map[string]any); ok {
				org.Login, _ = own["login"].(string)
				org.ID = toInt64(own["id"])
			}
		}
	}
	for _, t := range o.Teams {
		c := make(map[string]any, len(t))
		for k, v := range t {
			if k != "members" && k != "repositories" {
				c[k] = v
			}
		}
		org.Teams = append(org.Teams, c)
		slug := str(t["slug"])
		eachMap(t["members"], func(m map[string]any) {
			org.Members[slug] = append(org.Members[slug], Member{str(m["login"]), str(m["role"])})
		})
		eachMap(t["repositories"], func(m map[string]any) {
			org.TeamRepos[slug] = append(org.TeamRepos[slug], TeamRepo{str(m["name"]), str(m["permission"])})
		})
		if org.Login == "" {
			// https://github.com/orgs/LOGIN/teams/SLUG
			if u := str(t["html_url"]); strings.Contains(u, "/orgs/") {
				org.Login = strings.SplitN(strings.SplitN(u, "/orgs/", 2)[1], "/", 2)[0]
			}
		}
	}
	org.Users = append(org.Users, o.Users...)
	if org.ID == 0 {
		for _, t := range o.Teams {
			// https://api.github.com/organizations/ID/team/TID
			if u := str(t["url"]); strings.Contains(u, "/organizations/") {
				org.ID, _ = strconv.ParseInt(strings.SplitN(strings.SplitN(u, "/organizations/", 2)[1], "/", 2)[0], 10, 64)
				break
			}
		}
	}
	return org
}

// LoadDir reads an organization recorded the way the example workspace records one:
// repositories.json, teams.json and users.json in dir (pane's record shapes), and the
// repositories' files under dir/files/REPO/PATH.
func LoadDir(dir string) (*Org, error) {
	var o synth.Org
	for _, f := range []struct {
		name string
		dst  *[]map[string]any
	}{{"repositories.json", &o.Repositories}, {"teams.json", &o.Teams}, {"users.json", &o.Users}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.UseNumber()
		if err := dec.Decode(f.dst); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	org := FromSynth(o)
	files := filepath.Join(dir, "files")
	err := filepath.WalkDir(files, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == files {
				return filepath.SkipDir
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(files, p)
		parts := strings.SplitN(filepath.ToSlash(rel), "/", 2)
		if len(parts) != 2 {
			return fmt.Errorf("%s: files must be under files/REPO/", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		org.SetFile(parts[0], parts[1], b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return org, nil
}

// SetFile puts a file on a repository's default branch (nil content deletes it).
func (o *Org) SetFile(repo, path string, content []byte) {
	if o.Files == nil {
		o.Files = map[string]map[string][]byte{}
	}
	if o.Files[repo] == nil {
		o.Files[repo] = map[string][]byte{}
	}
	if content == nil {
		delete(o.Files[repo], path)
		return
	}
	o.Files[repo][path] = content
}

func (o *Org) repo(name string) map[string]any {
	o.indexOnce.Do(o.index)
	return o.reposByName[name]
}

// index makes the lookups by name; Server.Update makes a new Org value's indexes anew.
func (o *Org) index() {
	o.reposByName = make(map[string]map[string]any, len(o.Repos))
	for _, r := range o.Repos {
		o.reposByName[str(r["name"])] = r
	}
	o.usersByLogin = make(map[string]map[string]any, len(o.Users))
	for _, u := range o.Users {
		o.usersByLogin[strings.ToLower(str(u["login"]))] = u
	}
}

func (o *Org) team(slug string) map[string]any {
	for _, t := range o.Teams {
		if str(t["slug"]) == slug {
			return t
		}
	}
	return nil
}

func (o *Org) teamByID(id int64) map[string]any {
	for _, t := range o.Teams {
		if toInt64(t["id"]) == id {
			return t
		}
	}
	return nil
}

func (o *Org) user(login string) map[string]any {
	o.indexOnce.Do(o.index)
	return o.usersByLogin[strings.ToLower(login)]
}

// descendants returns slug and the slugs of every team below it.
func (o *Org) descendants(slug string) []string {
	children := map[string][]string{}
	for _, t := range o.Teams {
		if p, ok := t["parent"].(map[string]any); ok {
			children[str(p["slug"])] = append(children[str(p["slug"])], str(t["slug"]))
		}
	}
	out := []string{slug}
	for i := 0; i < len(out); i++ {
		cs := children[out[i]]
		sort.Strings(cs)
		out = append(out, cs...)
	}
	return out
}

// simpleUser cuts GitHub's simple-user object (a team member as listed) out of a user.
func simpleUser(u map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"login", "id", "node_id", "avatar_url", "gravatar_id", "url", "html_url",
		"followers_url", "following_url", "gists_url", "starred_url", "subscriptions_url",
		"organizations_url", "repos_url", "events_url", "received_events_url", "type",
		"user_view_type", "site_admin"} {
		if v, ok := u[k]; ok {
			out[k] = v
		}
	}
	return out
}

// The generator's readers of decoded records.
var (
	str     = synth.Str
	toInt64 = synth.Int64
	eachMap = synth.ForEachMap
)
