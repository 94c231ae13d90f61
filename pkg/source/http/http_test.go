package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/transport"
)

const token = "pd_T0ken_s3cret"

// api is a fake JSON API over a list of records, paged in one of the styles.
type api struct {
	t       *testing.T
	records []any
	style   string // offset, page, cursor, link, none
	size    int
	wrap    string // the page is {wrap: [...], meta: ...}; "": the page is the array
	// override answers the n-th request (1-based) instead; return false to answer normally.
	override func(n int, w http.ResponseWriter, r *http.Request) bool

	mu   sync.Mutex
	reqs []*http.Request
}

func newRecords(n int) []any {
	var out []any
	for i := range n {
		out = append(out, map[string]any{"id": fmt.Sprintf("P%02d", i), "n": i, "score": float64(i) + 0.5})
	}
	return out
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.reqs = append(a.reqs, r.Clone(context.Background()))
	n := len(a.reqs)
	a.mu.Unlock()
	if a.override != nil && a.override(n, w, r) {
		return
	}
	q := r.URL.Query()
	atoi := func(k string, def int) int {
		if v := q.Get(k); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil {
				a.t.Errorf("bad %s=%q", k, v)
			}
			return i
		}
		return def
	}
	from, to := 0, len(a.records)
	var meta map[string]any
	switch a.style {
	case "offset":
		from = atoi("offset", 0)
		to = from + atoi("limit", 0)
	case "page":
		from = (atoi("page", 1) - 1) * atoi("per_page", 0)
		to = from + atoi("per_page", 0)
	case "cursor":
		if c := q.Get("cursor"); c != "" {
			from, _ = strconv.Atoi(strings.TrimPrefix(c, "c"))
		}
		to = from + a.size
		meta = map[string]any{"next": nil}
		if to < len(a.records) {
			meta["next"] = fmt.Sprintf("c%d", to)
		}
	case "link":
		p := atoi("p", 1)
		from = (p - 1) * a.size
		to = from + a.size
		if to < len(a.records) {
			u := *r.URL
			qq := u.Query()
			qq.Set("p", strconv.Itoa(p+1))
			u.RawQuery = qq.Encode()
			w.Header().Add("Link", `<`+u.String()+`>; rel="next", </x?p=99>; rel="last"`)
		}
	}
	from = min(max(from, 0), len(a.records))
	to = min(max(to, from), len(a.records))
	items := a.records[from:to]
	if items == nil {
		items = []any{}
	}
	var page any = items
	if a.wrap != "" {
		page = map[string]any{a.wrap: items, "meta": meta}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(page)
}

func (a *api) requests() []*http.Request {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.reqs)
}

type fetched struct {
	recs []source.Record
	err  error
}

func fetch(t *testing.T, cfg Config, cred secret.Secret, opts ...Option) fetched {
	t.Helper()
	// No real waiting in tests: retries and rate limits sleep through a fake.
	opts = append([]Option{func(o *transport.Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error { return ctx.Err() }
	}}, opts...)
	s, err := New("pd", cfg, cred, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var f fetched
	f.err = s.Fetch(context.Background(), func(r source.Record) error {
		f.recs = append(f.recs, r)
		return nil
	})
	return f
}

func keys(recs []source.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Key)
	}
	return out
}

