// Command pane compiles a software catalog from declared entities and source records
// mapped in CUE, and commits it to a git branch. See `pane --help`.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
