package scaffold

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

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

// The starter's CI workflows are the example workspace's, byte for byte.
func TestWorkflowsAreTheExample(t *testing.T) {
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"catalog-check.yml", "catalog-compile.yml"} {
		p := ".github/workflows/" + name
		want, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := files[p]; !ok {
			t.Errorf("the starter has no %s", p)
		} else if !bytes.Equal(got, want) {
			t.Errorf("template/%s differs from the example's %s: copy it over", p, p)
		}
	}
}

// The workflows use pane's composite action with inputs it has, and pass secrets by
// name, never as literals.
func TestWorkflowsUseTheAction(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", ".github", "actions", "pane", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var action struct {
		Inputs map[string]any `yaml:"inputs"`
		Runs   struct {
			Using string `yaml:"using"`
			Steps []struct {
				Run   string `yaml:"run"`
				Shell string `yaml:"shell"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if action.Runs.Using != "composite" {
		t.Errorf("action.yml runs.using = %q", action.Runs.Using)
	}
	for i, s := range action.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("action.yml step %d runs a script without a shell", i)
		}
		if strings.Contains(s.Run, "${{") {
			t.Errorf("action.yml step %d puts an expression in a script: pass it through env", i)
		}
	}
	files, err := Files()
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for p, content := range files {
		if !strings.HasPrefix(p, ".github/workflows/") {
			continue
		}
		var wf struct {
			Jobs map[string]struct {
				Steps []struct {
					Uses string            `yaml:"uses"`
					With map[string]string `yaml:"with"`
					Env  map[string]string `yaml:"env"`
				} `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(content, &wf); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, job := range wf.Jobs {
			for _, s := range job.Steps {
				for k, v := range s.Env {
					if strings.Contains(k, "TOKEN") && !strings.HasPrefix(v, "${{ secrets.") {
						t.Errorf("%s: %s is not a secret passed by name: %q", p, k, v)
					}
				}
				if !strings.HasPrefix(s.Uses, "pane-dev/pane/.github/actions/pane@") {
					continue
				}
				used++
				for k := range s.With {
					if _, ok := action.Inputs[k]; !ok {
						t.Errorf("%s: the pane action has no input %q", p, k)
					}
				}
			}
		}
	}
	if used < 2 {
		t.Errorf("the workflows use the pane action %d times, want at least 2", used)
	}
}
