package par

import (
	"sync/atomic"
	"testing"
)

// TestFor: every index is visited exactly once, whatever the number of items and workers.
func TestFor(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 1000} {
		for _, w := range []int{0, 1, 3} {
			seen := make([]atomic.Int32, n)
			For(n, w, func(i int) { seen[i].Add(1) })
			for i := range seen {
				if c := seen[i].Load(); c != 1 {
					t.Fatalf("n=%d workers=%d: index %d visited %d times", n, w, i, c)
				}
			}
		}
	}
}
