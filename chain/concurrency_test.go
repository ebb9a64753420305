package chain_test

import (
	"sync"
	"testing"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

// TestConcurrentReaders runs queries on several goroutines while blocks (with a reorg) are
// processed; run with -race. There is no timing: readers loop until the writer is done.
func TestConcurrentReaders(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, &chain.Config{TxIndex: true, AddrIndex: true})
	b := chaintest.NewBuilder(c.Params())
	op, out := b.GenesisCoin(2)
	main := b.Chain(b.Genesis.Hash(), 10)
	side := b.Chain(main[2].Hash(), 10)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				h, height := c.Tip()
				c.Header(h)
				c.HeaderAt(height)
				c.State(h)
				c.Coin(op)
				c.UTXOStats()
				c.Locator()
				c.Tips()
				c.AddressCoins(chaintest.PubKey(2))
				tx := chaintest.Pay(op, out, chaintest.Key(2), chaintest.PubKey(3), 1e8, 100)
				if _, _, err := c.CheckTxInputs(tx, height+1); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for _, blk := range append(main, side...) {
		if _, err := c.ProcessBlock(blk, chaintest.Now()); err != nil {
			t.Error(err)
		}
	}
	close(done)
	wg.Wait()
	if tip, _ := c.Tip(); tip != side[9].Hash() {
		t.Fatal("tip")
	}
}
