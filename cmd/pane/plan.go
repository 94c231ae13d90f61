package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pane-dev/pane/pkg/compile"
	"github.com/pane-dev/pane/pkg/plan"
	"github.com/pane-dev/pane/pkg/workspace"
)

type compileFlags struct {
	outputRepo string
	force      []string
	noCache    bool
	offline    bool
}

func (f *compileFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.outputRepo, "output-repo", "", "git repository holding the catalog branch (default: output.repo in pane.cue, else the workspace's repository)")
	cmd.Flags().StringSliceVar(&f.force, "force", nil, "let a source delete past its deletion threshold or empty itself: --force (every source) or --force=NAME[,NAME]")
	cmd.Flags().Lookup("force").NoOptDefVal = "*"
	cmd.Flags().BoolVar(&f.noCache, "no-cache", false, "do not read or write the result cache and the plan memo in .pane/cache (the result is the same; only slower)")
}

// registerOffline adds --offline, for the commands that write nothing (plan, explain).
func (f *compileFlags) registerOffline(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&f.offline, "offline", false, "fetch nothing over the network: github and http sources use the records the last compile or plan fetched (.pane/cache/records), so no credentials are needed; the output says which and how old")
}

// options are the compile options of the flags, for the workspace.
func (f *compileFlags) options(g *globals, ws *workspace.Workspace) compile.Options {
	opts := compile.Options{Logger: g.log, Force: f.force, Offline: f.offline, RecordsDir: compile.RecordsDir(ws.Dir)}
	opts.Progress = g.progress()
	if !f.noCache {
		opts.CacheDir = filepath.Join(ws.Dir, ".pane", "cache")
	}
	return opts
}

// target loads the workspace and opens the catalog's repository, printing findings. A
// workspace with errors is exit 1.
func (g *globals) target(f *compileFlags) (*workspace.Workspace, *compile.Target, error) {
	ws, findings, err := g.loadWorkspace()
	if err != nil {
		return nil, nil, err
	}
	if errs := findings.Errors(); len(errs) > 0 {
		printFindings(g.stderr, findings)
		return nil, nil, &exitError{code: exitFindings, msg: fmt.Sprintf("the workspace has %s (run `pane check`); nothing compiled", plural(len(errs), "error", "errors"))}
	}
	printFindings(g.stderr, findings) // warnings
	target, err := compile.OpenTarget(ws, f.outputRepo)
	if err != nil {
		return nil, nil, &exitError{code: exitFindings, msg: err.Error()}
	}
	return ws, target, nil
}

// outcome loads the workspace, compiles it and diffs it with the catalog branch,
// printing findings. A compile with errors is exit 1.
func (g *globals) outcome(ctx context.Context, f *compileFlags) (*compile.Outcome, error) {
	ws, target, err := g.target(f)
	if err != nil {
		return nil, err
	}
	out, err := compile.Plan(ctx, ws, target, f.options(g, ws))
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
	var format, color string
	var exitCode bool
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Fetch and compile, and show what would change on the catalog branch; writes nothing",
		Long: `Plan fetches every source, compiles the catalog and compares it with the catalog
branch: which entities would be added, changed and deleted, grouped by source.
It writes nothing, to the repository or anywhere else.

Formats:
  text      for a terminal: colored when stdout is a terminal (--color, NO_COLOR)
  markdown  for a pull request comment or a CI step summary: a headline with what
            was held back, a table per source, collapsible field-level diffs; kept
            under GitHub's 65,536-character comment limit, saying what it left out
  json      for other tools; every field is documented in docs/plan-json.md

--offline fetches nothing over the network: the records the last compile or plan
fetched, cached in .pane/cache/records, stand in for the github and http sources, so a
pull request check needs no credentials; file sources read the workspace as always.
The output says which sources came from the cache and how old their records are. A
source with no cached records is an error that names it.

Reconciliation: each source owns the entities it produced. A source whose fetch fails
keeps its entities as the branch has them; a source that would delete more than its
deletion threshold (safety.deletionThreshold, default 0.5, or the source's own
deletionThreshold), or that returns nothing where it owned entities, deletes nothing
unless --force. Plan shows both, first and loud.

Exit status: 0, or with --exit-code 1 when the plan is not empty; 1 when the compile
fails; 2 on usage or config errors; 3 when a source failed or its deletions were
blocked (the rest of the plan stands).`,
		Example: `  pane plan
  pane plan --offline --format markdown >> "$GITHUB_STEP_SUMMARY"
  pane plan --format json | jq '.summary'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case "text", "markdown", "json":
			default:
				return &exitError{code: exitUsage, msg: fmt.Sprintf("--format %q: want text, markdown or json", format)}
			}
			colored, err := g.colorOn(color)
			if err != nil {
				return err
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
				err = p.WriteTextColor(g.stdout, colored)
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
	f.registerOffline(cmd)
	cmd.Flags().StringVarP(&format, "format", "o", "text", "output format: text, markdown or json (docs/plan-json.md)")
	cmd.Flags().StringVar(&color, "color", "auto", "color the text format: auto (when stdout is a terminal and NO_COLOR is unset), always or never")
	cmd.Flags().BoolVar(&exitCode, "exit-code", false, "exit 1 when the plan has changes")
	return cmd
}

func heldBackMessage(p *plan.Plan) string {
	return fmt.Sprintf("held back: %s (a source failed or its deletions were blocked; its entities are kept as they were)", strings.Join(p.HeldBack(), ", "))
}
