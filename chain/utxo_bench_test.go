package chain

import (
	"math/rand"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// BenchmarkUTXOLookup1M looks up coins in a disk store holding 1,000,000 of them: through a
// warm cache of 1M entries, through LevelDB alone (cache disabled), and for absent coins.
func BenchmarkUTXOLookup1M(b *testing.B) {
	const n = 1_000_000
	s, err := OpenStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	op := func(i int) OutPoint {
		var h Hash
		h[0], h[1], h[2], h[3] = byte(i), byte(i>>8), byte(i>>16), 0x5a
		return OutPoint{TxID: DoubleSHA256(h[:]), Index: uint32(i % 3)}
	}
	var stats utxoStats
	warm := newUTXOSet(s, n)
	for start := 0; start < n; start += 50_000 {
		v := NewUTXOView(mapReader{})
		for i := start; i < start+50_000; i++ {
			v.Add(op(i), &Coin{Out: TxOut{Value: uint64(i) + 1, Lock: PayTo([32]byte{byte(i)})}, Height: uint64(i / 2000)})
		}
		batch := new(leveldb.Batch)
		v.writeTo(batch, &stats, false)
		if err := s.write(batch, false); err != nil {
			b.Fatal(err)
		}
		warm.applyCommitted(v) // as connects do
	}
	// Measure the steady state, not the compactions the bulk load left pending.
	if err := s.db.CompactRange(util.Range{}); err != nil {
		b.Fatal(err)
	}
	ops := make([]OutPoint, 2*n)
	for i := range ops {
		ops[i] = op(i)
	}
	rng := rand.New(rand.NewSource(1))
	b.Run("cached", func(b *testing.B) {
		u := warm
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if c, err := u.Coin(ops[rng.Intn(n)]); c == nil || err != nil {
				b.Fatal("missing coin", err)
			}
		}
	})
	b.Run("leveldb", func(b *testing.B) {
		u := newUTXOSet(s, 0)
		for i := 0; i < b.N; i++ {
			if c, err := u.Coin(ops[rng.Intn(n)]); c == nil || err != nil {
				b.Fatal("missing coin", err)
			}
		}
	})
	b.Run("absent", func(b *testing.B) {
		u := newUTXOSet(s, 0)
		for i := 0; i < b.N; i++ {
			if c, _ := u.Coin(ops[n+rng.Intn(n)]); c != nil {
				b.Fatal("phantom coin")
			}
		}
	})
}
