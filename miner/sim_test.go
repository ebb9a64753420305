package miner

import (
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// simulateASERT drives the real engine with virtual time: each block's solve time is
// exponential with mean work(bits)/hashRate (seeded RNG), and its timestamp is when it
// was found, as the mining loop's time refresh makes it. It returns block times (index =
// height, 0 = genesis) and the final bits.
func simulateASERT(t *testing.T, p *genesis.Params, hashRate float64, start float64, blocks int, seed uint64) ([]float64, uint32) {
	t.Helper()
	c := newTestChain(t, p)
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	now := start
	times := []float64{float64(p.Time)}
	var bits uint32
	for i := 1; i <= blocks; i++ {
		tipHash, _ := c.r.tip()
		h := chain.Header{Version: 1, Prev: tipHash, Time: uint32(now)}
		if err := c.e.Prepare(c.r, &h, nil, time.Unix(int64(now), 0)); err != nil {
			t.Fatal(err)
		}
		work, _ := new(big.Float).SetInt(chain.Work(h.Bits)).Float64()
		now += rng.ExpFloat64() * work / hashRate
		h.Time = uint32(now)
		h.Nonce = uint32(i) // distinct hashes; PoW itself is not simulated
		c.r.add(&h)
		times = append(times, now)
		bits = h.Bits
	}
	return times, bits
}

func meanInterval(times []float64, from, n int) float64 {
	return (times[from+n] - times[from]) / float64(n)
}

// TestASERTBlockTimeSimulation is issue 3's "block time in practice" as a deterministic
// simulation: pow-dev (ASERT, 5 s spacing, 60 s half-life, genesis bits 0x1f0fffff) started
// a month after its genesis time settles to a mean interval within 15 % of 5 s over 200
// blocks, adapting up from the genesis bits for a fast miner and down for a slow one.
func TestASERTBlockTimeSimulation(t *testing.T) {
	p := genesis.PowDev()
	spacing := float64(p.PoW.TargetSpacing)
	init, _ := CompactToBig(p.PoW.InitialBits)
	for _, tc := range []struct {
		name     string
		hashRate float64
		harder   bool
	}{
		{"10MH/s adapts up", 10e6, true},
		{"200kH/s adapts up", 200e3, true},
		{"100H/s adapts down", 100, false},
	} {
		worst := 0.0
		for seed := uint64(1); seed <= 10; seed++ {
			times, bits := simulateASERT(t, p, tc.hashRate, float64(p.Time)+30*86400, 600, seed)
			settled := meanInterval(times, 400, 200)
			dev := math.Abs(settled/spacing - 1)
			worst = max(worst, dev)
			if dev > 0.15 {
				t.Fatalf("%s seed %d: mean interval over blocks 400..600 is %.2f s, want 5 s ±15%%", tc.name, seed, settled)
			}
			final, _ := CompactToBig(bits)
			if (final.Cmp(init) < 0) != tc.harder {
				t.Fatalf("%s: final bits 0x%08x did not move the expected way from 0x%08x", tc.name, bits, p.PoW.InitialBits)
			}
			if seed == 1 {
				t.Logf("%s: first 200 blocks mean %.2f s, blocks 400..600 mean %.2f s, bits 0x%08x -> 0x%08x",
					tc.name, meanInterval(times, 1, 200), settled, p.PoW.InitialBits, bits)
			}
		}
		t.Logf("%s: worst deviation over 10 seeds %.1f%%", tc.name, 100*worst)
	}
}

// TestASERTBlockTimeRealTime runs the real miner, throttled to 200 kH/s, on a real chain
// with pow-dev in real time: after 150 blocks of ramp-up from the genesis bits, the mean
// interval over the next 200 blocks must be within 15 % of 5 s (about 20 minutes).
// Enable with CHAINLAB_POW_REALTIME=1.
func TestASERTBlockTimeRealTime(t *testing.T) {
	if os.Getenv("CHAINLAB_POW_REALTIME") == "" {
		t.Skip("set CHAINLAB_POW_REALTIME=1 to run (about 20 minutes)")
	}
	const settle, measured = 150, 200
	p := genesis.PowDev()
	rc := newRealChain(t, p)
	rc.wall = true
	found := make(chan *chain.Block, 16)
	m, err := New(Config{
		Params:   p,
		Threads:  2,
		HashRate: 200_000,
		Template: rc.template,
		Submit: func(b *chain.Block) error {
			if err := rc.submit(b); err != nil {
				return err
			}
			found <- b
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	defer m.Stop()
	var times []float64
	for len(times) <= settle+measured {
		select {
		case b := <-found:
			times = append(times, float64(b.Header.Time))
			if len(times)%50 == 0 {
				t.Logf("%d blocks, bits 0x%08x, miner %.0f H/s", len(times), b.Header.Bits, m.HashRate())
			}
		case <-time.After(5 * time.Minute):
			t.Fatalf("no block for 5 minutes after %d blocks", len(times))
		}
	}
	mean := meanInterval(times, settle, measured)
	t.Logf("mean interval over blocks %d..%d: %.2f s", settle, settle+measured, mean)
	if math.Abs(mean/float64(p.PoW.TargetSpacing)-1) > 0.15 {
		t.Fatalf("mean interval %.2f s, want 5 s ±15%%", mean)
	}
}
