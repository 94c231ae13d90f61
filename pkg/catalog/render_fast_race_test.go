//go:build race

package catalog

// raceEnabled shortens the property test under the race detector, which slows yaml.v3
// tenfold and has nothing to find in single-goroutine rendering beyond a few thousand runs.
const raceEnabled = true
