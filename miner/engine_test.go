package miner

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// testParams returns pow-dev with regtest-like bits and the given difficulty algorithm.
func testParams(algo string) *genesis.Params {
	p := genesis.PowDev()
	p.PoW.Algorithm = algo
	p.PoW.InitialBits = 0x207fffff
	p.PoW.PowLimitBits = 0x207fffff
	p.PoW.TargetSpacing = 10
	switch algo {
	case genesis.AlgoBitcoin:
		p.PoW.RetargetWindow = 10
	case genesis.AlgoASERT:
		p.PoW.HalfLife = 100
	}
	if err := p.Validate(); err != nil {
		panic(err)
	}
	return p
}

type testChain struct {
	p   *genesis.Params
	e   *Engine
	r   *memReader
	key [32]byte
}

func newTestChain(t testing.TB, p *genesis.Params) *testChain {
	t.Helper()
	e, err := NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	g, err := chain.GenesisBlock(p)
	if err != nil {
		t.Fatal(err)
	}
	return &testChain{p: p, e: e, r: newMemReader(p, &g.Header), key: genesis.XOnly(genesis.DevKey("alloc", 0))}
}

// template builds an unsealed block on the tip with a coinbase and the engine's bits.
func (c *testChain) template(t testing.TB, tm uint32) *chain.Block {
	t.Helper()
	tipHash, _ := c.r.tip()
	height := uint64(len(c.r.main))
	cb := chain.NewCoinbase(height, TemplateExtra([]byte("test")), []chain.TxOut{{Value: c.p.BlockSubsidy(height), Lock: chain.PayTo(c.key)}})
	root, _ := chain.MerkleRoot([]chain.Hash{cb.TxID()})
	b := &chain.Block{Header: chain.Header{Version: 1, Prev: tipHash, MerkleRoot: root, Time: tm}, Txs: []*chain.Tx{cb}}
	if err := c.e.Prepare(c.r, &b.Header, nil, time.Unix(int64(tm), 0)); err != nil {
		t.Fatal(err)
	}
	return b
}

// mine seals and indexes a block at time tm and returns its header.
func (c *testChain) mine(t testing.TB, tm uint32) *chain.Header {
	t.Helper()
	b := c.template(t, tm)
	if ok, err := SealBlock(context.Background(), b, 0); !ok || err != nil {
		t.Fatalf("seal: %v %v", ok, err)
	}
	if err := c.e.VerifyHeader(c.r, &b.Header, nil, time.Unix(int64(tm), 0)); err != nil {
		t.Fatalf("height %d: %v", len(c.r.main), err)
	}
	c.r.add(&b.Header)
	return &b.Header
}

func TestNewEngineRejects(t *testing.T) {
	if _, err := NewEngine(genesis.PosDev(2)); err == nil {
		t.Fatal("accepted pos params")
	}
	if _, err := NewEngine(nil); err == nil {
		t.Fatal("accepted nil params")
	}
	p := testParams(genesis.AlgoFixed)
	p.PoW.InitialBits = 0x217fffff // easier than the limit
	if _, err := NewEngine(p); err == nil {
		t.Fatal("accepted initial bits above the pow limit")
	}
}

func TestVerifyHeaderRejectsWithKinds(t *testing.T) {
	for _, algo := range []string{genesis.AlgoFixed, genesis.AlgoBitcoin, genesis.AlgoASERT} {
		c := newTestChain(t, testParams(algo))
		base := uint32(c.p.Time)
		for i := 1; i <= 5; i++ {
			c.mine(t, base+uint32(10*i))
		}
		now := time.Unix(int64(base)+100, 0)
		good := c.template(t, base+60)
		if ok, _ := SealBlock(context.Background(), good, 0); !ok {
			t.Fatal("seal")
		}
		if err := c.e.VerifyHeader(c.r, &good.Header, nil, now); err != nil {
			t.Fatalf("%s: good header: %v", algo, err)
		}

		sealed := good.Header
		sealed.Seal = &chain.Seal{Slot: 1}
		wrongBits := good.Header
		wrongBits.Bits = 0x2000ffff
		high := good.Header
		for high.Nonce = 0; ; high.Nonce++ { // a nonce whose hash misses the target
			if CheckProofOfWork(high.Hash(), high.Bits, c.e.powLimit) != nil {
				break
			}
		}
		orphan := good.Header
		orphan.Prev = chain.Hash{1}
		cases := []struct {
			name string
			h    chain.Header
			kind chain.ErrorKind
		}{
			{"seal", sealed, chain.ErrUnexpectedSeal},
			{"wrong bits", wrongBits, chain.ErrBadBits},
			{"high hash", high, chain.ErrHighHash},
			{"unknown parent", orphan, chain.ErrOrphan},
		}
		for _, tc := range cases {
			err := c.e.VerifyHeader(c.r, &tc.h, nil, now)
			var re *chain.RuleError
			if !errors.Is(err, tc.kind) || !errors.As(err, &re) {
				t.Fatalf("%s %s: got %v, want RuleError %s", algo, tc.name, err, tc.kind)
			}
		}
	}
}

