package p2p

import (
	"sync"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

var _ Chain = (*chain.Chain)(nil)
var _ TxPool = (*chain.Mempool)(nil)

// realChain is the real chain (memory store, chaintest engine) with a real mempool.
type realChain struct {
	*chain.Chain
	mu   sync.Mutex
	pool *chain.Mempool
}

func realMaker(t testing.TB) testChain {
	c, _ := chaintest.NewMemChain(t, nil)
	mp, err := chain.NewMempool(chain.MempoolConfig{Chain: c})
	if err != nil {
		t.Fatal(err)
	}
	return &realChain{Chain: c, pool: mp}
}

func (c *realChain) mine(t testing.TB, n int, tag byte) []*chain.Block {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*chain.Block, 0, n)
	for i := 0; i < n; i++ {
		blk, err := c.NewTemplate(nil, chain.TemplateRequest{PayTo: chaintest.PubKey(7), Extra: []byte{tag}, Now: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.ProcessBlock(blk, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		c.pool.Update(res)
		out = append(out, blk)
	}
	return out
}

func (c *realChain) badChild(t testing.TB) *chain.Block {
	blk, err := c.NewTemplate(nil, chain.TemplateRequest{PayTo: chaintest.PubKey(7), Extra: []byte{0xba, 0xd0}, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	blk.Header.MerkleRoot[0] ^= 1 // ErrBadMerkleRoot
	return blk
}

func (c *realChain) txPool() TxPool { return c.pool }

func (c *realChain) goodTx(i int) *chain.Tx {
	op, out := chaintest.NewBuilder(c.Params()).GenesisCoin(i)
	return chaintest.Pay(op, out, chaintest.Key(i), chaintest.PubKey(9), out.Value/2, 10_000)
}

func (c *realChain) badTx() *chain.Tx {
	tx := c.goodTx(5)
	tx.Inputs[0].Witness[3] ^= 1 // ErrBadSignature
	return tx
}

func (c *realChain) addLocal(tx *chain.Tx) error {
	_, err := c.pool.Add(tx, time.Now())
	return err
}

// TestNetworkRealChain runs the suite on the real chain; the late node syncs 2,000 blocks.
func TestNetworkRealChain(t *testing.T) { runSuite(t, realMaker, 2000) }

// realDiskMaker is the real chain on a LevelDB store in a temp dir.
func realDiskMaker(t testing.TB) testChain {
	st, err := chain.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c, _ := chaintest.NewMemChain(t, &chain.Config{Store: st})
	mp, err := chain.NewMempool(chain.MempoolConfig{Chain: c})
	if err != nil {
		t.Fatal(err)
	}
	return &realChain{Chain: c, pool: mp}
}

// TestLateNodeSyncsDiskStore: a node with an empty LevelDB datadir catches up.
func TestLateNodeSyncsDiskStore(t *testing.T) { testLateNodeSyncs(t, realDiskMaker, 500) }
