package compile

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/pane-dev/pane/pkg/diag"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/workspace"
)

// The record cache keeps what each source returned at its last successful fetch, so
// that `pane plan --offline` compiles without credentials and without the network: a
// pull request check compares the declared entities and the mappings of the branch with
// the records the last compile saw.
//
// One file per source, .pane/cache/records/<source>.json.gz: gzip'd JSON,
//
//	{"format": "pane-records-v1", "source": NAME, "fetched": RFC 3339, "count": N,
//	 "records": [{"type": T, "key": K, "where": W, "data": ...}, ...]}
//
// written to a temporary file and renamed, so a reader sees the old file or the new one,
// never half of one. Numbers keep their JSON kind: an integral float is written with a
// ".0", so that CUE sees the same int or float it saw when the records were fetched.

const recordsFormat = "pane-records-v1"

// RecordsDir is where a workspace keeps its record cache.
func RecordsDir(workspaceDir string) string {
	return filepath.Join(workspaceDir, ".pane", "cache", "records")
}

// CachedRecords describes the records an offline compile read for one source.
type CachedRecords struct {
	Fetched time.Time // when the records were fetched
	Records int
	Path    string // the cache file
}

var plainName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// recordsPath is the cache file of a source. A name that is not plain is escaped, so
// that no source name can reach outside the directory.
func recordsPath(dir, name string) string {
	if !plainName.MatchString(name) {
		name = "_" + fmt.Sprintf("%x", name)
	}
	return filepath.Join(dir, name+".json.gz")
}

// recordSaver writes sources' records in the background while the compile maps them.
type recordSaver struct {
	dir   string
	log   *slog.Logger
	now   func() time.Time
	local map[string]bool // file sources: offline reads them as always, so they are not saved
	wg    sync.WaitGroup
}

// newRecordSaver returns nil (which saves nothing) unless the compile fetches and has a
// record cache directory.
func newRecordSaver(ws *workspace.Workspace, opts Options, log *slog.Logger) *recordSaver {
	if opts.RecordsDir == "" || opts.Offline {
		return nil
	}
	s := &recordSaver{dir: opts.RecordsDir, log: log, now: time.Now, local: map[string]bool{}}
	if opts.Sources == nil {
		for n, sc := range ws.Config.Sources {
			s.local[n] = sc.Type == "file"
		}
	}
	return s
}

// save writes a source's records, fetched just now, in the background. The records are
// only read: mapping reads them at the same time.
func (s *recordSaver) save(name string, recs []source.Record) {
	if s == nil || s.local[name] {
		return
	}
	fetched := s.now().UTC().Truncate(time.Second)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := saveRecords(recordsPath(s.dir, name), name, fetched, recs); err != nil {
			s.log.Warn("records not cached: pane plan --offline will use older ones", "source", name, "err", err)
		}
	}()
}

// wait waits for the writes to finish.
func (s *recordSaver) wait() {
	if s != nil {
		s.wg.Wait()
	}
}

func saveRecords(path, name string, fetched time.Time, recs []source.Record) error {
	return writeAtomic(path, func(f io.Writer) error { return encodeRecords(f, name, fetched, recs) })
}

