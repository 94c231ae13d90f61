package catalog

import (
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file writes the YAML that renderYAML gets from yaml.v3 (go.yaml.in/yaml/v3
// v3.0.6, indent 2, unlimited width), without building a node tree or running yaml.v3's
// event machine. It covers the documents toNode builds: block mappings and sequences,
// "{}" and "[]" for empty ones, and scalars written plain, single-quoted, double-quoted
// or as literal blocks by yaml.v3's own rules (ported below from emitterc.go's
// yaml_emitter_analyze_scalar and yaml_emitter_select_scalar_style, and resolve.go's
// resolve). What it does not cover it does not guess at: renderFast reports false and
// Render asks yaml.v3. That is every error (renderYAML words them), and values whose
// layout needs more of the emitter than is ported here:
//   - a mapping key yaml.v3 cannot write as a simple key: one with a line break, or
//     longer than 128 bytes (it writes "? key");
//   - a string with a line break other than LF (CR, NEL, U+2028, U+2029) that yaml.v3
//     would write single-quoted or as a literal block, where it breaks lines itself.
// TestRenderFastMatchesYAML and FuzzRenderFast hold the two paths to the same bytes.
//
// The output buffer is passed along and returned (b = em.plain(b, s)) rather than kept
// in the emitter: a slice stored through a pointer costs a GC write barrier on every
// append, about a quarter of the time while the collector runs.

// renderFast renders e and rels as Render does, or reports false for yaml.v3 to do it.
func renderFast(e Entity, rels []Relation) ([]byte, bool) {
	em := fastEmitter{whitespace: true, indention: true}
	return em.document(make([]byte, 0, 1024), e, rels)
}

// fastEmitter mirrors the part of yaml.v3's emitter state that decides where line breaks
// and spaces go: whitespace (the last thing written was whitespace), indention (only
// indentation and "-" since the last line break) and column. column counts bytes, not
// characters as yaml.v3 does; it is only ever compared while indention holds, when the
// line holds nothing but spaces and "-".
type fastEmitter struct {
	column     int
	whitespace bool
	indention  bool
}

const spaces = "                                                                "

func (em *fastEmitter) putBreak(b []byte) []byte {
	em.column = 0
	em.indention = true
	return append(b, '\n')
}

// writeIndent is yaml_emitter_write_indent (without comments).
func (em *fastEmitter) writeIndent(b []byte, indent int) []byte {
	if !em.indention || em.column > indent || (em.column == indent && !em.whitespace) {
		b = em.putBreak(b)
	}
	for em.column < indent {
		n := min(indent-em.column, len(spaces))
		b = append(b, spaces[:n]...)
		em.column += n
	}
	em.whitespace = true
	return b
}

// indicator is yaml_emitter_write_indicator.
func (em *fastEmitter) indicator(b []byte, s string, needWhitespace, isWhitespace, isIndention bool) []byte {
	if needWhitespace && !em.whitespace {
		b = append(b, ' ')
		em.column++
	}
	em.column += len(s)
	em.whitespace = isWhitespace
	em.indention = em.indention && isIndention
	return append(b, s...)
}

// document writes the root mapping: the entity without its relations key, and rels as
// relations, in toNode's order.
func (em *fastEmitter) document(b []byte, e Entity, rels []Relation) ([]byte, bool) {
	var buf [16]string
	keys := buf[:0]
	for _, k := range topOrder {
		if k == "relations" {
			if len(rels) > 0 {
				keys = append(keys, k)
			}
		} else if _, ok := e[k]; ok {
			keys = append(keys, k)
		}
	}
	keys = appendSortedRest(keys, e, topOrder)
	if len(keys) == 0 {
		b = em.emptyFlow(b, "{", "}")
	}
	ok := true
	for _, k := range keys {
		b = em.writeIndent(b, 0)
		if b, ok = em.key(b, k); !ok {
			return nil, false
		}
		if k == "relations" {
			b, ok = em.relations(b, rels, 2)
		} else {
			var order []string
			if k == "metadata" {
				order = metadataOrder
			}
			b, ok = em.value(b, e[k], order, 2)
		}
		if !ok {
			return nil, false
		}
	}
	return em.writeIndent(b, 0), true // document end
}

// appendSortedRest appends the keys of m that are not in order, sorted, as orderedKeys
// does.
func appendSortedRest(keys []string, m map[string]any, order []string) []string {
	rest := len(keys)
	for k := range m {
		if !slices.Contains(order, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys[rest:])
	return keys
}

// key writes a mapping key and its ':'.
func (em *fastEmitter) key(b []byte, k string) ([]byte, bool) {
	b, ok := em.str(b, k, 0, true)
	if !ok {
		return nil, false
	}
	return em.indicator(b, ":", false, false, false), true
}

// relations writes rels as toNode writes its relationItems.
func (em *fastEmitter) relations(b []byte, rels []Relation, indent int) ([]byte, bool) {
	ok := true
	for _, r := range rels {
		b = em.writeIndent(b, indent)
		b = em.indicator(b, "-", true, false, true)
		b = em.writeIndent(b, indent+2)
		b = em.plain(b, "type")
		b = em.indicator(b, ":", false, false, false)
		// Type and ref are ours, but nothing stops a caller handing in any string.
		if b, ok = em.str(b, r.Type, indent+4, false); !ok {
			return nil, false
		}
		b = em.writeIndent(b, indent+2)
		b = em.plain(b, "targetRef")
		b = em.indicator(b, ":", false, false, false)
		if plainRef(r.TargetRef) {
			b = em.plainRef(b, r.TargetRef)
		} else if b, ok = em.str(b, r.TargetRef.String(), indent+4, false); !ok {
			return nil, false
		}
	}
	return b, true
}

// plainRef reports whether r.String() can be written plain without looking at it: a
// kind starting with a letter and parts of [A-Za-z0-9._-] make a ref with no indicator,
// blank or break, that resolves to a string.
func plainRef(r Ref) bool {
	k := r.Kind
	return k != "" && (k[0] >= 'a' && k[0] <= 'z' || k[0] >= 'A' && k[0] <= 'Z') &&
		refPart(k) && refPart(r.Namespace) && refPart(r.Name)
}

func refPart(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// plainRef writes r.String() plain, without building the string; plainRef(r) holds.
func (em *fastEmitter) plainRef(b []byte, r Ref) []byte {
	b = append(b, ' ')
	b = appendLower(b, r.Kind)
	b = append(b, ':')
	b = appendLower(b, r.Namespace)
	b = append(b, '/')
	em.whitespace = false
	em.indention = false
	return append(b, r.Name...)
}

// appendLower appends s, of ASCII, in lower case, as strings.ToLower writes it.
func appendLower(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// value writes v, a mapping value or sequence item, whose own lines are indented by
// indent. It is toNode's type switch; order is the key order toNode would pass on.
func (em *fastEmitter) value(b []byte, v any, order []string, indent int) ([]byte, bool) {
	ok := true
	switch v := v.(type) {
	case map[string]any:
		return em.mapping(b, v, order, indent)
	case []any:
		if len(v) == 0 {
			return em.emptyFlow(b, "[", "]"), true
		}
		for _, x := range v {
			b = em.writeIndent(b, indent)
			b = em.indicator(b, "-", true, false, true)
			if b, ok = em.value(b, x, nil, indent+2); !ok {
				return nil, false
			}
		}
		return b, true
	case []string:
		if len(v) == 0 {
			return em.emptyFlow(b, "[", "]"), true
		}
		for _, x := range v {
			b = em.writeIndent(b, indent)
			b = em.indicator(b, "-", true, false, true)
			if b, ok = em.str(b, x, indent+2, false); !ok {
				return nil, false
			}
		}
		return b, true
	case string:
		return em.str(b, v, indent, false)
	case bool:
		if v {
			return em.plain(b, "true"), true
		}
		return em.plain(b, "false"), true
	case nil:
		return em.plain(b, "null"), true
	case int:
		var num [24]byte
		return em.plainBytes(b, strconv.AppendInt(num[:0], int64(v), 10)), true
	case int64:
		var num [24]byte
		return em.plainBytes(b, strconv.AppendInt(num[:0], v, 10)), true
	case uint64:
		var num [24]byte
		return em.plainBytes(b, strconv.AppendUint(num[:0], v, 10)), true
	case *big.Int:
		if v == nil {
			return nil, false // renderYAML panics on it, as Render always has
		}
		// In or out of 64 bits, yaml.v3 writes the digits plain (an out-of-range value
		// has no tag, an in-range one a tag that resolves away).
		var num [48]byte
		return em.plainBytes(b, v.Append(num[:0], 10)), true
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil, false // an error: renderYAML words it
		}
		var num [32]byte
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return em.plainBytes(b, strconv.AppendInt(num[:0], int64(v), 10)), true
		}
		s := strconv.AppendFloat(num[:0], v, 'g', -1, 64)
		if resolveTag(string(s)) != tagFloat {
			return nil, false // yaml.v3 would write a tag; never seen, but not ours to guess
		}
		return em.plainBytes(b, s), true
	}
	// An error, for renderYAML to word; or a relationItem, which only ever appears in
	// the relations list that document writes.
	return nil, false
}

func (em *fastEmitter) mapping(b []byte, m map[string]any, order []string, indent int) ([]byte, bool) {
	if len(m) == 0 {
		return em.emptyFlow(b, "{", "}"), true
	}
	var buf [16]string
	keys := buf[:0]
	for _, k := range order {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	keys = appendSortedRest(keys, m, order)
	ok := true
	for _, k := range keys {
		b = em.writeIndent(b, indent)
		if b, ok = em.key(b, k); !ok {
			return nil, false
		}
		var childOrder []string
		if len(order) > 0 && k == "metadata" {
			childOrder = metadataOrder
		}
		if b, ok = em.value(b, m[k], childOrder, indent+2); !ok {
			return nil, false
		}
	}
	return b, true
}

// emptyFlow writes an empty collection in flow style, as yaml.v3 does.
func (em *fastEmitter) emptyFlow(b []byte, open, close string) []byte {
	b = em.indicator(b, open, true, true, false)
	return em.indicator(b, close, false, false, false)
}

// plain writes a plain scalar that is known to need nothing else.
func (em *fastEmitter) plain(b []byte, s string) []byte {
	if len(s) > 0 && !em.whitespace {
		b = append(b, ' ')
		em.column++
	}
	em.column += len(s)
	em.whitespace = false
	em.indention = false
	return append(b, s...)
}

// plainBytes is plain for a number formatted into a scratch buffer.
func (em *fastEmitter) plainBytes(b, num []byte) []byte {
	if len(num) > 0 && !em.whitespace {
		b = append(b, ' ')
		em.column++
	}
	em.column += len(num)
	em.whitespace = false
	em.indention = false
	return append(b, num...)
}

// str writes a string scalar (a !!str node, literal style if it holds a line feed) in
// the style yaml.v3 picks. indent is the indentation of a literal block's lines.
func (em *fastEmitter) str(b []byte, s string, indent int, simpleKey bool) ([]byte, bool) {
	a, ok := analyzeScalar(s)
	if !ok {
		return nil, false // invalid UTF-8, an error: renderYAML words it
	}
	if simpleKey && (a.multiline || len(s) > 128) {
		return nil, false // yaml.v3 writes a complex key ("? ...")
	}
	if strings.IndexByte(s, '\n') >= 0 {
		// toNode asks for a literal block; simpleKey cannot get here.
		switch {
		case !a.blockAllowed:
			return em.doubleQuoted(b, s), true
		case a.otherBreaks:
			return nil, false
		}
		return em.literal(b, s, indent), true
	}
	switch {
	case resolveTag(s) != tagStr:
		return em.doubleQuoted(b, s), true // it would read back as something else
	case a.blockPlainAllowed:
		return em.plain(b, s), true
	case !a.singleQuotedAllowed:
		return em.doubleQuoted(b, s), true
	case a.multiline:
		return nil, false
	}
	return em.singleQuoted(b, s), true
}

// singleQuoted is yaml_emitter_write_single_quoted_scalar for a value with no line
// breaks and no need to fold.
func (em *fastEmitter) singleQuoted(b []byte, s string) []byte {
	b = em.indicator(b, "'", true, false, false)
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '\'')
		s = s[i+1:]
	}
	b = append(b, s...)
	return em.indicator(b, "'", false, false, false)
}

const hexDigits = "0123456789ABCDEF"

// doubleQuoted is yaml_emitter_write_double_quoted_scalar with unlimited width (no
// folding), in unicode mode.
func (em *fastEmitter) doubleQuoted(b []byte, s string) []byte {
	b = em.indicator(b, `"`, true, false, false)
	// yaml.v3's is_bom looks at the start of the value, not at i: a value that starts
	// with a BOM has every character escaped.
	bom := strings.HasPrefix(s, "\uFEFF")
	for i := 0; i < len(s); {
		c := s[i]
		if !bom && c >= 0x20 && c <= 0x7E && c != '"' && c != '\\' {
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] <= 0x7E && s[j] != '"' && s[j] != '\\' {
				j++
			}
			b = append(b, s[i:j]...)
			i = j
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if !bom && c >= 0x80 && isPrintable(s, i) && !isBreak(s, i) {
			b = append(b, s[i:i+w]...)
			i += w
			continue
		}
		i += w
		b = append(b, '\\')
		switch r {
		case 0x00:
			b = append(b, '0')
		case 0x07:
			b = append(b, 'a')
		case 0x08:
			b = append(b, 'b')
		case 0x09:
			b = append(b, 't')
		case 0x0A:
			b = append(b, 'n')
		case 0x0b:
			b = append(b, 'v')
		case 0x0c:
			b = append(b, 'f')
		case 0x0d:
			b = append(b, 'r')
		case 0x1b:
			b = append(b, 'e')
		case 0x22:
			b = append(b, '"')
		case 0x5c:
			b = append(b, '\\')
		case 0x85:
			b = append(b, 'N')
		case 0xA0:
			b = append(b, '_')
		case 0x2028:
			b = append(b, 'L')
		case 0x2029:
			b = append(b, 'P')
		default:
			var digits int
			switch {
			case r <= 0xFF:
				b, digits = append(b, 'x'), 2
			case r <= 0xFFFF:
				b, digits = append(b, 'u'), 4
			default:
				b, digits = append(b, 'U'), 8
			}
			for k := (digits - 1) * 4; k >= 0; k -= 4 {
				b = append(b, hexDigits[(r>>uint(k))&0x0F])
			}
		}
	}
	return em.indicator(b, `"`, false, false, false)
}

// literal is yaml_emitter_write_literal_scalar for a value whose only line breaks are
// line feeds.
func (em *fastEmitter) literal(b []byte, s string, indent int) []byte {
	b = em.indicator(b, "|", true, false, false)
	// Block scalar hints: an indentation indicator when the first line starts with a
	// space or is empty; chomping by how many line feeds end the value.
	if s[0] == ' ' || s[0] == '\n' {
		b = em.indicator(b, "2", false, false, false) // the best indent
	}
	switch n := len(s); {
	case s[n-1] != '\n':
		b = em.indicator(b, "-", false, false, false)
	case n == 1 || s[n-2] == '\n':
		b = em.indicator(b, "+", false, false, false)
	}
	b = em.putBreak(b)
	em.whitespace = true
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i != 0 {
			line := s
			if i > 0 {
				line = s[:i]
			}
			b = em.writeIndent(b, indent)
			b = append(b, line...)
			em.column += len(line)
			em.indention = false
			if i < 0 {
				return b
			}
		}
		b = em.putBreak(b)
		s = s[i+1:]
	}
	return b
}

// scalarAnalysis is what yaml_emitter_analyze_scalar finds out about a value, for a
// block context (flow styles are only used here for empty collections).
type scalarAnalysis struct {
	multiline           bool // any line break: LF, CR, NEL, LS, PS
	otherBreaks         bool // a line break other than LF
	blockPlainAllowed   bool
	singleQuotedAllowed bool
	blockAllowed        bool
}

// analyzeScalar is yaml_emitter_analyze_scalar in unicode mode. It reports false for
// invalid UTF-8.
func analyzeScalar(s string) (scalarAnalysis, bool) {
	if len(s) == 0 {
		return scalarAnalysis{blockPlainAllowed: true, singleQuotedAllowed: true}, true
	}
	if a, ok := analyzeASCII(s); ok {
		return a, true
	}
	if !utf8.ValidString(s) {
		return scalarAnalysis{}, false
	}
	return analyzeAny(s), true
}

// analyzeASCII is analyzeAny for the common case, a non-empty value of printable ASCII
// and line feeds, in one quick pass; it reports false for anything else.
func analyzeASCII(s string) (scalarAnalysis, bool) {
	var blockIndicators, lineBreaks, breakSpace, spaceBreak bool
	// What came before s[i]: a space, a line feed, or something else.
	const other, space, lf = 0, 1, 2
	prev := lf // only matters for '#', which is an indicator at the start anyway
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > ' ' && c < 0x7F && c != ':' && c != '#' {
			prev = other
			continue
		}
		switch c {
		case ' ':
			if prev == lf && i > 0 {
				breakSpace = true
			}
			prev = space
		case '\n':
			lineBreaks = true
			if prev == space {
				spaceBreak = true
			}
			prev = lf
		case ':':
			if i+1 == len(s) || s[i+1] == ' ' {
				blockIndicators = true
			}
			prev = other
		case '#':
			if prev != other {
				blockIndicators = true
			}
			prev = other
		default:
			return scalarAnalysis{}, false
		}
	}
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		blockIndicators = true
	case '?', '-':
		if len(s) == 1 || s[1] == ' ' {
			blockIndicators = true
		}
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockIndicators = true
	}
	leading := s[0] == ' ' || s[0] == '\n'
	trailingSpace := s[len(s)-1] == ' '
	trailing := trailingSpace || s[len(s)-1] == '\n'
	return scalarAnalysis{
		multiline:           lineBreaks,
		blockPlainAllowed:   !(leading || trailing || breakSpace || spaceBreak || lineBreaks || blockIndicators),
		singleQuotedAllowed: !(breakSpace || spaceBreak),
		blockAllowed:        !(trailingSpace || spaceBreak),
	}, true
}

