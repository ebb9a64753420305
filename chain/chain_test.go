package chain_test

import (
	"errors"
	"testing"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

// storeKinds runs f on a memory store and on a disk store.
func storeKinds(t *testing.T, f func(t *testing.T, open func() *chain.Store)) {
	t.Run("mem", func(t *testing.T) {
		f(t, func() *chain.Store {
			s, err := chain.OpenMemStore()
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
	t.Run("disk", func(t *testing.T) {
		dir := t.TempDir()
		f(t, func() *chain.Store {
			s, err := chain.OpenStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	})
}

func mustProcess(t *testing.T, c *chain.Chain, b *chain.Block) *chain.Result {
	t.Helper()
	res, err := c.ProcessBlock(b, chaintest.Now())
	if err != nil {
		t.Fatalf("block %s: %v", b.Hash(), err)
	}
	return res
}

func TestConnectSpendAndReorg(t *testing.T) {
	storeKinds(t, func(t *testing.T, open func() *chain.Store) {
		p := chaintest.Params()
		c, _ := chaintest.NewMemChain(t, &chain.Config{Params: p, Store: open(), AddrIndex: true, TxIndex: true})
		bld := chaintest.NewBuilder(p)
		g := bld.Genesis.Hash()
		if c.GenesisHash() != g {
			t.Fatalf("genesis %s, builder %s", c.GenesisHash(), g)
		}
		n0, total0 := c.UTXOStats()
		op, out := bld.GenesisCoin(0)
		tx := chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(1), 10*1e8, 1000)
		b1 := bld.Block(g, []*chain.Tx{tx}, 1000)
		res := mustProcess(t, c, b1)
		if res.Status != chain.StatusMainChain || len(res.Connected) != 1 || res.NewTip != b1.Hash() {
			t.Fatalf("result %+v", res)
		}
		if co, _ := c.Coin(op); co != nil {
			t.Fatal("spent genesis coin still in the set")
		}
		if co, _ := c.Coin(chain.OutPoint{TxID: tx.TxID(), Index: 0}); co == nil || co.Out.Value != 10*1e8 {
			t.Fatalf("new coin %+v", co)
		}
		n1, total1 := c.UTXOStats()
		// +1 coinbase, -1 spent, +2 outputs
		if n1 != n0+2 || total1 != total0+p.BlockSubsidy(1) {
			t.Fatalf("stats %d/%d -> %d/%d", n0, total0, n1, total1)
		}
		if loc, ok := c.TxLocation(tx.TxID()); !ok || loc != b1.Hash() {
			t.Fatal("tx index")
		}
		ops, err := c.AddressCoins(chaintest.PubKey(1))
		if err != nil || len(ops) != 2 { // genesis allocation + the payment
			t.Fatalf("addr index: %v %v", ops, err)
		}
		// A side branch of 2 blocks from genesis that double-spends differently wins.
		tx2 := chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(2), 20*1e8, 0)
		s1 := bld.Block(g, []*chain.Tx{tx2}, 0)
		res = mustProcess(t, c, s1)
		if res.Status != chain.StatusSideChain || res.NewTip != b1.Hash() {
			t.Fatalf("side: %+v", res)
		}
		s2 := bld.Block(s1.Hash(), nil, 0)
		res = mustProcess(t, c, s2)
		if res.Status != chain.StatusMainChain || res.ReorgDepth != 1 || len(res.Connected) != 2 {
			t.Fatalf("reorg: %+v", res)
		}
		if co, _ := c.Coin(chain.OutPoint{TxID: tx.TxID(), Index: 0}); co != nil {
			t.Fatal("coin of the disconnected block survived")
		}
		if _, ok := c.TxLocation(tx.TxID()); ok {
			t.Fatal("tx index kept a disconnected tx")
		}
		if err := c.CheckConsistency(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.ProcessBlock(s2, chaintest.Now()); !errors.Is(err, chain.ErrDuplicateBlock) {
			t.Fatalf("duplicate: %v", err)
		}
	})
}
