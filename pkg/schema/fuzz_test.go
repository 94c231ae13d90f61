package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pane-dev/pane/pkg/catalog"
)

// FuzzValidate feeds Validate whatever a YAML or JSON decoder makes of arbitrary
// bytes. It must never panic, must say the same thing twice, and its fast checker
// must never pass what CUE rejects.
func FuzzValidate(f *testing.F) {
	for _, sub := range []string{"valid", "invalid"} {
		files, _ := filepath.Glob(filepath.Join(corpusDir, sub, "*.yaml"))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"apiVersion":"backstage.io/v1alpha1","kind":"Component","metadata":{"name":1e400}}`))
	f.Add([]byte("kind: Component\nmetadata: {name: .nan, 1: x, [a]: b}\nspec: !!binary aGVsbG8=\n"))
	s := loadCorpusSchemas(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		var entities []catalog.Entity
		dec := yaml.NewDecoder(bytes.NewReader(data))
		for range 8 {
			var e map[string]any
			err := dec.Decode(&e)
			if errors.Is(err, io.EOF) || err != nil {
				break
			}
			entities = append(entities, e)
		}
		var j map[string]any
		if json.Unmarshal(data, &j) == nil {
			entities = append(entities, j)
		}
		for _, e := range entities {
			first := s.Validate(e)
			if again := s.Validate(e); !reflect.DeepEqual(first, again) {
				t.Fatalf("Validate is not stable: %q, then %q", first, again)
			}
			for _, p := range first {
				if p.Message == "" {
					t.Fatalf("a problem without a message: %+v", p)
				}
			}
			// The fast checker never passes what CUE rejects.
			if ok, has := fastSays(s, e); has && ok && !cueAccepts(s, e) {
				t.Fatalf("the fast checker passes an entity CUE rejects: %q", s.validate(e, false))
			}
		}
	})
}