func TestPaginationStyles(t *testing.T) {
	want := keys(func() []source.Record {
		var rs []source.Record
		for i := range 7 {
			rs = append(rs, source.Record{Key: fmt.Sprintf("P%02d", i)})
		}
		return rs
	}())
	tests := []struct {
		style    string
		wrap     string
		paginate *Paginate
		requests int // pages fetched, the final empty one included
	}{
		{"offset", "services", &Paginate{Offset: &OffsetPaging{Limit: 3}}, 4},
		{"page", "", &Paginate{Page: &PagePaging{Param: "page", Size: 3}}, 4},
		{"cursor", "data", &Paginate{Cursor: &CursorPaging{Field: "meta.next", Param: "cursor"}}, 3},
		{"link", "", &Paginate{Link: &LinkPaging{}}, 3},
		{"none", "", nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.style, func(t *testing.T) {
			a := &api{t: t, records: newRecords(7), style: tt.style, size: 3, wrap: tt.wrap}
			srv := httptest.NewServer(a)
			defer srv.Close()
			f := fetch(t, Config{BaseURL: srv.URL + "/api/", Resources: map[string]Resource{
				"service": {Path: "/services", Items: tt.wrap, Key: "id", Paginate: tt.paginate,
					Query: map[string]any{"include": []any{"teams", "escalation_policies"}, "total": false}},
			}}, secret.Secret{})
			if f.err != nil {
				t.Fatal(f.err)
			}
			if got := keys(f.recs); !slices.Equal(got, want) {
				t.Errorf("keys %v, want %v", got, want)
			}
			reqs := a.requests()
			if len(reqs) != tt.requests {
				t.Errorf("%d requests, want %d", len(reqs), tt.requests)
			}
			for _, r := range reqs {
				if r.URL.Path != "/api/services" || !slices.Equal(r.URL.Query()["include"], []string{"teams", "escalation_policies"}) || r.URL.Query().Get("total") != "false" {
					t.Errorf("request %s lacks the configured path and query", r.URL)
				}
			}
			r := f.recs[len(f.recs)-1]
			if r.Type != "service" || !strings.Contains(r.Where, srv.URL+"/api/services") || !strings.Contains(r.Where, fmt.Sprintf("page %d item ", min(3, tt.requests))) {
				t.Errorf("last record %+v", r)
			}
			// Numbers as CUE wants them: integers int64, the rest float64.
			d := r.Data.(map[string]any)
			if _, ok := d["n"].(int64); !ok {
				t.Errorf("n is %T, want int64", d["n"])
			}
			if _, ok := d["score"].(float64); !ok {
				t.Errorf("score is %T, want float64", d["score"])
			}
		})
	}
}

