package staking

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
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
	for _, tmpl := range []string{"harness", "chain.NewTemplate"} {
		t.Run(tmpl, func(t *testing.T) { fullParticipation(t, tmpl != "harness") })
	}
}

func fullParticipation(t *testing.T, chainTmpl bool) {
	n := newTestNet(t, genesis.PosDev(4))
	n.chainTmpl = chainTmpl
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
	off := st.Validator(3).Balance
	if off >= st.Validator(3).Bonded {
		t.Fatalf("offline balance %d not leaked", off)
	}
	// The offline balance is the bond after k whole leak epochs of InactivityPenaltyBP.
	b, k := st.Validator(3).Bonded, 0
	for b > off {
		b -= b/10000*p.PoS.InactivityPenaltyBP + b%10000*p.PoS.InactivityPenaltyBP/10000
		k++
	}
	if b != off {
		t.Fatalf("offline balance %d is not the bond leaked a whole number of epochs", off)
	}
	t.Logf("leaked for %d epochs", k)
	// The leak stops once finality is back: offline balances stop falling soon after.
	n.runUntilEpoch(finalAt + 2)
	b1 := n.tipState().Validator(3).Balance
	n.runUntilEpoch(finalAt + 5)
	if b2 := n.tipState().Validator(3).Balance; b2 != b1 {
		t.Fatalf("offline balance still leaking after finality: %d -> %d", b1, b2)
	}
}

// equivocate signs two votes by validator i for the current epoch without slashing
// protection (a faulty or malicious signer) and returns them.
func (n *testNet) signRaw(i int, v chain.Vote) chain.Vote {
	n.t.Helper()
	v.Validator = genesis.XOnly(n.keys[i])
	sig, err := chain.SignHash(n.keys[i], v.SigningHash())
	if err != nil {
		n.t.Fatal(err)
	}
	v.Sig = sig
	return v
}

// runUntilSlashed runs slots until validator i is slashed at the tip, and returns the block
// that carried the evidence.
func (n *testNet) runUntilSlashed(i int, maxSlots int) *chain.Block {
	n.t.Helper()
	for s := 0; s < maxSlots; s++ {
		nb := len(n.blocks)
		n.runSlot()
		if n.tipState().Validator(i).Slashed {
			for _, b := range n.blocks[nb:] {
				if len(b.Slashings) > 0 {
					return b
				}
			}
			n.t.Fatal("slashed without a block carrying evidence")
		}
	}
	n.t.Fatalf("validator %d not slashed after %d slots", i, maxSlots)
	return nil
}

func checkSlashed(t *testing.T, n *testNet, i int, kind chain.EvidenceKind, b *chain.Block) {
	t.Helper()
	st := n.tipState()
	v := st.Validator(i)
	if b.Slashings[0].Kind != kind {
		t.Fatalf("evidence kind %d, want %d", b.Slashings[0].Kind, kind)
	}
	// Burned SlashPenaltyPercent (50%) of a balance that was about its bond.
	if v.Balance > v.Bonded*51/100 || v.Balance < v.Bonded*45/100 {
		t.Fatalf("slashed balance %d of bonded %d", v.Balance, v.Bonded)
	}
	if v.Exit > st.Epoch+1 {
		t.Fatalf("slashed validator exits at %d, state epoch %d", v.Exit, st.Epoch)
	}
	// It may not propose for the rest of the epoch, though the epoch's draw includes it.
	tip, _ := n.c.Tip()
	for slot := n.slot + 1; slot < (st.Epoch+1)*n.p.PoS.EpochSlots; slot++ {
		if k, ok := n.e.Proposer(st, tip, slot); k == v.Key && ok {
			t.Fatalf("slashed validator eligible to propose slot %d", slot)
		}
	}
	// The proposer was paid the whistleblower reward on top of subsidy and vote rewards.
	p := n.p.PoS
	_, h := n.c.Tip()
	_ = h
	base := n.p.Subsidy + uint64(len(b.Votes))*p.ProposerVoteReward
	if got := b.Txs[0].Outputs[0].Value; got <= base {
		t.Fatalf("coinbase %d, want more than %d (whistleblower reward)", got, base)
	}
	// Ejected: not in the next epoch's set, so the other 3 keep finalizing.
	e := st.Epoch + 3
	n.runUntilEpoch(e)
	st = n.tipState()
	if ei, _ := st.EpochInfo(st.Epoch); ei.WeightOf(uint32(i)) != 0 {
		t.Fatal("slashed validator still active")
	}
	if f := n.finality(); f.Finalized.Epoch+2 < st.Epoch {
		t.Fatalf("after slashing: finalized %d at epoch %d", f.Finalized.Epoch, st.Epoch)
	}
}

