package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
	"chainlab/staking"
)

func TestAdversaryConfigChecked(t *testing.T) {
	for _, tc := range []struct {
		p    *genesis.Params
		mode Adversary
		ok   bool
	}{
		{easyPoW(), AdvWithhold, true},
		{posParams(4), AdvWithhold, true},
		{posParams(4), AdvDoubleVote, true},
		{posParams(4), AdvSurroundVote, true},
		{easyPoW(), AdvDoubleVote, false},
		{easyPoW(), AdvSurroundVote, false},
		{easyPoW(), "selfish", false},
		{posParams(4), "bogus", false},
	} {
		n, err := New(Config{DataDir: t.TempDir(), Params: tc.p, RPCListen: "off", Adversary: tc.mode})
		if n != nil {
			_ = n.Stop()
		}
		if tc.ok != (err == nil) {
			t.Fatalf("%s on %s: err %v", tc.mode, tc.p.Consensus, err)
		}
		var ae *AdversaryError
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("%s: %T is not an *AdversaryError", tc.mode, err)
		}
		if err != nil {
			t.Log(err)
		}
	}
}

// advMesh starts n validators (validator i on node i) in a mesh; node adv runs mode.
func advMesh(t *testing.T, p *genesis.Params, n, adv int, mode Adversary) []*Node {
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
			if i == adv {
				c.Adversary = mode
			}
		}))
	}
	return nodes
}

func tipState(t *testing.T, n *Node) *staking.State {
	t.Helper()
	tip, _ := n.Chain().Tip()
	es, ok := n.Chain().State(tip)
	if !ok {
		t.Fatalf("no state at tip %s", tip)
	}
	return es.(*staking.State)
}

func slashedOn(t *testing.T, n *Node, key [32]byte) bool {
	_, v, ok := tipState(t, n).ValidatorByKey(key)
	return ok && v.Slashed
}

// testSlashingAdversary runs 4 validators of which validator 3 runs mode: every honest
// node must slash it on its chain, and finality must keep advancing afterwards (the three
// honest validators are all the active stake left).
func testSlashingAdversary(t *testing.T, mode Adversary) {
	if testing.Short() {
		t.Skip("runs for several epochs of wall-clock slots")
	}
	t.Parallel() // waits on wall-clock slots, not the CPU: overlap with the other adversaries
	p := posParams(4)
	p.PoS.SlotMillis = 1000
	p.PoS.EpochSlots = 2
	nodes := advMesh(t, p, 4, 3, mode)
	honest := nodes[:3]
	bad := genesis.XOnly(genesis.DevKey("validator", 3))
	waitFor(t, 40*time.Second, "the "+string(mode)+" validator slashed on every honest chain", func() bool {
		for _, n := range honest {
			if !slashedOn(t, n, bad) {
				return false
			}
		}
		return true
	})
	var ev chain.Evidence
	found := false
	for h := uint64(1); !found; h++ {
		hash, ok := honest[0].Chain().HashAt(h)
		if !ok {
			break
		}
		b, err := honest[0].Chain().Block(hash)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Slashings {
			if k, err := staking.CheckEvidence(&e); err == nil && k == bad {
				ev, found = e, true
				t.Logf("evidence kind %d included at height %d (slot %d)", e.Kind, h, b.Header.Seal.Slot)
			}
		}
	}
	if !found {
		t.Fatal("no block on the main chain carries the evidence")
	}
	want := chain.EvidenceDoubleVote
	if mode == AdvSurroundVote {
		want = chain.EvidenceSurroundVote
	}
	if ev.Kind != want {
		t.Fatalf("evidence kind %d, want %d", ev.Kind, want)
	}
	fin := minFinalized(honest)
	waitFor(t, 30*time.Second, "finality to advance after the slashing", func() bool {
		return minFinalized(honest) >= fin+1
	})
	t.Logf("finalized epoch %d when slashed, %d after", fin, minFinalized(honest))
}

