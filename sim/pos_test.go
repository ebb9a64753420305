package sim

import (
	"bytes"
	"testing"

	"chainlab/lab"
)

func posManifest(t testing.TB, extra string) *lab.Manifest {
	t.Helper()
	m, err := lab.ParseManifest([]byte(`
consensus = "pos"
seed = 3
duration = "64s"
[pos]
slot = "1s"
epoch_slots = 8
[nodes]
count = 4
[network]
delay = "50ms"
jitter = "20ms"
` + extra))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPoSFinality: with every validator online, the simulated network finalizes (FFG)
// and the run is deterministic.
func TestPoSFinality(t *testing.T) {
	m := posManifest(t, "")
	a := mustRun(t, m, 1)
	b := mustRun(t, m, 1)
	if !bytes.Equal(metricsBytes(t, a), metricsBytes(t, b)) {
		t.Fatal("PoS metrics differ between identical runs")
	}
	t.Logf("height %d finalized %d blocks %d stale %.3f finality mean %.1fs events %d", a.Metrics.Height, a.Metrics.FinalizedHeight,
		a.Metrics.Blocks, a.Metrics.StaleRate.Value, a.Metrics.BlockFinality.Mean.Value, a.Events)
	if a.Metrics.Height < 50 {
		t.Fatalf("height %d after 64 slots", a.Metrics.Height)
	}
	if a.Metrics.FinalizedHeight < 16 {
		t.Fatalf("finalized height %d after 8 epochs, want >= 16", a.Metrics.FinalizedHeight)
	}
}
