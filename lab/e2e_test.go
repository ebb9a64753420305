package lab

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The end-to-end tests build the chainlab binary and run short experiments on real node
// processes. They take about a minute; -short skips them.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" && binErr == nil {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func chainlabBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end experiment: skipped with -short")
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "chainlab-lab-e2e")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "chainlab")
		out, err := exec.Command("go", "build", "-o", binPath, "chainlab/cmd/chainlab").CombinedOutput()
		if err != nil {
			binErr = err
			binPath = string(out)
		}
	})
	if binErr != nil {
		t.Fatalf("building chainlab: %v\n%s", binErr, binPath)
	}
	return binPath
}

func runE2E(t *testing.T, src string) *RunResult {
	t.Helper()
	bin := chainlabBinary(t)
	m, err := ParseManifest([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, RunConfig{Manifest: m, Dir: dir, Binary: bin, Progress: testWriter{t}})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if keep := os.Getenv("LAB_E2E_KEEP"); keep != "" {
		_ = os.CopyFS(filepath.Join(keep, m.Name), os.DirFS(dir))
	}
	for _, c := range res.GroundTruth {
		if !c.OK {
			t.Errorf("ground truth: %s: live %v, recounted %v (%s)", c.Name, c.Live, c.Recounted, c.Note)
		}
	}
	return res
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// TestE2EPoWPartitionReorg: a 2|2 partition lets both halves mine their own branch; at the
// heal one branch loses, so the recorded metrics must show a reorg right after the heal,
// stale blocks, and every node agreeing on one tip again.
func TestE2EPoWPartitionReorg(t *testing.T) {
	t.Parallel()
	res := runE2E(t, `
name = "e2e-pow-partition"
consensus = "pow"
seed = 5
duration = "34s"
[pow]
target_spacing = "1s"
[nodes]
count = 4
hashrate = 8000
[network]
delay = "10ms"
[load]
rate = 3
[[fault]]
at = "8s"
action = "partition"
a = ["n0", "n1"]
for = "14s"
`)
	m := res.Metrics
	if len(m.Faults) < 2 {
		t.Fatalf("faults %+v", m.Faults)
	}
	p := m.Faults[0]
	if p.Action != FaultPartition || p.End < 0 || p.Err != "" {
		t.Fatalf("partition not applied and healed: %+v", p)
	}
	if p.ReorgsAfter < 1 || p.BlocksReverted < 1 {
		t.Fatalf("no reorg recorded at the heal: %+v (all reorgs: %+v)", p, res.Trace.Reorgs)
	}
	if p.RecoverSeconds < 0 {
		t.Fatalf("nodes never agreed on one tip after the heal: %+v", p)
	}
	if m.StaleRate.Value <= 0 {
		t.Fatalf("a partition must leave stale blocks: %+v", m.StaleRate)
	}
	if m.MainBlocks < 10 || m.TxConfirmed == 0 {
		t.Fatalf("too little happened: %d blocks, %d confirmed txs", m.MainBlocks, m.TxConfirmed)
	}
}

// TestE2EPoSPartitionFinalityStall: four equal validators split 2|2 — neither side has
// 2/3 of the stake, so no checkpoint may finalize during the partition, and finality must
// resume after the heal.
func TestE2EPoSPartitionFinalityStall(t *testing.T) {
	t.Parallel()
	res := runE2E(t, `
name = "e2e-pos-partition"
consensus = "pos"
seed = 5
duration = "42s"
[pos]
slot = "1s"
epoch_slots = 2
inactivity_leak = false
[nodes]
count = 4
[network]
delay = "10ms"
[load]
rate = 3
# PoS runs start at an epoch boundary (2 s epochs here): cutting half a slot before the
# boundary of epoch 5 leaves no epoch whose votes straddle the cut.
[[fault]]
at = "9.5s"
action = "partition"
a = ["n0", "n1"]
b = ["n2", "n3"]
[[fault]]
at = "21.5s"
action = "heal"
`)
	m := res.Metrics
	var p *FaultOutcome
	for i := range m.Faults {
		if m.Faults[i].Action == FaultPartition {
			p = &m.Faults[i]
		}
	}
	if p == nil || p.End < 0 || p.Err != "" {
		t.Fatalf("partition not applied and healed: %+v", m.Faults)
	}
	if p.HeightAtStart == 0 {
		t.Fatalf("nothing was finalized before the partition: %+v", p)
	}
	if p.FinalityAdvanced {
		t.Fatalf("finality advanced during a 2|2 partition: %+v (events %+v)", p, res.Trace.Finality)
	}
	if p.FinalityResumed < 0 {
		t.Fatalf("finality did not resume after the heal: %+v", p)
	}
	if len(m.FinalityStalls) == 0 {
		t.Fatalf("no finality stall recorded")
	}
}
