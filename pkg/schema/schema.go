// Package schema holds the kind schemas entities are validated against: Backstage's
// built-in kinds (Component, API, Resource, System, Domain, Group, User, Location)
// as CUE embedded in the binary, plus whatever a workspace's cue/schema adds or
// tightens. Both are one CUE package, schema, so a workspace file can refer to the
// built-in definitions (#Metadata, #Name, #EntityRef, ...) and unify with the
// built-in kinds.
package schema

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"
)

//go:embed builtin/*.cue
var builtinFS embed.FS

// builtinPrefix names the embedded files in positions: pane:builtin/kinds.cue:12:3.
const builtinPrefix = "pane:builtin/"

// overlayPrefix is the base name prefix of the built-in files when they are overlaid
// into a workspace's schema directory.
const overlayPrefix = "pane.builtin."

var kindRE = regexp.MustCompile(`^[a-zA-Z][a-z0-9A-Z]*$`)

// Schemas is a loaded set of kind schemas. It is safe for concurrent use: CUE values
// are immutable in cuelang.org/go v0.17.
type Schemas struct {
	ctx   *cue.Context
	kinds map[string]cue.Value
	names []string
	hash  string
	top   cue.Value // _, to try a field on a schema whatever its value
	// pkg is the whole schema package, definitions included.
	pkg cue.Value
	// descs maps each built-in definition's printed form to what it asks for, to
	// explain a value that is out of its bounds; see messages.go.
	descs []description
	// fast holds each kind's compiled checker (fast.go), which passes most valid
	// entities without CUE; a kind it could not be compiled for is in noFast, with why.
	fast   map[string]*node
	noFast map[string]string
}

// LoadError is every error found loading the schemas.
type LoadError struct {
	Errors []SourceError
}

// SourceError is one error in a schema source.
type SourceError struct {
	Pos     string // file:line:col, or "" when CUE gives none
	Message string
}

func (e SourceError) String() string {
	if e.Pos == "" {
		return e.Message
	}
	return e.Pos + ": " + e.Message
}

// Error returns every error, one a line.
func (e *LoadError) Error() string {
	lines := make([]string, len(e.Errors))
	for i, x := range e.Errors {
		lines[i] = x.String()
	}
	return strings.Join(lines, "\n")
}

// Load builds the schemas: the built-in ones plus, when dir names an existing
// directory, the workspace schema files in it (a workspace's cue/schema, package
// schema). An empty dir, or one that does not exist, gives the built-in schemas alone.
// A *LoadError carries every CUE error with its file:line:col.
func Load(ctx *cue.Context, dir string) (*Schemas, error) {
	builtin, err := builtinSources()
	if err != nil {
		return nil, err
	}
	l, err := newLoader(dir, builtin)
	if err != nil {
		return nil, err
	}
	insts := load.Instances([]string{"."}, l.cfg)
	if len(insts) != 1 {
		return nil, fmt.Errorf("schema: loading gave %d instances, want 1", len(insts))
	}
	inst := insts[0]
	if inst.Err != nil {
		return nil, l.errorf(inst.Err)
	}
	if skipped := skippedFiles(inst, l.display); len(skipped) > 0 {
		return nil, &LoadError{Errors: skipped}
	}
	v := ctx.BuildInstance(inst)
	s := &Schemas{ctx: ctx, kinds: map[string]cue.Value{}, pkg: v}
	if err := s.findKinds(l, inst, v); err != nil {
		return nil, err
	}
	if err := v.Err(); err != nil {
		return nil, l.errorf(err)
	}
	// Not concrete: schemas are constraints. This catches a workspace that tightens a
	// built-in kind into a contradiction.
	if err := v.Validate(); err != nil {
		return nil, l.errorf(err)
	}
	// Failures are explained with the built-in definitions as pane ships them: a
	// workspace may tighten #Name, and its own bound must then be shown as written.
	builtinV := v
	if l.workspace {
		if builtinV, err = loadBuiltinValue(ctx); err != nil {
			return nil, err
		}
	}
	s.descs = describeBuiltins(builtinV)
	// Compiled once per Load, never per entity.
	s.top = ctx.CompileString("_")
	s.fast, s.noFast = compileFast(inst.Files, s.kinds)
	if os.Getenv("PANE_FASTPATH") == "off" {
		s.DisableFast()
	}
	s.hash = hashSources(builtin, inst)
	return s, nil
}

// loader is how one Load reads its files and names their positions.
type loader struct {
	cfg       *load.Config
	workspace bool                // a workspace directory is loaded, the built-in files overlaid
	display   func(string) string // the file name to show for a loaded file
	where     string              // what to name for an error without a position
}

