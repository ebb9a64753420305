package sim

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestScale measures one run and prints wall time, CPU and peak RSS. Run one size per
// process so the peak RSS is that run's:
//
//	SIM_SCALE_NODES=1000 go test ./sim -run Scale -v -timeout 60m               # PoW, 2000 blocks
//	SIM_SCALE_ENGINE=pos SIM_SCALE_NODES=100 SIM_SCALE_VALIDATORS=1000 go test ./sim -run Scale -v  # 50 epochs
//
// PoW: random topology of degree 8, 10 s spacing, 300 ms ± 100 ms links at 2 Mbit/s.
// PoS: the same links, 1 s slots, 8-slot epochs, validators spread evenly over the nodes.
func TestScale(t *testing.T) {
	nodes, _ := strconv.Atoi(os.Getenv("SIM_SCALE_NODES"))
	if nodes == 0 {
		t.Skip("set SIM_SCALE_NODES (see the comment)")
	}
	gcEvery, _ := strconv.Atoi(os.Getenv("SIM_GC_EVERY"))
	opts := Options{Nodes: nodes, Lean: true, GCEvery: gcEvery, Progress: os.Stderr}
	var label string
	start := time.Now()
	var r *Result
	var err error
	if os.Getenv("SIM_SCALE_ENGINE") == "pos" {
		vals, _ := strconv.Atoi(os.Getenv("SIM_SCALE_VALIDATORS"))
		if vals == 0 {
			vals = 1000
		}
		opts.ValidatorsPerNode = max(1, vals/nodes)
		m := posManifest(t, "")
		m.Duration.Duration = 50 * 8 * time.Second
		m.Network.Topology = "random"
		m.Network.Degree = 8
		m.Network.Delay.Duration = 300 * time.Millisecond
		m.Network.Jitter.Duration = 100 * time.Millisecond
		m.Network.Bandwidth = 2000
		label = fmt.Sprintf("pos nodes=%d validators=%d epochs=50", nodes, opts.ValidatorsPerNode*nodes)
		r, err = Run(m, 1, opts)
	} else {
		blocks, _ := strconv.Atoi(os.Getenv("SIM_SCALE_BLOCKS"))
		if blocks == 0 {
			blocks = 2000
		}
		m := powManifest(t, "")
		m.Blocks = uint64(blocks)
		m.Network.Topology = "random"
		m.Network.Degree = 8
		label = fmt.Sprintf("pow nodes=%d blocks=%d", nodes, blocks)
		r, err = Run(m, 1, opts)
	}
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
	t.Logf("SCALE %s height=%d finalized=%d wall=%.1fs cpu=%.1fs peak_rss=%.0fMiB events=%d msgs=%d stale=%.4f",
		label, r.Metrics.Height, r.Metrics.FinalizedHeight, el.Seconds(), cpu, float64(ru.Maxrss)/1024, r.Events, r.Messages, r.Metrics.StaleRate.Value)
}
