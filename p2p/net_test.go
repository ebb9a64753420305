package p2p

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"chainlab/chain"
)

// testChain is a Chain that tests can mine on.
type testChain interface {
	Chain
	// mine extends the local tip by n blocks (tag varies the coinbase so competing miners
	// make different blocks) and returns them.
	mine(t testing.TB, n int, tag byte) []*chain.Block
	// badChild returns a block on the tip that the chain rejects with a rule error.
	badChild(t testing.TB) *chain.Block
	txPool() TxPool
	goodTx(i int) *chain.Tx // valid and distinct for i = 0..7
	badTx() *chain.Tx       // fails with a rule error that scores
	addLocal(tx *chain.Tx) error
}

func (c *fakeChain) mine(t testing.TB, n int, tag byte) []*chain.Block { return c.extend(n, tag) }

func (c *fakeChain) txPool() TxPool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pool == nil {
		c.pool = newFakeTxPool()
	}
	return c.pool
}

func (c *fakeChain) goodTx(i int) *chain.Tx {
	tx := chain.NewCoinbase(uint64(i), []byte("loose"), []chain.TxOut{{Value: 1}})
	tx.Inputs[0].Prev.Index = 1 // not a coinbase
	return tx
}

func (c *fakeChain) badTx() *chain.Tx {
	tx := c.goodTx(99)
	tx.Version = badVersion
	return tx
}

func (c *fakeChain) addLocal(tx *chain.Tx) error {
	_, err := c.txPool().Add(tx, time.Now())
	return err
}

func (c *fakeChain) badChild(t testing.TB) *chain.Block {
	tip, _ := c.Tip()
	b := c.child(tip, 0xff)
	b.Header.Version = badVersion
	return b
}

// chainMaker builds a fresh chain on the shared genesis; the suite runs on the fake and the
// real chain.
type chainMaker func(t testing.TB) testChain

func fakeMaker(t testing.TB) testChain { return newFakeChain(1000) }

// fakeTxPool accepts any tx whose version is not badVersion.
type fakeTxPool struct {
	mu  sync.Mutex
	txs map[chain.Hash]*chain.Tx
}

func newFakeTxPool() *fakeTxPool { return &fakeTxPool{txs: make(map[chain.Hash]*chain.Tx)} }

