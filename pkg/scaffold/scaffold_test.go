package scaffold

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/pane-dev/pane/pkg/workspace"
)

// TestTemplateMappingIsTheExample: the starter ships the example workspace's GitHub
// mapping, byte for byte, so the two cannot drift apart.
func TestTemplateMappingIsTheExample(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("..", "..", "cue", "mappings", "github.cue"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["cue/mappings/github.cue"], want) {
		t.Error("template/cue/mappings/github.cue differs from cue/mappings/github.cue: copy it over")
	}
}

// TestWriteLoads writes the starter and loads it as a workspace with no findings; the
// CLI scripts compile it end to end.
func TestWriteLoads(t *testing.T) {
	dir := t.TempDir()
	paths, err := Write(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 8 {
		t.Errorf("wrote only %v", paths)
	}
	ws, findings, err := workspace.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) > 0 {
		t.Fatalf("findings: %v", findings)
	}
	if len(ws.Mappings.Mappings) != 3 || len(ws.Declared) != 3 || len(ws.Actions) != 1 {
		t.Errorf("mappings %d, declared %d, actions %v", len(ws.Mappings.Mappings), len(ws.Declared), ws.Actions)
	}
	// A second write refuses, and changes nothing.
	if err := os.WriteFile(filepath.Join(dir, "pane.cue"), []byte("package pane\n// mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, false); err == nil {
		t.Fatal("Write over an existing workspace succeeded")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "pane.cue")); string(b) != "package pane\n// mine\n" {
		t.Error("Write changed an existing file")
	}
}