func TestOffsetAdvancesByWhatCame(t *testing.T) {
	// The server caps limit at 2 although 5 were asked: nothing may be skipped.
	a := &api{t: t, records: newRecords(5), style: "offset"}
	a.override = func(n int, w http.ResponseWriter, r *http.Request) bool {
		q := r.URL.Query()
		q.Set("limit", "2")
		r.URL.RawQuery = q.Encode()
		return false
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	f := fetch(t, Config{BaseURL: srv.URL, Resources: map[string]Resource{
		"service": {Path: "/s", Key: "id", Paginate: &Paginate{Offset: &OffsetPaging{Limit: 5, Param: "offset", LimitParam: "limit"}}},
	}}, secret.Secret{})
	if f.err != nil || len(f.recs) != 5 {
		t.Fatalf("%d records, %v", len(f.recs), f.err)
	}
}

func TestPageFailures(t *testing.T) {
	serve := func(body string) func(int, http.ResponseWriter, *http.Request) bool {
		return func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n != 2 {
				return false
			}
			io.WriteString(w, body)
			return true
		}
	}
	tests := []struct {
		name     string
		items    string
		override func(int, http.ResponseWriter, *http.Request) bool
		want     string
	}{
		{"500 mid-pagination", "services", func(n int, w http.ResponseWriter, r *http.Request) bool {
			if n < 2 {
				return false
			}
			http.Error(w, `{"error": "internal"}`, http.StatusInternalServerError)
			return true
		}, `page 2, GET http://.*/services\?limit=2&offset=2: 500 Internal Server Error: \{"error": "internal"\}$`},
		{"malformed JSON", "services", serve(`{"services": [{"id": "x"},]}`), `page 2, .*: malformed JSON: line 1, column 27: invalid character ']'`},
		{"trailing data", "services", serve(`{"services": []} {}`), `page 2, .*: malformed JSON: .*after the JSON value`},
		{"empty body", "services", serve(``), `page 2, .*: malformed JSON: the body is empty`},
		{"missing items", "services", serve(`{"data": [], "more": false}`), `page 2, .*: no "services" in the page, expected the records' array there \(fields present: data, more\)`},
		{"items not an array", "services", serve(`{"services": {"id": "x"}}`), `page 2, .*: "services" is an object, expected an array of records`},
		{"page not an object", "services", serve(`[{"id": "x"}]`), `page 2, .*: the page is an array, expected an object with "services"`},
		{"page not an array", "", serve(`{"id": "x"}`), `page 2, .*: the page is an object, expected an array of records`},
		{"nested items path", "data.list", serve(`{"data": 3}`), `page 2, .*: "data" is a number, expected an object with "list"`},
		{"missing key", "services", serve(`{"services": [{"name": "x"}]}`), `page 2, .*: item 0 has no key field "id"`},
		{"invalid key", "services", serve(`{"services": [{"id": true}]}`), `page 2, .*: item 0: key field "id": key is true, not a string or number`},
		{"empty key", "services", serve(`{"services": [{"id": ""}]}`), `page 2, .*: item 0: key field "id": key is empty`},
		{"item not an object", "services", serve(`{"services": ["x"]}`), `page 2, .*: item 0 is a string, expected an object`},
		{"duplicate key", "services", serve(`{"services": [{"id": "P01"}]}`), `page 2, .*: item 0: duplicate service key "P01" \(first at http://.*page 1 item 1\)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &api{t: t, records: newRecords(6), style: "offset", wrap: tt.items, override: tt.override}
			if tt.items == "data.list" {
				a.wrap = ""
				a.override = func(n int, w http.ResponseWriter, r *http.Request) bool {
					if n == 1 {
						io.WriteString(w, `{"data": {"list": [{"id": "a"}, {"id": "b"}]}}`)
						return true
					}
					return tt.override(n, w, r)
				}
			}
			srv := httptest.NewServer(a)
			defer srv.Close()
			retries := 1
			f := fetch(t, Config{BaseURL: srv.URL, Retries: &retries, Resources: map[string]Resource{
				"service": {Path: "/services", Items: tt.items, Key: "id", Paginate: &Paginate{Offset: &OffsetPaging{Limit: 2}}},
			}}, secret.Secret{})
			if f.err == nil {
				t.Fatalf("no error; %d records", len(f.recs))
			}
			msg := f.err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, `resource "service": page 2, GET `) || !matches(msg, tt.want) {
				t.Errorf("error:\n  %s\nwant it to match\n  %s", msg, tt.want)
			}
			if len(f.recs) != 2 && tt.name != "duplicate key" {
				t.Errorf("%d records before the failure, want page 1's 2", len(f.recs))
			}
		})
	}
}

func TestRetriedPageSucceeds(t *testing.T) {
	a := &api{t: t, records: newRecords(4), style: "offset", wrap: "services"}
	a.override = func(n int, w http.ResponseWriter, r *http.Request) bool {
		if n == 2 || n == 3 {
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		if n == 4 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	srv := httptest.NewServer(a)
	defer srv.Close()
	var waits []time.Duration
	f := fetch(t, Config{BaseURL: srv.URL, Resources: map[string]Resource{
		"service": {Path: "/services", Items: "services", Key: "id", Paginate: &Paginate{Offset: &OffsetPaging{Limit: 2}}},
	}}, secret.Secret{}, func(o *transport.Options) {
		o.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	})
	if f.err != nil || len(f.recs) != 4 {
		t.Fatalf("%d records, %v", len(f.recs), f.err)
	}
	if len(waits) != 3 || waits[2] != time.Second {
		t.Errorf("waits %v, want three, the last the 1s Retry-After asked", waits)
	}
}

func matches(s, pattern string) bool {
	ok, err := regexp.MatchString(pattern, s)
	return err == nil && ok
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	none := 0
	f := fetch(t, Config{BaseURL: srv.URL, Timeout: "30ms", Retries: &none, Resources: map[string]Resource{
		"service": {Path: "/services", Key: "id"},
	}}, secret.Secret{})
	if f.err == nil || !strings.Contains(f.err.Error(), "page 1, GET "+srv.URL+"/services: GET "+srv.URL+"/services: no response within 30ms") {
		t.Fatalf("error = %v", f.err)
	}
}

func TestMaxPages(t *testing.T) {
	a := &api{t: t, records: newRecords(10), style: "page"}
	srv := httptest.NewServer(a)
	defer srv.Close()
	f := fetch(t, Config{BaseURL: srv.URL, MaxPages: 3, Resources: map[string]Resource{
		"service": {Path: "/s", Key: "id", Paginate: &Paginate{Page: &PagePaging{Param: "page", Size: 2}}},
	}}, secret.Secret{})
	if f.err == nil || !strings.Contains(f.err.Error(), "page 3, GET ") || !strings.Contains(f.err.Error(), "more pages follow after maxPages (3)") {
		t.Fatalf("error = %v", f.err)
	}
	// Exactly maxPages pages is fine: 4 records in pages of 2, then the empty page.
	a.records = newRecords(4)
	f = fetch(t, Config{BaseURL: srv.URL, MaxPages: 3, Resources: map[string]Resource{
		"service": {Path: "/s", Key: "id", Paginate: &Paginate{Page: &PagePaging{Param: "page", Size: 2}}},
	}}, secret.Secret{})
	if f.err != nil || len(f.recs) != 4 {
		t.Fatalf("%d records, %v", len(f.recs), f.err)
	}
}

func TestPaginationLoops(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/cursor":
			fmt.Fprintf(w, `{"items": [{"id": %q}], "next": "same"}`, r.URL.Query().Get("c")+"x")
		case "/link":
			w.Header().Set("Link", `</link>; rel="next"`)
			io.WriteString(w, `[{"id": "a"}]`)
		case "/away":
			w.Header().Set("Link", `<http://elsewhere.example/x?token=abc>; rel="next"`)
			io.WriteString(w, `[{"id": "a"}]`)
		}
	}))
	defer srv.Close()
	for path, want := range map[string]string{
		"/cursor": `the next page is ` + srv.URL + `/cursor?c=same again: the API paginates in a loop`,
		"/link":   `the next page is ` + srv.URL + `/link again`,
		"/away":   `the Link header's rel="next" leads to http://elsewhere.example/x?token=%5Bredacted%5D, away from ` + srv.URL,
	} {
		p := &Paginate{Link: &LinkPaging{}}
		items := ""
		if path == "/cursor" {
			p, items = &Paginate{Cursor: &CursorPaging{Field: "next", Param: "c"}}, "items"
		}
		f := fetch(t, Config{BaseURL: srv.URL, Resources: map[string]Resource{"x": {Path: path, Items: items, Key: "id", Paginate: p}}}, secret.Secret{})
		if f.err == nil || !strings.Contains(f.err.Error(), want) {
			t.Errorf("%s: error = %v, want %q", path, f.err, want)
		}
	}
}

