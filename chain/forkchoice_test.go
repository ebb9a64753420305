package chain_test

import (
	"errors"
	"testing"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

func processAll(t *testing.T, c *chain.Chain, bs []*chain.Block) {
	t.Helper()
	for _, b := range bs {
		mustProcess(t, c, b)
	}
}

func TestTieGoesToFirstSeen(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	g := b.Genesis.Hash()
	a := b.Block(g, nil, 0)
	x := b.Block(g, nil, 0)
	mustProcess(t, c, a)
	if res := mustProcess(t, c, x); res.Status != chain.StatusSideChain {
		t.Fatalf("equal-weight sibling took over: %+v", res)
	}
	if tip, _ := c.Tip(); tip != a.Hash() {
		t.Fatal("tip moved")
	}
}

func TestDeepReorgAndBackAgain(t *testing.T) {
	storeKinds(t, func(t *testing.T, open func() *chain.Store) {
		c, _ := chaintest.NewMemChain(t, &chain.Config{Store: open(), TxIndex: true})
		b := chaintest.NewBuilder(c.Params())
		g := b.Genesis.Hash()
		main := b.Chain(g, 5)
		processAll(t, c, main)
		d0 := c.UTXODigest()
		// A fork at height 1 spending a genesis coin, 5 blocks long: equal weight, stays side.
		op, out := b.GenesisCoin(3)
		spend := chaintest.Pay(op, out, chaintest.Key(3), chaintest.PubKey(4), 1e8, 0)
		side := []*chain.Block{b.Block(main[0].Hash(), []*chain.Tx{spend}, 0)}
		side = append(side, b.Chain(side[0].Hash(), 3)...)
		processAll(t, c, side)
		if tip, _ := c.Tip(); tip != main[4].Hash() {
			t.Fatal("equal branch took over")
		}
		more := b.Block(side[3].Hash(), nil, 0)
		res := mustProcess(t, c, more)
		if res.ReorgDepth != 4 || len(res.Connected) != 5 || res.Disconnected[0].Hash() != main[4].Hash() {
			t.Fatalf("reorg result: depth %d connected %d", res.ReorgDepth, len(res.Connected))
		}
		if co, _ := c.Coin(op); co != nil {
			t.Fatal("double-spent coin still unspent after reorg")
		}
		// Back to the original branch, now longer: the spend is undone.
		back := b.Chain(main[4].Hash(), 2)
		processAll(t, c, back)
		if tip, h := c.Tip(); tip != back[1].Hash() || h != 7 {
			t.Fatalf("tip %s at %d", tip, h)
		}
		if co, _ := c.Coin(op); co == nil {
			t.Fatal("coin not restored by the reorg back")
		}
		if _, ok := c.TxLocation(spend.TxID()); ok {
			t.Fatal("tx index still has the disconnected spend")
		}
		if c.UTXODigest() == d0 {
			t.Fatal("digest did not change with two more coinbases")
		}
		if err := c.CheckConsistency(); err != nil {
			t.Fatal(err)
		}
		tips := c.Tips()
		if len(tips) != 2 || tips[0].Status != "active" || tips[1].Status != "valid-fork" || tips[1].BranchLen != 5 {
			t.Fatalf("tips %+v", tips)
		}
	})
}

func TestInvalidBranchFallsBack(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	g := b.Genesis.Hash()
	main := b.Chain(g, 2)
	processAll(t, c, main)
	// Side branch: s1 valid, s2 overpays its coinbase, s3 extends s2. Headers-only validity
	// means s1..s3 are stored; when s3 makes the branch heavier, s2 fails and the chain
	// stays on main (s1 alone is lighter).
	s1 := b.Block(g, nil, 0)
	s2 := b.Block(s1.Hash(), nil, 1)
	s3 := b.Block(s2.Hash(), nil, 0)
	mustProcess(t, c, s1)
	mustProcess(t, c, s2) // equal weight to main: not connected, not yet validated
	_, err := c.ProcessBlock(s3, chaintest.Now())
	if !errors.Is(err, chain.ErrKnownInvalid) {
		t.Fatalf("s3: %v", err)
	}
	if tip, _ := c.Tip(); tip != main[1].Hash() {
		t.Fatalf("tip %s", tip)
	}
	if !c.IsKnownInvalid(s2.Hash()) || !c.IsKnownInvalid(s3.Hash()) || c.IsKnownInvalid(s1.Hash()) {
		t.Fatal("invalid marks")
	}
	if _, err := c.ProcessBlock(b.Block(s3.Hash(), nil, 0), chaintest.Now()); !errors.Is(err, chain.ErrKnownInvalid) {
		t.Fatalf("descendant of invalid: %v", err)
	}
	// A valid heavier branch through s1 wins.
	s2b := b.Chain(s1.Hash(), 2)
	processAll(t, c, s2b)
	if tip, _ := c.Tip(); tip != s2b[1].Hash() {
		t.Fatal("valid branch did not win")
	}
}

func TestFinalizedReorgRefused(t *testing.T) {
	c, e := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	g := b.Genesis.Hash()
	main := b.Chain(g, 4)
	processAll(t, c, main)
	e.SetFinalized(2)
	// A heavier fork from height 1 would revert the final block at height 2.
	fork := b.Chain(main[0].Hash(), 5)
	_, err := c.ProcessBlock(fork[0], chaintest.Now())
	if !errors.Is(err, chain.ErrFinalizedConflict) {
		t.Fatalf("fork below finality: %v", err)
	}
	if f := c.Finality(); !f.Absolute || f.Height != 2 || f.Hash != main[1].Hash() {
		t.Fatalf("finality %+v", f)
	}
	// A fork above the final block is fine.
	fork2 := b.Chain(main[1].Hash(), 3)
	processAll(t, c, fork2)
	if tip, _ := c.Tip(); tip != fork2[2].Hash() {
		t.Fatal("fork above finality did not win")
	}
}

func TestOrphansConnectWhenParentArrives(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	bs := b.Chain(b.Genesis.Hash(), 4)
	for _, blk := range []*chain.Block{bs[3], bs[2], bs[1]} {
		res, err := c.ProcessBlock(blk, chaintest.Now())
		if !errors.Is(err, chain.ErrOrphan) || res.Status != chain.StatusOrphan {
			t.Fatalf("orphan: %v %+v", err, res)
		}
	}
	if !c.IsOrphan(bs[3].Hash()) || c.OrphanRoot(bs[3].Hash()) != bs[0].Hash() {
		t.Fatal("orphan pool")
	}
	res := mustProcess(t, c, bs[0])
	if len(res.Connected) != 4 || res.NewTip != bs[3].Hash() {
		t.Fatalf("connected %d, tip %s", len(res.Connected), res.NewTip)
	}
}

func TestOrphanPoolBounded(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, &chain.Config{MaxOrphans: 3})
	b := chaintest.NewBuilder(c.Params())
	bs := b.Chain(b.Genesis.Hash(), 6)
	for _, blk := range bs[1:] {
		c.ProcessBlock(blk, chaintest.Now())
	}
	if c.IsOrphan(bs[1].Hash()) || !c.IsOrphan(bs[5].Hash()) {
		t.Fatal("oldest orphan not evicted")
	}
}

