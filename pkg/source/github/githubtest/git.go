package githubtest

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// repoTree is a repository's default branch: git trees and blobs with git's own object
// ids, so that shas look and behave like GitHub's (the same content, the same sha).
type repoTree struct {
	root   *dirNode
	dirs   map[string]*dirNode // by sha
	blobs  map[string][]byte   // by sha
	commit string
}

type dirNode struct {
	sha     string
	entries []treeEntry
}

type treeEntry struct {
	name, mode, typ, sha string
	size                 int
	dir                  *dirNode
}

func gitHash(typ string, content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", typ, len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// buildTree makes a repository's tree from its files.
func buildTree(files map[string][]byte, pushedAt string) *repoTree {
	t := &repoTree{dirs: map[string]*dirNode{}, blobs: map[string][]byte{}}
	type dir struct {
		files map[string][]byte
		subs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string][]byte{}, subs: map[string]*dir{}} }
	top := newDir()
	for p, c := range files {
		d := top
		parts := strings.Split(p, "/")
		for _, seg := range parts[:len(parts)-1] {
			if d.subs[seg] == nil {
				d.subs[seg] = newDir()
			}
			d = d.subs[seg]
		}
		d.files[parts[len(parts)-1]] = c
	}
	var build func(d *dir) *dirNode
	build = func(d *dir) *dirNode {
		n := &dirNode{}
		for name, c := range d.files {
			sha := gitHash("blob", c)
			t.blobs[sha] = c
			n.entries = append(n.entries, treeEntry{name: name, mode: "100644", typ: "blob", sha: sha, size: len(c)})
		}
		for name, sd := range d.subs {
			sub := build(sd)
			n.entries = append(n.entries, treeEntry{name: name, mode: "040000", typ: "tree", sha: sub.sha, dir: sub})
		}
		// git sorts a tree's entries by name, a directory's name as if it ended in "/".
		key := func(e treeEntry) string {
			if e.typ == "tree" {
				return e.name + "/"
			}
			return e.name
		}
		sort.Slice(n.entries, func(i, j int) bool { return key(n.entries[i]) < key(n.entries[j]) })
		var obj []byte
		for _, e := range n.entries {
			raw, _ := hex.DecodeString(e.sha)
			mode := e.mode
			if e.typ == "tree" {
				mode = "40000"
			}
			obj = append(obj, mode+" "+e.name+"\x00"...)
			obj = append(obj, raw...)
		}
		n.sha = gitHash("tree", obj)
		t.dirs[n.sha] = n
		return n
	}
	t.root = build(top)
	t.commit = gitHash("commit", []byte("tree "+t.root.sha+"\nauthor fake <fake@example.com> "+pushedAt+"\n\nUpdate\n"))
	return t
}

func (s *Server) tree(o *Org, rp map[string]any) *repoTree {
	full := strings.ToLower(str(rp["full_name"]))
	s.treesMu.Lock()
	defer s.treesMu.Unlock()
	if t, ok := s.trees[full]; ok {
		return t
	}
	files := map[string][]byte{}
	name := str(rp["name"])
	if d := str(rp["description"]); d != "" {
		files["README.md"] = []byte("# " + name + "\n\n" + d + "\n")
	} else {
		files["README.md"] = []byte("# " + name + "\n")
	}
	for p, c := range o.Files[name] {
		files[p] = c
	}
	var t *repoTree
	if toInt64(rp["size"]) != 0 || len(o.Files[name]) > 0 {
		t = buildTree(files, str(rp["pushed_at"]))
	}
	s.trees[full] = t
	return t
}

