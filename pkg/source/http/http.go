// Package http is the generic HTTP source: records fetched from any JSON API (PagerDuty,
// Opsgenie, Argo CD, internal services) with configuration alone. Each configured
// resource is a record type, read page by page (offset, RFC 8288 Link, cursor or page
// number). Requests go through pkg/transport, which binds the credential to baseURL's
// host, retries, limits the rate and bounds every response; anything unexpected in a
// page fails the whole fetch, never half of it.
package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source"
	"github.com/pane-dev/pane/pkg/transport"
)

// Source fetches records from a JSON HTTP API.
type Source struct {
	name     string
	cfg      Config
	base     *url.URL
	client   *http.Client
	secrets  []secret.Secret
	maxPages int
}

// Option adjusts the transport's options after the config's are applied; tests use it
// for a fake Sleep or an Observe hook.
type Option func(*transport.Options)

// New returns a source named name. cred is cfg.Auth's credential, resolved by the
// caller from cfg.SecretRef (zero when cfg has no auth); it is sent only to baseURL's
// scheme, host and port.
func New(name string, cfg Config, cred secret.Secret, opts ...Option) (*Source, error) {
	base, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	auth, secrets, err := cfg.authFunc(cred)
	if err != nil {
		return nil, err
	}
	to := transport.Options{
		BaseURL: base,
		Auth:    auth,
		RPS:     cfg.RPS,
		MaxBody: cfg.MaxBody,
	}
	if cfg.Timeout != "" {
		to.Timeout, _ = time.ParseDuration(cfg.Timeout) // validated
	}
	if cfg.Retries != nil {
		to.Retries = *cfg.Retries
		if to.Retries == 0 {
			to.Retries = -1 // the config's 0 means none; the transport's 0 means its default
		}
	}
	for _, o := range opts {
		o(&to)
	}
	to.Secrets = append(to.Secrets[:len(to.Secrets):len(to.Secrets)], secrets...) // after the options: none may drop them
	client := transport.NewClient(to)
	maxPages := cfg.MaxPages
	if maxPages == 0 {
		maxPages = DefaultMaxPages
	}
	return &Source{name: name, cfg: cfg, base: base, client: client, secrets: secrets, maxPages: maxPages}, nil
}

// Name returns the source's name.
func (s *Source) Name() string { return s.name }

// Fetch reads every resource, in sorted order, every page in turn. Any failure (a
// status that is not 2xx after retries, a page that is not what the config says, a
// duplicate key, too many pages) ends the fetch with an error: what was emitted before
// it is not the whole truth.
func (s *Source) Fetch(ctx context.Context, emit func(source.Record) error) error {
	for _, typ := range sortedKeys(s.cfg.Resources) {
		if err := s.fetchResource(ctx, typ, s.cfg.Resources[typ], emit); err != nil {
			return fmt.Errorf("resource %q: %w", typ, err)
		}
	}
	return nil
}

// pageError is a failure at one page; its message is free of secrets.
type pageError struct {
	msg   string
	cause error
}

func (e *pageError) Error() string { return e.msg }
func (e *pageError) Unwrap() error { return e.cause }

func (s *Source) fetchResource(ctx context.Context, typ string, res Resource, emit func(source.Record) error) error {
	u, err := s.firstURL(res)
	if err != nil {
		return err
	}
	seen := map[string]string{} // key -> where
	visited := map[string]bool{}
	offset := 0
	pageNum := 1
	if p := res.Paginate; p != nil && p.Page != nil && p.Page.Start != nil {
		pageNum = *p.Page.Start
	}
	for page := 1; ; page++ {
		where := fmt.Sprintf("page %d, GET %s", page, transport.RedactURL(u))
		fail := func(cause error, format string, args ...any) error {
			msg := where + ": " + fmt.Sprintf(format, args...)
			return &pageError{msg: secret.RedactAll(msg, s.secrets...), cause: cause}
		}
		visited[u.String()] = true
		body, hdr, err := s.get(ctx, u)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fail(err, "%v", err)
		}
		doc, err := DecodeJSON(body)
		if err != nil {
			return fail(err, "malformed JSON: %v", err)
		}
		items, err := Items(doc, res.Items)
		if err != nil {
			return fail(err, "%v", err)
		}
		recWhere := secret.RedactAll(transport.RedactURL(u), s.secrets...)
		for i, it := range items {
			if _, ok := it.(map[string]any); !ok {
				return fail(nil, "item %d is %s, expected an object (a record)", i, typeName(it))
			}
			kv, ok := source.Lookup(it, res.Key)
			if !ok {
				return fail(nil, "item %d has no key field %q", i, res.Key)
			}
			key, err := source.KeyString(kv)
			if err != nil {
				return fail(err, "item %d: key field %q: %v", i, res.Key, err)
			}
			w := fmt.Sprintf("%s, page %d item %d", recWhere, page, i)
			if prev, dup := seen[key]; dup {
				return fail(nil, "item %d: duplicate %s key %q (first at %s)", i, typ, key, prev)
			}
			seen[key] = w
			if err := emit(source.Record{Type: typ, Key: key, Data: it, Where: w}); err != nil {
				return err
			}
		}
		if len(items) == 0 {
			return nil
		}
		next, err := s.nextURL(res, u, hdr, doc, len(items), &offset, &pageNum)
		if err != nil {
			return fail(err, "%v", err)
		}
		if next == nil {
			return nil
		}
		if visited[next.String()] {
			return fail(nil, "the next page is %s again: the API paginates in a loop", transport.RedactURL(next))
		}
		if page >= s.maxPages {
			return fail(nil, "more pages follow after maxPages (%d): raise maxPages if the API is that big", s.maxPages)
		}
		u = next
	}
}

