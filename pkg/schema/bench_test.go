package schema

import (
	"path/filepath"
	"testing"

	"github.com/pane-dev/pane/pkg/catalog"
)

func benchEntity(b *testing.B, sub, name string) catalog.Entity {
	b.Helper()
	return readEntities(b, filepath.Join(corpusDir, sub, name))[0]
}

func benchValidate(b *testing.B, e catalog.Entity, wantValid bool) {
	s := loadCorpusSchemas(b)
	if got := len(s.Validate(e)) == 0; got != wantValid {
		b.Fatalf("valid = %v, want %v", got, wantValid)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Validate(e)
	}
}

// BenchmarkValidateComponent validates a Component using every metadata and spec
// field Backstage defines (testdata/valid/component.yaml): the common, valid case.
func BenchmarkValidateComponent(b *testing.B) {
	benchValidate(b, benchEntity(b, "valid", "component.yaml"), true)
}

// BenchmarkValidateComponentMinimal validates a Component with only what is required.
func BenchmarkValidateComponentMinimal(b *testing.B) {
	benchValidate(b, benchEntity(b, "valid", "component-minimal.yaml"), true)
}

// BenchmarkValidateComponentInvalid validates a Component with six problems: the slow
// path that walks the entity to report all of them.
func BenchmarkValidateComponentInvalid(b *testing.B) {
	benchValidate(b, benchEntity(b, "invalid", "many-problems.yaml"), false)
}

// BenchmarkValidateComponentParallel shares one Schemas between goroutines, as a
// compile does.
func BenchmarkValidateComponentParallel(b *testing.B) {
	s := loadCorpusSchemas(b)
	e := benchEntity(b, "valid", "component.yaml")
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if len(s.Validate(e)) != 0 {
				b.Error("want valid")
				return
			}
		}
	})
}

// realisticComponent is a valid Component as pane renders one: every metadata field
// (annotations, labels, tags, links) and spec field, and relations.
func realisticComponent(b *testing.B) catalog.Entity {
	e := benchEntity(b, "valid", "component.yaml")
	e["relations"] = []any{
		map[string]any{"type": "ownedBy", "targetRef": "user:music/jdoe"},
		map[string]any{"type": "partOf", "targetRef": "system:default/artist-engagement-portal"},
		map[string]any{"type": "providesApi", "targetRef": "api:default/artist-api",
			"target": map[string]any{"kind": "api", "namespace": "default", "name": "artist-api"}},
		map[string]any{"type": "dependsOn", "targetRef": "resource:default/artists-db"},
	}
	return e
}

// BenchmarkValidateRealistic validates a realistic valid Component with the fast
// checker (Validate) and with CUE alone, the path every entity took before it.
func BenchmarkValidateRealistic(b *testing.B) {
	s := loadCorpusSchemas(b)
	e := realisticComponent(b)
	for _, bm := range []struct {
		name string
		fast bool
	}{{"fast", true}, {"cue", false}} {
		b.Run(bm.name, func(b *testing.B) {
			if ps := s.validate(e, bm.fast); len(ps) != 0 {
				b.Fatalf("want valid, got %q", ps)
			}
			if bm.fast {
				if ok, _ := fastSays(s, e); !ok {
					b.Fatal("the fast checker does not pass the entity")
				}
			}
			b.ReportAllocs()
			for b.Loop() {
				s.validate(e, bm.fast)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		loadCorpusSchemas(b)
	}
}
