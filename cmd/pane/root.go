package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pane-dev/pane/pkg/compile"
	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/workspace"
)

// Exit codes CI can trust.
const (
	exitOK       = 0
	exitFindings = 1 // check found problems; plan --exit-code saw a diff; compile failed
	exitUsage    = 2 // bad flags, or a workspace whose config cannot be used
	exitHeldBack = 3 // plan/compile went through, but a source failed or its deletions were blocked
)

// exitError carries an exit code; its message, if any, is already printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// globals are the flags every command has.
type globals struct {
	workspace string
	logFormat string
	quiet     bool
	verbose   bool
	stdout    io.Writer
	stderr    io.Writer
	log       *slog.Logger
}

func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:   "pane",
		Short: "Compile a software catalog from CUE mappings and declared entities into git",
		Long: `pane builds an internal developer portal's catalog the GitOps way.

It reads a workspace:
  pane.cue         config (package pane): sources, output, safety
  cue/schema/      kind schemas (Backstage's built-in kinds are embedded)
  cue/mappings/    CUE mappings from source records to entities
  catalog/         declared entities (Backstage YAML or CUE)
  actions/         self-service actions

and compiles one YAML file per entity onto a git branch (default "catalog"):
every compile that changes something is one commit, so "git log -p catalog" is
the audit trail and "git revert" is the undo.

Start with "pane init DIR", then "pane check", "pane plan" and "pane compile".`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			compile.TuneGC()
			level := slog.LevelInfo
			switch {
			case g.quiet && g.verbose:
				return &exitError{code: exitUsage, msg: "--quiet and --verbose: choose one"}
			case g.quiet:
				level = slog.LevelWarn
			case g.verbose:
				level = slog.LevelDebug
			}
			opts := &slog.HandlerOptions{Level: level}
			switch g.logFormat {
			case "text":
				g.log = slog.New(slog.NewTextHandler(g.stderr, opts))
			case "json":
				g.log = slog.New(slog.NewJSONHandler(g.stderr, opts))
			default:
				return &exitError{code: exitUsage, msg: fmt.Sprintf("--log-format %q: want text or json", g.logFormat)}
			}
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.PersistentFlags().StringVarP(&g.workspace, "workspace", "w", ".", "workspace directory (the one holding pane.cue)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "log only warnings and errors")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "also log debug lines: how long each phase took, which mappings CUE evaluates and why")
	root.AddCommand(newInitCmd(g), newCheckCmd(g), newPlanCmd(g), newCompileCmd(g), newExplainCmd(g))
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, msg: err.Error()}
	})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintln(stderr, "pane:", ee.msg)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "pane:", err)
	// cobra's own errors (unknown command, bad args) are usage errors.
	return exitUsage
}

// loadWorkspace loads the workspace and prints its findings. A config that cannot be
// used is exit 2; other error findings are returned for the caller to judge.
func (g *globals) loadWorkspace() (*workspace.Workspace, diag.List, error) {
	ws, findings, err := workspace.Load(g.workspace)
	if err != nil {
		var ce *workspace.ConfigError
		if errors.As(err, &ce) {
			printFindings(g.stderr, ce.Findings)
			return nil, nil, &exitError{code: exitUsage, msg: "the workspace config cannot be used (see above)"}
		}
		return nil, nil, &exitError{code: exitUsage, msg: err.Error()}
	}
	return ws, findings, nil
}

func printFindings(w io.Writer, l diag.List) {
	for _, f := range l {
		fmt.Fprintln(w, f.String())
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
