package catalog

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		in, kind, ns string
		want         Ref
		wantErr      string
	}{
		{in: "component:web/shop", want: Ref{"component", "web", "shop"}},
		{in: "Component:Web/Shop", want: Ref{"Component", "Web", "Shop"}},
		{in: "shop", kind: "Group", ns: "default", want: Ref{"Group", "default", "shop"}},
		{in: "team/shop", kind: "Group", ns: "default", want: Ref{"Group", "team", "shop"}},
		{in: "user:shop", kind: "Group", ns: "ops", want: Ref{"user", "ops", "shop"}},
		{in: "api:a/b", kind: "Group", ns: "ops", want: Ref{"api", "a", "b"}},
		{in: "shop", kind: "", ns: "default", wantErr: "has no kind"},
		{in: ":default/shop", kind: "Group", ns: "default", wantErr: "has no kind"},
		{in: "group:/shop", kind: "Group", ns: "default", wantErr: "empty namespace"},
		{in: "shop", kind: "Group", ns: "", wantErr: "empty namespace"},
		{in: "group:default/", kind: "Group", ns: "default", wantErr: "has no name"},
		{in: "", kind: "Group", ns: "default", wantErr: "has no name"},
		{in: "group:", kind: "Group", ns: "default", wantErr: "has no name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRef(tt.in, tt.kind, tt.ns)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRef(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), fmt.Sprintf("%q", tt.in)) {
					t.Errorf("error %q does not quote the ref %q", err, tt.in)
				}
				if got != (Ref{}) {
					t.Errorf("ParseRef(%q) returned %v with an error; want the zero Ref", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseRef(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidateRef(t *testing.T) {
	name63 := strings.Repeat("a", 63)
	name64 := strings.Repeat("a", 64)
	tests := []struct {
		name    string
		ref     Ref
		wantErr string // substring; "" means valid
	}{
		{"simple", Ref{"Component", "default", "shop"}, ""},
		{"single char", Ref{"Component", "default", "a"}, ""},
		{"digits", Ref{"Component", "default", "0"}, ""},
		{"dots dashes underscores", Ref{"Component", "default", "a.b-c_d"}, ""},
		{"upper-case name", Ref{"Component", "default", "Shop-API"}, ""},
		{"63 chars", Ref{"Component", "default", name63}, ""},
		{"namespace with dashes", Ref{"Component", "team--a-1", "x"}, ""},
		{"kind with digits", Ref{"Kind2", "default", "x"}, ""},
		{"custom kind camel", Ref{"MyCustomKind", "default", "x"}, ""},

		{"dot dot", Ref{"Component", "default", ".."}, "metadata.name"},
		{"embedded dot dot", Ref{"Component", "default", "a/../b"}, "metadata.name"},
		{"slash", Ref{"Component", "default", "a/b"}, "metadata.name"},
		{"NUL", Ref{"Component", "default", "a\x00b"}, "metadata.name"},
		{"64 chars", Ref{"Component", "default", name64}, "metadata.name"},
		{"leading dash", Ref{"Component", "default", "-a"}, "metadata.name"},
		{"trailing dash", Ref{"Component", "default", "a-"}, "metadata.name"},
		{"leading dot", Ref{"Component", "default", ".a"}, "metadata.name"},
		{"space", Ref{"Component", "default", "a b"}, "metadata.name"},
		{"newline", Ref{"Component", "default", "a\n"}, "metadata.name"},
		{"non-ASCII", Ref{"Component", "default", "café"}, "metadata.name"},
		{"empty name", Ref{"Component", "default", ""}, "metadata.name"},

		{"upper-case namespace", Ref{"Component", "Default", "x"}, "metadata.namespace"},
		{"namespace dot", Ref{"Component", "a.b", "x"}, "metadata.namespace"},
		{"namespace dot dot", Ref{"Component", "..", "x"}, "metadata.namespace"},
		{"namespace slash", Ref{"Component", "a/b", "x"}, "metadata.namespace"},
		{"namespace leading dash", Ref{"Component", "-a", "x"}, "metadata.namespace"},
		{"namespace trailing dash", Ref{"Component", "a-", "x"}, "metadata.namespace"},
		{"namespace 64", Ref{"Component", name64, "x"}, "metadata.namespace"},
		{"namespace empty", Ref{"Component", "", "x"}, "metadata.namespace"},

		{"kind empty", Ref{"", "default", "x"}, "kind"},
		{"kind leading digit", Ref{"1Component", "default", "x"}, "kind"},
		{"kind dash", Ref{"My-Kind", "default", "x"}, "kind"},
		{"kind slash", Ref{"a/b", "default", "x"}, "kind"},
		{"kind dot dot", Ref{"..", "default", "x"}, "kind"},
		{"kind 64", Ref{"K" + name63, "default", "x"}, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateRef(tt.ref)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("ValidateRef(%#v) = %v, want nil", tt.ref, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateRef(%#v) = nil, want an error about %s", tt.ref, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr+" ") {
				t.Errorf("ValidateRef(%#v) = %q, want it to be about %s", tt.ref, err, tt.wantErr)
			}
		})
	}
}

// A ref that passes ValidateRef renders to a path of exactly three safe segments.
func TestValidateRefKeepsPathInsideTree(t *testing.T) {
	for _, r := range []Ref{
		{"Component", "default", "x"},
		{"Component", "default", ".."},
		{"Component", "..", "x"},
		{"..", "default", "x"},
		{"Component", "default", "a/b"},
		{"Component", "default", "a\\b"},
	} {
		if ValidateRef(r) != nil {
			continue
		}
		parts := strings.Split(r.Path(), "/")
		if len(parts) != 3 {
			t.Errorf("%#v: path %q has %d segments", r, r.Path(), len(parts))
		}
		for _, p := range parts {
			if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "\\\x00") {
				t.Errorf("%#v: unsafe path segment %q in %q", r, p, r.Path())
			}
		}
	}
}

func TestRefFormats(t *testing.T) {
	tests := []struct {
		ref            Ref
		str, key, path string
	}{
		{Ref{"Component", "default", "shop"}, "component:default/shop", "component:default/shop", "component/default/shop.yaml"},
		{Ref{"Component", "default", "Shop-API"}, "component:default/Shop-API", "component:default/shop-api", "component/default/shop-api.yaml"},
		{Ref{"API", "Payments", "Pay.v2"}, "api:payments/Pay.v2", "api:payments/pay.v2", "api/payments/pay.v2.yaml"},
		{Ref{"MyKind", "ops", "x_y"}, "mykind:ops/x_y", "mykind:ops/x_y", "mykind/ops/x_y.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			if got := tt.ref.String(); got != tt.str {
				t.Errorf("String() = %q, want %q", got, tt.str)
			}
			if got := tt.ref.Key(); got != tt.key {
				t.Errorf("Key() = %q, want %q", got, tt.key)
			}
			if got := tt.ref.Path(); got != tt.path {
				t.Errorf("Path() = %q, want %q", got, tt.path)
			}
			// String round-trips through ParseRef, whatever the defaults.
			back, err := ParseRef(tt.ref.String(), "Other", "elsewhere")
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tt.ref.String(), err)
			}
			if back.Key() != tt.ref.Key() {
				t.Errorf("ParseRef(String()) key = %q, want %q", back.Key(), tt.ref.Key())
			}
		})
	}
}

