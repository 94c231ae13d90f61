package file

import (
	"encoding/binary"
	"unicode/utf8"
)

// maxDepth is how deeply wellFormed lets arrays and objects nest; fastjson stops at 300
// values, and anything deeper goes to encoding/json.
const maxDepth = 256

// wellFormed reports whether b is one JSON value, with white space around it, that the
// fast path may decode: valid JSON as encoding/json reads it, nested at most maxDepth
// deep, its strings valid UTF-8 without \u escapes of surrogates (those encoding/json
// decodes with U+FFFD in places, fastjson differently). It may refuse more than it must,
// never less: what it refuses goes to encoding/json.
//
// fastjson's own parser is lenient (NaN, control characters in strings, unknown escapes
// get through) and its validator leaves UTF-8 alone; this is one pass for all of it.
func wellFormed(b []byte) bool {
	var stack [maxDepth]bool // per open container: an object (or an array)
	depth := 0
	i := 0
	var ok bool
	for {
		// A value starts at i.
		i = skipSpace(b, i)
		if i >= len(b) {
			return false
		}
		switch c := b[i]; c {
		case '{', '[':
			if depth == maxDepth {
				return false
			}
			obj := c == '{'
			i = skipSpace(b, i+1)
			if i < len(b) && (obj && b[i] == '}' || !obj && b[i] == ']') {
				i, ok = i+1, true // empty
				break
			}
			stack[depth] = obj
			depth++
			if obj {
				if i, ok = objectKey(b, i); !ok {
					return false
				}
			}
			continue
		case '"':
			i, ok = scanString(b, i+1)
		case 't':
			i, ok = literal(b, i, "true")
		case 'f':
			i, ok = literal(b, i, "false")
		case 'n':
			i, ok = literal(b, i, "null")
		default:
			i, ok = scanNumber(b, i)
		}
		if !ok {
			return false
		}
		// After a value: containers close, or a comma leads to the next value.
		for {
			i = skipSpace(b, i)
			if depth == 0 {
				return i == len(b)
			}
			if i >= len(b) {
				return false
			}
			obj := stack[depth-1]
			if b[i] == ',' {
				i++
				if obj {
					if i, ok = objectKey(b, skipSpace(b, i)); !ok {
						return false
					}
				}
				break
			}
			if obj && b[i] != '}' || !obj && b[i] != ']' {
				return false
			}
			depth--
			i++
		}
	}
}

// objectKey reads `"key" :` from i and returns the index after the colon.
func objectKey(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	i, ok := scanString(b, i+1)
	if !ok {
		return i, false
	}
	i = skipSpace(b, i)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return i + 1, true
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, false
	}
	return i + len(lit), true
}

// scanNumber reads a JSON number from i: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// What follows it is the caller's to check.
func scanNumber(b []byte, i int) (int, bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return i, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// scanString reads the rest of a string whose text starts at i and returns the index
// after its closing quote.
func scanString(b []byte, i int) (int, bool) {
	for i < len(b) {
		// Plain text: a short run byte by byte, a long one 8 bytes at a time.
		for k := 0; k < 8 && i < len(b) && plainByte(b[i]); k++ {
			i++
		}
		i += plainRun(b[i:])
		for i < len(b) && plainByte(b[i]) {
			i++
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			return i + 1, true
		case c == '\\':
			if i+1 >= len(b) {
				return i, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(b)-i < 6 || !hex(b[i+2]) || !hex(b[i+3]) || !hex(b[i+4]) || !hex(b[i+5]) {
					return i, false
				}
				if h := b[i+3] | 0x20; b[i+2]|0x20 == 'd' && (h == '8' || h == '9' || 'a' <= h && h <= 'f') {
					return i, false // a surrogate
				}
				i += 6
			default:
				return i, false
			}
		case c < 0x20:
			return i, false
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return i, false
			}
			i += n
		}
	}
	return i, false
}

func hex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
}

// plainByte reports whether c stands for itself in a JSON string and is ASCII.
func plainByte(c byte) bool { return c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' }

// plainRun returns the length of b's prefix of 8-byte blocks of plain string text: ASCII,
// no control character, quote or backslash.
func plainRun(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (ones * '"')
		bs := x ^ (ones * '\\')
		// A high bit is set in a byte that is non-ASCII, below 0x20, a quote or a backslash.
		bad := x | ((x - ones*0x20) &^ x) | ((q - ones) &^ q) | ((bs - ones) &^ bs)
		if bad&highs != 0 {
			break
		}
	}
	return i
}
