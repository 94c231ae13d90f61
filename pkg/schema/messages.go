package schema

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
)

// CUE's messages, and what pane says instead.
const (
	msgRequiredCUE   = "field is required but not present"
	msgRequired      = "required field is missing"
	msgNotAllowedCUE = "field not allowed"
)

// builtinDescriptions says in words what each built-in definition asks for. A value
// out of the bounds of one of these is explained with it instead of with a regular
// expression; a bound a workspace wrote itself is shown as written. Order matters: the
// first definition whose printed form holds the failing bound wins.
var builtinDescriptions = []struct{ def, text string }{
	{"#NonEmpty", "a non-empty string"},
	{"#Name", "1-63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit"},
	{"#LabelValue", `"" or 1-63 characters of [A-Za-z0-9-_.], starting and ending with a letter or digit`},
	{"#Namespace", "a DNS label: 1-63 characters of [a-z0-9-], starting and ending with a letter or digit"},
	{"#Kind", "a letter, then letters and digits, at most 63 characters"},
	{"#BackstageAPIVersion", `"backstage.io/v1alpha1" or "backstage.io/v1beta1"`},
	{"#APIVersion", "[prefix/]version: the prefix a DNS subdomain of at most 253 characters, the version 1-63 letters and digits"},
	{"#QualifiedKey", "[prefix/]name: the prefix a DNS subdomain of at most 253 characters, the name 1-63 characters of [A-Za-z0-9-_.] starting and ending with a letter or digit"},
	{"#Tag", "1-63 characters of [a-z0-9:+#], in words joined by single '-'"},
	{"#NonBlank", "more than white space"},
	{"#URL", "an absolute URL, such as https://example.com/path"},
	{"#KindedEntityRef", "an entity reference that names its kind, kind:[namespace/]name"},
	{"#EntityRef", "an entity reference [kind:][namespace/]name, each part a valid kind, namespace or name"},
	{"#RelationType", "letters, digits and '_'"},
}

type description struct {
	def     string
	printed string    // the definition as CUE prints it
	value   cue.Value // the definition, to tell whether a value satisfies it
	text    string
}

func describeBuiltins(v cue.Value) []description {
	var out []description
	for _, d := range builtinDescriptions {
		dv := v.LookupPath(cue.MakePath(cue.Def(d.def)))
		if !dv.Exists() {
			continue
		}
		out = append(out, description{def: d.def, printed: fmt.Sprint(dv), value: dv, text: d.text})
	}
	return out
}

// describe finds the built-in definition a failing bound belongs to.
func (s *Schemas) describe(bound string) (description, bool) {
	for _, d := range s.descs {
		if strings.Contains(d.printed, bound) {
			return d, true
		}
	}
	return description{}, false
}

var runesRE = regexp.MustCompile(`^strings\.(Max|Min)Runes\((\d+)\)$`)

// want is one thing a value failed to be.
type want struct {
	text    string       // "be ...", or "satisfy ..."
	literal string       // a literal alternative, as CUE prints it ("production")
	desc    *description // the built-in definition the failed bound belongs to
}

