package bench

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/pane-dev/pane/internal/synth"
)

// The workspace the benchmark compiles: the example GitHub mapping over a synthetic org
// read by the file source, the org declared as a Group (repositories without an admin
// team are owned by it), and a bare output repository that pane creates.
const (
	recordsDir = "records"
	outputRepo = ".pane/catalog.git"
	cacheDir   = ".pane/cache"
)

const paneConfig = `package pane

sources: github: {
	type: "file"
	records: {
		repository: {path: "records/repositories.json", key: "full_name"}
		team: {path: "records/teams.json", key: "slug"}
		user: {path: "records/users.json", key: "login"}
	}
}

output: repo: "` + outputRepo + `"
`

// orgLogin is the login of the organization that owns o's repositories.
func orgLogin(o synth.Org) string {
	for _, r := range o.Repositories {
		if own, ok := r["owner"].(map[string]any); ok {
			if l, ok := own["login"].(string); ok && l != "" {
				return l
			}
		}
	}
	return "initech" // synth's organization; an org without repositories names none
}

// WriteWorkspace writes a workspace in dir that compiles o with the given mapping source
// (cue/mappings/github.cue). The output repository is not created: pane creates it.
func WriteWorkspace(dir string, o synth.Org, mapping []byte) error {
	files := map[string][]byte{
		"pane.cue":                []byte(paneConfig),
		"cue/mappings/github.cue": mapping,
		"catalog/org.yaml": fmt.Appendf(nil, `apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: %s
spec:
  type: organization
  children: []
`, orgLogin(o)),
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return synth.WriteFiles(filepath.Join(dir, recordsDir), o)
}

// ChangeOne returns o with one repository's description changed: a repository that is
// not archived, so that exactly one catalog entity changes. The record is copied; o is
// not modified. It returns the changed repository's full name.
func ChangeOne(o synth.Org) (synth.Org, string, error) {
	n := len(o.Repositories)
	for k := range n {
		i := (n/2 + k) % n // from the middle: neither the newest nor the oldest
		r := o.Repositories[i]
		if r["archived"] == true {
			continue
		}
		c := make(map[string]any, len(r))
		for key, v := range r {
			c[key] = v
		}
		d, _ := r["description"].(string)
		c["description"] = d + " Changed by panebench."
		out := o
		out.Repositories = append([]map[string]any(nil), o.Repositories...)
		out.Repositories[i] = c
		name, _ := r["full_name"].(string)
		return out, name, nil
	}
	return o, "", fmt.Errorf("no repository that is not archived")
}
