package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pane-dev/pane/pkg/diag"
)

func newCheckCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the workspace offline: config, schemas, mappings, declared entities, actions",
		Long: `Check loads the workspace without touching the network and reports every problem
it finds, one per line as "file:line:col: message", not only the first.

It checks the config against pane's schema, compiles the kind schemas, the mappings
and the actions, and parses and validates every declared entity against its kind.
Mappings are evaluated per record only by plan and compile.

Exit status: 0 clean (warnings allowed), 1 findings, 2 the config cannot be used.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ws, findings, err := g.loadWorkspace()
			if err != nil {
				return err
			}
			// Declared entities must fit their kind schemas, checked here too so that CI
			// catches them without credentials.
			if ws.Schemas != nil {
				for _, d := range ws.Declared {
					for _, p := range ws.Schemas.Validate(d.Entity) {
						findings = append(findings, findingAt(d.FieldPos(p.Path), fmt.Sprintf("%s: %s: %s", d.Entity.Ref(), p.Path, p.Message)))
					}
				}
				findings.Sort()
			}
			printFindings(g.stderr, findings)
			errs := len(findings.Errors())
			if errs > 0 {
				return &exitError{code: exitFindings, msg: fmt.Sprintf("check: %s", plural(errs, "error", "errors"))}
			}
			fmt.Fprintf(g.stdout, "ok: %s, %s, %s, %s\n",
				plural(len(ws.Config.Sources), "source", "sources"),
				plural(len(ws.Mappings.Mappings), "mapping", "mappings"),
				plural(len(ws.Declared), "declared entity", "declared entities"),
				plural(len(ws.Actions), "action", "actions"))
			return nil
		},
	}
}

func findingAt(where, msg string) diag.Finding { return diag.Finding{Where: where, Message: msg} }
