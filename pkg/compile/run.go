package compile

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/gitstore"
	"github.com/pane-dev/pane/pkg/plan"
	"github.com/pane-dev/pane/pkg/workspace"
)

// Target is the catalog's git repository and branch.
type Target struct {
	Store  *gitstore.Store
	Repo   string // repository root, absolute
	Branch string
}

// OpenTarget opens the repository the catalog goes to: repoOverride if set, else
// output.repo from the config (relative to the workspace; created as a bare repository
// when missing), else the repository that contains the workspace.
func OpenTarget(ws *workspace.Workspace, repoOverride string) (*Target, error) {
	branch := ws.Config.Output.Branch
	repo := repoOverride
	if repo == "" && ws.Config.Output.Repo != "" {
		repo = ws.Config.Output.Repo
		if !filepath.IsAbs(repo) {
			repo = filepath.Join(ws.Dir, repo)
		}
	}
	if repo != "" {
		abs, err := filepath.Abs(repo)
		if err != nil {
			return nil, err
		}
		st, err := gitstore.Open(abs, true)
		if err != nil {
			return nil, fmt.Errorf("output repository: %w", err)
		}
		return &Target{Store: st, Repo: abs, Branch: branch}, nil
	}
	st, root, err := gitstore.Find(ws.Dir)
	if err != nil {
		return nil, fmt.Errorf("no git repository holds the workspace %s (run `git init` there, or set output.repo in pane.cue, or pass --output-repo): %w", ws.Dir, err)
	}
	return &Target{Store: st, Repo: root, Branch: branch}, nil
}

// Outcome is a compile diffed against the catalog branch.
type Outcome struct {
	Workspace *workspace.Workspace
	Result    *Result
	Plan      *plan.Plan // nil when the compile had errors
	Target    *Target
	base      plumbing.Hash
	log       *slog.Logger // the plan's, for Commit's debug lines
}

// Plan compiles the workspace and diffs the snapshot against the target branch.
func Plan(ctx context.Context, ws *workspace.Workspace, t *Target, opts Options) (*Outcome, error) {
	phase := phaseTimer(opts.Logger)
	tip, err := t.Store.Tip(t.Branch)
	if err != nil {
		return nil, err
	}
	old, err := t.Store.Files(t.Branch)
	if err != nil {
		return nil, err
	}
	base := NewBase(tip, old, t.Store.ReadBlob)
	opts.Base = base
	phase("read branch")
	memo, memoable := newMemoRun(ws, opts)
	if memoable {
		if m, ok := memo.hit(old); ok {
			phase("memo")
			if opts.Logger != nil {
				opts.Logger.Info("nothing changed since the last plan: the same inputs, and the catalog branch holds what it made; nothing compiled")
			}
			return memoOutcome(ws, t, tip, old, m)
		}
		opts.Sources = memo.sources()
		phase("memo")
	}
	res, err := Compile(ctx, ws, opts)
	if err != nil {
		return nil, err
	}
	phase = phaseTimer(opts.Logger)
	defer phase("diff")
	out := &Outcome{Workspace: ws, Result: res, Target: t, base: tip, log: opts.Logger}
	if res.Snapshot == nil {
		return out, nil
	}
	snap := res.Snapshot
	out.Plan, err = plan.DiffKnown(t.Branch, tip, old, base.Read, snap.Files,
		&plan.Known{Hashes: snap.Hashes, Refs: snap.Refs, Sources: snap.Owners})
	if err != nil {
		return nil, err
	}
	if memoable {
		clean := len(res.Findings.Errors()) == 0 && len(res.Cached) == 0
		for _, st := range res.Status {
			if st.Failed != nil || st.Blocked != "" || len(st.Kept) > 0 {
				clean = false
			}
		}
		if clean {
			err = memo.save(res, snap)
		}
		if !clean || err != nil {
			forgetMemo(opts.CacheDir)
		}
	}
	for name, s := range res.Status {
		ps := &plan.SourceStatus{Blocked: s.Blocked, Kept: s.Kept}
		if s.Failed != nil {
			ps.Failed = s.Failed.Error()
		}
		if ps.Failed != "" || ps.Blocked != "" {
			out.Plan.SetStatus(name, ps)
		}
	}
	now := time.Now()
	for name, c := range res.Cached {
		out.Plan.SetCached(name, plan.Cached{Fetched: c.Fetched.UTC(), AgeSeconds: int64(now.Sub(c.Fetched) / time.Second), Records: c.Records})
	}
	return out, nil
}