func TestGenesisHeaderExempt(t *testing.T) {
	p := genesis.PowDev()
	e, _ := NewEngine(p)
	g, _ := chain.GenesisBlock(p)
	r := newMemReader(p, &g.Header)
	if err := e.VerifyHeader(r, &g.Header, nil, time.Unix(p.Time, 0)); err != nil {
		t.Fatalf("genesis: %v", err)
	}
	h := g.Header
	h.Bits = 0x207fffff
	if err := e.VerifyHeader(r, &h, nil, time.Unix(p.Time, 0)); !errors.Is(err, chain.ErrBadBits) {
		t.Fatalf("genesis with other bits: %v", err)
	}
}

func TestBitcoinRetargetInChain(t *testing.T) {
	p := testParams(genesis.AlgoBitcoin)
	p.PoW.InitialBits = 0x1f7fffff // below the limit so a retarget can go either way
	c := newTestChain(t, p)
	base := uint32(p.Time)
	// Blocks 1..9 at 5 s: the window (blocks 0..9, 9 intervals: the off-by-one) took 45 s
	// of the 100 s timespan.
	for i := 1; i <= 9; i++ {
		h := c.mine(t, base+uint32(5*i))
		if h.Bits != p.PoW.InitialBits {
			t.Fatalf("height %d: bits changed before the window end", i)
		}
	}
	lim, _ := CompactToBig(p.PoW.PowLimitBits)
	h10 := c.mine(t, base+50)
	want := CalcRetarget(p.PoW.InitialBits, int64(base), int64(base+45), 100, lim)
	if h10.Bits != want || want == p.PoW.InitialBits {
		t.Fatalf("height 10 bits 0x%08x, want 0x%08x", h10.Bits, want)
	}
	t0, _ := CompactToBig(p.PoW.InitialBits)
	t10, _ := CompactToBig(h10.Bits)
	// 45/100 of the old target, up to compact rounding.
	ratio, _ := new(big.Rat).SetFrac(t10, t0).Float64()
	if ratio < 0.449 || ratio > 0.451 {
		t.Fatalf("retarget ratio %v, want 0.45", ratio)
	}
	// Slow blocks: clamped at 4x easier, capped at the limit.
	for i := 11; i <= 19; i++ {
		c.mine(t, base+50+uint32(1000*(i-10)))
	}
	h20 := c.mine(t, base+50+10000)
	want = CalcRetarget(h10.Bits, int64(base+50), int64(base+50+9000), 100, lim)
	if h20.Bits != want {
		t.Fatalf("height 20 bits 0x%08x, want 0x%08x", h20.Bits, want)
	}
}