func (p *fakeTxPool) Add(tx *chain.Tx, now time.Time) (uint64, error) {
	if tx.Version == badVersion {
		return 0, chain.NewRuleError(chain.ErrBadSignature, "bad")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.txs[tx.TxID()]; ok {
		return 0, chain.NewRuleError(chain.ErrAlreadyHave, "have")
	}
	p.txs[tx.TxID()] = tx
	return 0, nil
}

func (p *fakeTxPool) Has(id chain.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.txs[id]
	return ok
}

func (p *fakeTxPool) Get(id chain.Hash) (*chain.Tx, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	tx, ok := p.txs[id]
	return tx, ok
}

type testNet struct {
	t     testing.TB
	nodes []*testNode
	mk    chainMaker
}

func newTestNet(t testing.TB, mk chainMaker, n int, mods ...func(*Config)) *testNet {
	tn := &testNet{t: t, mk: mk}
	for i := 0; i < n; i++ {
		tn.add(mods...)
	}
	return tn
}

func (tn *testNet) add(mods ...func(*Config)) *testNode {
	c := tn.mk(tn.t)
	mods = append([]func(*Config){func(cfg *Config) { cfg.TxPool = c.txPool() }}, mods...)
	n := startNode(tn.t, c, mods...)
	tn.nodes = append(tn.nodes, n)
	return n
}

func (tn *testNet) line() {
	for i := 0; i+1 < len(tn.nodes); i++ {
		tn.nodes[i].connect(tn.nodes[i+1])
	}
}

func (tn *testNet) mine(i, n int, tag byte) []*chain.Block {
	nd := tn.nodes[i]
	bs := nd.c.(testChain).mine(tn.t, n, tag)
	nd.s.BroadcastBlock(bs[len(bs)-1])
	return bs
}

// converged waits until every node has the same tip and returns it.
func (tn *testNet) converged(timeout time.Duration) chain.Hash {
	tn.t.Helper()
	defer func() {
		if tn.t.Failed() {
			tn.t.Logf("tips:%s", tn.heights())
			for _, n := range tn.nodes {
				tn.t.Logf("%s sync %+v", n.id, n.s.SyncStatus())
				for _, p := range n.s.Peers() {
					tn.t.Logf("    peer %s in=%v best=%d recv=%d msgs", p.ID, p.Inbound, p.BestHeight, p.MsgsRecv)
				}
			}
		}
	}()
	waitFor(tn.t, timeout, "convergence", func() bool {
		tip := tn.nodes[0].tip()
		for _, n := range tn.nodes[1:] {
			if n.tip() != tip {
				return false
			}
		}
		return true
	})
	return tn.nodes[0].tip()
}

func (tn *testNet) heights() string {
	s := ""
	for _, n := range tn.nodes {
		h, ht := n.c.Tip()
		s += fmt.Sprintf(" %d:%s", ht, h.String()[56:])
	}
	return s
}

func runSuite(t *testing.T, mk chainMaker, syncBlocks int) {
	t.Run("RelayThreeNodes", func(t *testing.T) { testRelayThreeNodes(t, mk) })
	t.Run("LineOfFiveConverges", func(t *testing.T) { testLineConverges(t, mk) })
	t.Run("LateNodeSyncs", func(t *testing.T) { testLateNodeSyncs(t, mk, syncBlocks) })
	t.Run("PartitionHeal", func(t *testing.T) { testPartitionHeal(t, mk) })
	t.Run("InvalidBlockBans", func(t *testing.T) { testInvalidBlockBans(t, mk) })
}

func TestNetworkFakeChain(t *testing.T) { runSuite(t, fakeMaker, 300) }

func testRelayThreeNodes(t *testing.T, mk chainMaker) {
	tn := newTestNet(t, mk, 3)
	tn.line()
	for round := 0; round < 5; round++ {
		b := tn.mine(round%3, 1, byte(round))[0]
		tip := tn.converged(10 * time.Second)
		if tip != b.Hash() {
			t.Fatalf("round %d: converged on %s, mined %s", round, tip, b.Hash())
		}
	}
	// the far end recorded who delivered the last block first
	last := tn.nodes[2].tip()
	if _, _, ok := tn.nodes[0].s.FirstSeen(last); !ok && tn.nodes[0].height() > 0 {
		// node 0 may have mined it; check the middle node instead
		if _, _, ok := tn.nodes[1].s.FirstSeen(last); !ok {
			t.Error("no first-seen record for a relayed block")
		}
	}
	// a tx accepted at one end reaches the other, through the middle
	c0, c2 := tn.nodes[0].c.(testChain), tn.nodes[2].c.(testChain)
	tx := c0.goodTx(0)
	if err := c0.addLocal(tx); err != nil {
		t.Fatal(err)
	}
	tn.nodes[0].s.BroadcastTx(tx)
	waitFor(t, 5*time.Second, "tx relay", func() bool { return c2.txPool().Has(tx.TxID()) })
	// an invalid tx costs its sender and goes nowhere
	bad := c0.badTx()
	id := NodeID{0x67}
	r := dialRaw(t, tn.nodes[1].s.ListenAddr())
	if err := r.handshake(id, c0.GenesisHash()); err != nil {
		t.Fatal(err)
	}
	if err := r.send(&MsgInv{Items: []InvItem{{InvTx, bad.TxID()}}}); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := r.read()
		if err != nil {
			t.Fatal(err)
		}
		if gd, ok := m.(*MsgGetData); ok && gd.Items[0].Hash == bad.TxID() {
			break
		}
	}
	if err := r.send(&MsgTx{Tx: bad}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "score for the bad tx", func() bool {
		for _, p := range tn.nodes[1].s.Peers() {
			if p.ID == id && p.BanScore >= ScoreInvalidTx {
				return true
			}
		}
		return false
	})
	for _, n := range tn.nodes {
		if n.c.(testChain).txPool().Has(bad.TxID()) {
			t.Fatal("invalid tx accepted")
		}
	}
}

func testLineConverges(t *testing.T, mk chainMaker) {
	tn := newTestNet(t, mk, 5)
	tn.line()
	// miners at both ends and the middle race each other
	for round := 0; round < 6; round++ {
		var wg sync.WaitGroup
		for _, i := range []int{0, 2, 4} {
			wg.Add(1)
			go func(i int) { defer wg.Done(); tn.mine(i, 1+i%2, byte(10*round+i)) }(i)
		}
		wg.Wait()
	}
	// ties at equal height are legitimate (first seen wins); blocks on top of the highest
	// branch anywhere settle them
	maxH := uint64(0)
	for _, n := range tn.nodes {
		maxH = max(maxH, n.height())
	}
	settle := tn.mine(2, int(maxH+1-tn.nodes[2].height()), 0xee)
	tip := tn.converged(20 * time.Second)
	if tip != settle[len(settle)-1].Hash() {
		t.Fatalf("converged on %s, want the heaviest %s", tip, settle[len(settle)-1].Hash())
	}
	t.Logf("converged at%s", tn.heights())
}

