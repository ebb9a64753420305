package staking

import (
	"testing"

	"chainlab/chain"
	"chainlab/genesis"
)

// TestDutiesSteps drives the duties of 4 validators through one slot by hand: only the
// slot's proposer outputs a block (signed, vote root set), a repeated tick outputs no
// second block, only the slot's committee votes (once), and NewHead reports finality
// changes.
func TestDutiesSteps(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(4))
	n.runUntilEpoch(1)
	slot := n.slot + 1
	start := n.e.SlotStart(slot)
	tip, _ := n.c.Tip()
	prop, _ := n.e.Proposer(n.tipState(), tip, slot)
	var blk *chain.Block
	for i, d := range n.duties {
		n.step(i, Tick{Slot: slot, Now: start})
		r := d.Ready()
		mine := genesis.XOnly(n.keys[i]) == prop
		if mine != (len(r.Blocks) == 1) || len(r.Blocks) > 1 {
			t.Fatalf("validator %d (proposer %v) output %d blocks", i, mine, len(r.Blocks))
		}
		if mine {
			blk = r.Blocks[0]
			if blk.Header.Seal.VoteRoot != blk.ComputeVoteRoot() {
				t.Fatal("vote root not set")
			}
			if err := n.e.VerifyHeader(n.c, &blk.Header, n.tipState(), start); err != nil {
				t.Fatalf("proposed header: %v", err)
			}
			n.step(i, Tick{Slot: slot, Now: start.Add(100)})
			if r2 := d.Ready(); len(r2.Blocks) != 0 {
				t.Fatal("second block for the same slot")
			}
		}
	}
	if _, err := n.c.ProcessBlock(blk, start); err != nil {
		t.Fatal(err)
	}
	// The slot's block is the head: the committee of this slot votes at once, others not.
	h := n.headInput()
	st := n.e.StateAt(h.State, n.e.EpochOf(slot), h.Hash)
	votes := 0
	for i, d := range n.duties {
		n.step(i, h)
		r := d.Ready()
		idx, _, _ := st.ValidatorByKey(genesis.XOnly(n.keys[i]))
		vs, _ := st.curInfo.VoteSlot(uint32(idx), n.p.PoS.EpochSlots)
		if (vs == slot) != (len(r.Votes) == 1) {
			t.Fatalf("validator %d (vote slot %d) output %d votes at slot %d", i, vs, len(r.Votes), slot)
		}
		for _, v := range r.Votes {
			if v.Head != h.Hash || v.Slot != slot || !VerifyVoteSig(&v) {
				t.Fatalf("vote %+v", v)
			}
			votes++
		}
		n.step(i, Tick{Slot: slot, Now: start.Add(n.p.PoS.SlotDuration() * 3 / 4)})
		if r2 := d.Ready(); len(r2.Votes) != 0 {
			t.Fatal("voted twice in one epoch")
		}
	}
	if votes != 1 { // 4 validators in 8 slots: one each at offsets 1, 3, 5, 7; slot 9 has one
		t.Fatalf("%d votes at slot %d, want 1", votes, slot)
	}
	// Finality changes are reported once per change.
	n.runUntilEpoch(4)
	d := n.duties[0]
	d.Ready()
	fresh, _ := NewDuties(DutiesConfig{Engine: n.e, Protection: mustProt(t), Template: n.template})
	if err := fresh.Step(n.headInput()); err != nil {
		t.Fatal(err)
	}
	r := fresh.Ready()
	if len(r.Finality) != 1 || r.Finality[0].Finalized.Epoch < 2 {
		t.Fatalf("finality changes %+v", r.Finality)
	}
	if err := fresh.Step(n.headInput()); err != nil {
		t.Fatal(err)
	}
	if r := fresh.Ready(); len(r.Finality) != 0 {
		t.Fatal("unchanged finality reported again")
	}
}

func mustProt(t *testing.T) *Protection {
	p, err := NewProtection("")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