func TestHeadersFirst(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	bs := b.Chain(b.Genesis.Hash(), 5)
	var hs []*chain.Header
	for _, blk := range bs {
		h := blk.Header
		hs = append(hs, &h)
	}
	if err := c.ProcessHeaders(hs, chaintest.Now()); err != nil {
		t.Fatal(err)
	}
	if h, ok := c.Height(bs[4].Hash()); !ok || h != 5 {
		t.Fatal("header not indexed")
	}
	if c.HaveBlock(bs[0].Hash()) {
		t.Fatal("body reported before it arrived")
	}
	tips := c.Tips()
	if len(tips) != 2 || tips[1].Status != "headers-only" {
		t.Fatalf("tips %+v", tips)
	}
	// Bodies out of order: nothing connects until the gap is filled.
	mustProcess(t, c, bs[1])
	if _, h := c.Tip(); h != 0 {
		t.Fatal("connected across a missing body")
	}
	res := mustProcess(t, c, bs[0])
	if len(res.Connected) != 2 {
		t.Fatalf("connected %d", len(res.Connected))
	}
	processAll(t, c, bs[2:])
	if _, h := c.Tip(); h != 5 {
		t.Fatal("tip")
	}
	// Unconnected header.
	lone := b.Chain(bs[4].Hash(), 2)[1].Header
	if err := c.ProcessHeaders([]*chain.Header{&lone}, chaintest.Now()); !errors.Is(err, chain.ErrOrphan) {
		t.Fatalf("unconnected header: %v", err)
	}
	loc := c.Locator()
	if loc[0] != bs[4].Hash() || loc[len(loc)-1] != b.Genesis.Hash() {
		t.Fatal("locator")
	}
	after := c.HeadersAfter([]chain.Hash{bs[1].Hash()}, chain.Hash{}, 10)
	if len(after) != 3 || after[0].Hash() != bs[2].Hash() {
		t.Fatalf("headers after: %d", len(after))
	}
}

