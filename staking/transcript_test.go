package staking

import (
	"testing"

	"chainlab/genesis"
)

func noLeak(n int) *genesis.Params {
	p := genesis.PosDev(n)
	p.PoS.InactivityLeak = false
	return p
}

// TestTranscriptFullParticipation: every validator online; epoch 2 is finalized once the
// end of epoch 3 is processed (first block of epoch 4), and finality then trails the head
// by one epoch; the head is always the tip and the chain never forks.
func TestTranscriptFullParticipation(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(4))
	for e := uint64(1); e <= 6; e++ {
		n.runUntilEpoch(e)
		f := n.finality()
		t.Logf("epoch %d: justified %d finalized %d (slot %d, blocks %d)", e, f.Justified.Epoch, f.Finalized.Epoch, n.slot, len(n.blocks))
		if e == 4 && f.Finalized.Epoch < 2 {
			t.Fatalf("entering epoch 4: finalized %d, want >= 2", f.Finalized.Epoch)
		}
		if e >= 4 && f.Finalized.Epoch+2 < e {
			t.Fatalf("entering epoch %d: finalized %d trails by more than 2", e, f.Finalized.Epoch)
		}
		if !f.Absolute {
			t.Fatal("PoS finality must be absolute")
		}
	}
	if _, h := n.c.Tip(); int(h) != len(n.blocks) {
		t.Fatalf("tip height %d, %d blocks produced: a block was orphaned", h, len(n.blocks))
	}
	// Every validator earned voter rewards.
	st := n.tipState()
	for i := 0; i < st.NumValidators(); i++ {
		if v := st.Validator(i); v.Balance <= v.Bonded {
			t.Errorf("validator %d balance %d not above bonded %d", i, v.Balance, v.Bonded)
		}
	}
}
