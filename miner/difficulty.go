package miner

import (
	"fmt"
	"math/big"

	"chainlab/chain"
	"chainlab/genesis"
)

// difficulty computes the bits a block must carry from its parent.
type difficulty interface {
	// nextBits returns the required bits of the child of parent (at parentHeight).
	nextBits(r chain.HeaderReader, parent *chain.Header, parentHash chain.Hash, parentHeight uint64) (uint32, error)
}

func newDifficulty(w *genesis.PoWParams, powLimit *big.Int) (difficulty, error) {
	switch w.Algorithm {
	case genesis.AlgoFixed:
		return fixedDifficulty{bits: w.InitialBits}, nil
	case genesis.AlgoBitcoin:
		if w.RetargetWindow < 2 {
			return nil, fmt.Errorf("miner: retarget window %d < 2", w.RetargetWindow)
		}
		return &bitcoinRetarget{
			window:   w.RetargetWindow,
			timespan: int64(w.RetargetWindow) * w.TargetSpacing,
			powLimit: powLimit,
		}, nil
	case genesis.AlgoASERT:
		if w.HalfLife <= 0 {
			return nil, fmt.Errorf("miner: asert half life %d <= 0", w.HalfLife)
		}
		t, _ := CompactToBig(w.InitialBits)
		return &asert{
			initialBits:  w.InitialBits,
			anchorTarget: t,
			spacing:      w.TargetSpacing,
			halfLife:     w.HalfLife,
			powLimit:     powLimit,
		}, nil
	}
	return nil, fmt.Errorf("miner: unknown difficulty algorithm %q", w.Algorithm)
}

// ancestor returns the ancestor at height of the block hash (at hashHeight). For a block on
// the main chain — the common case, extending the tip — it is a main-chain lookup instead
// of a walk back through the block tree.
func ancestor(r chain.HeaderReader, hash chain.Hash, hashHeight, height uint64) (*chain.Header, bool) {
	if h, ok := r.HeaderAt(hashHeight); ok && h.Hash() == hash {
		return r.HeaderAt(height)
	}
	return r.Ancestor(hash, height)
}

// ---- fixed ----

type fixedDifficulty struct{ bits uint32 }

func (f fixedDifficulty) nextBits(chain.HeaderReader, *chain.Header, chain.Hash, uint64) (uint32, error) {
	return f.bits, nil
}

// ---- Bitcoin retarget ----

type bitcoinRetarget struct {
	window   uint64
	timespan int64 // window * spacing, seconds
	powLimit *big.Int
}

// nextBits is Bitcoin's GetNextWorkRequired without the testnet minimum-difficulty rule:
// the parent's bits except at multiples of the window, where the target is rescaled by the
// time the last window-1 intervals took (Satoshi's off-by-one: the first block of the
// window is the block at height next-window, so window-1 intervals are measured against
// window*spacing).
func (b *bitcoinRetarget) nextBits(r chain.HeaderReader, parent *chain.Header, parentHash chain.Hash, parentHeight uint64) (uint32, error) {
	next := parentHeight + 1
	if next%b.window != 0 {
		return parent.Bits, nil
	}
	first, ok := ancestor(r, parentHash, parentHeight, next-b.window)
	if !ok {
		return 0, fmt.Errorf("miner: retarget: ancestor of %s at height %d not indexed", parentHash, next-b.window)
	}
	return CalcRetarget(parent.Bits, int64(first.Time), int64(parent.Time), b.timespan, b.powLimit), nil
}

// CalcRetarget is Bitcoin's CalculateNextWorkRequired: the actual timespan
// lastTime-firstTime is clamped to [timespan/4, 4*timespan] and the target of lastBits is
// scaled by actual/timespan (truncating), capped at powLimit. Unlike Bitcoin's 256-bit
// arithmetic the product cannot overflow here (math/big); for every target at most
// 2^256/4 the results are identical.
func CalcRetarget(lastBits uint32, firstTime, lastTime, timespan int64, powLimit *big.Int) uint32 {
	actual := lastTime - firstTime
	if actual < timespan/4 {
		actual = timespan / 4
	}
	if actual > timespan*4 {
		actual = timespan * 4
	}
	t, _ := CompactToBig(lastBits)
	t.Mul(t, big.NewInt(actual))
	t.Quo(t, big.NewInt(timespan))
	if t.Cmp(powLimit) > 0 {
		t.Set(powLimit)
	}
	return BigToCompact(t)
}

// ---- ASERT (aserti3-2d) ----

// asert anchors at block 1: its bits are the genesis InitialBits and the ideal schedule
// starts at its own timestamp (a virtual anchor parent at block1.Time - spacing).
type asert struct {
	initialBits  uint32
	anchorTarget *big.Int
	spacing      int64
	halfLife     int64
	powLimit     *big.Int
}

func (a *asert) nextBits(r chain.HeaderReader, parent *chain.Header, parentHash chain.Hash, parentHeight uint64) (uint32, error) {
	if parentHeight == 0 {
		return a.initialBits, nil // block 1 is the anchor
	}
	anchor, ok := ancestor(r, parentHash, parentHeight, 1)
	if !ok {
		return 0, fmt.Errorf("miner: asert: anchor (height 1) of %s not indexed", parentHash)
	}
	anchorParentTime := int64(anchor.Time) - a.spacing
	return ASERTBits(a.anchorTarget, int64(parent.Time)-anchorParentTime, int64(parentHeight-1),
		a.spacing, a.halfLife, a.powLimit), nil
}

// ASERTBits is aserti3-2d (Bitcoin Cash, 2020-11-15 spec): the bits of the block after an
// evaluation block that is heightDelta blocks above the anchor and whose timestamp is
// timeDelta seconds after the anchor's parent. The target is anchorTarget *
// 2^((timeDelta - spacing*(heightDelta+1)) / halfLife), with the exponent in 16.16 fixed
// point (truncating division, arithmetic shift) and 2^frac by the spec's cubic
// approximation; the result is at least 1 and at most powLimit.
func ASERTBits(anchorTarget *big.Int, timeDelta, heightDelta, spacing, halfLife int64, powLimit *big.Int) uint32 {
	t := ASERTTarget(anchorTarget, timeDelta, heightDelta, spacing, halfLife, powLimit)
	return BigToCompact(t)
}

// ASERTTarget is ASERTBits before the compact encoding.
func ASERTTarget(anchorTarget *big.Int, timeDelta, heightDelta, spacing, halfLife int64, powLimit *big.Int) *big.Int {
	exponent := (timeDelta - spacing*(heightDelta+1)) * 65536 / halfLife
	shifts := exponent >> 16
	frac := uint64(uint16(exponent))
	// Fits in 64 bits for frac < 2^16 (the spec's constants are chosen for that).
	factor := 65536 + ((195766423245049*frac + 971821376*frac*frac + 5127*frac*frac*frac + 1<<47) >> 48)
	next := new(big.Int).Mul(anchorTarget, new(big.Int).SetUint64(factor))
	shifts -= 16
	switch {
	case shifts < 0:
		next.Rsh(next, uint(-shifts))
	case shifts > 0:
		if shifts > 300 { // far beyond any limit; avoid building a huge number
			return new(big.Int).Set(powLimit)
		}
		next.Lsh(next, uint(shifts))
	}
	if next.Sign() == 0 {
		return big.NewInt(1)
	}
	if next.Cmp(powLimit) > 0 {
		return new(big.Int).Set(powLimit)
	}
	return next
}
