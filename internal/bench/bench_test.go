package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/pane-dev/pane/internal/synth"
)

// TestMain lets the test binary stand in for cmd/panebench: Run re-executes it as a child.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == ChildFlag {
		os.Exit(Child(context.Background(), os.Args[2], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// TestRun runs the whole benchmark on a small org: every case in a child process, the
// checks each case makes of its outcome, sampling, the profile, and the report.
func TestRun(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(t.TempDir(), "cpu.pprof")
	cfg := Config{Sizes: []int{60}, Seed: 3, Mapping: exampleMapping(t), Exe: exe, CUESample: 40,
		CPUProfile: prof, ProfileCase: CaseWarm1, ProfileN: 60, Dir: t.TempDir(), Stderr: os.Stderr}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, r := range rep.Rows {
		cases = append(cases, r.Case)
	}
	if want := []string{CaseCold, CaseNoop, CaseFull, CaseWarm1, CaseOne, CaseCUE, CaseJQ}; !reflect.DeepEqual(cases, want) {
		t.Fatalf("cases %v, want %v", cases, want)
	}
	for _, r := range rep.Rows {
		if r.N != 60 || r.Records == 0 || r.WallMS <= 0 || r.CPUMS <= 0 {
			t.Errorf("%s: %+v", r.Case, r)
		}
		if runtime.GOOS == "linux" && r.PeakRSS <= 0 {
			t.Errorf("%s: no peak RSS", r.Case)
		}
		pane := r.Case != CaseCUE && r.Case != CaseJQ
		if pane != (r.VsCUE > 0 && r.VsJQ > 0) {
			t.Errorf("%s: ratios %v %v", r.Case, r.VsCUE, r.VsJQ)
		}
		if r.Profiled != (r.Case == CaseWarm1) {
			t.Errorf("%s: profiled %v", r.Case, r.Profiled)
		}
	}
	cue := rep.Rows[5]
	if cue.Evaluated == 0 || cue.Evaluated >= cue.Records || !strings.Contains(cue.Note, "sampled") {
		t.Errorf("obvious CUE not sampled: %+v", cue)
	}
	if runtime.GOOS == "linux" && (cue.MapCPUMS <= 0 || cue.CPUMS <= cue.MapCPUMS) {
		t.Errorf("obvious CUE: cpu %v, mapping cpu %v", cue.CPUMS, cue.MapCPUMS)
	}
	if st, err := os.Stat(prof); err != nil || st.Size() == 0 {
		t.Errorf("no CPU profile: %v", err)
	}

	var text, md, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, label := range caseLabels {
		if !strings.Contains(text.String(), label) || !strings.Contains(md.String(), "| "+label) {
			t.Errorf("%q missing from the tables:\n%s\n%s", label, text.String(), md.String())
		}
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Rows, rep.Rows) {
		t.Errorf("JSON does not round-trip:\n%s", js.String())
	}
}

func TestChangeOne(t *testing.T) {
	o := synth.Generate(5, 40)
	o.Repositories[20]["archived"] = true // skipped: archived repositories are not cataloged
	before, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	c, name, err := ChangeOne(o)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := json.Marshal(o)
	if !bytes.Equal(before, after) {
		t.Fatal("ChangeOne modified its input")
	}
	diff := 0
	for i := range o.Repositories {
		if !reflect.DeepEqual(o.Repositories[i], c.Repositories[i]) {
			diff++
			if c.Repositories[i]["full_name"] != name || c.Repositories[i]["archived"] == true {
				t.Errorf("changed %v, reported %s", c.Repositories[i]["full_name"], name)
			}
			if o.Repositories[i]["description"] == c.Repositories[i]["description"] {
				t.Error("description unchanged")
			}
		}
	}
	if diff != 1 || name == "" || name == o.Repositories[20]["full_name"] {
		t.Errorf("%d records changed (%s), want one that is not archived", diff, name)
	}
}

func TestRatiosAndOrder(t *testing.T) {
	rows := []Row{
		{Case: CaseCold, N: 10, WallMS: 100, CPUMS: 150},
		{Case: CaseCUE, N: 10, WallMS: 400, CPUMS: 600},
		{Case: CaseJQ, N: 10, WallMS: 50, CPUMS: 75},
		{Case: CaseWarm1, N: 10, WallMS: 20},          // no cpu: no cpu ratios
		{Case: CaseCold, N: 5, WallMS: 10, CPUMS: 10}, // no baselines at this size: no ratios
	}
	sortRows(rows)
	fillRatios(rows)
	type got struct {
		Case              string
		N                 int
		VsCUE, VsJQ       float64
		VsCUECPU, VsJQCPU float64
	}
	var g []got
	for _, r := range rows {
		g = append(g, got{r.Case, r.N, r.VsCUE, r.VsJQ, r.VsCUECPU, r.VsJQCPU})
	}
	want := []got{{CaseCold, 10, 4, 0.5, 4, 0.5}, {CaseWarm1, 10, 20, 2.5, 0, 0}, {CaseCUE, 10, 0, 0, 0, 0}, {CaseJQ, 10, 0, 0, 0, 0}, {CaseCold, 5, 0, 0, 0, 0}}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("got %v\nwant %v", g, want)
	}
}

func TestSampling(t *testing.T) {
	for _, c := range []struct{ total, limit, stride int }{
		{100, 0, 1}, {100, 100, 1}, {100, 200, 1}, {101, 100, 2}, {12400, 5000, 3}, {62000, 5000, 13},
	} {
		if got := sampleStride(c.total, c.limit); got != c.stride {
			t.Errorf("sampleStride(%d, %d) = %d, want %d", c.total, c.limit, got, c.stride)
		}
	}
	if got := extrapolate(100, 300, 1000, 3000); got != 1000 {
		t.Errorf("extrapolate = %v, want 1000 (read once, map x3)", got)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{thousands(0), "0"}, {thousands(999), "999"}, {thousands(1000), "1,000"}, {thousands(1234567), "1,234,567"}, {thousands(-1000), "-1,000"},
		{duration(0), "-"}, {duration(1.234), "1.23 ms"}, {duration(56.7), "57 ms"}, {duration(2500), "2.50 s"}, {duration(250000), "250 s"},
		{bytesIEC(0), "-"}, {bytesIEC(300 << 20), "300 MiB"}, {bytesIEC(3 << 29), "1.50 GiB"},
		{ratios(2, 0), "2.00x"}, {ratios(2, 1.5), "2.00x (1.50x)"}, {ratio(0), ""}, {ratio(3.14159), "3.14x"}, {ratio(42.4), "42x"}, {ratio(12345), "12,345x"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if rps := (Row{Case: CaseCold, Records: 500, WallMS: 250}).RecordsPerSecond(); rps != 2000 {
		t.Errorf("records/s %v", rps)
	}
	if rps := (Row{Case: CaseOne, Records: 500, WallMS: 250}).RecordsPerSecond(); rps != 0 {
		t.Errorf("one-record shows records/s %v: its point is latency", rps)
	}
}