func TestCursorEnds(t *testing.T) {
	for _, next := range []string{`null`, `""`, `false`, `absent`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if next == "absent" {
				io.WriteString(w, `{"items": [{"id": 1}]}`)
				return
			}
			fmt.Fprintf(w, `{"items": [{"id": 1}], "meta": {"next": %s}}`, next)
		}))
		f := fetch(t, Config{BaseURL: srv.URL, Resources: map[string]Resource{"x": {Path: "/", Items: "items", Key: "id",
			Paginate: &Paginate{Cursor: &CursorPaging{Field: "meta.next", Param: "c"}}}}}, secret.Secret{})
		srv.Close()
		if f.err != nil || len(f.recs) != 1 || f.recs[0].Key != "1" {
			t.Errorf("next %s: %v, %v", next, f.recs, f.err)
		}
	}
}

// credLog records every header value a server receives.
type credLog struct {
	mu     sync.Mutex
	values []string
}

func (c *credLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		for k, vs := range r.Header {
			for _, v := range vs {
				c.values = append(c.values, k+": "+v)
			}
		}
		c.values = append(c.values, "URL: "+r.URL.String())
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (c *credLog) has(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, v := range c.values {
		if strings.Contains(v, s) {
			return true
		}
	}
	return false
}

func TestRedirectToAnotherHostDropsCredential(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte("me:" + token))
	for name, auth := range map[string]*Auth{
		"bearer": {Bearer: &BearerAuth{Secret: secret.Ref{Env: "X"}}},
		"basic":  {Basic: &BasicAuth{Username: "me", Secret: secret.Ref{Env: "X"}}},
		"header": {Header: &HeaderAuth{Name: "X-Api-Token", Value: "Token token=${secret}", Secret: secret.Ref{Env: "X"}}},
	} {
		t.Run(name, func(t *testing.T) {
			var away credLog
			other := httptest.NewServer(away.wrap(&api{t: t, records: newRecords(3), style: "none"}))
			defer other.Close()
			var home credLog
			base := httptest.NewServer(home.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
			})))
			defer base.Close()
			f := fetch(t, Config{BaseURL: base.URL, Auth: auth, Resources: map[string]Resource{
				"service": {Path: "/services", Key: "id"},
			}}, secret.New(token))
			if f.err != nil || len(f.recs) != 3 {
				t.Fatalf("%d records, %v", len(f.recs), f.err)
			}
			if !home.has(token) && !home.has(basic) {
				t.Error("the base host did not get the credential")
			}
			if away.has(token) || away.has(basic) {
				t.Errorf("the other host received the credential: %q", away.values)
			}
		})
	}
}