// analyzeAny is yaml_emitter_analyze_scalar, for a non-empty value of valid UTF-8.
func analyzeAny(s string) scalarAnalysis {
	var (
		blockIndicators, lineBreaks, otherBreaks, special, tabs  bool
		leadingSpace, leadingBreak, trailingSpace, trailingBreak bool
		breakSpace, spaceBreak, previousSpace, previousBreak     bool
	)
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		blockIndicators = true
	}
	precededByWhitespace := true
	for i, w := 0, 0; i < len(s); i += w {
		c := s[i]
		w = utf8Width(c)
		followedByWhitespace := i+w >= len(s) || s[i+w] == ' ' || s[i+w] == '\t'
		if i == 0 {
			switch c {
			case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
				blockIndicators = true
			case '?', ':', '-':
				if followedByWhitespace {
					blockIndicators = true
				}
			}
		} else {
			switch c {
			case ':':
				if followedByWhitespace {
					blockIndicators = true
				}
			case '#':
				if precededByWhitespace {
					blockIndicators = true
				}
			}
		}
		if c == '\t' {
			tabs = true
		} else if !isPrintable(s, i) {
			special = true
		}
		switch {
		case c == ' ':
			if i == 0 {
				leadingSpace = true
			}
			if i+w == len(s) {
				trailingSpace = true
			}
			if previousBreak {
				breakSpace = true
			}
			previousSpace, previousBreak = true, false
		case isBreak(s, i):
			lineBreaks = true
			if c != '\n' {
				otherBreaks = true
			}
			if i == 0 {
				leadingBreak = true
			}
			if i+w == len(s) {
				trailingBreak = true
			}
			if previousSpace {
				spaceBreak = true
			}
			previousSpace, previousBreak = false, true
		default:
			previousSpace, previousBreak = false, false
		}
		precededByWhitespace = isBlankz(s, i)
	}
	return scalarAnalysis{
		multiline:   lineBreaks,
		otherBreaks: otherBreaks,
		blockPlainAllowed: !(leadingSpace || leadingBreak || trailingSpace || trailingBreak ||
			breakSpace || spaceBreak || tabs || special || lineBreaks || blockIndicators),
		singleQuotedAllowed: !(breakSpace || spaceBreak || tabs || special),
		blockAllowed:        !(trailingSpace || spaceBreak || special),
	}
}

