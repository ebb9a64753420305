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

// TestTranscriptOfflineThenReturn: with half the stake offline (leak off) nothing is
// justified or finalized for 8 epochs; once they return, finality resumes.
func TestTranscriptOfflineThenReturn(t *testing.T) {
	n := newTestNet(t, noLeak(4))
	n.setOnline(2, false)
	n.setOnline(3, false)
	n.runUntilEpoch(8)
	f := n.finality()
	if f.Justified.Epoch != 0 || f.Finalized.Epoch != 0 {
		t.Fatalf("with 50%% offline: justified %d finalized %d, want 0 0", f.Justified.Epoch, f.Finalized.Epoch)
	}
	if n.tipState().Slot == 0 {
		t.Fatal("the online half produced no blocks")
	}
	n.setOnline(2, true)
	n.setOnline(3, true)
	for e := uint64(9); e <= 13; e++ {
		n.runUntilEpoch(e)
		t.Logf("epoch %d: justified %d finalized %d", e, n.finality().Justified.Epoch, n.finality().Finalized.Epoch)
	}
	f = n.finality()
	if f.Finalized.Epoch < 11 {
		t.Fatalf("after return: finalized %d, want >= 11", f.Finalized.Epoch)
	}
}

// TestTranscriptInactivityLeak: 2 of 5 validators (40%) never come back; the leak drains
// them until the online 60% is a 2/3 supermajority and finality resumes.
func TestTranscriptInactivityLeak(t *testing.T) {
	p := genesis.PosDev(5)
	n := newTestNet(t, p)
	n.setOnline(3, false)
	n.setOnline(4, false)
	finalAt := uint64(0)
	for e := uint64(1); e <= 30 && finalAt == 0; e++ {
		n.runUntilEpoch(e)
		f := n.finality()
		st := n.tipState()
		t.Logf("epoch %d: justified %d finalized %d offline balance %d online %d", e, f.Justified.Epoch, f.Finalized.Epoch,
			st.Validator(3).Balance, st.Validator(0).Balance)
		if f.Finalized.Epoch > 0 {
			finalAt = e
		}
	}
	if finalAt == 0 {
		t.Fatal("no finality after 30 epochs of leak")
	}
	if finalAt <= p.PoS.InactivityThreshold+2 {
		t.Fatalf("finalized at epoch %d: too early for 40%% offline", finalAt)
	}
	st := n.tipState()
	if off := st.Validator(3).Balance; off >= st.Validator(3).Bonded {
		t.Fatalf("offline balance %d not leaked", off)
	}
	// The leak stops once finality is back: offline balances stop falling soon after.
	n.runUntilEpoch(finalAt + 2)
	b1 := n.tipState().Validator(3).Balance
	n.runUntilEpoch(finalAt + 5)
	if b2 := n.tipState().Validator(3).Balance; b2 != b1 {
		t.Fatalf("offline balance still leaking after finality: %d -> %d", b1, b2)
	}
}
