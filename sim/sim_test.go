package sim

import (
	"bytes"
	"encoding/json"
	"testing"

	"chainlab/lab"
)

func powManifest(t testing.TB, extra string) *lab.Manifest {
	t.Helper()
	m, err := lab.ParseManifest([]byte(`
consensus = "pow"
seed = 7
blocks = 60
[pow]
target_spacing = "10s"
[nodes]
count = 6
[network]
topology = "random"
degree = 3
delay = "300ms"
jitter = "100ms"
bandwidth = 2000
` + extra))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func metricsBytes(t testing.TB, r *Result) []byte {
	t.Helper()
	b, err := json.MarshalIndent(r.Metrics, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustRun runs m with seed and default options, failing the test on error.
func mustRun(t *testing.T, m *lab.Manifest, seed uint64) *Result {
	t.Helper()
	r, err := Run(m, seed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestDeterminism: one manifest and one seed give identical tips and metrics.json
// bytes; another seed gives different ones.
func TestDeterminism(t *testing.T) {
	m := powManifest(t, "[load]\nrate = 2\n[[fault]]\nat = \"200s\"\naction = \"partition\"\na = [\"n0\", \"n1\"]\nfor = \"60s\"\n")
	a := mustRun(t, m, 1)
	b := mustRun(t, m, 1)
	c := mustRun(t, m, 2)
	if a.Metrics.Height < 60 {
		t.Fatalf("height %d, want >= 60", a.Metrics.Height)
	}
	for i := range a.Tips {
		if a.Tips[i] != b.Tips[i] {
			t.Fatalf("node %d tip differs between identical runs: %s vs %s", i, a.Tips[i], b.Tips[i])
		}
	}
	if !bytes.Equal(metricsBytes(t, a), metricsBytes(t, b)) {
		t.Fatal("metrics.json differs between identical runs")
	}
	if a.Tips[0] == c.Tips[0] {
		t.Fatal("a different seed gave the same tip")
	}
	if bytes.Equal(metricsBytes(t, a), metricsBytes(t, c)) {
		t.Fatal("a different seed gave the same metrics")
	}
	if a.Metrics.TxConfirmed == 0 {
		t.Fatal("no load transaction confirmed")
	}
	t.Logf("height %d blocks %d stale %.3f interval mean %.2fs events %d msgs %d", a.Metrics.Height, a.Metrics.Blocks,
		a.Metrics.StaleRate.Value, a.Metrics.BlockInterval.Mean.Value, a.Events, a.Messages)
}
