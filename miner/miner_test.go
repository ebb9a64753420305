package miner

import (
	"context"
	"errors"
	"math/big"
	"sync"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// loopHarness connects a Miner to a testChain: Template builds on the tip, Submit verifies
// the header and the merkle root and extends the chain.
type loopHarness struct {
	t  *testing.T
	c  *testChain
	mu sync.Mutex
	// override, when set, replaces the template (abandon tests).
	override func() *chain.Block
	blocks   chan *chain.Block
	errs     chan error
}

func newLoopHarness(t *testing.T, p *genesis.Params) *loopHarness {
	return &loopHarness{t: t, c: newTestChain(t, p), blocks: make(chan *chain.Block, 1000), errs: make(chan error, 10)}
}

func (h *loopHarness) template() (*chain.Block, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.override != nil {
		return h.override(), nil
	}
	_, tip := h.c.r.tip()
	return h.c.template(h.t, tip.Time+1), nil
}

func (h *loopHarness) submit(b *chain.Block) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	err := h.c.e.VerifyHeader(h.c.r, &b.Header, nil, time.Now())
	if err == nil {
		if root, _ := chain.MerkleRoot(chain.TxIDs(b.Txs)); root != b.Header.MerkleRoot {
			err = errors.New("merkle root does not match the rolled coinbase")
		}
	}
	if err != nil {
		h.errs <- err
		return err
	}
	if _, ok := h.c.r.headers[b.Header.Prev]; ok {
		h.c.r.add(&b.Header)
	}
	h.blocks <- b
	return nil
}

func (h *loopHarness) config(threads int, rate float64) Config {
	return Config{Params: h.c.p, Threads: threads, HashRate: rate, Template: h.template, Submit: h.submit}
}

func (h *loopHarness) waitBlock(timeout time.Duration) *chain.Block {
	h.t.Helper()
	select {
	case b := <-h.blocks:
		return b
	case err := <-h.errs:
		h.t.Fatalf("submitted block rejected: %v", err)
	case <-time.After(timeout):
		h.t.Fatalf("no block within %v", timeout)
	}
	return nil
}

func TestNewRejectsBadConfig(t *testing.T) {
	h := newLoopHarness(t, testParams(genesis.AlgoFixed))
	good := h.config(1, 0)
	for name, mut := range map[string]func(*Config){
		"no params":   func(c *Config) { c.Params = nil },
		"no template": func(c *Config) { c.Template = nil },
		"no submit":   func(c *Config) { c.Submit = nil },
		"neg threads": func(c *Config) { c.Threads = -1 },
		"neg rate":    func(c *Config) { c.HashRate = -5 },
	} {
		cfg := good
		mut(&cfg)
		if _, err := New(cfg); err == nil {
			t.Fatalf("%s: accepted", name)
		}
	}
}

// TestMinerFindsBlocks mines a chain of real blocks at regtest-like bits on two threads.
func TestMinerFindsBlocks(t *testing.T) {
	h := newLoopHarness(t, testParams(genesis.AlgoASERT))
	m, err := New(h.config(2, 0))
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	defer m.Stop()
	seen := map[uint64]bool{}
	for i := 0; i < 30; i++ {
		b := h.waitBlock(10 * time.Second)
		x := ExtraNonce(b)
		if seen[x] {
			t.Fatalf("extranonce %d reused", x)
		}
		seen[x] = true
	}
	m.Stop()
	if got := len(h.c.r.main) - 1; got < 30 {
		t.Fatalf("chain has %d blocks", got)
	}
	st := m.Stats()
	if st.Found < 30 || st.Hashes == 0 || st.Running {
		t.Fatalf("stats %+v", st)
	}
}