func testLateNodeSyncs(t *testing.T, mk chainMaker, n int) {
	tn := newTestNet(t, mk, 3)
	tn.line()
	tn.nodes[2].connect(tn.nodes[0])
	tn.mine(0, n, 1)
	tn.converged(30 * time.Second)
	var mu sync.Mutex
	var last SyncProgress
	start := time.Now()
	late := tn.add(func(c *Config) {
		c.OnSyncProgress = func(p SyncProgress) { mu.Lock(); last = p; mu.Unlock() }
		// a little latency so every peer is connected before one of them has served it all
		c.PerPeerInFlight = 32
		c.Links = map[NodeID]LinkParams{}
		for _, o := range tn.nodes[:3] {
			c.Links[o.id] = LinkParams{Delay: 5 * time.Millisecond}
		}
	})
	for _, o := range tn.nodes[:3] {
		late.connect(o)
	}
	// the network keeps producing while the late node catches up
	// (one miner: competing miners could leave a legitimate first-seen tie)
	for i := 0; i < 10; i++ {
		tn.mine(0, 1, byte(100+i))
	}
	tn.converged(60 * time.Second)
	waitFor(t, 5*time.Second, "final progress report", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return last.Done && last.Height == tn.nodes[0].height()
	})
	t.Logf("late node synced %d blocks in %v", n, time.Since(start))
	from := 0
	for _, p := range late.s.Peers() {
		if p.MsgsRecv > uint64(n/10) { // a block is one message
			from++
		}
	}
	if from < 2 {
		t.Errorf("blocks came from %d peers, want several: %+v", from, late.s.Peers())
	}
}

func testPartitionHeal(t *testing.T, mk chainMaker) {
	tn := newTestNet(t, mk, 5)
	// a ring plus a chord so both sides stay internally connected
	for i := range tn.nodes {
		tn.nodes[i].connect(tn.nodes[(i+1)%5])
	}
	tn.nodes[0].connect(tn.nodes[2])
	tn.mine(0, 3, 1)
	tn.converged(10 * time.Second)
	ids := func(is ...int) []NodeID {
		var out []NodeID
		for _, i := range is {
			out = append(out, tn.nodes[i].id)
		}
		return out
	}
	groups := [][]NodeID{ids(0, 1, 2), ids(3, 4)}
	for _, n := range tn.nodes {
		n.s.SetPartition(groups)
	}
	a := tn.mine(0, 6, 2) // majority side: heavier
	b := tn.mine(3, 3, 3) // minority side
	waitFor(t, 10*time.Second, "sides converge separately", func() bool {
		return tn.nodes[1].tip() == a[5].Hash() && tn.nodes[2].tip() == a[5].Hash() && tn.nodes[4].tip() == b[2].Hash()
	})
	if tn.nodes[3].tip() == tn.nodes[0].tip() {
		t.Fatal("partition leaked")
	}
	for _, n := range tn.nodes {
		n.s.SetPartition(nil)
	}
	tip := tn.converged(20 * time.Second)
	if tip != a[5].Hash() {
		t.Fatalf("healed on %s, want the heavier branch %s", tip, a[5].Hash())
	}
}

func testInvalidBlockBans(t *testing.T, mk chainMaker) {
	tn := newTestNet(t, mk, 1)
	n := tn.nodes[0]
	tn.mine(0, 2, 1)
	before, beforeH := n.c.Tip()
	// the attacker builds a bad block on the node's tip with its own chain copy
	bad := n.c.(testChain).badChild(t)
	id := NodeID{0x66}
	r := dialRaw(t, n.s.ListenAddr())
	if err := r.handshake(id, n.c.GenesisHash()); err != nil {
		t.Fatal(err)
	}
	if err := r.send(&MsgInv{Items: []InvItem{{InvBlock, bad.Hash()}}}); err != nil {
		t.Fatal(err)
	}
	// answer the node's getdata with the bad block
	for {
		m, err := r.read()
		if err != nil {
			t.Fatal(err)
		}
		if gd, ok := m.(*MsgGetData); ok && gd.Items[0].Hash == bad.Hash() {
			break
		}
	}
	if err := r.send(&MsgBlock{Block: bad}); err != nil {
		t.Fatal(err)
	}
	expectBanned(t, n, r, id)
	if tip, h := n.c.Tip(); tip != before || h != beforeH || n.c.HaveBlock(bad.Hash()) {
		t.Fatal("chain affected by the invalid block")
	}
	// the node still relays and mines normally
	good := startNode(t, tn.mk(t))
	good.connect(n)
	waitFor(t, 10*time.Second, "honest peer syncs", func() bool { return good.tip() == before })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = ctx
}
