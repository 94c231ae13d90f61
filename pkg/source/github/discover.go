package github

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/workspace"
)

// MaxFileSize bounds a discovered entity file.
const MaxFileSize = 1 << 20

// checkPattern accepts doublestar globs relative to a repository's root.
func checkPattern(p string) error {
	switch {
	case p == "":
		return errors.New("empty")
	case strings.HasPrefix(p, "/"):
		return errors.New("write it relative to the repository's root, without a leading /")
	case !doublestar.ValidatePattern(p):
		return errors.New("not a valid glob")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." || seg == "." {
			return errors.New("no . or .. segments")
		}
	}
	return nil
}

// discoverState remembers, per repository, the files the last complete fetch found and
// the repository's pushed_at then: a repository nobody pushed to since has the same
// files, so its discovery costs no request (the blobs come from the cache).
type discoverState struct {
	Patterns string               `json:"patterns"`
	Repos    map[string]repoFiles `json:"repos"`
}

type repoFiles struct {
	PushedAt string    `json:"pushed_at"`
	Branch   string    `json:"branch"`
	Commit   string    `json:"commit,omitempty"`
	Files    []fileRef `json:"files,omitempty"`
}

type fileRef struct {
	Path string `json:"path"`
	Blob string `json:"blob"`
}

func (f *fetch) statePath() string {
	if f.s.opts.CacheDir == "" || f.s.api.cache == nil {
		return ""
	}
	return filepath.Join(f.s.opts.CacheDir, "discover.json")
}