// TestMinerRollsExtraNonce shrinks the nonce space so that every block needs several
// extranonce rolls; every block must still carry a consistent merkle root.
func TestMinerRollsExtraNonce(t *testing.T) {
	p := testParams(genesis.AlgoFixed)
	p.PoW.InitialBits = 0x1f0fffff // about 4096 hashes per block
	h := newLoopHarness(t, p)
	m, err := New(h.config(2, 0))
	if err != nil {
		t.Fatal(err)
	}
	m.testNonceSpace = 128
	m.Start()
	defer m.Stop()
	var maxX uint64
	for i := 0; i < 5; i++ {
		b := h.waitBlock(10 * time.Second)
		if b.Header.Nonce >= 128 {
			t.Fatalf("nonce %d outside the shrunken space", b.Header.Nonce)
		}
		maxX = max(maxX, ExtraNonce(b))
	}
	if maxX < 20 {
		t.Fatalf("extranonce reached only %d: not rolling", maxX)
	}
}

// unsolvable is a template whose target (1) is never met.
func (h *loopHarness) unsolvable() *chain.Block {
	b := h.c.template(h.t, uint32(h.c.p.Time)+1)
	b.Header.Bits = 0x03000001
	return b
}

// TestMinerAbandonsOnNotify: a miner grinding an unsolvable template must switch to the
// new template promptly after Notify, unthrottled and throttled (sleeping workers).
func TestMinerAbandonsOnNotify(t *testing.T) {
	for _, rate := range []float64{0, 2000} {
		h := newLoopHarness(t, testParams(genesis.AlgoFixed))
		h.override = h.unsolvable
		m, err := New(h.config(2, rate))
		if err != nil {
			t.Fatal(err)
		}
		m.Start()
		// Let the workers get deep into the unsolvable work.
		waitHashes(t, m, 1000)
		h.mu.Lock()
		h.override = nil
		h.mu.Unlock()
		t0 := time.Now()
		m.Notify()
		h.waitBlock(5 * time.Second)
		lat := time.Since(t0)
		m.Stop()
		t.Logf("rate %v: block on the new template %v after Notify", rate, lat)
		// 50 ms is the requirement; a loaded 2-core box gets slack in the assertion.
		if lat > 250*time.Millisecond {
			t.Fatalf("rate %v: work abandoned after %v", rate, lat)
		}
	}
}

