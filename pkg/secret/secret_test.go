package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testValue = "ghp_s3cr3tV4lue"

func TestResolveEnv(t *testing.T) {
	t.Setenv("PANE_TEST_TOKEN", testValue)
	s, err := Ref{Env: "PANE_TEST_TOKEN"}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if s.Reveal() != testValue {
		t.Fatalf("Reveal = %q", s.Reveal())
	}
}

func TestResolveFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(testValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Ref{File: p}.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if s.Reveal() != testValue {
		t.Fatalf("Reveal = %q (the trailing newline must go)", s.Reveal())
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte(" \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PANE_TEST_EMPTY", "")
	os.Unsetenv("PANE_TEST_UNSET")
	tests := []struct {
		ref  Ref
		want string
	}{
		{Ref{}, "neither env nor file"},
		{Ref{Env: "A", File: "b"}, "use one"},
		{Ref{Env: "PANE_TEST_UNSET"}, "PANE_TEST_UNSET is not set"},
		{Ref{Env: "PANE_TEST_EMPTY"}, "PANE_TEST_EMPTY is empty"},
		{Ref{File: empty}, empty + " is empty"},
		{Ref{File: filepath.Join(dir, "missing")}, filepath.Join(dir, "missing")},
	}
	for _, tt := range tests {
		t.Run(tt.ref.String(), func(t *testing.T) {
			_, err := tt.ref.Resolve()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Resolve() error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// A file that is not readable as a secret must not have its contents quoted: a
// directory, for one.
func TestResolveFileErrorHasNoContents(t *testing.T) {
	dir := t.TempDir()
	_, err := Ref{File: dir}.Resolve()
	if err == nil {
		t.Fatal("a directory resolved")
	}
}

type holder struct {
	Public  Secret
	private Secret
	Ptr     *Secret
}

func TestNeverPrinted(t *testing.T) {
	s := New(testValue)
	h := holder{Public: s, private: s, Ptr: &s}
	var outs []string
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%T"} {
		outs = append(outs, fmt.Sprintf(f, s), fmt.Sprintf(f, h), fmt.Sprintf(f, &h), fmt.Sprintf(f, []Secret{s}), fmt.Sprintf(f, map[string]Secret{"k": s}))
	}
	outs = append(outs, s.String(), s.GoString(), fmt.Sprint(s), fmt.Sprintln(s, h))
	b, _ := json.Marshal(h)
	outs = append(outs, string(b))
	b, _ = json.Marshal(map[string]any{"s": s, "p": &s})
	outs = append(outs, string(b))
	tb, _ := s.MarshalText()
	outs = append(outs, string(tb))
	var buf bytes.Buffer
	for _, hd := range []slog.Handler{slog.NewTextHandler(&buf, nil), slog.NewJSONHandler(&buf, nil)} {
		l := slog.New(hd)
		l.Info("msg", "secret", s, "holder", h, "ptr", &s)
		l.Info("msg", slog.Any("s", s), slog.Group("g", "s", s))
	}
	outs = append(outs, buf.String())
	for _, o := range outs {
		if strings.Contains(o, testValue) {
			t.Errorf("the testValue leaked: %s", o)
		}
	}
	if got := fmt.Sprintf("%v|%s|%q|%#v", s, s, s, s); got != `[redacted]|[redacted]|"[redacted]"|[redacted]` {
		t.Errorf("formats = %s", got)
	}
	if !strings.Contains(buf.String(), "[redacted]") {
		t.Errorf("slog output lacks [redacted]: %s", buf.String())
	}
}

func TestRedact(t *testing.T) {
	s := New("abc")
	if got := s.Redact("xabcyabc"); got != "x[redacted]y[redacted]" {
		t.Errorf("Redact = %q", got)
	}
	if got := (Secret{}).Redact("abc"); got != "abc" {
		t.Errorf("zero Redact = %q", got)
	}
	if !(Secret{}).IsZero() || New("").Reveal() != "" || s.IsZero() {
		t.Error("IsZero")
	}
	// The longer secret goes first, so no part of it remains.
	if got := RedactAll("token=abcdef", New("abc"), New("abcdef")); got != "token=[redacted]" {
		t.Errorf("RedactAll = %q", got)
	}
}
