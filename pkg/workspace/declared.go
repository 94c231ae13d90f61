package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"go.yaml.in/yaml/v3"

	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/diag"
)

// Declared is an entity written in the workspace's catalog/ tree.
type Declared struct {
	Entity catalog.Entity
	File   string // relative to the workspace, slash-separated
	Line   int
	Col    int
	// Value is the entity's CUE value when it was declared in CUE (it may carry defaults
	// and constraints that merging must see); it is the zero Value for YAML.
	Value cue.Value
	node  *yaml.Node
}

// Origin is where the entity was declared, as file:line.
func (d *Declared) Origin() string { return fmt.Sprintf("%s:%d", d.File, d.Line) }

// FieldPos returns file:line:col of a dotted field path inside a YAML declaration, or of
// the declaration itself when the field cannot be found.
func (d *Declared) FieldPos(path string) string {
	n := d.node
	if n != nil && path != "" {
		for _, part := range SplitPath(path) {
			next := childNode(n, part)
			if next == nil {
				break
			}
			n = next
		}
	}
	if n != nil {
		return fmt.Sprintf("%s:%d:%d", d.File, n.Line, n.Column)
	}
	return fmt.Sprintf("%s:%d:%d", d.File, d.Line, d.Col)
}

// SplitPath splits a field path as CUE and pane write them (spec.owner, tags[1],
// annotations."example.com/x", out.0.kind) into its parts.
func SplitPath(path string) []string {
	var parts []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			parts = append(parts, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			j := strings.IndexByte(path[i:], ']')
			if j < 0 {
				cur.WriteString(path[i+1:])
				i = len(path)
				continue
			}
			parts = append(parts, path[i+1:i+j])
			i += j
		case '"':
			j := i + 1
			for j < len(path) && path[j] != '"' {
				if path[j] == '\\' {
					j++
				}
				j++
			}
			if q, err := strconv.Unquote(path[i:min(j+1, len(path))]); err == nil {
				cur.WriteString(q)
			} else {
				cur.WriteString(path[i+1 : min(j, len(path))])
			}
			i = j
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return parts
}

func childNode(n *yaml.Node, key string) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// ParseYAML parses a (multi-document) YAML file of declared entities. file is the name
// used in positions. Every problem is returned; documents that parse are returned too.
func ParseYAML(file string, data []byte) ([]*Declared, diag.List) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var out []*Declared
	var findings diag.List
	budget := maxYAMLValues(len(data))
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			findings = append(findings, yamlError(file, err))
			break // the decoder cannot resync after a syntax error
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue // an empty document, e.g. a trailing ---
		}
		where := fmt.Sprintf("%s:%d:%d", file, root.Line, root.Column)
		if root.Kind != yaml.MappingNode {
			findings = append(findings, diag.Finding{Where: where, Message: "an entity must be a YAML mapping (apiVersion, kind, metadata, spec)"})
			continue
		}
		v, err := nodeValue(root, 0, &budget)
		if err != nil {
			var ne *nodeError
			if errors.As(err, &ne) {
				where = fmt.Sprintf("%s:%d:%d", file, ne.line, ne.col)
				err = errors.New(ne.msg)
			}
			findings = append(findings, diag.Finding{Where: where, Message: err.Error()})
			if budget < 0 {
				break
			}
			continue
		}
		out = append(out, &Declared{Entity: v.(map[string]any), File: file, Line: root.Line, Col: root.Column, node: root})
	}
	return out, findings
}

// yamlError turns "yaml: line 3: did not find expected key" into file:3: ....
func yamlError(file string, err error) diag.Finding {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.IndexByte(rest, ':'); i > 0 {
			if _, convErr := strconv.Atoi(rest[:i]); convErr == nil {
				return diag.Finding{Where: file + ":" + rest[:i], Message: "YAML: " + strings.TrimSpace(rest[i+1:])}
			}
		}
	}
	return diag.Finding{Where: file, Message: "YAML: " + msg}
}

const maxYAMLDepth = 100

// maxYAMLValues bounds the values a file may expand to. Aliases can make a few hundred
// bytes expand to billions of values ("billion laughs"); without them a file never has
// more values than bytes.
func maxYAMLValues(size int) int { return 10000 + 4*size }

// nodeError is a problem at a place in a YAML document.
type nodeError struct {
	line, col int
	msg       string
}

func (e *nodeError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &nodeError{line: n.Line, col: n.Column, msg: fmt.Sprintf(format, args...)}
}

// nodeValue converts a YAML node to JSON-like Go values. It keeps timestamps and other
// special scalars as the strings they were written as, so entities round-trip as text.
// budget is decremented for every value made, aliases expanded included.
func nodeValue(n *yaml.Node, depth int, budget *int) (any, error) {
	if depth > maxYAMLDepth {
		return nil, errAt(n, "nested too deeply")
	}
	if *budget--; *budget < 0 {
		return nil, errAt(n, "aliases expand to too many values")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return nodeValue(n.Content[0], depth+1, budget)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, errAt(n, "unknown alias")
		}
		return nodeValue(n.Alias, depth+1, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, vn := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, errAt(k, "mapping keys must be strings")
			}
			if k.Value == "<<" && k.Tag == "!!merge" {
				return nil, errAt(k, "YAML merge keys (<<) are not supported; write the fields out")
			}
			if _, dup := m[k.Value]; dup {
				return nil, errAt(k, "duplicate key %q", k.Value)
			}
			v, err := nodeValue(vn, depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, errAt(n, "%v", err)
			}
			return b, nil
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return i, nil
			}
			if b, ok := new(big.Int).SetString(strings.ReplaceAll(n.Value, "_", ""), 0); ok {
				return b, nil
			}
			return n.Value, nil
		case "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, errAt(n, "%v", err)
			}
			return f, nil
		default:
			return n.Value, nil
		}
	}
	return nil, errAt(n, "unsupported YAML node")
}

// ParseCUE evaluates a CUE file of declared entities: the file is one entity (it has a
// kind), or each of its regular top-level fields that has a kind is one.
func ParseCUE(ctx *cue.Context, root, file string, data []byte) ([]*Declared, diag.List) {
	v := ctx.CompileBytes(data, cue.Filename(file))
	if err := v.Err(); err != nil {
		return nil, diag.FromCUE(err, root, "")
	}
	var vals []cue.Value
	if v.LookupPath(cue.ParsePath("kind")).Exists() {
		vals = append(vals, v)
	} else {
		iter, err := v.Fields()
		if err != nil {
			return nil, diag.FromCUE(err, root, "")
		}
		for iter.Next() {
			if iter.Value().LookupPath(cue.ParsePath("kind")).Exists() {
				vals = append(vals, iter.Value())
			}
		}
	}
	if len(vals) == 0 {
		return nil, diag.List{{Where: file, Message: "no entity here: a catalog CUE file is one entity (with a kind) or has top-level fields that are entities"}}
	}
	var out []*Declared
	var findings diag.List
	for _, ev := range vals {
		if err := ev.Validate(cue.Concrete(true)); err != nil {
			findings = append(findings, diag.FromCUE(err, root, "")...)
			continue
		}
		var m map[string]any
		if err := ev.Decode(&m); err != nil {
			findings = append(findings, diag.FromCUE(err, root, "")...)
			continue
		}
		pos := ev.Pos()
		d := &Declared{Entity: m, File: file, Line: pos.Line(), Col: pos.Column(), Value: ev}
		if d.Line == 0 {
			d.Line, d.Col = 1, 1
		}
		out = append(out, d)
	}
	return out, findings
}