func TestSecretsNeverInErrors(t *testing.T) {
	// A server that echoes what it got, credential included, into its errors and pages.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/401":
			http.Error(w, "bad credential "+auth+" for "+r.Header.Get("X-Token"), http.StatusUnauthorized)
		case "/json":
			io.WriteString(w, `{"items": [`+auth+`]}`)
		case "/link":
			w.Header().Set("Link", `<https://evil.example/?`+auth+`>; rel="next"`)
			io.WriteString(w, `[{"id": 1}]`)
		case "/cursor":
			fmt.Fprintf(w, `{"items": [{"id": 1}], "next": {"token": %q}}`, auth)
		}
	}))
	defer srv.Close()
	var errs []string
	for _, path := range []string{"/401", "/json", "/link", "/cursor"} {
		for _, auth := range []*Auth{
			{Bearer: &BearerAuth{Secret: secret.Ref{Env: "X"}}},
			{Basic: &BasicAuth{Username: "u", Secret: secret.Ref{Env: "X"}}},
		} {
			p := &Paginate{Link: &LinkPaging{}}
			items := ""
			if path != "/link" {
				p, items = &Paginate{Cursor: &CursorPaging{Field: "next", Param: "c"}}, "items"
			}
			f := fetch(t, Config{BaseURL: srv.URL, Auth: auth, Resources: map[string]Resource{"x": {Path: path, Items: items, Key: "id", Paginate: p}}}, secret.New(token))
			if f.err == nil {
				t.Errorf("%s: no error", path)
				continue
			}
			errs = append(errs, f.err.Error())
			t.Log(f.err)
		}
	}
	all := strings.Join(errs, "\n")
	basic := base64.StdEncoding.EncodeToString([]byte("u:" + token))
	if strings.Contains(all, token) || strings.Contains(all, basic) || strings.Contains(all, basic[:20]) {
		t.Errorf("a secret leaked:\n%s", all)
	}
	if !strings.Contains(all, "[redacted]") {
		t.Errorf("nothing redacted, so nothing was tested:\n%s", all)
	}
}

func TestHeadersAndAuthSent(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		io.WriteString(w, `[]`)
	}))
	defer srv.Close()
	f := fetch(t, Config{BaseURL: srv.URL, Headers: map[string]string{"Accept": "application/vnd.pagerduty+json;version=2"},
		Auth:      &Auth{Header: &HeaderAuth{Name: "Authorization", Value: "Token token=${secret}", Secret: secret.Ref{Env: "PD"}}},
		Resources: map[string]Resource{"x": {Path: "/s", Key: "id"}}}, secret.New(token))
	if f.err != nil {
		t.Fatal(f.err)
	}
	if got.Get("Authorization") != "Token token="+token || got.Get("Accept") != "application/vnd.pagerduty+json;version=2" {
		t.Errorf("headers %v", got)
	}
}

