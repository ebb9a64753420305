package staking

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

// blockWithVotes builds and signs a block at slot on parent (whose engine state is ps: the
// chain may have none yet for a side block) by that slot's proposer, carrying votes.
func (n *testNet) blockWithVotes(parent chain.Hash, ps *State, slot uint64, tag string, votes []chain.Vote) *chain.Block {
	n.t.Helper()
	height, ok := n.c.Height(parent)
	if !ok {
		n.t.Fatal("parent not indexed")
	}
	prop, ok := n.e.Proposer(ps, parent, slot)
	if !ok {
		n.t.Fatal("no proposer")
	}
	var key *btcec.PrivateKey
	for _, k := range n.keys {
		if genesis.XOnly(k) == prop {
			key = k
		}
	}
	cb := chain.NewCoinbase(height+1, []byte(tag), []chain.TxOut{{Value: 1, Lock: chain.PayTo(prop)}})
	b := &chain.Block{Header: chain.Header{Version: 1, Prev: parent}, Txs: []*chain.Tx{cb}, Votes: votes}
	if err := n.e.Prepare(n.c, &b.Header, ps, n.e.SlotStart(slot)); err != nil {
		n.t.Fatal(err)
	}
	b.Header.MerkleRoot, _ = chain.MerkleRoot(chain.TxIDs(b.Txs))
	b.Header.Seal.VoteRoot = b.ComputeVoteRoot()
	b.Header.Seal.Sig, _ = chain.SignHash(key, b.Header.SigningHash())
	return b
}

// TestTranscriptHealedPartitionReorgs is the minority side of a healed partition, on a
// real chain. Two branches leave the last block P of epoch k: B (first slot of epoch k+1,
// connected: the node's own branch) and A (one slot later, arriving second: a side branch
// with no engine state). Entering epoch k+1 justifies epoch k on both, but P's state (the
// only one A has) still says k-1. One validator's latest vote names B; then three name A —
// carried only by A's next block A2 (itself a side block), or only by gossip.
//
// LMD-GHOST must move to A's branch. It did not: A's votes never reached the store (only
// connected blocks fed it) and A was judged by P's justified checkpoint, so it was never
// viable, never connected, and never got a state that could prove otherwise.
func TestTranscriptHealedPartitionReorgs(t *testing.T) {
	for _, via := range []string{"side block", "gossip"} {
		t.Run(via, func(t *testing.T) { healedPartition(t, via == "gossip") })
	}
}

