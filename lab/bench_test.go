package lab

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// bigTrace is a simulator-sized trace: nodes × blocks sightings and tip events, a few
// stale blocks, one tx per block, and a partition fault.
func bigTrace(nodes, blocks int) *Trace {
	rng := rand.New(rand.NewPCG(1, 2))
	tr := &Trace{Name: "big", Engine: "pow", Source: "sim", Seed: 1, Span: float64(blocks) + 10, TargetInterval: 1, FinalityDepth: 6}
	for i := 0; i < nodes; i++ {
		tr.Nodes = append(tr.Nodes, TraceNode{Name: fmt.Sprintf("n%d", i), Share: 1 / float64(nodes)})
	}
	tr.Canonical = []string{"g"}
	prev := "g"
	for h := 1; h <= blocks; h++ {
		hash := fmt.Sprintf("b%d", h)
		at := float64(h) + rng.Float64()*0.5
		tr.Blocks = append(tr.Blocks, BlockRecord{Hash: hash, Parent: prev, Height: uint64(h), Producer: rng.IntN(nodes), Mined: at, TxIDs: []string{"t" + hash}})
		tr.Txs = append(tr.Txs, TxEvent{ID: "t" + hash, At: at - 0.3})
		for i := 0; i < nodes; i++ {
			d := rng.ExpFloat64() * 0.1
			tr.Seen = append(tr.Seen, Sighting{Node: i, Hash: hash, At: at + d})
			tr.Tips = append(tr.Tips, TipEvent{Node: i, At: at + d, Hash: hash, Height: uint64(h)})
		}
		if h%50 == 0 {
			tr.Blocks = append(tr.Blocks, BlockRecord{Hash: "s" + hash, Parent: prev, Height: uint64(h), Producer: 0, Mined: at + 0.01})
			tr.Reorgs = append(tr.Reorgs, ReorgEvent{Node: 0, At: at + 0.2, Depth: 1})
		}
		tr.Canonical = append(tr.Canonical, hash)
		prev = hash
	}
	tr.Faults = []FaultEvent{{At: float64(blocks) / 3, End: float64(blocks) / 2, Action: FaultPartition, Nodes: []int{0}}}
	return tr
}

// BenchmarkCompute measures Compute on a 200-node, 2,000-block trace (400,000 sightings
// and tip events).
func BenchmarkCompute(b *testing.B) {
	tr := bigTrace(200, 2000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Compute(tr, HostInfo{})
	}
}
