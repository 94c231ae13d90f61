package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pane-dev/pane/pkg/compile"
)

func newExplainCmd(g *globals) *cobra.Command {
	var f compileFlags
	var format string
	var history int
	cmd := &cobra.Command{
		Use:   "explain REF",
		Short: "Show how an entity came to be: its inputs, the origin of each field, its relations and history",
		Long: `Explain compiles the workspace, as plan does, writing nothing, and shows how one
entity came to be:

  - every input that contributed: a declaration (file:line), a source's record (type,
    key and where it came from) and the mapping that turned it into the entity
    (file:line), an entity file a source found in a repository, or the branch's copy
    kept because its source failed or was blocked;
  - each field of metadata and spec, with its value and the inputs that gave it (and
    any input whose default gave way to another's value);
  - its relations, out (its own) and in (other entities' that point at it);
  - whether the next compile adds, changes or deletes it, and the compile's findings
    about it;
  - the commits of the catalog branch that touched its file.

REF is kind:namespace/name, kind:name (namespace default), or a name alone when only
one entity has it. Refs are case-insensitive.

Exit status: 0; 1 when the entity is nowhere (no input makes it and the branch does
not have it) or the compile cannot run; 2 on usage or config errors.`,
		Example: `  pane explain component:default/payments-api
  pane explain payments-api --offline
  pane explain group:payments --format json | jq '.fields[] | select(.path == "spec.parent")'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return &exitError{code: exitUsage, msg: fmt.Sprintf("--format %q: want text or json", format)}
			}
			ws, target, err := g.target(&f)
			if err != nil {
				return err
			}
			ex, err := compile.Explain(cmd.Context(), ws, target, args[0], f.options(g, ws), history)
			if err != nil {
				return &exitError{code: exitFindings, msg: err.Error()}
			}
			if format == "json" {
				return ex.WriteJSON(g.stdout)
			}
			return ex.WriteText(g.stdout)
		},
	}
	f.register(cmd)
	f.registerOffline(cmd)
	cmd.Flags().StringVarP(&format, "format", "o", "text", "output format: text or json")
	cmd.Flags().IntVar(&history, "history", 20, "list at most this many commits of the entity's history")
	return cmd
}
