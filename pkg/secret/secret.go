// Package secret holds credentials apart from configuration: a Ref names where a
// credential is (an environment variable or a file), and a Secret carries its value in a
// type that prints, formats, marshals and logs as "[redacted]", so that a credential that
// slips into an error, a log line or a plan output shows nothing.
package secret

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// redacted is what a Secret looks like everywhere but Reveal.
const redacted = "[redacted]"

// Ref names a credential; it is never the credential itself.
type Ref struct {
	Env  string `json:"env,omitempty"`  // an environment variable's name
	File string `json:"file,omitempty"` // a file's path; surrounding white space is trimmed
}

// String describes where the credential is, never what it is.
func (r Ref) String() string {
	switch {
	case r.Env != "" && r.File != "":
		return fmt.Sprintf("env %s and file %s", r.Env, r.File)
	case r.Env != "":
		return "env " + r.Env
	case r.File != "":
		return "file " + r.File
	}
	return "no secret reference"
}

// Resolve reads the credential. Exactly one of Env and File must be set; an unset or
// empty variable and an empty file are errors. Errors name the variable or the file,
// never the value.
func (r Ref) Resolve() (Secret, error) {
	switch {
	case r.Env != "" && r.File != "":
		return Secret{}, fmt.Errorf("secret names both env %q and file %q: use one", r.Env, r.File)
	case r.Env != "":
		v, ok := os.LookupEnv(r.Env)
		if !ok {
			return Secret{}, fmt.Errorf("environment variable %s is not set", r.Env)
		}
		if strings.TrimSpace(v) == "" {
			return Secret{}, fmt.Errorf("environment variable %s is empty", r.Env)
		}
		return New(v), nil
	case r.File != "":
		b, err := os.ReadFile(r.File)
		if err != nil {
			// The *PathError names the file and the cause; it never holds file contents.
			var pe *os.PathError
			if errors.As(err, &pe) {
				return Secret{}, fmt.Errorf("secret file %s: %v", r.File, pe.Err)
			}
			return Secret{}, fmt.Errorf("secret file %s: cannot read it", r.File)
		}
		// A trailing newline is an accident of editors and `echo`, not part of the token.
		v := strings.TrimSpace(string(b))
		if v == "" {
			return Secret{}, fmt.Errorf("secret file %s is empty", r.File)
		}
		return New(v), nil
	}
	return Secret{}, errors.New("secret reference names neither env nor file")
}

// Secret is a resolved credential. Its zero value is empty. Every way of printing it
// gives "[redacted]"; only Reveal gives the value.
//
// The value sits behind a pointer so that even fmt's reflection over a struct holding a
// Secret in an unexported field (where Format is not called) prints an address, not the
// value.
//
// A *string and not a pointer to a struct: fmt prints a pointer to a struct as &{...}
// when a verb does not fit it, but any other pointer as an address.
type Secret struct {
	p *string
}

func (s Secret) val() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// New wraps a value obtained some other way (a GitHub App installation token, a test).
func New(v string) Secret {
	if v == "" {
		return Secret{}
	}
	return Secret{p: &v}
}

// Reveal returns the value, for the one place that must send it.
func (s Secret) Reveal() string { return s.val() }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.val() == "" }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", for %#v.
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb, so no verb (%x, %d, %+v) can show the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		fmt.Fprintf(f, "%q", redacted)
		return
	}
	_, _ = f.Write([]byte(redacted))
}

// MarshalJSON returns the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText returns "[redacted]", which covers YAML, slog's text handler and map keys.
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// LogValue makes slog print "[redacted]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Redact replaces every occurrence of the value in text with "[redacted]". An empty
// secret redacts nothing.
func (s Secret) Redact(text string) string {
	v := s.val()
	if v == "" {
		return text
	}
	return strings.ReplaceAll(text, v, redacted)
}

// RedactAll applies Redact of every secret in turn, longest first, so that a secret that
// contains another is replaced whole.
func RedactAll(text string, secrets ...Secret) string {
	if len(secrets) == 0 {
		return text
	}
	ss := make([]Secret, len(secrets))
	copy(ss, secrets)
	// Insertion sort: the lists are a handful long.
	for i := 1; i < len(ss); i++ {
		for j := i; j > 0 && len(ss[j].val()) > len(ss[j-1].val()); j-- {
			ss[j], ss[j-1] = ss[j-1], ss[j]
		}
	}
	for _, s := range ss {
		text = s.Redact(text)
	}
	return text
}