func TestNewRejects(t *testing.T) {
	res := map[string]Resource{"x": {Path: "/x", Key: "id"}}
	bearer := &Auth{Bearer: &BearerAuth{Secret: secret.Ref{Env: "X"}}}
	tests := []struct {
		cfg  Config
		cred secret.Secret
		want string
	}{
		{Config{BaseURL: "ftp://h", Resources: res}, secret.Secret{}, "want http(s)://host"},
		{Config{BaseURL: "https://u:p@h", Resources: res}, secret.Secret{}, "no user, query or fragment"},
		{Config{BaseURL: "https://h?x=1", Resources: res}, secret.Secret{}, "no user, query or fragment"},
		{Config{BaseURL: "https://h"}, secret.Secret{}, "resources: none"},
		{Config{BaseURL: "https://h", Resources: map[string]Resource{"x": {Path: "x", Key: "id"}}}, secret.Secret{}, `must start with one "/"`},
		{Config{BaseURL: "https://h", Resources: map[string]Resource{"x": {Path: "//evil/x", Key: "id"}}}, secret.Secret{}, `must start with one "/"`},
		{Config{BaseURL: "https://h", Resources: map[string]Resource{"x": {Path: "/x?a=1", Key: "id"}}}, secret.Secret{}, "put query parameters in query"},
		{Config{BaseURL: "https://h", Resources: map[string]Resource{"x": {Path: "/x"}}}, secret.Secret{}, "key is empty"},
		{Config{BaseURL: "https://h", Resources: map[string]Resource{"x": {Path: "/x", Key: "id", Query: map[string]any{"a": map[string]any{}}}}}, secret.Secret{}, "query.a"},
		{Config{BaseURL: "https://h", Resources: map[string]Resource{"x": {Path: "/x", Key: "id", Paginate: &Paginate{Link: &LinkPaging{}, Page: &PagePaging{Param: "p", Size: 1}}}}}, secret.Secret{}, "set one of"},
		{Config{BaseURL: "https://h", Resources: map[string]Resource{"x": {Path: "/x", Key: "id", Paginate: &Paginate{Offset: &OffsetPaging{}}}}}, secret.Secret{}, "limit must be positive"},
		{Config{BaseURL: "https://h", Resources: res, Auth: &Auth{}}, secret.New("x"), "exactly one"},
		{Config{BaseURL: "https://h", Resources: res, Auth: bearer}, secret.Secret{}, "no secret was given"},
		{Config{BaseURL: "https://h", Resources: res, Auth: &Auth{Header: &HeaderAuth{Name: "X", Value: "v"}}}, secret.New("x"), "${secret}"},
		{Config{BaseURL: "https://h", Resources: res, Auth: &Auth{Header: &HeaderAuth{Name: "X Y", Value: "${secret}"}}}, secret.New("x"), "not a header name"},
		{Config{BaseURL: "https://h", Resources: res, Headers: map[string]string{"authorization": "Bearer x"}}, secret.Secret{}, "credentials go in auth"},
		{Config{BaseURL: "https://h", Resources: res, Timeout: "soon"}, secret.Secret{}, "timeout"},
	}
	for _, tt := range tests {
		_, err := New("s", tt.cfg, tt.cred)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) error = %v, want %q", tt.cfg, err, tt.want)
		}
	}
}

func TestSecretRef(t *testing.T) {
	ref := secret.Ref{Env: "PD_TOKEN"}
	for _, a := range []*Auth{{Bearer: &BearerAuth{Secret: ref}}, {Basic: &BasicAuth{Secret: ref}}, {Header: &HeaderAuth{Secret: ref}}} {
		if got, ok := (Config{Auth: a}).SecretRef(); !ok || got != ref {
			t.Errorf("SecretRef = %v, %v", got, ok)
		}
	}
	if _, ok := (Config{}).SecretRef(); ok {
		t.Error("no auth has a ref")
	}
}

func TestEmitErrorStops(t *testing.T) {
	a := &api{t: t, records: newRecords(3), style: "none"}
	srv := httptest.NewServer(a)
	defer srv.Close()
	s, err := New("pd", Config{BaseURL: srv.URL, Resources: map[string]Resource{"x": {Path: "/", Key: "id"}}}, secret.Secret{})
	if err != nil {
		t.Fatal(err)
	}
	stop := fmt.Errorf("stop")
	n := 0
	err = s.Fetch(context.Background(), func(source.Record) error { n++; return stop })
	if n != 1 || err == nil || !strings.Contains(err.Error(), "stop") {
		t.Errorf("n=%d err=%v", n, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Fetch(ctx, func(source.Record) error { return nil }); err == nil {
		t.Error("a cancelled fetch succeeded")
	}
}

func TestNextLink(t *testing.T) {
	for in, want := range map[string]string{
		`<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last"`: "https://a/x?page=2",
		`<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel=next`:   "https://a/x?page=3",
		`<https://a/x?p=2>; title="a, b; c"; rel="prefetch NEXT"`:            "https://a/x?p=2",
		`<https://a/x?p=2>; rel="last"`:                                      "",
		`garbage`:                                                            "",
		`<unterminated; rel=next`:                                            "",
		``:                                                                   "",
	} {
		got, ok := NextLink([]string{in})
		if got != want || ok != (want != "") {
			t.Errorf("NextLink(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if got, _ := NextLink([]string{`<a>; rel="last"`, `<b>; rel="next"`}); got != "b" {
		t.Errorf("NextLink over two header values = %q", got)
	}
}

func TestQueryValues(t *testing.T) {
	u, _ := url.Parse("https://h")
	s := &Source{base: u}
	got, err := s.firstURL(Resource{Path: "/x", Query: map[string]any{"b": []any{"1", int64(2), 2.5, true}, "a": "x y"}})
	if err != nil || got.String() != "https://h/x?a=x+y&b=1&b=2&b=2.5&b=true" {
		t.Errorf("firstURL = %v, %v", got, err)
	}
}
