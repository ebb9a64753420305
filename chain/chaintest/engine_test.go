package chaintest

import (
	"errors"
	"testing"

	"chainlab/chain"
)

func TestEngineRules(t *testing.T) {
	p := Params()
	e := NewEngine(p)
	c, _ := NewMemChain(t, &chain.Config{Params: p, Engine: e})
	b := NewBuilder(p)
	bs := b.Chain(b.Genesis.Hash(), 8)
	for _, blk := range bs {
		if _, err := c.ProcessBlock(blk, Now()); err != nil {
			t.Fatal(err)
		}
	}
	if w, _ := e.Weight(nil, &bs[0].Header); w.Int64() != 1 {
		t.Fatal("weight")
	}
	tip := bs[7].Header
	f := e.Finality(chainReader{c}, &tip, nil)
	if f.Absolute || f.Height != 8-p.FinalityDepth || f.Hash != bs[8-p.FinalityDepth-1].Hash() {
		t.Fatalf("k-deep %+v", f)
	}
	e.SetFinalized(20) // beyond the tip: clamps to the tip
	if f := e.Finality(chainReader{c}, &tip, nil); !f.Absolute || f.Height != 8 || f.Hash != bs[7].Hash() {
		t.Fatalf("clamped %+v", f)
	}
	e.ClearFinalized()
	stake := chain.Lock{Kind: chain.LockStake, Key: PubKey(1), Owner: PubKey(2)}
	tx := &chain.Tx{Outputs: []chain.TxOut{{Value: 1, Lock: stake}}}
	if _, err := e.CheckTx(nil, nil, tx, nil, 1); !errors.Is(err, chain.ErrBadStake) {
		t.Fatalf("stake output: %v", err)
	}
	spent := []*chain.Coin{{Out: chain.TxOut{Value: 1, Lock: stake}}}
	if _, err := e.CheckTx(nil, nil, &chain.Tx{}, spent, 1); !errors.Is(err, chain.ErrBadStake) {
		t.Fatalf("stake input: %v", err)
	}
	h := bs[0].Header
	h.Seal = &chain.Seal{}
	if err := e.VerifyHeader(nil, &h, nil, Now()); !errors.Is(err, chain.ErrUnexpectedSeal) {
		t.Fatalf("seal: %v", err)
	}
}

// chainReader adapts *chain.Chain (whose methods lock) to HeaderReader for direct engine
// calls outside the chain.
type chainReader struct{ *chain.Chain }