// TestTranscriptDoubleVoteSlashed: validator 3 signs two different votes for one target;
// an honest node sees both, builds evidence, the next proposer includes it, and 3 is slashed.
func TestTranscriptDoubleVoteSlashed(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(4))
	n.chainTmpl = true // the node's path: chain.NewTemplate pays the whistleblower reward
	n.runUntilEpoch(3)
	st := n.tipState()
	tip, _ := n.c.Tip()
	v := chain.Vote{Slot: n.slot, Head: tip, Source: st.CurJustified, Target: chain.Checkpoint{Epoch: st.Epoch, Root: st.CurTargetRoot}}
	a := n.signRaw(3, v)
	v.Head = chain.Hash{1}
	b := n.signRaw(3, v)
	n.deliverVote(a)
	n.deliverVote(b)
	blk := n.runUntilSlashed(3, 16)
	checkSlashed(t, n, 3, chain.EvidenceDoubleVote, blk)
}

// TestTranscriptSurroundVoteSlashed: validator 2 signs a vote 0->E and later 1->E-1.
func TestTranscriptSurroundVoteSlashed(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(4))
	n.runUntilEpoch(4)
	E := n.tipState().Epoch
	es := n.p.PoS.EpochSlots
	outer := n.signRaw(2, chain.Vote{Slot: E * es, Source: chain.Checkpoint{Epoch: 0}, Target: chain.Checkpoint{Epoch: E}})
	inner := n.signRaw(2, chain.Vote{Slot: (E - 1) * es, Source: chain.Checkpoint{Epoch: 1}, Target: chain.Checkpoint{Epoch: E - 1}})
	if !IsSlashableVoteData(&outer, &inner) {
		t.Fatal("outer does not surround inner")
	}
	n.deliverVote(outer)
	n.deliverVote(inner)
	blk := n.runUntilSlashed(2, 16)
	checkSlashed(t, n, 2, chain.EvidenceSurroundVote, blk)
}

// TestTranscriptFinalizedConflictRefused: once epoch >= 2 is finalized, a correctly
// proposed and signed block on genesis is refused by the chain, and even with every
// validator's latest vote on it the engine's fork choice keeps the finalized branch.
func TestTranscriptFinalizedConflictRefused(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(4))
	n.runUntilEpoch(5)
	f := n.finality()
	if f.Finalized.Epoch < 2 {
		t.Fatalf("finalized %d", f.Finalized.Epoch)
	}
	tipBefore, _ := n.c.Tip()
	// A fork on genesis at the next slot, by that slot's proposer on the genesis branch.
	slot := n.slot + 1
	gs := n.e.gState
	prop, _ := n.e.Proposer(gs, n.e.gHash, slot)
	var key *btcec.PrivateKey
	for _, k := range n.keys {
		if genesis.XOnly(k) == prop {
			key = k
		}
	}
	cb := chain.NewCoinbase(1, []byte("fork"), []chain.TxOut{{Value: 1, Lock: chain.PayTo(prop)}})
	fork := &chain.Block{Header: chain.Header{Version: 1, Prev: n.e.gHash, Time: n.e.SlotTime(slot),
		Seal: &chain.Seal{Slot: slot, Proposer: prop}}, Txs: []*chain.Tx{cb}}
	fork.Header.MerkleRoot, _ = chain.MerkleRoot(chain.TxIDs(fork.Txs))
	fork.Header.Seal.VoteRoot = fork.ComputeVoteRoot()
	fork.Header.Seal.Sig, _ = chain.SignHash(key, fork.Header.SigningHash())
	// The engine alone accepts the header (it is a valid block on genesis)...
	if err := n.e.VerifyHeader(n.c, &fork.Header, gs, n.e.SlotStart(slot)); err != nil {
		t.Fatalf("fork header: %v", err)
	}
	// ...the chain refuses it.
	_, err := n.c.ProcessBlock(fork, n.e.SlotStart(slot))
	if !errors.Is(err, chain.ErrFinalizedConflict) {
		t.Fatalf("fork on genesis: %v, want ErrFinalizedConflict", err)
	}
	// Every validator's latest vote on the fork: fork choice over a tree that contains it
	// still returns the finalized branch.
	for i := range n.keys {
		v := n.signRaw(i, chain.Vote{Slot: slot, Head: fork.Hash(), Target: chain.Checkpoint{Epoch: n.e.EpochOf(slot)}})
		if err := n.e.OnVote(&v); err != nil {
			t.Fatal(err)
		}
	}
	tree := newMemTree(n.e)
	tree.addChain(t, n.c)
	tree.add(fork.Hash(), &fork.Header, n.e.gHash, nil)
	head, err := n.e.ChooseHead(tree)
	if err != nil {
		t.Fatal(err)
	}
	if head != tipBefore {
		t.Fatalf("fork choice head %s, want the finalized branch tip %s", head, tipBefore)
	}
	if t2, _ := n.c.Tip(); t2 != tipBefore {
		t.Fatal("chain tip moved")
	}
}

