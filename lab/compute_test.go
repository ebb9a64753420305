package lab

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

// synthTrace builds a 4-node PoW trace: canonical blocks at heights 1..n mined at t = h
// seconds by node h%4, seen by node i 0.1·i s later (relative to the producer), one stale
// block at height 10 by node 3 with a depth-1 reorg at node 3, and one tx per block.
func synthTrace(n int) *Trace {
	tr := &Trace{Name: "synth", Engine: "pow", Source: "sim", Seed: 1, Span: float64(n) + 1, TargetInterval: 1, FinalityDepth: 6}
	for i := 0; i < 4; i++ {
		tr.Nodes = append(tr.Nodes, TraceNode{Name: fmt.Sprintf("n%d", i), Share: 0.25})
	}
	tr.Canonical = []string{"g"}
	prev := "g"
	for h := 1; h <= n; h++ {
		hash := fmt.Sprintf("b%d", h)
		tx := fmt.Sprintf("tx%d", h)
		tr.Blocks = append(tr.Blocks, BlockRecord{Hash: hash, Parent: prev, Height: uint64(h), Producer: h % 4, Mined: float64(h), TxIDs: []string{tx}})
		tr.Txs = append(tr.Txs, TxEvent{ID: tx, At: float64(h) - 0.5, Node: 0})
		for i := 0; i < 4; i++ {
			d := 0.1 * float64((i-h%4+4)%4)
			tr.Seen = append(tr.Seen, Sighting{Node: i, Hash: hash, At: float64(h) + d})
			tr.Tips = append(tr.Tips, TipEvent{Node: i, At: float64(h) + d, Hash: hash, Height: uint64(h)})
		}
		tr.Canonical = append(tr.Canonical, hash)
		prev = hash
	}
	tr.Blocks = append(tr.Blocks, BlockRecord{Hash: "s10", Parent: "b9", Height: 10, Producer: 3, Mined: 10.05})
	tr.Seen = append(tr.Seen, Sighting{Node: 3, Hash: "s10", At: 10.05})
	tr.Reorgs = append(tr.Reorgs, ReorgEvent{Node: 3, At: 10.3, Depth: 1, OldTip: "s10", NewTip: "b10"})
	for k := 0; k <= 10; k++ {
		for i := 0; i < 4; i++ {
			at := float64(k) * tr.Span / 10
			tr.Resources = append(tr.Resources, ResourceSample{Node: i, At: at, CPU: 0.1 * at, BytesSent: uint64(1000 * at), HashRate: float64(1000 * (i + 1))})
		}
	}
	return tr
}

func TestComputePoWSynthetic(t *testing.T) {
	tr := synthTrace(40)
	m := Compute(tr, LocalHost("sim"))
	if m.MainBlocks != 40 || m.Height != 40 || m.Blocks != 41 {
		t.Fatalf("blocks %d/%d/%d", m.MainBlocks, m.Height, m.Blocks)
	}
	if m.BlockInterval.N != 39 || m.BlockInterval.Mean.Value != 1 || m.BlockInterval.Mean.HalfWidth() != 0 {
		t.Fatalf("interval %+v", m.BlockInterval.Mean)
	}
	if m.StaleRate.Value != 1.0/41 || m.StaleRate.Method != "wilson" {
		t.Fatalf("stale %+v", m.StaleRate)
	}
	if m.Reorgs.Count != 1 || m.Reorgs.MaxDepth != 1 || len(m.Reorgs.DepthHist) != 2 || m.Reorgs.DepthHist[1] != 1 {
		t.Fatalf("reorgs %+v", m.Reorgs)
	}
	if m.Propagation.Blocks != 40 || !near(m.Propagation.ToAllP50.Value, 0.3, 1e-9) || !near(m.Propagation.PerNodeP50.Value, 0.2, 1e-9) {
		t.Fatalf("propagation %+v", m.Propagation)
	}
	if m.TxSubmitted != 40 || m.TxConfirmed != 40 || !near(m.TxInclusion.Mean.Value, 0.5, 1e-9) {
		t.Fatalf("tx %d %d %+v", m.TxSubmitted, m.TxConfirmed, m.TxInclusion.Mean)
	}
	// k = 6: block h is final when h+6 is mined: tx finality = 6.5 s for h ≤ 34.
	if m.TxFinalized != 34 || !near(m.TxFinality.Mean.Value, 6.5, 1e-9) || m.FinalizedHeight != 34 {
		t.Fatalf("finality %d %+v %d", m.TxFinalized, m.TxFinality.Mean, m.FinalizedHeight)
	}
	// 40 confirmed txs over 41 s.
	if !near(m.Throughput.Value, 40.0/41, 1e-9) || !(m.Throughput.Lo <= m.Throughput.Value && m.Throughput.Value <= m.Throughput.Hi) {
		t.Fatalf("throughput %+v", m.Throughput)
	}
	for _, ns := range m.Fairness.Nodes {
		if ns.Produced != 10 {
			t.Fatalf("fairness %+v", m.Fairness.Nodes)
		}
	}
	if m.Fairness.Nodes[2].MeasuredHashRate != 3000 {
		t.Fatalf("measured hash rate %v", m.Fairness.Nodes[2].MeasuredHashRate)
	}
	if m.Fairness.Nodes[3].Stale != 1 || m.Fairness.Jain.Value != 1 || m.Fairness.Gini != 0 {
		t.Fatalf("fairness %+v", m.Fairness)
	}
	// CPU: 0.1 s per second per node for 41 s, 4 nodes.
	if !near(m.Resources.CPUSeconds, 4*0.1*41, 1e-9) || !near(m.Resources.CPUPerBlock.Value, 4*0.1*41/40, 1e-9) {
		t.Fatalf("resources %+v", m.Resources)
	}
	if len(m.FinalityStalls) != 0 {
		t.Fatalf("unexpected stalls %+v", m.FinalityStalls)
	}
	// JSON round trip keeps the numbers (NaNs become null).
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Metrics
	if err := json.Unmarshal(b, &back); err != nil || back.StaleRate != m.StaleRate {
		t.Fatalf("round trip: %v %+v", err, back.StaleRate)
	}
	// Deterministic.
	b2, _ := json.Marshal(Compute(synthTrace(40), LocalHost("sim")))
	if string(b) != string(b2) {
		t.Fatal("Compute is not deterministic")
	}
}