func utf8Width(c byte) int {
	switch {
	case c&0x80 == 0:
		return 1
	case c&0xE0 == 0xC0:
		return 2
	case c&0xF0 == 0xE0:
		return 3
	}
	return 4
}

// isPrintable is yaml.v3's is_printable: it counts U+0085 and C1 controls, U+FEFF,
// U+FFFE, U+FFFF and everything past U+FFFF as not printable.
func isPrintable(s string, i int) bool {
	c := s[i]
	return c == 0x0A ||
		(c >= 0x20 && c <= 0x7E) ||
		(c == 0xC2 && s[i+1] >= 0xA0) ||
		(c > 0xC2 && c < 0xED) ||
		(c == 0xED && s[i+1] < 0xA0) ||
		c == 0xEE ||
		(c == 0xEF && !(s[i+1] == 0xBB && s[i+2] == 0xBF) && !(s[i+1] == 0xBF && (s[i+2] == 0xBE || s[i+2] == 0xBF)))
}

// isBreak is yaml.v3's is_break: CR, LF, NEL, LS, PS.
func isBreak(s string, i int) bool {
	c := s[i]
	return c == '\r' || c == '\n' ||
		(c == 0xC2 && s[i+1] == 0x85) ||
		(c == 0xE2 && s[i+1] == 0x80 && (s[i+2] == 0xA8 || s[i+2] == 0xA9))
}