// repoRoute serves /repos/{owner}/{repo}/...
func (s *Server) repoRoute(parts []string, q url.Values) reply {
	o := s.orgs[strings.ToLower(parts[1])]
	if o == nil {
		return notFound("https://docs.github.com/rest/repos/repos#get-a-repository")
	}
	rp := o.repo(parts[2])
	if rp == nil {
		return notFound("https://docs.github.com/rest/repos/repos#get-a-repository")
	}
	full := str(rp["full_name"])
	api := s.srv.URL + s.prefix + "/repos/" + full
	rest := parts[3:]
	switch {
	case len(rest) == 0:
		s.kind("repo")
		return s.json(rp, false)
	case len(rest) >= 3 && rest[0] == "git" && rest[1] == "trees":
		s.kind("tree")
		t := s.tree(o, rp)
		if t == nil {
			return reply{status: http.StatusConflict, body: message("Git Repository is empty.", "https://docs.github.com/rest/git/trees#get-a-tree")}
		}
		ref := strings.Join(rest[2:], "/")
		var d *dirNode
		switch {
		case ref == str(rp["default_branch"]) || ref == t.commit || ref == "HEAD":
			d = t.root
		default:
			d = t.dirs[ref]
		}
		if d == nil {
			return notFound("https://docs.github.com/rest/git/trees#get-a-tree")
		}
		var entries []any
		truncated := false
		var walk func(d *dirNode, prefix string)
		walk = func(d *dirNode, prefix string) {
			for _, e := range d.entries {
				if len(entries) >= s.maxTE {
					truncated = true
					return
				}
				m := map[string]any{"path": prefix + e.name, "mode": e.mode, "type": e.typ, "sha": e.sha}
				if e.typ == "blob" {
					m["size"] = e.size
					m["url"] = api + "/git/blobs/" + e.sha
				} else {
					m["url"] = api + "/git/trees/" + e.sha
				}
				entries = append(entries, m)
				if e.typ == "tree" && q.Has("recursive") {
					walk(e.dir, prefix+e.name+"/")
				}
			}
		}
		walk(d, "")
		if entries == nil {
			entries = []any{}
		}
		return s.json(map[string]any{"sha": d.sha, "url": api + "/git/trees/" + d.sha, "tree": entries, "truncated": truncated}, false)
	case len(rest) == 3 && rest[0] == "git" && rest[1] == "blobs":
		s.kind("blob")
		t := s.tree(o, rp)
		if t == nil {
			return notFound("https://docs.github.com/rest/git/blobs#get-a-blob")
		}
		c, ok := t.blobs[rest[2]]
		if !ok {
			return notFound("https://docs.github.com/rest/git/blobs#get-a-blob")
		}
		// GitHub wraps base64 content at 60 characters, each line ending in \n.
		enc := base64.StdEncoding.EncodeToString(c)
		var b strings.Builder
		for len(enc) > 60 {
			b.WriteString(enc[:60] + "\n")
			enc = enc[60:]
		}
		b.WriteString(enc + "\n")
		return s.json(map[string]any{"sha": rest[2], "node_id": "B_" + rest[2][:12], "size": len(c),
			"url": api + "/git/blobs/" + rest[2], "content": b.String(), "encoding": "base64"}, false)
	case len(rest) >= 2 && rest[0] == "branches":
		s.kind("branch")
		name := strings.Join(rest[1:], "/")
		t := s.tree(o, rp)
		if t == nil || name != str(rp["default_branch"]) {
			b := message("Branch not found", "https://docs.github.com/rest/branches/branches#get-a-branch")
			return reply{status: http.StatusNotFound, body: b}
		}
		who := map[string]any{"name": "Fake Committer", "email": "fake@example.com", "date": rp["pushed_at"]}
		commit := map[string]any{
			"sha": t.commit, "node_id": "C_" + t.commit[:12],
			"commit": map[string]any{"author": who, "committer": who, "message": "Update",
				"tree": map[string]any{"sha": t.root.sha, "url": api + "/git/trees/" + t.root.sha},
				"url":  api + "/git/commits/" + t.commit, "comment_count": 0,
				"verification": map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil, "verified_at": nil}},
			"url": api + "/commits/" + t.commit, "html_url": str(rp["html_url"]) + "/commit/" + t.commit,
			"comments_url": api + "/commits/" + t.commit + "/comments", "author": nil, "committer": nil, "parents": []any{},
		}
		return s.json(map[string]any{"name": name, "commit": commit,
			"_links":    map[string]any{"self": api + "/branches/" + name, "html": str(rp["html_url"]) + "/tree/" + name},
			"protected": false, "protection": map[string]any{"enabled": false, "required_status_checks": map[string]any{"enforcement_level": "off", "contexts": []any{}, "checks": []any{}}},
			"protection_url": api + "/branches/" + name + "/protection"}, false)
	}
	return notFound("https://docs.github.com/rest")
}
