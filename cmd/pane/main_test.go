package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"pane": main})
}

// TestScripts runs the txtar scripts in testdata/script: each is a workspace, pane
// commands and what they must print. UPDATE_SCRIPTS=1 rewrites the expected output.
func TestScripts(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("the git binary is needed: the scripts check the catalog branch with it")
	}
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: os.Getenv("UPDATE_SCRIPTS") != "",
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"exits":       cmdExits,
			"fake-github": cmdFakeGitHub,
			"serve-json":  cmdServeJSON,
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("PROJECT", root)
			env.Setenv("GIT_CONFIG_NOSYSTEM", "1")
			env.Setenv("GIT_CONFIG_GLOBAL", filepath.Join(env.WorkDir, ".gitconfig-none"))
			env.Setenv("GIT_AUTHOR_NAME", "Test")
			env.Setenv("GIT_AUTHOR_EMAIL", "test@example.com")
			env.Setenv("GIT_COMMITTER_NAME", "Test")
			env.Setenv("GIT_COMMITTER_EMAIL", "test@example.com")
			env.Setenv("PANE_COMMIT_DATE", "2026-01-02T03:04:05Z")
			return nil
		},
	})
}

// cmdExits runs a command and checks its exit status: "exits 2 pane check". The
// status codes are part of pane's contract with CI.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE command [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// cmdServeJSON starts a loopback HTTP server for the rest of the script:
// "serve-json DIR [VAR]" serves the files under DIR and sets $VAR (default SERVER) to
// its URL. Files are read at each request, so the script can change the answers
// between commands.
//
// A request for /a/b with ?offset=N, ?page=N or ?cursor=C (the first of these present)
// gets DIR/a/b.offset-N.json (b.page-N.json, b.cursor-C.json); without them,
// DIR/a/b.json. A file FILE.status beside it holds a status code to answer with instead
// of 200, with FILE as the body if it exists. Anything else is a 404. Each request is
// appended to $WORK/serve-json.log as "GET /a/b?offset=0 auth=<Authorization header>".
func cmdServeJSON(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: serve-json DIR [VAR]")
	}
	root, err := os.OpenRoot(ts.MkAbs(args[0]))
	if err != nil {
		ts.Fatalf("serve-json: %v", err)
	}
	name := "SERVER"
	if len(args) == 2 {
		name = args[1]
	}
	logPath := ts.MkAbs("serve-json.log")
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "%s %s auth=%s\n", r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"))
			f.Close()
		}
		mu.Unlock()
		file := strings.Trim(r.URL.Path, "/")
		if file == "" {
			file = "index"
		}
		q := r.URL.Query()
		for _, p := range []string{"offset", "page", "cursor"} {
			if q.Has(p) {
				file += "." + p + "-" + q.Get(p)
				break
			}
		}
		file += ".json"
		status := http.StatusOK
		if b, err := root.ReadFile(file + ".status"); err == nil {
			if status, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
				http.Error(w, "bad status file "+file+".status", http.StatusInternalServerError)
				return
			}
		}
		body, err := root.ReadFile(file)
		if err != nil && status == http.StatusOK {
			http.Error(w, "no file "+file, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	ts.Defer(func() {
		srv.Close()
		root.Close()
	})
	ts.Setenv(name, srv.URL)
}
