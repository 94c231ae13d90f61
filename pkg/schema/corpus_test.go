package schema

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"go.yaml.in/yaml/v3"

	"github.com/pane-dev/pane/pkg/catalog"
)

// The examples shared with test/backstage: selftest.sh there checks that Backstage's
// own validators pass every file in valid/ and fail every file in invalid/; these
// tests check that pane's schemas agree. testdata/schema adds the Template kind.
const (
	corpusDir    = "../../test/backstage/testdata"
	corpusSchema = corpusDir + "/schema"
)

func loadCorpusSchemas(t testing.TB) *Schemas {
	t.Helper()
	s, err := Load(cuecontext.New(), corpusSchema)
	if err != nil {
		t.Fatalf("Load(%s): %v", corpusSchema, err)
	}
	return s
}

// readEntities decodes every YAML document of a file.
func readEntities(t testing.TB, path string) []catalog.Entity {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []catalog.Entity
	for {
		var e map[string]any
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e != nil {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no entities", path)
	}
	return out
}

// wants returns the paths a file's "# want: PATH" comments say pane must report.
func wants(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if w, ok := strings.CutPrefix(sc.Text(), "# want: "); ok {
			out = append(out, strings.TrimSpace(w))
		}
	}
	return out
}

func corpusFiles(t testing.TB, sub string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, sub, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files in %s/%s", corpusDir, sub)
	}
	return files
}

func TestCorpusValid(t *testing.T) {
	s := loadCorpusSchemas(t)
	seen := map[string]bool{}
	for _, file := range corpusFiles(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			for i, e := range readEntities(t, file) {
				seen[e.Kind()] = true
				if ps := s.Validate(e); len(ps) > 0 {
					t.Errorf("document %d: want no problems, got %q", i+1, ps)
				}
			}
		})
	}
	// Every kind has at least one valid example, and so one Backstage has passed.
	for _, k := range s.Kinds() {
		if !seen[k] {
			t.Errorf("no valid example of kind %s in %s/valid", k, corpusDir)
		}
	}
}

func TestCorpusInvalid(t *testing.T) {
	s := loadCorpusSchemas(t)
	for _, file := range corpusFiles(t, "invalid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			want := wants(t, file)
			if len(want) == 0 {
				t.Fatalf("%s has no '# want: PATH' comment", file)
			}
			var all []Problem
			for _, e := range readEntities(t, file) {
				all = append(all, s.Validate(e)...)
			}
			for _, p := range all {
				t.Log(p)
			}
			for _, w := range want {
				if !hasPath(all, w) {
					t.Errorf("want a problem at %s, got %q", w, all)
				}
			}
		})
	}
}

func hasPath(ps []Problem, path string) bool {
	for _, p := range ps {
		if p.Path == path {
			return true
		}
	}
	return false
}

// vectors is test/backstage/testdata/vectors.json: strings with the verdicts of
// Backstage's field validators, written by vectors.mjs.
type vectors struct {
	FieldColumns []string    `json:"fieldColumns"`
	Fields       [][2]string `json:"fields"`
	URLs         [][2]string `json:"urls"`
}

// TestBackstageVectors holds the built-in definitions to Backstage's verdicts: the same
// answer for every field rule, and for URLs never a yes where Backstage says no.
func TestBackstageVectors(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(corpusDir, "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var vs vectors
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	ctx := cuecontext.New()
	s, err := Load(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	builtin := func(def string) cue.Value {
		v := s.pkg.LookupPath(cue.MakePath(cue.Def(def)))
		if !v.Exists() {
			t.Fatalf("no %s", def)
		}
		return v
	}
	accepts := func(def cue.Value, str string) bool {
		return ctx.Encode(str).Unify(def).Validate(cue.Concrete(true)) == nil
	}
	defOf := map[string]string{
		"name":          "#Name",
		"namespace":     "#Namespace",
		"tag":           "#Tag",
		"labelKey":      "#QualifiedKey",
		"annotationKey": "#QualifiedKey",
		"labelValue":    "#LabelValue",
		"kind":          "#Kind",
		"apiVersion":    "#APIVersion",
	}
	if len(vs.Fields) < 1000 || len(vs.URLs) < 1000 {
		t.Fatalf("vectors.json holds %d fields and %d URLs, want more", len(vs.Fields), len(vs.URLs))
	}
	for i, col := range vs.FieldColumns {
		def, ok := defOf[col]
		if !ok {
			t.Fatalf("vectors.json: unknown column %q", col)
		}
		dv := builtin(def)
		mismatches := 0
		for _, row := range vs.Fields {
			want := row[1][i] == '1'
			if got := accepts(dv, row[0]); got != want {
				if mismatches++; mismatches <= 5 {
					t.Errorf("%s (%s) on %q: pane says %v, Backstage %v", col, def, row[0], got, want)
				}
			}
		}
	}
	url := builtin("#URL")
	for _, row := range vs.URLs {
		if accepts(url, row[0]) && row[1] != "1" {
			t.Errorf("#URL accepts %q, which Backstage's isValidUrl refuses", row[0])
		}
	}
}