func TestRefKeyCaseInsensitive(t *testing.T) {
	a := Ref{"Component", "default", "Shop"}
	b := Ref{"component", "DEFAULT", "shop"}
	if a.Key() != b.Key() {
		t.Errorf("Key(%v) = %q, Key(%v) = %q; want equal", a, a.Key(), b, b.Key())
	}
	if a.Path() != b.Path() {
		t.Errorf("Path(%v) = %q, Path(%v) = %q; want equal", a, a.Path(), b, b.Path())
	}
}

func TestEntityAccessors(t *testing.T) {
	tests := []struct {
		name string
		e    Entity
		ref  Ref
	}{
		{"full", Entity{"kind": "Component", "metadata": map[string]any{"name": "shop", "namespace": "web"}}, Ref{"Component", "web", "shop"}},
		{"default namespace", Entity{"kind": "API", "metadata": map[string]any{"name": "pay"}}, Ref{"API", "default", "pay"}},
		{"empty namespace", Entity{"kind": "API", "metadata": map[string]any{"name": "pay", "namespace": ""}}, Ref{"API", "default", "pay"}},
		{"no metadata", Entity{"kind": "API"}, Ref{"API", "default", ""}},
		{"wrong types", Entity{"kind": 3, "metadata": "x"}, Ref{"", "default", ""}},
		{"nil", nil, Ref{"", "default", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Ref(); got != tt.ref {
				t.Errorf("Ref() = %#v, want %#v", got, tt.ref)
			}
		})
	}
}

func TestSetAnnotation(t *testing.T) {
	e := Entity{"kind": "Component"}
	e.SetAnnotation(AnnotationSource, "github")
	e.SetAnnotation(AnnotationOrigin, "acme/shop")
	if got := e.Annotation(AnnotationSource); got != "github" {
		t.Errorf("Annotation(source) = %q, want github", got)
	}
	if got := e.Annotation(AnnotationOrigin); got != "acme/shop" {
		t.Errorf("Annotation(origin) = %q, want acme/shop", got)
	}
	e.SetAnnotation(AnnotationSource, "declared")
	if got := e.Annotation(AnnotationSource); got != "declared" {
		t.Errorf("after overwrite, Annotation(source) = %q, want declared", got)
	}
	ann := e.Metadata()["annotations"].(map[string]any)
	if len(ann) != 2 {
		t.Errorf("annotations = %v, want two entries", ann)
	}
	if got := (Entity{}).Annotation("missing"); got != "" {
		t.Errorf("Annotation on an empty entity = %q", got)
	}
	// Existing annotations are kept.
	e2 := Entity{"metadata": map[string]any{"name": "x", "annotations": map[string]any{"k": "v"}}}
	e2.SetAnnotation("n", "m")
	if e2.Annotation("k") != "v" || e2.Annotation("n") != "m" || e2.Name() != "x" {
		t.Errorf("SetAnnotation lost data: %v", e2)
	}
}
