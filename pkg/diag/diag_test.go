package diag

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

func TestFindingString(t *testing.T) {
	tests := []struct {
		f    Finding
		want string
	}{
		{Finding{Where: "pane.cue:3:5", Message: "bad"}, "pane.cue:3:5: bad"},
		{Finding{Where: "catalog/a.yaml:7", Message: "YAML: oops"}, "catalog/a.yaml:7: YAML: oops"},
		{Finding{Message: "no place"}, "no place"},
		{Finding{Where: "x.cue:1:1", Message: "careful", Severity: Warning}, "x.cue:1:1: warning: careful"},
		{Finding{Message: "careful", Severity: Warning}, "warning: careful"},
		{Finding{Where: "source github, record acme/shop", Message: "m"}, "source github, record acme/shop: m"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.f, got, tt.want)
		}
		if got := tt.f.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestListError(t *testing.T) {
	l := List{
		{Where: "a.cue:1:2", Message: "one"},
		{Message: "two", Severity: Warning},
		{Where: "b.yaml:3", Message: "three"},
	}
	want := "a.cue:1:2: one\nwarning: two\nb.yaml:3: three"
	if got := l.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var err error = l
	var back List
	if !errors.As(err, &back) || len(back) != 3 {
		t.Errorf("errors.As(List) = %v", back)
	}
	if got := (List{}).Error(); got != "" {
		t.Errorf("empty List.Error() = %q", got)
	}
}

func TestListErrors(t *testing.T) {
	l := List{
		{Message: "e1"},
		{Message: "w1", Severity: Warning},
		{Message: "e2", Severity: Error},
		{Message: "w2", Severity: Warning},
	}
	got := l.Errors()
	want := List{{Message: "e1"}, {Message: "e2"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Errors() = %v, want %v", got, want)
	}
	if got := (List{{Message: "w", Severity: Warning}}).Errors(); len(got) != 0 {
		t.Errorf("Errors() of warnings only = %v, want none", got)
	}
}

func TestSort(t *testing.T) {
	tests := []struct {
		name string
		in   []string // "where|message"
		want []string
	}{
		{
			name: "lines numerically",
			in:   []string{"a.cue:10:1|x", "a.cue:9:1|x", "a.cue:100:1|x", "a.cue:2:1|x"},
			want: []string{"a.cue:2:1|x", "a.cue:9:1|x", "a.cue:10:1|x", "a.cue:100:1|x"},
		},
		{
			name: "columns numerically",
			in:   []string{"a.cue:3:10|x", "a.cue:3:9|x", "a.cue:3:1|x"},
			want: []string{"a.cue:3:1|x", "a.cue:3:9|x", "a.cue:3:10|x"},
		},
		{
			name: "files first, then lines",
			in:   []string{"b.cue:1:1|x", "a.cue:20:1|x", "a.yaml:1|x", "a.cue:3:1|x"},
			want: []string{"a.cue:3:1|x", "a.cue:20:1|x", "a.yaml:1|x", "b.cue:1:1|x"},
		},
		{
			name: "file:line before file:line:col",
			in:   []string{"a.yaml:4:2|x", "a.yaml:4|x", "a.yaml:3:9|x"},
			want: []string{"a.yaml:3:9|x", "a.yaml:4|x", "a.yaml:4:2|x"},
		},
		{
			name: "same place by message",
			in:   []string{"a.cue:1:1|zeta", "a.cue:1:1|alpha", "a.cue:1:1|mid"},
			want: []string{"a.cue:1:1|alpha", "a.cue:1:1|mid", "a.cue:1:1|zeta"},
		},
		{
			name: "no place first, then file alone",
			in:   []string{"a.cue:1:1|x", "|b", "a.cue|x", "|a"},
			want: []string{"|a", "|b", "a.cue|x", "a.cue:1:1|x"},
		},
		{
			name: "source descriptions",
			in:   []string{"source github, record b|x", "pane.cue:2:1|x", "source github, record a|x"},
			want: []string{"pane.cue:2:1|x", "source github, record a|x", "source github, record b|x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l List
			for _, s := range tt.in {
				w, m, _ := strings.Cut(s, "|")
				l = append(l, Finding{Where: w, Message: m})
			}
			l.Sort()
			var got []string
			for _, f := range l {
				got = append(got, f.Where+"|"+f.Message)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Sort() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSplitWhere(t *testing.T) {
	tests := []struct {
		in        string
		file      string
		line, col int
	}{
		{"a.cue:3:4", "a.cue", 3, 4},
		{"a.yaml:12", "a.yaml", 12, 0},
		{"a.yaml", "a.yaml", 0, 0},
		{"", "", 0, 0},
		{"dir/x.cue:1:2", "dir/x.cue", 1, 2},
		{"source s, record k", "source s, record k", 0, 0},
	}
	for _, tt := range tests {
		f, l, c := splitWhere(tt.in)
		if f != tt.file || l != tt.line || c != tt.col {
			t.Errorf("splitWhere(%q) = %q, %d, %d; want %q, %d, %d", tt.in, f, l, c, tt.file, tt.line, tt.col)
		}
	}
}

func TestPos(t *testing.T) {
	file := func(name string) *token.File {
		f := token.NewFile(name, -1, 100)
		f.SetLines([]int{0, 10, 20})
		return f
	}
	tests := []struct {
		name string
		pos  token.Pos
		root string
		want string
	}{
		{"relative to root", file("/ws/cue/mappings/gh.cue").Pos(12, token.NoRelPos), "/ws", "cue/mappings/gh.cue:2:3"},
		{"first line", file("/ws/pane.cue").Pos(0, token.NoRelPos), "/ws", "pane.cue:1:1"},
		{"outside root stays absolute", file("/other/x.cue").Pos(21, token.NoRelPos), "/ws", "/other/x.cue:3:2"},
		{"sibling with root as prefix", file("/ws2/x.cue").Pos(0, token.NoRelPos), "/ws", "/ws2/x.cue:1:1"},
		{"no root", file("/ws/pane.cue").Pos(10, token.NoRelPos), "", "/ws/pane.cue:2:1"},
		{"root-relative name", file("pane.cue").Pos(10, token.NoRelPos), "", "pane.cue:2:1"},
		{"file in root named with dots", file("/ws/..x.cue").Pos(0, token.NoRelPos), "/ws", "..x.cue:1:1"},
		{"invalid", token.NoPos, "/ws", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Pos(tt.pos, tt.root); got != tt.want {
				t.Errorf("Pos = %q, want %q", got, tt.want)
			}
		})
	}
}

const severalErrors = `package x

a: int & "x"
b: 1
b: 2
c: {
	d: string & 3
}
e: [...int] & [1, "two"]
ok: "fine"
`

func TestFromCUEEveryError(t *testing.T) {
	ctx := cuecontext.New()
	v := ctx.CompileString(severalErrors, cue.Filename("/ws/cue/mappings/x.cue"))
	err := v.Validate()
	if err == nil {
		t.Fatal("no error")
	}
	got := FromCUE(err, "/ws", "")
	want := []struct{ where, msg string }{
		{"cue/mappings/x.cue:3:4", "a: conflicting values"},
		{"cue/mappings/x.cue:4:4", "b: conflicting values"},
		{"cue/mappings/x.cue:7:5", "c.d: conflicting values"},
		{"cue/mappings/x.cue:9:", "e.1: conflicting values"},
	}
	if len(got) != len(want) {
		t.Fatalf("FromCUE gave %d findings, want %d:\n%v", len(got), len(want), got)
	}
	got.Sort()
	for i, w := range want {
		if !strings.HasPrefix(got[i].Where, w.where) {
			t.Errorf("finding %d at %q, want %q", i, got[i].Where, w.where)
		}
		if !strings.HasPrefix(got[i].Message, w.msg) {
			t.Errorf("finding %d message %q, want prefix %q", i, got[i].Message, w.msg)
		}
		if got[i].Severity != Error {
			t.Errorf("finding %d severity %v", i, got[i].Severity)
		}
		// Positions are placed by the caller, never repeated inside the message.
		if strings.Contains(got[i].Message, "x.cue") {
			t.Errorf("finding %d message repeats the position: %q", i, got[i].Message)
		}
	}
}

func TestFromCUEPrefixAndPlaces(t *testing.T) {
	ctx := cuecontext.New()
	v := ctx.CompileString("x: 1\nx: 2\n", cue.Filename("/elsewhere/pane.cue"))
	got := FromCUE(v.Validate(), "/ws", "config: ")
	if len(got) != 1 {
		t.Fatalf("got %v", got)
	}
	if got[0].Where != "/elsewhere/pane.cue:1:4" && got[0].Where != "/elsewhere/pane.cue:2:4" {
		t.Errorf("Where = %q, want the absolute place outside root", got[0].Where)
	}
	if !strings.HasPrefix(got[0].Message, "config: x: conflicting values") {
		t.Errorf("Message = %q", got[0].Message)
	}
}

func TestFromCUESyntaxError(t *testing.T) {
	ctx := cuecontext.New()
	v := ctx.CompileString("a: {\n\tb: 1\n", cue.Filename("/ws/pane.cue"))
	got := FromCUE(v.Err(), "/ws", "")
	if len(got) == 0 {
		t.Fatal("no findings")
	}
	if !strings.HasPrefix(got[0].Where, "pane.cue:") || strings.Count(got[0].Where, ":") != 2 {
		t.Errorf("Where = %q, want pane.cue:line:col", got[0].Where)
	}
}

func TestFromCUEDisjunction(t *testing.T) {
	ctx := cuecontext.New()
	v := ctx.CompileString("#T: {kind: \"a\", n: int} | {kind: \"b\", s: string}\nv: #T & {kind: \"c\"}\n", cue.Filename("/ws/d.cue"))
	got := FromCUE(v.Validate(), "/ws", "")
	if len(got) == 0 {
		t.Fatal("no findings")
	}
	for _, f := range got {
		if !strings.HasPrefix(f.Where, "d.cue:") {
			t.Errorf("finding without a place in d.cue: %v", f)
		}
	}
}

func TestFromCUEPlainErrors(t *testing.T) {
	if got := FromCUE(nil, "/ws", "p: "); got != nil {
		t.Errorf("FromCUE(nil) = %v, want nil", got)
	}
	got := FromCUE(fmt.Errorf("boom"), "/ws", "p: ")
	if len(got) != 1 || got[0].Where != "" || !strings.Contains(got[0].Message, "boom") || !strings.HasPrefix(got[0].Message, "p: ") {
		t.Errorf("FromCUE(plain error) = %#v", got)
	}
}

func TestFromCUEDeduplicates(t *testing.T) {
	e := cueerrors.Newf(token.NoPos, "same problem")
	err := cueerrors.Append(cueerrors.Append(nil, e), cueerrors.Newf(token.NoPos, "same problem"))
	got := FromCUE(err, "", "")
	if len(got) != 1 || got[0].Message != "same problem" {
		t.Errorf("FromCUE = %v, want one finding", got)
	}
}

func TestCUEMessage(t *testing.T) {
	ctx := cuecontext.New()
	v := ctx.CompileString("a: b: c: int & \"s\"\n", cue.Filename("m.cue"))
	errs := cueerrors.Errors(v.Validate())
	if len(errs) == 0 {
		t.Fatal("no error")
	}
	msg := CUEMessage(errs[0])
	if !strings.HasPrefix(msg, "a.b.c: ") {
		t.Errorf("CUEMessage = %q, want the field path in front", msg)
	}
	if strings.Contains(msg, "m.cue") {
		t.Errorf("CUEMessage = %q carries a position", msg)
	}
}
