//go:build !unix

package miner

import "time"

// cpuTime falls back to wall time where rusage is unavailable (CPU bounds then loosen
// to wall-clock bounds).
func cpuTime() time.Duration { return time.Duration(time.Now().UnixNano()) }
