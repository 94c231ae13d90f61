package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pane-dev/pane/internal/synth"
	"github.com/pane-dev/pane/pkg/source/github/githubtest"
)

// fakeGitHubs are the fake GitHub APIs the scripts started, by script.
var fakeGitHubs sync.Map // *testscript.TestScript -> *githubtest.Server

// cmdFakeGitHub starts a fake GitHub API on loopback for the rest of the script, or
// reports on the one started:
//
//	fake-github [-cue FILE] ORGSPEC   serve an org; set $GITHUB_API to its API root
//	fake-github -stats                print "requests=N not_modified=N cost=N"
//	fake-github -reset-stats          zero the counts
//
// ORGSPEC is a directory recorded like testdata/github (repositories.json, teams.json,
// users.json, and files/REPO/PATH for the files on each repository's default branch),
// or synth:N for a synthetic org of N repositories. The fake accepts $GITHUB_TOKEN
// (set to a default token if unset). -cue FILE writes a config file of package pane
// that points sources.github.baseURL at the fake (the override a local.cue makes).
func cmdFakeGitHub(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("usage: fake-github [-cue FILE] ORGSPEC | -stats | -reset-stats")
	}
	fs := flag.NewFlagSet("fake-github", flag.ContinueOnError)
	cueFile := fs.String("cue", "", "write a config file pointing sources.github at the fake")
	stats := fs.Bool("stats", false, "print the request counts")
	reset := fs.Bool("reset-stats", false, "zero the request counts")
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("fake-github: %v", err)
	}
	if *stats || *reset {
		v, ok := fakeGitHubs.Load(ts)
		if !ok {
			ts.Fatalf("fake-github: no fake started")
		}
		srv := v.(*githubtest.Server)
		if *reset {
			srv.ResetStats()
			return
		}
		st := srv.Stats()
		fmt.Fprintf(ts.Stdout(), "requests=%d not_modified=%d cost=%d\n", st.Requests, st.NotModified, st.Requests-st.NotModified)
		return
	}
	if fs.NArg() != 1 {
		ts.Fatalf("usage: fake-github [-cue FILE] ORGSPEC")
	}
	spec := fs.Arg(0)
	var org *githubtest.Org
	if n, ok := strings.CutPrefix(spec, "synth:"); ok {
		repos, err := strconv.Atoi(n)
		if err != nil {
			ts.Fatalf("fake-github: %s: want synth:N", spec)
		}
		org = githubtest.FromSynth(synth.Generate(1, repos))
	} else {
		var err error
		if org, err = githubtest.LoadDir(ts.MkAbs(spec)); err != nil {
			ts.Fatalf("fake-github: %v", err)
		}
	}
	token := ts.Getenv("GITHUB_TOKEN")
	if token == "" {
		token = "ghs_ScriptDefaultToken0123456789abcdefgh"
		ts.Setenv("GITHUB_TOKEN", token)
	}
	srv := githubtest.New(githubtest.Options{Token: token}, org)
	fakeGitHubs.Store(ts, srv)
	ts.Defer(func() {
		fakeGitHubs.Delete(ts)
		srv.Close()
	})
	ts.Setenv("GITHUB_API", srv.URL)
	if *cueFile != "" {
		src := fmt.Sprintf("package pane\n\n// Written by fake-github: the fake GitHub API of this script.\nsources: github: baseURL: %q\n", srv.URL)
		if err := os.WriteFile(ts.MkAbs(*cueFile), []byte(src), 0o644); err != nil {
			ts.Fatalf("fake-github: %v", err)
		}
	}
}