// explain turns the errors at one path into problems. The errors of a failed
// disjunction are said as one: must be A or B. A built-in bound that every literal
// alternative satisfies is not an alternative but a constraint they share (the
// apiVersion of a built-in kind is one of two values, and also any valid apiVersion),
// so it is left out.
func (c *collector) explain(path []string, disjunction bool, errs []rawError) []Problem {
	p := formatPath(path)
	if len(errs) == 0 {
		return nil
	}
	value, present := c.dataAt(path)
	var wants []want
	var others []string
	for _, e := range errs {
		switch strings.ReplaceAll(e.format, "%s", "%v") {
		case msgRequiredCUE:
			others = append(others, msgRequired)
		case msgNotAllowedCUE:
			others = append(others, c.notAllowed(path))
		case "invalid value %v (out of bound %v)":
			bound := fmt.Sprint(e.args[1])
			if d, ok := c.s.describe(bound); ok {
				wants = append(wants, want{text: "be " + d.text, desc: &d})
			} else {
				wants = append(wants, want{text: "satisfy " + bound})
			}
		case "invalid value %v (does not satisfy %v)":
			v := fmt.Sprint(e.args[1])
			if m := runesRE.FindStringSubmatch(v); m != nil {
				wants = append(wants, want{text: map[string]string{"Max": "be at most ", "Min": "be at least "}[m[1]] + m[2] + " characters long"})
			} else {
				wants = append(wants, want{text: "satisfy " + v})
			}
		case "conflicting values %v and %v":
			a, b := fmt.Sprint(e.args[0]), fmt.Sprint(e.args[1])
			switch {
			case present && a == value:
				wants = append(wants, want{text: "be " + b, literal: b})
			case present && b == value:
				wants = append(wants, want{text: "be " + a, literal: a})
			default:
				others = append(others, fmt.Sprintf(e.format, e.args...))
			}
		case "conflicting values %v and %v (mismatched types %v and %v)":
			a, b := fmt.Sprint(e.args[0]), fmt.Sprint(e.args[1])
			ka, kb := fmt.Sprint(e.args[2]), fmt.Sprint(e.args[3])
			switch {
			case present && a == value:
				wants = append(wants, want{text: "be of type " + kb})
			case present && b == value:
				wants = append(wants, want{text: "be of type " + ka})
			default:
				others = append(others, fmt.Sprintf(e.format, e.args...))
			}
		case "incomplete value %v":
			if !present {
				others = append(others, fmt.Sprintf("%s (want %v)", msgRequired, e.args[0]))
			} else {
				others = append(others, fmt.Sprintf(e.format, e.args...))
			}
		default:
			others = append(others, fmt.Sprintf(e.format, e.args...))
		}
	}
	var out []Problem
	if texts := c.wantTexts(wants, disjunction); len(texts) > 0 {
		sep := "; and "
		if disjunction {
			sep = " or "
		}
		// must be A or B, not must be A or be B.
		for i := 1; i < len(texts); i++ {
			if strings.HasPrefix(texts[i-1], "be ") {
				texts[i] = strings.TrimPrefix(texts[i], "be ")
			}
		}
		msg := "must " + strings.Join(texts, sep)
		if present {
			msg = "invalid value " + shorten(value) + ": " + msg
		}
		out = append(out, Problem{Path: p, Message: msg})
	}
	for _, o := range dedupe(others) {
		out = append(out, Problem{Path: p, Message: o})
	}
	return out
}

func (c *collector) wantTexts(wants []want, disjunction bool) []string {
	var literals []string
	for _, w := range wants {
		if w.literal != "" {
			literals = append(literals, w.literal)
		}
	}
	var texts []string
	for _, w := range wants {
		if disjunction && w.desc != nil && len(literals) > 0 && c.allSatisfy(literals, w.desc.value) {
			continue
		}
		texts = append(texts, w.text)
	}
	return dedupe(texts)
}

// allSatisfy reports whether every literal, as CUE prints it, satisfies def. Only
// string literals are tried.
func (c *collector) allSatisfy(literals []string, def cue.Value) bool {
	for _, l := range literals {
		s, err := strconv.Unquote(l)
		if err != nil {
			return false
		}
		if c.s.ctx.Encode(s).Unify(def).Validate(cue.Concrete(true)) != nil {
			return false
		}
	}
	return true
}

// notAllowed explains a field a closed struct does not allow.
func (c *collector) notAllowed(path []string) string {
	switch {
	case len(path) == 1:
		return "field not allowed: an entity has only apiVersion, kind, metadata, spec and relations at its root"
	case len(path) == 3 && path[0] == "metadata" && (path[1] == "labels" || path[1] == "annotations"):
		for _, d := range builtinDescriptions {
			if d.def == "#QualifiedKey" {
				return "invalid key: must be " + d.text
			}
		}
	}
	return "field not allowed"
}

// dataAt prints the entity's own value at path as CUE prints values, so it can be told
// apart from the schema's side of a conflict.
func (c *collector) dataAt(path []string) (string, bool) {
	sels := make([]cue.Selector, 0, len(path))
	for _, p := range path {
		if isIndex(p) {
			n, err := strconv.Atoi(p)
			if err != nil {
				return "", false
			}
			sels = append(sels, cue.Index(n))
			continue
		}
		sel := cue.ParsePath(p)
		if sel.Err() != nil || len(sel.Selectors()) != 1 {
			return "", false
		}
		sels = append(sels, sel.Selectors()[0])
	}
	v := c.data.LookupPath(cue.MakePath(sels...))
	if !v.Exists() {
		return "", false
	}
	return fmt.Sprint(v), true
}

// shorten keeps a message to one readable line however long the value is.
func shorten(s string) string {
	const max = 80
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + "…"
	}
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return s
}
