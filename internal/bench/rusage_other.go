//go:build !linux

package bench

import (
	"os"
	"time"
)

// peakRSS is unknown off Linux (maxrss units differ by system): the table shows "-".
func peakRSS(*os.ProcessState) int64 { return 0 }

// selfCPU is unknown off Linux.
func selfCPU() time.Duration { return 0 }

// selfPeakRSS is unknown off Linux.
func selfPeakRSS() int64 { return 0 }
