package node

import (
	"context"
	"testing"
	"time"

	"chainlab/genesis"
)

// line starts n PoW nodes connected in a line: node i dials node i-1.
func line(t *testing.T, p *genesis.Params, n int) []*Node {
	var nodes []*Node
	for i := 0; i < n; i++ {
		var peers []string
		if i > 0 {
			peers = []string{nodes[i-1].P2PAddr()}
		}
		nodes = append(nodes, testNode(t, p, func(c *Config) { c.Peers = peers }))
	}
	return nodes
}

func sameTip(nodes []*Node) bool {
	t0, _ := nodes[0].Chain().Tip()
	for _, n := range nodes[1:] {
		if t, _ := n.Chain().Tip(); t != t0 {
			return false
		}
	}
	return true
}

func TestFivePoWNodesInALineConverge(t *testing.T) {
	p := easyPoW()
	nodes := line(t, p, 5)
	payTo := genesis.XOnly(genesis.DevKey("alloc", 1))
	// blocks mined at both ends of the line and in the middle
	for round := 0; round < 3; round++ {
		for _, i := range []int{0, 4, 2} {
			if _, err := (&minerControl{n: nodes[i]}).Generate(context.Background(), 3, payTo, 0); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 30*time.Second, "the line to converge", func() bool { return sameTip(nodes) })
	}
	_, h := nodes[4].Chain().Tip()
	if h < 9 {
		t.Fatalf("height %d after 27 mined blocks", h)
	}
}

func TestLateNodeSyncs2000Blocks(t *testing.T) {
	if testing.Short() {
		t.Skip("mines 2,000 blocks")
	}
	p := easyPoW()
	a := testNode(t, p, nil)
	payTo := genesis.XOnly(genesis.DevKey("alloc", 2))
	if _, err := (&minerControl{n: a}).Generate(context.Background(), 2000, payTo, 0); err != nil {
		t.Fatal(err)
	}
	tipA, _ := a.Chain().Tip()
	start := time.Now()
	b := testNode(t, p, func(c *Config) { c.Peers = []string{a.P2PAddr()} })
	waitFor(t, 120*time.Second, "a fresh node to sync 2,000 blocks", func() bool {
		tip, _ := b.Chain().Tip()
		return tip == tipA
	})
	t.Logf("synced 2,000 blocks in %v", time.Since(start))
}

// A 3+2 partition mines two branches; after the heal every node is on the heavier one.
func TestPartitionAndHealPoW(t *testing.T) {
	p := easyPoW()
	nodes := line(t, p, 5) // 0-1-2-3-4; cut between 2 and 3
	payTo := genesis.XOnly(genesis.DevKey("alloc", 3))
	gen := func(i, k int) {
		t.Helper()
		if _, err := (&minerControl{n: nodes[i]}).Generate(context.Background(), k, payTo, 0); err != nil {
			t.Fatal(err)
		}
	}
	gen(0, 2)
	waitFor(t, 20*time.Second, "initial sync", func() bool { return sameTip(nodes) })

	// Cut every pair across the split: address gossip may have connected nodes beyond
	// the line, so cutting only the 2-3 link would not split the network.
	partition(t, nodes[:3], nodes[3:])
	gen(0, 6) // majority side: heavier
	gen(4, 3) // minority side
	waitFor(t, 20*time.Second, "each side to converge", func() bool {
		return sameTip(nodes[:3]) && sameTip(nodes[3:])
	})
	if sameTip(nodes) {
		t.Fatal("partition did not split the network")
	}
	heavy, _ := nodes[0].Chain().Tip()
	heal(t, nodes)
	gen(0, 1) // a new block announces the heavier branch across the healed link
	waitFor(t, 30*time.Second, "the heal to converge on the heavier branch", func() bool { return sameTip(nodes) })
	tip, _ := nodes[4].Chain().Tip()
	if h, _ := nodes[4].Chain().Height(tip); h < 9 {
		t.Fatalf("minority side ended at height %d", h)
	}
	if !nodes[4].Chain().IsMainChain(heavy) {
		t.Fatal("minority side is not on the heavier branch")
	}
}
