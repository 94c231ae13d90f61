package workspace

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/parser"

	"github.com/pane-dev/pane/pkg/diag"
)

//go:embed config.cue
var configSchema string

// Config is the decoded workspace configuration.
type Config struct {
	Sources map[string]SourceConfig `json:"-"`
	Output  Output                  `json:"output"`
	Safety  Safety                  `json:"safety"`
	Catalog struct {
		Include []string `json:"include"`
		Exclude []string `json:"exclude"`
	} `json:"catalog"`
}

// SourceConfig is one entry of sources: its name, type, where it was declared and its
// CUE value, which the source's own package decodes.
type SourceConfig struct {
	Name  string
	Type  string
	Where string // file:line:col of the declaration
	Value cue.Value
}

// Output says where the catalog is committed.
type Output struct {
	Repo      string `json:"repo"`
	Branch    string `json:"branch"`
	Relations bool   `json:"-"` // output.relations; default true
	Author    struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"author"`
}

// Safety holds the guards against losing entities.
type Safety struct {
	DanglingRefs      string  `json:"danglingRefs"`
	DeletionThreshold float64 `json:"deletionThreshold"`
	thresholdSet      bool
}

// configFiles lists the root *.cue files whose package clause is "pane", sorted.
func configFiles(dir string) ([]string, diag.List) {
	matches, err := filepath.Glob(filepath.Join(dir, "*.cue"))
	if err != nil {
		return nil, diag.List{{Message: err.Error()}}
	}
	sort.Strings(matches)
	var files []string
	var findings diag.List
	for _, m := range matches {
		src, err := os.ReadFile(m)
		if err != nil {
			findings = append(findings, diag.Finding{Where: filepath.Base(m), Message: err.Error()})
			continue
		}
		f, err := parser.ParseFile(m, src, parser.PackageClauseOnly)
		if err != nil {
			findings = append(findings, diag.FromCUE(err, dir, "")...)
			continue
		}
		if f.PackageName() == "pane" {
			files = append(files, filepath.Base(m))
		}
	}
	return files, findings
}

// sourceSchemas names the definition in config.cue each source type is checked against.
var sourceSchemas = map[string]string{"file": "#FileSource", "http": "#HTTPSource", "github": "#GitHubSource"}

// loadConfig loads and unifies the config files with the config schema.
func loadConfig(ctx *cue.Context, dir string) (*Config, diag.List) {
	files, findings := configFiles(dir)
	if len(findings) > 0 {
		return nil, findings
	}
	if len(files) == 0 {
		return nil, diag.List{{Message: fmt.Sprintf("no pane.cue in %s: not a pane workspace (run `pane init` to make one, or pass --workspace)", dir)}}
	}
	insts := load.Instances(files, &load.Config{Dir: dir})
	if len(insts) != 1 {
		return nil, diag.List{{Message: fmt.Sprintf("loading config: %d instances", len(insts))}}
	}
	if err := insts[0].Err; err != nil {
		return nil, diag.FromCUE(err, dir, "")
	}
	v := ctx.BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return nil, diag.FromCUE(err, dir, "")
	}
	schema := ctx.CompileString(configSchema, cue.Filename("pane:config.cue"))
	if err := schema.Err(); err != nil {
		return nil, diag.List{{Message: "internal: config schema: " + err.Error()}}
	}
	user := v // positions in the user's files; the unified value's point into the schema
	v = schema.LookupPath(cue.ParsePath("#Config")).Unify(v)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, diag.FromCUE(err, dir, "config: ")
	}
	cfg := &Config{Sources: map[string]SourceConfig{}}
	if err := v.Decode(cfg); err != nil {
		return nil, diag.FromCUE(err, dir, "config: ")
	}
	cfg.Safety.thresholdSet = v.LookupPath(cue.ParsePath("safety.deletionThreshold")).Exists()
	cfg.Output.Relations = true
	if r := v.LookupPath(cue.ParsePath("output.relations")); r.Exists() {
		cfg.Output.Relations, _ = r.Bool()
	}
	cfg.applyDefaults()
	iter, err := v.LookupPath(cue.ParsePath("sources")).Fields()
	if err != nil {
		return nil, diag.FromCUE(err, dir, "config: ")
	}
	for iter.Next() {
		name := iter.Selector().Unquoted()
		sv := iter.Value()
		typ, _ := sv.LookupPath(cue.ParsePath("type")).String()
		uv := user.LookupPath(cue.MakePath(cue.Str("sources"), iter.Selector()))
		where := diag.Pos(uv.Pos(), dir)
		if def := sourceSchemas[typ]; def != "" {
			// Unify with what the user wrote: sv is closed by #Source, and #FileSource's
			// fields missing from it would be reported as "not allowed".
			fv := schema.LookupPath(cue.ParsePath(def)).Unify(uv)
			if err := fv.Validate(cue.Concrete(true)); err != nil {
				for _, f := range diag.FromCUE(err, dir, fmt.Sprintf("source %q: ", name)) {
					if f.Where == "" || strings.HasPrefix(f.Where, "pane:") {
						f.Where = where // a required field left out: the schema is no place to point at
					}
					findings = append(findings, f)
				}
				continue
			}
			sv = fv
		}
		cfg.Sources[name] = SourceConfig{Name: name, Type: typ, Where: where, Value: sv}
	}
	if strings.Contains(cfg.Output.Branch, "..") || strings.HasSuffix(cfg.Output.Branch, ".lock") {
		findings = append(findings, diag.Finding{Where: diag.Pos(user.LookupPath(cue.ParsePath("output.branch")).Pos(), dir), Message: fmt.Sprintf("config: output.branch %q is not a valid branch name", cfg.Output.Branch)})
	}
	return cfg, findings
}

// applyDefaults fills what the config leaves out. Defaults live here rather than as CUE
// defaults so that a wrong value gets a plain error, not a disjunction's.
func (c *Config) applyDefaults() {
	if c.Output.Branch == "" {
		c.Output.Branch = "catalog"
	}
	if c.Output.Author.Name == "" {
		c.Output.Author.Name = "pane"
	}
	if c.Output.Author.Email == "" {
		c.Output.Author.Email = "pane@localhost"
	}
	if c.Safety.DanglingRefs == "" {
		c.Safety.DanglingRefs = "error"
	}
	if c.Safety.DeletionThreshold == 0 && !c.Safety.thresholdSet {
		c.Safety.DeletionThreshold = 0.5
	}
	if c.Catalog.Include == nil {
		c.Catalog.Include = []string{"catalog/**/*.{yaml,yml,cue}"}
	}
}
