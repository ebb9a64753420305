package miner

import (
	"context"
	"errors"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// realChain runs the engine inside a real chain.Chain on the in-memory store.
type realChain struct {
	c   *chain.Chain
	e   *Engine
	p   *genesis.Params
	key [32]byte
	now time.Time // virtual clock, advanced by one target spacing per block
	// wall, when set, replaces the virtual clock by the real one (real-time tests).
	wall bool
}

func newRealChain(t testing.TB, p *genesis.Params) *realChain {
	t.Helper()
	e, err := NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := chain.OpenMemStore()
	if err != nil {
		t.Fatal(err)
	}
	c, err := chain.New(chain.Config{Params: p, Engine: e, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &realChain{c: c, e: e, p: p, key: genesis.XOnly(genesis.DevKey("alloc", 1)), now: time.Unix(p.Time, 0)}
}

func (rc *realChain) template() (*chain.Block, error) {
	rc.now = rc.now.Add(time.Duration(rc.p.PoW.TargetSpacing) * time.Second)
	if rc.wall {
		rc.now = time.Now()
	}
	return rc.c.NewTemplate(nil, chain.TemplateRequest{PayTo: rc.key, Extra: TemplateExtra([]byte("miner-test")), Now: rc.now})
}

func (rc *realChain) submit(b *chain.Block) error {
	if rc.wall {
		rc.now = time.Now()
	}
	res, err := rc.c.ProcessBlock(b, rc.now)
	if err != nil {
		return err
	}
	if res.Status != chain.StatusMainChain {
		return errors.New("block not on the main chain: " + res.Status.String())
	}
	return nil
}

// TestRealChainGenerate2000 is generatetoaddress 2000 on a real chain (memory store):
// NewTemplate, SealBlock, ProcessBlock, on ASERT with regtest bits.
func TestRealChainGenerate2000(t *testing.T) {
	rc := newRealChain(t, testParams(genesis.AlgoASERT))
	t0 := time.Now()
	hashes, err := Generate(context.Background(), 2000, rc.template, rc.submit)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("2,000 blocks generated and connected in %v", time.Since(t0))
	if _, h := rc.c.Tip(); h != 2000 || len(hashes) != 2000 {
		t.Fatalf("tip height %d", h)
	}
	if tip, _ := rc.c.Tip(); tip != hashes[1999] {
		t.Fatal("tip is not the last generated block")
	}
	f := rc.c.Finality()
	if f.Height != 2000-rc.p.FinalityDepth {
		t.Fatalf("finality %+v", f)
	}
}

// BenchmarkRealChainGenerate2000 times the full generatetoaddress path (template, seal,
// connect) for 2,000 blocks at regtest bits; the budget is 0.6 s.
func BenchmarkRealChainGenerate2000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		rc := newRealChain(b, testParams(genesis.AlgoASERT))
		b.StartTimer()
		if _, err := Generate(context.Background(), 2000, rc.template, rc.submit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/2000blocks")
}

// TestRealChainRejectsBadHeaders feeds the chain blocks with broken proof of work and
// checks each is refused with its own kind.
func TestRealChainRejectsBadHeaders(t *testing.T) {
	p := testParams(genesis.AlgoASERT)
	p.PoW.InitialBits = 0x1f7fffff // a target 1 in 512 hashes meet, so "high hash" is easy to make
	rc := newRealChain(t, p)
	if _, err := Generate(context.Background(), 5, rc.template, rc.submit); err != nil {
		t.Fatal(err)
	}
	fresh := func() *chain.Block {
		b, err := rc.template()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	seal := func(b *chain.Block) *chain.Block {
		if ok, err := SealBlock(context.Background(), b, 0); !ok || err != nil {
			t.Fatal(err)
		}
		return b
	}

	wrongBits := fresh()
	wrongBits.Header.Bits = 0x1f3fffff // harder than required: valid PoW, wrong bits
	seal(wrongBits)

	high := fresh()
	for high.Header.Nonce = 0; CheckProofOfWork(high.Header.Hash(), high.Header.Bits, rc.e.powLimit) == nil; high.Header.Nonce++ {
	}

	sealed := seal(fresh())
	sealed.Header.Seal = &chain.Seal{Slot: 7}

	future := fresh()
	future.Header.Time = uint32(rc.now.Unix() + rc.p.MaxFutureDrift + 60)
	seal(future)

	for _, tc := range []struct {
		name  string
		b     *chain.Block
		kinds []chain.ErrorKind
	}{
		{"wrong bits", wrongBits, []chain.ErrorKind{chain.ErrBadBits}},
		{"high hash", high, []chain.ErrorKind{chain.ErrHighHash}},
		// The chain may refuse the seal itself before asking the engine.
		{"seal on a pow block", sealed, []chain.ErrorKind{chain.ErrUnexpectedSeal, chain.ErrUnexpectedVotes}},
		{"time too new", future, []chain.ErrorKind{chain.ErrTimeTooNew}},
	} {
		_, err := rc.c.ProcessBlock(tc.b, rc.now)
		ok := false
		for _, k := range tc.kinds {
			ok = ok || errors.Is(err, k)
		}
		if !ok {
			t.Fatalf("%s: got %v, want one of %v", tc.name, err, tc.kinds)
		}
	}
	if _, h := rc.c.Tip(); h != 5 {
		t.Fatalf("tip moved to %d", h)
	}
	// A correct block still connects.
	if err := rc.submit(seal(fresh())); err != nil {
		t.Fatal(err)
	}
}

// TestRealChainMinerLoop runs the threaded miner against a real chain: the node's
// Template/Submit wiring, with ProcessBlock connecting every block.
func TestRealChainMinerLoop(t *testing.T) {
	rc := newRealChain(t, testParams(genesis.AlgoFixed))
	found := make(chan struct{}, 100)
	m, err := New(Config{
		Params:   rc.p,
		Threads:  2,
		Template: rc.template,
		Submit: func(b *chain.Block) error {
			err := rc.submit(b)
			if err == nil {
				found <- struct{}{}
			}
			return err
		},
		// Header times from the chain's virtual clock keep ProcessBlock's drift check happy.
		Now: func() time.Time { return time.Unix(0, 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	defer m.Stop()
	for i := 0; i < 25; i++ {
		select {
		case <-found:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d blocks in 10 s", i)
		}
	}
	m.Stop()
	if _, h := rc.c.Tip(); h < 25 {
		t.Fatalf("tip height %d", h)
	}
	if st := m.Stats(); st.Rejected != 0 {
		t.Fatalf("%d blocks rejected", st.Rejected)
	}
}

// TestRealChainReorgByWork: under ASERT a shorter branch of fast (hence harder) blocks
// carries more work than a longer on-schedule branch, and the chain reorganises to it.
func TestRealChainReorgByWork(t *testing.T) {
	p := testParams(genesis.AlgoASERT)
	p.PoW.HalfLife = 10 // each block 9 s early makes the next ~1.9x harder
	rc := newRealChain(t, p)
	base := uint32(p.Time) + 1000
	now := time.Unix(int64(base)+10_000, 0)
	build := func(parent chain.Hash, tm uint32) *chain.Block {
		t.Helper()
		height, ok := rc.c.Height(parent)
		if !ok {
			t.Fatalf("parent %s unknown", parent)
		}
		cb := chain.NewCoinbase(height+1, TemplateExtra([]byte{byte(tm)}), []chain.TxOut{{Value: p.BlockSubsidy(height + 1), Lock: chain.PayTo(rc.key)}})
		root, _ := chain.MerkleRoot([]chain.Hash{cb.TxID()})
		b := &chain.Block{Header: chain.Header{Version: 1, Prev: parent, MerkleRoot: root, Time: tm}, Txs: []*chain.Tx{cb}}
		if err := rc.e.Prepare(rc.c, &b.Header, nil, now); err != nil {
			t.Fatal(err)
		}
		if ok, err := SealBlock(context.Background(), b, 0); !ok || err != nil {
			t.Fatal(err)
		}
		return b
	}
	process := func(b *chain.Block) *chain.Result {
		t.Helper()
		res, err := rc.c.ProcessBlock(b, now)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// Common block 1 (the ASERT anchor), then branch A: 6 blocks on schedule.
	b1 := build(rc.c.GenesisHash(), base)
	process(b1)
	parent := b1.Hash()
	for i := 1; i <= 6; i++ {
		b := build(parent, base+uint32(10*i))
		process(b)
		parent = b.Hash()
	}
	tipA, hA := rc.c.Tip()
	workA, _ := rc.c.Work(tipA)
	// Branch B: blocks 1 s apart, so each is harder than the last.
	parent = b1.Hash()
	var res *chain.Result
	var lastB *chain.Block
	for i := 1; i <= 5; i++ {
		lastB = build(parent, base+uint32(i))
		res = process(lastB)
		parent = lastB.Hash()
		if res.Status == chain.StatusMainChain {
			break
		}
	}
	tipB, hB := rc.c.Tip()
	if tipB != lastB.Hash() || hB >= hA {
		t.Fatalf("tip at height %d (A had %d): no reorg to the shorter, heavier branch", hB, hA)
	}
	workB, _ := rc.c.Work(tipB)
	if workB.Cmp(workA) <= 0 || res.ReorgDepth != int(hA-1) {
		t.Fatalf("work A %v, B %v, reorg depth %d", workA, workB, res.ReorgDepth)
	}
	t.Logf("branch B: %d blocks (A %d), bits of its tip 0x%08x, reorg depth %d", hB-1, hA-1, lastB.Header.Bits, res.ReorgDepth)
}
