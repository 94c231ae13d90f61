// Package workspace loads a pane workspace: the config (every root *.cue of package pane),
// kind schemas (cue/schema), mappings (cue/mappings), declared entities (catalog/) and
// actions (actions/). A workspace is loaded once per run.
package workspace

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"
	"github.com/bmatcuk/doublestar/v4"

	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/mapping"
	"github.com/pane-dev/pane/pkg/schema"
)

// Workspace is a loaded workspace.
type Workspace struct {
	Dir      string // absolute
	CUE      *cue.Context
	Config   *Config
	Schemas  *schema.Schemas
	Mappings *mapping.Set
	Declared []*Declared
	// DeclaredFiles are the files catalog.include matched (slash-separated, relative to
	// Dir, sorted), whether or not they declared anything.
	DeclaredFiles []string
	// CUEHash identifies every CUE file below Dir but the root ones (mappings, schemas,
	// packages they import) and everything in cue.mod, as read before loading: a cache
	// of what mappings and schemas computed is keyed by it.
	CUEHash string
	// InputsHash identifies all the workspace gives a compile: CUEHash's files, the root
	// CUE files (the configuration) and the declaration files, each as read before (or,
	// for declarations, exactly as) parsed.
	InputsHash string
	declHash   []byte
	Actions    []string // action names, from actions/*.cue
}

// ConfigError is a problem with the workspace itself (no config, a config that does not
// evaluate): nothing else can be checked until it is fixed. Commands exit 2 on it.
type ConfigError struct{ Findings diag.List }

func (e *ConfigError) Error() string { return e.Findings.Error() }

// Load loads the workspace in dir. It returns a *ConfigError when the configuration
// cannot be used; otherwise the workspace, with every other problem found as findings
// (errors and warnings), so that one run reports them all.
func Load(dir string) (*Workspace, diag.List, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, nil, &ConfigError{diag.List{{Message: err.Error()}}}
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, nil, &ConfigError{diag.List{{Message: fmt.Sprintf("workspace %s is not a directory", dir)}}}
	}
	ws := &Workspace{Dir: abs, CUE: cuecontext.New()}
	// Hashed before anything is parsed: an edit while pane runs makes the hashes older
	// than what was compiled, never newer, so a cache keyed by them misses rather than
	// trusting a stale result.
	lib, root := hashCUE(abs)
	cfg, findings := loadConfig(ws.CUE, abs)
	if cfg == nil || len(findings.Errors()) > 0 {
		return nil, nil, &ConfigError{findings}
	}
	ws.Config = cfg
	findings = append(findings, checkSecrets(ws)...)

	sch, err := schema.Load(ws.CUE, filepath.Join(abs, "cue", "schema"))
	if err != nil {
		findings = append(findings, schemaFindings(err, abs)...)
	}
	ws.Schemas = sch

	set, mf := mapping.Load(ws.CUE, abs, filepath.Join(abs, "cue", "mappings"))
	findings = append(findings, mf...)
	if set == nil {
		set = &mapping.Set{}
	}
	ws.Mappings = set
	for _, m := range set.Mappings {
		if _, ok := cfg.Sources[m.Source]; !ok {
			findings = append(findings, diag.Finding{Where: m.Where,
				Message: fmt.Sprintf("mapping %q: source %q is not defined in pane.cue (sources: %s)", m.Name, m.Source, sourceNames(cfg))})
		}
	}

	decl, df := loadDeclared(ws)
	ws.Declared = decl
	findings = append(findings, df...)
	ws.CUEHash = lib
	h := sha256.New()
	fmt.Fprintf(h, "cue %s\x00root %s\x00declared %x\x00", lib, root, ws.declHash)
	ws.InputsHash = hex.EncodeToString(h.Sum(nil))

	acts, af := loadActions(ws)
	ws.Actions = acts
	findings = append(findings, af...)
	findings.Sort()
	return ws, findings, nil
}

