package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// The cases, in the order they run for each size.
const (
	CaseCold  = "cold"
	CaseNoop  = "warm-noop"
	CaseFull  = "warm-noop-full"
	CaseWarm1 = "warm-1pct"
	CaseOne   = "one-record"
	CaseCUE   = "baseline-cue"
	CaseJQ    = "baseline-gojq"
)

var caseLabels = map[string]string{
	CaseCold:  "cold",
	CaseNoop:  "warm no-op",
	CaseFull:  "warm no-op, no memo",
	CaseWarm1: "warm 1%",
	CaseOne:   "one record changed",
	CaseCUE:   "baseline: obvious CUE",
	CaseJQ:    "baseline: gojq",
}

// Row is one measured case at one size.
type Row struct {
	Case string `json:"case"`
	N    int    `json:"n"` // repositories generated
	// Records is the records the case covers: repositories + teams + users in the files.
	Records int `json:"records"`
	// Evaluated is how many records the obvious CUE baseline really mapped when sampled.
	Evaluated int `json:"evaluated,omitempty"`
	// Entities: files in the catalog (pane) or entities produced (baselines; sampled:
	// by the evaluated records).
	Entities int `json:"entities"`

	// WallMS is the case's wall time in milliseconds, measured in the child process from
	// the case's start (pane: before workspace.Load; baselines: before reading the files)
	// to its end (pane: the commit written; baselines: every entity decoded). For
	// one-record it is from the changed file's arrival to the commit, in a process that
	// has loaded the workspace and compiled once already. For a sampled baseline it is
	// extrapolated: read + map × records/evaluated.
	WallMS   float64 `json:"wall_ms"`
	LoadMS   float64 `json:"load_ms,omitempty"`   // workspace.Load
	PlanMS   float64 `json:"plan_ms,omitempty"`   // compile.Plan: fetch, map, validate, render, diff
	CommitMS float64 `json:"commit_ms,omitempty"` // compile.Commit
	ReadMS   float64 `json:"read_ms,omitempty"`   // baselines: reading and decoding the files
	MapMS    float64 `json:"map_ms,omitempty"`    // baselines: mapping (measured, not extrapolated)
	// CPUMS is user + system CPU time of the whole child process (rusage); for a sampled
	// baseline, with the mapping's CPU time extrapolated like WallMS.
	CPUMS float64 `json:"cpu_ms"`
	// MapCPUMS is the CPU time of a sampled baseline's mapping (measured).
	MapCPUMS float64 `json:"map_cpu_ms,omitempty"`
	// PeakRSS is the child process's peak resident set size in bytes: its VmHWM, which it
	// reports itself (rusage maxrss where that is unknown).
	PeakRSS int64 `json:"peak_rss_bytes"`

	Added     int    `json:"added,omitempty"`
	Changed   int    `json:"changed,omitempty"`
	Deleted   int    `json:"deleted,omitempty"`
	Committed bool   `json:"committed,omitempty"`
	Commit    string `json:"commit,omitempty"`

	// VsCUE and VsJQ are the baseline's wall time over this row's, at the same N: how
	// many times faster pane is than the baseline mapping the same records from scratch.
	VsCUE float64 `json:"vs_cue,omitempty"`
	VsJQ  float64 `json:"vs_gojq,omitempty"`
	// VsCUECPU and VsJQCPU are the same ratios of CPU time, steadier on a busy machine.
	VsCUECPU float64 `json:"vs_cue_cpu,omitempty"`
	VsJQCPU  float64 `json:"vs_gojq_cpu,omitempty"`

	// Load1 is the machine's 1-minute load average when the case started: other work on
	// the machine inflates wall times (cpu is steadier).
	Load1    float64 `json:"load1,omitempty"`
	Profiled bool    `json:"profiled,omitempty"` // ran with the CPU profiler on
	Note     string  `json:"note,omitempty"`
}

// RecordsPerSecond is Records over the wall time; 0 for one-record, whose point is
// latency.
func (r Row) RecordsPerSecond() float64 {
	if r.WallMS <= 0 || r.Case == CaseOne {
		return 0
	}
	return float64(r.Records) / (r.WallMS / 1000)
}

