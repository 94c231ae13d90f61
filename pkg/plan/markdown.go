package plan

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// CommentLimit is the most characters GitHub accepts in a pull request comment.
const CommentLimit = 65536

// MarkdownLimit is WriteMarkdown's bound: under CommentLimit, with room for what a CI
// step adds around the plan (a sticky-comment marker, a line of its own).
const MarkdownLimit = CommentLimit - 1536

// WriteMarkdown writes the plan for a pull request comment or a CI step summary, within
// MarkdownLimit.
func (p *Plan) WriteMarkdown(w io.Writer) error { return p.WriteMarkdownLimit(w, MarkdownLimit) }

// WriteMarkdownLimit writes the plan as Markdown in at most limit bytes (bytes bound
// GitHub's count of characters). First a headline with the counts, and what was held
// back (failed sources, blocked deletions) loud in it and right under it; a note when
// records came from the cache; a table per source; then, per source, collapsible
// details listing each entity and the fields that changed.
//
// When the details do not fit, deletions are kept first, then changes, then additions:
// what a reviewer must not miss. What is left out is counted, per source and at the end.
func (p *Plan) WriteMarkdownLimit(out io.Writer, limit int) error {
	var b strings.Builder
	p.markdown(&b, limit)
	s := b.String()
	if len(s) > limit {
		// Only a pathological head (thousands of sources) gets here: cut at a line.
		cut := strings.LastIndexByte(s[:max(limit-64, 0)], '\n')
		s = s[:cut+1] + "\n*(cut: too long for a comment)*\n"
	}
	_, err := io.WriteString(out, s)
	return err
}

func (p *Plan) markdown(b *strings.Builder, limit int) {
	held := p.HeldBack()
	if p.Empty() && len(held) == 0 {
		fmt.Fprintf(b, "### pane plan: no changes\n\nThe catalog on branch `%s` is up to date.\n", p.Branch)
		p.offlineNote(b, "\n")
		return
	}

	// The headline, with what was held back in it.
	var alarms []string
	for _, n := range held {
		if p.Sources[n].Failed != "" {
			alarms = append(alarms, fmt.Sprintf("source `%s` FAILED", mdCode(n)))
		}
		if p.Sources[n].Blocked != "" {
			alarms = append(alarms, fmt.Sprintf("deletions from `%s` BLOCKED", mdCode(n)))
		}
	}
	if len(alarms) > 0 {
		fmt.Fprintf(b, "### :warning: pane plan: `%s`, %s\n\n", p.Headline(), strings.Join(alarms, ", "))
	} else {
		fmt.Fprintf(b, "### pane plan: `%s`\n\n", p.Headline())
	}
	for _, n := range held {
		sc := p.Sources[n]
		if sc.Failed != "" {
			fmt.Fprintf(b, "> [!CAUTION]\n> **Source `%s` failed**: %s. Its %d entities are kept as the branch has them.\n\n", mdCode(n), mdEscape(bounded(sc.Failed)), len(sc.Kept))
		}
		if sc.Blocked != "" {
			fmt.Fprintf(b, "> [!WARNING]\n> **Deletions from `%s` blocked**: %s. %s kept as the branch has them.\n\n", mdCode(n), mdEscape(bounded(sc.Blocked)), count(len(sc.Kept), "entity", "entities"))
		}
	}
	p.offlineNote(b, "")

	// The table: a row per source.
	cached := p.CachedSources()
	status := len(held)+len(cached) > 0
	if status {
		b.WriteString("| source | added | changed | deleted | status |\n|---|---:|---:|---:|---|\n")
	} else {
		b.WriteString("| source | added | changed | deleted |\n|---|---:|---:|---:|\n")
	}
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		fmt.Fprintf(b, "| %s | %d | %d | %d |", mdEscape(n), len(sc.Added), len(sc.Changed), len(sc.Deleted))
		if status {
			var st []string
			if sc.Failed != "" {
				st = append(st, "**failed**")
			}
			if sc.Blocked != "" {
				st = append(st, "**deletions blocked**")
			}
			if sc.Cached != nil {
				st = append(st, "cached, "+Age(sc.Cached.Age())+" old")
			}
			fmt.Fprintf(b, " %s |", strings.Join(st, "; "))
		}
		b.WriteString("\n")
	}

	p.details(b, limit-b.Len())
}

// offlineNote says which sources were read from the record cache, and how old it is.
func (p *Plan) offlineNote(b *strings.Builder, before string) {
	cached := p.CachedSources()
	if len(cached) == 0 {
		return
	}
	var parts []string
	for _, n := range cached {
		parts = append(parts, fmt.Sprintf("`%s`: %s", mdCode(n), p.Sources[n].Cached.describe()))
	}
	fmt.Fprintf(b, "%s> [!NOTE]\n> **Offline plan**: sources that need the network were not fetched; the records of the last compile stand in for them: %s.\n\n", before, strings.Join(parts, "; "))
}

// mdItem is one entity's entry in a source's details.
type mdItem struct {
	op      Op
	full    string // with the field changes
	compact string // a changed entity without them ("" for the others)
	fields  int
	shown   string // what is written; "" when it is left out
}

