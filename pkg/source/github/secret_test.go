package github

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pane-dev/pane/pkg/secret"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

// The token goes to the API's host only: a redirect to another host gets no
// Authorization, and the fake saw the token on its own requests.
func TestTokenOnlyToAPIHost(t *testing.T) {
	o := smallOrg()
	var mu sync.Mutex
	var leaked []string
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if a := r.Header.Get("Authorization"); a != "" {
			leaked = append(leaked, a)
		}
		mu.Unlock()
		// Serve the user GitHub would have.
		login := strings.TrimPrefix(r.URL.Path, "/users/")
		for _, u := range o.Users {
			if u["login"] == login {
				json.NewEncoder(w).Encode(u)
				return
			}
		}
		http.NotFound(w, r)
	}))
	defer other.Close()
	e := newEnv(t, githubtest.FromSynth(o), nil)
	login := o.Users[0]["login"].(string)
	e.srv.Inject(githubtest.Fault{Path: "users/" + login, Status: http.StatusFound, Location: other.URL + "/users/" + login})
	recs := e.mustFetch(e.source())
	if e.srv.Stats().Faults != 1 {
		t.Fatal("the redirect was not served")
	}
	if _, ok := byKey(recs, "user")[login]; !ok {
		t.Error("the redirected user is missing")
	}
	if len(leaked) > 0 {
		t.Errorf("the other host got Authorization: %q", leaked)
	}
	for _, r := range e.srv.Requests() {
		if r.Auth != "Bearer "+testToken {
			t.Fatalf("%s %s reached the API with Authorization %q", r.Method, r.Path, r.Auth)
		}
	}
}

// No credential in logs, errors or the cache, even when the server echoes it back.
func TestTokenNotInLogsOrErrors(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	e.mustFetch(e.source())
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/teams", Status: http.StatusUnauthorized,
		Body: `{"message":"Bad credentials: ` + testToken + `","documentation_url":"https://docs.github.com/rest"}`})
	_, err := e.fetch(e.source())
	if err == nil {
		t.Fatal("fetch succeeded on a 401")
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows the token: %v", err)
	}
	if !strings.Contains(err.Error(), "[redacted]") || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q: want the 401 with the token redacted", err)
	}
	if strings.Contains(e.logs.String(), testToken) {
		t.Error("the logs show the token")
	}
	filepath.WalkDir(e.cache, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), testToken) {
				t.Errorf("%s holds the token", p)
			}
		}
		return nil
	})
}

func TestCredentials(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "tok"), []byte(testToken+"\n"), 0o600)
	t.Setenv("PANE_TEST_GH_TOKEN", testToken)
	for name, tc := range map[string]struct {
		auth AuthConfig
		err  string
	}{
		"env":         {auth: AuthConfig{Token: &secret.Ref{Env: "PANE_TEST_GH_TOKEN"}}},
		"file":        {auth: AuthConfig{Token: &secret.Ref{File: "tok"}}},
		"unset":       {auth: AuthConfig{Token: &secret.Ref{Env: "PANE_TEST_UNSET_VARIABLE"}}, err: "auth.token: environment variable PANE_TEST_UNSET_VARIABLE is not set"},
		"none":        {err: "auth: set token"},
		"both":        {auth: AuthConfig{Token: &secret.Ref{Env: "X"}, App: &AppConfig{}}, err: "not both"},
		"missing key": {auth: AuthConfig{App: &AppConfig{ID: 1, Installation: 2, PrivateKey: secret.Ref{File: "nope.pem"}}}, err: "auth.app.privateKey: secret file"},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := Config{Auth: tc.auth}.Credentials(dir)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Token.Reveal() != testToken {
				t.Error("wrong token")
			}
		})
	}
}

// A GitHub App's installation token is exchanged for a signed JWT and then sent on
// every request, through ghinstallation as the go-github client's transport.
func TestAppAuth(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	c := newClock()
	org := githubtest.FromSynth(smallOrg())
	srv := githubtest.New(githubtest.Options{Now: c.Now}, org) // no token accepted: App only
	defer srv.Close()
	srv.AddApp(4242, 77, &key.PublicKey)
	e := &env{t: t, srv: srv, org: org, clock: c, cache: t.TempDir(), logs: newLogBuffer()}
	e.cfg = Config{Org: "initech", BaseURL: srv.URL}
	e.opts = Options{CacheDir: e.cache, Sleep: c.Sleep, Now: c.Now}
	recs := e.mustFetch(e.source(Credentials{AppID: 4242, Inst: 77, AppKey: secret.New(string(pemKey))}))
	if len(byKey(recs, "repository")) != 150 {
		t.Fatalf("%d repositories", len(byKey(recs, "repository")))
	}
	reqs := srv.Requests()
	if reqs[0].Method != "POST" || reqs[0].Path != "app/installations/77/access_tokens" || !strings.HasPrefix(reqs[0].Auth, "Bearer ey") {
		t.Fatalf("first request %+v, want the token exchange with a JWT", reqs[0])
	}
	exchanges := 0
	for _, r := range reqs {
		if r.Method == "POST" {
			exchanges++
			continue
		}
		if !strings.HasPrefix(r.Auth, "token ghs_") {
			t.Fatalf("%s sent Authorization %q, want the installation token", r.Path, r.Auth)
		}
	}
	if exchanges != 1 {
		t.Errorf("%d token exchanges, want 1", exchanges)
	}

	// The wrong installation: a clear failure that shows no key.
	_, err = e.fetch(e.source(Credentials{AppID: 4242, Inst: 78, AppKey: secret.New(string(pemKey))}))
	if err == nil || !strings.Contains(err.Error(), "installation") {
		t.Fatalf("error %v, want the installation named", err)
	}
	t.Log(err)
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Error("the error shows the key")
	}
	if _, err := New("x", e.cfg, Credentials{AppID: 1, Inst: 2, AppKey: secret.New("not a key")}, e.opts); err == nil ||
		!strings.Contains(err.Error(), "not an RSA private key") {
		t.Errorf("a bad key: %v", err)
	}
}

// A Link header to another host is not followed.
func TestLinkToOtherHostRefused(t *testing.T) {
	e := newEnv(t, githubtest.FromSynth(smallOrg()), nil)
	e.srv.Inject(githubtest.Fault{Path: "orgs/initech/teams", Status: http.StatusOK,
		Body: `[]`, Link: `<https://evil.example.com/orgs/initech/teams?page=2>; rel="next"`})
	_, err := e.fetch(e.source())
	if err == nil || !strings.Contains(err.Error(), "another host (evil.example.com)") {
		t.Fatalf("fetch error %v, want the link refused", err)
	}
}