// Report is a whole run.
type Report struct {
	Seed       int64  `json:"seed"`
	GoVersion  string `json:"go"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUs       int    `json:"cpus"`
	Revision   string `json:"revision,omitempty"` // pane's VCS revision, when stamped
	Modified   bool   `json:"modified,omitempty"` // built from a tree with local changes
	Started    string `json:"started"`
	Rows       []Row  `json:"rows"`
}

var caseOrder = map[string]int{CaseCold: 0, CaseNoop: 1, CaseFull: 2, CaseWarm1: 3, CaseOne: 4, CaseCUE: 5, CaseJQ: 6}

// sortRows orders rows by size in the order sizes first appear, then pane's cases, then
// the baselines.
func sortRows(rows []Row) {
	first := map[int]int{}
	for i, r := range rows {
		if _, ok := first[r.N]; !ok {
			first[r.N] = i
		}
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if a, b := first[rows[i].N], first[rows[j].N]; a != b {
			return a < b
		}
		return caseOrder[rows[i].Case] < caseOrder[rows[j].Case]
	})
}

// fillRatios sets each pane row's ratios to the baselines of the same N.
func fillRatios(rows []Row) {
	type times struct{ wall, cpu float64 }
	base := map[string]map[int]times{CaseCUE: {}, CaseJQ: {}}
	for _, r := range rows {
		if m, ok := base[r.Case]; ok {
			m[r.N] = times{r.WallMS, r.CPUMS}
		}
	}
	div := func(a, b float64) float64 {
		if a <= 0 || b <= 0 {
			return 0
		}
		return a / b
	}
	for i := range rows {
		r := &rows[i]
		if _, ok := base[r.Case]; ok {
			continue
		}
		if b, ok := base[CaseCUE][r.N]; ok {
			r.VsCUE, r.VsCUECPU = div(b.wall, r.WallMS), div(b.cpu, r.CPUMS)
		}
		if b, ok := base[CaseJQ][r.N]; ok {
			r.VsJQ, r.VsJQCPU = div(b.wall, r.WallMS), div(b.cpu, r.CPUMS)
		}
	}
}

// Tabulate orders the rows (by size in order of appearance, pane's cases, then the
// baselines) and computes the ratios: Run does it, and it redoes it for rows joined from
// several reports.
func (rep *Report) Tabulate() {
	sortRows(rep.Rows)
	fillRatios(rep.Rows)
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

var columns = []string{"case", "N", "records", "wall", "records/s", "peak RSS", "cpu", "obvious CUE / pane", "gojq / pane"}

func (r Row) cells() []string {
	label := caseLabels[r.Case]
	if label == "" {
		label = r.Case
	}
	if r.Profiled {
		label += " (profiled)"
	}
	if r.Evaluated > 0 && r.Evaluated < r.Records {
		label += " *"
	}
	rps := "-"
	if v := r.RecordsPerSecond(); v > 0 {
		rps = thousands(int64(v + 0.5))
	}
	return []string{label, thousands(int64(r.N)), thousands(int64(r.Records)), duration(r.WallMS), rps,
		bytesIEC(r.PeakRSS), duration(r.CPUMS), ratios(r.VsCUE, r.VsCUECPU), ratios(r.VsJQ, r.VsJQCPU)}
}

// WriteText writes the table for a terminal, with the legend under it.
func (rep *Report) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "panebench: seed %d, %s %s/%s, GOMAXPROCS %d, %d CPUs%s\n\n", rep.Seed, rep.GoVersion, rep.GOOS, rep.GOARCH, rep.GOMAXPROCS, rep.CPUs, rep.revision())
	// Right-aligned numbers; the first column is padded to its width so it reads left.
	rows := [][]string{columns}
	for _, r := range rep.Rows {
		rows = append(rows, r.cells())
	}
	width := 0
	for _, c := range rows {
		width = max(width, utf8.RuneCountInString(c[0]))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i, c := range rows {
		if i > 1 && rep.Rows[i-1].N != rep.Rows[i-2].N {
			fmt.Fprintln(tw, strings.Repeat("\t", len(columns)))
		}
		c[0] += strings.Repeat(" ", width-utf8.RuneCountInString(c[0]))
		fmt.Fprintln(tw, strings.Join(c, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, item := range rep.legend() {
		fmt.Fprintln(w, wrap(item, 92))
	}
	return nil
}

// WriteMarkdown writes the table as Markdown, with the legend under it.
func (rep *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "seed %d, %s %s/%s, GOMAXPROCS %d, %d CPUs%s\n\n", rep.Seed, rep.GoVersion, rep.GOOS, rep.GOARCH, rep.GOMAXPROCS, rep.CPUs, rep.revision())
	fmt.Fprintln(w, "| "+strings.Join(columns, " | ")+" |")
	sep := make([]string, len(columns))
	for i := range sep {
		sep[i] = "---:"
	}
	sep[0] = "---"
	fmt.Fprintln(w, "|"+strings.Join(sep, "|")+"|")
	for _, r := range rep.Rows {
		fmt.Fprintln(w, "| "+strings.Join(r.cells(), " | ")+" |")
	}
	fmt.Fprintln(w)
	for _, item := range rep.legend() {
		fmt.Fprintln(w, "- "+item)
	}
	return nil
}

func (rep *Report) revision() string {
	if rep.Revision == "" {
		return ""
	}
	s := ", pane " + rep.Revision[:min(12, len(rep.Revision))]
	if rep.Modified {
		s += " (modified)"
	}
	return s
}

// legend explains the table, one item a paragraph.
func (rep *Report) legend() []string {
	items := []string{
		"records: repositories + teams + users. Each case runs in a child process of its own.",
		"wall: the child's time for the case: pane from workspace.Load to the commit written (compile.OpenTarget, Plan, Commit); baselines from reading the record files to every entity decoded, mapping only (no validation, merge, relations, rendering or git).",
		"one record changed: one repository's description; wall is from the changed record's arrival to the new commit, through compile.State (re-map that record, re-merge and re-render what it touches, commit the delta), in a process that compiled the whole org into a State first (as watch mode will); its peak RSS and cpu include that first compile.",
		"peak RSS: the child's maxrss; cpu: the child's user + system time (extrapolated, like wall, for a sampled baseline).",
		"X / pane: the baseline's wall time over this row's, same N (> 1: pane is faster), and in parentheses the same ratio of cpu times. For warm rows it is what a full remap by the baseline costs against pane's update; for one record changed, the cpu ratio counts the first compile too.",
		"Baselines use as many goroutines as pane (GOMAXPROCS); obvious CUE: one cue.Context per goroutine, ctx.CompileString(mapping + record) per record.",
	}
	busiest := 0.0
	for _, r := range rep.Rows {
		busiest = max(busiest, r.Load1)
	}
	if busiest > float64(rep.CPUs) {
		items = append(items, fmt.Sprintf("The machine was busy with other work (1-minute load average up to %.1f on %d CPUs): wall times are inflated; cpu times are the steadier measure.", busiest, rep.CPUs))
	}
	for _, r := range rep.Rows {
		if r.Note != "" {
			items = append(items, fmt.Sprintf("%s, N=%s: %s", caseLabels[r.Case], thousands(int64(r.N)), r.Note))
		}
	}
	return items
}

// wrap breaks s into lines of at most width columns, continuation lines indented.
func wrap(s string, width int) string {
	var b strings.Builder
	col := 0
	for i, w := range strings.Fields(s) {
		n := utf8.RuneCountInString(w)
		switch {
		case i == 0:
		case col+1+n > width:
			b.WriteString("\n  ")
			col = 2
		default:
			b.WriteByte(' ')
			col++
		}
		b.WriteString(w)
		col += n
	}
	return b.String()
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func duration(ms float64) string {
	switch {
	case ms <= 0:
		return "-"
	case ms < 10:
		return fmt.Sprintf("%.2f ms", ms)
	case ms < 1000:
		return fmt.Sprintf("%.0f ms", ms)
	case ms < 100000:
		return fmt.Sprintf("%.2f s", ms/1000)
	}
	return fmt.Sprintf("%.0f s", ms/1000)
}

func bytesIEC(n int64) string {
	switch {
	case n <= 0:
		return "-"
	case n < 1<<30:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// ratios shows a wall-time ratio with the CPU-time one after it.
func ratios(wall, cpu float64) string {
	if cpu <= 0 {
		return ratio(wall)
	}
	return ratio(wall) + " (" + ratio(cpu) + ")"
}

func ratio(x float64) string {
	switch {
	case x <= 0:
		return ""
	case x < 10:
		return fmt.Sprintf("%.2fx", x)
	case x < 1000:
		return fmt.Sprintf("%.0fx", x)
	}
	return thousands(int64(x+0.5)) + "x"
}