func TestComputePartitionOutcome(t *testing.T) {
	tr := synthTrace(40)
	// Partition 15..25: nodes 2 and 3 follow their own branch, then reorg at 25.3.
	tr.Faults = []FaultEvent{{At: 15, End: 25, Action: FaultPartition, Nodes: []int{0, 1}, Label: "partition"}}
	var tips []TipEvent
	for _, e := range tr.Tips {
		if e.At > 15 && e.At < 25.3 && e.Node >= 2 {
			e.Hash = "side" + e.Hash
		}
		tips = append(tips, e)
	}
	tr.Tips = tips
	tr.Reorgs = append(tr.Reorgs, ReorgEvent{Node: 2, At: 25.3, Depth: 4}, ReorgEvent{Node: 3, At: 25.3, Depth: 4})
	m := Compute(tr, LocalHost("sim"))
	if len(m.Faults) != 1 {
		t.Fatal(m.Faults)
	}
	o := m.Faults[0]
	if o.ReorgsAfter != 2 || o.BlocksReverted != 8 || o.MaxReorgDepth != 4 {
		t.Fatalf("%+v", o)
	}
	// Nodes 2 and 3 stay on their side branch until b26 reaches the last node at 26.3.
	if !near(o.RecoverSeconds, 1.3, 1e-9) {
		t.Fatalf("recover %v", o.RecoverSeconds)
	}
}

func TestComputePoSFinalityStall(t *testing.T) {
	tr := synthTrace(60)
	tr.Engine, tr.EpochSlots = "pos", 4
	// Finalized height advances every epoch (4 s) except during a partition 20..40.
	for at := 4.0; at <= 60; at += 4 {
		if at > 24 && at < 44 {
			continue
		}
		tr.Finality = append(tr.Finality, FinalityEvent{Node: 0, At: at, Height: uint64(at / 2)})
	}
	tr.Faults = []FaultEvent{{At: 20, End: 40, Action: FaultPartition, Nodes: []int{0, 1}}}
	m := Compute(tr, LocalHost("sim"))
	o := m.Faults[0]
	if o.FinalityAdvanced {
		t.Fatalf("finality should not advance during the partition: %+v", o)
	}
	if !near(o.FinalityStall, 44-24, 1e-9) || !near(o.FinalityResumed, 4, 1e-9) {
		t.Fatalf("%+v", o)
	}
	if len(m.FinalityStalls) != 1 || !m.FinalityStalls[0].Resumed || m.FinalityStalls[0].From != 24 {
		t.Fatalf("stalls %+v", m.FinalityStalls)
	}
	if m.FinalizedHeight != 30 {
		t.Fatalf("finalized %d", m.FinalizedHeight)
	}
	// Tx finality: a tx submitted at h-0.5 is final at the first event ≥ h.
	if m.TxFinalized == 0 || math.IsNaN(m.TxFinality.Mean.Value) {
		t.Fatal("no finalized txs")
	}
}

func TestDeadNodesAndRecovery(t *testing.T) {
	tr := synthTrace(20)
	// Node 3 killed from 5 to 12; it does not see blocks in between, then catches up at 12.5.
	tr.Faults = []FaultEvent{{At: 5, End: 12, Action: FaultKill, Nodes: []int{3}}}
	var tips []TipEvent
	for _, e := range tr.Tips {
		if e.Node == 3 && e.At >= 5 && e.At < 12.5 {
			continue
		}
		tips = append(tips, e)
	}
	tips = append(tips, TipEvent{Node: 3, At: 12.5, Hash: "b12", Height: 12})
	tr.Tips = tips
	dead, _ := deadNodes(tr)
	if !dead(3, 6) || dead(3, 12) || dead(2, 6) {
		t.Fatal("dead intervals wrong")
	}
	m := Compute(tr, LocalHost("sim"))
	if !near(m.Faults[0].RecoverSeconds, 0.5, 1e-9) {
		t.Fatalf("recover %v", m.Faults[0].RecoverSeconds)
	}
}
