package catalog

import (
	"bytes"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Envelope and metadata keys come first, in Backstage's order; every other key is sorted.
var (
	topOrder      = []string{"apiVersion", "kind", "metadata", "spec", "relations"}
	metadataOrder = []string{"name", "namespace", "title", "description", "labels", "annotations", "tags", "links"}
)

// Render writes the entity, with its relations, as YAML: stable key order, two-space
// indent, LF line endings and a trailing newline. The same entity always renders to the
// same bytes.
//
// The bytes are those yaml.v3 writes for the node tree toNode builds; render_fast.go
// writes them directly, an order of magnitude faster, and hands back to yaml.v3 (see
// renderYAML) for the values it does not cover, errors included.
func Render(e Entity, rels []Relation) ([]byte, error) {
	if out, ok := renderFast(e, rels); ok {
		return out, nil
	}
	return renderYAML(e, rels)
}

// renderYAML is Render by way of a yaml.v3 node tree: the reference the fast path must
// match byte for byte, and its fallback.
func renderYAML(e Entity, rels []Relation) ([]byte, error) {
	doc := map[string]any{}
	for k, v := range e {
		if k != "relations" {
			doc[k] = v
		}
	}
	if len(rels) > 0 {
		list := make([]any, len(rels))
		for i, r := range rels {
			list[i] = relationItem{r.Type, r.TargetRef.String()}
		}
		doc["relations"] = list
	}
	node, err := toNode(doc, topOrder)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", e.Ref(), err)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return nil, fmt.Errorf("render %s: %w", e.Ref(), err)
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func toNode(v any, order []string) (*yaml.Node, error) {
	switch v := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for _, k := range orderedKeys(v, order) {
			var childOrder []string
			if len(order) > 0 && k == "metadata" {
				childOrder = metadataOrder
			}
			c, err := toNode(v[k], childOrder)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, c)
		}
		return n, nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i, x := range v {
			c, err := toNode(x, nil)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case relationItem:
		return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			strNode("type"), strNode(v.typ), strNode("targetRef"), strNode(v.target),
		}}, nil
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for _, x := range v {
			n.Content = append(n.Content, strNode(x))
		}
		return n, nil
	case string:
		return strNode(v), nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	case int:
		return intNode(strconv.FormatInt(int64(v), 10)), nil
	case int64:
		return intNode(strconv.FormatInt(v, 10)), nil
	case uint64:
		return intNode(strconv.FormatUint(v, 10)), nil
	case *big.Int:
		if !v.IsInt64() && !v.IsUint64() {
			// YAML readers (yaml.v3 included) resolve an integer this large as a float and
			// refuse it under an explicit !!int tag: write it plain so it reads back.
			return &yaml.Node{Kind: yaml.ScalarNode, Value: v.String()}, nil
		}
		return intNode(v.String()), nil
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, fmt.Errorf("number %v cannot be written", v)
		}
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return intNode(strconv.FormatInt(int64(v), 10)), nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v, 'g', -1, 64)}, nil
	}
	return nil, fmt.Errorf("value of type %T cannot be written", v)
}

// relationItem renders as {type, targetRef}, in Backstage's order.
type relationItem struct{ typ, target string }

func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if bytes.ContainsRune([]byte(s), '\n') {
		n.Style = yaml.LiteralStyle
	}
	return n
}

func intNode(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: s} }

func orderedKeys(m map[string]any, order []string) []string {
	keys := make([]string, 0, len(m))
	seen := map[string]bool{}
	for _, k := range order {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
			seen[k] = true
		}
	}
	rest := make([]string, 0, len(m))
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	return append(keys, rest...)
}