func TestReopenDisk(t *testing.T) {
	dir := t.TempDir()
	p := chaintest.Params()
	open := func() *chain.Chain {
		s, err := chain.OpenStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		c, err := chain.New(chain.Config{Params: p, Engine: chaintest.NewEngine(p), Store: s})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open()
	b := chaintest.NewBuilder(p)
	bs := b.Chain(b.Genesis.Hash(), 3)
	processAll(t, c, bs)
	side := b.Block(bs[0].Hash(), nil, 0)
	mustProcess(t, c, side)
	n, tot := c.UTXOStats()
	d := c.UTXODigest()
	c.Close()
	c = open()
	defer c.Close()
	if tip, h := c.Tip(); tip != bs[2].Hash() || h != 3 {
		t.Fatal("tip after reopen")
	}
	if n2, tot2 := c.UTXOStats(); n2 != n || tot2 != tot || c.UTXODigest() != d {
		t.Fatal("utxo stats after reopen")
	}
	if !c.HaveBlock(side.Hash()) || c.IsMainChain(side.Hash()) {
		t.Fatal("side block after reopen")
	}
	// A different genesis is refused.
	c.Close()
	s, _ := chain.OpenStore(dir)
	q := chaintest.Params()
	q.Extra = "other"
	if _, err := chain.New(chain.Config{Params: q, Engine: chaintest.NewEngine(q), Store: s}); !errors.Is(err, chain.ErrBadGenesis) {
		t.Fatalf("other genesis: %v", err)
	}
	s.Close()
	c = open()
	c.Close()
}

func TestConsistencyCheckDetectsCorruption(t *testing.T) {
	dir := t.TempDir()
	p := chaintest.Params()
	s, _ := chain.OpenStore(dir)
	c, err := chain.New(chain.Config{Params: p, Engine: chaintest.NewEngine(p), Store: s})
	if err != nil {
		t.Fatal(err)
	}
	b := chaintest.NewBuilder(p)
	processAll(t, c, b.Chain(b.Genesis.Hash(), 2))
	c.Close()
	s, _ = chain.OpenStore(dir)
	op, _ := b.GenesisCoin(0)
	if err := s.RawDeleteUTXO(op); err != nil {
		t.Fatal(err)
	}
	_, err = chain.New(chain.Config{Params: p, Engine: chaintest.NewEngine(p), Store: s})
	var ce *chain.CorruptionError
	if !errors.As(err, &ce) {
		t.Fatalf("deleted coin not detected: %v", err)
	}
	var re *chain.RuleError
	if errors.As(err, &re) {
		t.Fatal("corruption reported as a rule error")
	}
	s.Close()
}

// A block whose body arrived before its parent's is validated when the parent connects; it
// fails there, is marked invalid, and the parent's call still reports the parent connected.
func TestDescendantFailsWhenParentConnects(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	good := b.Block(b.Genesis.Hash(), nil, 0)
	bad := b.Block(good.Hash(), nil, 1) // overpays
	h0, h1 := good.Header, bad.Header
	if err := c.ProcessHeaders([]*chain.Header{&h0, &h1}, chaintest.Now()); err != nil {
		t.Fatal(err)
	}
	if res := mustProcess(t, c, bad); res.Status != chain.StatusSideChain || len(res.Connected) != 0 {
		t.Fatalf("bad before its parent: %+v", res)
	}
	res, err := c.ProcessBlock(good, chaintest.Now())
	if err != nil || len(res.Connected) != 1 || res.NewTip != good.Hash() {
		t.Fatalf("good: %v %+v", err, res)
	}
	if !c.IsKnownInvalid(bad.Hash()) || c.HaveBlock(bad.Hash()) {
		t.Fatal("bad child not marked invalid")
	}
}