// isBlankz is yaml.v3's is_blankz: a blank, a break or NUL.
func isBlankz(s string, i int) bool {
	c := s[i]
	return c == ' ' || c == '\t' || c == 0 || isBreak(s, i)
}

// The tags resolveTag tells apart.
const (
	tagStr = iota
	tagNull
	tagBool
	tagInt
	tagFloat
	tagTimestamp
	tagMerge
)

// yamlStyleFloat is yaml.v3's pattern for floats it reads without a tag.
var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolveTag is yaml.v3's resolve for an untagged plain scalar: the tag it would read
// back with. A !!str value that resolves to anything else is written double-quoted.
func resolveTag(s string) int {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE":
		return tagBool
	case "", "~", "null", "Null", "NULL":
		return tagNull
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return tagFloat
	case "<<":
		return tagMerge
	}
	switch c := s[0]; {
	case c == '.':
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return tagFloat
		}
		return tagStr
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		return resolveNumber(s)
	}
	// Other first characters are either in the table above or never resolve.
	return tagStr
}

// resolveNumber is resolve's int, float and timestamp branch, in its order.
func resolveNumber(s string) int {
	if isTimestamp(s) {
		return tagTimestamp
	}
	plain := strings.ReplaceAll(s, "_", "")
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return tagInt
	}
	if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
		return tagInt
	}
	if yamlStyleFloat.MatchString(plain) {
		if _, err := strconv.ParseFloat(plain, 64); err == nil {
			return tagFloat
		}
	}
	if rest, ok := strings.CutPrefix(plain, "0b"); ok {
		if _, err := strconv.ParseInt(rest, 2, 64); err == nil {
			return tagInt
		}
		if _, err := strconv.ParseUint(rest, 2, 64); err == nil {
			return tagInt
		}
	} else if rest, ok := strings.CutPrefix(plain, "-0b"); ok {
		if _, err := strconv.ParseInt("-"+rest, 2, 64); err == nil {
			return tagInt
		}
	}
	if rest, ok := strings.CutPrefix(plain, "0o"); ok {
		if _, err := strconv.ParseInt(rest, 8, 64); err == nil {
			return tagInt
		}
		if _, err := strconv.ParseUint(rest, 8, 64); err == nil {
			return tagInt
		}
	} else if rest, ok := strings.CutPrefix(plain, "-0o"); ok {
		if _, err := strconv.ParseInt("-"+rest, 8, 64); err == nil {
			return tagInt
		}
	}
	return tagStr
}

// isTimestamp is yaml.v3's parseTimestamp: YYYY- and then one of its layouts.
func isTimestamp(s string) bool {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, layout := range [...]string{
		"2006-1-2T15:4:5.999999999Z07:00",
		"2006-1-2t15:4:5.999999999Z07:00",
		"2006-1-2 15:4:5.999999999",
		"2006-1-2",
	} {
		if _, err := time.Parse(layout, s); err == nil {
			return true
		}
	}
	return false
}
