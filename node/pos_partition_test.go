package node

import (
	"testing"
	"time"

	"chainlab/genesis"
)

func posMesh(t *testing.T, p *genesis.Params, n int) []*Node {
	var nodes []*Node
	for i := 0; i < n; i++ {
		key := genesis.DevKey("validator", i)
		var peers []string
		for _, m := range nodes {
			peers = append(peers, m.P2PAddr())
		}
		nodes = append(nodes, testNode(t, p, func(c *Config) {
			c.ValidatorKeys = append(c.ValidatorKeys, key)
			c.Peers = peers
		}))
	}
	return nodes
}

func partition(t *testing.T, a, b []*Node) {
	t.Helper()
	cut := func(from []*Node, to []*Node) {
		var ids []string
		for _, n := range to {
			ids = append(ids, n.P2P().NodeID().Hex())
		}
		for _, n := range from {
			if err := (&netControl{n: n}).SetPartition(ids); err != nil {
				t.Fatal(err)
			}
		}
	}
	cut(a, b)
	cut(b, a)
}

func heal(t *testing.T, nodes []*Node) {
	t.Helper()
	for _, n := range nodes {
		if err := (&netControl{n: n}).SetPartition(nil); err != nil {
			t.Fatal(err)
		}
	}
}

func minFinalized(nodes []*Node) uint64 {
	m := ^uint64(0)
	for _, n := range nodes {
		if e := n.Chain().Finality().Finalized.Epoch; e < m {
			m = e
		}
	}
	return m
}

// A 3+2 split of 5 equal validators leaves neither side 2/3 of the stake: finality stalls
// while it lasts and resumes after the heal, and no finalized block is ever reverted.
func TestPoSPartitionStallsFinalityAndHeals(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several epochs of wall-clock slots")
	}
	p := posParams(5)
	p.PoS.SlotMillis = 1000
	p.PoS.EpochSlots = 4
	p.PoS.InactivityLeak = false
	nodes := posMesh(t, p, 5)
	waitFor(t, 60*time.Second, "first finality", func() bool { return minFinalized(nodes) >= 2 })

	partition(t, nodes[:3], nodes[3:])
	before := nodes[0].Chain().Finality()
	epochNow := func() uint64 { return nodes[0].pos.EpochOf(nodes[0].pos.SlotAt(time.Now())) }
	// Votes gathered before the split may still justify (and so finalize) the epochs in
	// flight: votes of the split's epoch X count at the boundaries into X+1 and X+2. Wait
	// until every node's tip is in epoch X+2 or later (the boundary is processed by the
	// first block of the epoch each side gets, not when the wall clock reaches it), then
	// finality must stand still.
	settle := epochNow() + 2
	tipEpoch := func(n *Node) uint64 {
		h := n.Chain().TipHeader()
		if h.Seal == nil {
			return 0
		}
		return n.pos.EpochOf(h.Seal.Slot)
	}
	waitFor(t, 60*time.Second, "the partition to settle", func() bool {
		for _, n := range nodes {
			if tipEpoch(n) < settle {
				return false
			}
		}
		return true
	})
	stalled := make([]uint64, len(nodes))
	for i, n := range nodes {
		stalled[i] = n.Chain().Finality().Finalized.Epoch
	}
	waitFor(t, 60*time.Second, "three more epochs of partition", func() bool { return epochNow() >= settle+3 })
	for i, n := range nodes {
		if f := n.Chain().Finality(); f.Finalized.Epoch != stalled[i] {
			t.Fatalf("node %d finalized epoch %d during a partition with no 2/3 side (stood at %d)", i, f.Finalized.Epoch, stalled[i])
		}
	}
	t.Logf("finality stalled at epoch %d (finalized %d when the split began)", stalled[0], before.Finalized.Epoch)

	heal(t, nodes)
	waitFor(t, 90*time.Second, "finality to resume after the heal", func() bool {
		return minFinalized(nodes) >= stalled[0]+2 && sameTip(nodes)
	})
	for i, n := range nodes {
		if !n.Chain().IsMainChain(before.Hash) {
			t.Fatalf("node %d reverted the finalized block %s", i, before.Hash)
		}
	}
}
