package workspace

import "cuelang.org/go/cue"

func cuePath(s string) cue.Path { return cue.ParsePath(s) }
