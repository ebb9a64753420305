package miner

import (
	"math/big"
	"math/rand/v2"
	"testing"

	"chainlab/chain"
)

// TestCompactRoundTrip: GetCompact truncates to a 23-bit mantissa, so decoding gives the
// largest representable value not above n, and re-encoding is stable.
func TestCompactRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 5000; i++ {
		var b [32]byte
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		n := new(big.Int).Rsh(new(big.Int).SetBytes(b[:]), uint(rng.IntN(256)))
		if n.Sign() == 0 {
			continue
		}
		c := BigToCompact(n)
		back, bad := CompactToBig(c)
		if bad || back.Cmp(n) > 0 {
			t.Fatalf("%x -> 0x%08x -> %x (bad=%v)", n, c, back, bad)
		}
		// The lost part is below one unit of the mantissa's last place.
		diff := new(big.Int).Sub(n, back)
		if diff.BitLen() > max(0, n.BitLen()-16) {
			t.Fatalf("%x -> %x loses too much", n, back)
		}
		if BigToCompact(back) != c {
			t.Fatalf("0x%08x not stable", c)
		}
	}
}

func TestTarget256Meets(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 2000; i++ {
		var h chain.Hash
		for j := range h {
			h[j] = byte(rng.Uint32())
		}
		hb := HashToBig(h)
		for _, d := range []int64{-1, 0, 1} {
			tg := new(big.Int).Add(hb, big.NewInt(d))
			if tg.Sign() < 0 || tg.BitLen() > 256 {
				continue
			}
			t256 := newTarget256(tg)
			if got, want := t256.meets(&h), hb.Cmp(tg) <= 0; got != want {
				t.Fatalf("meets(%x, %x) = %v", hb, tg, got)
			}
		}
	}
}