func TestPoSDoubleVoterSlashed(t *testing.T)   { testSlashingAdversary(t, AdvDoubleVote) }
func TestPoSSurroundVoterSlashed(t *testing.T) { testSlashingAdversary(t, AdvSurroundVote) }

// A withholding proposer's slots are empty on every honest chain, which keeps growing.
func TestPoSWithholdingProposerMissesSlots(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several epochs of wall-clock slots")
	}
	t.Parallel() // waits on wall-clock slots, not the CPU: overlap with the other adversaries
	p := posParams(4)
	p.PoS.SlotMillis = 1000
	p.PoS.EpochSlots = 2
	nodes := advMesh(t, p, 4, 3, AdvWithhold)
	honest := nodes[:3]
	bad := genesis.XOnly(genesis.DevKey("validator", 3))
	c := honest[0].Chain()
	var missed, badBlocks int
	count := func() {
		missed, badBlocks = 0, 0
		_, height := c.Tip()
		for h := uint64(1); h <= height; h++ {
			hdr, ok1 := c.HeaderAt(h)
			parent, ok2 := c.HashAt(h - 1)
			if !ok1 || !ok2 {
				return
			}
			if hdr.Seal.Proposer == bad {
				badBlocks++
			}
			es, ok := c.State(parent)
			if !ok {
				return
			}
			prevSlot := uint64(0)
			if ph, _ := c.Header(parent); ph != nil && ph.Seal != nil {
				prevSlot = ph.Seal.Slot
			}
			for s := prevSlot + 1; s < hdr.Seal.Slot; s++ {
				if k, ok := honest[0].pos.Proposer(es.(*staking.State), parent, s); ok && k == bad {
					missed++
				}
			}
		}
	}
	waitFor(t, 45*time.Second, "two of the withholder's slots to pass", func() bool {
		count()
		return missed >= 2
	})
	if badBlocks != 0 {
		t.Fatalf("%d blocks by the withholding proposer on the honest chain", badBlocks)
	}
	tip, height := c.Tip()
	waitFor(t, 15*time.Second, "the chain to continue", func() bool {
		_, h := c.Tip()
		return h > height
	})
	_ = tip
	t.Logf("height %d: %d of the withholder's slots missed, none of its blocks", height, missed)
	for _, n := range honest[1:] {
		waitFor(t, 10*time.Second, "honest nodes agree", func() bool { return n.Chain().IsMainChain(tip) })
	}
}

// A withholding PoW miner finds blocks but neither connects nor publishes them; an honest
// miner's blocks still reach it (it follows the public chain).
func TestPoWWithholdingMinerPublishesNothing(t *testing.T) {
	p := easyPoW()
	payTo := genesis.XOnly(genesis.DevKey("alloc", 0))
	bad := testNode(t, p, func(c *Config) {
		c.Mine, c.Threads, c.HashRate, c.MiningAddress, c.Adversary = true, 1, 200, payTo, AdvWithhold
	})
	honest := testNode(t, p, func(c *Config) { c.Peers = []string{bad.P2PAddr()} })
	m := bad.producer.(*powProducer).m
	waitFor(t, 20*time.Second, "the withholder to find 5 blocks", func() bool { return m.Stats().Found >= 5 })
	if _, h := bad.Chain().Tip(); h != 0 {
		t.Fatalf("withholder connected its own blocks: height %d", h)
	}
	if _, h := honest.Chain().Tip(); h != 0 {
		t.Fatalf("withheld blocks reached the honest node: height %d", h)
	}
	if _, err := (&minerControl{n: honest}).Generate(context.Background(), 3, payTo, 0); err != nil {
		t.Fatal(err)
	}
	tip, _ := honest.Chain().Tip()
	waitFor(t, 20*time.Second, "the withholder to follow the public chain", func() bool {
		t2, _ := bad.Chain().Tip()
		return t2 == tip
	})
	t.Logf("withheld %d blocks; public chain at height 3 on both nodes", m.Stats().Found)
}
