package miner

import (
	"math"
	"testing"

	"chainlab/chain"
	"chainlab/genesis"
)

func TestDifficulty(t *testing.T) {
	if d := Difficulty(0x1d00ffff); d != 1 {
		t.Fatalf("difficulty of 0x1d00ffff = %v", d)
	}
	// Bitcoin Core's GetDifficulty for regtest bits is 4.656542373906925e-10.
	if d := Difficulty(0x207fffff); math.Abs(d/4.656542373906925e-10-1) > 1e-12 {
		t.Fatalf("difficulty of 0x207fffff = %v", d)
	}
	// Block 32256's retargeted bits (pow_vectors): difficulty 1.18.
	if d := Difficulty(0x1d00d86a); math.Abs(d-1.182899534312841) > 1e-9 {
		t.Fatalf("difficulty of 0x1d00d86a = %v", d)
	}
	if Difficulty(0x01803456) != 0 {
		t.Fatal("negative bits have a difficulty")
	}
}

func TestNetworkHashPS(t *testing.T) {
	c := newTestChain(t, testParams(genesis.AlgoFixed))
	base := uint32(c.p.Time)
	for i := 1; i <= 11; i++ {
		c.mine(t, base+uint32(10*i))
	}
	tip, hd := c.r.tip()
	// 10 blocks of work 2 (regtest bits: 2^256/(2^255-ish+1) = 2) over 100 s.
	got := NetworkHashPS(c.r, tip, 10)
	want := 10 * float64(chain.Work(hd.Bits).Int64()) / 100
	if math.Abs(got/want-1) > 1e-9 {
		t.Fatalf("network hash rate %v, want %v", got, want)
	}
	if NetworkHashPS(c.r, c.r.main[0], 10) != 0 {
		t.Fatal("genesis has a hash rate")
	}
}