func encodeRecords(f io.Writer, name string, fetched time.Time, recs []source.Record) error {
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(zw, 256<<10)
	e := &recordEncoder{w: bw}
	e.raw(`{"format":`)
	e.str(recordsFormat)
	e.raw(`,"source":`)
	e.str(name)
	e.raw(`,"fetched":`)
	e.str(fetched.UTC().Format(time.RFC3339Nano))
	e.raw(`,"count":` + strconv.Itoa(len(recs)) + `,"records":[`)
	for i := range recs {
		r := &recs[i]
		if i > 0 {
			e.raw(",")
		}
		e.raw("\n" + `{"type":`)
		e.str(r.Type)
		e.raw(`,"key":`)
		e.str(r.Key)
		e.raw(`,"where":`)
		e.str(r.Where)
		e.raw(`,"data":`)
		e.value(r.Data, 0)
		e.raw("}")
	}
	e.raw("]}\n")
	if e.err != nil {
		return e.err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// recordEncoder writes decoded JSON back as JSON, keeping integral floats floats.
type recordEncoder struct {
	w   *bufio.Writer
	buf []byte
	err error
}

func (e *recordEncoder) raw(s string) {
	if e.err == nil {
		_, e.err = e.w.WriteString(s)
	}
}

func (e *recordEncoder) str(s string) {
	if e.err != nil {
		return
	}
	if !utf8.ValidString(s) {
		b, _ := json.Marshal(s) // replaces invalid bytes, as decoding did
		_, e.err = e.w.Write(b)
		return
	}
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain { // the common case: no escapes
		e.raw(`"`)
		e.raw(s)
		e.raw(`"`)
		return
	}
	const hex = "0123456789abcdef"
	b := append(e.buf[:0], '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	b = append(b, '"')
	e.buf = b
	_, e.err = e.w.Write(b)
}

func (e *recordEncoder) value(v any, depth int) {
	if e.err != nil {
		return
	}
	if depth > 10000 {
		e.err = fmt.Errorf("record nested more than 10000 deep")
		return
	}
	switch x := v.(type) {
	case nil:
		e.raw("null")
	case bool:
		e.raw(strconv.FormatBool(x))
	case string:
		e.str(x)
	case int:
		e.raw(strconv.Itoa(x))
	case int64:
		e.raw(strconv.FormatInt(x, 10))
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			e.err = fmt.Errorf("record holds %v, which JSON cannot", x)
			return
		}
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if x == math.Trunc(x) && !strings.ContainsAny(s, ".eE") {
			s += ".0"
		}
		e.raw(s)
	case json.Number:
		e.raw(string(x))
	case map[string]any:
		e.raw("{")
		first := true
		for k, val := range x {
			if !first {
				e.raw(",")
			}
			first = false
			e.str(k)
			e.raw(":")
			e.value(val, depth+1)
		}
		e.raw("}")
	case []any:
		e.raw("[")
		for i, val := range x {
			if i > 0 {
				e.raw(",")
			}
			e.value(val, depth+1)
		}
		e.raw("]")
	default:
		b, err := json.Marshal(x)
		if err != nil {
			e.err = fmt.Errorf("record holds a %T: %w", x, err)
			return
		}
		_, e.err = e.w.Write(b)
	}
}

type recordsFile struct {
	Format  string    `json:"format"`
	Source  string    `json:"source"`
	Fetched time.Time `json:"fetched"`
	Count   int       `json:"count"`
	Records []struct {
		Type  string `json:"type"`
		Key   string `json:"key"`
		Where string `json:"where"`
		Data  any    `json:"data"`
	} `json:"records"`
}

// loadRecords reads a source's cache file.
func loadRecords(path, name string) ([]source.Record, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 256<<10))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	dec := json.NewDecoder(zr)
	dec.UseNumber()
	var rf recordsFile
	if err := dec.Decode(&rf); err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil { // the gzip checksum is checked at the end
		return nil, time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case rf.Format != recordsFormat:
		return nil, time.Time{}, fmt.Errorf("%s: format %q, want %q", path, rf.Format, recordsFormat)
	case rf.Source != name:
		return nil, time.Time{}, fmt.Errorf("%s: holds source %q, not %q", path, rf.Source, name)
	case rf.Count != len(rf.Records):
		return nil, time.Time{}, fmt.Errorf("%s: %d records, the header says %d", path, len(rf.Records), rf.Count)
	}
	recs := make([]source.Record, len(rf.Records))
	for i, r := range rf.Records {
		recs[i] = source.Record{Type: r.Type, Key: r.Key, Where: r.Where, Data: source.Numbers(r.Data)}
	}
	return recs, rf.Fetched, nil
}

// cachedSource replays the records of the cache as a fetch.
type cachedSource struct {
	name string
	recs []source.Record
}

func (s *cachedSource) Name() string { return s.name }

func (s *cachedSource) Fetch(ctx context.Context, emit func(source.Record) error) error {
	for _, r := range s.recs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// offlineSources makes the sources of an offline compile. Sources that read files of
// the workspace (type "file") need no network and no credential: they are read as
// always, so a pull request that edits their records shows its effect. Every other
// source (those of opts.Sources too) is replaced by its cached records: it is not built,
// so no credential is read. A source with no cache, or an unreadable one, is an error
// naming it.
func offlineSources(ws *workspace.Workspace, opts Options) ([]source.Source, map[string]CachedRecords, diag.List) {
	var names []string
	var findings diag.List
	var out []source.Source
	if opts.Sources != nil {
		for _, s := range opts.Sources {
			names = append(names, s.Name())
		}
	} else {
		local := map[string]workspace.SourceConfig{}
		for n, sc := range ws.Config.Sources {
			if sc.Type == "file" {
				local[n] = sc
			} else {
				names = append(names, n)
			}
		}
		sort.Strings(names)
		if len(local) > 0 {
			cfg := *ws.Config
			cfg.Sources = local
			only := *ws
			only.Config = &cfg
			var found diag.List
			out, found = Sources(&only)
			findings = append(findings, found...)
		}
	}
	cached := map[string]CachedRecords{}
	for _, n := range names {
		where := "source " + n
		if sc, ok := ws.Config.Sources[n]; ok && sc.Where != "" {
			where = sc.Where
		}
		if opts.RecordsDir == "" {
			findings = append(findings, diag.Finding{Where: where, Message: fmt.Sprintf("source %q: offline, and no record cache directory is set", n)})
			continue
		}
		path := recordsPath(opts.RecordsDir, n)
		recs, fetched, err := loadRecords(path, n)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			findings = append(findings, diag.Finding{Where: where, Message: fmt.Sprintf(
				"source %q: no cached records for an offline plan (%s does not exist): run `pane compile` or `pane plan` once with access to the source, or restore .pane/cache from the last compile", n, path)})
			continue
		case err != nil:
			findings = append(findings, diag.Finding{Where: where, Message: fmt.Sprintf("source %q: cached records cannot be read (%v): run `pane plan` once with access to the source to rewrite them", n, err)})
			continue
		}
		out = append(out, &cachedSource{name: n, recs: recs})
		cached[n] = CachedRecords{Fetched: fetched, Records: len(recs), Path: path}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, cached, findings
}
