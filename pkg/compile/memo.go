package compile

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/workspace"
)

// The plan memo remembers the last plan's inputs and result: when every input is as it
// was (pane's build, the workspace's CUE files, mappings, schemas, declared entity files,
// and every byte of every record file) and the catalog branch holds exactly what that
// plan computed, the compile would give the same snapshot again, so there is nothing to
// do and pane says so without reading a record. Only workspaces whose sources can all
// be fingerprinted without fetching (file sources) use it; any difference, or any doubt,
// runs the compile. TestPlanMemo changes each input in turn and compares with a compile
// that has no cache.

const memoFile = "plan"

type planMemo struct {
	Version  int
	Inputs   string    // hex sha256 of the inputs
	Tree     string    // hex digest of the snapshot's paths and blob hashes
	Findings diag.List // the compile's warnings, reported again on a hit
	Sources  map[string]memoStats
}

// memoStats is a source's SourceStats, without the error (a memo is only kept when no
// source failed).
type memoStats struct {
	Records, Filtered, Entities int
	Unmapped                    map[string]int
}

const memoVersion = 1

// fingerprinter is a source that can say what Fetch would read without fetching.
type fingerprinter interface {
	Fingerprint(w io.Writer) error
}

// inputsKey fingerprints everything a compile of ws reads. ok is false when some input
// cannot be fingerprinted (a network source): the memo is then not used.
func inputsKey(ws *workspace.Workspace, opts Options) (key [32]byte, ok bool) {
	if opts.CacheDir == "" || opts.NoMemo || opts.Sources != nil || opts.Offline || ws.Mappings == nil {
		return key, false
	}
	for _, sc := range ws.Config.Sources {
		if sc.Type != "file" {
			return key, false
		}
	}
	srcs, findings := Sources(ws)
	if len(findings) > 0 {
		return key, false
	}
	h := sha256.New()
	fmt.Fprintf(h, "pane plan memo %d\x00%s\x00%s\x00", memoVersion, buildID(), ws.Mappings.Hash)
	if ws.Schemas != nil {
		fmt.Fprintf(h, "%s\x00", ws.Schemas.Hash())
	}
	fmt.Fprintf(h, "relations=%v\x00force=%q\x00", ws.Config.Output.Relations, opts.Force)
	// The workspace's own CUE files: the configuration.
	roots, err := filepath.Glob(filepath.Join(ws.Dir, "*.cue"))
	if err != nil {
		return key, false
	}
	sort.Strings(roots)
	if !hashFiles(h, roots) {
		return key, false
	}
	// Every file catalog.include matches: the declared entities.
	declared := make([]string, len(ws.DeclaredFiles))
	for i, f := range ws.DeclaredFiles {
		declared[i] = filepath.Join(ws.Dir, filepath.FromSlash(f))
		fmt.Fprintf(h, "declared %s\x00", f)
	}
	if !hashFiles(h, declared) {
		return key, false
	}
	sort.Slice(srcs, func(i, j int) bool { return srcs[i].Name() < srcs[j].Name() })
	for _, s := range srcs {
		fp, ok := s.(fingerprinter)
		if !ok {
			return key, false
		}
		fmt.Fprintf(h, "source %s\x00", s.Name())
		if err := fp.Fingerprint(h); err != nil {
			return key, false
		}
	}
	h.Sum(key[:0])
	return key, true
}

func hashFiles(h hash.Hash, paths []string) bool {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return false
		}
		fmt.Fprintf(h, "%s\x00%d\x00", filepath.Base(p), len(data))
		h.Write(data)
	}
	return true
}

// treeDigest identifies a set of catalog files by their paths and blob hashes.
func treeDigest(hashes map[string]plumbing.Hash) string {
	paths := make([]string, 0, len(hashes))
	for p := range hashes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	h := sha256.New()
	for _, p := range paths {
		b := hashes[p]
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

func loadMemo(dir string) (planMemo, bool) {
	var m planMemo
	data, err := os.ReadFile(filepath.Join(dir, memoFile))
	if err != nil || json.Unmarshal(data, &m) != nil || m.Version != memoVersion {
		return planMemo{}, false
	}
	return m, true
}

func saveMemo(dir string, m planMemo) error {
	m.Version = memoVersion
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, memoFile), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// forgetMemo removes the memo, so that no later plan trusts it.
func forgetMemo(dir string) {
	if dir != "" {
		_ = os.Remove(filepath.Join(dir, memoFile))
	}
}