func TestMinerStartStopSetThreads(t *testing.T) {
	h := newLoopHarness(t, testParams(genesis.AlgoFixed))
	h.override = h.unsolvable
	m, err := New(h.config(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	m.Start()
	if err := m.SetThreads(2); err != nil {
		t.Fatal(err)
	}
	waitHashes(t, m, 100000)
	if st := m.Stats(); st.Threads != 2 || !st.Running {
		t.Fatalf("stats %+v", st)
	}
	m.Stop()
	m.Stop()
	n := m.Hashes()
	if m.Running() || m.Hashes() != n {
		t.Fatal("still hashing after Stop")
	}
	if err := m.SetThreads(-1); err == nil {
		t.Fatal("negative threads accepted")
	}
	if err := m.SetHashRate(-1); err == nil {
		t.Fatal("negative rate accepted")
	}
	// Restart keeps counting.
	h.mu.Lock()
	h.override = nil
	h.mu.Unlock()
	m.Start()
	h.waitBlock(5 * time.Second)
	m.Stop()
	if m.Hashes() <= n {
		t.Fatal("hash count went backwards")
	}
}

// waitHashes polls until m has hashed n nonces (bounded: fails after 10 s).
func waitHashes(t *testing.T, m *Miner, n uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for m.Hashes() < n {
		if time.Now().After(deadline) {
			t.Fatalf("miner hashed only %d of %d nonces in 10 s", m.Hashes(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestThrottleHoldsRate is the one timing-based test: a throttled miner must hold a
// requested rate within 10 % (counted hashes over a 2 s window) with CPU use far below a
// core, and follow SetHashRate at run time. Rates are far below what even a loaded core
// delivers, so the schedule, not the CPU, sets the pace.
func TestThrottleHoldsRate(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test (about 5 s)")
	}
	h := newLoopHarness(t, testParams(genesis.AlgoFixed))
	h.override = h.unsolvable
	m, err := New(h.config(2, 200_000))
	if err != nil {
		t.Fatal(err)
	}
	// Unthrottled single-core speed of this hasher, for the CPU bound.
	var w work
	w.setHeader(&chain.Header{Bits: 0x1d00ffff}, big.NewInt(1))
	c0, n := cpuTime(), uint32(0)
	for cpuTime()-c0 < 100*time.Millisecond {
		_, _, tried := m.hasher.scan(&w, n, 1<<14)
		n += tried
	}
	speed := float64(n) / (cpuTime() - c0).Seconds()
	// Rates that cost at most about 1 % of a core, so that the schedule, not a loaded
	// machine's CPU, sets the pace (200 kH/s with SHA-NI; less on the portable path).
	r1 := min(200_000, speed/100)
	if err := m.SetHashRate(r1); err != nil {
		t.Fatal(err)
	}
	m.Start()
	defer m.Stop()
	measure := func(want float64) {
		t.Helper()
		time.Sleep(300 * time.Millisecond) // settle after a start or a rate change
		n0, t0, c0 := m.Hashes(), time.Now(), cpuTime()
		time.Sleep(2 * time.Second)
		n1, t1, c1 := m.Hashes(), time.Now(), cpuTime()
		got := float64(n1-n0) / t1.Sub(t0).Seconds()
		cpu := (c1 - c0).Seconds() / t1.Sub(t0).Seconds()
		t.Logf("requested %.0f H/s: measured %.0f H/s (%+.1f%%), CPU %.1f%% of a core, HashRate() %.0f",
			want, got, 100*(got/want-1), 100*cpu, m.HashRate())
		if got < 0.9*want || got > 1.1*want {
			t.Fatalf("throttled to %.0f H/s, measured %.0f", want, got)
		}
		// Proportional: the hashing itself is want/speed of a core; allow twice that plus
		// 5 % of a core for wake-ups and the test's own goroutines.
		if bound := 2*want/speed + 0.05; cpu > bound {
			t.Fatalf("CPU use %.1f%% of a core at %.0f H/s (hasher %.1f MH/s, bound %.1f%%): throttle is spinning",
				100*cpu, want, speed/1e6, 100*bound)
		}
	}
	measure(r1)
	if err := m.SetHashRate(2.5 * r1); err != nil {
		t.Fatal(err)
	}
	measure(2.5 * r1)
}

func TestSealBlock(t *testing.T) {
	c := newTestChain(t, testParams(genesis.AlgoFixed))
	b := c.template(t, uint32(c.p.Time)+1)
	ok, err := SealBlock(context.Background(), b, 0)
	if !ok || err != nil {
		t.Fatalf("%v %v", ok, err)
	}
	if err := c.e.VerifyHeader(c.r, &b.Header, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	hard := c.template(t, uint32(c.p.Time)+1)
	hard.Header.Bits = 0x03000001
	if ok, err := SealBlock(context.Background(), hard, 1000); ok || err != nil {
		t.Fatalf("impossible target sealed: %v %v", ok, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := SealBlock(ctx, hard, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	bad := c.template(t, uint32(c.p.Time)+1)
	bad.Header.Bits = 0x01803456
	if _, err := SealBlock(context.Background(), bad, 0); !errors.Is(err, chain.ErrBadBits) {
		t.Fatalf("negative bits: %v", err)
	}
}

// TestSealBlockRollsExtraNonce runs SealBlock's search with a tiny nonce space.
func TestSealBlockRollsExtraNonce(t *testing.T) {
	p := testParams(genesis.AlgoFixed)
	p.PoW.InitialBits = 0x1f0fffff
	c := newTestChain(t, p)
	b := c.template(t, uint32(p.Time)+1)
	ok, tries, err := sealBlock(context.Background(), b, 0, 64)
	if !ok || err != nil || tries == 0 {
		t.Fatalf("%v %v", ok, err)
	}
	if ExtraNonce(b) == 0 || b.Header.Nonce >= 64 {
		t.Fatalf("extranonce %d nonce %d", ExtraNonce(b), b.Header.Nonce)
	}
	if root, _ := chain.MerkleRoot(chain.TxIDs(b.Txs)); root != b.Header.MerkleRoot {
		t.Fatal("merkle root not recomputed")
	}
	if err := c.e.VerifyHeader(c.r, &b.Header, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
}

// TestGenerate mines 2,000 blocks at regtest bits through Generate on the in-memory
// reader (the sealing part of generatetoaddress; BenchmarkGenerate2000 times it).
func TestGenerate(t *testing.T) {
	c := newTestChain(t, testParams(genesis.AlgoASERT))
	var tm uint32 = uint32(c.p.Time)
	hashes, err := Generate(context.Background(), 2000, func() (*chain.Block, error) {
		tm += 10 // on the ASERT schedule
		return c.template(t, tm), nil
	}, func(b *chain.Block) error {
		if err := c.e.VerifyHeader(c.r, &b.Header, nil, time.Now()); err != nil {
			return err
		}
		c.r.add(&b.Header)
		return nil
	})
	if err != nil || len(hashes) != 2000 || len(c.r.main) != 2001 {
		t.Fatalf("%d blocks, %v", len(hashes), err)
	}
}

func TestGenerateMaxTries(t *testing.T) {
	p := testParams(genesis.AlgoFixed)
	p.PoW.InitialBits = 0x1f00ffff // about 65,536 hashes per block
	c := newTestChain(t, p)
	tm := uint32(p.Time)
	tmpl := func() (*chain.Block, error) { tm++; return c.template(t, tm), nil }
	submit := func(b *chain.Block) error { c.r.add(&b.Header); return nil }
	hashes, err := GenerateMaxTries(context.Background(), 1000, 1_000_000, tmpl, submit)
	if err != nil || len(hashes) == 0 || len(hashes) >= 1000 {
		t.Fatalf("%d blocks with 1,000,000 tries, err %v", len(hashes), err)
	}
	if hashes, err := GenerateMaxTries(context.Background(), 3, 1, tmpl, submit); err != nil || len(hashes) > 1 {
		t.Fatalf("one try: %d blocks, %v", len(hashes), err)
	}
}

// BenchmarkGenerate2000 times sealing 2,000 regtest-bits blocks (template building
// excluded); compare with the ≤ 0.6 s budget for generatetoaddress 2000.
func BenchmarkGenerate2000(b *testing.B) {
	c := newTestChain(b, testParams(genesis.AlgoFixed))
	blocks := make([]*chain.Block, 2000)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := range blocks {
			blocks[j] = c.template(b, uint32(c.p.Time)+uint32(j))
			blocks[j].Txs[0].Inputs[0].Data[9] = byte(j)
		}
		b.StartTimer()
		for _, blk := range blocks {
			if ok, err := SealBlock(context.Background(), blk, 0); !ok || err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/2000blocks")
}

// TestMinerConcurrentControl hammers Start/Stop/SetThreads/SetHashRate/Notify from
// several goroutines (run with -race); it must neither panic nor leave two worker sets.
func TestMinerConcurrentControl(t *testing.T) {
	h := newLoopHarness(t, testParams(genesis.AlgoFixed))
	h.override = h.unsolvable
	m, err := New(h.config(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				switch (g + i) % 5 {
				case 0:
					m.Start()
				case 1:
					m.SetThreads(1 + i%3)
				case 2:
					m.Notify()
				case 3:
					m.SetHashRate(float64(i%2) * 100000)
				case 4:
					if i%7 == 0 {
						m.Stop()
					}
				}
			}
		}()
	}
	wg.Wait()
	m.Stop()
	n := m.Hashes()
	if m.Hashes() != n {
		t.Fatal("hashing after Stop")
	}
}
