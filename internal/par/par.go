// Package par runs a loop's iterations on all cores.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// batch is how many indexes a goroutine takes at a time: cheaper than one goroutine, or
// one atomic operation, per item when items take microseconds.
const batch = 64

// For calls f(0) ... f(n-1) on workers goroutines (0: GOMAXPROCS) and returns when all
// have returned. f must be safe to call concurrently for different indexes.
func For(n, workers int, f func(i int)) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(workers, (n+batch-1)/batch); w++ {
		wg.Go(func() {
			for {
				start := int(next.Add(batch)) - batch
				if start >= n {
					return
				}
				for i := start; i < min(start+batch, n); i++ {
					f(i)
				}
			}
		})
	}
	wg.Wait()
}
