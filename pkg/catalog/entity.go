// Package catalog is pane's entity model: Backstage descriptor envelopes, entity
// references, the relations derived from spec fields, and the deterministic rendering
// of one file per entity. It imports nothing else of pane.
package catalog

import (
	"fmt"
	"regexp"
	"strings"
)

// Provenance annotations carried by every output entity.
const (
	AnnotationSource = "pane.dev/source"
	AnnotationOrigin = "pane.dev/origin"
)

// DefaultNamespace is the namespace of an entity that names none.
const DefaultNamespace = "default"

// Entity is one catalog entity: a Backstage descriptor envelope held as decoded JSON
// (map[string]any, []any, string, float64/int64, bool, nil). Keeping it generic lets
// custom kinds from cue/schema flow through untouched.
type Entity map[string]any

// Kind returns the entity's kind as written.
func (e Entity) Kind() string { s, _ := e["kind"].(string); return s }

// Metadata returns the metadata object, or nil.
func (e Entity) Metadata() map[string]any { m, _ := e["metadata"].(map[string]any); return m }

// Spec returns the spec object, or nil.
func (e Entity) Spec() map[string]any { m, _ := e["spec"].(map[string]any); return m }

// Name returns metadata.name.
func (e Entity) Name() string { s, _ := e.Metadata()["name"].(string); return s }

// Namespace returns metadata.namespace, or the default namespace.
func (e Entity) Namespace() string {
	if s, _ := e.Metadata()["namespace"].(string); s != "" {
		return s
	}
	return DefaultNamespace
}

// Ref returns the entity's reference.
func (e Entity) Ref() Ref { return Ref{Kind: e.Kind(), Namespace: e.Namespace(), Name: e.Name()} }

// Annotation returns metadata.annotations[key].
func (e Entity) Annotation(key string) string {
	a, _ := e.Metadata()["annotations"].(map[string]any)
	s, _ := a[key].(string)
	return s
}

// SetAnnotation sets metadata.annotations[key], creating the maps it needs.
func (e Entity) SetAnnotation(key, value string) {
	md := e.Metadata()
	if md == nil {
		md = map[string]any{}
		e["metadata"] = md
	}
	a, _ := md["annotations"].(map[string]any)
	if a == nil {
		a = map[string]any{}
		md["annotations"] = a
	}
	a[key] = value
}

// Ref is an entity reference kind:namespace/name. Refs compare case-insensitively:
// Key gives the canonical form.
type Ref struct {
	Kind, Namespace, Name string
}

// String returns kind:namespace/name as Backstage's stringifyEntityRef writes it: kind
// and namespace in lower case, the name as spelled.
func (r Ref) String() string {
	return strings.ToLower(r.Kind) + ":" + strings.ToLower(r.Namespace) + "/" + r.Name
}

// Key is the case-folded form used to compare refs: Backstage refs are case-insensitive.
func (r Ref) Key() string { return strings.ToLower(r.String()) }

// Path is the entity's file in the catalog tree: <kind>/<namespace>/<name>.yaml, lower case.
// Call ValidateRef first: Path does not check that the parts are safe.
func (r Ref) Path() string {
	return strings.ToLower(r.Kind) + "/" + strings.ToLower(r.Namespace) + "/" + strings.ToLower(r.Name) + ".yaml"
}

// ParseRef parses "[kind:][namespace/]name", filling what is missing from the defaults.
func ParseRef(s, defaultKind, defaultNamespace string) (Ref, error) {
	r := Ref{Kind: defaultKind, Namespace: defaultNamespace}
	rest := s
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		r.Kind, rest = rest[:i], rest[i+1:]
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		r.Namespace, rest = rest[:i], rest[i+1:]
	}
	r.Name = rest
	switch {
	case r.Kind == "":
		return Ref{}, fmt.Errorf("entity ref %q has no kind", s)
	case r.Namespace == "":
		return Ref{}, fmt.Errorf("entity ref %q has an empty namespace", s)
	case r.Name == "":
		return Ref{}, fmt.Errorf("entity ref %q has no name", s)
	}
	return r, nil
}

var (
	nameRE      = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	namespaceRE = regexp.MustCompile(`^[a-z0-9]+(?:-+[a-z0-9]+)*$`)
	kindRE      = regexp.MustCompile(`^[a-zA-Z][a-z0-9A-Z]*$`)
)

// ValidateRef checks the parts of a ref against Backstage's naming rules. It is also what
// keeps every rendered path inside the catalog tree: no part can hold '/', '..', NUL or
// be longer than 63 characters once it passes.
func ValidateRef(r Ref) error {
	if len(r.Kind) == 0 || len(r.Kind) > 63 || !kindRE.MatchString(r.Kind) {
		return fmt.Errorf("kind %q is not a valid kind (letters and digits, starting with a letter, at most 63)", r.Kind)
	}
	if len(r.Namespace) == 0 || len(r.Namespace) > 63 || !namespaceRE.MatchString(r.Namespace) {
		return fmt.Errorf("metadata.namespace %q is not a DNS label (lower-case letters, digits and '-', at most 63)", r.Namespace)
	}
	if len(r.Name) == 0 || len(r.Name) > 63 || !nameRE.MatchString(r.Name) {
		return fmt.Errorf("metadata.name %q is not a valid name (1-63 of [A-Za-z0-9-_.], starting and ending with a letter or digit)", r.Name)
	}
	return nil
}
