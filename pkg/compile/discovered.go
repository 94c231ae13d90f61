package compile

import (
	"fmt"

	"cuelang.org/go/cue"

	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/source/github"
	"github.com/pane-dev/pane/pkg/workspace"
)

// discovered turns a record that is an entity file found in a repository (a github
// source's "file" records, when no mapping takes them) into declared-style
// contributions: the source owns them, so a repository that deletes its file loses its
// entities on the next full fetch, and their origin is owner/repo@sha:path:line.
//
// A file with problems (not YAML, a document that is not an entity) is a warning, not
// an error: one repository's typo must not hold back the whole organization's catalog.
// Its documents that did parse are kept.
func discovered(ws *workspace.Workspace, src string, r *source.Record) ([]contribution, diag.List, bool) {
	ds, problems, ok := github.Declared(*r)
	if !ok {
		return nil, nil, false
	}
	var out []contribution
	for _, d := range ds {
		out = append(out, contribution{
			entity: d.Entity, source: src, origin: d.Origin(), where: d.Origin(), decl: d, rec: r,
			value: func() (cue.Value, error) {
				v := ws.CUE.Encode(map[string]any(d.Entity))
				return v, v.Err()
			},
		})
	}
	var findings diag.List
	for _, p := range problems {
		findings = append(findings, diag.Finding{Where: p.Where, Severity: diag.Warning,
			Message: fmt.Sprintf("%s (entity file found by source %s; what does not parse is left out)", p.Message, src)})
	}
	return out, findings, true
}
