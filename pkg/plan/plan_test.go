package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/pane-dev/pane/pkg/catalog"
)

// file renders an entity file the way compile writes it.
func file(t testing.TB, kind, name, sources string) (string, []byte) {
	t.Helper()
	e := catalog.Entity{
		"apiVersion": "backstage.io/v1alpha1",
		"kind":       kind,
		"metadata":   map[string]any{"name": name},
		"spec":       map[string]any{"type": "service"},
	}
	if sources != "" {
		e.SetAnnotation(catalog.AnnotationSource, sources)
	}
	b, err := catalog.Render(e, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.Ref().Path(), b
}

func hash(b []byte) plumbing.Hash { return plumbing.ComputeHash(plumbing.BlobObject, b) }

// world is an old branch and a new snapshot.
type world struct {
	old      map[string]plumbing.Hash
	oldBytes map[string][]byte
	files    map[string][]byte
	reads    []string
}

func newWorld() *world {
	return &world{old: map[string]plumbing.Hash{}, oldBytes: map[string][]byte{}, files: map[string][]byte{}}
}

func (w *world) before(p string, b []byte) { w.old[p], w.oldBytes[p] = hash(b), b }
func (w *world) after(p string, b []byte)  { w.files[p] = b }

func (w *world) read(p string) ([]byte, error) {
	w.reads = append(w.reads, p)
	b, ok := w.oldBytes[p]
	if !ok {
		return nil, errors.New("object not found")
	}
	return b, nil
}

func (w *world) diff(t *testing.T) *Plan {
	t.Helper()
	p, err := Diff("catalog", plumbing.NewHash("0123456789abcdef0123456789abcdef01234567"), w.old, w.read, w.files)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sample: shop unchanged, api changed (declared+github), team added (github),
// gone deleted (github), lost deleted and unreadable.
func sample(t *testing.T) *world {
	w := newWorld()
	p, b := file(t, "Component", "shop", "github")
	w.before(p, b)
	w.after(p, b)

	p, b = file(t, "API", "pay", "declared,github")
	w.before(p, b)
	_, b2 := file(t, "API", "pay", "declared,github")
	w.after(p, append(b2, "# changed\n"...))

	p, b = file(t, "Group", "Team-A", "github")
	w.after(p, b)

	p, b = file(t, "Component", "gone", "github")
	w.before(p, b)

	p, b = file(t, "User", "lost", "people")
	w.old[p] = hash(b) // in the tree, but its blob cannot be read
	return w
}

func TestDiff(t *testing.T) {
	w := sample(t)
	p := w.diff(t)
	want := []Change{
		{Op: Changed, Ref: "api:default/pay", Path: "api/default/pay.yaml", Sources: []string{"declared", "github"}},
		{Op: Deleted, Ref: "component:default/gone", Path: "component/default/gone.yaml", Sources: []string{"github"}},
		{Op: Added, Ref: "group:default/Team-A", Path: "group/default/team-a.yaml", Sources: []string{"github"}},
		{Op: Deleted, Ref: "user:default/lost", Path: "user/default/lost.yaml", Sources: []string{"unknown"}},
	}
	if !reflect.DeepEqual(p.Changes, want) {
		t.Errorf("changes:\n got %+v\nwant %+v", p.Changes, want)
	}
	if p.Summary.Added != 1 || p.Summary.Changed != 1 || p.Summary.Deleted != 2 {
		t.Errorf("summary = %+v", p.Summary)
	}
	wantSources := map[string]*SourceChanges{
		"declared": {Added: []string{}, Changed: []string{"api:default/pay"}, Deleted: []string{}},
		"github":   {Added: []string{"group:default/Team-A"}, Changed: []string{"api:default/pay"}, Deleted: []string{"component:default/gone"}},
		"unknown":  {Added: []string{}, Changed: []string{}, Deleted: []string{"user:default/lost"}},
	}
	if !reflect.DeepEqual(p.Sources, wantSources) {
		t.Errorf("sources:\n got %v\nwant %v", dump(p.Sources), dump(wantSources))
	}
	// read is called only for the changed files (for their field diffs) and the deleted
	// ones (for their owners).
	gotReads := strings.Join(sortedCopy(w.reads), ",")
	if gotReads != "api/default/pay.yaml,component/default/gone.yaml,user/default/lost.yaml" {
		t.Errorf("read called for %s", gotReads)
	}
	if p.Branch != "catalog" || p.Base != "0123456789abcdef0123456789abcdef01234567" || p.Empty() {
		t.Errorf("plan = %+v", p)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

func dump(m map[string]*SourceChanges) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func TestDiffCases(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, w *world)
		want  []string // "op ref sources"
	}{
		{"nothing on either side", func(t *testing.T, w *world) {}, nil},
		{"identical", func(t *testing.T, w *world) {
			p, b := file(t, "Component", "a", "s")
			w.before(p, b)
			w.after(p, append([]byte(nil), b...))
		}, nil},
		{"new branch: everything added", func(t *testing.T, w *world) {
			for _, n := range []string{"b", "a"} {
				p, b := file(t, "Component", n, "s")
				w.after(p, b)
			}
		}, []string{"added component:default/a s", "added component:default/b s"}},
		{"everything deleted", func(t *testing.T, w *world) {
			p, b := file(t, "Component", "a", "s1,s2")
			w.before(p, b)
		}, []string{"deleted component:default/a s1,s2"}},
		{"no source annotation", func(t *testing.T, w *world) {
			p, b := file(t, "Component", "a", "")
			w.after(p, b)
		}, []string{"added component:default/a unknown"}},
		{"same bytes, other old hash", func(t *testing.T, w *world) {
			p, b := file(t, "Component", "a", "s")
			w.old[p] = plumbing.NewHash("1111111111111111111111111111111111111111")
			w.after(p, b)
		}, []string{"changed component:default/a s"}},
		{"unreadable deleted file outside the layout", func(t *testing.T, w *world) {
			w.old["README.md"] = plumbing.NewHash("1111111111111111111111111111111111111111")
		}, []string{"deleted README.md unknown"}},
		{"deleted file that is not YAML", func(t *testing.T, w *world) {
			w.before("component/default/x.yaml", []byte("kind: [\n"))
		}, []string{"deleted component:default/x unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			tt.setup(t, w)
			p := w.diff(t)
			var got []string
			for _, c := range p.Changes {
				got = append(got, fmt.Sprintf("%s %s %s", c.Op, c.Ref, strings.Join(c.Sources, ",")))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("changes = %q, want %q", got, tt.want)
			}
			if p.Empty() != (len(tt.want) == 0) {
				t.Errorf("Empty() = %v", p.Empty())
			}
		})
	}
}

func TestDiffBadNewFile(t *testing.T) {
	files := map[string][]byte{"component/default/x.yaml": []byte("kind: [\n")}
	_, err := Diff("catalog", plumbing.ZeroHash, nil, nil, files)
	if err == nil || !strings.HasPrefix(err.Error(), "component/default/x.yaml: ") {
		t.Errorf("Diff = %v, want an error naming the file", err)
	}
}

func TestDiffZeroBase(t *testing.T) {
	p, err := Diff("catalog", plumbing.ZeroHash, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Base != "" || !p.Empty() || p.Sources == nil {
		t.Errorf("plan = %+v", p)
	}
}

func TestHeadlineAndSourceLines(t *testing.T) {
	p := sample(t).diff(t)
	if got := p.Headline(); got != "+1 ~1 -2" {
		t.Errorf("Headline() = %q", got)
	}
	want := []string{"declared: +0 ~1 -0", "github: +1 ~1 -1", "unknown: +0 ~0 -1"}
	if got := p.SourceLines(); !reflect.DeepEqual(got, want) {
		t.Errorf("SourceLines() = %q, want %q", got, want)
	}
	empty := newWorld().diff(t)
	if got := empty.Headline(); got != "+0 ~0 -0" {
		t.Errorf("empty Headline() = %q", got)
	}
	if got := empty.SourceLines(); len(got) != 0 {
		t.Errorf("empty SourceLines() = %q", got)
	}
}

func TestCommitMessage(t *testing.T) {
	p := sample(t).diff(t)
	want := `pane: +1 ~1 -2

declared: +0 ~1 -0
github: +1 ~1 -1
unknown: +0 ~0 -1

~ api:default/pay
- component:default/gone
+ group:default/Team-A
- user:default/lost
`
	if got := p.CommitMessage(); got != want {
		t.Errorf("CommitMessage():\n%s\nwant:\n%s", got, want)
	}
}

func TestCommitMessageBounded(t *testing.T) {
	tests := []struct {
		n       int
		listed  int
		andMore string
	}{
		{1, 1, ""},
		{499, 499, ""},
		{500, 500, ""},
		{501, 500, "... and 1 more\n"},
		{1234, 500, "... and 734 more\n"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			w := newWorld()
			for i := range tt.n {
				p, b := file(t, "Component", fmt.Sprintf("c%05d", i), "s")
				w.after(p, b)
			}
			msg := w.diff(t).CommitMessage()
			lines := strings.Split(strings.TrimSuffix(msg, "\n"), "\n")
			listed := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "+ component:default/c") {
					listed++
				}
			}
			if listed != tt.listed {
				t.Errorf("listed %d refs, want %d", listed, tt.listed)
			}
			if !strings.HasPrefix(msg, fmt.Sprintf("pane: +%d ~0 -0\n\ns: +%d ~0 -0\n\n", tt.n, tt.n)) {
				t.Errorf("message starts %q", msg[:min(len(msg), 60)])
			}
			if tt.andMore == "" {
				if strings.Contains(msg, "... and") {
					t.Error("message says there are more")
				}
			} else if !strings.HasSuffix(msg, tt.andMore) {
				t.Errorf("message ends %q, want %q", msg[max(0, len(msg)-40):], tt.andMore)
			}
			if !strings.Contains(msg, "+ component:default/c00000\n") {
				t.Error("first ref not listed")
			}
		})
	}
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := sample(t).diff(t).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	want := `Plan for branch catalog: +1 ~1 -2 (added, changed, deleted)

declared: +0 ~1 -0
  ~ api:default/pay

github: +1 ~1 -1
  + group:default/Team-A
  ~ api:default/pay
  - component:default/gone

unknown: +0 ~0 -1
  - user:default/lost
`
	if buf.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := newWorld().diff(t).WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "No changes: the catalog on branch catalog is up to date.\n" {
		t.Errorf("empty WriteText = %q", buf.String())
	}
}

func TestWriteMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := sample(t).diff(t).WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	want := "### pane plan: `+1 ~1 -2`\n\n" +
		"| source | added | changed | deleted |\n|---|---:|---:|---:|\n" +
		"| declared | 0 | 1 | 0 |\n| github | 1 | 1 | 1 |\n| unknown | 0 | 0 | 1 |\n" +
		"\n<details><summary>declared</summary>\n\n- changed `api:default/pay`\n\n</details>\n" +
		"\n<details><summary>github</summary>\n\n- added `group:default/Team-A`\n- changed `api:default/pay`\n- deleted `component:default/gone`\n\n</details>\n" +
		"\n<details><summary>unknown</summary>\n\n- deleted `user:default/lost`\n\n</details>\n"
	if buf.String() != want {
		t.Errorf("WriteMarkdown:\n%s\nwant:\n%s", buf.String(), want)
	}
	buf.Reset()
	if err := newWorld().diff(t).WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "### pane plan: no changes\n") || !strings.Contains(buf.String(), "`catalog`") {
		t.Errorf("empty WriteMarkdown = %q", buf.String())
	}
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	p := sample(t).diff(t)
	if err := p.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back struct {
		FormatVersion int                       `json:"formatVersion"`
		Branch        string                    `json:"branch"`
		Base          string                    `json:"base"`
		Changes       []Change                  `json:"changes"`
		Sources       map[string]*SourceChanges `json:"sources"`
		Summary       map[string]int            `json:"summary"`
	}
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if back.FormatVersion != FormatVersion || back.Branch != "catalog" || back.Base != p.Base {
		t.Errorf("branch %q base %q", back.Branch, back.Base)
	}
	if !reflect.DeepEqual(back.Sources, p.Sources) {
		t.Errorf("sources = %s, want %s", dump(back.Sources), dump(p.Sources))
	}
	if !reflect.DeepEqual(back.Summary, map[string]int{"added": 1, "changed": 1, "deleted": 2}) {
		t.Errorf("summary = %v", back.Summary)
	}
	if !strings.Contains(buf.String(), "\n  \"") || !strings.HasSuffix(buf.String(), "}\n") {
		t.Errorf("not indented JSON with a trailing newline:\n%s", buf.String())
	}

	// An empty plan has empty lists and objects, never null.
	buf.Reset()
	if err := newWorld().diff(t).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(buf.Bytes(), &generic); err != nil {
		t.Fatal(err)
	}
	if s, ok := generic["sources"].(map[string]any); !ok || len(s) != 0 {
		t.Errorf("empty plan sources = %#v", generic["sources"])
	}
	if _, ok := generic["summary"].(map[string]any); !ok {
		t.Errorf("empty plan summary = %#v", generic["summary"])
	}
	// Per-source lists are [] when empty, so consumers need not check for null.
	buf.Reset()
	if err := p.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "null") {
		t.Errorf("JSON has a null:\n%s", buf.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrors(t *testing.T) {
	empty := newWorld().diff(t)
	for name, f := range map[string]func(p *Plan) error{
		"text":     func(p *Plan) error { return p.WriteText(failWriter{}) },
		"markdown": func(p *Plan) error { return p.WriteMarkdown(failWriter{}) },
		"json":     func(p *Plan) error { return p.WriteJSON(failWriter{}) },
	} {
		if err := f(empty); err == nil {
			t.Errorf("%s: no error from a failing writer", name)
		}
		if err := f(sample(t).diff(t)); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error %v from a failing writer, want disk full", name, err)
		}
	}
}

// The same inputs give the same plan and the same output, whatever the map order.
func TestDiffDeterministic(t *testing.T) {
	var first string
	for i := range 20 {
		w := newWorld()
		for j := range 30 {
			p, b := file(t, "Component", fmt.Sprintf("c%d", j), []string{"a", "b", "a,b"}[j%3])
			if j%2 == 0 {
				w.before(p, b)
			}
			if j%5 != 0 {
				w.after(p, append(b, fmt.Sprintf("# %d\n", j%3)...))
			}
		}
		var buf bytes.Buffer
		p := w.diff(t)
		_ = p.WriteText(&buf)
		_ = p.WriteMarkdown(&buf)
		_ = p.WriteJSON(&buf)
		buf.WriteString(p.CommitMessage())
		if i == 0 {
			first = buf.String()
		} else if buf.String() != first {
			t.Fatal("output differs between runs")
		}
	}
}

func TestFieldDiff(t *testing.T) {
	old := []byte(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: x
  description: old words
  tags: [a, b]
  annotations:
    example.com/x: "1"
spec:
  owner: team-a
relations:
  - type: ownedBy
    targetRef: group:default/team-a
`)
	new := []byte(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: x
  tags: [b, c]
  annotations:
    example.com/x: "2"
spec:
  owner: team-b
  lifecycle: production
relations:
  - type: ownedBy
    targetRef: group:default/team-b
`)
	var got []string
	for _, f := range fieldDiff(old, new) {
		got = append(got, f.String())
	}
	want := []string{
		`metadata.annotations."example.com/x": "1" -> "2"`,
		`metadata.description: "old words" -> (none)`,
		`metadata.tags: +"c" -"a"`,
		`relations: +ownedBy group:default/team-b -ownedBy group:default/team-a`,
		`spec.lifecycle: (none) -> "production"`,
		`spec.owner: "team-a" -> "team-b"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fieldDiff:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestHeldBack(t *testing.T) {
	p := sample(t).diff(t)
	if len(p.HeldBack()) != 0 {
		t.Fatal("held back without status")
	}
	p.SetStatus("github", &SourceStatus{Failed: "GET https://api.github.com/orgs/acme/repos: 502\nBad Gateway", Kept: []string{"b", "a"}})
	p.SetStatus("pagerduty", &SourceStatus{Blocked: "would delete 9 of its 10 entities"})
	if got := p.HeldBack(); !reflect.DeepEqual(got, []string{"github", "pagerduty"}) {
		t.Errorf("HeldBack = %v", got)
	}
	msg := p.CommitMessage()
	for _, want := range []string{
		"\nPane-Source-Failed: github: GET https://api.github.com/orgs/acme/repos: 502 Bad Gateway\n",
		"\nPane-Deletions-Blocked: pagerduty: would delete 9 of its 10 entities\n",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("commit message lacks %q:\n%s", want, msg)
		}
	}
	var text, md bytes.Buffer
	if err := p.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text.String(), "! source github FAILED: ") || !strings.Contains(text.String(), "2 of its entities kept") {
		t.Errorf("text does not lead with the failure:\n%s", text.String())
	}
	if err := p.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "> **Source `github` failed**") || !strings.Contains(md.String(), "**Deletions from `pagerduty` blocked**") {
		t.Errorf("markdown:\n%s", md.String())
	}
	if p.Sources["github"].Kept[0] != "a" {
		t.Errorf("kept not sorted: %v", p.Sources["github"].Kept)
	}
}
