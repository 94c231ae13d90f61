package source

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	data := map[string]any{
		"id":      "x",
		"owner":   map[string]any{"login": "acme", "ids": []any{int64(7), map[string]any{"v": "deep"}}},
		"list":    []any{"a", "b"},
		"dot.ted": "literal key with a dot",
		"null":    nil,
	}
	tests := []struct {
		path string
		want any
		ok   bool
	}{
		{"id", "x", true},
		{"owner.login", "acme", true},
		{"owner.ids.0", int64(7), true},
		{"owner.ids.1.v", "deep", true},
		{"list.1", "b", true},
		{"null", nil, true},
		{"owner", data["owner"], true},
		{"missing", nil, false},
		{"owner.missing", nil, false},
		{"list.2", nil, false},
		{"list.-1", nil, false},
		{"list.x", nil, false},
		{"id.more", nil, false},
		{"null.more", nil, false},
		{"dot.ted", nil, false},
		{"", nil, false},
	}
	for _, tt := range tests {
		got, ok := Lookup(data, tt.path)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%q) = %#v, %v; want %#v, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
	if got, ok := Lookup([]any{"a"}, "0"); !ok || got != "a" {
		t.Errorf("Lookup on a top-level list = %v, %v", got, ok)
	}
}

func TestKeyString(t *testing.T) {
	tests := []struct {
		in      any
		want    string
		wantErr string
	}{
		{"acme/shop", "acme/shop", ""},
		{float64(42), "42", ""},
		{float64(-3), "-3", ""},
		{math.Copysign(0, -1), "0", ""},
		{1.5, "1.5", ""},
		{1e21, "1e+21", ""},
		{int(7), "7", ""},
		{int64(9007199254740993), "9007199254740993", ""},
		{"", "", "empty"},
		{nil, "", "not a string or number"},
		{true, "", "not a string or number"},
		{map[string]any{}, "", "not a string or number"},
		{[]any{"a"}, "", "not a string or number"},
	}
	for _, tt := range tests {
		got, err := KeyString(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("KeyString(%#v) = %q, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("KeyString(%#v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRecordID(t *testing.T) {
	r := Record{Type: "repository", Key: "acme/shop"}
	if got := r.ID(); got != "repository:acme/shop" {
		t.Errorf("ID() = %q", got)
	}
}
