package chain_test

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

// connectFixture is a split block (one genesis coin into n outputs) and a block of n
// one-in-one-out signed transactions spending them.
type connectFixture struct {
	p     *chain.Block
	big   *chain.Block
	spent [][]*chain.Coin
}

var fixtures = map[int]*connectFixture{}

func makeConnectFixture(n int) *connectFixture {
	if f, ok := fixtures[n]; ok {
		return f
	}
	b := chaintest.NewBuilder(chaintest.Params())
	op, out := b.GenesisCoin(0)
	outs := make([]chain.TxOut, n)
	for i := range outs {
		outs[i] = chain.TxOut{Value: 10_000_000, Lock: chain.PayTo(chaintest.PubKey(i % 8))}
	}
	split := chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)}, outs)
	p := b.Block(b.Genesis.Hash(), []*chain.Tx{split}, out.Value-uint64(n)*10_000_000)
	sid := split.TxID()
	txs := make([]*chain.Tx, n)
	spent := make([][]*chain.Coin, n)
	for i := range txs {
		txs[i] = chaintest.Spend([]chain.OutPoint{{TxID: sid, Index: uint32(i)}}, []chain.TxOut{outs[i]},
			[]*btcec.PrivateKey{chaintest.Key(i % 8)}, []chain.TxOut{{Value: 9_999_000, Lock: chain.PayTo(chaintest.PubKey(7))}})
		spent[i] = []*chain.Coin{{Out: outs[i], Height: 1}}
	}
	big := b.Block(p.Hash(), txs, uint64(n)*1000)
	f := &connectFixture{p: p, big: big, spent: spent}
	fixtures[n] = f
	return f
}

// BenchmarkConnectBlock2000 measures ProcessBlock of a 2,000-transaction block with full
// signature checks; "mempool-cache" pre-verifies the signatures into the shared SigCache as
// the mempool would.
func BenchmarkConnectBlock2000(b *testing.B) {
	const n = 2000
	f := makeConnectFixture(n)
	for _, mode := range []struct {
		name   string
		disk   bool
		cached bool
	}{{"mem/no-cache", false, false}, {"mem/mempool-cache", false, true}, {"disk/no-cache", true, false}, {"disk/mempool-cache", true, true}} {
		b.Run(mode.name, func(b *testing.B) {
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				var s *chain.Store
				var err error
				if mode.disk {
					s, err = chain.OpenStore(b.TempDir())
				} else {
					s, err = chain.OpenMemStore()
				}
				if err != nil {
					b.Fatal(err)
				}
				cache := chain.NewSigCache(100_000)
				c, _ := chaintest.NewMemChain(b, &chain.Config{Store: s, SigCache: cache})
				if _, err := c.ProcessBlock(f.p, chaintest.Now()); err != nil {
					b.Fatal(err)
				}
				if mode.cached {
					for j, tx := range f.big.Txs[1:] {
						if err := chain.VerifyTxSignatures(tx, f.spent[j], cache); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.StartTimer()
				t0 := time.Now()
				if _, err := c.ProcessBlock(f.big, chaintest.Now()); err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(t0)
				b.StopTimer()
				c.Close()
			}
			b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "tx/s")
		})
	}
}

// BenchmarkImportEmptyBlocks5000 imports 5,000 coinbase-only blocks into a disk store.
func BenchmarkImportEmptyBlocks5000(b *testing.B) {
	const n = 5000
	bld := chaintest.NewBuilder(chaintest.Params())
	blocks := bld.Chain(bld.Genesis.Hash(), n)
	var elapsed time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, err := chain.OpenStore(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		c, _ := chaintest.NewMemChain(b, &chain.Config{Store: s})
		b.StartTimer()
		t0 := time.Now()
		for _, blk := range blocks {
			if _, err := c.ProcessBlock(blk, chaintest.Now()); err != nil {
				b.Fatal(err)
			}
		}
		elapsed += time.Since(t0)
		b.StopTimer()
		c.Close()
	}
	b.ReportMetric(float64(n*b.N)/elapsed.Seconds(), "blocks/s")
}

// BenchmarkBlock1MB encodes and decodes a block of about 1 MB (5,000 small transactions).
func BenchmarkBlock1MB(b *testing.B) {
	blk := &chain.Block{Header: chain.Header{Version: 1}}
	blk.Txs = append(blk.Txs, chain.NewCoinbase(1, nil, []chain.TxOut{{Value: 1}}))
	for i := 0; blk.SerializeSize() < 1<<20-300; i++ {
		tx := &chain.Tx{Version: 1,
			Inputs:  []chain.TxIn{{Prev: chain.OutPoint{TxID: chain.Hash{byte(i), byte(i >> 8)}, Index: uint32(i)}, Witness: make([]byte, 64)}},
			Outputs: []chain.TxOut{{Value: uint64(i) + 1, Lock: chain.PayTo([32]byte{byte(i)})}, {Value: 5, Lock: chain.PayTo([32]byte{1})}},
		}
		blk.Txs = append(blk.Txs, tx)
	}
	enc := blk.Bytes()
	b.Run("encode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		buf := make([]byte, 0, len(enc))
		for i := 0; i < b.N; i++ {
			buf = blk.AppendTo(buf[:0])
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for i := 0; i < b.N; i++ {
			if _, err := chain.DecodeBlock(enc); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("txids+merkle", func(b *testing.B) {
		b.SetBytes(int64(len(enc)))
		for i := 0; i < b.N; i++ {
			chain.MerkleRoot(chain.TxIDs(blk.Txs))
		}
	})
}

// BenchmarkSchnorrVerify is the single-core BIP-340 bound (no cache) under the same machine
// load as the connect benchmark: connect tx/s on 2 cores can at most be ~2x its verify/s.
func BenchmarkSchnorrVerify(b *testing.B) {
	bld := chaintest.NewBuilder(chaintest.Params())
	op, out := bld.GenesisCoin(0)
	tx := chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(1), 1e8, 0)
	spent := []*chain.Coin{{Out: out}}
	b.ResetTimer()
	t0 := time.Now()
	for i := 0; i < b.N; i++ {
		if err := chain.VerifyTxSignatures(tx, spent, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "verify/s")
}
