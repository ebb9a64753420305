package miner

import (
	"math/big"

	"chainlab/chain"
)

// difficulty1Target is Bitcoin's difficulty-1 target (bits 0x1d00ffff), the unit of
// getdifficulty.
var difficulty1Target = new(big.Int).Lsh(big.NewInt(0xffff), 208)

// Difficulty returns Bitcoin's getdifficulty value for bits: the difficulty-1 target
// divided by this target (below 1 for targets easier than 0x1d00ffff, as on regtest).
// Invalid bits give 0.
func Difficulty(bits uint32) float64 {
	t, bad := CompactToBig(bits)
	if bad || t.Sign() <= 0 {
		return 0
	}
	d, _ := new(big.Rat).SetFrac(difficulty1Target, t).Float64()
	return d
}

// NetworkHashPS estimates the hash rate that produced the n blocks ending at tip
// (getnetworkhashps): their total work divided by the time between the block n below tip
// and tip. It returns 0 when the span is empty or has no positive duration.
func NetworkHashPS(r chain.HeaderReader, tip chain.Hash, n uint64) float64 {
	height, ok := r.Height(tip)
	if !ok || n == 0 || height == 0 {
		return 0
	}
	n = min(n, height)
	hd, ok := r.Header(tip)
	if !ok {
		return 0
	}
	last := hd.Time
	work := new(big.Int)
	cur := hd
	for i := uint64(0); i < n; i++ {
		work.Add(work, chain.Work(cur.Bits))
		if cur, ok = r.Header(cur.Prev); !ok {
			return 0
		}
	}
	if last <= cur.Time {
		return 0
	}
	w, _ := new(big.Float).SetInt(work).Float64()
	return w / float64(last-cur.Time)
}