func sourceNames(cfg *Config) string {
	if len(cfg.Sources) == 0 {
		return "none"
	}
	names := make([]string, 0, len(cfg.Sources))
	for n := range cfg.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func schemaFindings(err error, root string) diag.List {
	var le *schema.LoadError
	if !errors.As(err, &le) {
		return diag.List{{Message: "schema: " + err.Error()}}
	}
	var l diag.List
	for _, e := range le.Errors {
		where := e.Pos
		if rel, err := filepath.Rel(root, where); err == nil && filepath.IsAbs(where) && !strings.HasPrefix(rel, "..") {
			where = filepath.ToSlash(rel)
		}
		l = append(l, diag.Finding{Where: where, Message: e.Message})
	}
	return l
}

// hashCUE hashes the workspace's CUE: lib, every *.cue file below dir but the root ones
// and every file in cue.mod; root, the root *.cue files. Directories pane or git own
// (.pane, .git) and node_modules are skipped.
func hashCUE(dir string) (lib, root string) {
	lh, rh := sha256.New(), sha256.New()
	// Without a cue.mod, CUE imports only its standard library: the CUE pane reads is
	// the root files and cue/. With one, any package of the module may be imported.
	walk := dir
	if _, err := os.Stat(filepath.Join(dir, "cue.mod")); err != nil {
		roots, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
		sort.Strings(roots)
		for _, p := range roots {
			data, err := os.ReadFile(p)
			if err != nil {
				fmt.Fprintf(rh, "%s\x00unreadable\x00", filepath.Base(p))
				continue
			}
			fmt.Fprintf(rh, "%s\x00%d\x00", filepath.Base(p), len(data))
			rh.Write(data)
		}
		walk = filepath.Join(dir, "cue")
	}
	_ = filepath.WalkDir(walk, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(lh, "error %s\x00", p)
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch d.Name() {
			case ".pane", ".git", "node_modules":
				if rel != "." {
					return filepath.SkipDir
				}
			}
			return nil
		}
		inMod := strings.HasPrefix(rel, "cue.mod/")
		if !inMod && !strings.HasSuffix(rel, ".cue") {
			return nil
		}
		data, err := os.ReadFile(p)
		h := lh
		if !inMod && !strings.Contains(rel, "/") {
			h = rh
		}
		if err != nil {
			fmt.Fprintf(h, "%s\x00unreadable\x00", rel)
			return nil
		}
		fmt.Fprintf(h, "%s\x00%d\x00", rel, len(data))
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(lh.Sum(nil)), hex.EncodeToString(rh.Sum(nil))
}

// loadDeclared reads every file matched by catalog.include and not by catalog.exclude.
func loadDeclared(ws *Workspace) ([]*Declared, diag.List) {
	var findings diag.List
	fsys := os.DirFS(ws.Dir)
	set := map[string]bool{}
	for _, pat := range ws.Config.Catalog.Include {
		if !doublestar.ValidatePattern(pat) {
			findings = append(findings, diag.Finding{Message: fmt.Sprintf("config: catalog.include %q is not a valid glob", pat)})
			continue
		}
		matches, err := doublestar.Glob(fsys, pat, doublestar.WithFilesOnly())
		if err != nil {
			findings = append(findings, diag.Finding{Message: fmt.Sprintf("config: catalog.include %q: %v", pat, err)})
			continue
		}
		for _, m := range matches {
			set[m] = true
		}
	}
	for m := range set {
		for _, pat := range ws.Config.Catalog.Exclude {
			if ok, _ := doublestar.Match(pat, m); ok {
				delete(set, m)
			}
		}
	}
	files := make([]string, 0, len(set))
	for m := range set {
		files = append(files, m)
	}
	sort.Strings(files)
	ws.DeclaredFiles = files
	dh := sha256.New()
	defer func() { ws.declHash = dh.Sum(nil) }()
	var out []*Declared
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			findings = append(findings, diag.Finding{Where: f, Message: err.Error()})
			fmt.Fprintf(dh, "%s\x00unreadable\x00", f)
			continue
		}
		fmt.Fprintf(dh, "%s\x00%d\x00", f, len(data))
		dh.Write(data)
		var ds []*Declared
		var fl diag.List
		if strings.HasSuffix(f, ".cue") {
			ds, fl = ParseCUE(ws.CUE, ws.Dir, f, data)
		} else {
			ds, fl = ParseYAML(f, data)
		}
		out = append(out, ds...)
		findings = append(findings, fl...)
	}
	return out, findings
}

// loadActions compiles actions/*.cue and lists the actions (top-level fields).
func loadActions(ws *Workspace) ([]string, diag.List) {
	dir := filepath.Join(ws.Dir, "actions")
	matches, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
	if len(matches) == 0 {
		return nil, nil
	}
	sort.Strings(matches)
	files := make([]string, len(matches))
	for i, m := range matches {
		files[i] = filepath.Base(m)
	}
	insts := load.Instances(files, &load.Config{Dir: dir})
	if err := insts[0].Err; err != nil {
		return nil, diag.FromCUE(err, ws.Dir, "")
	}
	v := ws.CUE.BuildInstance(insts[0])
	if err := v.Validate(); err != nil {
		return nil, diag.FromCUE(err, ws.Dir, "")
	}
	var names []string
	iter, err := v.Fields()
	if err != nil {
		return nil, diag.FromCUE(err, ws.Dir, "")
	}
	var findings diag.List
	for iter.Next() {
		name := iter.Selector().Unquoted()
		if k := iter.Value().IncompleteKind(); k != cue.StructKind {
			findings = append(findings, diag.Finding{Where: diag.Pos(iter.Value().Pos(), ws.Dir),
				Message: fmt.Sprintf("action %q must be a struct", name)})
			continue
		}
		names = append(names, name)
	}
	return names, findings
}

// tokenLike matches literals that look like credentials: GitHub tokens, Slack tokens,
// AWS keys, bearer strings, private keys.
var tokenLike = regexp.MustCompile(`^(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|(?i:bearer|token)\s+[A-Za-z0-9._~+/=-]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY-----)`)

// checkSecrets flags string literals in the source config that look like credentials:
// credentials are referenced by name (token: env: "GITHUB_TOKEN"), never written.
func checkSecrets(ws *Workspace) diag.List {
	var findings diag.List
	names := make([]string, 0, len(ws.Config.Sources))
	for n := range ws.Config.Sources {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sc := ws.Config.Sources[n]
		sc.Value.Walk(nil, func(v cue.Value) {
			s, err := v.String()
			if err != nil || !tokenLike.MatchString(strings.TrimSpace(s)) {
				return
			}
			findings = append(findings, diag.Finding{Where: diag.Pos(v.Pos(), ws.Dir),
				Message: fmt.Sprintf("source %q: this looks like a credential written as a literal; reference it by name instead (token: env: \"NAME\")", n)})
		})
	}
	return findings
}