func TestASERTInChain(t *testing.T) {
	p := testParams(genesis.AlgoASERT)
	p.PoW.InitialBits = 0x1f7fffff
	c := newTestChain(t, p)
	// Genesis time is far in the past: block 1 anchors the schedule at its own time.
	b1 := uint32(p.Time) + 1_000_000
	h1 := c.mine(t, b1)
	if h1.Bits != p.PoW.InitialBits {
		t.Fatal("block 1 must carry the initial bits")
	}
	// On schedule: bits stay.
	for i := 2; i <= 6; i++ {
		h := c.mine(t, b1+uint32(10*(i-1)))
		if h.Bits != p.PoW.InitialBits {
			t.Fatalf("height %d on schedule: bits 0x%08x", i, h.Bits)
		}
	}
	tip := c.mine(t, b1+60) // block 7, exactly on schedule
	if tip.Bits != p.PoW.InitialBits {
		t.Fatalf("block 7 bits 0x%08x", tip.Bits)
	}
	next := c.template(t, b1+70)
	if next.Header.Bits != p.PoW.InitialBits {
		t.Fatalf("block 8 bits 0x%08x", next.Header.Bits)
	}
	// A chain whose block 7 is 100 s (one half-life) late: the next target doubles.
	c2 := newTestChain(t, p)
	c2.mine(t, b1)
	for i := 2; i <= 6; i++ {
		c2.mine(t, b1+uint32(10*(i-1)))
	}
	c2.mine(t, b1+60+100)
	nb := c2.template(t, b1+170)
	t0, _ := CompactToBig(p.PoW.InitialBits)
	tn, _ := CompactToBig(nb.Header.Bits)
	ratio, _ := new(big.Rat).SetFrac(tn, t0).Float64()
	if ratio < 1.99 || ratio > 2.01 {
		t.Fatalf("one half-life late: target ratio %v, want 2", ratio)
	}
}

func TestWeightFinalityApply(t *testing.T) {
	c := newTestChain(t, testParams(genesis.AlgoFixed))
	var last *chain.Header
	for i := 1; i <= 10; i++ {
		last = c.mine(t, uint32(c.p.Time)+uint32(i))
	}
	w, err := c.e.Weight(c.r, last)
	if err != nil || w.Cmp(chain.Work(last.Bits)) != 0 {
		t.Fatalf("weight %v %v", w, err)
	}
	f := c.e.Finality(c.r, last, nil)
	if f.Height != 4 || f.Hash != c.r.main[4] || f.Absolute {
		t.Fatalf("finality %+v", f)
	}
	g, _ := c.r.HeaderAt(0)
	if f := c.e.Finality(c.r, g, nil); f.Height != 0 || f.Hash != c.r.main[0] {
		t.Fatalf("genesis finality %+v", f)
	}
	if st, err := c.e.GenesisState(); st != nil || err != nil {
		t.Fatal("genesis state")
	}
	if _, err := c.e.DecodeState([]byte{1}); err == nil {
		t.Fatal("decoded a non-empty state")
	}

	b := c.template(t, uint32(c.p.Time)+100)
	ctx := &chain.ApplyContext{Height: 11, Fees: 123}
	if err := c.e.Apply(c.r, b, ctx); err != nil || ctx.MaxCoinbase != c.p.BlockSubsidy(11)+123 || ctx.State != nil {
		t.Fatalf("apply: %v %+v", err, ctx)
	}
	b.Txs[0].Outputs = append(b.Txs[0].Outputs, chain.TxOut{Value: 1, Lock: chain.Lock{Kind: chain.LockStake}})
	if err := c.e.Apply(c.r, b, ctx); !errors.Is(err, chain.ErrBadStake) {
		t.Fatalf("stake output in a pow block: %v", err)
	}
	tx := &chain.Tx{Outputs: []chain.TxOut{{Value: 1, Lock: chain.Lock{Kind: chain.LockUnbonding}}}}
	if _, err := c.e.CheckTx(c.r, nil, tx, nil, 5); !errors.Is(err, chain.ErrBadStake) {
		t.Fatalf("unbonding output: %v", err)
	}
	tx = &chain.Tx{Outputs: []chain.TxOut{{Value: 1, Lock: chain.PayTo(c.key)}}}
	spent := []*chain.Coin{{Out: chain.TxOut{Value: 2, Lock: chain.Lock{Kind: chain.LockStake}}}}
	if _, err := c.e.CheckTx(c.r, nil, tx, spent, 5); !errors.Is(err, chain.ErrBadStake) {
		t.Fatalf("stake spend: %v", err)
	}
	spent[0].Out.Lock = chain.PayTo(c.key)
	if adj, err := c.e.CheckTx(c.r, nil, tx, spent, 5); err != nil || adj != 0 {
		t.Fatalf("plain tx: %d %v", adj, err)
	}
}
