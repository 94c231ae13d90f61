// Package scaffold holds the starter workspace that `pane init` writes, embedded in the
// binary. The template is itself a working workspace: its tests compile it.
package scaffold

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

//go:embed all:template
var template embed.FS

// Files returns the template's files as relative path -> content.
func Files() (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(template, "template", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := template.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("template", p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	return out, err
}

// Write writes the template into dir, creating it. It writes nothing when any file
// would be overwritten, unless force is set; it returns the paths written, sorted.
func Write(dir string, force bool) ([]string, error) {
	files, err := Files()
	if err != nil {
		return nil, err
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	if !force {
		var exist []string
		for _, p := range paths {
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(p))); err == nil {
				exist = append(exist, p)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return nil, err
			}
		}
		if len(exist) > 0 {
			return nil, fmt.Errorf("%s already has %v; nothing written (use --force to overwrite)", dir, exist)
		}
	}
	for _, p := range paths {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(full, files[p], 0o644); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