// memoOutcome is the outcome of a plan whose inputs and branch are as the last plan
// left them: the snapshot is the branch's files, and nothing changes.
func memoOutcome(ws *workspace.Workspace, t *Target, tip plumbing.Hash, old map[string]plumbing.Hash, m planMemo) (*Outcome, error) {
	snap := &Snapshot{Entities: map[string]catalog.Entity{}, Files: make(map[string][]byte, len(old)), Hashes: old,
		Owners: map[string][]string{}, Refs: map[string]string{}}
	for p := range old {
		snap.Files[p] = nil // as on the branch: a plan with no changes reads none
	}
	res := &Result{Snapshot: snap, Findings: m.Findings, Sources: m.Sources, Memo: true}
	if res.Sources == nil {
		res.Sources = map[string]*SourceStats{}
	}
	p, err := plan.DiffKnown(t.Branch, tip, old, nil, snap.Files, &plan.Known{Hashes: old})
	if err != nil {
		return nil, err
	}
	if len(p.Changes) != 0 {
		return nil, fmt.Errorf("internal error: the plan memo gave %d changes", len(p.Changes))
	}
	return &Outcome{Workspace: ws, Result: res, Plan: p, Target: t, base: tip}, nil
}

// HeldBack reports whether a source failed or had its deletions blocked: the commit
// holds what could be done, and the exit status says the rest was not.
func (o *Outcome) HeldBack() bool {
	if o.Result == nil {
		return false
	}
	for _, s := range o.Result.Status {
		if s.Failed != nil || s.Blocked != "" {
			return true
		}
	}
	return false
}

// Commit writes the outcome's snapshot to the branch. It makes no commit when nothing
// changed, and never when the compile had errors.
func Commit(ctx context.Context, o *Outcome) (plumbing.Hash, bool, error) {
	author, err := Author(o.Workspace)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if o.Plan == nil || o.Result.Snapshot == nil {
		return plumbing.ZeroHash, false, fmt.Errorf("the compile has errors: nothing committed")
	}
	if o.Plan.Empty() {
		return o.base, false, nil
	}
	if author.When.IsZero() {
		author.When = time.Now()
	}
	// Commit the plan's delta: its cost follows the size of the change, not of the
	// catalog. The delta is only right on the tree it was computed against.
	tip, err := o.Target.Store.Tip(o.Target.Branch)
	if err != nil {
		return plumbing.ZeroHash, false, err
	}
	if tip != o.base {
		return plumbing.ZeroHash, false, fmt.Errorf("branch %s moved from %s to %s while pane compiled; nothing committed, run it again", o.Target.Branch, short(o.base), short(tip))
	}
	upserts := map[string][]byte{}
	var deletes []string
	for _, c := range o.Plan.Changes {
		if c.Op == plan.Deleted {
			deletes = append(deletes, c.Path)
		} else {
			upserts[c.Path] = o.Result.Snapshot.Files[c.Path]
		}
	}
	phase := phaseTimer(o.log)
	defer phase("commit")
	return o.Target.Store.CommitChangesOn(ctx, o.Target.Branch, o.base, upserts, deletes, o.Plan.CommitMessage(), author)
}

func short(h plumbing.Hash) string {
	if h.IsZero() {
		return "nothing"
	}
	return h.String()[:12]
}

// Author is the configured commit author. PANE_COMMIT_DATE (RFC 3339) fixes the commit
// time, for reproducible commit hashes in tests and demos.
func Author(ws *workspace.Workspace) (gitstore.Signature, error) {
	sig := gitstore.Signature{Name: ws.Config.Output.Author.Name, Email: ws.Config.Output.Author.Email}
	if d := os.Getenv("PANE_COMMIT_DATE"); d != "" {
		t, err := time.Parse(time.RFC3339, d)
		if err != nil {
			return sig, fmt.Errorf("PANE_COMMIT_DATE %q is not an RFC 3339 time (like 2026-01-02T03:04:05Z)", d)
		}
		sig.When = t
	}
	return sig, nil
}
