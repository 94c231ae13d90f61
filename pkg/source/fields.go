package source

// Fields is the part of a record that is read downstream: a tree of field names. A
// reader that can decode only part of a record (the file source) keeps exactly what
// Project keeps and saves the rest of the work; the result must equal
// Project(full decode, f).
//
// A nil *Fields, or one with Whole set, keeps a value entirely. Otherwise an object
// keeps only the fields named in Sub (each projected by its own *Fields, where a nil
// entry keeps that field whole), and any value that is not an object (a list, a
// string, ...) is kept entirely.
type Fields struct {
	Whole bool
	Sub   map[string]*Fields
}

// Project returns the parts of a decoded value that f keeps. It does not change v.
func Project(v any, f *Fields) any {
	if f == nil || f.Whole {
		return v
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(f.Sub))
	for k, c := range f.Sub {
		if x, ok := m[k]; ok {
			out[k] = Project(x, c)
		}
	}
	return out
}

// Union returns fields that keep everything a and b keep. Either being nil (whole)
// makes the union whole (nil).
func Union(a, b *Fields) *Fields {
	if a == nil || a.Whole || b == nil || b.Whole {
		return nil
	}
	out := &Fields{Sub: make(map[string]*Fields, len(a.Sub)+len(b.Sub))}
	for k, c := range a.Sub {
		out.Sub[k] = c
	}
	for k, c := range b.Sub {
		if prev, ok := out.Sub[k]; ok {
			out.Sub[k] = Union(prev, c)
		} else {
			out.Sub[k] = c
		}
	}
	return out
}

// With returns fields that also keep the dotted path (a.b.c) whole: a record's key
// path, for instance. f is not changed.
func (f *Fields) With(path []string) *Fields {
	if f == nil || f.Whole {
		return f
	}
	if len(path) == 0 {
		return nil
	}
	var rest *Fields = &Fields{Whole: true}
	for i := len(path) - 1; i >= 1; i-- {
		rest = &Fields{Sub: map[string]*Fields{path[i]: rest}}
	}
	return Union(f, &Fields{Sub: map[string]*Fields{path[0]: rest}})
}
