package chain_test

import (
	"errors"
	"testing"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

func TestQueries(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	g := b.Genesis.Hash()
	bs := b.Chain(g, 12)
	processAll(t, c, bs)
	side := b.Block(bs[5].Hash(), nil, 0)
	mustProcess(t, c, side)

	if h, ok := c.HashAt(12); !ok || h != bs[11].Hash() {
		t.Fatal("HashAt")
	}
	if _, ok := c.HashAt(13); ok {
		t.Fatal("HashAt above tip")
	}
	if hd, ok := c.Ancestor(side.Hash(), 3); !ok || hd.Hash() != bs[2].Hash() {
		t.Fatal("Ancestor of a side block")
	}
	if _, ok := c.Ancestor(bs[2].Hash(), 5); ok {
		t.Fatal("Ancestor above the block")
	}
	if c.IsMainChain(side.Hash()) || !c.IsMainChain(bs[5].Hash()) {
		t.Fatal("IsMainChain")
	}
	if w, ok := c.Work(side.Hash()); !ok || w.Int64() != 7 {
		t.Fatalf("work %v", w)
	}
	// Median of the 11 times ending at block 12 (times genesis+1 .. genesis+12): genesis+7.
	if m, err := c.MedianTimePast(bs[11].Hash()); err != nil || m != b.Genesis.Header.Time+7 {
		t.Fatalf("mtp %d %v", m, err)
	}
	if _, err := c.MedianTimePast(chain.Hash{1}); !errors.Is(err, chain.ErrNotFound) {
		t.Fatal("mtp of unknown")
	}
	if _, err := c.Block(chain.Hash{1}); !errors.Is(err, chain.ErrNotFound) {
		t.Fatal("Block of unknown")
	}
	blk, err := c.Block(side.Hash())
	if err != nil || blk.Hash() != side.Hash() {
		t.Fatal("Block")
	}
	if th := c.TipHeader(); th.Hash() != bs[11].Hash() {
		t.Fatal("TipHeader")
	}
	if f := c.Finality(); f.Absolute || f.Height != 12-c.Params().FinalityDepth || f.Hash != bs[12-c.Params().FinalityDepth-1].Hash() {
		t.Fatalf("k-deep finality %+v", f)
	}
	if _, err := c.AddressCoins([32]byte{}); !errors.Is(err, chain.ErrNoIndex) {
		t.Fatal("address index not enabled")
	}
	if _, ok := c.TxLocation(bs[0].Txs[0].TxID()); ok {
		t.Fatal("tx index not enabled")
	}
	if co, err := c.Coin(chain.OutPoint{TxID: bs[0].Txs[0].TxID()}); err != nil || co == nil || !co.Coinbase || co.Height != 1 {
		t.Fatalf("coinbase coin %+v", co)
	}
	// CheckTxInputs: maturity relative to the height asked for.
	cb := bs[11].Txs[0]
	tx := chaintest.Pay(chain.OutPoint{TxID: cb.TxID()}, cb.Outputs[0], chaintest.Key(7), chaintest.PubKey(1), 1e8, 5)
	if _, _, err := c.CheckTxInputs(tx, 13); !errors.Is(err, chain.ErrImmatureSpend) {
		t.Fatalf("immature: %v", err)
	}
	fee, spent, err := c.CheckTxInputs(tx, 14)
	if err != nil || fee != 5 || len(spent) != 1 || spent[0].Out != cb.Outputs[0] {
		t.Fatalf("CheckTxInputs: %d %v %v", fee, spent, err)
	}
	if err := chain.VerifyTxSignatures(tx, spent, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckTransaction(&chain.Tx{}); !errors.Is(err, chain.ErrNoTxInputs) {
		t.Fatal("CheckTransaction")
	}
}
