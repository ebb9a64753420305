package miner

import (
	"math/big"

	"chainlab/chain"
	"chainlab/genesis"
)

// CompactToBig decodes compact bits into the target they encode (Bitcoin's SetCompact).
// The second result reports a negative or overflowing encoding; such bits never pass
// CheckProofOfWork.
func CompactToBig(bits uint32) (*big.Int, bool) { return genesis.CompactToBig(bits) }

// BigToCompact encodes n in compact form (Bitcoin's GetCompact): a one-byte size and a
// three-byte mantissa whose sign bit (0x00800000) is never set for a non-negative n, so the
// mantissa is shifted one byte further when its top bit would be set.
func BigToCompact(n *big.Int) uint32 {
	if n.Sign() == 0 {
		return 0
	}
	abs := new(big.Int).Abs(n)
	size := uint32((abs.BitLen() + 7) / 8)
	var mant uint32
	if size <= 3 {
		mant = uint32(abs.Uint64() << (8 * (3 - size)))
	} else {
		mant = uint32(abs.Rsh(abs, uint(8*(size-3))).Uint64())
	}
	if mant&0x00800000 != 0 {
		mant >>= 8
		size++
	}
	c := size<<24 | mant
	if n.Sign() < 0 && mant&0x007fffff != 0 {
		c |= 0x00800000
	}
	return c
}

// HashToBig interprets a block hash as the little-endian 256-bit number PoW compares.
func HashToBig(h chain.Hash) *big.Int {
	var be [32]byte
	for i := range h {
		be[31-i] = h[i]
	}
	return new(big.Int).SetBytes(be[:])
}

// CheckProofOfWork is Bitcoin's CheckProofOfWork with typed errors: bits that are negative,
// zero or overflowing fail with ErrBadBits, a target easier than powLimit with
// ErrBadPowLimit, and a hash above the target with ErrHighHash.
func CheckProofOfWork(hash chain.Hash, bits uint32, powLimit *big.Int) error {
	target, bad := CompactToBig(bits)
	if bad || target.Sign() <= 0 {
		return chain.NewRuleError(chain.ErrBadBits, "bits 0x%08x encode no positive target", bits)
	}
	if target.Cmp(powLimit) > 0 {
		return chain.NewRuleError(chain.ErrBadPowLimit, "bits 0x%08x are easier than the pow limit", bits)
	}
	if hashAbove(hash, target) {
		return chain.NewRuleError(chain.ErrHighHash, "hash %s is above target of bits 0x%08x", hash, bits)
	}
	return nil
}

func hashAbove(hash chain.Hash, target *big.Int) bool { return HashToBig(hash).Cmp(target) > 0 }

// target256 is a target as four little-endian 64-bit limbs, compared without allocation by
// the nonce loop.
type target256 [4]uint64

func newTarget256(t *big.Int) target256 {
	var out target256
	var be [32]byte
	t.FillBytes(be[:])
	for i := 0; i < 4; i++ {
		var w uint64
		for j := 0; j < 8; j++ {
			w = w<<8 | uint64(be[8*(3-i)+j])
		}
		out[i] = w
	}
	return out
}

// top32 is the most significant 32 bits of the target.
func (t *target256) top32() uint32 { return uint32(t[3] >> 32) }

// meets reports whether the hash (little-endian number) is at most the target.
func (t *target256) meets(h *chain.Hash) bool {
	for i := 3; i >= 0; i-- {
		var w uint64
		for j := 7; j >= 0; j-- {
			w = w<<8 | uint64(h[8*i+j])
		}
		if w != t[i] {
			return w < t[i]
		}
	}
	return true
}