func (f *fetch) loadDiscoverState() error {
	f.next = &discoverState{Patterns: strings.Join(f.s.pats, "\n"), Repos: map[string]repoFiles{}}
	p := f.statePath()
	if p == "" {
		return nil
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var st discoverState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	if st.Patterns == f.next.Patterns {
		f.prev = &st
	}
	return nil
}

func (f *fetch) saveDiscoverState() error {
	p := f.statePath()
	if p == "" {
		return nil
	}
	b, err := json.Marshal(f.next)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// needsRecursion: a pattern below the root needs the whole tree; root-level names do
// not (a monorepo's tree can be large).
func (f *fetch) needsRecursion() bool {
	for _, p := range f.s.pats {
		if strings.Contains(p, "/") || strings.Contains(p, "**") {
			return true
		}
	}
	return false
}

func (f *fetch) matches(path string) bool {
	for _, p := range f.s.pats {
		if ok, _ := doublestar.Match(p, path); ok {
			return true
		}
	}
	return false
}

type treeEntry struct {
	Path string `json:"path"`
	Type string `json:"type"`
	SHA  string `json:"sha"`
	Size int64  `json:"size"`
}

type tree struct {
	SHA       string      `json:"sha"`
	Tree      []treeEntry `json:"tree"`
	Truncated bool        `json:"truncated"`
}

// discover finds a repository's entity files on its default branch.
func (f *fetch) discover(ctx context.Context, d *orgData, repo map[string]any) error {
	full, branch, pushed := str(repo["full_name"]), str(repo["default_branch"]), str(repo["pushed_at"])
	if branch == "" {
		return nil
	}
	rp := "repos/" + escapePath(full)

	// Nobody pushed since the last complete fetch: the same files, from the cache.
	if f.prev != nil {
		if prev, ok := f.prev.Repos[full]; ok && prev.PushedAt == pushed && prev.Branch == branch {
			if recs, ok := f.reuse(full, repo, prev); ok {
				f.remember(full, prev)
				f.s.count.reused.Add(int64(len(prev.Files)))
				d.addFiles(full, recs)
				f.prog.files.Add(int64(len(recs)))
				return nil
			}
		}
	}

	q := ""
	if f.needsRecursion() {
		q = "?recursive=1"
	}
	t, err := f.tree(ctx, rp+"/git/trees/"+escapePath(branch)+q)
	switch {
	case isStatus(err, http.StatusConflict):
		f.remember(full, repoFiles{PushedAt: pushed, Branch: branch}) // an empty repository
		return nil
	case isNotFound(err):
		// Deleted (or renamed away) since the listing? Or only no such branch?
		if _, err := f.object(ctx, rp); isNotFound(err) {
			d.mu.Lock()
			d.gone[full] = true
			d.mu.Unlock()
			if f.s.log != nil {
				f.s.log.Info("repository deleted while it was read: left out", "source", f.s.name, "repository", full)
			}
			return nil
		} else if err != nil {
			return err
		}
		f.remember(full, repoFiles{PushedAt: pushed, Branch: branch})
		return nil
	case err != nil:
		return err
	}
	if t.Truncated {
		if t, err = f.descend(ctx, rp, t.SHA); err != nil {
			return fmt.Errorf("%s: %w", full, err)
		}
	}
	found := f.match(t)
	if len(found) == 0 {
		f.remember(full, repoFiles{PushedAt: pushed, Branch: branch})
		return nil
	}

	// The commit the files are at, for their origin (owner/repo@sha:path:line). If the
	// branch moved since the tree was read, read the tree of the commit instead.
	b, err := f.object(withoutCache(ctx), rp+"/branches/"+escapePath(branch))
	if err != nil {
		return err
	}
	commit := str(dig(b, "commit", "sha"))
	if ts := str(dig(b, "commit", "commit", "tree", "sha")); ts != "" && ts != t.SHA {
		if t, err = f.tree(ctx, rp+"/git/trees/"+ts+"?recursive=1"); err != nil {
			return err
		}
		if t.Truncated {
			if t, err = f.descend(ctx, rp, t.SHA); err != nil {
				return fmt.Errorf("%s: %w", full, err)
			}
		}
		found = f.match(t)
	}
	state := repoFiles{PushedAt: pushed, Branch: branch, Commit: commit}
	var recs []source.Record
	for _, e := range found {
		var data []byte
		if e.Size > MaxFileSize {
			recs = append(recs, fileRecord(full, str(repo["html_url"]), commit, e.Path, e.SHA, nil,
				fmt.Errorf("%d bytes: larger than the %d an entity file may have", e.Size, MaxFileSize)))
			state.Files = append(state.Files, fileRef{e.Path, e.SHA})
			continue
		}
		blob, err := f.object(ctx, rp+"/git/blobs/"+e.SHA)
		if err != nil {
			return err
		}
		data, err = blobContent(blob)
		recs = append(recs, fileRecord(full, str(repo["html_url"]), commit, e.Path, e.SHA, data, err))
		state.Files = append(state.Files, fileRef{e.Path, e.SHA})
	}
	f.remember(full, state)
	d.addFiles(full, recs)
	f.prog.files.Add(int64(len(recs)))
	return nil
}

func (d *orgData) addFiles(full string, recs []source.Record) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files[full] = recs
}

func (f *fetch) remember(full string, rf repoFiles) {
	f.stateMu.Lock()
	defer f.stateMu.Unlock()
	f.next.Repos[full] = rf
}

// reuse makes a repository's file records from the cache alone.
func (f *fetch) reuse(full string, repo map[string]any, prev repoFiles) ([]source.Record, bool) {
	rp := "repos/" + escapePath(full)
	var recs []source.Record
	for _, fr := range prev.Files {
		body, ok := f.cached(rp + "/git/blobs/" + fr.Blob)
		if !ok {
			return nil, false
		}
		var blob map[string]any
		if json.Unmarshal(body, &blob) != nil {
			return nil, false
		}
		data, err := blobContent(blob)
		recs = append(recs, fileRecord(full, str(repo["html_url"]), prev.Commit, fr.Path, fr.Blob, data, err))
	}
	return recs, true
}

func (f *fetch) tree(ctx context.Context, path string) (*tree, error) {
	// Not cached: a repository nobody pushed to is not asked for its tree at all (see
	// discoverState), and one that was pushed to most likely has a new tree.
	body, _, err := f.get(withoutCache(ctx), path)
	if err != nil {
		return nil, err
	}
	var t tree
	if err := json.Unmarshal(body, &t); err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return &t, nil
}

func (f *fetch) match(t *tree) []treeEntry {
	var out []treeEntry
	for _, e := range t.Tree {
		if e.Type == "blob" && f.matches(e.Path) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// descend reads, when the recursive tree is too large for GitHub to list whole, only
// the directories the patterns can match in: each pattern's fixed leading directories
// are walked level by level, and the tree below them read recursively.
func (f *fetch) descend(ctx context.Context, rp, root string) (*tree, error) {
	out := &tree{SHA: root}
	seen := map[string]bool{}
	for _, p := range f.s.pats {
		segs := strings.Split(p, "/")
		var fixed []string
		for _, s := range segs[:len(segs)-1] {
			if strings.ContainsAny(s, "*?[{\\") {
				break
			}
			fixed = append(fixed, s)
		}
		if len(fixed) == 0 && (len(segs) > 1 || strings.Contains(p, "**")) {
			return nil, fmt.Errorf("the repository's tree is too large for GitHub to list whole, and discover pattern %q can match anywhere in it: give it a fixed leading directory", p)
		}
		prefix := strings.Join(fixed, "/")
		if seen[prefix] {
			continue
		}
		seen[prefix] = true
		sha := root
		for _, s := range fixed {
			t, err := f.tree(ctx, rp+"/git/trees/"+sha)
			if err != nil {
				return nil, err
			}
			sha = ""
			for _, e := range t.Tree {
				if e.Path == s && e.Type == "tree" {
					sha = e.SHA
				}
			}
			if sha == "" {
				break
			}
		}
		if sha == "" {
			continue
		}
		q := "?recursive=1"
		if prefix == "" {
			q = "" // root-level names: the root alone
		}
		t, err := f.tree(ctx, rp+"/git/trees/"+sha+q)
		if err != nil {
			return nil, err
		}
		if t.Truncated {
			return nil, fmt.Errorf("the tree under %q is too large for GitHub to list whole: narrow the discover patterns", prefix)
		}
		for _, e := range t.Tree {
			if prefix != "" {
				e.Path = prefix + "/" + e.Path
			}
			out.Tree = append(out.Tree, e)
		}
	}
	return out, nil
}

// blobContent decodes a GET .../git/blobs/{sha} response.
func blobContent(b map[string]any) ([]byte, error) {
	if enc := str(b["encoding"]); enc != "base64" {
		return nil, fmt.Errorf("blob encoding %q, expected base64", enc)
	}
	s := strings.NewReplacer("\n", "", "\r", "").Replace(str(b["content"]))
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("blob content: %v", err)
	}
	return data, nil
}

// fileRecord parses an entity file into a file record. Problems (a file that is not
// YAML, a document that is not an entity) are kept in the record's errors, with the
// file's place: pane reports them and leaves that file's entities out.
func fileRecord(full, htmlURL, commit, path, blob string, data []byte, readErr error) source.Record {
	where := full + "@" + commit + ":" + path
	rec := map[string]any{
		"repo": full, "path": path, "sha": commit, "blob": blob,
		"url": htmlURL + "/blob/" + commit + "/" + escapePath(path),
	}
	var docs, problems []any
	switch ext := strings.ToLower(filepath.Ext(path)); {
	case readErr != nil:
		problems = append(problems, map[string]any{"where": where, "message": readErr.Error()})
	case ext != ".yaml" && ext != ".yml" && ext != ".json":
		problems = append(problems, map[string]any{"where": where, "message": "only YAML (or JSON) entity files are read from repositories"})
	default:
		rec["text"] = string(data)
		ds, fs := workspace.ParseYAML(where, data)
		for _, d := range ds {
			docs = append(docs, map[string]any{"line": int64(d.Line), "column": int64(d.Col), "entity": map[string]any(d.Entity)})
		}
		for _, p := range fs {
			problems = append(problems, map[string]any{"where": p.Where, "message": p.Message})
		}
	}
	if docs == nil {
		docs = []any{}
	}
	if problems == nil {
		problems = []any{}
	}
	rec["content"] = docs
	rec["errors"] = problems
	return source.Record{Type: "file", Key: full + ":" + path, Data: rec, Where: where}
}

// Declared returns the entities a file record declares, parsed as pane parses the
// workspace's own catalog files, with positions in owner/repo@sha:path form, and the
// problems of the file. ok is false for any other record.
func Declared(r source.Record) (ds []*workspace.Declared, problems diag.List, ok bool) {
	m, isMap := r.Data.(map[string]any)
	if r.Type != "file" || !isMap {
		return nil, nil, false
	}
	if _, has := m["content"]; !has {
		return nil, nil, false
	}
	if text, isText := m["text"].(string); isText {
		ds, problems = workspace.ParseYAML(r.Where, []byte(text))
		return ds, problems, true
	}
	if es, _ := m["errors"].([]any); len(es) > 0 {
		for _, e := range es {
			em, _ := e.(map[string]any)
			problems = append(problems, diag.Finding{Where: str(em["where"]), Message: str(em["message"])})
		}
	}
	return nil, problems, true
}

func dig(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// escapePath escapes each segment of a slash-separated path for a URL.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}