func newLoader(dir string, builtin []source) (*loader, error) {
	if dir != "" {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && !fi.IsDir():
			return nil, fmt.Errorf("schema directory %s is not a directory", dir)
		case err != nil && !os.IsNotExist(err):
			return nil, fmt.Errorf("schema directory: %w", err)
		case err != nil:
			dir = "" // no workspace schemas
		}
	}
	if dir == "" {
		cfg, err := builtinConfig()
		if err != nil {
			return nil, err
		}
		return &loader{cfg: cfg, display: func(name string) string { return name }, where: strings.TrimSuffix(builtinPrefix, "/")}, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("schema directory: %w", err)
	}
	// The built-in files join the workspace's as if they were in its directory, so
	// both are one package.
	cfg := &load.Config{Dir: abs, Overlay: map[string]load.Source{}}
	overlaid := map[string]string{}
	for _, f := range builtin {
		p := filepath.Join(abs, overlayPrefix+f.name)
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("%s: the name %s is reserved for pane's built-in schema", p, overlayPrefix+"*")
		}
		cfg.Overlay[p] = load.FromBytes(f.src)
		overlaid[p] = builtinPrefix + f.name
	}
	display := func(name string) string {
		if d, ok := overlaid[name]; ok {
			return d
		}
		return name
	}
	return &loader{cfg: cfg, workspace: true, display: display, where: abs}, nil
}

func (l *loader) errorf(err error) *LoadError { return loadError(err, l.display, l.where) }

// findKinds looks each kind's schema up once, for Validate to use.
func (s *Schemas) findKinds(l *loader, inst *build.Instance, v cue.Value) error {
	it, err := v.LookupPath(cue.MakePath(cue.Str("kinds"))).Fields()
	if err != nil {
		if verr := v.Err(); verr != nil {
			err = verr // say why the package failed, not that kinds is missing
		}
		return l.errorf(err)
	}
	// Kind names are checked here: the built-in schema refuses a bad one too, but only
	// with a position in itself.
	var bad []SourceError
	for it.Next() {
		name := it.Selector().Unquoted()
		kv := it.Value()
		if len(name) > 63 || !kindRE.MatchString(name) {
			bad = append(bad, SourceError{Pos: labelPos(inst, name, kv, l.display),
				Message: fmt.Sprintf("kinds: %q is not a valid kind name (a letter, then letters and digits, at most 63)", name)})
			continue
		}
		s.kinds[name] = kv
		s.names = append(s.names, name)
	}
	if len(bad) > 0 {
		return &LoadError{Errors: bad}
	}
	sort.Strings(s.names)
	return nil
}

// Kinds returns the names of the known kinds, sorted.
func (s *Schemas) Kinds() []string { return append([]string(nil), s.names...) }

// Has reports whether kind is known, spelled exactly as entities must spell it.
func (s *Schemas) Has(kind string) bool { _, ok := s.kinds[kind]; return ok }

// Hash is a stable hash of the schema sources: the built-in files and the workspace
// files that were loaded. Use it to key caches of validation results.
func (s *Schemas) Hash() string { return s.hash }

// builtinConfig loads the embedded files alone, touching no disk.
func builtinConfig() (*load.Config, error) {
	sub, err := fs.Sub(builtinFS, "builtin")
	if err != nil {
		return nil, err
	}
	return &load.Config{
		FS:         sub,
		Dir:        "/",
		FromFSPath: func(p string) string { return builtinPrefix + strings.TrimPrefix(p, "/") },
	}, nil
}

func loadBuiltinValue(ctx *cue.Context) (cue.Value, error) {
	cfg, err := builtinConfig()
	if err != nil {
		return cue.Value{}, err
	}
	insts := load.Instances([]string{"."}, cfg)
	if len(insts) != 1 || insts[0].Err != nil {
		return cue.Value{}, fmt.Errorf("schema: loading the built-in schema: %v", insts[0].Err)
	}
	v := ctx.BuildInstance(insts[0])
	return v, v.Err()
}

type source struct {
	name string
	src  []byte
}

func builtinSources() ([]source, error) {
	names, err := fs.Glob(builtinFS, "builtin/*.cue")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]source, 0, len(names))
	for _, n := range names {
		b, err := builtinFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		out = append(out, source{name: path.Base(n), src: b})
	}
	return out, nil
}

