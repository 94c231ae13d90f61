package plan

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pane-dev/pane/pkg/catalog"
)

// bigWorld is a plan of n entities over two sources: every 50th deleted, every other
// 25th changed in two fields, the rest added.
func bigWorld(t *testing.T, n int) *world {
	t.Helper()
	w := newWorld()
	for i := range n {
		src := []string{"github", "pagerduty"}[i%2]
		name := fmt.Sprintf("service-%05d", i)
		e := func(desc string, tags ...any) []byte {
			ent := catalog.Entity{
				"apiVersion": "backstage.io/v1alpha1", "kind": "Component",
				"metadata": map[string]any{"name": name, "description": desc, "tags": tags},
				"spec":     map[string]any{"type": "service", "owner": "team-" + strconv.Itoa(i%7)},
			}
			ent.SetAnnotation(catalog.AnnotationSource, src)
			b, err := catalog.Render(ent, nil)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		p := "component/default/" + name + ".yaml"
		switch {
		case i%50 == 0:
			w.before(p, e("old"))
		case i%25 == 0:
			w.before(p, e("before", "a", "b"))
			w.after(p, e("after: "+strings.Repeat("x", 40), "b", "c"))
		default:
			w.after(p, e("new"))
		}
	}
	return w
}

// TestMarkdownLimit: a 10,000-entity plan stays under GitHub's comment limit, keeps
// every deletion and change it can before additions, and says what it left out.
func TestMarkdownLimit(t *testing.T) {
	p := bigWorld(t, 10000).diff(t)
	if got := p.Summary; got.Added != 9600 || got.Changed != 200 || got.Deleted != 200 {
		t.Fatalf("summary = %+v", got)
	}
	var buf bytes.Buffer
	if err := p.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	if len(md) >= CommentLimit || len(md) > MarkdownLimit {
		t.Fatalf("markdown is %d bytes, over the limit %d", len(md), MarkdownLimit)
	}
	if len(md) < MarkdownLimit*9/10 {
		t.Errorf("markdown is %d bytes: the limit (%d) is not used", len(md), MarkdownLimit)
	}
	if !strings.HasPrefix(md, "### pane plan: `+9600 ~200 -200`\n") {
		t.Errorf("headline: %q", md[:80])
	}
	// Every deletion is listed; additions give way.
	if n := strings.Count(md, "\n- deleted `"); n != 200 {
		t.Errorf("%d deletions listed, want all 200", n)
	}
	listed := map[Op]int{
		Added:   strings.Count(md, "\n- added `"),
		Changed: strings.Count(md, "\n- changed `"),
		Deleted: strings.Count(md, "\n- deleted `"),
	}
	if listed[Changed] != 200 || strings.Count(md, "\n  - `metadata.tags: +\"c\" -\"a\"`") != 200 {
		t.Errorf("%d changes listed, want all 200 with their fields", listed[Changed])
	}
	// The closing note counts what is missing, and the numbers add up.
	m := regexp.MustCompile(`\*\*Shortened to fit a comment\*\*: ([0-9]+) entity changes are not listed \(([0-9]+) added\)`).FindStringSubmatch(md)
	if m == nil {
		t.Fatalf("no closing note with counts:\n%s", md[len(md)-600:])
	}
	if omitted, _ := strconv.Atoi(m[1]); omitted+listed[Added] != 9600 || omitted == 0 || listed[Added] == 0 {
		t.Errorf("note says %d omitted, %d listed: not 9600 additions", omitted, listed[Added])
	}
	// Per source, the list ends with what it leaves out.
	for _, src := range []string{"github", "pagerduty"} {
		sec := md[strings.Index(md, "<summary>"+src+"</summary>"):]
		sec = sec[:strings.Index(sec, "</details>")]
		if !regexp.MustCompile(`\n- … and [0-9]+ more \([0-9]+ added\)\n\n$`).MatchString(sec) {
			t.Errorf("section %s does not end with what it leaves out:\n...%s", src, sec[max(0, len(sec)-200):])
		}
	}
	if strings.Count(md, "<details>") != strings.Count(md, "</details>") {
		t.Error("unbalanced <details>")
	}

	// A small limit: the head stays, the details shrink to counts, and it still fits.
	buf.Reset()
	if err := p.WriteMarkdownLimit(&buf, 4000); err != nil {
		t.Fatal(err)
	}
	if buf.Len() > 4000 || !strings.Contains(buf.String(), "| pagerduty | 4800 | 200 | 0 |") || !strings.Contains(buf.String(), "Shortened to fit") {
		t.Errorf("%d bytes:\n%s", buf.Len(), buf.String())
	}
	// A plan that fits says nothing about shortening.
	buf.Reset()
	if err := bigWorld(t, 100).diff(t).WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Shortened") || strings.Contains(buf.String(), "more (") {
		t.Errorf("a small plan was shortened:\n%s", buf.String())
	}
}

// The changed entities' fields go before additions, and a changed entity whose fields do
// not fit is listed with a count of them.
func TestMarkdownCompactChanges(t *testing.T) {
	p := bigWorld(t, 10000).diff(t)
	var buf bytes.Buffer
	if err := p.WriteMarkdownLimit(&buf, 20000); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	if !strings.Contains(md, "(2 field changes not shown)") {
		t.Errorf("no compact changed entity:\n%s", md)
	}
	if !regexp.MustCompile(`field changes are not shown`).MatchString(md) {
		t.Errorf("the note does not count the hidden field changes")
	}
}

func TestMarkdownHeldBackAndCached(t *testing.T) {
	p := sample(t).diff(t)
	p.SetStatus("github", &SourceStatus{Failed: "GET https://api.github.com/orgs/acme/repos: 502", Kept: []string{"a", "b"}})
	p.SetStatus("unknown", &SourceStatus{Blocked: "would delete 1 of its 1 entities", Kept: []string{"user:default/lost"}})
	p.SetCached("declared", Cached{Fetched: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), AgeSeconds: 3*3600 + 5*60, Records: 1})
	var buf bytes.Buffer
	if err := p.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	md := buf.String()
	want := "### :warning: pane plan: `+1 ~1 -2`, source `github` FAILED, deletions from `unknown` BLOCKED\n\n" +
		"> [!CAUTION]\n> **Source `github` failed**: GET https://api.github.com/orgs/acme/repos: 502. Its 2 entities are kept as the branch has them.\n\n" +
		"> [!WARNING]\n> **Deletions from `unknown` blocked**: would delete 1 of its 1 entities. 1 entity kept as the branch has them.\n\n" +
		"> [!NOTE]\n> **Offline plan**: sources that need the network were not fetched; the records of the last compile stand in for them: `declared`: 1 record fetched 3h5m ago (2026-01-02T03:04:05Z).\n\n" +
		"| source | added | changed | deleted | status |\n|---|---:|---:|---:|---|\n" +
		"| declared | 0 | 1 | 0 | cached, 3h5m old |\n" +
		"| github | 1 | 1 | 1 | **failed** |\n" +
		"| unknown | 0 | 0 | 1 | **deletions blocked** |\n"
	if !strings.HasPrefix(md, want) {
		t.Errorf("markdown:\n%s\nwant it to start with:\n%s", md, want)
	}

	// An empty plan from the cache still says it was offline.
	buf.Reset()
	e := newWorld().diff(t)
	e.SetCached("github", Cached{Fetched: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), AgeSeconds: 59, Records: 3})
	if err := e.WriteMarkdown(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), "### pane plan: no changes\n") || !strings.Contains(buf.String(), "`github`: 3 records fetched 59s ago") {
		t.Errorf("empty offline markdown:\n%s", buf.String())
	}
}