// firstURL is baseURL + path with the configured query and the first page's parameters.
func (s *Source) firstURL(res Resource) (*url.URL, error) {
	u := *s.base
	u.Path = strings.TrimSuffix(u.Path, "/") + res.Path
	u.RawPath = ""
	q := url.Values{}
	for _, k := range sortedKeys(res.Query) {
		vs, err := queryValues(res.Query[k])
		if err != nil {
			return nil, fmt.Errorf("query.%s: %v", k, err)
		}
		q[k] = vs
	}
	if p := res.Paginate; p != nil {
		switch {
		case p.Offset != nil:
			q.Set(orDefault(p.Offset.Param, "offset"), "0")
			q.Set(orDefault(p.Offset.LimitParam, "limit"), strconv.Itoa(p.Offset.Limit))
		case p.Page != nil:
			start := 1
			if p.Page.Start != nil {
				start = *p.Page.Start
			}
			q.Set(p.Page.Param, strconv.Itoa(start))
			q.Set(orDefault(p.Page.SizeParam, "per_page"), strconv.Itoa(p.Page.Size))
		}
	}
	u.RawQuery = q.Encode()
	return &u, nil
}

// nextURL is the next page's URL, or nil when there is none.
func (s *Source) nextURL(res Resource, cur *url.URL, hdr http.Header, doc any, n int, offset, pageNum *int) (*url.URL, error) {
	p := res.Paginate
	if p == nil {
		return nil, nil
	}
	with := func(param, value string) *url.URL {
		u := *cur
		q := u.Query()
		q.Set(param, value)
		u.RawQuery = q.Encode()
		return &u
	}
	switch {
	case p.Offset != nil:
		*offset += n
		return with(orDefault(p.Offset.Param, "offset"), strconv.Itoa(*offset)), nil
	case p.Page != nil:
		*pageNum++
		return with(p.Page.Param, strconv.Itoa(*pageNum)), nil
	case p.Cursor != nil:
		v, ok := source.Lookup(doc, p.Cursor.Field)
		if !ok || v == nil {
			return nil, nil
		}
		var c string
		switch v := v.(type) {
		case string:
			c = v
		case int64:
			c = strconv.FormatInt(v, 10)
		case float64:
			c = strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			if !v {
				return nil, nil // "has_more: false"-style cursors
			}
			return nil, fmt.Errorf("cursor field %q is true, expected a string or number", p.Cursor.Field)
		default:
			return nil, fmt.Errorf("cursor field %q is %s, expected a string or number", p.Cursor.Field, typeName(v))
		}
		if c == "" {
			return nil, nil
		}
		return with(p.Cursor.Param, c), nil
	case p.Link != nil:
		next, ok := NextLink(hdr.Values("Link"))
		if !ok {
			return nil, nil
		}
		u, err := cur.Parse(next)
		if err != nil {
			return nil, fmt.Errorf("the Link header's rel=\"next\" is not a URL: %v", err)
		}
		// The transport would strip the credential from another host; a next page
		// elsewhere is still not this source's data.
		if !sameOrigin(u, s.base) {
			return nil, fmt.Errorf("the Link header's rel=\"next\" leads to %s, away from %s://%s", transport.RedactURL(u), s.base.Scheme, s.base.Host)
		}
		return u, nil
	}
	return nil, nil
}

func (s *Source) get(ctx context.Context, u *url.URL) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, transport.CleanError(err, s.secrets...)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "pane")
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, nil, transport.CleanError(err, s.secrets...)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		msg := resp.Status
		if s := oneLine(string(snippet), 200); s != "" {
			msg += ": " + s
		}
		return nil, nil, errors.New(secret.RedactAll(msg, s.secrets...))
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, nil, transport.CleanError(err, s.secrets...)
	}
	return body, resp.Header, nil
}

func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		// Cut on a rune boundary.
		for max > 0 && (s[max]&0xC0) == 0x80 {
			max--
		}
		s = s[:max] + "…"
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sameOrigin compares scheme, host and port, default ports spelled out or not.
func sameOrigin(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}
