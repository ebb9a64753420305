package chain_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

// BenchmarkMempoolAdd measures the sendrawtransaction path: Mempool.Add of fresh signed
// 1-in-1-out transactions with full signature checks (a new SigCache per round, so nothing
// is cached), from 1 and 8 concurrent clients. The figure to watch is tx/s; the RPC issue
// needs ≥ 3,500 accepted tx/s with 8 clients end to end.
//
//	go test ./chain -run '^$' -bench MempoolAdd -benchtime 5x
func BenchmarkMempoolAdd(b *testing.B) {
	e, txs := benchPoolTxs(b)
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			var added int64
			for b.Loop() {
				b.StopTimer()
				pool, err := chain.NewMempool(chain.MempoolConfig{Chain: e.c, SigCache: chain.NewSigCache(len(txs))})
				if err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				b.StartTimer()
				for w := 0; w < clients; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							i := int(next.Add(1)) - 1
							if i >= len(txs) {
								return
							}
							if _, err := pool.Add(txs[i], e.now); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				added += int64(len(txs))
			}
			b.ReportMetric(float64(added)/b.Elapsed().Seconds(), "tx/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(added), "ns/tx")
		})
	}
}

// benchPoolTxs mines two fan-out transactions (4,000 coins of key 7) and returns 4,000
// signed 1-in-1-out spends of them, fees rising with the index.
func benchPoolTxs(b *testing.B) (*poolEnv, []*chain.Tx) {
	const fanout = 2000
	const rounds = 2
	e := newPoolEnv(b, nil, chain.MempoolConfig{})
	var fan []*chain.Tx
	for i := 0; i < rounds; i++ {
		op, out := e.b.GenesisCoin(i)
		outs := make([]chain.TxOut, fanout)
		for j := range outs {
			outs[j] = chain.TxOut{Value: (out.Value - 1_000_000) / fanout, Lock: chain.PayTo(chaintest.PubKey(7))}
		}
		fan = append(fan, chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(i)}, outs))
	}
	e.mine(fan...)
	var txs []*chain.Tx
	for _, f := range fan {
		for j := range f.Outputs {
			txs = append(txs, spendOut(f, uint32(j), chaintest.Key(7), 1000+uint64(len(txs))))
		}
	}
	return e, txs
}

// BenchmarkNewTemplate builds a full-pool block template (4,000 pool txs, ~760 KB):
// selection by fee rate, re-validation against the tip (signatures from the SigCache),
// coinbase and merkle root.
func BenchmarkNewTemplate(b *testing.B) {
	e, txs := benchPoolTxs(b)
	for _, tx := range txs {
		e.add(tx)
	}
	b.ReportAllocs()
	for b.Loop() {
		blk, err := e.c.NewTemplate(e.pool, chain.TemplateRequest{PayTo: chaintest.PubKey(1), Now: e.now})
		if err != nil {
			b.Fatal(err)
		}
		if len(blk.Txs) != len(txs)+1 {
			b.Fatalf("template has %d txs", len(blk.Txs))
		}
	}
}
