package sim

import (
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestScale measures one run of SIM_SCALE_NODES nodes and SIM_SCALE_BLOCKS PoW blocks
// (random topology, degree 8): wall time and peak RSS. Run one size per process so the
// peak RSS is that run's: SIM_SCALE_NODES=1000 go test ./sim -run Scale -v -timeout 30m
func TestScale(t *testing.T) {
	nodes, _ := strconv.Atoi(os.Getenv("SIM_SCALE_NODES"))
	if nodes == 0 {
		t.Skip("set SIM_SCALE_NODES (and SIM_SCALE_BLOCKS, default 2000)")
	}
	blocks, _ := strconv.Atoi(os.Getenv("SIM_SCALE_BLOCKS"))
	if blocks == 0 {
		blocks = 2000
	}
	m := powManifest(t, "")
	m.Blocks = uint64(blocks)
	m.Network.Topology = "random"
	m.Network.Degree = 8
	start := time.Now()
	ge, _ := strconv.Atoi(os.Getenv("SIM_GC_EVERY"))
	r, err := Run(m, 1, Options{Nodes: nodes, Lean: true, GCEvery: ge})
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t.Logf("SCALE pow nodes=%d blocks=%d height=%d wall=%.1fs cpu=%.1fs peak_rss=%.0fMiB events=%d msgs=%d stale=%.4f",
		nodes, blocks, r.Metrics.Height, el.Seconds(), float64(ru.Utime.Sec+ru.Stime.Sec), float64(ru.Maxrss)/1024, r.Events, r.Messages, r.Metrics.StaleRate.Value)
}
