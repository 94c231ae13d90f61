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
	"slices"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/source/file"
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
	Inputs   string                  // hex sha256 of the inputs
	Tree     string                  // hex digest of the snapshot's paths and blob hashes
	Findings diag.List               // the compile's warnings, reported again on a hit
	Sources  map[string]*SourceStats // kept only when no source failed: Err is nil
	Files    []file.FileStat         // the record files' sizes and times
}

const memoVersion = 3

// fingerprinter is a source that can say what Fetch would read without fetching, and
// what it did read (the file source).
type fingerprinter interface {
	source.Source
	Fingerprint(w io.Writer) error
	FingerprintTo(w io.Writer)
	Stat() ([]file.FileStat, error)
}

// memoRun is one plan's use of the memo: the fingerprint of everything but the record
// files, the sources (which fingerprint what they fetch), and the record files' sizes and
// times, a first look that spares reading them when one has plainly changed.
type memoRun struct {
	dir   string
	base  [32]byte
	srcs  []fingerprinter // by name
	sinks []hash.Hash     // what each source's Fetch read
	stats []file.FileStat
}

// newMemoRun prepares the memo for a plan; ok is false when some input cannot be
// fingerprinted (a network source) or the cache is off: the memo is then not used.
func newMemoRun(ws *workspace.Workspace, opts Options) (r *memoRun, ok bool) {
	if opts.CacheDir == "" || opts.NoMemo || opts.Sources != nil || opts.Offline || ws.Mappings == nil {
		return nil, false
	}
	for _, sc := range ws.Config.Sources {
		if sc.Type != "file" {
			return nil, false
		}
	}
	srcs, findings := Sources(ws)
	if len(findings) > 0 {
		return nil, false
	}
	r = &memoRun{dir: opts.CacheDir}
	for _, s := range srcs {
		fp, ok := s.(fingerprinter)
		if !ok {
			return nil, false
		}
		r.srcs = append(r.srcs, fp)
	}
	sort.Slice(r.srcs, func(i, j int) bool { return r.srcs[i].Name() < r.srcs[j].Name() })
	for _, s := range r.srcs {
		st, err := s.Stat()
		if err != nil {
			return nil, false
		}
		r.stats = append(r.stats, st...)
	}
	h := sha256.New()
	fmt.Fprintf(h, "pane plan memo %d\x00%s\x00%s\x00", memoVersion, buildID(), ws.Mappings.Hash)
	if ws.Schemas != nil {
		fmt.Fprintf(h, "%s\x00", ws.Schemas.Hash())
	}
	fmt.Fprintf(h, "relations=%v\x00force=%q\x00", ws.Config.Output.Relations, opts.Force)
	// The workspace's CUE (configuration, mappings, schemas, what they import, cue.mod)
	// and declaration files, as the workspace read them.
	if ws.InputsHash == "" {
		return nil, false
	}
	fmt.Fprintf(h, "workspace %s\x00", ws.InputsHash)
	h.Sum(r.base[:0])
	return r, true
}

// key combines the base with each source's fingerprint digest.
func (r *memoRun) key(digests [][]byte) string {
	h := sha256.New()
	h.Write(r.base[:])
	for i, s := range r.srcs {
		fmt.Fprintf(h, "source %s\x00", s.Name())
		h.Write(digests[i])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// hit reports whether the last plan's memo still holds: the branch holds what it made,
// the record files look the same, and, read again, are the same.
func (r *memoRun) hit(old map[string]plumbing.Hash) (planMemo, bool) {
	m, ok := loadMemo(r.dir)
	if !ok || m.Tree != treeDigest(old) || !slices.Equal(m.Files, r.stats) {
		return planMemo{}, false
	}
	digests := make([][]byte, len(r.srcs))
	for i, s := range r.srcs {
		h := sha256.New()
		if err := s.Fingerprint(h); err != nil {
			return planMemo{}, false
		}
		digests[i] = h.Sum(nil)
	}
	return m, r.key(digests) == m.Inputs
}

// sources returns the sources for the compile, each writing the fingerprint of what it
// fetches.
func (r *memoRun) sources() []source.Source {
	out := make([]source.Source, len(r.srcs))
	r.sinks = make([]hash.Hash, len(r.srcs))
	for i, s := range r.srcs {
		r.sinks[i] = sha256.New()
		s.FingerprintTo(r.sinks[i])
		out[i] = s
	}
	return out
}

// save remembers a clean compile's result under the fingerprint of what it read.
func (r *memoRun) save(res *Result, snap *Snapshot) error {
	digests := make([][]byte, len(r.sinks))
	for i, h := range r.sinks {
		digests[i] = h.Sum(nil)
	}
	m := planMemo{Inputs: r.key(digests), Tree: treeDigest(snap.Hashes), Findings: res.Findings,
		Sources: res.Sources, Files: r.stats}
	return saveMemo(r.dir, m)
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