func hashSources(builtin []source, inst *build.Instance) string {
	h := sha256.New()
	fmt.Fprintf(h, "pane-schema/1\n")
	for _, f := range builtin {
		fmt.Fprintf(h, "builtin/%s\x00%d\x00", f.name, len(f.src))
		h.Write(f.src)
	}
	var files []source
	for _, bf := range inst.BuildFiles {
		base := filepath.Base(bf.Filename)
		if strings.HasPrefix(base, overlayPrefix) || strings.HasPrefix(bf.Filename, builtinPrefix) {
			continue
		}
		var b []byte
		switch src := bf.Source.(type) {
		case []byte:
			b = src
		case string:
			b = []byte(src)
		default:
			b, _ = os.ReadFile(bf.Filename)
		}
		files = append(files, source{name: base, src: b})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })
	for _, f := range files {
		fmt.Fprintf(h, "workspace/%s\x00%d\x00", f.name, len(f.src))
		h.Write(f.src)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// skippedFiles reports the .cue files of the directory that cue/load left out,
// such as a file without a package clause: a schema file that silently does nothing
// would be worse than an error.
func skippedFiles(inst *build.Instance, display func(string) string) []SourceError {
	var out []SourceError
	for _, list := range [][]*build.File{inst.IgnoredFiles, inst.OrphanedFiles, inst.InvalidFiles} {
		for _, f := range list {
			if filepath.Ext(f.Filename) != ".cue" {
				continue
			}
			base := filepath.Base(f.Filename)
			if strings.HasPrefix(base, "_") || strings.HasPrefix(base, ".") {
				continue // hidden by CUE's own convention
			}
			msg := "not loaded: a schema file must start with package schema"
			if f.ExcludeReason != nil {
				msg = "not loaded: " + f.ExcludeReason.Error() + " (a schema file must start with package schema)"
			}
			out = append(out, SourceError{Pos: display(f.Filename) + ":1:1", Message: msg})
		}
	}
	return out
}

// loadError turns CUE errors into a *LoadError: every error, each with a position,
// preferring one in a workspace file over one in the built-in schema, since that is
// where a fix goes.
func loadError(err error, display func(string) string, where string) *LoadError {
	le := &LoadError{}
	seen := map[string]bool{}
	for _, e := range cueerrors.Errors(err) {
		var positions []token.Pos
		positions = append(positions, cueerrors.Positions(e)...)
		if p := e.Position(); p.IsValid() && len(positions) == 0 {
			positions = append(positions, p)
		}
		var primary string
		var others []string
		for _, p := range positions {
			if !p.IsValid() {
				continue
			}
			pos := p.Position()
			pos.Filename = display(pos.Filename)
			str := pos.String()
			if primary == "" || (strings.HasPrefix(primary, builtinPrefix) && !strings.HasPrefix(str, builtinPrefix)) {
				if primary != "" {
					others = append(others, primary)
				}
				primary = str
			} else if str != primary {
				others = append(others, str)
			}
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		// Some errors keep their cause apart: "import failed" wraps why.
		if cause := cueerrors.Unwrap(e); cause != nil {
			for _, ce := range cueerrors.Errors(cause) {
				f, a := ce.Msg()
				msg += ": " + fmt.Sprintf(f, a...)
			}
		}
		if p := formatPath(slices.DeleteFunc(slices.Clone(e.Path()), func(s string) bool { return s == "" })); p != "" {
			msg = p + ": " + msg
		}
		if len(others) > 0 {
			msg += " (see also " + strings.Join(dedupe(others), ", ") + ")"
		}
		if primary == "" {
			// Some load errors, such as two packages in one directory, have no
			// position: name the directory.
			primary = where
		}
		se := SourceError{Pos: primary, Message: msg}
		if k := se.String(); !seen[k] {
			seen[k] = true
			le.Errors = append(le.Errors, se)
		}
	}
	if len(le.Errors) == 0 {
		le.Errors = append(le.Errors, SourceError{Pos: where, Message: err.Error()})
	}
	return le
}

// labelPos finds where a workspace file declares the field label, falling back to
// where CUE says the value v comes from.
func labelPos(inst *build.Instance, label string, v cue.Value, display func(string) string) string {
	var found token.Pos
	for _, f := range inst.Files {
		ast.Walk(f, func(n ast.Node) bool {
			if found.IsValid() {
				return false
			}
			if fd, ok := n.(*ast.Field); ok {
				if name, _, err := ast.LabelName(fd.Label); err == nil && name == label {
					found = fd.Label.Pos()
					return false
				}
			}
			return true
		}, nil)
		if found.IsValid() {
			break
		}
	}
	if !found.IsValid() {
		found = v.Pos()
	}
	if !found.IsValid() {
		return ""
	}
	pos := found.Position()
	pos.Filename = display(pos.Filename)
	return pos.String()
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	out := list[:0]
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
