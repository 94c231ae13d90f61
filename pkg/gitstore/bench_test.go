package gitstore

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkCommitFirst measures the first commit of a catalog into an empty bare
// repository: hashing every file, building every tree and writing them as one pack.
// 50k files is skipped under -short.
func BenchmarkCommitFirst(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run("files="+strconv.Itoa(n), func(b *testing.B) {
			if testing.Short() && n > 10_000 {
				b.Skip("-short")
			}
			files := catalogFiles(n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				s, err := Open(filepath.Join(b.TempDir(), "r.git"), true)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, _, err := s.Commit(context.Background(), "catalog", files, "first", sig()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCommitOneChangeIn50k measures committing one changed file into a catalog of
// 50,000 files (8 kinds x 50 namespaces, 125 files a directory): through CommitChanges,
// the incremental path, and through Commit with the full snapshot.
func BenchmarkCommitOneChangeIn50k(b *testing.B) {
	const n = 50_000
	const path = "component/ns7/entity-56.yaml" // 56 = 7*8: kind component, namespace ns7
	files := catalogFiles(n)
	if _, ok := files[path]; !ok {
		b.Fatalf("%s is not in the catalog", path)
	}
	s, err := Open(filepath.Join(b.TempDir(), "r.git"), true)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := s.Commit(context.Background(), "catalog", files, "base", sig()); err != nil {
		b.Fatal(err)
	}
	rev := 0
	b.Run("CommitChanges", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			rev++
			up := map[string][]byte{path: entityYAML("component", "ns7", "entity-56", rev)}
			if _, changed, err := s.CommitChanges(context.Background(), "catalog", up, nil, "one change", sig()); err != nil || !changed {
				b.Fatalf("changed=%v err=%v", changed, err)
			}
		}
	})
	b.Run("Commit", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			rev++
			files[path] = entityYAML("component", "ns7", "entity-56", rev)
			if _, changed, err := s.Commit(context.Background(), "catalog", files, "one change", sig()); err != nil || !changed {
				b.Fatalf("changed=%v err=%v", changed, err)
			}
		}
	})
}
