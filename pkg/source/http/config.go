package http

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/transport"
)

// DefaultMaxPages bounds the pages of one resource when the config does not.
const DefaultMaxPages = 10000

// Config is an http source's configuration, as written under sources.NAME in pane.cue
// (#HTTPSource). It holds references to credentials, never credentials.
type Config struct {
	BaseURL   string              `json:"baseURL"` // scheme://host[:port][/path]; the credential goes to this host only
	Auth      *Auth               `json:"auth,omitempty"`
	Headers   map[string]string   `json:"headers,omitempty"` // extra request headers, not credentials (Accept, API versions)
	Resources map[string]Resource `json:"resources"`         // record type -> where those records are
	Timeout   string              `json:"timeout,omitempty"` // per attempt, a Go duration; default 30s
	RPS       float64             `json:"rps,omitempty"`     // requests per second; 0: no limit
	MaxBody   int64               `json:"maxBody,omitempty"` // bytes per response; default 64 MiB
	Retries   *int                `json:"retries,omitempty"` // retries after the first attempt; default 4
	MaxPages  int                 `json:"maxPages,omitempty"`
}

// Auth says how requests carry the credential. Exactly one field is set.
type Auth struct {
	Bearer *BearerAuth `json:"bearer,omitempty"`
	Basic  *BasicAuth  `json:"basic,omitempty"`
	Header *HeaderAuth `json:"header,omitempty"`
}

// BearerAuth sends "Authorization: Bearer SECRET".
type BearerAuth struct {
	Secret secret.Ref `json:"secret"`
}

// BasicAuth sends HTTP basic authentication with the secret as the password.
type BasicAuth struct {
	Username string     `json:"username"`
	Secret   secret.Ref `json:"secret"`
}

// HeaderAuth sends header Name with Value, in which "${secret}" stands for the secret:
// {name: "Authorization", value: "Token token=${secret}"}.
type HeaderAuth struct {
	Name   string     `json:"name"`
	Value  string     `json:"value"`
	Secret secret.Ref `json:"secret"`
}

// Resource is one record type: a path under BaseURL, paged through.
type Resource struct {
	Path     string         `json:"path"`               // under BaseURL's path, starting with "/"
	Query    map[string]any `json:"query,omitempty"`    // a string, number, bool, or a list of them (repeated)
	Items    string         `json:"items,omitempty"`    // dotted path to the records' array in a page; "": the page is the array
	Key      string         `json:"key"`                // dotted path to each record's stable key
	Paginate *Paginate      `json:"paginate,omitempty"` // nil: one request
}

// Paginate says how to get the next page. At most one field is set. Every style stops
// on an empty page.
type Paginate struct {
	Offset *OffsetPaging `json:"offset,omitempty"`
	Link   *LinkPaging   `json:"link,omitempty"`
	Cursor *CursorPaging `json:"cursor,omitempty"`
	Page   *PagePaging   `json:"page,omitempty"`
}

// OffsetPaging sends offset=N&limit=L, N advancing by the records each page held (not
// by L, so a server that caps L below what was asked loses nothing).
type OffsetPaging struct {
	Limit      int    `json:"limit"`
	Param      string `json:"param,omitempty"`      // default "offset"
	LimitParam string `json:"limitParam,omitempty"` // default "limit"
}

// LinkPaging follows the Link header's rel="next" (RFC 8288) until there is none.
type LinkPaging struct{}

// CursorPaging reads the next cursor from Field (a dotted path in the page) and sends it
// as Param; a missing, null or empty cursor ends the pages.
type CursorPaging struct {
	Field string `json:"field"`
	Param string `json:"param"`
}

// PagePaging sends Param=1, 2, 3, ... and SizeParam=Size.
type PagePaging struct {
	Param     string `json:"param"`
	Size      int    `json:"size"`
	SizeParam string `json:"sizeParam,omitempty"` // default "per_page"
	Start     *int   `json:"start,omitempty"`     // the first page's number; default 1
}

// SecretRef is the credential's reference, if the config has auth.
func (c Config) SecretRef() (secret.Ref, bool) {
	switch a := c.Auth; {
	case a == nil:
		return secret.Ref{}, false
	case a.Bearer != nil:
		return a.Bearer.Secret, true
	case a.Basic != nil:
		return a.Basic.Secret, true
	case a.Header != nil:
		return a.Header.Secret, true
	}
	return secret.Ref{}, false
}

