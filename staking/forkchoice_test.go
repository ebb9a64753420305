package staking

import (
	"bytes"
	"testing"

	"chainlab/chain"
	"chainlab/genesis"
)

func fcHash(b ...byte) chain.Hash {
	var h chain.Hash
	copy(h[:], b)
	h[31] = 0xfc
	return h
}

// TestChooseHeadGHOST: two branches from genesis; the one with more latest-vote stake wins
// even if shorter; equal stake goes to the greater hash; a later vote moves a validator's
// weight (LMD: only its latest vote counts).
func TestChooseHeadGHOST(t *testing.T) {
	e, err := NewEngine(genesis.PosDev(4))
	if err != nil {
		t.Fatal(err)
	}
	tr := newMemTree(e)
	hdr := &chain.Header{}
	g := e.gHash
	a1, a2, a3 := fcHash(0xa1), fcHash(0xa2), fcHash(0xa3)
	b1 := fcHash(0xb1)
	tr.add(a1, hdr, g, e.gState)
	tr.add(a2, hdr, a1, e.gState)
	tr.add(a3, hdr, a2, e.gState)
	tr.add(b1, hdr, g, e.gState)
	keys := make([][32]byte, 4)
	for i := range keys {
		keys[i] = genesis.XOnly(genesis.DevKey("validator", i))
	}
	vote := func(i int, epoch uint64, root chain.Hash) {
		e.fc.onVerifiedVote(&chain.Vote{Validator: keys[i], Head: root, Target: chain.Checkpoint{Epoch: epoch}})
	}
	head := func() chain.Hash {
		h, err := e.ChooseHead(tr)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	// No votes: tie at zero weight, greater hash first (0xb1 > 0xa1).
	if h := head(); h != b1 {
		t.Fatalf("no votes: head %x, want b1", h[:1])
	}
	vote(0, 1, a2)
	if h := head(); h != a3 {
		t.Fatalf("one vote in a: head %x, want a3", h[:1])
	}
	vote(1, 1, b1)
	vote(2, 1, b1)
	if h := head(); h != b1 {
		t.Fatalf("2 vs 1: head %x, want b1", h[:1])
	}
	// An older vote does not replace a newer one; a newer one does.
	vote(1, 0, a1)
	if h := head(); h != b1 {
		t.Fatalf("stale vote counted: head %x", h[:1])
	}
	vote(1, 2, a3)
	vote(3, 2, a1)
	if h := head(); h != a3 {
		t.Fatalf("3 vs 1: head %x, want a3", h[:1])
	}
	if bytes.Equal(a3[:], b1[:]) {
		t.Fatal("hashes collide")
	}
}

// TestChooseHeadJustifiedFilter: a branch whose state justified a later checkpoint makes
// that checkpoint the store's; a heavier branch that does not agree with it is not viable.
func TestChooseHeadJustifiedFilter(t *testing.T) {
	e, err := NewEngine(genesis.PosDev(4))
	if err != nil {
		t.Fatal(err)
	}
	tr := newMemTree(e)
	hdr := &chain.Header{}
	g := e.gHash
	a1, a2 := fcHash(0xa1), fcHash(0xa2)
	b1, b2 := fcHash(0xb1), fcHash(0xb2)
	just := e.gState.clone()
	just.CurJustified = chain.Checkpoint{Epoch: 1, Root: a1}
	tr.add(a1, hdr, g, e.gState)
	tr.add(a2, hdr, a1, just)
	tr.add(b1, hdr, g, e.gState)
	tr.add(b2, hdr, b1, e.gState)
	for i := 0; i < 4; i++ {
		e.fc.onVerifiedVote(&chain.Vote{Validator: genesis.XOnly(genesis.DevKey("validator", i)), Head: b2, Target: chain.Checkpoint{Epoch: 1}})
	}
	h, err := e.ChooseHead(tr)
	if err != nil {
		t.Fatal(err)
	}
	if h != a2 {
		t.Fatalf("head %x, want a2 (the branch that justified epoch 1)", h[:1])
	}
}
