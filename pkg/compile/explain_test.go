package compile

import (
	"reflect"
	"testing"

	"github.com/pane-dev/pane/pkg/catalog"
	"github.com/pane-dev/pane/pkg/mapping"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/workspace"
)

func TestMentions(t *testing.T) {
	for msg, want := range map[string]bool{
		"component:default/pay: spec.owner: refers to ...":         true,
		"Component:Default/Pay is declared differently by a and b": true,
		"refers to component:default/pay.":                         true,
		"refers to component:default/pay, which is not":            true,
		"component:default/payments: spec.owner":                   false,
		"component:default/pay-api: bad":                           false,
		"component:default/pay.v2: bad":                            false,
		"component:default/pay_x: bad":                             false,
		"component:default/payments and component:default/pay":     true,
		"nothing here": false,
	} {
		if got := mentions(msg, "component:default/pay"); got != want {
			t.Errorf("mentions(%q) = %v, want %v", msg, got, want)
		}
	}
}

// fieldOrigins names, per field, the inputs whose own value is the merged one; maps that
// no input gives whole are split; a different value is a default that gave way;
// provenance is left out.
func TestFieldOrigins(t *testing.T) {
	declared := catalog.Entity{
		"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
		"metadata": map[string]any{"name": "x", "description": "people"},
		"spec":     map[string]any{"lifecycle": "experimental", "dependsOn": []any{"component:y"}},
	}
	fetched := catalog.Entity{
		"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
		"metadata": map[string]any{"name": "x", "description": "github", "annotations": map[string]any{"a/b": "1"},
			"labels": map[string]any{"tier": "1"}},
		"spec": map[string]any{"lifecycle": "production", "owner": "team", "replicas": float64(3)},
	}
	other := catalog.Entity{
		"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
		"metadata": map[string]any{"name": "x", "annotations": map[string]any{"c.d/e": "2"}},
		"spec":     map[string]any{"replicas": int64(3)},
	}
	merged := catalog.Entity{
		"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
		"metadata": map[string]any{"name": "x", "description": "people", "labels": map[string]any{"tier": "1"},
			"annotations": map[string]any{"a/b": "1", "c.d/e": "2", catalog.AnnotationSource: "declared,github", catalog.AnnotationOrigin: "f:1,r:x"}},
		"spec": map[string]any{"lifecycle": "experimental", "dependsOn": []any{"component:y"}, "owner": "team", "replicas": int64(3)},
	}
	cs := []contribution{{entity: declared}, {entity: fetched}, {entity: other}}
	got := map[string]FieldOrigin{}
	var order []string
	for _, f := range fieldOrigins(merged, cs) {
		got[f.Path] = f
		order = append(order, f.Path)
	}
	wantOrder := []string{
		"apiVersion", "kind",
		`metadata.annotations.a/b`, `metadata.annotations."c.d/e"`,
		"metadata.description", "metadata.labels", "metadata.name",
		"spec.dependsOn", "spec.lifecycle", "spec.owner", "spec.replicas",
	}
	if !reflect.DeepEqual(order, wantOrder) {
		t.Errorf("fields:\n%v\nwant\n%v", order, wantOrder)
	}
	for path, want := range map[string][]int{
		"apiVersion": {1, 2, 3}, `metadata.annotations.a/b`: {2}, `metadata.annotations."c.d/e"`: {3},
		"metadata.description": {1}, "metadata.labels": {2}, "spec.lifecycle": {1}, "spec.replicas": {2, 3},
	} {
		if !reflect.DeepEqual(got[path].From, want) {
			t.Errorf("%s from %v, want %v", path, got[path].From, want)
		}
	}
	if y := got["spec.lifecycle"].Yielded; len(y) != 1 || y[0].Input != 2 || y[0].Value != "production" {
		t.Errorf("spec.lifecycle yielded %v", y)
	}
	if y := got["metadata.description"].Yielded; len(y) != 1 || y[0].Input != 2 {
		t.Errorf("metadata.description yielded %v", y)
	}
}

// Each kind of input says where it came from.
func TestDescribeInput(t *testing.T) {
	rec := &source.Record{Type: "file", Key: "acme/shop@abc:catalog-info.yaml", Where: "acme/shop@abc:catalog-info.yaml"}
	m := &mapping.Mapping{Name: "repos", Where: "cue/mappings/m.cue:3:1"}
	decl := &workspace.Declared{File: "catalog/x.yaml", Line: 4}
	for _, tc := range []struct {
		c    contribution
		want Input
	}{
		{contribution{source: DeclaredSource, origin: "catalog/x.yaml:4", decl: decl},
			Input{N: 1, Kind: "declared", Source: DeclaredSource, Origin: "catalog/x.yaml:4", Declared: "catalog/x.yaml:4"}},
		{contribution{source: "github", origin: "repository:acme/shop", rec: &source.Record{Type: "repository", Key: "acme/shop", Where: "GET /orgs/acme/repos, page 1 item 0"}, mapping: m},
			Input{N: 1, Kind: "record", Source: "github", Origin: "repository:acme/shop",
				Record: &RecordRef{Type: "repository", Key: "acme/shop", Where: "GET /orgs/acme/repos, page 1 item 0"}, Mapping: &MappingRef{Name: "repos", Where: "cue/mappings/m.cue:3:1"}}},
		{contribution{source: "github", origin: "acme/shop@abc:catalog-info.yaml:1", decl: decl, rec: rec},
			Input{N: 1, Kind: "discovered", Source: "github", Origin: "acme/shop@abc:catalog-info.yaml:1", Declared: "acme/shop@abc:catalog-info.yaml:1",
				Record: &RecordRef{Type: "file", Key: rec.Key, Where: rec.Where}}},
		{contribution{source: "pagerduty", origin: "service:P1", kept: "component/default/x.yaml"},
			Input{N: 1, Kind: "kept", Source: "pagerduty", Origin: "service:P1", Kept: "component/default/x.yaml"}},
	} {
		if got := describeInput(1, tc.c); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("describeInput:\n got %+v\nwant %+v", got, tc.want)
		}
	}
}