// validate checks what CUE's schema cannot, or what a config made in Go may get wrong.
func (c *Config) validate() (*url.URL, error) {
	base, err := url.Parse(c.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("baseURL: %v", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" || base.Host == "" {
		return nil, fmt.Errorf("baseURL %q: want http(s)://host[/path]", transport.RedactURL(base))
	}
	if base.User != nil || base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("baseURL %q: no user, query or fragment (credentials go in auth)", transport.RedactURL(base))
	}
	if c.Auth != nil {
		n := 0
		for _, set := range []bool{c.Auth.Bearer != nil, c.Auth.Basic != nil, c.Auth.Header != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return nil, errors.New("auth: set exactly one of bearer, basic, header")
		}
		if h := c.Auth.Header; h != nil {
			if !validHeaderName(h.Name) {
				return nil, fmt.Errorf("auth.header.name %q is not a header name", h.Name)
			}
			if !strings.Contains(h.Value, "${secret}") {
				return nil, errors.New(`auth.header.value must contain ${secret}, where the secret goes`)
			}
		}
		if b := c.Auth.Basic; b != nil && strings.Contains(b.Username, ":") {
			return nil, errors.New("auth.basic.username must not contain a colon")
		}
	}
	for k := range c.Headers {
		if !validHeaderName(k) {
			return nil, fmt.Errorf("headers: %q is not a header name", k)
		}
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Proxy-Authorization", "Cookie", "Host":
			return nil, fmt.Errorf("headers: %s is not allowed here (credentials go in auth)", k)
		}
	}
	if c.Timeout != "" {
		d, err := time.ParseDuration(c.Timeout)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("timeout %q: want a positive duration such as \"30s\"", c.Timeout)
		}
	}
	if c.RPS < 0 || c.MaxBody < 0 || c.MaxPages < 0 || c.Retries != nil && *c.Retries < 0 {
		return nil, errors.New("rps, maxBody, maxPages and retries must not be negative")
	}
	if len(c.Resources) == 0 {
		return nil, errors.New("resources: none configured")
	}
	for _, name := range sortedKeys(c.Resources) {
		if err := c.Resources[name].validate(); err != nil {
			return nil, fmt.Errorf("resources.%s: %v", name, err)
		}
	}
	return base, nil
}

func (r Resource) validate() error {
	if !strings.HasPrefix(r.Path, "/") || strings.HasPrefix(r.Path, "//") {
		return fmt.Errorf("path %q must start with one \"/\": it is appended to baseURL", r.Path)
	}
	if u, err := url.Parse(r.Path); err != nil || u.Host != "" || u.Scheme != "" {
		return fmt.Errorf("path %q is not a path", r.Path)
	} else if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("path %q: put query parameters in query", r.Path)
	}
	if r.Key == "" {
		return errors.New("key is empty")
	}
	for k, v := range r.Query {
		if _, err := queryValues(v); err != nil {
			return fmt.Errorf("query.%s: %v", k, err)
		}
	}
	if p := r.Paginate; p != nil {
		n := 0
		for _, set := range []bool{p.Offset != nil, p.Link != nil, p.Cursor != nil, p.Page != nil} {
			if set {
				n++
			}
		}
		if n > 1 {
			return errors.New("paginate: set one of offset, link, cursor, page")
		}
		switch {
		case p.Offset != nil && p.Offset.Limit <= 0:
			return errors.New("paginate.offset.limit must be positive")
		case p.Cursor != nil && (p.Cursor.Field == "" || p.Cursor.Param == ""):
			return errors.New("paginate.cursor needs field and param")
		case p.Page != nil && (p.Page.Param == "" || p.Page.Size <= 0):
			return errors.New("paginate.page needs param and a positive size")
		}
	}
	return nil
}

// queryValues renders a query value: a scalar, or a list of scalars (the parameter
// repeated).
func queryValues(v any) ([]string, error) {
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, err := queryScalar(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, err := queryScalar(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func queryScalar(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case interface{ String() string }: // json.Number, *big.Int, CUE's decoded numbers
		return v.String(), nil
	}
	return "", fmt.Errorf("want a string, number, bool or a list of them, not %T", v)
}

func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c > 127 || !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}

// authFunc returns the transport's Auth and the strings that must never appear in a
// message: the secret and what it becomes on the wire.
func (c Config) authFunc(cred secret.Secret) (func(http.Header), []secret.Secret, error) {
	if c.Auth == nil {
		return nil, nil, nil
	}
	if cred.IsZero() {
		return nil, nil, errors.New("auth is configured but no secret was given")
	}
	v := cred.Reveal()
	switch a := c.Auth; {
	case a.Bearer != nil:
		h := "Bearer " + v
		return func(hd http.Header) { hd.Set("Authorization", h) }, []secret.Secret{cred, secret.New(h)}, nil
	case a.Basic != nil:
		enc := base64.StdEncoding.EncodeToString([]byte(a.Basic.Username + ":" + v))
		h := "Basic " + enc
		return func(hd http.Header) { hd.Set("Authorization", h) }, []secret.Secret{cred, secret.New(enc)}, nil
	case a.Header != nil:
		name, h := a.Header.Name, strings.ReplaceAll(a.Header.Value, "${secret}", v)
		return func(hd http.Header) { hd.Set(name, h) }, []secret.Secret{cred, secret.New(h)}, nil
	}
	return nil, nil, errors.New("auth: set exactly one of bearer, basic, header")
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