func TestWriteTextColor(t *testing.T) {
	p := sample(t).diff(t)
	p.SetStatus("github", &SourceStatus{Failed: "boom"})
	p.SetCached("declared", Cached{Fetched: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), AgeSeconds: 3*86400 + 3600, Records: 2})
	var plain, color bytes.Buffer
	if err := p.WriteText(&plain); err != nil {
		t.Fatal(err)
	}
	if err := p.WriteTextColor(&color, true); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "\x1b[") {
		t.Errorf("plain text has escape codes:\n%q", plain.String())
	}
	for _, want := range []string{
		"\x1b[36moffline:\x1b[0m source declared from the record cache: 2 records fetched 3d1h ago (2026-01-02T03:04:05Z)\n",
		"\x1b[1;31m!\x1b[0m source github \x1b[1;31mFAILED\x1b[0m: boom\n",
		"\x1b[1mPlan for branch catalog:\x1b[0m \x1b[32m+1\x1b[0m \x1b[33m~1\x1b[0m \x1b[31m-2\x1b[0m (added, changed, deleted)\n",
		"  \x1b[32m+ group:default/Team-A\x1b[0m\n",
		"  \x1b[33m~ api:default/pay\x1b[0m\n",
		"  \x1b[31m- component:default/gone\x1b[0m\n",
	} {
		if !strings.Contains(color.String(), want) {
			t.Errorf("colored text lacks %q:\n%q", want, color.String())
		}
	}
	// Without the codes, the colored text is the plain text.
	if stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(color.String(), ""); stripped != plain.String() {
		t.Errorf("colored text without colors:\n%s\nplain:\n%s", stripped, plain.String())
	}
	f := FieldChange{Path: "spec.owner", Old: "a", New: "b"}
	if got := f.render(true); got != "spec.owner: \x1b[31m\"a\"\x1b[0m -> \x1b[32m\"b\"\x1b[0m" {
		t.Errorf("colored field = %q", got)
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second:                 "0s",
		45 * time.Second:             "45s",
		12*time.Minute + time.Second: "12m",
		3 * time.Hour:                "3h",
		3*time.Hour + 5*time.Minute:  "3h5m",
		47 * time.Hour:               "47h",
		50 * time.Hour:               "2d2h",
		72 * time.Hour:               "3d",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestBounded(t *testing.T) {
	if got := bounded("short"); got != "short" {
		t.Errorf("bounded(short) = %q", got)
	}
	long := strings.Repeat("a", 999) + "é" + strings.Repeat("b", 100)
	got := bounded(long)
	if !strings.HasSuffix(got, "…") || len(got) > 1000+len("…") || !utf8.ValidString(got) {
		t.Errorf("bounded(long) = %d bytes, valid %v, ends %q", len(got), utf8.ValidString(got), got[len(got)-8:])
	}
}
