package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pane-dev/pane/pkg/compile"
)

func newCompileCmd(g *globals) *cobra.Command {
	var f compileFlags
	cmd := &cobra.Command{
		Use:   "compile",
		Short: "Fetch, compile and commit the catalog to its branch",
		Long: `Compile fetches every source, maps the records with the CUE mappings, merges them
with the declared entities, validates every entity, derives relations, and commits
the catalog (one file per entity, <kind>/<namespace>/<name>.yaml) to the catalog
branch as one commit. When nothing changed it makes no commit.

The commit is written with git plumbing: the worktree, the index and the checked-out
branch are never touched. Any error in the inputs (a broken mapping, a record a mapping
rejects, an invalid entity, a conflict) means no commit at all. A source whose fetch
fails is not such an error: the rest is committed and its entities are kept (exit 3).

PANE_COMMIT_DATE (RFC 3339) fixes the commit time, for reproducible commit hashes.

Reconciliation: each source owns what it produced; what it no longer produces is
deleted in the same commit. A source whose fetch fails deletes nothing: its entities are
kept as the branch has them, and the commit message says so (Pane-Source-Failed). A
source that would delete more than its threshold, or returns nothing where it owned
entities, deletes nothing unless --force (Pane-Deletions-Blocked).

Exit status: 0 committed or nothing to do; 1 the compile failed, nothing committed;
2 usage or config; 3 committed what could be, but a source failed or its deletions
were blocked.`,
		Example: `  pane compile
  pane compile --workspace ./catalog-repo --output-repo /srv/git/catalog.git
  git log -p catalog`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, err := g.outcome(cmd.Context(), &f)
			if err != nil {
				return err
			}
			n := len(out.Result.Snapshot.Files)
			t := out.Target
			hash, changed, err := compile.Commit(cmd.Context(), out)
			if err != nil {
				return &exitError{code: exitFindings, msg: err.Error()}
			}
			held := func() error {
				if out.HeldBack() {
					return &exitError{code: exitHeldBack, msg: heldBackMessage(out.Plan)}
				}
				return nil
			}
			if !changed {
				fmt.Fprintf(g.stdout, "no changes: branch %s of %s already holds this catalog (%s)\n", t.Branch, t.Repo, plural(n, "entity", "entities"))
				return held()
			}
			fmt.Fprintf(g.stdout, "committed %s to branch %s of %s\n", hash.String()[:12], t.Branch, t.Repo)
			fmt.Fprintf(g.stdout, "  %s (added, changed, deleted); %s in the catalog\n", out.Plan.Headline(), plural(n, "entity", "entities"))
			for _, line := range out.Plan.SourceLines() {
				fmt.Fprintln(g.stdout, "  "+line)
			}
			fmt.Fprintf(g.stdout, "look at it: git -C %s log -p %s --\n", t.Repo, t.Branch)
			return held()
		},
	}
	f.register(cmd)
	return cmd
}