func healedPartition(t *testing.T, gossip bool) {
	n := newTestNet(t, noLeak(4))
	E := n.p.PoS.EpochSlots
	const k = 3
	for n.slot < (k+1)*E-1 {
		n.runSlot()
	}
	p, _ := n.c.Tip()
	pst := n.tipState()
	if pst.Epoch != k {
		t.Fatalf("fork point in epoch %d, want %d", pst.Epoch, k)
	}

	b := n.blockOn(p, (k+1)*E, "b")
	a := n.blockOn(p, (k+1)*E+1, "a")
	now := n.e.SlotStart((k + 2) * E)
	process := func(blk *chain.Block) *chain.Result {
		t.Helper()
		res, err := n.c.ProcessBlock(blk, now)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	process(b)
	bst, _ := n.c.State(b.Hash())
	bs := bst.(*State)
	if bs.CurJustified.Epoch != k || pst.CurJustified.Epoch >= k {
		t.Fatalf("precondition: B justified %d, P %d; want B = %d > P", bs.CurJustified.Epoch, pst.CurJustified.Epoch, k)
	}

	// Epoch k+1 votes, from the validators' assigned slots (the same on both branches:
	// the set and seed come from P). Validator 0 votes for B; 1, 2 and 3 for A.
	info, _ := bs.EpochInfo(k + 1)
	vote := func(i int, head, targetRoot chain.Hash) chain.Vote {
		slot, ok := info.VoteSlot(uint32(i), E)
		if !ok {
			t.Fatalf("validator %d not active in epoch %d", i, k+1)
		}
		return n.signRaw(i, chain.Vote{Slot: slot, Head: head, Source: bs.CurJustified,
			Target: chain.Checkpoint{Epoch: k + 1, Root: targetRoot}})
	}
	vb := vote(0, b.Hash(), b.Hash())
	if err := n.e.OnVote(&vb); err != nil {
		t.Fatal(err)
	}
	if res := process(a); res.Status != chain.StatusSideChain {
		t.Fatalf("A: status %v, want side chain (B holds the only vote)", res.Status)
	}
	if tip, _ := n.c.Tip(); tip != b.Hash() {
		t.Fatalf("tip %s, want B", tip)
	}

	var va []chain.Vote
	for i := 1; i < 4; i++ {
		va = append(va, vote(i, a.Hash(), p)) // A's branch has no block at k+1's first slot
	}
	// A2, first slot of epoch k+2 on A: it may include all of epoch k+1's votes.
	carried := va
	if gossip {
		carried = nil
	}
	// The state after A, for A2's proposer (the chain has none: A is not connected).
	ah, _ := n.c.Height(a.Hash())
	actx := &chain.ApplyContext{Height: ah, View: n.c, Parent: pst}
	if err := n.e.Apply(n.c, a, actx); err != nil {
		t.Fatal(err)
	}
	a2 := n.blockWithVotes(a.Hash(), actx.State.(*State), (k+2)*E, "a2", carried)
	res := process(a2)
	if gossip {
		if tip, _ := n.c.Tip(); tip != b.Hash() {
			t.Fatalf("before the gossiped votes: tip %s, want B", tip)
		}
		for i := range va {
			if err := n.e.OnVote(&va[i]); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if res, err = n.c.Reconsider(now); err != nil {
			t.Fatal(err)
		}
	}
	if tip, _ := n.c.Tip(); tip != a2.Hash() {
		t.Fatalf("tip %s, want A2 (3 of 4 latest votes are on A's branch)", tip)
	}
	if res.ReorgDepth != 1 || len(res.Connected) != 2 {
		t.Fatalf("reorg depth %d, %d connected; want B off, A and A2 on", res.ReorgDepth, len(res.Connected))
	}
	// A's branch agrees with the justified checkpoint once its states are known, and it
	// stays the head: the fork choice settles.
	if f := n.c.Finality(); f.Justified != bs.CurJustified {
		t.Fatalf("justified %d/%s after the reorg, want %d/%s", f.Justified.Epoch, f.Justified.Root, bs.CurJustified.Epoch, bs.CurJustified.Root)
	}
	again, err := n.c.Reconsider(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Connected)+len(again.Disconnected) != 0 {
		t.Fatalf("fork choice moved again: %d connected, %d disconnected", len(again.Connected), len(again.Disconnected))
	}
}

// TestChooseHeadStatelessLeafSameEpoch: a side leaf without state whose nearest stateful
// ancestor is in its epoch has that ancestor's checkpoints (they move only at epoch
// boundaries), so it stays filtered when that checkpoint is not the justified one; past
// an epoch boundary its checkpoints are unknown and it is a candidate.
func TestChooseHeadStatelessLeafSameEpoch(t *testing.T) {
	e, err := NewEngine(noLeak(4))
	if err != nil {
		t.Fatal(err)
	}
	tr := newMemTree(e)
	g := e.gHash
	old := e.gState.clone()
	old.Epoch = 2
	just := old.clone()
	just.CurJustified = chain.Checkpoint{Epoch: 2, Root: g}
	at := func(slot uint64) *chain.Header { return &chain.Header{Seal: &chain.Seal{Slot: slot}} }
	a1, a2 := fcHash(0xa1), fcHash(0xa2)
	b1, b2 := fcHash(0xb1), fcHash(0xb2)
	tr.add(a1, at(16), g, old)
	tr.add(a2, at(17), a1, just)
	tr.add(b1, at(16), g, old)
	tr.add(b2, at(18), b1, nil) // same epoch as b1's state: b2 did not justify epoch 2
	for i := 0; i < 4; i++ {
		e.fc.onVerifiedVote(&chain.Vote{Validator: genesis.XOnly(genesis.DevKey("validator", i)), Head: b2, Target: chain.Checkpoint{Epoch: 2}})
	}
	if h, err := e.ChooseHead(tr); err != nil || h != a2 {
		t.Fatalf("head %x (%v), want a2: b2's checkpoints are b1's", h[:1], err)
	}
	b3 := fcHash(0xb3)
	tr.add(b3, at(24), b2, nil) // epoch 3: b's branch may have justified epoch 2 too
	for i := 0; i < 4; i++ {
		e.fc.onVerifiedVote(&chain.Vote{Validator: genesis.XOnly(genesis.DevKey("validator", i)), Head: b3, Target: chain.Checkpoint{Epoch: 3}})
	}
	if h, err := e.ChooseHead(tr); err != nil || h != b3 {
		t.Fatalf("head %x (%v), want b3 (unknown checkpoints, all the weight)", h[:1], err)
	}
}

// TestTranscriptUnknownLeafRevertedWhenItDisagrees: the other side of the rule above. A
// heavier side branch whose checkpoints are unknown is connected to be judged; when its
// real state turns out not to agree with the justified checkpoint, the same fork-choice
// run moves back, and it is not tried again (its state is known now).
func TestTranscriptUnknownLeafRevertedWhenItDisagrees(t *testing.T) {
	n := newTestNet(t, noLeak(4))
	E := n.p.PoS.EpochSlots
	const k = 3
	for n.slot < k*E+1 {
		n.runSlot()
	}
	p0, _ := n.c.Tip() // early in epoch k: few of epoch k's votes are in yet
	p0st := n.tipState()
	for n.slot < (k+1)*E {
		n.runSlot()
	}
	mainTip, _ := n.c.Tip()
	if j := n.finality().Justified; j.Epoch != k {
		t.Fatalf("precondition: main chain justified %d, want %d", j.Epoch, k)
	}

	// A on p0 in epoch k+1: it carries none of epoch k's later votes, so entering k+1 it
	// cannot justify epoch k. Three validators that have not voted in epoch k+1 yet name it.
	a := n.blockOn(p0, (k+1)*E+1, "a")
	info, _ := n.tipState().EpochInfo(k + 1)
	voted := 0
	for i := 0; i < 4 && voted < 3; i++ {
		n.e.fc.mu.Lock()
		m := n.e.fc.latest[genesis.XOnly(n.keys[i])]
		n.e.fc.mu.Unlock()
		if m.epoch >= k+1 {
			continue
		}
		slot, _ := info.VoteSlot(uint32(i), E)
		v := n.signRaw(i, chain.Vote{Slot: slot, Head: a.Hash(), Source: p0st.CurJustified, Target: chain.Checkpoint{Epoch: k + 1, Root: p0}})
		if err := n.e.OnVote(&v); err != nil {
			t.Fatal(err)
		}
		voted++
	}
	if voted < 3 {
		t.Fatalf("only %d validators free to vote in epoch %d", voted, k+1)
	}
	res, err := n.c.ProcessBlock(a, n.e.SlotStart((k+1)*E+2))
	if err != nil {
		t.Fatal(err)
	}
	if tip, _ := n.c.Tip(); tip != mainTip {
		t.Fatalf("tip %s, want the main tip back (A does not justify epoch %d)", tip, k)
	}
	if len(res.Disconnected) == 0 || res.Connected[0].Hash() != a.Hash() {
		t.Fatalf("A was not connected to be judged (%d disconnected, %d connected)", len(res.Disconnected), len(res.Connected))
	}
	ast, ok := n.c.State(a.Hash())
	if !ok || ast.(*State).CurJustified.Epoch >= k {
		t.Fatalf("A's state known %v, want one that did not justify epoch %d", ok, k)
	}
	again, err := n.c.Reconsider(n.e.SlotStart((k+1)*E + 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Connected)+len(again.Disconnected) != 0 {
		t.Fatalf("fork choice tried A again: %d connected, %d disconnected", len(again.Connected), len(again.Disconnected))
	}
}

// TestObserveBlockCountsOnlyGoodVotes: a stored block's votes reach the store through the
// same checks as gossip; a badly signed or unknown validator's vote adds nothing, and the
// good ones still count.
func TestObserveBlockCountsOnlyGoodVotes(t *testing.T) {
	n := newTestNet(t, noLeak(4))
	E := n.p.PoS.EpochSlots
	head := fcHash(0x0b)
	mk := func(i int) chain.Vote {
		return n.signRaw(i, chain.Vote{Slot: E - 1, Head: head, Target: chain.Checkpoint{Epoch: 0}})
	}
	good, bad, far := mk(0), mk(1), mk(2)
	bad.Sig[5] ^= 1
	far.Slot, far.Target.Epoch = 10*E, 10 // beyond the horizon (no block applied yet)
	far = n.signRaw(2, far)
	unknown := n.signRaw(3, chain.Vote{Slot: E - 1, Head: head})
	unknown.Validator[0] ^= 1
	for _, votes := range [][]chain.Vote{{good, bad, far, unknown}, {bad}, {good}} {
		n.e.ObserveBlock(n.c, &chain.Block{Votes: votes})
	}
	n.e.fc.mu.Lock()
	defer n.e.fc.mu.Unlock()
	if m, ok := n.e.fc.latest[good.Validator]; !ok || m.root != head {
		t.Fatal("the good vote was not counted")
	}
	for _, v := range []chain.Vote{bad, far} {
		if m, ok := n.e.fc.latest[v.Validator]; ok && m.root == head {
			t.Fatalf("vote of %x counted", v.Validator[:4])
		}
	}
	if _, ok := n.e.fc.latest[unknown.Validator]; ok {
		t.Fatal("unknown validator counted")
	}
}
