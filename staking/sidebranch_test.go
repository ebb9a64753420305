package staking

import (
	"bytes"
	"fmt"
	"testing"

	"chainlab/chain"
)

// TestTranscriptHealedPartitionBetterJustifiedSideBranch is a node of a healed 2|2
// partition whose own branch justified less than the other side's, on a real chain.
// From P (last block of epoch k) the node's branch B (connected) carries no votes of
// epoch k+1; the other side's branch A (stored, never connected) carries three of them,
// cast before the cut, so entering epoch k+3 it justifies k+1 while B still says k.
// Epoch k+2's latest messages split 2:2 and B wins the tie-break by hash.
//
// The fork choice must move to A: the store's justified checkpoint is A's (on_block
// processes every block, update_checkpoints keeps the best), which makes B non-viable.
// It did not: A had no state (never connected) and the node judged it only by weight, so
// it never connected A and never learnt its justification, while A's side found B
// non-viable: the network stayed split and finality never resumed.
func TestTranscriptHealedPartitionBetterJustifiedSideBranch(t *testing.T) {
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
	now := n.e.SlotStart((k+3)*E + 1)
	process := func(b *chain.Block) {
		t.Helper()
		if _, err := n.c.ProcessBlock(b, now); err != nil {
			t.Fatal(err)
		}
	}
	// stateAfter applies a side block to get the state its child's proposer needs, on a
	// separate engine: the node's must learn about A only from the chain.
	shadow, err := NewEngine(n.p)
	if err != nil {
		t.Fatal(err)
	}
	stateAfter := func(b *chain.Block, ps *State) *State {
		t.Helper()
		ph, _ := n.c.Height(b.Header.Prev)
		ctx := &chain.ApplyContext{Height: ph + 1, View: n.c, Parent: ps}
		if err := shadow.Apply(n.c, b, ctx); err != nil {
			t.Fatal(err)
		}
		return ctx.State.(*State)
	}

	// A1 on P, one slot into epoch k+1 (no checkpoint block of its own).
	a1 := n.blockOn(p, (k+1)*E+1, "a1")
	// B1 on P at the first slot of k+1: a tag whose hash beats A1's, so B wins ties.
	var b1 *chain.Block
	for i := 0; ; i++ {
		b1 = n.blockOn(p, (k+1)*E, fmt.Sprintf("b1-%d", i))
		h1, ha := b1.Hash(), a1.Hash()
		if bytes.Compare(h1[:], ha[:]) > 0 {
			break
		}
	}
	process(b1)
	b2 := n.blockOn(b1.Hash(), (k+2)*E, "b2")
	process(b2)
	b3 := n.blockOn(b2.Hash(), (k+3)*E, "b3")
	process(b3)
	bst := n.tipState()
	if bst.CurJustified.Epoch != k {
		t.Fatalf("precondition: B justified %d entering epoch %d, want %d", bst.CurJustified.Epoch, k+3, k)
	}

	// A: epoch k+1 votes of validators 0..2 (target P: A has no block at k+1's first
	// slot), carried by A2 at the first slot of k+2; A3 enters k+3, justifying k+1.
	b1st, _ := n.c.State(b1.Hash())
	info, _ := b1st.(*State).EpochInfo(k + 1)
	var early []chain.Vote
	for i := 0; i < 3; i++ {
		slot, ok := info.VoteSlot(uint32(i), E)
		if !ok {
			t.Fatalf("validator %d not active in epoch %d", i, k+1)
		}
		early = append(early, n.signRaw(i, chain.Vote{Slot: slot, Head: a1.Hash(), Source: b1st.(*State).CurJustified,
			Target: chain.Checkpoint{Epoch: k + 1, Root: p}}))
	}
	process(a1) // a side block: 0:0, B1 has the greater hash
	a1st := stateAfter(a1, pst)
	a2 := n.blockWithVotes(a1.Hash(), a1st, (k+2)*E, "a2", early)
	a2st := stateAfter(a2, a1st)

	// Epoch k+2 (after the cut): 0 and 1 vote on A, 2 and 3 on B — a 2:2 tie.
	b2st, _ := n.c.State(b2.Hash())
	for i := 0; i < 4; i++ {
		st, head := a2st, a2.Hash()
		if i >= 2 {
			st, head = b2st.(*State), b2.Hash()
		}
		inf, _ := st.EpochInfo(k + 2)
		slot, _ := inf.VoteSlot(uint32(i), E)
		v := n.signRaw(i, chain.Vote{Slot: slot, Head: head, Source: st.CurJustified, Target: chain.Checkpoint{Epoch: k + 2, Root: head}})
		if err := n.e.OnVote(&v); err != nil {
			t.Fatal(err)
		}
	}
	process(a2) // its epoch k+1 votes are older than the validators' latest messages
	if tip, _ := n.c.Tip(); tip != b3.Hash() {
		t.Fatalf("before A3 arrives: tip %s, want B3 (A2 has not justified anything yet)", tip)
	}
	for _, b := range []*chain.Block{a1, a2} {
		if _, ok := n.c.State(b.Hash()); ok {
			t.Fatalf("precondition: side block %s was connected", b.Hash())
		}
	}
	a3 := n.blockOn2(a2.Hash(), a2st, (k+3)*E, "a3")
	if st := stateAfter(a3, a2st); st.CurJustified != (chain.Checkpoint{Epoch: k + 1, Root: p}) {
		t.Fatalf("precondition: A justified %d/%s entering epoch %d, want %d/%s", st.CurJustified.Epoch, st.CurJustified.Root, k+3, k+1, p)
	}
	process(a3)
	if tip, _ := n.c.Tip(); tip != a3.Hash() {
		t.Fatalf("tip %s, want A3: A's branch justified epoch %d, B's only %d", tip, k+1, k)
	}
	if f := n.c.Finality(); f.Justified.Epoch != k+1 {
		t.Fatalf("justified %d after the reorg, want %d", f.Justified.Epoch, k+1)
	}
	// Every block is connected now: the engine keeps no body or estimate for any.
	n.e.side.mu.Lock()
	kept := len(n.e.side.bodies) + len(n.e.side.est)
	n.e.side.mu.Unlock()
	if kept != 0 {
		t.Fatalf("%d side bodies/estimates kept after every block was connected", kept)
	}
	again, err := n.c.Reconsider(now)
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Connected)+len(again.Disconnected) != 0 {
		t.Fatalf("fork choice moved again: %d connected, %d disconnected", len(again.Connected), len(again.Disconnected))
	}
}

// blockOn2 is blockOn for a parent the chain has no state for (its state is ps).
func (n *testNet) blockOn2(parent chain.Hash, ps *State, slot uint64, tag string) *chain.Block {
	return n.blockWithVotes(parent, ps, slot, tag, nil)
}
