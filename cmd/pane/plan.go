package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pane-dev/pane/pkg/compile"
	"github.com/pane-dev/pane/pkg/plan"
)

type compileFlags struct {
	outputRepo string
	force      []string
	noCache    bool
}

func (f *compileFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.outputRepo, "output-repo", "", "git repository to commit the catalog to (default: output.repo in pane.cue, else the workspace's repository)")
	cmd.Flags().StringSliceVar(&f.force, "force", nil, "let a source delete past its deletion threshold or empty itself: --force (every source) or --force=NAME[,NAME]")
	cmd.Flags().Lookup("force").NoOptDefVal = "*"
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "do not read or write the result cache in .pane/cache (the result is the same; only slower)")
}

// outcome loads the workspace, compiles it and diffs it with the catalog branch,
// printing findings. A compile with errors is exit 1.
func (g *globals) outcome(ctx context.Context, f *compileFlags) (*compile.Outcome, error) {
	ws, findings, err := g.loadWorkspace()
	if err != nil {
		return nil, err
	}
	if errs := findings.Errors(); len(errs) > 0 {
		printFindings(g.stderr, findings)
		return nil, &exitError{code: exitFindings, msg: fmt.Sprintf("the workspace has %s (run `pane check`); nothing compiled", plural(len(errs), "error", "errors"))}
	}
	printFindings(g.stderr, findings) // warnings
	target, err := compile.OpenTarget(ws, f.outputRepo)
	if err != nil {
		return nil, &exitError{code: exitFindings, msg: err.Error()}
	}
	opts := compile.Options{Logger: g.log, Force: f.force}
	opts.Progress = g.progress()
	if !f.noCache {
		opts.CacheDir = filepath.Join(ws.Dir, ".pane", "cache")
	}
	out, err := compile.Plan(ctx, ws, target, opts)
	if err != nil {
		return nil, &exitError{code: exitFindings, msg: err.Error()}
	}
	printFindings(g.stderr, out.Result.Findings)
	if out.Plan == nil {
		n := len(out.Result.Findings.Errors())
		return nil, &exitError{code: exitFindings, msg: fmt.Sprintf("compile failed with %s; nothing committed", plural(n, "error", "errors"))}
	}
	return out, nil
}

func newPlanCmd(g *globals) *cobra.Command {
	var f compileFlags
	var format string
	var exitCode bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Fetch and compile, and show what would change on the catalog branch; writes nothing",
		Long: `Plan fetches every source, compiles the catalog and compares it with the catalog
branch: which entities would be added, changed and deleted, grouped by source.
It writes nothing, to the repository or anywhere else.

Formats: text (for a terminal), markdown (for a pull request comment or a CI step
summary), json (for other tools: {"branch", "base", "sources": {NAME: {"added",
"changed", "deleted"}}, "summary": {"added", "changed", "deleted"}}).

Reconciliation: each source owns the entities it produced. A source whose fetch fails
keeps its entities as the branch has them; a source that would delete more than its
deletion threshold (safety.deletionThreshold, default 0.5, or the source's own
deletionThreshold), or that returns nothing where it owned entities, deletes nothing
unless --force. Plan shows both, first and loud.

Exit status: 0, or with --exit-code 1 when the plan is not empty; 1 when the compile
fails; 2 on usage or config errors; 3 when a source failed or its deletions were
blocked (the rest of the plan stands).`,
		Example: `  pane plan
  pane plan --format markdown >> "$GITHUB_STEP_SUMMARY"
  pane plan --format json | jq '.summary'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "text", "markdown", "json":
			default:
				return &exitError{code: exitUsage, msg: fmt.Sprintf("--format %q: want text, markdown or json", format)}
			}
			out, err := g.outcome(cmd.Context(), &f)
			if err != nil {
				return err
			}
			p := out.Plan
			switch format {
			case "json":
				err = p.WriteJSON(g.stdout)
			case "markdown":
				err = p.WriteMarkdown(g.stdout)
			default:
				err = p.WriteText(g.stdout)
			}
			if err != nil {
				return err
			}
			if out.HeldBack() {
				return &exitError{code: exitHeldBack, msg: heldBackMessage(p)}
			}
			if exitCode && !p.Empty() {
				return &exitError{code: exitFindings}
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().StringVarP(&format, "format", "o", "text", "output format: text, markdown or json")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when the plan has changes")
	return cmd
}

func heldBackMessage(p *plan.Plan) string {
	return fmt.Sprintf("held back: %s (a source failed or its deletions were blocked; its entities are kept as they were)", strings.Join(p.HeldBack(), ", "))
}
