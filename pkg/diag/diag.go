// Package diag holds pane's findings: problems tied to a place a user can open, printed
// one per line as "file:line:col: message" (or "source NAME, record KEY: message").
package diag

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// Severity says whether a finding fails the run.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Finding is one problem and where it is.
type Finding struct {
	Where    string // "file:line:col", "file:line", or a source/record description; may be empty
	Message  string
	Severity Severity
}

func (f Finding) String() string {
	msg := f.Message
	if f.Severity == Warning {
		msg = "warning: " + msg
	}
	if f.Where == "" {
		return msg
	}
	return f.Where + ": " + msg
}

// Error makes a Finding usable as an error.
func (f Finding) Error() string { return f.String() }

// List is a set of findings; as an error it prints one per line.
type List []Finding

func (l List) Error() string {
	s := make([]string, len(l))
	for i, f := range l {
		s[i] = f.String()
	}
	return strings.Join(s, "\n")
}

// Errors returns the findings that fail the run.
func (l List) Errors() List {
	var out List
	for _, f := range l {
		if f.Severity == Error {
			out = append(out, f)
		}
	}
	return out
}

// Sort orders findings by place, then message, so output is stable.
func (l List) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].Where != l[j].Where {
			return lessWhere(l[i].Where, l[j].Where)
		}
		return l[i].Message < l[j].Message
	})
}

// lessWhere compares "file:line:col" places numerically by line and column.
func lessWhere(a, b string) bool {
	fa, la, ca := splitWhere(a)
	fb, lb, cb := splitWhere(b)
	if fa != fb {
		return fa < fb
	}
	if la != lb {
		return la < lb
	}
	return ca < cb
}

func splitWhere(s string) (file string, line, col int) {
	parts := strings.Split(s, ":")
	nums := []int{}
	for len(parts) > 1 {
		var n int
		if _, err := fmt.Sscanf(parts[len(parts)-1], "%d", &n); err != nil {
			break
		}
		nums = append([]int{n}, nums...)
		parts = parts[:len(parts)-1]
	}
	file = strings.Join(parts, ":")
	if len(nums) > 0 {
		line = nums[0]
	}
	if len(nums) > 1 {
		col = nums[1]
	}
	return
}

// Pos formats a CUE position relative to root, as file:line:col.
func Pos(p token.Pos, root string) string {
	if !p.IsValid() {
		return ""
	}
	file := p.Filename()
	if root != "" {
		if rel, err := filepath.Rel(root, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			file = rel
		}
	}
	file = filepath.ToSlash(file)
	if p.Line() == 0 {
		return file
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line(), p.Column())
}

// FromCUE turns every error in a CUE error into a finding at its first position (relative
// to root), with the field path in the message. err.Error() would show only the first.
// prefix, if set, is put before each message.
func FromCUE(err error, root, prefix string) List {
	if err == nil {
		return nil
	}
	var out List
	seen := map[string]bool{}
	errs := cueerrors.Errors(err)
	for _, e := range errs {
		msg := CUEMessage(e)
		// "N errors in empty disjunction" only heads the errors that follow it.
		if len(errs) > 1 && strings.Contains(msg, "errors in empty disjunction") {
			continue
		}
		where := BestPos(cueerrors.Positions(e), root)
		if prefix != "" {
			msg = prefix + msg
		}
		key := where + "\x00" + msg
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Finding{Where: where, Message: msg})
	}
	if len(out) == 0 {
		out = append(out, Finding{Message: prefix + err.Error()})
	}
	return out
}

// BestPos picks the position to show for an error: the first one in a user's file under
// root, else the first valid one. Embedded schemas have names outside root.
func BestPos(ps []token.Pos, root string) string {
	first := ""
	for _, p := range ps {
		w := Pos(p, root)
		if w == "" {
			continue
		}
		if first == "" {
			first = w
		}
		if root != "" && !filepath.IsAbs(w) && !strings.Contains(strings.SplitN(w, ":", 2)[0], "pane:") && strings.HasPrefix(filepath.Clean(p.Filename()), root) {
			return w
		}
	}
	return first
}

// CUEMessage is a CUE error's text with its field path in front, and without the
// positions CUE appends (callers place those themselves).
func CUEMessage(e cueerrors.Error) string {
	format, args := e.Msg()
	msg := fmt.Sprintf(format, args...)
	if msg == "" {
		// A plain Go error promoted by cueerrors.Errors has an empty message of its own.
		msg = e.Error()
	}
	if path := e.Path(); len(path) > 0 {
		if strings.HasPrefix(path[0], "#") {
			path = path[1:] // the schema definition the value was checked against
		}
		if len(path) > 0 {
			msg = strings.Join(path, ".") + ": " + msg
		}
	}
	return msg
}
