package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pane-dev/pane/pkg/scaffold"
)

func newInitCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [DIR]",
		Short: "Scaffold a working workspace in DIR (default: the current directory)",
		Long: `Init writes a starter workspace: pane.cue, a GitHub mapping, a kind schema
extension, declared entities, an example action, and recorded GitHub records so
that it compiles straight away with no network and no token.

It also writes two GitHub Actions workflows: .github/workflows/catalog-check.yml
(on pull requests: pane check, and pane plan --offline as a comment and in the job
summary) and .github/workflows/catalog-compile.yml (on push to the default branch
and on a schedule: pane compile, and push the catalog branch).

It never overwrites a file unless --force is given.`,
		Example: `  pane init acme-catalog
  cd acme-catalog && git init -q && pane check && pane compile
  git log -p catalog`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			paths, err := scaffold.Write(dir, force)
			if err != nil {
				return &exitError{code: exitFindings, msg: err.Error()}
			}
			for _, p := range paths {
				fmt.Fprintln(g.stdout, "wrote", p)
			}
			fmt.Fprintf(g.stdout, "\nnext:\n  cd %s\n  git init -q   # if it is not a git repository yet\n  pane check && pane plan && pane compile\n  git log -p catalog\n", dir)
			fmt.Fprintf(g.stdout, "\non GitHub, .github/workflows/ plans each pull request and compiles on merge.\n")
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite files that exist")
	return cmd
}
