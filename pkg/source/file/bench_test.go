package file

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/source"
)

// repositoryFields is what the example mapping reads of a repository, with its key.
func repositoryFields() *source.Fields {
	whole := (*source.Fields)(nil)
	return (&source.Fields{Sub: map[string]*source.Fields{
		"name": whole, "html_url": whole, "archived": whole, "fork": whole,
		"owner":       {Sub: map[string]*source.Fields{"login": whole}},
		"description": whole, "topics": whole, "custom_properties": whole, "teams": whole,
	}}).With([]string{"full_name"})
}

// BenchmarkDecodeRepositories decodes 10,000 synthetic GitHub repositories (the file a
// recorded org gives, about 5.5 KB a record) with the reference encoding/json path, the
// fast path whole, and the fast path keeping what the example mapping reads.
func BenchmarkDecodeRepositories(b *testing.B) {
	dir := b.TempDir()
	if err := synth.WriteFiles(dir, synth.Generate(1, 10000)); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "repositories.json"))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		decode func(each func(string, any) error) error
	}{
		{"std", func(each func(string, any) error) error { return decodeStd("r.json", "json", data, each) }},
		{"whole", func(each func(string, any) error) error { return decode("r.json", "json", data, nil, each) }},
		{"projected", func(each func(string, any) error) error {
			return decode("r.json", "json", data, repositoryFields(), each)
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = 0
				if err := c.decode(func(string, any) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
			if n != 10000 {
				b.Fatalf("%d records", n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/record")
		})
	}
}