// details writes a collapsible section per source within budget bytes.
func (p *Plan) details(b *strings.Builder, budget int) {
	fields := p.fieldsByRef()
	type section struct {
		name        string
		open, close string
		items       []*mdItem
	}
	var sections []*section
	total := map[Op]int{}
	for _, n := range p.sourceNames() {
		sc := p.Sources[n]
		if len(sc.Added)+len(sc.Changed)+len(sc.Deleted) == 0 {
			continue
		}
		s := &section{name: n,
			open:  fmt.Sprintf("\n<details><summary>%s</summary>\n\n", mdEscape(n)),
			close: "\n</details>\n"}
		for _, r := range sc.Added {
			s.items = append(s.items, &mdItem{op: Added, full: fmt.Sprintf("- added `%s`\n", r)})
		}
		for _, r := range sc.Changed {
			it := &mdItem{op: Changed, full: fmt.Sprintf("- changed `%s`\n", r), fields: len(fields[r])}
			if it.fields > 0 {
				it.compact = fmt.Sprintf("- changed `%s` (%s not shown)\n", r, count(it.fields, "field change", "field changes"))
			}
			for _, f := range fields[r] {
				it.full += fmt.Sprintf("  - `%s`\n", mdCode(f.String()))
			}
			s.items = append(s.items, it)
		}
		for _, r := range sc.Deleted {
			s.items = append(s.items, &mdItem{op: Deleted, full: fmt.Sprintf("- deleted `%s`\n", r)})
		}
		for _, it := range s.items {
			total[it.op]++
		}
		sections = append(sections, s)
	}

	// Reserve the frame: each section's tags and a line for what it leaves out, and
	// the closing note, written as if everything were left out (the longest they get).
	fieldTotal := 0
	for _, fs := range fields {
		fieldTotal += len(fs)
	}
	budget -= len(omittedNote(total[Added]+total[Changed]+total[Deleted], total, fieldTotal))
	for _, s := range sections {
		all := map[Op]int{}
		for _, it := range s.items {
			all[it.op]++
		}
		budget -= len(s.open) + len(s.close) + len(omittedLine(all))
	}

	// While they fit: every deletion; every change, by name; the fields of the changes;
	// the additions.
	fit := func(op Op, step func(it *mdItem) string) {
		for _, s := range sections {
			for _, it := range s.items {
				if it.op != op {
					continue
				}
				if next := step(it); next != it.shown && len(next)-len(it.shown) <= budget {
					budget -= len(next) - len(it.shown)
					it.shown = next
				}
			}
		}
	}
	full := func(it *mdItem) string { return it.full }
	fit(Deleted, full)
	fit(Changed, func(it *mdItem) string {
		if it.compact != "" {
			return it.compact
		}
		return it.full
	})
	fit(Changed, func(it *mdItem) string {
		if it.shown == "" {
			return "" // not listed at all: its fields alone are no use
		}
		return it.full
	})
	fit(Added, full)

	omitted, omittedFields := map[Op]int{}, 0
	for _, s := range sections {
		b.WriteString(s.open)
		left := map[Op]int{}
		for _, it := range s.items {
			switch {
			case it.shown == "":
				left[it.op]++
				omitted[it.op]++
				omittedFields += it.fields
			case it.shown == it.compact:
				omittedFields += it.fields
			}
			b.WriteString(it.shown)
		}
		b.WriteString(omittedLine(left))
		b.WriteString(s.close)
	}
	n := omitted[Added] + omitted[Changed] + omitted[Deleted]
	if n > 0 || omittedFields > 0 {
		b.WriteString(omittedNote(n, omitted, omittedFields))
	}
}

// omittedLine ends a source's list with what it leaves out: "- … and 12 more (10
// added, 2 changed)".
func omittedLine(left map[Op]int) string {
	n := left[Added] + left[Changed] + left[Deleted]
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("- … and %d more (%s)\n", n, opCounts(left))
}

// omittedNote closes a plan that did not fit: how many entity changes are not listed,
// and how many field changes of listed entities are not shown.
func omittedNote(n int, by map[Op]int, fields int) string {
	var what []string
	if n > 0 {
		what = append(what, fmt.Sprintf("%s not listed (%s)", count(n, "entity change is", "entity changes are"), opCounts(by)))
	}
	if fields > 0 {
		what = append(what, fmt.Sprintf("%s not shown", count(fields, "field change is", "field changes are")))
	}
	return fmt.Sprintf("\n> [!NOTE]\n> **Shortened to fit a comment**: %s. "+
		"Run `pane plan` for all of it, or `pane plan --format json` for tools.\n", strings.Join(what, ", and "))
}

func opCounts(by map[Op]int) string {
	var parts []string
	for _, op := range []Op{Added, Changed, Deleted} {
		if by[op] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", by[op], op))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// bounded cuts a message to a length a comment can afford.
func bounded(s string) string {
	const most = 1000
	if len(s) <= most {
		return s
	}
	cut := most
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "\n", " ").Replace(s)
}

func mdCode(s string) string { return strings.ReplaceAll(s, "`", "'") }