// TestTranscriptStartTicksOnly: a node that ticks only at slot starts still votes (on the
// slot's block when it arrives, or at the next slot's tick when it does not, e.g. in the
// empty slots of the one offline validator of six), and the chain finalizes.
func TestTranscriptStartTicksOnly(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(6))
	n.startOnly = true
	n.setOnline(5, false)
	n.runUntilEpoch(6)
	if f := n.finality(); f.Finalized.Epoch < 3 {
		t.Fatalf("finalized %d entering epoch 6", f.Finalized.Epoch)
	}
}

// blockOn builds and signs a block at slot on parent by that slot's proposer on parent's
// branch (the harness template only extends the tip).
func (n *testNet) blockOn(parent chain.Hash, slot uint64, tag string) *chain.Block {
	n.t.Helper()
	es, ok := n.c.State(parent)
	if !ok {
		n.t.Fatal("no parent state")
	}
	ps := es.(*State)
	height, _ := n.c.Height(parent)
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
	b := &chain.Block{Header: chain.Header{Version: 1, Prev: parent}, Txs: []*chain.Tx{cb}}
	if err := n.e.Prepare(n.c, &b.Header, ps, n.e.SlotStart(slot)); err != nil {
		n.t.Fatal(err)
	}
	b.Header.MerkleRoot, _ = chain.MerkleRoot(chain.TxIDs(b.Txs))
	b.Header.Seal.VoteRoot = b.ComputeVoteRoot()
	b.Header.Seal.Sig, _ = chain.SignHash(key, b.Header.SigningHash())
	return b
}

// TestTranscriptForkResolvedByVotes: two blocks compete on one parent (a late block and
// the next proposer's, which missed it). With no votes the greater hash leads; once three
// of four validators' latest votes name the other block, Reconsider reorganises to it.
func TestTranscriptForkResolvedByVotes(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(4))
	n.runUntilEpoch(3)
	n.midEpoch()
	parent, _ := n.c.Tip()
	x := n.blockOn(parent, n.slot+1, "x")
	y := n.blockOn(parent, n.slot+2, "y")
	now := n.e.SlotStart(n.slot + 2)
	for _, b := range []*chain.Block{x, y} {
		if _, err := n.c.ProcessBlock(b, now); err != nil {
			t.Fatal(err)
		}
	}
	hx, hy := x.Hash(), y.Hash()
	hi, lo := hx, hy
	if bytes.Compare(hy[:], hx[:]) > 0 {
		hi, lo = hy, hx
	}
	if tip, _ := n.c.Tip(); tip != hi {
		t.Fatalf("tie: tip %s, want the greater hash %s", tip, hi)
	}
	ep := n.e.EpochOf(n.slot) + 1
	for i := 0; i < 3; i++ {
		v := n.signRaw(i, chain.Vote{Slot: ep * n.p.PoS.EpochSlots, Head: lo, Target: chain.Checkpoint{Epoch: ep}})
		if err := n.e.OnVote(&v); err != nil {
			t.Fatal(err)
		}
	}
	res, err := n.c.Reconsider(now)
	if err != nil {
		t.Fatal(err)
	}
	if tip, _ := n.c.Tip(); tip != lo || res.ReorgDepth != 1 {
		t.Fatalf("after votes: tip %s (reorg %d), want %s", tip, res.ReorgDepth, lo)
	}
}
